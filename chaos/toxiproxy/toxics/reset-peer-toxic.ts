import { interrupted } from '../toxic-stub.ts';
import { defineToxicType } from './toxic.ts';

/**
 * Resets the connection (TCP RST, "connection reset by peer") `timeout` ms
 * after the first chunk (or the end of the stream) reaches it. The RST comes
 * from the link's sockets being set to close abortively: the link does that
 * for connections that start while a reset_peer toxic is on the proxy, as
 * Toxiproxy sets SO_LINGER 0 on them; connections older than the toxic get
 * a plain close.
 */
export const resetPeerToxic = defineToxicType({
  attributes: ['timeout'],
  create: ({ timeout }) => ({
    async pipe(stub) {
      const item = await stub.read();
      if (item === interrupted) return;
      if (await stub.sleep(timeout)) return stub.close();
      // Interrupted before the reset: the chunk goes on as if nothing happened.
      stub.unread(item);
    },
  }),
});
