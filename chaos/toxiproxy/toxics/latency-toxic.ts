import { interrupted } from '../toxic-stub.ts';
import { defineToxicType } from './toxic.ts';

/**
 * Delays every chunk by `latency` ± `jitter` ms, counted from when the chunk
 * entered the proxy, so chunks queued behind each other are not delayed twice.
 */
export const latencyToxic = defineToxicType({
  attributes: ['latency', 'jitter'],
  // Many chunks are in flight at once, each waiting out its own delay.
  bufferSize: 1024,
  create: ({ latency, jitter }) => ({
    async pipe(stub) {
      for (;;) {
        const chunk = await stub.read();
        if (chunk === interrupted) return;
        if (chunk === null) return stub.close();
        // Uniform in [latency - jitter, latency + jitter), whole ms.
        const delayMs = jitter > 0 ? latency + Math.floor(stub.rng() * 2 * jitter) - jitter : latency;
        const waitMs = delayMs - (stub.now() - chunk.readAtMs);
        if (!(await stub.sleep(waitMs))) {
          // Interrupted: hand the chunk on now rather than drop it.
          await stub.write(chunk);
          return;
        }
        await stub.write({ data: chunk.data, readAtMs: chunk.readAtMs + waitMs });
      }
    },
  }),
});
