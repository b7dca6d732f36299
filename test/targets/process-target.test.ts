import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { processTarget } from '../../scenarios/targets/process-target.ts';
import type { StartedTarget } from '../../scenarios/targets/target.ts';
import { processTargetSchema } from '../../scenarios/schema/process-target-schema.ts';

const server = fileURLToPath(new URL('./fixtures/plain-ws-server.mjs', import.meta.url));
const node = process.execPath;

let runDir: string;
let started: StartedTarget | undefined;
beforeEach(() => {
  runDir = mkdtempSync(join(tmpdir(), 'aftershock-process-target-'));
});
afterEach(async () => {
  await started?.stop();
  started = undefined;
  rmSync(runDir, { recursive: true, force: true });
});

const configOf = (input: object) => processTargetSchema.parse({ kind: 'process', ...input });
const context = () => ({ runDir, timeScale: 1 });

async function health(target: StartedTarget): Promise<number> {
  return (await fetch(`${target.endpoints.httpBaseUrl}/health`)).status;
}

describe('process target: ready checks', () => {
  it('is ready on a log line matching the pattern, with {port} substituted', async () => {
    started = await processTarget(configOf({ command: [node, server, '--port', '{port}'], ready: { kind: 'log', pattern: '^listening on \\d+$' } })).start(context());
    expect(await health(started)).toBe(200);
    expect(started.process?.readyLine).toMatch(/^listening on \d+$/);
  });

  it('is ready once the TCP port accepts (the default), even if it binds late', async () => {
    const t0 = Date.now();
    started = await processTarget(configOf({ command: [node, server, '--port', '{port}', '--listen-delay-ms', '400'] })).start(context());
    expect(Date.now() - t0).toBeGreaterThanOrEqual(400);
    expect(await health(started)).toBe(200);
  });

  it('is ready once an HTTP path answers 2xx', async () => {
    started = await processTarget(configOf({ command: [node, server, '--port', '{port}'], ready: { kind: 'http', url: '/health' } })).start(context());
    expect(await health(started)).toBe(200);
    expect(started.endpoints.wsBaseUrl).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
  });

  it('kill and restart through the owned process group come back ready on the same port', async () => {
    started = await processTarget(configOf({ command: [node, server, '--port', '{port}'] })).start(context());
    const pid = started.process!.pid;
    await started.process!.kill();
    await expect(fetch(`${started.endpoints.httpBaseUrl}/health`)).rejects.toThrow();
    await started.process!.start();
    expect(started.process!.pid).not.toBe(pid);
    expect(await health(started)).toBe(200);
  });
});

describe('process target: misconfiguration fails fast with what was awaited and seen', () => {
  it('command not found', async () => {
    const t0 = Date.now();
    const start = processTarget(configOf({ command: ['/no/such/backend', '--port', '{port}'], startTimeout: '10s' })).start(context());
    await expect(start).rejects.toThrow(/process target "\/no\/such\/backend --port \{port\}" \(port \d+\) could not be started \(spawn \/no\/such\/backend ENOENT\); check the command "\/no\/such\/backend"/);
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('a log line that never comes: names the pattern, the budget and the last output', async () => {
    const start = processTarget(configOf({ command: [node, server, '--port', '{port}'], ready: { kind: 'log', pattern: 'ready to serve' }, startTimeout: '2s' })).start(context());
    await expect(start).rejects.toThrow(/did not report ready within 2000 ms \(awaited a stdout line matching \/ready to serve\/\); last output: "listening on \d+"/);
  });

  it('an HTTP check that never passes: names the URL and the status seen', async () => {
    const start = processTarget(configOf({ command: [node, server, '--port', '{port}', '--no-health'], ready: { kind: 'http', url: '/health' }, startTimeout: '2s' })).start(context());
    await expect(start).rejects.toThrow(/did not report ready within 2000 ms \(awaited GET http:\/\/127\.0\.0\.1:\d+\/health answering 2xx\); last check saw: HTTP 503/);
  });

  it('a TCP port nobody binds: names the port and ECONNREFUSED', async () => {
    const start = processTarget(configOf({ command: [node, server, '--port', '{port}'], ready: { kind: 'tcp', port: 1 }, startTimeout: '600ms' })).start(context());
    await expect(start).rejects.toThrow(/awaited a TCP connect to 127\.0\.0\.1:1\); last check saw: ECONNREFUSED/);
  });

  it('a backend that exits before ready says so, with its exit code', async () => {
    const start = processTarget(configOf({ command: [node, '-e', 'console.error("bad config"); process.exit(3)'] })).start(context());
    await expect(start).rejects.toThrow(/exited before it was ready \(code 3, signal null\) while awaiting a TCP connect to 127\.0\.0\.1:\d+; last output: "bad config"/);
  });
});

describe('process target: scenario validation', () => {
  it('rejects a bad regular expression and an unknown ready kind, with paths', () => {
    const result = processTargetSchema.safeParse({ kind: 'process', command: ['x'], ready: { kind: 'log', pattern: '(' } });
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual(['ready.pattern: must be a valid regular expression']);
    const unknown = processTargetSchema.safeParse({ kind: 'process', command: ['x'], ready: { kind: 'grpc' } });
    expect(unknown.error!.issues[0]!.message).toContain('valid kinds: log, tcp, http');
  });

  it('an empty command is rejected', () => {
    expect(processTargetSchema.safeParse({ kind: 'process', command: [] }).success).toBe(false);
  });

});
