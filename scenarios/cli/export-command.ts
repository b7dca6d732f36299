import { resolve } from 'node:path';
import { formatDuration } from '../duration.ts';
import { AftershockError, exitCodes } from '../errors.ts';
import { exportK6 } from '../k6/export-k6.ts';
import { k6NamedModuleSets, k6Releases, k6TargetFor, moduleSetRanges, parseModuleSet, pinnedK6Version } from '../k6/k6-versions.ts';
import { targetUrlVariable } from '../k6/k6-script-config.ts';
import { applyOverrides, loadScenarioInput, type ScenarioOverrides } from '../load-scenario.ts';
import { validateScenario } from '../validate-scenario.ts';
import { parseFlags } from './parse-flags.ts';

export const exportUsage = `usage: aftershock export k6 SCENARIO --out DIR [options]

Writes the scenario as a k6 script and the k6 operator's manifests, for
fleets larger than one machine holds:

  DIR/aftershock-k6.js   the k6 script (bundled: policy, device state machine
                         and protocol included); each VU holds many devices
  DIR/scenario.json      the normalised scenario (its thresholds are what
                         \`aftershock report --from-k6\` evaluates)
  DIR/testrun.yaml       the k6 operator's TestRun (k6.io/v1alpha1)
  DIR/configmap.yaml     the ConfigMap holding the script
  DIR/results-pvc.yaml   the ReadWriteMany claim the runners write their
                         JSON output to, one folder per runner pod

  SCENARIO              a built-in scenario name or a scenario file
  --out DIR             where to write (required)
  --k6-version X.Y      the k6 release the script and the runner image are
                        for (default ${pinnedK6Version}; supported v${k6Releases[0].version.replace(/\.0$/, '')} to v${pinnedK6Version.split('.')[0]}.x).
                        It picks the modules that release has:
${moduleSetRanges().map((line) => `                          ${line}`).join('\n')}
                        and the image grafana/k6:X.Y.Z in testrun.yaml
  --k6-modules M        expert override of those modules: ${Object.keys(k6NamedModuleSets).join(', ')}, or
                        WEBSOCKETS,TIMERS (module paths); refused if the
                        chosen k6 version lacks one
  --parallelism N       k6 instances (operator runners), default 1
  --devices-per-vu N    most devices one VU holds, default 1000
  --target-url URL      the target's ws:// base URL as k6 reaches it; a run
                        may override it with -e ${targetUrlVariable}=URL
  --devices N, --time-scale S, --seed X
                        override the scenario's own
  --name NAME           the TestRun's name (default aftershock-<scenario>)
  --namespace NS, --image IMAGE, --results-claim NAME, --results-size SIZE
                        manifest details (--image overrides grafana/k6:X.Y.Z)

Run it on one machine:
  k6 run -e ${targetUrlVariable}=ws://HOST:PORT --out json=k6.json.gz DIR/aftershock-k6.js
and read the result back:
  aftershock report --from-k6 k6.json.gz [--chaos chaos-events.ndjson] DIR

Exit codes: 0 written, 2 bad input.`;

function positiveInteger(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0) throw new AftershockError('bad-flag', `${flag} must be a whole number greater than 0, got "${text}"`);
  return value;
}

export async function exportCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags('export', {
    args: argv,
    allowPositionals: true,
    options: {
      out: { type: 'string' },
      'k6-modules': { type: 'string' },
      'k6-version': { type: 'string' },
      parallelism: { type: 'string' },
      'devices-per-vu': { type: 'string' },
      'target-url': { type: 'string' },
      devices: { type: 'string' },
      'time-scale': { type: 'string' },
      seed: { type: 'string' },
      name: { type: 'string' },
      namespace: { type: 'string' },
      image: { type: 'string' },
      'results-claim': { type: 'string' },
      'results-size': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(exportUsage);
    return exitCodes.passed;
  }
  const [format, reference, ...extra] = positionals;
  if (format !== 'k6') {
    throw new AftershockError('bad-usage', format === undefined ? 'export needs a format; the one there is: k6 (see `aftershock export --help`)' : `unknown export format "${format}"; formats: k6`);
  }
  if (reference === undefined || extra.length > 0) {
    throw new AftershockError('bad-usage', `export k6 takes one scenario, got ${reference === undefined ? 0 : 1 + extra.length}; see \`aftershock export --help\``);
  }
  if (values.out === undefined) throw new AftershockError('bad-usage', 'export k6 needs --out DIR: the folder to write the script and manifests to');
  // Both checked before the scenario is read: a bad flag is named first.
  const k6Version = values['k6-version'] ?? pinnedK6Version;
  k6TargetFor(k6Version);
  const modules = values['k6-modules'] === undefined ? undefined : parseModuleSet(values['k6-modules']);
  const targetUrl = values['target-url'];
  if (targetUrl !== undefined && !/^wss?:\/\/[^/]+/.test(targetUrl)) {
    throw new AftershockError('bad-flag', `--target-url must be a ws:// or wss:// URL such as ws://backend:4000, got "${targetUrl}"`);
  }
  const name = values.name;
  if (name !== undefined && !/^[a-z0-9]([-a-z0-9]{0,50}[a-z0-9])?$/.test(name)) {
    throw new AftershockError('bad-flag', `--name must be a Kubernetes name (lowercase letters, digits and dashes, at most 52 characters), got "${name}"`);
  }
  const timeScale = values['time-scale'] === undefined ? undefined : Number(values['time-scale']);
  if (timeScale !== undefined && !(timeScale > 0)) throw new AftershockError('bad-flag', `--time-scale must be a number greater than 0, got "${values['time-scale']}"`);
  const overrides: ScenarioOverrides = { devices: positiveInteger('--devices', values.devices), timeScale, seed: values.seed };
  const { input, source } = await loadScenarioInput(reference);
  const scenario = validateScenario(applyOverrides(input, overrides), source);
  const outDir = resolve(values.out);

  const result = await exportK6({
    scenario,
    outDir,
    k6Version,
    modules,
    parallelism: positiveInteger('--parallelism', values.parallelism),
    devicesPerVu: positiveInteger('--devices-per-vu', values['devices-per-vu']),
    targetUrl,
    name,
    namespace: values.namespace,
    image: values.image,
    resultsClaim: values['results-claim'],
    resultsSize: values['results-size'],
  });
  const set = result.modules;
  console.log(`aftershock: exported ${scenario.name} for k6 (${scenario.fleet.devices} devices, seed ${JSON.stringify(scenario.seed)}, time scale ${scenario.timeScale})`);
  console.log(`  VUs         ${result.totalVus} (at most ${result.devicesPerVu} devices each) over ${result.parallelism} k6 instance${result.parallelism > 1 ? 's' : ''}`);
  console.log(`  k6          v${result.k6.version} (module table row v${result.k6.release.version}: ${result.k6.release.read.change}); runner image ${result.image}`);
  console.log(`  modules     ${set.websockets}, ${set.timers}`);
  for (const warning of result.warnings) console.log(`  warning     ${warning}`);
  console.log(`  each VU     holds its devices for ${formatDuration(scenario.deadline)} of scenario time (${formatDuration(scenario.deadline / scenario.timeScale)} real)`);
  for (const [metric, conditions] of Object.entries(result.options.thresholds ?? {})) console.log(`  threshold   ${metric}: ${conditions.join(', ')}`);
  for (const u of result.unmapped) console.log(`  not in k6   ${u.metric} ${u.condition}: ${u.reason}; \`aftershock report --from-k6\` evaluates it`);
  for (const path of Object.values(result.files)) console.log(`  wrote       ${path}`);
  return exitCodes.passed;
}
