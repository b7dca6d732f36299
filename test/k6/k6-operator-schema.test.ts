// The exported TestRun, ConfigMap and results claim, checked against the
// schemas the cluster checks them with:
// - fixtures/k6-operator/k6.io_testruns.yaml: the k6 operator's own TestRun
//   CRD (github.com/grafana/k6-operator, config/crd/bases/k6.io_testruns.yaml
//   at commit 0044cb2eeae7db07348bb282360e687b065d406d, controller-gen v0.19.0);
// - fixtures/kubernetes/{configmap,persistentvolumeclaim}-v1.json: core/v1
//   as JSON schema, standalone and strict (github.com/yannh/kubernetes-json-schema,
//   master-standalone-strict at commit 491f6d0bac338516572de67fbd5ec4c510f7e657).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { afterAll, describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { main } from '../../scenarios/cli/main.ts';

const fixtures = new URL('./fixtures/', import.meta.url);

/** ajv, told about what Kubernetes schemas use beyond JSON schema. */
function kubernetesAjv(): Ajv {
  // strictTypes off: int-or-string fields put a string pattern beside anyOf [integer, string], as JSON schema allows.
  const ajv = new Ajv({ strict: true, strictTypes: false, allErrors: true });
  // Kubernetes extensions: they steer merging and listing, not validity.
  for (const keyword of ['x-kubernetes-int-or-string', 'x-kubernetes-list-type', 'x-kubernetes-list-map-keys', 'x-kubernetes-map-type', 'x-kubernetes-group-version-kind', 'x-kubernetes-patch-strategy', 'x-kubernetes-patch-merge-key']) {
    ajv.addKeyword(keyword);
  }
  ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 });
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isInteger(n) });
  ajv.addFormat('date-time', (s: string) => !Number.isNaN(Date.parse(s)) && /^\d{4}-\d\d-\d\dT/.test(s));
  ajv.addFormat('byte', (s: string) => /^[A-Za-z0-9+/]*={0,2}$/.test(s) && s.length % 4 === 0);
  return ajv;
}

const ajv = kubernetesAjv();
const crd = parse(readFileSync(new URL('k6-operator/k6.io_testruns.yaml', fixtures), 'utf8')) as {
  spec: { names: { kind: string }; versions: { name: string; schema: { openAPIV3Schema: object } }[] };
};
const testRunSchema = crd.spec.versions.find((v) => v.name === 'v1alpha1')!.schema.openAPIV3Schema;
const validators: Record<string, ValidateFunction> = {
  TestRun: ajv.compile(testRunSchema),
  ConfigMap: ajv.compile(JSON.parse(readFileSync(new URL('kubernetes/configmap-v1.json', fixtures), 'utf8'))),
  PersistentVolumeClaim: ajv.compile(JSON.parse(readFileSync(new URL('kubernetes/persistentvolumeclaim-v1.json', fixtures), 'utf8'))),
};

function problems(kind: string, value: unknown): string[] {
  const validate = validators[kind];
  return validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`);
}

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function exported(...flags: string[]): Promise<{ testRun: Record<string, any>; configMap: Record<string, any>; claim: Record<string, any> }> {
  const dir = mkdtempSync(join(tmpdir(), 'aftershock-k6-schema-'));
  dirs.push(dir);
  const log = console.log;
  console.log = () => {};
  try {
    expect(await main(['export', 'k6', 'hard-kill', '--out', dir, ...flags])).toBe(0);
  } finally {
    console.log = log;
  }
  const read = (file: string): Record<string, any> => parse(readFileSync(join(dir, file), 'utf8'));
  return { testRun: read('testrun.yaml'), configMap: read('configmap.yaml'), claim: read('results-pvc.yaml') };
}

describe("the exported manifests against the k6 operator's and Kubernetes' own schemas", () => {
  test('the fixture is the TestRun CRD', () => {
    expect(crd.spec.names.kind).toBe('TestRun');
  });

  for (const parallelism of [1, 20]) {
    test(`parallelism ${parallelism}: TestRun, ConfigMap and PersistentVolumeClaim validate`, async () => {
      const { testRun, configMap, claim } = await exported('--parallelism', String(parallelism), '--devices', String(1000 * parallelism));
      expect(testRun.spec.parallelism).toBe(parallelism);
      expect(problems('TestRun', testRun)).toEqual([]);
      expect(problems('ConfigMap', configMap)).toEqual([]);
      expect(problems('PersistentVolumeClaim', claim)).toEqual([]);
      // The pieces refer to each other by name.
      expect(testRun.spec.script.configMap.name).toBe(configMap.metadata.name);
      expect(Object.keys(configMap.data)).toEqual([testRun.spec.script.configMap.file]);
      expect(testRun.spec.runner.volumes[0].persistentVolumeClaim.claimName).toBe(claim.metadata.name);
    });
  }

  test('the validators are not blind: manifests broken on purpose are refused, naming the field', async () => {
    const { testRun, configMap, claim } = await exported();
    expect(problems('TestRun', { ...testRun, spec: { ...testRun.spec, parallelism: '20' } })).toEqual([expect.stringMatching(/^\/spec\/parallelism must be integer/)]);
    expect(problems('TestRun', { ...testRun, spec: { ...testRun.spec, cleanup: 'always' } })).toEqual([expect.stringMatching(/^\/spec\/cleanup must be equal to one of the allowed values/)]);
    const { script: _script, ...noScript } = testRun.spec;
    expect(problems('TestRun', { ...testRun, spec: noScript })).toEqual([expect.stringMatching(/must have required property 'script'/)]);
    expect(problems('ConfigMap', { ...configMap, data: { [Object.keys(configMap.data)[0]]: 42 } })).not.toEqual([]);
    expect(problems('PersistentVolumeClaim', { ...claim, spec: { ...claim.spec, accesModes: ['ReadWriteMany'] } })).toEqual([expect.stringMatching(/must NOT have additional properties/)]);
  });
});
