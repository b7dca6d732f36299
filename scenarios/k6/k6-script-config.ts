import type { PolicyParams } from '../../simulators/devices/policy/index.ts';
import type { ProtocolConfig } from '../../simulators/devices/protocol-config.ts';
import type { K6ProtocolKind } from './script/k6-adapters.ts';

/**
 * What an exported k6 script knows about its scenario: written into the
 * bundle as a constant at export time (everything in ms, normalised).
 * Pure types: the k6 bundle imports this file.
 */
export interface K6ScriptConfig {
  scenario: string;
  seed: string | number;
  timeScale: number;
  devices: number;
  /** VUs in the whole test, over every k6 instance (`exec.vu.idInTest` runs 1..totalVus). */
  totalVus: number;
  policy: PolicyParams;
  /** How the devices speak to the target: the scenario's protocol, built by the adapter registry in the script. */
  protocol: Extract<ProtocolConfig, { kind: K6ProtocolKind }>;
  /** Scenario-time durations, ms. */
  rampUpMs: number;
  connectTimeoutMs: number;
  handshakeTimeoutMs: number;
  heartbeatTimeoutMs: number;
  /** Each VU stops its devices at this scenario time after it started. */
  deadlineMs: number;
  /** ws:// base URL of the target when none is given at run time (AFTERSHOCK_TARGET_URL); null: it must be given. */
  targetUrl: string | null;
  /** aftershock's version that exported the script. */
  version: string;
}

/** The environment variable that points an exported script at its target (`k6 run -e AFTERSHOCK_TARGET_URL=ws://host:port`). */
export const targetUrlVariable = 'AFTERSHOCK_TARGET_URL';
