import { join, resolve } from 'node:path';
import { parseDuration } from '../duration.ts';
import { AftershockError, exitCodes } from '../errors.ts';
import { chaosEventsFileName, playChaos } from '../k6/chaos-play.ts';
import { targetUrlVariable } from '../k6/k6-script-config.ts';
import { applyOverrides, loadScenarioInput, type ScenarioOverrides } from '../load-scenario.ts';
import { validateScenario } from '../validate-scenario.ts';
import { parseFlags } from './parse-flags.ts';
import { describeShutdown, watchShutdown } from './shutdown-signals.ts';
import { runFolderTime } from './run-folder-time.ts';

export const chaosUsage = `usage: aftershock chaos play SCENARIO [options]

Plays only the scenario's chaos timeline against its target while an
external load (the k6 script from \`aftershock export k6\`) drives the
devices. Starts the target and prints the URL for k6, waits until the
backend counts every device online, injects and undoes each fault as
\`aftershock run\` does, and keeps the target up until the devices leave.

  --out DIR           folder for ${chaosEventsFileName} (every chaos step
                      and backend sample with its wall-clock time), the plan
                      and the backend's log (default runs/<scenario>-chaos-<time>)
  --devices N         devices the load brings (default the scenario's)
  --time-scale S, --seed X
                      override the scenario's own (use the export's values)
  --start-after D     start the timeline D after the target is up (e.g. 30s,
                      real time) instead of waiting for the devices
  --allow-remote      allow chaos against the scenario's remoteTargets

Then: aftershock report --from-k6 k6.json.gz --chaos DIR/${chaosEventsFileName} [RUN_DIR]

Exit codes: 0 the fleet came back, 1 it did not before the deadline, 2 bad input, 130 interrupted.`;

export async function chaosCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags('chaos', {
    args: argv,
    allowPositionals: true,
    options: {
      out: { type: 'string' },
      devices: { type: 'string' },
      'time-scale': { type: 'string' },
      seed: { type: 'string' },
      'start-after': { type: 'string' },
      'allow-remote': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(chaosUsage);
    return exitCodes.passed;
  }
  const [action, reference, ...extra] = positionals;
  if (action !== 'play') throw new AftershockError('bad-usage', action === undefined ? 'chaos needs an action: play (see `aftershock chaos --help`)' : `unknown chaos action "${action}"; actions: play`);
  if (reference === undefined || extra.length > 0) throw new AftershockError('bad-usage', 'chaos play takes one scenario; see `aftershock chaos --help`');
  const devices = values.devices === undefined ? undefined : Number(values.devices);
  if (devices !== undefined && (!Number.isInteger(devices) || devices <= 0)) throw new AftershockError('bad-flag', `--devices must be a whole number greater than 0, got "${values.devices}"`);
  const timeScale = values['time-scale'] === undefined ? undefined : Number(values['time-scale']);
  if (timeScale !== undefined && !(timeScale > 0)) throw new AftershockError('bad-flag', `--time-scale must be a number greater than 0, got "${values['time-scale']}"`);
  const startAfterMs = values['start-after'] === undefined ? undefined : parseDuration(values['start-after']);
  if (values['start-after'] !== undefined && startAfterMs === undefined) throw new AftershockError('bad-flag', `--start-after must be a duration such as "30s", got "${values['start-after']}"`);
  const overrides: ScenarioOverrides = { devices, timeScale, seed: values.seed };
  const { input, source } = await loadScenarioInput(reference);
  const scenario = validateScenario(applyOverrides(input, overrides), source);
  const runDir = resolve(values.out ?? join('runs', `${scenario.name}-chaos-${runFolderTime()}`));

  const shutdown = watchShutdown({ onRequest: (reason) => console.error(`aftershock: ${describeShutdown(reason)}: undoing the chaos in effect and stopping`) });
  try {
    const result = await playChaos({
      scenario,
      runDir,
      signal: shutdown.signal,
      allowRemote: values['allow-remote'],
      startAfterMs,
      onPlan: (plan) => console.log(plan.lines.join('\n')),
      onTarget: (target) => {
        console.log(`aftershock: target up; start the load now:`);
        console.log(`  k6 run -e ${targetUrlVariable}=${target.deviceBaseUrl} --out json=k6.json.gz aftershock-k6.js`);
      },
      onEvent: (event) => {
        if (event.type === 'chaos') console.log(`  ${new Date(event.epochMs).toISOString()}  chaos #${event.index + 1} ${event.action} ${event.kind}${event.detail ? `: ${event.detail}` : ''}`);
        else if (event.type === 'phase') console.log(`  ${new Date(event.epochMs).toISOString()}  ${event.phase}`);
      },
    });
    console.log(`aftershock: chaos timeline ${result.outcome === 'recovered' ? 'played; the fleet came back' : `ended: ${result.outcome}`}`);
    console.log(`  wrote       ${result.eventsPath}`);
    if (result.outcome === 'interrupted') return exitCodes.interrupted;
    return result.outcome === 'recovered' ? exitCodes.passed : exitCodes.thresholdFailed;
  } finally {
    shutdown.stop();
  }
}
