import { AftershockError } from '../scenarios/errors.ts';
import { formatDuration } from '../scenarios/duration.ts';
import type { ChaosEventOf } from '../scenarios/schema/chaos-schema.ts';
import { ChildCgroup, cgroupUnsupportedError, isAftershockGroup, probeCgroup, type CgroupHost } from './cgroup.ts';
import { backendProcessOf } from './backend-process.ts';
import type { Injector, InjectorContext } from './injector.ts';
import { descendants } from './proc-info.ts';

export interface CpuQuotaInjector extends Injector {
  /** The cgroup the backend is in while the fault is in effect. */
  readonly cgroup: ChildCgroup | undefined;
}

/**
 * CPU starvation by quota: the backend (and its child processes) move into a
 * new cgroup beside their own, limited to `cpus` cores by CFS bandwidth
 * control; undo moves them back and deletes the group.
 *
 * cgroup v1: a child of the backend's group in the cpu hierarchy, with
 * cpu.cfs_quota_us / cpu.cfs_period_us. cgroup v2: a child with cpu.max, made
 * under the backend's group if it can enable "cpu" for children, else beside
 * it (see cgroup.ts). No usable cgroup: the factory throws AftershockError
 * 'chaos-unsupported', naming what it looked for, before anything starts.
 *
 * The quota holds the backend's process as it was when the fault began: a
 * backend restarted during the fault starts outside the group.
 */
export function cpuQuotaInjector(event: ChaosEventOf<'cpu-quota'>, context: InjectorContext, host: CgroupHost = {}): CpuQuotaInjector {
  const target = backendProcessOf(context, 'cpu-quota');
  // Refuse now, while nothing is started, if the kernel offers no CPU quota.
  const firstPid = target.pid;
  if (firstPid !== undefined) {
    const probe = probeCgroup('cpu', firstPid, host);
    if (!probe.usable) throw cgroupUnsupportedError('cpu-quota', probe);
  }
  let group: ChildCgroup | undefined;
  let pid: number | undefined;
  let undone = false;

  return {
    kind: 'cpu-quota',
    get cgroup() {
      return group;
    },
    describe() {
      const where = group ? ` in cgroup ${group.version} ${group.dir}` : '';
      return `limit the backend${pid ? ` (pid ${pid})` : ''} to ${event.cpus} CPU${event.cpus === 1 ? '' : 's'} by a CPU quota${where} for ${formatDuration(event.for)}`;
    },
    async inject() {
      pid = target.pid;
      if (pid === undefined) {
        throw new AftershockError('chaos-target-not-running', 'chaos "cpu-quota": the backend is not running, so there is no process to limit; check the events before this one (a kill without restart?)');
      }
      const probe = probeCgroup('cpu', pid, host);
      if (!probe.usable) throw cgroupUnsupportedError('cpu-quota', probe);
      if (isAftershockGroup(probe.place.groupDir)) {
        throw new AftershockError(
          'chaos-overlap',
          `chaos "cpu-quota": the backend (pid ${pid}) is already in ${probe.place.groupDir}, a cgroup of another aftershock event; cgroup faults on one backend must not overlap in time`,
        );
      }
      group = await ChildCgroup.create(probe.place, context.watchdog, { kind: 'cpu-quota', pid });
      // An undo that came meanwhile did not see the group.
      if (undone) return group.remove();
      await group.setCpuQuota(event.cpus);
      await group.moveIn(pid);
      // Its workers too; one may exit meanwhile, which leaves nothing to limit.
      for (const child of descendants(pid)) await group.moveIn(child).catch(() => undefined);
    },
    async undo() {
      if (undone) return;
      undone = true;
      await group?.remove();
    },
  };
}
