import { describe, expect, it } from 'vitest';
import { runHook } from '../../scenarios/targets/hook-command.ts';

describe('hook commands', () => {
  it('resolve with their output when they exit 0 (run by the shell)', async () => {
    await expect(runHook('t', { command: 'echo one && echo two', timeoutMs: 5000 })).resolves.toBe('one\ntwo\n');
  });

  it('a non-zero exit names the hook, the command, the code and the output', async () => {
    await expect(runHook('external target ws://x:1, kill hook', { command: 'echo no such unit >&2; exit 5', timeoutMs: 5000 })).rejects.toThrow(
      'external target ws://x:1, kill hook: hook "echo no such unit >&2; exit 5" exited with code 5; last output: "no such unit"',
    );
  });

  it('a hook past its timeout is killed (its whole group) and says so, promptly', async () => {
    const t0 = Date.now();
    await expect(runHook('t', { command: 'echo started; sleep 30', timeoutMs: 300 })).rejects.toThrow('t: hook "echo started; sleep 30" did not finish within 300 ms and was killed; last output: "started"');
    expect(Date.now() - t0).toBeLessThan(2000);
  });
});
