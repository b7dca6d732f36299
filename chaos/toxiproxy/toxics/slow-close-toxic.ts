import { interrupted } from '../toxic-stub.ts';
import { defineToxicType } from './toxic.ts';

/** Passes data through, and holds the close for `delay` ms once the stream ends. */
export const slowCloseToxic = defineToxicType({
  attributes: ['delay'],
  create: ({ delay }) => ({
    async pipe(stub) {
      for (;;) {
        const item = await stub.read();
        if (item === interrupted) return;
        if (item === null) {
          if (await stub.sleep(delay)) return stub.close();
          // Interrupted while holding the close: put the end back for whoever runs next.
          stub.unread(null);
          return;
        }
        await stub.write(item);
      }
    },
  }),
});
