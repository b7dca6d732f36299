import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChaosWatchdog } from '../../chaos/watchdog/chaos-watchdog.ts';
import type { IntegrityEvent } from '../../reports/integrity-events.ts';
import type { IntegrityConfig } from '../schema/integrity-schema.ts';
import { ManagedProcess } from '../targets/managed-process.ts';
import { ApiLoad } from './api-load.ts';
import { AssignmentLedger } from './assignment-ledger.ts';
import { ownNodeArgs } from '../runtime/own-node.ts';

const originMain = fileURLToPath(new URL('../../simulators/origin/main.ts', import.meta.url));

export interface IntegrityRunContext {
  config: IntegrityConfig;
  runDir: string;
  devices: number;
  seed: string | number;
  timeScale: number;
  /** The run's deadline, scenario ms: bounds how many writes the ledger may send. */
  deadlineMs: number;
  /** Scenario ms now. */
  now: () => number;
  emit: (event: IntegrityEvent) => void;
  watchdog?: ChaosWatchdog;
}

/**
 * The integrity checks of one run, driven by the runner at its phases:
 * `start` (the origin, before the target: the backend publishes to it),
 * `begin` (seed every device's content, start the API load process),
 * `onSteady` (paced writes; API window 'before'), `onRecovering` (window
 * 'during', the storm), `onRecovered` (writes stop; window 'after'),
 * `verify` (read every device back), `stop`. Failures of writes and reads
 * are events, never thrown; only a component that cannot start throws.
 */
export class IntegrityRun {
  private readonly context: IntegrityRunContext;
  private readonly origin: ManagedProcess | undefined;
  /** The origin's base URL, for the target (`--origin-url`) and the fleet; null when `origin` is off. */
  readonly originUrl: string | null;
  private ledger: AssignmentLedger | undefined;
  private apiLoad: ApiLoad | undefined;

  private constructor(context: IntegrityRunContext, origin: ManagedProcess | undefined, originUrl: string | null) {
    this.context = context;
    this.origin = origin;
    this.originUrl = originUrl;
  }

  /** Starts the content origin (its own process, which chaos never touches) if the scenario wants it. */
  static async start(context: IntegrityRunContext): Promise<IntegrityRun> {
    const { config, runDir, now, emit } = context;
    emit({ type: 'integrity-start', t: now(), writesPerSecond: config.writesPerSecond, origin: config.origin });
    if (!config.origin) return new IntegrityRun(context, undefined, null);
    const origin = new ManagedProcess({
      name: 'content origin',
      command: process.execPath,
      args: [...ownNodeArgs(), originMain, '--host', '127.0.0.1', '--port', '0', '--exit-with-stdin'],
      logPath: join(runDir, 'origin.log'),
      readyTimeoutMs: 15_000,
      isReadyLine: (line) => line.includes('"event":"ready"'),
    });
    await origin.start();
    if (context.watchdog) await origin.guardWith(context.watchdog);
    const { host, port } = JSON.parse(origin.readyLine) as { host: string; port: number };
    return new IntegrityRun(context, origin, `http://${host}:${port}`);
  }

  /** Once the target is up, before the fleet boots: seeds every device's content and starts the API load process. */
  async begin(apiBaseUrl: string, signal: AbortSignal): Promise<void> {
    const { config, devices, seed, timeScale, deadlineMs, now, emit } = this.context;
    this.ledger = new AssignmentLedger({
      apiBaseUrl,
      // Without an origin the URLs are names only: nothing fetches them.
      contentBaseUrl: this.originUrl ?? 'aftershock://origin',
      devices,
      seed,
      writesPerSecond: config.writesPerSecond,
      timeScale,
      maxWrites: Math.ceil((config.writesPerSecond * deadlineMs) / 1000),
      requestTimeoutMs: config.requestTimeoutMs,
      now,
      emit,
    });
    if (config.apiLoad !== false) {
      this.apiLoad = await ApiLoad.start({ apiBaseUrl, devices, seed, connections: config.apiLoad.connections, timeoutMs: config.requestTimeoutMs, now, emit });
    }
    if (config.seedContent) await this.ledger.seedAll(signal);
  }

  /**
   * The fleet is online: writes begin, and the 'before' window runs, ending
   * half a real second before the first fault so that autocannon's last
   * answers are in before the fault hits (skipped if that leaves nothing).
   */
  onSteady(firstFaultAfterMs: number | null): void {
    this.ledger?.startWriting();
    const { config, timeScale } = this.context;
    if (config.apiLoad === false) return;
    const realMs = Math.min(config.apiLoad.duration / timeScale, firstFaultAfterMs === null ? Infinity : firstFaultAfterMs / timeScale - 500);
    if (realMs >= 50) void this.apiLoad?.window('before', realMs);
  }

  /** The last fault is undone: the storm begins. */
  onRecovering(hadFault: boolean): void {
    const { config, timeScale } = this.context;
    if (config.apiLoad !== false && hadFault) void this.apiLoad?.window('during', config.apiLoad.duration / timeScale);
  }

  /** Every device is back: writes stop (what is acknowledged so far is what must converge), the 'after' window runs. */
  async onRecovered(): Promise<void> {
    const { config, timeScale } = this.context;
    if (config.apiLoad !== false) void this.apiLoad?.window('after', config.apiLoad.duration / timeScale);
    await this.ledger?.stopWriting();
  }

  /** After the settle: waits for the API windows, then reads every device back from the backend. */
  async verify(signal: AbortSignal): Promise<void> {
    await this.apiLoad?.idle();
    await this.ledger?.stopWriting();
    await this.ledger?.check(signal);
  }

  /** Stops whatever is still running. Idempotent; never throws. */
  async stop(): Promise<void> {
    await this.ledger?.stopWriting().catch(() => undefined);
    await this.apiLoad?.stop().catch(() => undefined);
    await this.origin?.stop().catch(() => undefined);
  }
}
