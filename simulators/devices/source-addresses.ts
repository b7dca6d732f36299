import { readFileSync } from 'node:fs';

/**
 * Source addresses on loopback for device connections. One source address
 * to one destination port slows to under 1,000 connects per second past
 * about 7,000-14,000 connections (the kernel's port allocator), so devices are
 * spread over 127.B.x.y, `perAddress` devices each. No set-up is needed: the
 * whole of 127.0.0.0/8 is local on Linux. The allocator's search for a free
 * port (bind to an address with port 0) costs more the more ports of that
 * address are taken: at 30,000 devices, 4,000 per address cost the fleet 422
 * us of CPU per connect and the backend 303; 400 per address 277 and 190;
 * 100 per address no less. The default is 250.
 *
 * `block` is B, the second octet. A socket the client closed first stays in
 * TIME_WAIT for a minute, and its port counts as taken when the next fleet
 * binds the same source address: a run right after another (or a benchmark's
 * second phase) on the same addresses connects at a fraction of the rate and
 * then fails with EADDRINUSE. Each fleet therefore takes the quietest block.
 */
export function sourceAddressFor(deviceIndex: number, perAddress: number, block = 1): string {
  const address = Math.floor(deviceIndex / perAddress);
  // 250 hosts per /24 keeps clear of .0 and .255.
  return `127.${block}.${Math.floor(address / 250) % 256}.${1 + (address % 250)}`;
}

/** How many source addresses a fleet of `devices` uses. */
export function sourceAddressCount(devices: number, perAddress: number): number {
  return Math.ceil(devices / perAddress);
}

/** Blocks a fleet may use: 127.1.0.0/16 to 127.254.0.0/16 (127.0/16 is where targets listen). */
const firstBlock = 1;
const lastBlock = 254;

/**
 * Sockets per second octet of 127.B.x.y local addresses, in any state
 * (TIME_WAIT included), from the text of /proc/net/tcp. Addresses there are
 * 32-bit hex in host (little-endian) order: 127.1.0.5 is "0500017F".
 */
export function socketsPerBlock(procNetTcp: string): Map<number, number> {
  const counts = new Map<number, number>();
  for (const line of procNetTcp.split('\n')) {
    // "  12: 0500017F:8A2C 0100007F:1F90 06 ..." : the local address follows the slot.
    const colon = line.indexOf(': ');
    if (colon < 0) continue;
    const local = line.slice(colon + 2, colon + 10);
    if (local.slice(6, 8) !== '7F') continue;
    const block = Number.parseInt(local.slice(4, 6), 16);
    counts.set(block, (counts.get(block) ?? 0) + 1);
  }
  return counts;
}

/**
 * The 127.B block with the fewest sockets (live or in TIME_WAIT). Ties go to
 * the first after a start point that differs per process, so two fleets
 * starting at once rarely share a block. Where /proc/net/tcp cannot be read
 * (not Linux), block 1.
 */
export function quietestAddressBlock(readProcNetTcp: () => string = () => readFileSync('/proc/net/tcp', 'latin1'), startAt = process.pid): number {
  let counts: Map<number, number>;
  try {
    counts = socketsPerBlock(readProcNetTcp());
  } catch {
    return firstBlock;
  }
  const span = lastBlock - firstBlock + 1;
  let best = firstBlock;
  let bestCount = Infinity;
  for (let k = 0; k < span; k++) {
    const block = firstBlock + ((startAt + k) % span);
    const count = counts.get(block) ?? 0;
    if (count < bestCount) {
      best = block;
      bestCount = count;
      if (count === 0) break;
    }
  }
  return best;
}
