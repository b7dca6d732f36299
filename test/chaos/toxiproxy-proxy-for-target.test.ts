// startProxyFor: the proxy the runner puts in front of the backend, on the
// embedded server or on an external Toxiproxy (here another server standing
// in for TOXIPROXY_URL).
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { Toxiproxy } from 'toxiproxy-node-client';
import { startProxyFor, type StartedTargetProxy } from '../../chaos/toxiproxy/proxy-for-target.ts';
import { ChaosWatchdog } from '../../chaos/watchdog/chaos-watchdog.ts';
import { destroyClients, openClient, startEchoServer, startToxiproxyUnderTest, uniqueName, type TestUpstream, type ToxiproxyUnderTest } from './toxiproxy-fixtures.ts';

let echo: TestUpstream | undefined;
let proxy: StartedTargetProxy | undefined;
let external: ToxiproxyUnderTest | undefined;
let watchdog: ChaosWatchdog | undefined;

afterEach(async () => {
  destroyClients();
  await proxy?.stop();
  await external?.stop();
  await watchdog?.close();
  await echo?.stop();
  echo = proxy = external = watchdog = undefined;
});

const runDir = (): string => mkdtempSync(join(tmpdir(), 'aftershock-proxy-'));

async function echoThrough(host: string, port: number): Promise<void> {
  const client = await openClient(port);
  expect(host).toBe('127.0.0.1');
  client.socket.write('hello');
  await client.waitForBytes(5, 2000);
  expect(client.received().toString()).toBe('hello');
}

describe('startProxyFor', () => {
  test('without TOXIPROXY_URL: an embedded server on 127.0.0.1 whose proxy carries traffic; stop closes it', async () => {
    echo = await startEchoServer();
    const dir = runDir();
    proxy = await startProxyFor({ host: '127.0.0.1', port: echo.port }, { runDir: dir, toxiproxyUrl: '' });
    expect(proxy.external).toBe(false);
    expect(proxy.name).toMatch(/^aftershock_aftershock-proxy-/);
    expect(proxy.apiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    await echoThrough(proxy.listenHost, proxy.listenPort);
    expect((await new Toxiproxy(proxy.apiUrl).get(proxy.name)).upstream).toBe(`127.0.0.1:${echo.port}`);

    await proxy.stop();
    await proxy.stop();
    await expect(openClient(proxy.listenPort)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await expect(fetch(`${proxy.apiUrl}/version`)).rejects.toThrow();
    expect(readFileSync(join(dir, 'toxiproxy.log'), 'utf8')).toMatch(new RegExp(`proxy ${proxy.name}: started on 127\\.0\\.0\\.1:${proxy.listenPort}`));
  });

  test('with a Toxiproxy URL: the proxy is made there, its deletion guarded; stop deletes it and leaves the server up', async () => {
    echo = await startEchoServer();
    external = await startToxiproxyUnderTest();
    const dir = runDir();
    watchdog = await ChaosWatchdog.start(dir);
    const name = uniqueName('aftershock_ext');
    proxy = await startProxyFor({ host: '127.0.0.1', port: echo.port }, { runDir: dir, name, watchdog, toxiproxyUrl: `${external.url}/` });
    expect(proxy).toMatchObject({ apiUrl: external.url, name, external: true });
    expect(watchdog.guarded).toEqual([{ kind: 'http', method: 'DELETE', url: `${external.url}/proxies/${name}` }]);
    await echoThrough(proxy.listenHost, proxy.listenPort);

    await proxy.stop();
    expect(watchdog.guarded).toEqual([]);
    await expect(external.client.get(name)).rejects.toThrow('Request failed with status code 404');
    expect(JSON.parse(await external.client.getVersion())).toHaveProperty('version');
  });

  test('a name already taken on the server is an error that says how to clear it', async () => {
    echo = await startEchoServer();
    external = await startToxiproxyUnderTest();
    const taken = await external.createProxy(echo.port);
    await expect(startProxyFor({ host: '127.0.0.1', port: echo.port }, { runDir: runDir(), name: taken.name, toxiproxyUrl: external.url })).rejects.toThrow(
      `Toxiproxy at ${external.url} already has a proxy named "${taken.name}" (left by an earlier run?); delete it (curl -X DELETE ${external.url}/proxies/${taken.name}) or use another run folder`,
    );
  });

  test('an unreachable TOXIPROXY_URL is an error that names it and the way out', async () => {
    await expect(startProxyFor({ host: '127.0.0.1', port: 9 }, { runDir: runDir(), toxiproxyUrl: 'http://127.0.0.1:1' })).rejects.toMatchObject({
      code: 'toxiproxy-unreachable',
      message: expect.stringMatching(/on Toxiproxy at http:\/\/127\.0\.0\.1:1 \(TOXIPROXY_URL\): .*unset TOXIPROXY_URL to use the embedded server/),
    });
  });
});
