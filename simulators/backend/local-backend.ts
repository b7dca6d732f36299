import type { AssignmentStore } from './assignment-store.ts';
import type { WorkerCommand, WorkerDeviceView, WorkerStats } from './backend-peers.ts';
import type { CpuHog } from './cpu-hog.ts';
import type { DeviceHub } from './device-hub.ts';
import type { ProcessMetrics } from './process-metrics.ts';

/**
 * This process's part of the backend, as the HTTP API and the other workers
 * see it: the commands every worker applies to itself and the questions
 * every worker answers about itself. In a single-process backend it is the
 * whole backend.
 */
export class LocalBackend {
  readonly hub: DeviceHub;
  readonly store: AssignmentStore;
  readonly metrics: ProcessMetrics;
  readonly cpuHog: CpuHog;

  constructor(parts: { hub: DeviceHub; store: AssignmentStore; metrics: ProcessMetrics; cpuHog: CpuHog }) {
    this.hub = parts.hub;
    this.store = parts.store;
    this.metrics = parts.metrics;
    this.cpuHog = parts.cpuHog;
  }

  apply(command: WorkerCommand): void {
    switch (command.kind) {
      case 'admission':
        this.hub.setAdmissionOpen(command.open);
        return;
      case 'cpu-hog':
        this.cpuHog.start(command.dutyCycle, command.durationMs);
        return;
      case 'cpu-hog-stop':
        this.cpuHog.stop();
        return;
      case 'push':
        this.hub.pushContent(command.deviceId, command.content);
        return;
    }
  }

  stats(withProcess: boolean): WorkerStats {
    const hub = this.hub.stats();
    return {
      pid: process.pid,
      devicesOnline: hub.devicesOnline,
      handshakesTotal: hub.handshakesTotal,
      handshakesRejected: hub.handshakesRejected,
      process: withProcess ? this.metrics.read() : null,
    };
  }

  device(deviceId: string): WorkerDeviceView {
    return {
      online: this.hub.isOnline(deviceId),
      seen: this.hub.hasSeen(deviceId),
      pendingAckVersion: this.store.getPendingAckVersion(deviceId),
    };
  }
}
