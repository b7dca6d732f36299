// Entry point of the content origin as its own process:
//   node simulators/origin/main.ts [--host 127.0.0.1] [--port 0] [--exit-with-stdin]
// stdout carries exactly one line, {"event":"ready","pid","host","port"},
// once listening. Exit codes: 0 stopped by SIGTERM/SIGINT or stdin closed,
// 1 crashed, 2 bad flags or the address cannot be used.
import { parseArgs } from 'node:util';
import { startOrigin } from './origin-server.ts';

const NAME = 'aftershock-origin';

function fail(exitCode: number, message: string): never {
  process.stderr.write(`${NAME}: ${message}\n`);
  process.exit(exitCode);
}

let values: { host?: string; port?: string; 'exit-with-stdin'?: boolean };
try {
  values = parseArgs({
    options: { host: { type: 'string' }, port: { type: 'string' }, 'exit-with-stdin': { type: 'boolean' } },
    strict: true,
  }).values;
} catch (error) {
  fail(2, `${(error as Error).message}; flags: --host ADDRESS --port N --exit-with-stdin`);
}
const host = values.host ?? '127.0.0.1';
// The origin serves only this machine's harness: loopback only.
if (!(host === 'localhost' || host.startsWith('127.') || host === '::1')) fail(2, `--host ${host} is not a loopback address; the origin listens on loopback only`);
const port = Number(values.port ?? 0);
if (!Number.isSafeInteger(port) || port < 0 || port > 65_535) fail(2, `--port must be an integer from 0 to 65535, got ${values.port}`);

const origin = await startOrigin({ host, port }).catch((error: NodeJS.ErrnoException) =>
  fail(2, `cannot listen on ${host}:${port}: ${error.code ?? error.message}; pick another --port`),
);
const stop = (): void => {
  void origin.stop().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
if (values['exit-with-stdin']) {
  // The harness holds our stdin; EOF means it is gone, however it died.
  process.stdin.on('end', () => process.exit(0));
  process.stdin.on('error', () => process.exit(0));
  process.stdin.resume();
}
process.stdout.write(`${JSON.stringify({ event: 'ready', pid: process.pid, host: origin.host, port: origin.port })}\n`);
process.stderr.write(`${NAME}: serving manifests and content on ${origin.url}\n`);
