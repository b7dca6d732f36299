import { stringify } from 'yaml';

/** What the k6 operator's TestRun needs from an export. */
export interface OperatorManifestOptions {
  /** Kubernetes name of the TestRun; the ConfigMap and claim are named after it. */
  name: string;
  /** k6 runners (pods), each running one execution segment. */
  parallelism: number;
  /** The bundled script, stored as `scriptFile` in the ConfigMap. */
  script: string;
  scriptFile: string;
  /** The target's ws:// base URL as the runners reach it (AFTERSHOCK_TARGET_URL); null: set it in the manifest before applying. */
  targetUrl: string | null;
  /** Runner image, pinned to a release (grafana/k6:X.Y.Z). */
  image: string;
  /** The ReadWriteMany claim the runners write their JSON output to, one folder per runner pod. */
  resultsClaim: string;
  /** Size of that claim when the export writes it. */
  resultsSize: string;
  namespace?: string;
}

/** Where each runner writes its `--out json` file, inside its own folder of the results claim. */
export const runnerOutputPath = '/results/k6.json.gz';

export interface OperatorManifests {
  /** `testrun.yaml`: the TestRun (k6.io/v1alpha1). */
  testRun: string;
  /** `configmap.yaml`: the script. */
  configMap: string;
  /** `results-pvc.yaml`: where the runners write their output. */
  resultsClaim: string;
}

/**
 * The k6 operator's manifests for an exported scenario, as YAML. The
 * TestRun takes the script from the ConfigMap (spec.script.configMap), runs
 * `parallelism` runners (the operator gives runner i of n the execution
 * segment i/n:(i+1)/n of the sequence 0,1/n,...,1) and passes
 * `spec.arguments` to every `k6 run`: here the JSON output. k6 does not
 * expand variables in its arguments, so each runner's file lands in its
 * own folder of a shared claim through a `subPathExpr` on the pod name.
 */
export function operatorManifests(options: OperatorManifestOptions): OperatorManifests {
  const metadata = (name: string): Record<string, unknown> => ({
    name,
    ...(options.namespace ? { namespace: options.namespace } : {}),
    labels: { 'app.kubernetes.io/managed-by': 'aftershock' },
  });
  const configMapName = `${options.name}-script`;
  const env: Record<string, unknown>[] = [{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }];
  env.push({ name: 'AFTERSHOCK_TARGET_URL', value: options.targetUrl ?? 'ws://SET-THE-TARGET:PORT' });
  const testRun = {
    apiVersion: 'k6.io/v1alpha1',
    kind: 'TestRun',
    metadata: metadata(options.name),
    spec: {
      parallelism: options.parallelism,
      script: { configMap: { name: configMapName, file: options.scriptFile } },
      arguments: `--out json=${runnerOutputPath}`,
      runner: {
        image: options.image,
        env,
        volumes: [{ name: 'results', persistentVolumeClaim: { claimName: options.resultsClaim } }],
        volumeMounts: [{ name: 'results', mountPath: '/results', subPathExpr: '$(POD_NAME)' }],
      },
    },
  };
  const configMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: metadata(configMapName),
    data: { [options.scriptFile]: options.script },
  };
  const claim = {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: metadata(options.resultsClaim),
    spec: { accessModes: ['ReadWriteMany'], resources: { requests: { storage: options.resultsSize } } },
  };
  const yaml = (value: unknown): string => stringify(value, { lineWidth: 0 });
  return { testRun: yaml(testRun), configMap: yaml(configMap), resultsClaim: yaml(claim) };
}
