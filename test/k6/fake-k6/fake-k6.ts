import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import WebSocket from 'ws';

/**
 * A stand-in for `k6 run` in tests where no k6 binary exists: it evaluates
 * an exported bundle once per VU (each VU its own module instance, as each
 * k6 VU has its own JavaScript runtime), with the k6 modules replaced by
 * small shims that follow k6's documented behaviour and its source
 * (internal/js/modules/k6/websockets/websockets.go): error then close events
 * with Go error texts, server pings answered and reported as `ping`,
 * send() on a socket that is not open throws InvalidStateError, metrics
 * written as `--out json` Points with tags and metadata. close() on a
 * connecting socket throws here, because in k6 it blocks the VU.
 *
 * It is a check of the script's logic, not of k6: the real-k6 test runs the
 * same flow with the k6 binary when one is on PATH.
 */

interface VuState {
  idInTest: number;
  metadata: Record<string, string>;
}

export interface FakeK6Run {
  /** Resolves when every VU reported its end (the script's final counters). */
  finished: Promise<void>;
  /** Writes the collected samples as k6 NDJSON. */
  writeOutput(path: string): void;
  stop(): void;
}

/** Go's error texts for what Node's ws reports, as k6 would pass them to the script. */
function goErrorText(error: Error & { code?: string }, url: string): string {
  const host = new URL(url).host;
  if (error.code === 'ECONNREFUSED') return `dial tcp ${host}: connect: connection refused`;
  if (error.code === 'ECONNRESET') return `read tcp ${host}: read: connection reset by peer`;
  if (/Unexpected server response/.test(error.message)) return 'websocket: bad handshake';
  return error.message;
}

export async function runFakeK6(options: { bundle: string; workDir: string; vus: number[]; env: Record<string, string> }): Promise<FakeK6Run> {
  const lines: string[] = [];
  const declared = new Set<string>();
  const sockets = new Set<WebSocket>();
  const timers = new Set<ReturnType<typeof setTimeout>>();
  let ended = 0;
  let resolveFinished!: () => void;
  const finished = new Promise<void>((resolve) => (resolveFinished = resolve));

  const shimsFor = (vu: VuState): Record<string, unknown> => {
    const metricClass = (type: 'counter' | 'gauge' | 'trend') =>
      class {
        readonly name: string;
        readonly isTime: boolean;
        constructor(name: string, isTime = false) {
          this.name = name;
          this.isTime = isTime;
        }
        add(value: number, tags?: Record<string, string>): void {
          if (!declared.has(this.name)) {
            declared.add(this.name);
            lines.push(JSON.stringify({ type: 'Metric', data: { name: this.name, type, contains: this.isTime ? 'time' : 'default', thresholds: [], submetrics: null }, metric: this.name }));
          }
          const metadata = { ...vu.metadata };
          lines.push(
            JSON.stringify({
              type: 'Point',
              data: { time: new Date().toISOString(), value: Number(value), tags: { scenario: 'devices', ...(tags ?? {}) }, ...(Object.keys(metadata).length ? { metadata } : {}) },
              metric: this.name,
            }),
          );
          if (this.name === 'aftershock_devices_online_at_end' && ++ended === options.vus.length) resolveFinished();
        }
      };
    class K6LikeWebSocket {
      readyState = 0;
      onopen: () => void = () => {};
      onmessage: (event: { data: unknown }) => void = () => {};
      onerror: (event: { error: string }) => void = () => {};
      onclose: (event: { code?: number }) => void = () => {};
      onping: () => void = () => {};
      private readonly ws: WebSocket;
      constructor(url: string) {
        const ws = new WebSocket(url, { perMessageDeflate: false });
        this.ws = ws;
        sockets.add(ws);
        let error: string | undefined;
        ws.on('open', () => {
          this.readyState = 1;
          this.onopen();
        });
        ws.on('message', (data, isBinary) => {
          if (this.readyState === 1) this.onmessage({ data: isBinary ? data : data.toString() });
        });
        ws.on('ping', () => this.onping());
        ws.on('error', (e) => (error ??= goErrorText(e, url)));
        ws.on('close', (code) => {
          sockets.delete(ws);
          const wasOpen = this.readyState !== 0;
          this.readyState = 3;
          // k6: an abnormal closure of an open socket is an error (1006, unexpected EOF) before the close.
          if (error === undefined && wasOpen && code === 1006) error = 'websocket: close 1006 (abnormal closure): unexpected EOF';
          if (error !== undefined) this.onerror({ error });
          this.onclose(wasOpen ? { code } : {});
        });
      }
      send(data: string): void {
        if (this.readyState !== 1) throw new Error('InvalidStateError');
        this.ws.send(data);
      }
      close(): void {
        if (this.readyState === 0) throw new Error('fake k6: close() on a connecting socket; in k6 it blocks the VU until the dial ends');
        if (this.readyState >= 2) return;
        this.readyState = 2;
        this.ws.close();
      }
    }
    return {
      exec: { vu: { idInTest: vu.idInTest, idInInstance: vu.idInTest, metrics: { metadata: vu.metadata, tags: {} } } },
      metrics: { Counter: metricClass('counter'), Gauge: metricClass('gauge'), Trend: metricClass('trend') },
      timers: {
        setTimeout: (callback: () => void, ms: number) => {
          const handle = setTimeout(() => {
            timers.delete(handle);
            callback();
          }, ms);
          timers.add(handle);
          return handle;
        },
        clearTimeout: (handle: ReturnType<typeof setTimeout>) => {
          timers.delete(handle);
          clearTimeout(handle);
        },
      },
      websockets: { WebSocket: K6LikeWebSocket },
    };
  };

  const registry = ((globalThis as Record<string, unknown>).__fakeK6 ??= {}) as Record<string, Record<string, unknown>>;
  (globalThis as Record<string, unknown>).__ENV = options.env;
  const vuStates = options.vus.map((idInTest) => ({ idInTest, metadata: {} as Record<string, string> }));
  const defaults: (() => void)[] = [];
  for (const vu of vuStates) {
    const key = `${process.pid}-${Date.now()}-${vu.idInTest}`;
    registry[key] = shimsFor(vu);
    const at = `globalThis.__fakeK6[${JSON.stringify(key)}]`;
    // Each VU gets its own copy of the module, its k6 imports bound to that VU's shims.
    const source = options.bundle
      .replace(/^import exec from "k6\/execution";$/m, `const exec = ${at}.exec;`)
      .replace(/^import \{ ([^}]*) \} from "k6\/metrics";$/m, `const { $1 } = ${at}.metrics;`)
      .replace(/^import \{ ([^}]*) \} from "k6\/(?:experimental\/)?timers";$/m, `const { $1 } = ${at}.timers;`)
      .replace(/^import \{ ([^}]*) \} from "k6\/(?:experimental\/)?websockets";$/m, `const { $1 } = ${at}.websockets;`);
    if (/from "k6/.test(source)) throw new Error('fake k6: the bundle imports a k6 module the fake does not provide');
    const path = join(options.workDir, `vu-${vu.idInTest}.mjs`);
    writeFileSync(path, source);
    const module = (await import(pathToFileURL(path).href)) as { default: () => void; options: unknown };
    defaults.push(module.default);
  }
  for (const run of defaults) run();
  return {
    finished,
    writeOutput: (path) => writeFileSync(path, lines.join('\n') + '\n'),
    stop() {
      for (const handle of timers) clearTimeout(handle);
      for (const ws of sockets) ws.terminate();
    },
  };
}
