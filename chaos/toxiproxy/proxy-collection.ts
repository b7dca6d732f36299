import { ApiError } from './api-errors.ts';
import { asObject, booleanField, stringField } from './json-body.ts';
import { Proxy, type ProxyContext } from './proxy.ts';

/** The fields of a proxy in a create or populate request, with Toxiproxy's defaults. */
function readProxy(value: unknown, what: string): { name: string; listen: string; upstream: string; enabled: boolean } {
  const input = asObject(value, what);
  return {
    name: stringField(input, 'name', ''),
    listen: stringField(input, 'listen', ''),
    upstream: stringField(input, 'upstream', ''),
    enabled: booleanField(input, 'enabled', true),
  };
}

/** The proxies of one server, by name. Callers make one change at a time. */
export class ProxyCollection {
  private readonly proxies = new Map<string, Proxy>();
  private readonly context: ProxyContext;

  constructor(context: ProxyContext) {
    this.context = context;
  }

  all(): Proxy[] {
    return [...this.proxies.values()];
  }

  get(name: string): Proxy {
    const proxy = this.proxies.get(name);
    if (!proxy) throw new ApiError('proxyNotFound');
    return proxy;
  }

  /** POST /proxies: a new proxy, started unless `enabled` is false. */
  async create(body: unknown): Promise<Proxy> {
    const input = readProxy(body, 'a proxy');
    if (input.name === '') throw new ApiError('missingField', 'name');
    if (input.upstream === '') throw new ApiError('missingField', 'upstream');
    if (this.proxies.has(input.name)) throw new ApiError('proxyAlreadyExists');
    const proxy = new Proxy(input.name, input.listen, input.upstream, this.context);
    if (input.enabled) await proxy.start();
    this.proxies.set(proxy.name, proxy);
    return proxy;
  }

  /**
   * POST /populate: checks every entry first, then creates each proxy, or
   * replaces the one of that name if its listen or upstream address differs
   * (an identical one is kept as it is, toxics and all). Returns the proxies
   * in request order; on a failure part way, those done so far and the error.
   */
  async populate(body: unknown): Promise<{ proxies: Proxy[]; error?: unknown }> {
    if (!Array.isArray(body)) throw new ApiError('badRequestBody', 'expected a JSON array of proxies');
    const inputs = body.map((value, i) => readProxy(value, `proxy ${i + 1}`));
    const names = new Set<string>();
    for (const [i, input] of inputs.entries()) {
      if (input.name === '') throw new ApiError('missingField', `name at proxy ${i + 1}`);
      if (input.upstream === '') throw new ApiError('missingField', `upstream at proxy ${i + 1}`);
      // A plain error, so a 500, as in Toxiproxy.
      if (names.has(input.name)) throw new Error(`duplicate proxy name ${JSON.stringify(input.name)}`);
      names.add(input.name);
      if (input.enabled) new Proxy(input.name, input.listen, input.upstream, this.context).checkListen();
    }
    const done: Proxy[] = [];
    for (const input of inputs) {
      try {
        const existing = this.proxies.get(input.name);
        if (existing && existing.listen === input.listen && existing.upstream === input.upstream) {
          done.push(existing);
          continue;
        }
        await existing?.stop();
        const proxy = new Proxy(input.name, input.listen, input.upstream, this.context);
        if (input.enabled) await proxy.start();
        this.proxies.set(proxy.name, proxy);
        done.push(proxy);
      } catch (error) {
        return { proxies: done, error };
      }
    }
    return { proxies: done };
  }

  async remove(name: string): Promise<void> {
    const proxy = this.get(name);
    await proxy.stop();
    this.proxies.delete(name);
  }

  /** POST /reset: every proxy enabled, every toxic removed. */
  async reset(): Promise<void> {
    for (const proxy of this.proxies.values()) {
      await proxy.start();
      await proxy.toxics.reset();
    }
  }

  /** Stops every proxy (the server is shutting down). */
  async clear(): Promise<void> {
    for (const proxy of this.proxies.values()) await proxy.stop();
    this.proxies.clear();
  }
}
