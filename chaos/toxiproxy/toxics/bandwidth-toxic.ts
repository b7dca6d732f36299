import { interrupted } from '../toxic-stub.ts';
import { defineToxicType } from './toxic.ts';

/** How often a chunk too big for the rate is released in parts. */
const sliceMs = 100;

/**
 * Limits a link to `rate` KB/s (1 KB = 1000 bytes, so `rate` bytes per ms).
 * It keeps a running debt of send time so that timer slack does not add up;
 * a chunk bigger than a tenth of a second's worth goes out in 100 ms parts.
 * A rate of 0 or less lets nothing through until the toxic is removed.
 */
export const bandwidthToxic = defineToxicType({
  attributes: ['rate'],
  create: ({ rate }) => ({
    async pipe(stub) {
      let debtMs = 0;
      for (;;) {
        const chunk = await stub.read();
        if (chunk === interrupted) return;
        if (chunk === null) return stub.close();
        if (rate <= 0) {
          // Toxiproxy's loop never makes progress at rate 0: data is held.
          while (await stub.sleep(sliceMs));
          await stub.write(chunk);
          return;
        }
        let data = chunk.data;
        debtMs += data.length / rate;
        const partBytes = rate * sliceMs;
        while (data.length > partBytes) {
          if (!(await stub.sleep(sliceMs))) {
            await stub.write({ data, readAtMs: chunk.readAtMs });
            return;
          }
          await stub.write({ data: data.subarray(0, partBytes), readAtMs: chunk.readAtMs });
          data = data.subarray(partBytes);
          debtMs -= sliceMs;
        }
        const startMs = stub.now();
        if (!(await stub.sleep(debtMs))) {
          await stub.write({ data, readAtMs: chunk.readAtMs });
          return;
        }
        // Timers fire late; subtract what was really slept from the debt.
        debtMs -= stub.now() - startMs;
        await stub.write({ data, readAtMs: chunk.readAtMs });
      }
    },
  }),
});
