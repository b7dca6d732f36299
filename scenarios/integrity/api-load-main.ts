// The API load process: autocannon against the backend's HTTP API, one
// window at a time, in a process of its own so that neither its requests nor
// its histograms disturb the harness's event loop. Forked by api-load.ts over
// IPC; exits when its parent goes.
import autocannon from 'autocannon';
import { deviceIdOf } from '../../simulators/devices/fleet.ts';
import { streamRng } from '../../simulators/devices/policy/rng.ts';
import type { ApiLoadToParent, ApiLoadWindow, ParentToApiLoad } from './api-load-protocol.ts';

const send = (message: ApiLoadToParent): void => {
  process.send?.(message);
};

function run(load: ApiLoadWindow): Promise<void> {
  // Each window asks for its own seeded sequence of devices.
  const rng = streamRng(load.seed, `api-load-${load.window}`);
  const started = performance.now();
  return new Promise((resolve) => {
    autocannon(
      {
        url: load.apiBaseUrl,
        connections: load.connections,
        duration: load.durationMs / 1000,
        timeout: Math.max(0.001, load.timeoutMs / 1000),
        // autocannon stops at its first sample tick after the duration (default
        // every 1000 ms): tick every 50 ms so a window ends when it should.
        sampleInt: 50,
        requests: [{ method: 'GET', setupRequest: (request) => ({ ...request, path: `/devices/${deviceIdOf(Math.floor(rng() * load.devices))}` }) }],
      },
      (error, result) => {
        if (error || !result) send({ type: 'failed', window: load.window, error: String(error?.message ?? 'no result') });
        else
          send({
            type: 'result',
            window: load.window,
            result: {
              realDurationMs: Math.round(performance.now() - started),
              connections: load.connections,
              sent: (result.requests as { sent?: number }).sent ?? result.requests.total,
              requests: result.requests.total,
              // autocannon reports 0 when nothing was answered: say "none" instead.
              p50Ms: result.requests.total > 0 ? result.latency.p50 : null,
              p99Ms: result.requests.total > 0 ? result.latency.p99 : null,
              maxMs: result.requests.total > 0 ? result.latency.max : null,
              errors: result.errors,
              timeouts: result.timeouts,
              non2xx: result.non2xx,
            },
          });
        resolve();
      },
    );
  });
}

let queue = Promise.resolve();
process.on('message', (message: ParentToApiLoad) => {
  if (message.type === 'exit') process.exit(0);
  else queue = queue.then(() => run(message.load));
});
process.on('disconnect', () => process.exit(0));
send({ type: 'ready' });
