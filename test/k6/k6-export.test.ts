import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { main } from '../../scenarios/cli/main.ts';
import { exportK6, scriptFileName } from '../../scenarios/k6/export-k6.ts';
import { k6ThresholdsFor } from '../../scenarios/k6/k6-thresholds.ts';
import { parseModuleSet, pinnedK6Version } from '../../scenarios/k6/k6-versions.ts';
import { isK6Protocol } from '../../scenarios/k6/script/k6-adapters.ts';
import { failureCauseOf, lossCauseOf, type K6FailureCause, type K6LossCause } from '../../scenarios/k6/script/k6-error-cause.ts';
import { deviceIdOf as k6DeviceIdOf } from '../../scenarios/k6/script/k6-fleet.ts';
import { validateScenario } from '../../scenarios/validate-scenario.ts';
import { parseThresholds } from '../../reports/thresholds/threshold.ts';
import type { FailureCause, LossCause } from '../../simulators/devices/fleet-events.ts';
import { deviceIdOf } from '../../simulators/devices/fleet.ts';

const scenario = validateScenario(
  {
    name: 'k6-export-test',
    seed: 'export-seed',
    timeScale: 20,
    fleet: { devices: 2500, rampUp: '20s', handshakeTimeout: '8s', heartbeatTimeout: '75s' },
    policy: { kind: 'seed', firstWaitMax: '40s', base: '5s', factor: 2, cap: '2m', jitter: 0.1 },
    chaos: [{ kind: 'kill', at: '30s', for: '1m' }],
    deadline: '10m',
    thresholds: { 'recovery.t99': ['<6m'], 'attempts.total': ['<20000'], 'handshake.p99': ['<250'], 'failures.total': ['<=5000', '>=0'] },
  },
  'test',
);

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'aftershock-k6-export-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('aftershock export k6', () => {
  it('writes a bundled script with the options, thresholds, policy and protocol of the scenario', async () => {
    const outDir = tempDir();
    const result = await exportK6({ scenario, outDir, parallelism: 3, devicesPerVu: 400 });
    const script = readFileSync(join(outDir, scriptFileName), 'utf8');

    // k6 modules stay imports, those of the pinned k6 by default; nothing else is imported.
    const imports = [...script.matchAll(/^import .* from "([^"]+)";$/gm)].map((m) => m[1]).sort();
    expect(imports).toEqual(['k6/execution', 'k6/metrics', 'k6/timers', 'k6/websockets']);
    expect(result.image).toBe(`grafana/k6:${pinnedK6Version}`);
    expect(script).not.toMatch(/\brequire\(|from "node:|await import/);
    // ES2017 for k6's runtime: no optional chaining, nullish coalescing or top-level await left.
    expect(script).not.toMatch(/\?\.|\?\?/);

    // 2500 devices at most 400 per VU: 7 VUs, rounded up to a multiple of the 3 instances.
    expect(result.totalVus).toBe(9);
    expect(result.options.scenarios).toEqual({
      devices: { executor: 'per-vu-iterations', vus: 9, iterations: 1, maxDuration: '60s', gracefulStop: '30s' },
    });
    expect(result.options.thresholds).toEqual({
      aftershock_attempts: ['count<20000'],
      aftershock_handshake: ['p(99)<250'],
      aftershock_failures: ['count<=5000', 'count>=0'],
      aftershock_devices_never_returned: ['count===0'],
    });
    expect(result.unmapped.map((u) => u.metric)).toEqual(['recovery.t99']);

    // The policy library is bundled, not rewritten: the seed policy's code and the scenario's parameters.
    expect(script).toContain('function seedPolicy(params)');
    expect(script).toContain('policy: { kind: "seed", firstWaitMaxMs: 4e4, baseMs: 5e3, factor: 2, capMs: 12e4, jitter: 0.1 }');
    expect(script).toContain('function drawAt(');
    // The reference protocol's hello and the device state machine.
    expect(script).toContain('type: "hello"');
    expect(script).toContain('"handshake-timeout"');
    expect(script).toContain('"heartbeat-timeout"');
    expect(script).toContain('handshakeTimeoutMs: 8e3');
    expect(script).toMatch(/export \{[^}]*\boptions\b[^}]*\}|export const options/);
    expect(script).toMatch(/export \{[^}]*as default[^}]*\}|export default function/);
    // The script checks out with node --check as an ES module (syntax only).
    const copy = join(outDir, 'syntax.mjs');
    writeFileSync(copy, script);
    expect(() => execFileSync(process.execPath, ['--check', copy])).not.toThrow();
  });

  it('imports the experimental modules for k6 v0.48, and a module override the version has', async () => {
    const outDir = tempDir();
    await exportK6({ scenario, outDir, k6Version: '0.48' });
    const script = readFileSync(join(outDir, scriptFileName), 'utf8');
    expect(script).toContain('from "k6/experimental/websockets"');
    expect(script).toContain('from "k6/experimental/timers"');
    expect(script).not.toMatch(/from "k6\/(websockets|timers)"/);
    const override = tempDir();
    // v0.52 and v0.53 have both timers modules: the override may take either.
    const result = await exportK6({ scenario, outDir: override, k6Version: '0.53', modules: parseModuleSet('experimental') });
    expect(result.modules).toEqual({ websockets: 'k6/experimental/websockets', timers: 'k6/experimental/timers' });
  });

  it("bundles the scenario's protocol, and only protocols k6 can speak", async () => {
    const outDir = tempDir();
    const plain = validateScenario({ name: 'plain-k6', fleet: { devices: 10 }, protocol: { kind: 'plain', path: '/ws?id={deviceId}', welcome: '^ok$' } }, 'test');
    await exportK6({ scenario: plain, outDir });
    const script = readFileSync(join(outDir, scriptFileName), 'utf8');
    expect(script).toMatch(/function plainAdapter\(config\d*\)/);
    expect(script).toContain('path: "/ws?id={deviceId}"');
    expect(isK6Protocol({ kind: 'reference' })).toBe(true);
    expect(isK6Protocol({ kind: 'mqtt' } as never)).toBe(false);
  });

  it('writes a TestRun, its ConfigMap and the results claim as valid YAML with the fields the operator requires', async () => {
    const outDir = tempDir();
    await exportK6({ scenario, outDir, parallelism: 4, targetUrl: 'ws://backend.storm.svc:4000', namespace: 'storm' });
    const script = readFileSync(join(outDir, scriptFileName), 'utf8');
    const testRun = parse(readFileSync(join(outDir, 'testrun.yaml'), 'utf8'));
    expect(testRun.apiVersion).toBe('k6.io/v1alpha1');
    expect(testRun.kind).toBe('TestRun');
    expect(testRun.metadata).toMatchObject({ name: 'aftershock-k6-export-test', namespace: 'storm' });
    expect(testRun.spec.parallelism).toBe(4);
    expect(testRun.spec.script).toEqual({ configMap: { name: 'aftershock-k6-export-test-script', file: scriptFileName } });
    expect(testRun.spec.arguments).toBe('--out json=/results/k6.json.gz');
    expect(testRun.spec.runner.env).toContainEqual({ name: 'AFTERSHOCK_TARGET_URL', value: 'ws://backend.storm.svc:4000' });
    expect(testRun.spec.runner.env).toContainEqual({ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } });
    expect(testRun.spec.runner.volumeMounts).toEqual([{ name: 'results', mountPath: '/results', subPathExpr: '$(POD_NAME)' }]);
    expect(testRun.spec.runner.volumes).toEqual([{ name: 'results', persistentVolumeClaim: { claimName: 'aftershock-k6-export-test-results' } }]);

    const configMap = parse(readFileSync(join(outDir, 'configmap.yaml'), 'utf8'));
    expect(configMap).toMatchObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'aftershock-k6-export-test-script', namespace: 'storm' } });
    // The script survives YAML byte for byte.
    expect(configMap.data[scriptFileName]).toBe(script);

    const claim = parse(readFileSync(join(outDir, 'results-pvc.yaml'), 'utf8'));
    expect(claim).toMatchObject({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', spec: { accessModes: ['ReadWriteMany'], resources: { requests: { storage: '5Gi' } } } });

    // The normalised scenario is beside them, for report --from-k6's thresholds.
    expect(JSON.parse(readFileSync(join(outDir, 'scenario.json'), 'utf8')).name).toBe('k6-export-test');
  });

  it('runs from the command line and refuses bad flags with exit 2', async () => {
    const outDir = tempDir();
    const log = console.log;
    const error = console.error;
    const printed: string[] = [];
    console.log = (line: string) => printed.push(line);
    console.error = (line: string) => printed.push(line);
    try {
      expect(await main(['export', 'k6', 'hard-kill', '--out', outDir, '--devices', '3000', '--parallelism', '2', '--k6-modules', 'stable'])).toBe(0);
      expect(printed.join('\n')).toMatch(/VUs +4 \(at most 1000 devices each\) over 2 k6 instances/);
      expect(printed.join('\n')).toMatch(new RegExp(`k6 +v${pinnedK6Version.replaceAll('.', '\\.')} .*runner image grafana/k6:${pinnedK6Version.replaceAll('.', '\\.')}`));
      expect(await main(['export', 'k6', 'hard-kill', '--out', outDir, '--k6-modules', 'v2'])).toBe(2);
      expect(printed.at(-1)).toMatch(/^aftershock: error: --k6-modules must be one of experimental, stable, experimental-websockets or "WEBSOCKETS,TIMERS" .*got "v2"$/);
      // A module the chosen version has removed: refused, naming it, and nothing written.
      const refused = tempDir();
      expect(await main(['export', 'k6', 'hard-kill', '--out', refused, '--k6-version', '2.2', '--k6-modules', 'experimental'])).toBe(2);
      expect(printed.at(-1)).toMatch(/^aftershock: error: k6 v2\.2\.0 has removed k6\/experimental\/timers \(since v0\.54\.0; importing it is an error\)/);
      expect(readdirSync(refused)).toEqual([]);
      expect(await main(['export', 'k6', 'hard-kill', '--out', refused, '--k6-version', '1.2', '--k6-modules', 'stable'])).toBe(2);
      expect(printed.at(-1)).toMatch(/^aftershock: error: k6 v1\.2\.0 has no module k6\/websockets/);
      for (const bad of ['latest', '3.0', '0.47', '1.x']) {
        expect(await main(['export', 'k6', 'hard-kill', '--out', refused, '--k6-version', bad])).toBe(2);
        expect(printed.at(-1)).toMatch(/^aftershock: error: (--k6-version must be a k6 release|k6 v\S+ is (newer|older))/);
      }
      // A deprecated module loads, with a warning printed.
      expect(await main(['export', 'k6', 'hard-kill', '--out', tempDir(), '--k6-version', '1.6', '--k6-modules', 'experimental-websockets'])).toBe(0);
      expect(printed.join('\n')).toMatch(/warning +k6 v1\.6\.0 warns that k6\/experimental\/websockets is deprecated/);
      expect(await main(['export', 'k6', 'hard-kill'])).toBe(2);
      expect(printed.at(-1)).toMatch(/needs --out DIR/);
      expect(await main(['export', 'gatling', 'hard-kill', '--out', outDir])).toBe(2);
      expect(printed.at(-1)).toBe('aftershock: error: unknown export format "gatling"; formats: k6');
    } finally {
      console.log = log;
      console.error = error;
    }
  });
});

describe('threshold mapping', () => {
  it('maps counts and handshake latency, lists what k6 cannot evaluate, and adds the default rule', () => {
    const { thresholds } = parseThresholds({ 'devices.online_at_end': ['>=100'], 'handshake.max': ['<2s'], 'attempts.peak_per_s': ['<800'], 'backend.peak_rss_mb': ['<512'] });
    const mapped = k6ThresholdsFor(thresholds);
    expect(mapped.thresholds).toEqual({
      aftershock_devices_online_at_end: ['count>=100'],
      aftershock_handshake: ['max<2000'],
      aftershock_devices_never_returned: ['count===0'],
    });
    expect(mapped.unmapped.map((u) => `${u.metric} ${u.condition}`)).toEqual(['attempts.peak_per_s <800', 'backend.peak_rss_mb <512']);
    // A scenario that sets devices.never_returned itself replaces the default rule.
    const own = k6ThresholdsFor(parseThresholds({ 'devices.never_returned': ['<=3'] }).thresholds);
    expect(own.thresholds).toEqual({ aftershock_devices_never_returned: ['count<=3'] });
  });
});

describe('the k6 device', () => {
  it('names devices as the local fleet does', () => {
    for (const index of [0, 1, 41, 99_999, 1_000_000]) expect(k6DeviceIdOf(index)).toBe(deviceIdOf(index));
  });

  it("speaks the local fleet's failure and loss causes", () => {
    // Compile-time: every k6 cause is a local one.
    const failure: FailureCause = 'refused' as K6FailureCause;
    const loss: LossCause = 'close' as K6LossCause;
    expect([failure, loss]).toEqual(['refused', 'close']);
  });

  it("maps k6's Go error texts to causes", () => {
    expect(failureCauseOf('dial tcp 127.0.0.1:4000: connect: connection refused')).toBe('refused');
    expect(failureCauseOf('websocket: bad handshake')).toBe('rejected');
    expect(failureCauseOf('read tcp 127.0.0.1:51000->127.0.0.1:4000: read: connection reset by peer')).toBe('reset');
    expect(failureCauseOf('dial tcp 10.0.0.1:4000: i/o timeout')).toBe('connect-timeout');
    expect(failureCauseOf('dial tcp 127.0.0.1:4000: connect: cannot assign requested address')).toBe('address-unavailable');
    expect(failureCauseOf('dial tcp 127.0.0.1:4000: socket: too many open files')).toBe('too-many-files');
    expect(failureCauseOf('something else')).toBe('error');
    expect(lossCauseOf('websocket: close 1006 (abnormal closure): unexpected EOF')).toBe('close');
    expect(lossCauseOf(undefined)).toBe('close');
    expect(lossCauseOf('write: broken pipe')).toBe('close');
    expect(lossCauseOf('InvalidStateError')).toBe('error');
  });
});
