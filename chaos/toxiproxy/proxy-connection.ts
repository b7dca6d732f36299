import type { Socket } from 'node:net';
import type { ToxicCollection } from './toxic-collection.ts';
import type { ToxicLink } from './toxic-link.ts';

/**
 * One client connection through a proxy and its connection to the upstream:
 * an upstream link (client → upstream) and a downstream link (upstream →
 * client). When a link's stream ends it closes its destination socket
 * entirely, as Toxiproxy does, and the other link then ends because its
 * source closed. Connections that start while a reset_peer toxic is on the
 * proxy close both sockets with an RST (Toxiproxy sets SO_LINGER 0 on them).
 */
export class ProxyConnection {
  readonly closed: Promise<void>;
  private readonly client: Socket;
  private readonly upstream: Socket;
  private readonly abortive: boolean;

  constructor(client: Socket, upstream: Socket, toxics: ToxicCollection) {
    this.client = client;
    this.upstream = upstream;
    this.abortive = toxics.hasType('reset_peer');
    const links: ToxicLink[] = [toxics.openLink('upstream'), toxics.openLink('downstream')];
    const socketClosed = (socket: Socket): Promise<void> =>
      socket.destroyed && socket.closed ? Promise.resolve() : new Promise((resolve) => socket.once('close', () => resolve()));
    this.closed = Promise.all([socketClosed(client), socketClosed(upstream)]).then(() => {
      for (const link of links) toxics.closeLink(link);
    });
    links[0].start(client, upstream, () => this.close(upstream));
    links[1].start(upstream, client, () => this.close(client));
  }

  /** Closes both sockets now (the proxy is stopping). */
  destroy(): void {
    this.close(this.client, true);
    this.close(this.upstream, true);
  }

  /** Closes a socket: an RST if abortive; else a FIN once written data is flushed (`now`: without waiting). */
  private close(socket: Socket, now = false): void {
    if (socket.destroyed) return;
    if (this.abortive) {
      socket.resetAndDestroy();
    } else if (now) {
      socket.destroy();
    } else {
      socket.end(() => socket.destroy());
    }
  }
}
