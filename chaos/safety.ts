import { AftershockError } from '../scenarios/errors.ts';
import type { TargetEndpoints } from '../scenarios/targets/target.ts';

/** True for hosts only this machine can reach: 127.0.0.0/8, ::1, localhost. */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  return bare === 'localhost' || bare === '::1' || /^127\.\d+\.\d+\.\d+$/.test(bare) || /^::ffff:127\./.test(bare);
}

/**
 * Destructive chaos against anything but loopback is refused unless the
 * scenario names the host in `remoteTargets` AND the user passed
 * `--allow-remote`. Both, so neither a scenario file nor a flag alone can
 * point faults at somebody else's machine.
 */
export function assertChaosAllowed(endpoints: TargetEndpoints, remoteTargets: readonly string[], allowRemote: boolean): void {
  for (const url of [endpoints.wsBaseUrl, endpoints.httpBaseUrl]) {
    const host = new URL(url).hostname;
    if (isLoopback(host)) continue;
    if (!remoteTargets.includes(host)) {
      throw new AftershockError('remote-chaos-refused', `refusing chaos against ${host}: it is not a loopback address and the scenario's remoteTargets does not name it; add "${host}" to remoteTargets and pass --allow-remote if you own it`);
    }
    if (!allowRemote) {
      throw new AftershockError('remote-chaos-refused', `refusing chaos against ${host}: the scenario allows it, but --allow-remote was not given; pass --allow-remote to confirm`);
    }
  }
}
