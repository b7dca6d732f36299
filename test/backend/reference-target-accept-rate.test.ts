// The reference target passes a scenario's acceptRate to the backend in real
// time: '6/m' of scenario time at time scale 20 is 2 handshakes per real second.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { referenceTarget } from '../../scenarios/targets/reference-target.ts';
import type { StartedTarget } from '../../scenarios/targets/target.ts';
import { validateScenario } from '../../scenarios/validate-scenario.ts';
import { connectDevice, refusedUpgrade, terminateAllDevices } from './device-client.ts';

let runDir: string;
let target: StartedTarget | undefined;

beforeEach(() => {
  runDir = mkdtempSync(join(tmpdir(), 'aftershock-target-accept-rate-'));
});

afterEach(async () => {
  terminateAllDevices();
  await target?.stop();
  target = undefined;
  rmSync(runDir, { recursive: true, force: true });
});

test("acceptRate '6/m' at time scale 20 starts the backend with --accept-rate 2", async () => {
  const scenario = validateScenario({ name: 'x', timeScale: 20, fleet: { devices: 1 }, target: { kind: 'reference', acceptRate: '6/m' } }, 'x');
  if (scenario.target.kind !== 'reference') throw new Error('expected a reference target');
  target = await referenceTarget(scenario.target).start({ runDir, timeScale: scenario.timeScale });
  const devicesUrl = `${target.endpoints.wsBaseUrl}/devices`;
  await connectDevice(devicesUrl);
  // The next slot is 500 ms after the first admission: an upgrade right after it is refused.
  const refused = await refusedUpgrade(devicesUrl);
  expect(refused.status).toBe(503);
  expect(JSON.parse(refused.body).error).toBe('handshakes over the accept rate of 2/s (--accept-rate); retry later');
});
