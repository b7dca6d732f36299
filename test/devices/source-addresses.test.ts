import { describe, expect, test } from 'vitest';
import { quietestAddressBlock, socketsPerBlock, sourceAddressFor } from '../../simulators/devices/source-addresses.ts';

// Lines as /proc/net/tcp shows them: addresses are little-endian hex.
const procNetTcp = [
  '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
  '   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0000000000000000 100 0 0 10 0',
  '   1: 0100017F:8A2C 0100007F:1F90 06 00000000:00000000 03:00001234 00000000     0        0 0 3 0000000000000000',
  '   2: 0500017F:8A2E 0100007F:1F90 01 00000000:00000000 00:00000000 00000000     0        0 2 1 0000000000000000 20 4 0 10 -1',
  '   3: 0100027F:8A30 0100007F:1F90 01 00000000:00000000 00:00000000 00000000     0        0 3 1 0000000000000000 20 4 0 10 -1',
  '   4: 0100A8C0:8A30 0100007F:1F90 01 00000000:00000000 00:00000000 00000000     0        0 4 1 0000000000000000 20 4 0 10 -1',
  '',
].join('\n');

describe('source addresses', () => {
  test('devices fill each address up to the cap, in the given block', () => {
    expect(sourceAddressFor(0, 4000)).toBe('127.1.0.1');
    expect(sourceAddressFor(3999, 4000)).toBe('127.1.0.1');
    expect(sourceAddressFor(4000, 4000)).toBe('127.1.0.2');
    expect(sourceAddressFor(250 * 4000, 4000, 7)).toBe('127.7.1.1');
  });

  test('counts sockets per 127.B block, TIME_WAIT included, other addresses not', () => {
    const counts = socketsPerBlock(procNetTcp);
    expect(Object.fromEntries(counts)).toEqual({ 0: 1, 1: 2, 2: 1 });
  });

  test('picks a block without sockets, starting where it is told', () => {
    expect(quietestAddressBlock(() => procNetTcp, 0)).toBe(3);
    expect(quietestAddressBlock(() => procNetTcp, 1)).toBe(3);
    expect(quietestAddressBlock(() => procNetTcp, 10)).toBe(11);
    // Every block busy: the least busy one.
    const busy = Array.from({ length: 254 }, (_, i) => {
      const b = (i + 1).toString(16).toUpperCase().padStart(2, '0');
      return Array.from({ length: i === 41 ? 1 : 3 }, () => `   0: 0100${b}7F:8A2C 0100007F:1F90 06 0`).join('\n');
    }).join('\n');
    expect(quietestAddressBlock(() => busy, 5)).toBe(42);
    // No /proc: block 1.
    expect(quietestAddressBlock(() => { throw new Error('ENOENT'); })).toBe(1);
  });
});
