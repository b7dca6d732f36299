// Toxics one at a time on a stub, with fake timers and an injected random
// stream: jitter and slice sizes come from the rng, an interrupt hands every
// chunk on at once. And, on real connections, toxicity draws come from the
// embedded server's injected rng.
import { afterEach, describe, expect, test, vi } from 'vitest';
import { ChunkChannel, type StreamItem } from '../../chaos/toxiproxy/chunk-channel.ts';
import { ToxicStub, type Rng } from '../../chaos/toxiproxy/toxic-stub.ts';
import { toxicTypes } from '../../chaos/toxiproxy/toxics/index.ts';
import { sliceEnds } from '../../chaos/toxiproxy/toxics/slicer-toxic.ts';
import { destroyClients, listenPort, openClient, startEchoServer, startToxiproxyUnderTest, type TestUpstream, type ToxiproxyUnderTest } from './toxiproxy-fixtures.ts';

afterEach(() => {
  vi.useRealTimers();
});

/** A stub between two fresh queues, on the fake clock. */
function stubWith(rng: Rng): { stub: ToxicStub; input: ChunkChannel; output: ChunkChannel } {
  const input = new ChunkChannel(4);
  const output = new ChunkChannel(1024);
  return { stub: new ToxicStub(input, output, rng, () => Date.now()), input, output };
}

function drain(channel: ChunkChannel): StreamItem[] {
  const items: StreamItem[] = [];
  for (let item = channel.take(); item !== undefined; item = channel.take()) items.push(item);
  return items;
}

describe('toxics on a stub', () => {
  test('latency draws its jitter from the rng: uniform in [latency - jitter, latency + jitter)', async () => {
    vi.useFakeTimers();
    for (const [draw, expectedMs] of [[0, 70], [0.5, 100], [0.9999, 129]] as const) {
      const { stub, input, output } = stubWith(() => draw);
      stub.run(toxicTypes.latency.create({ latency: 100, jitter: 30 }));
      input.push({ data: Buffer.from('x'), readAtMs: Date.now() });
      await vi.advanceTimersByTimeAsync(expectedMs - 1);
      expect(output.length).toBe(0);
      await vi.advanceTimersByTimeAsync(1);
      expect(output.length).toBe(1);
      stub.dispose();
    }
  });

  test('an interrupt hands a delayed chunk on at once, and the stub can run again', async () => {
    vi.useFakeTimers();
    const { stub, input, output } = stubWith(() => 0);
    stub.run(toxicTypes.latency.create({ latency: 10_000, jitter: 0 }));
    input.push({ data: Buffer.from('held'), readAtMs: Date.now() });
    await vi.advanceTimersByTimeAsync(5);
    expect(await stub.interrupt()).toBe(true);
    expect(drain(output).map((item) => item?.data.toString())).toEqual(['held']);
    stub.run(toxicTypes.latency.create({ latency: 0, jitter: 0 }));
    input.push(null);
    await vi.advanceTimersByTimeAsync(0);
    expect(drain(output)).toEqual([null]);
    expect(stub.closed).toBe(true);
    expect(await stub.interrupt()).toBe(false);
  });

  test('slow_close interrupted while holding the close puts the end back, so nothing is lost', async () => {
    vi.useFakeTimers();
    const { stub, input, output } = stubWith(() => 0);
    stub.run(toxicTypes.slow_close.create({ delay: 1000 }));
    input.push(null);
    await vi.advanceTimersByTimeAsync(10);
    expect(await stub.interrupt()).toBe(true);
    expect(output.length).toBe(0);
    expect(drain(input)).toEqual([null]);
  });

  test('slice sizes come from the rng, never exceed average + variation, and add up to the chunk', () => {
    const rng = (): Rng => {
      let i = 0;
      return () => [0.1, 0.9, 0.5, 0.3][i++ % 4];
    };
    const ends = sliceEnds(10_000, 100, 20, rng());
    expect(ends).toEqual(sliceEnds(10_000, 100, 20, rng()));
    expect(ends.at(-1)).toBe(10_000);
    const sizes = ends.map((end, i) => end - (i === 0 ? 0 : ends[i - 1]));
    expect(Math.max(...sizes)).toBeLessThanOrEqual(120);
    expect(Math.min(...sizes)).toBeGreaterThan(0);
    expect(sizes.length).toBeGreaterThanOrEqual(10_000 / 120);
    // Nothing to cut, and no endless halving with an average of 1 and no variation.
    expect(sliceEnds(0, 100, 20, rng())).toEqual([]);
    expect(sliceEnds(5, 1, 0, rng())).toEqual([1, 2, 3, 4, 5]);
  });

  test('limit_data counts bytes per connection across runs (an update keeps the count)', async () => {
    const { stub, input, output } = stubWith(() => 0);
    stub.state = toxicTypes.limit_data.create({ bytes: 10 }).newState?.();
    stub.run(toxicTypes.limit_data.create({ bytes: 10 }));
    input.push({ data: Buffer.alloc(6), readAtMs: 0 });
    await vi.waitFor(() => expect(output.length).toBe(1));
    expect(await stub.interrupt()).toBe(true);
    stub.run(toxicTypes.limit_data.create({ bytes: 10 }));
    input.push({ data: Buffer.alloc(6), readAtMs: 0 });
    await vi.waitFor(() => expect(stub.closed).toBe(true));
    expect(drain(output).map((item) => item?.data.length ?? null)).toEqual([6, 4, null]);
  });
});

describe.skipIf(process.env.TOXIPROXY_URL !== undefined)('toxicity on the embedded server', () => {
  let toxiproxy: ToxiproxyUnderTest | undefined;
  let echo: TestUpstream | undefined;
  afterEach(async () => {
    destroyClients();
    await toxiproxy?.stop();
    await echo?.stop();
    toxiproxy = echo = undefined;
  });

  test('each new connection draws once from the injected rng: below the toxicity it gets the toxic', async () => {
    const draws = [0.2, 0.7, 0.49, 0.5];
    let i = 0;
    echo = await startEchoServer();
    toxiproxy = await startToxiproxyUnderTest({ rng: () => draws[i++] ?? 0.99 });
    const proxy = await toxiproxy.createProxy(echo.port);
    await proxy.addToxic({ name: 'half', type: 'timeout', stream: 'downstream', toxicity: 0.5, attributes: { timeout: 0 } });
    const hit: boolean[] = [];
    for (let n = 0; n < draws.length; n++) {
      const client = await openClient(listenPort(proxy));
      client.socket.write('ping');
      hit.push(await client.waitForBytes(4, 500).then(() => false, () => true));
    }
    expect(hit).toEqual([true, false, true, false]);
  });
});
