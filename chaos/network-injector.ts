import { Toxiproxy } from 'toxiproxy-node-client';
import { AftershockError } from '../scenarios/errors.ts';
import type { ChaosEventOf, Toxic as ToxicSpec } from '../scenarios/schema/chaos-schema.ts';
import type { Injector, InjectorContext } from './injector.ts';

type NetworkEvent = ChaosEventOf<'network'>;

/**
 * The Toxiproxy attributes of a toxic, in real time: durations are divided
 * by the time scale and rates multiplied by it, so the fault is the same
 * size relative to the devices' (scaled) timers as the scenario says. A
 * non-zero timeout stays non-zero (0 means "never" to Toxiproxy).
 */
export function toxicAttributes(toxic: Exclude<ToxicSpec, { type: 'down' }>, timeScale: number): Record<string, number> {
  const ms = (scenarioMs: number): number => Math.round(scenarioMs / timeScale);
  const nonZeroMs = (scenarioMs: number): number => (scenarioMs > 0 ? Math.max(1, ms(scenarioMs)) : 0);
  switch (toxic.type) {
    case 'latency':
      return { latency: ms(toxic.latencyMs), jitter: ms(toxic.jitterMs) };
    case 'bandwidth':
      return { rate: Math.round(toxic.rateKBps * timeScale) };
    case 'slow_close':
      return { delay: ms(toxic.delayMs) };
    case 'timeout':
      return { timeout: nonZeroMs(toxic.timeoutMs) };
    case 'reset_peer':
      return { timeout: ms(toxic.timeoutMs) };
    case 'slicer':
      return { average_size: toxic.averageSize, size_variation: toxic.sizeVariation, delay: Math.round(toxic.delayUs / timeScale) };
    case 'limit_data':
      return { bytes: toxic.bytes };
  }
}

/** The fault in the scenario's words, e.g. "latency 2000±1000 ms". */
function describeToxic(toxic: ToxicSpec): string {
  switch (toxic.type) {
    case 'latency':
      return `latency ${toxic.latencyMs}${toxic.jitterMs > 0 ? `±${toxic.jitterMs}` : ''} ms`;
    case 'bandwidth':
      return `bandwidth capped at ${toxic.rateKBps} KB/s`;
    case 'slow_close':
      return `closes held back ${toxic.delayMs} ms`;
    case 'timeout':
      return toxic.timeoutMs > 0 ? `data black-holed, connections closed after ${toxic.timeoutMs} ms idle` : 'data black-holed, connections left open';
    case 'reset_peer':
      return `connections reset (RST) ${toxic.timeoutMs} ms after data`;
    case 'slicer':
      return `data sliced into ${toxic.averageSize}±${toxic.sizeVariation} byte pieces ${toxic.delayUs} µs apart`;
    case 'limit_data':
      return `connections closed after ${toxic.bytes} bytes`;
    case 'down':
      return 'proxy down (new connects refused, open connections closed)';
  }
}

/** True for the client's error on an HTTP 404 (it keeps only the status in its message). */
function isNotFound(error: unknown): boolean {
  return error instanceof Error && /status code 404\b/.test(error.message);
}

/**
 * Network chaos through a Toxiproxy proxy in front of the target: a toxic
 * added on inject and deleted on undo, or for `down` the proxy disabled and
 * enabled again. Before the fault takes effect, its undo (an HTTP request to
 * the same Toxiproxy) is guarded by the chaos watchdog, so the fault is
 * lifted even if the harness dies.
 */
export function networkInjector(event: NetworkEvent, context: InjectorContext): Injector {
  const proxy = context.proxy;
  if (!proxy) {
    throw new AftershockError(
      'chaos-unsupported',
      'chaos "network" needs a Toxiproxy proxy in front of the target, and this run has none; start the target through startProxyFor (chaos/toxiproxy/proxy-for-target.ts)',
    );
  }
  const { toxic, stream, toxicity } = event;
  const client = new Toxiproxy(proxy.apiUrl);
  const proxyUrl = `${proxy.apiUrl}/proxies/${encodeURIComponent(proxy.name)}`;
  // One name per event: the scenario time it starts at tells two events of a kind apart.
  const toxicName = `aftershock_${toxic.type}_${stream}_at${Math.round(event.at)}ms`;
  const toxicUrl = `${proxyUrl}/toxics/${encodeURIComponent(toxicName)}`;
  let release: (() => void) | undefined;

  const failed = (action: string, error: unknown): AftershockError =>
    new AftershockError(
      'toxiproxy-request-failed',
      `could not ${action} on Toxiproxy proxy "${proxy.name}" at ${proxy.apiUrl}: ${(error as Error).message}; check that the Toxiproxy server is up and the proxy exists`,
      { cause: error },
    );

  const scaled = toxic.type !== 'down' && context.timeScale !== 1 ? ` (real time: ${JSON.stringify(toxicAttributes(toxic, context.timeScale))})` : '';
  const describe = (): string =>
    toxic.type === 'down'
      ? `network: ${describeToxic(toxic)}, proxy "${proxy.name}"; enabled again on undo`
      : `network: ${describeToxic(toxic)} on the ${stream} stream of ${Math.round(toxicity * 100)}% of connections${scaled}, proxy "${proxy.name}"`;

  return {
    kind: 'network',
    describe,
    async inject(signal) {
      signal?.throwIfAborted();
      if (release) return;
      if (toxic.type === 'down') {
        release = context.watchdog.guard({ kind: 'http', method: 'POST', url: proxyUrl, body: JSON.stringify({ enabled: true }) });
        try {
          const current = await client.get(proxy.name);
          await current.update({ enabled: false, listen: current.listen, upstream: current.upstream });
        } catch (error) {
          throw failed('disable the proxy', error);
        }
        return;
      }
      release = context.watchdog.guard({ kind: 'http', method: 'DELETE', url: toxicUrl });
      try {
        const current = await client.get(proxy.name);
        await current.addToxic({ name: toxicName, type: toxic.type, stream, toxicity, attributes: toxicAttributes(toxic, context.timeScale) });
      } catch (error) {
        throw failed(`add the ${toxic.type} toxic`, error);
      }
    },
    async undo() {
      if (!release) return;
      try {
        if (toxic.type === 'down') {
          const current = await client.get(proxy.name);
          if (!current.enabled) await current.update({ enabled: true, listen: current.listen, upstream: current.upstream });
        } else {
          await client.getApi().delete(toxicUrl);
        }
      } catch (error) {
        // Gone already (never added, or the proxy was reset or deleted): nothing left to undo.
        if (!isNotFound(error)) throw failed(toxic.type === 'down' ? 'enable the proxy again' : `remove the ${toxic.type} toxic`, error);
      }
      release();
      release = undefined;
    },
  };
}
