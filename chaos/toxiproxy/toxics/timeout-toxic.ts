import { interrupted, timedOut } from '../toxic-stub.ts';
import { defineToxicType } from './toxic.ts';

/**
 * Lets no data through (it is discarded, as a black hole would) and closes
 * the link once `timeout` ms pass with nothing arriving; each arriving chunk
 * starts the wait again, as in Toxiproxy. With `timeout` 0 it never closes.
 * Removing the toxic closes the connections it was holding: their data is
 * gone, so they cannot carry on.
 */
export const timeoutToxic = defineToxicType({
  attributes: ['timeout'],
  create: ({ timeout }) => ({
    async pipe(stub) {
      for (;;) {
        const item = timeout > 0 ? await stub.read(timeout) : await stub.read();
        if (item === interrupted) return;
        if (item === null || item === timedOut) return stub.close();
        // A chunk: dropped.
      }
    },
    cleanup(stub) {
      stub.close();
    },
  }),
});
