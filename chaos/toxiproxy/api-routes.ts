import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, errorBody } from './api-errors.ts';
import { asObject, booleanField, parseBody, stringField } from './json-body.ts';
import type { Proxy, ProxyJson } from './proxy.ts';
import type { ProxyCollection } from './proxy-collection.ts';

/** What a handler answers; the router turns it into an HTTP response. */
type Reply =
  | { status: number; json: unknown }
  | { status: 204 }
  | { status: number; raw: string; contentType: string };

type Params = Record<string, string>;
type Handler = (params: Params, body: () => Promise<unknown>) => Promise<Reply>;

interface Route {
  /** Path segments; `{name}` matches one segment. */
  segments: string[];
  /** Handlers by method; `mutates` ones run one at a time. */
  methods: Record<string, { handler: Handler; mutates: boolean }>;
}

/** Largest request body read, in bytes (a populate of thousands of proxies fits). */
const maxBodyBytes = 4 * 1024 * 1024;

function proxyJson(proxy: Proxy): ProxyJson {
  return proxy.toJSON();
}

/**
 * The Toxiproxy 2.x HTTP API over a proxy collection: the routes, JSON
 * shapes and statuses of api.go (201 for a created proxy and for populate,
 * 200 for a created toxic, 204 for deletes and reset, errors as
 * `{"error": ..., "status": ...}`). Returns the request listener.
 */
export function createApiHandler(proxies: ProxyCollection, version: string): (request: IncomingMessage, response: ServerResponse) => void {
  const ok = (json: unknown): Reply => ({ status: 200, json });
  const noContent: Reply = { status: 204 };

  const routes: Route[] = [
    {
      segments: ['reset'],
      methods: {
        POST: {
          mutates: true,
          handler: async () => {
            await proxies.reset();
            return noContent;
          },
        },
      },
    },
    {
      segments: ['proxies'],
      methods: {
        GET: { mutates: false, handler: async () => ok(Object.fromEntries(proxies.all().map((p) => [p.name, proxyJson(p)]))) },
        POST: { mutates: true, handler: async (_, body) => ({ status: 201, json: proxyJson(await proxies.create(await body())) }) },
      },
    },
    {
      segments: ['populate'],
      methods: {
        POST: {
          mutates: true,
          handler: async (_, body) => {
            // Populate answers errors in its own shape: the error fields, then the proxies done (null when none).
            let result: { proxies: Proxy[]; error?: unknown };
            try {
              result = await proxies.populate(await body());
            } catch (error) {
              result = { proxies: [], error };
            }
            const list = result.proxies.length > 0 ? result.proxies.map(proxyJson) : null;
            if (result.error === undefined) return { status: 201, json: { proxies: list } };
            const { error, status } = errorBody(result.error);
            return { status, json: { error, status, proxies: list } };
          },
        },
      },
    },
    {
      segments: ['proxies', '{proxy}'],
      methods: {
        GET: { mutates: false, handler: async ({ proxy }) => ok(proxyJson(proxies.get(proxy))) },
        POST: { mutates: true, handler: (params, body) => updateProxy(params, body) },
        PATCH: { mutates: true, handler: (params, body) => updateProxy(params, body) },
        DELETE: {
          mutates: true,
          handler: async ({ proxy }) => {
            await proxies.remove(proxy);
            return noContent;
          },
        },
      },
    },
    {
      segments: ['proxies', '{proxy}', 'toxics'],
      methods: {
        GET: { mutates: false, handler: async ({ proxy }) => ok(proxies.get(proxy).toxics.list().map((t) => t.toJSON())) },
        POST: {
          mutates: true,
          handler: async ({ proxy }, body) => {
            const found = proxies.get(proxy);
            return ok((await found.toxics.add(await body())).toJSON());
          },
        },
      },
    },
    {
      segments: ['proxies', '{proxy}', 'toxics', '{toxic}'],
      methods: {
        GET: { mutates: false, handler: async ({ proxy, toxic }) => ok(proxies.get(proxy).toxics.get(toxic).toJSON()) },
        POST: { mutates: true, handler: (params, body) => updateToxic(params, body) },
        PATCH: { mutates: true, handler: (params, body) => updateToxic(params, body) },
        DELETE: {
          mutates: true,
          handler: async ({ proxy, toxic }) => {
            await proxies.get(proxy).toxics.remove(toxic);
            return noContent;
          },
        },
      },
    },
    {
      segments: ['version'],
      methods: {
        GET: {
          mutates: false,
          handler: async () => ({ status: 200, raw: `{"version": ${JSON.stringify(version)}}\n`, contentType: 'application/json;charset=utf-8' }),
        },
      },
    },
  ];

  async function updateProxy({ proxy }: Params, body: () => Promise<unknown>): Promise<Reply> {
    const found = proxies.get(proxy);
    // Fields left out keep their current values.
    const fields = asObject(await body(), 'a proxy');
    await found.update({
      listen: stringField(fields, 'listen', found.listen),
      upstream: stringField(fields, 'upstream', found.upstream),
      enabled: booleanField(fields, 'enabled', found.enabled),
    });
    return ok(proxyJson(found));
  }

  async function updateToxic({ proxy, toxic }: Params, body: () => Promise<unknown>): Promise<Reply> {
    const found = proxies.get(proxy);
    return ok((await found.toxics.update(toxic, await body())).toJSON());
  }

  // Changes run one at a time, as Toxiproxy's locks make them.
  let changes: Promise<unknown> = Promise.resolve();
  const serialized = <T>(step: () => Promise<T>): Promise<T> => {
    const next = changes.then(step);
    changes = next.catch(() => undefined);
    return next;
  };

  return (request, response) => {
    void handle(request).then(
      (reply) => send(response, reply),
      (error: unknown) => sendError(response, error),
    );
  };

  async function handle(request: IncomingMessage): Promise<Reply> {
    // As Toxiproxy: no browsers, so a web page cannot drive the API by cross-site requests.
    if ((request.headers['user-agent'] ?? '').startsWith('Mozilla/')) {
      request.resume();
      return { status: 403, raw: 'User agent not allowed\n', contentType: 'text/plain; charset=utf-8' };
    }
    const path = new URL(request.url ?? '/', 'http://toxiproxy').pathname;
    const segments = path.split('/').slice(1);
    for (const route of routes) {
      const params = matchRoute(route.segments, segments);
      if (!params) continue;
      const method = route.methods[request.method ?? 'GET'];
      if (!method) {
        request.resume();
        return { status: 405, raw: '', contentType: 'text/plain; charset=utf-8' };
      }
      const body = (): Promise<unknown> => readBody(request).then(parseBody);
      return method.mutates ? serialized(() => method.handler(params, body)) : method.handler(params, body);
    }
    request.resume();
    return { status: 404, raw: '404 page not found\n', contentType: 'text/plain; charset=utf-8' };
  }
}

function matchRoute(pattern: string[], segments: string[]): Params | undefined {
  if (pattern.length !== segments.length) return undefined;
  const params: Params = {};
  for (const [i, part] of pattern.entries()) {
    const segment = segments[i];
    if (part.startsWith('{')) {
      if (segment === '') return undefined;
      try {
        params[part.slice(1, -1)] = decodeURIComponent(segment);
      } catch {
        return undefined;
      }
    } else if (part !== segment) {
      return undefined;
    }
  }
  return params;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBodyBytes) throw new ApiError('badRequestBody', `larger than ${maxBodyBytes} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function send(response: ServerResponse, reply: Reply): void {
  if ('json' in reply) {
    response.writeHead(reply.status, { 'Content-Type': 'application/json' });
    response.end(JSON.stringify(reply.json));
  } else if ('raw' in reply) {
    const headers: Record<string, string> = { 'Content-Type': reply.contentType };
    if (reply.status >= 400) headers['X-Content-Type-Options'] = 'nosniff';
    response.writeHead(reply.status, headers);
    response.end(reply.raw);
  } else {
    response.writeHead(reply.status);
    response.end();
  }
}

/** Errors go out as Go's http.Error writes them: the JSON body plus a newline, as plain text. */
function sendError(response: ServerResponse, error: unknown): void {
  const body = errorBody(error);
  if (response.headersSent) {
    response.destroy();
    return;
  }
  response.writeHead(body.status, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
  response.end(JSON.stringify(body) + '\n');
}
