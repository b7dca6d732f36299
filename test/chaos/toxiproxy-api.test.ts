// The HTTP API: routes, JSON shapes, statuses and error bodies as Toxiproxy
// 2.x has them. Calls go through toxiproxy-node-client where it can make
// them; error bodies, which the client hides, are read with plain fetch.
// With TOXIPROXY_URL set, all but the embedded-only tests run against a
// real Toxiproxy.
import { afterEach, describe, expect, test } from 'vitest';
import { ToxiproxyError, type ICreateToxicBody } from 'toxiproxy-node-client';
import {
  destroyClients,
  listenPort,
  openClient,
  startEchoServer,
  startToxiproxyUnderTest,
  uniqueName,
  type TestUpstream,
  type ToxiproxyUnderTest,
} from './toxiproxy-fixtures.ts';

const embeddedOnly = test.skipIf(process.env.TOXIPROXY_URL !== undefined);

let toxiproxy: ToxiproxyUnderTest;
let upstream: TestUpstream | undefined;

afterEach(async () => {
  destroyClients();
  await toxiproxy?.stop();
  await upstream?.stop();
  upstream = undefined;
});

async function setUp(): Promise<{ upstreamAddress: string }> {
  upstream = await startEchoServer();
  toxiproxy = await startToxiproxyUnderTest();
  return { upstreamAddress: `127.0.0.1:${upstream.port}` };
}

/** A raw request, for what the client does not show: status, content type, body. */
async function raw(method: string, path: string, body?: string): Promise<{ status: number; type: string | null; text: string }> {
  const response = await fetch(toxiproxy.url + path, { method, body });
  return { status: response.status, type: response.headers.get('content-type'), text: await response.text() };
}

/** The body of an error reply, which Toxiproxy writes as JSON plus a newline. */
function errorOf(reply: { text: string }): unknown {
  expect(reply.text.endsWith('\n')).toBe(true);
  return JSON.parse(reply.text);
}

/** A toxic body with only some fields, as API users send them (the client's type wants them all). */
const partialToxic = (body: Partial<ICreateToxicBody<unknown>>): ICreateToxicBody<unknown> => body as ICreateToxicBody<unknown>;

describe('proxies', () => {
  test('create (201) listens on a free port and reports it; show and list return the same proxy', async () => {
    const { upstreamAddress } = await setUp();
    const name = uniqueName();
    const proxy = await toxiproxy.createProxy(upstream!.port, name);
    expect(proxy).toMatchObject({ name, upstream: upstreamAddress, enabled: true });
    expect(proxy.listen).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(listenPort(proxy)).toBeGreaterThan(0);
    expect((await toxiproxy.client.get(name)).toJson()).toEqual(proxy.toJson());
    expect((await toxiproxy.client.getAll())[name].toJson()).toEqual(proxy.toJson());

    const shown = await raw('GET', `/proxies/${name}`);
    expect(shown.status).toBe(200);
    expect(shown.type).toMatch(/^application\/json/);
    expect(JSON.parse(shown.text)).toEqual({ name, listen: proxy.listen, upstream: upstreamAddress, enabled: true, toxics: [] });
  });

  test('a duplicate name is 409, an unknown proxy 404, a missing field or bad JSON 400, with Toxiproxy error bodies', async () => {
    const { upstreamAddress } = await setUp();
    const proxy = await toxiproxy.createProxy(upstream!.port);

    await expect(toxiproxy.client.createProxy({ name: proxy.name, listen: '127.0.0.1:0', upstream: upstreamAddress })).rejects.toThrow(
      new ToxiproxyError('Error', 'Request failed with status code 409'),
    );
    const duplicate = await raw('POST', '/proxies', JSON.stringify({ name: proxy.name, listen: '127.0.0.1:0', upstream: upstreamAddress }));
    expect(duplicate.status).toBe(409);
    expect(errorOf(duplicate)).toEqual({ error: 'proxy already exists', status: 409 });

    await expect(toxiproxy.client.get('no_such_proxy')).rejects.toThrow('Request failed with status code 404');
    for (const [method, path] of [['GET', '/proxies/no_such_proxy'], ['DELETE', '/proxies/no_such_proxy'], ['GET', '/proxies/no_such_proxy/toxics']]) {
      const missing = await raw(method, path, undefined);
      expect(missing.status).toBe(404);
      expect(errorOf(missing)).toEqual({ error: 'proxy not found', status: 404 });
    }

    const noName = await raw('POST', '/proxies', JSON.stringify({ listen: '127.0.0.1:0', upstream: upstreamAddress }));
    expect(noName.status).toBe(400);
    expect(errorOf(noName)).toEqual({ error: 'missing required field: name', status: 400 });
    const noUpstream = await raw('POST', '/proxies', JSON.stringify({ name: uniqueName(), listen: '127.0.0.1:0' }));
    expect(errorOf(noUpstream)).toEqual({ error: 'missing required field: upstream', status: 400 });
    const badJson = await raw('POST', '/proxies', '{bad');
    expect(badJson.status).toBe(400);
    expect(errorOf(badJson)).toMatchObject({ error: expect.stringMatching(/^bad request body: /), status: 400 });
  });

  test('update with enabled false takes the proxy down, true brings it back on the same address', async () => {
    await setUp();
    const proxy = await toxiproxy.createProxy(upstream!.port);
    const down = await proxy.update({ enabled: false, listen: proxy.listen, upstream: proxy.upstream });
    expect(down.toJson()).toEqual({ ...proxy.toJson(), enabled: false });
    expect((await toxiproxy.client.get(proxy.name)).enabled).toBe(false);
    const up = await proxy.update({ enabled: true, listen: proxy.listen, upstream: proxy.upstream });
    expect(up.toJson()).toEqual(proxy.toJson());
  });

  test('update with a new listen address restarts the proxy there', async () => {
    await setUp();
    const proxy = await toxiproxy.createProxy(upstream!.port);
    const moved = await proxy.update({ enabled: true, listen: '127.0.0.1:0', upstream: proxy.upstream });
    expect(listenPort(moved)).not.toBe(listenPort(proxy));
    await expect(openClient(listenPort(proxy))).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    const client = await openClient(listenPort(moved));
    client.socket.write('hi');
    await client.waitForBytes(2, 2000);
  });

  test('delete (204) stops the proxy and forgets it', async () => {
    await setUp();
    const proxy = await toxiproxy.createProxy(upstream!.port);
    const reply = await raw('DELETE', `/proxies/${proxy.name}`);
    expect(reply).toMatchObject({ status: 204, text: '' });
    await expect(toxiproxy.client.get(proxy.name)).rejects.toThrow('Request failed with status code 404');
    await expect(openClient(listenPort(proxy))).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});

describe('toxics', () => {
  test('a toxic gets Toxiproxy defaults: name <type>_<stream>, downstream, toxicity 1, zero attributes', async () => {
    await setUp();
    const proxy = await toxiproxy.createProxy(upstream!.port);
    const toxic = await proxy.addToxic(partialToxic({ type: 'slicer' }));
    expect(toxic.toJson()).toEqual({
      name: 'slicer_downstream',
      type: 'slicer',
      stream: 'downstream',
      toxicity: 1,
      attributes: { average_size: 0, size_variation: 0, delay: 0 },
    });
    const upstreamToxic = await proxy.addToxic(partialToxic({ type: 'latency', stream: 'upstream', attributes: { latency: 10 } }));
    expect(upstreamToxic.toJson()).toMatchObject({ name: 'latency_upstream', attributes: { latency: 10, jitter: 0 } });

    // Listed upstream first, then downstream, each in the order added.
    const listed = await raw('GET', `/proxies/${proxy.name}/toxics`);
    expect(JSON.parse(listed.text).map((t: { name: string }) => t.name)).toEqual(['latency_upstream', 'slicer_downstream']);
    expect((await toxiproxy.client.get(proxy.name)).name).toBe(proxy.name);
  });

  test('each toxic type is accepted with its attributes and shown back as sent', async () => {
    await setUp();
    const proxy = await toxiproxy.createProxy(upstream!.port);
    const bodies = [
      { type: 'latency', attributes: { latency: 100, jitter: 10 } },
      { type: 'bandwidth', attributes: { rate: 64 } },
      { type: 'slow_close', attributes: { delay: 50 } },
      { type: 'timeout', attributes: { timeout: 500 } },
      { type: 'reset_peer', attributes: { timeout: 20 } },
      { type: 'slicer', attributes: { average_size: 64, size_variation: 8, delay: 100 } },
      { type: 'limit_data', attributes: { bytes: 4096 } },
    ] as const;
    for (const body of bodies) {
      const toxic = await proxy.addToxic(partialToxic({ ...body, name: `t_${body.type}`, stream: 'upstream', toxicity: 0.5 }));
      expect(toxic.toJson()).toEqual({ ...body, name: `t_${body.type}`, stream: 'upstream', toxicity: 0.5 });
      expect((await proxy.getToxic(`t_${body.type}`)).toJson()).toEqual(toxic.toJson());
    }
  });

  test('duplicate toxic 409, unknown type 400 ("down" is not a toxic), bad stream 400, unknown toxic 404, unknown proxy 404', async () => {
    await setUp();
    const proxy = await toxiproxy.createProxy(upstream!.port);
    await proxy.addToxic(partialToxic({ name: 'slow', type: 'latency', attributes: { latency: 10 } }));
    const path = `/proxies/${proxy.name}/toxics`;

    await expect(proxy.addToxic(partialToxic({ name: 'slow', type: 'latency' }))).rejects.toThrow('Request failed with status code 409');
    expect(errorOf(await raw('POST', path, JSON.stringify({ name: 'slow', type: 'latency' })))).toEqual({ error: 'toxic already exists', status: 409 });

    await expect(proxy.addToxic(partialToxic({ type: 'down' as never }))).rejects.toThrow('Request failed with status code 400');
    const badType = await raw('POST', path, JSON.stringify({ type: 'down' }));
    expect(badType.status).toBe(400);
    expect(errorOf(badType)).toEqual({ error: 'invalid toxic type', status: 400 });

    const badStream = await raw('POST', path, JSON.stringify({ type: 'latency', stream: 'sideways' }));
    expect(errorOf(badStream)).toEqual({ error: 'stream was invalid, can be either upstream or downstream', status: 400 });

    await expect(proxy.getToxic('nope')).rejects.toThrow('Request failed with status code 404');
    for (const method of ['GET', 'DELETE', 'POST']) {
      const missing = await raw(method, `${path}/nope`, method === 'POST' ? '{}' : undefined);
      expect(missing.status).toBe(404);
      expect(errorOf(missing)).toEqual({ error: 'toxic not found', status: 404 });
    }
    const noProxy = await raw('POST', '/proxies/no_such_proxy/toxics', JSON.stringify({ type: 'latency' }));
    expect(errorOf(noProxy)).toEqual({ error: 'proxy not found', status: 404 });
  });

  test('update changes attributes and toxicity only; delete is 204', async () => {
    await setUp();
    const proxy = await toxiproxy.createProxy(upstream!.port);
    const toxic = await proxy.addToxic(partialToxic({ name: 'lag', type: 'latency', attributes: { latency: 100, jitter: 5 } }));
    const updated = await toxic.update(partialToxic({ type: 'bandwidth', stream: 'upstream', toxicity: 0.25, attributes: { latency: 7 } as never }));
    // The type and stream stay; unmentioned attributes keep their values.
    expect(updated.toJson()).toEqual({ name: 'lag', type: 'latency', stream: 'downstream', toxicity: 0.25, attributes: { latency: 7, jitter: 5 } });

    const deleted = await raw('DELETE', `/proxies/${proxy.name}/toxics/lag`);
    expect(deleted).toMatchObject({ status: 204, text: '' });
    await expect(proxy.getToxic('lag')).rejects.toThrow('Request failed with status code 404');
  });
});

describe('populate, reset, version', () => {
  test('populate (201) creates proxies, keeps identical ones with their toxics, replaces changed ones', async () => {
    const { upstreamAddress } = await setUp();
    const [a, b] = [uniqueName(), uniqueName()];
    const created = await toxiproxy.client.populate([
      { name: a, listen: '127.0.0.1:0', upstream: upstreamAddress },
      { name: b, listen: '127.0.0.1:0', upstream: upstreamAddress, enabled: false },
    ]);
    expect(Object.keys(created).sort()).toEqual([a, b].sort());
    expect(created[a].enabled).toBe(true);
    expect(created[b].enabled).toBe(false);
    const first = created[a];
    await first.addToxic(partialToxic({ name: 'kept', type: 'latency' }));

    // Same listen and upstream: left as it is, toxics and all.
    const again = await toxiproxy.client.populate([{ name: a, listen: first.listen, upstream: upstreamAddress }]);
    expect(again[a].toJson()).toEqual(first.toJson());
    expect((await first.getToxic('kept')).name).toBe('kept');

    // A different upstream: replaced by a fresh proxy, without the old toxics.
    const other = await startEchoServer();
    try {
      const replaced = await toxiproxy.client.populate([{ name: a, listen: first.listen, upstream: `127.0.0.1:${other.port}` }]);
      expect(replaced[a].upstream).toBe(`127.0.0.1:${other.port}`);
      await expect(first.getToxic('kept')).rejects.toThrow('Request failed with status code 404');
    } finally {
      await other.stop();
    }
  });

  test('populate reports a bad entry with its position and changes nothing', async () => {
    const { upstreamAddress } = await setUp();
    const good = uniqueName();
    const reply = await raw('POST', '/populate', JSON.stringify([{ name: good, listen: '127.0.0.1:0', upstream: upstreamAddress }, { listen: '127.0.0.1:0', upstream: upstreamAddress }]));
    expect(reply.status).toBe(400);
    expect(JSON.parse(reply.text)).toEqual({ error: 'missing required field: name at proxy 2', status: 400, proxies: null });
    await expect(toxiproxy.client.get(good)).rejects.toThrow('Request failed with status code 404');
  });

  test('reset (204) enables every proxy and removes every toxic', async () => {
    await setUp();
    const proxy = await toxiproxy.createProxy(upstream!.port);
    await proxy.addToxic(partialToxic({ name: 'gone', type: 'timeout' }));
    await proxy.update({ enabled: false, listen: proxy.listen, upstream: proxy.upstream });

    await toxiproxy.client.reset();
    const after = await toxiproxy.client.get(proxy.name);
    expect(after.enabled).toBe(true);
    expect(after.listen).toBe(proxy.listen);
    await expect(after.getToxic('gone')).rejects.toThrow('Request failed with status code 404');
    const client = await openClient(listenPort(after));
    client.socket.write('ok');
    await client.waitForBytes(2, 2000);
  });

  test('version answers {"version": ...}', async () => {
    await setUp();
    const text = await toxiproxy.client.getVersion();
    expect(JSON.parse(text)).toEqual({ version: expect.any(String) });
  });
});

describe('embedded server only', () => {
  embeddedOnly('unknown routes are 404 "404 page not found", a wrong method 405, a browser 403', async () => {
    await setUp();
    expect(await raw('GET', '/nope')).toMatchObject({ status: 404, text: '404 page not found\n' });
    expect(await raw('GET', '/metrics')).toMatchObject({ status: 404 });
    expect((await raw('PUT', '/proxies')).status).toBe(405);
    const browser = await fetch(`${toxiproxy.url}/proxies`, { headers: { 'User-Agent': 'Mozilla/5.0' } });
    expect(browser.status).toBe(403);
    expect(await browser.text()).toBe('User agent not allowed\n');
    expect(JSON.parse(await toxiproxy.client.getVersion()).version).toMatch(/aftershock/);
  });

  embeddedOnly('proxies stay on loopback: another listen address is 403 and names the flag that allows it', async () => {
    const { upstreamAddress } = await setUp();
    const reply = await raw('POST', '/proxies', JSON.stringify({ name: uniqueName(), listen: '0.0.0.0:0', upstream: upstreamAddress }));
    expect(reply.status).toBe(403);
    expect(errorOf(reply)).toEqual({
      error: 'listen address not allowed: 0.0.0.0:0 is not a loopback address; start the server with --allow-remote to listen on other interfaces',
      status: 403,
    });
    // An empty listen address means every interface to Go's net.Listen, so it is refused too.
    const empty = await raw('POST', '/proxies', JSON.stringify({ name: uniqueName(), listen: '', upstream: upstreamAddress }));
    expect(empty.status).toBe(403);
  });

  embeddedOnly('a listen address in use is a 500 worded as Toxiproxy words it', async () => {
    await setUp();
    const taken = await toxiproxy.createProxy(upstream!.port);
    const reply = await raw('POST', '/proxies', JSON.stringify({ name: uniqueName(), listen: taken.listen, upstream: taken.upstream }));
    expect(reply.status).toBe(500);
    expect(errorOf(reply)).toEqual({ error: `listen tcp ${taken.listen}: bind: address already in use`, status: 500 });
  });
});
