import { interrupted } from '../toxic-stub.ts';
import { defineToxicType } from './toxic.ts';

/** Bytes a limit_data toxic has let through on one connection, kept across updates of the toxic. */
interface LimitDataState {
  sentBytes: number;
}

/**
 * Lets `bytes` bytes through on each connection, then closes it. The count
 * is per connection and survives updates, so raising the limit lets a
 * connection carry on where it was.
 */
export const limitDataToxic = defineToxicType({
  attributes: ['bytes'],
  create: ({ bytes }) => ({
    newState: (): LimitDataState => ({ sentBytes: 0 }),
    async pipe(stub) {
      const state = stub.state as LimitDataState;
      for (;;) {
        const chunk = await stub.read();
        if (chunk === interrupted) return;
        if (chunk === null) return stub.close();
        const remaining = Math.max(0, bytes - state.sentBytes);
        const data = chunk.data.length > remaining ? chunk.data.subarray(0, remaining) : chunk.data;
        if (data.length > 0) {
          state.sentBytes += data.length;
          await stub.write({ data, readAtMs: chunk.readAtMs });
        }
        if (bytes - state.sentBytes <= 0) return stub.close();
      }
    },
  }),
});
