import { isIPv4, isIPv6 } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

/** Everything the reference backend needs to start, fully resolved. */
export interface BackendOptions {
  /** Address to listen on; loopback only unless `allowRemote`. */
  host: string;
  /** TCP port; 0 picks a free ephemeral port (read it from the handle / ready line). */
  port: number;
  /** SQLite file holding the assignments; never `:memory:`. */
  dbPath: string;
  /** Period of the ws-level ping sweep, in ms; a socket that misses one ping is dropped at the next. */
  heartbeatIntervalMs: number;
  /** Time a new connection has to send its hello, in ms, before it is closed with 4008. */
  helloTimeoutMs: number;
  /** Upgrades beyond this many unfinished handshakes get HTTP 503; null = no limit. Per worker process. */
  maxHandshakesInFlight: number | null;
  /**
   * Handshakes admitted per second of real time, evenly spaced with no burst
   * (see accept-rate-limit.ts); beyond it upgrades get HTTP 503. null = no
   * limit. For the whole backend: each of N worker processes admits 1/N of it.
   */
  acceptRate: number | null;
  /** Start with device upgrades answered 503 until POST /admin/open. */
  holdClosed: boolean;
  /**
   * Start held closed if this file exists, and remove it (read by main.ts).
   * A container is started again with the arguments it was created with, so
   * the harness holds it closed by putting this file there while it is down.
   */
  holdClosedIf?: string;
  /**
   * Wall-clock time (ms since the epoch) to listen at: the process loads
   * everything first, then waits until then (read by main.ts). The harness
   * starts a restart early by the backend's start time so that it is back
   * when the scenario says, not a start time later (at time scale 20, 400 ms
   * of start would be 8 s of scenario time).
   */
  listenAt?: number;
  /** Permit a non-loopback `host`. */
  allowRemote: boolean;
  /** TESTING ONLY: acknowledge PUTs before the write is durable, so a kill loses them. */
  unsafeAckBeforeWrite: boolean;
  /** Exit when stdin closes: the harness holds the pipe, so the backend dies with it, however it dies. */
  exitWithStdin: boolean;
  /**
   * Processes that hold device sockets: 1 = this process alone; N > 1 = a
   * supervisor plus N workers sharing the port (SO_REUSEPORT); 'auto' = enough
   * workers for `expectedConnections` (see {@link workerCountFor}). Read by
   * main.ts; `startBackend` always runs one process.
   */
  workers: number | 'auto';
  /** Device connections the backend should be ready for; sizes `workers: 'auto'`. */
  expectedConnections: number | null;
  /**
   * The content origin (CDN stand-in, simulators/origin) to publish each
   * device's manifest to after its durable write; unset: publish nothing.
   */
  originUrl?: string;
}

/** Input to `startBackend`: every field has a default except where noted. */
export type BackendOptionsInput = Partial<BackendOptions>;

/** Default database: a fixed file so a restart without --db finds its data again. */
export const DEFAULT_DB_PATH = join(tmpdir(), 'aftershock-backend.sqlite');

export const defaultBackendOptions: BackendOptions = {
  host: '127.0.0.1',
  port: 0,
  dbPath: DEFAULT_DB_PATH,
  heartbeatIntervalMs: 30_000,
  helloTimeoutMs: 30_000,
  maxHandshakesInFlight: null,
  acceptRate: null,
  holdClosed: false,
  allowRemote: false,
  unsafeAckBeforeWrite: false,
  exitWithStdin: false,
  workers: 1,
  expectedConnections: null,
};

/**
 * Sockets one worker is planned for. A process may hold 20,000 files and
 * about 19,980 sockets (the limit cannot be raised on these machines; past it
 * accept() fails and devices see accepted-then-closed connections). The kernel
 * spreads connections over the workers by a hash, so counts differ a little;
 * 16,000 leaves 20% for that, for the db and for HTTP clients.
 */
export const CONNECTIONS_PER_WORKER = 16_000;

/** Most workers the backend will start. */
export const MAX_WORKERS = 64;

/** Worker processes for `options`: `--workers N` as given, `auto` = ceil(expected / 16,000), at least 1. */
export function workerCountFor(options: Pick<BackendOptions, 'workers' | 'expectedConnections'>): number {
  if (options.workers !== 'auto') return options.workers;
  return Math.max(1, Math.ceil((options.expectedConnections ?? 0) / CONNECTIONS_PER_WORKER));
}

/** A problem with the options the user can fix; `code` is stable for callers. */
export class BackendOptionsError extends Error {
  readonly code = 'BACKEND_BAD_OPTIONS';
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(problems.join('; '));
    this.name = 'BackendOptionsError';
    this.problems = problems;
  }
}

/** True for addresses only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIPv4(host)) return host.startsWith('127.');
  if (isIPv6(host)) {
    const lower = host.toLowerCase();
    return lower === '::1' || lower === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(lower);
  }
  return false;
}

/** Returns every problem in `options`, each naming the flag, the limit and the value seen. */
export function validateBackendOptions(options: BackendOptions): string[] {
  const problems: string[] = [];
  const intIn = (flag: string, value: number, min: number, max: number): void => {
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      problems.push(`--${flag} must be an integer from ${min} to ${max}, got ${value}`);
    }
  };
  if (options.host === '') problems.push('--host must not be empty');
  else if (!options.allowRemote && !isLoopbackHost(options.host)) {
    problems.push(`--host ${options.host} is not a loopback address; pass --allow-remote to listen on it anyway`);
  }
  intIn('port', options.port, 0, 65_535);
  if (options.dbPath === '' || options.dbPath === ':memory:') {
    problems.push(`--db must name a file, got ${JSON.stringify(options.dbPath)}: assignments must survive a restart`);
  }
  // Below 10 ms a 20k-socket sweep would run back to back.
  intIn('heartbeat-interval-ms', options.heartbeatIntervalMs, 10, 3_600_000);
  intIn('hello-timeout-ms', options.helloTimeoutMs, 10, 3_600_000);
  if (options.maxHandshakesInFlight !== null) {
    intIn('max-handshakes-in-flight', options.maxHandshakesInFlight, 1, 1_000_000);
  }
  if (options.acceptRate !== null && !(Number.isFinite(options.acceptRate) && options.acceptRate > 0)) {
    problems.push(`--accept-rate must be a positive number of handshakes per second (above 0), got ${options.acceptRate}`);
  }
  if (options.expectedConnections !== null) {
    intIn('expected-connections', options.expectedConnections, 0, MAX_WORKERS * CONNECTIONS_PER_WORKER);
  }
  if (options.originUrl !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(options.originUrl);
    } catch {
      problems.push(`--origin-url must be an http URL such as http://127.0.0.1:8081, got ${JSON.stringify(options.originUrl)}`);
    }
    if (url !== undefined && url.protocol !== 'http:') problems.push(`--origin-url must use http:, got ${url.protocol}`);
    else if (url !== undefined && !options.allowRemote && !isLoopbackHost(url.hostname.replace(/^\[|\]$/g, ''))) {
      problems.push(`--origin-url host ${url.hostname} is not a loopback address; pass --allow-remote to publish there anyway`);
    }
  }
  if (options.workers === 'auto') {
    if (options.expectedConnections === null) problems.push('--workers auto needs --expected-connections N to size itself');
  } else {
    intIn('workers', options.workers, 1, MAX_WORKERS);
  }
  return problems;
}

/** Fills defaults and validates; throws {@link BackendOptionsError} listing every problem. */
export function resolveBackendOptions(input: BackendOptionsInput): BackendOptions {
  const options: BackendOptions = { ...defaultBackendOptions };
  for (const key of Object.keys(input) as (keyof BackendOptions)[]) {
    if (input[key] !== undefined) (options as unknown as Record<string, unknown>)[key] = input[key];
  }
  const problems = validateBackendOptions(options);
  if (problems.length > 0) throw new BackendOptionsError(problems);
  return options;
}

/** One CLI flag: its parseArgs type and where its value goes. */
interface FlagSpec {
  type: 'string' | 'boolean';
  key: keyof BackendOptions;
  help: string;
}

const flags: Record<string, FlagSpec> = {
  host: { type: 'string', key: 'host', help: 'listen address (default 127.0.0.1; loopback only without --allow-remote)' },
  port: { type: 'string', key: 'port', help: 'listen port (default 0 = ephemeral; see the ready line)' },
  db: { type: 'string', key: 'dbPath', help: `SQLite file (default ${DEFAULT_DB_PATH})` },
  'heartbeat-interval-ms': { type: 'string', key: 'heartbeatIntervalMs', help: 'ping sweep period in ms (default 30000)' },
  'hello-timeout-ms': { type: 'string', key: 'helloTimeoutMs', help: 'time to send hello in ms before close 4008 (default 30000)' },
  'max-handshakes-in-flight': { type: 'string', key: 'maxHandshakesInFlight', help: 'answer 503 to upgrades beyond N unfinished handshakes, counted per worker (default: no limit)' },
  'accept-rate': {
    type: 'string',
    key: 'acceptRate',
    help: 'admit at most N handshakes per second, evenly spaced (no burst); answer 503 to upgrades before the next slot; split evenly over the workers (default: no limit)',
  },
  'hold-closed': { type: 'boolean', key: 'holdClosed', help: 'answer 503 to device upgrades until POST /admin/open' },
  'hold-closed-if': { type: 'string', key: 'holdClosedIf', help: 'start as --hold-closed if this file exists, and remove it (one held-closed start per file)' },
  'listen-at': { type: 'string', key: 'listenAt', help: 'load everything, then wait until this wall-clock time (ms since the epoch) to listen (default: at once)' },
  'allow-remote': { type: 'boolean', key: 'allowRemote', help: 'permit a non-loopback --host' },
  'unsafe-ack-before-write': { type: 'boolean', key: 'unsafeAckBeforeWrite', help: 'TESTING ONLY: answer PUT before the write is durable (a kill loses it)' },
  'exit-with-stdin': { type: 'boolean', key: 'exitWithStdin', help: 'exit at once when stdin closes (the parent process died)' },
  workers: {
    type: 'string',
    key: 'workers',
    help: `processes holding device sockets on the shared port: N, or auto = ceil(expected connections / ${CONNECTIONS_PER_WORKER}) (default 1)`,
  },
  'expected-connections': { type: 'string', key: 'expectedConnections', help: 'device connections to plan for; sizes --workers auto' },
  'origin-url': { type: 'string', key: 'originUrl', help: 'content origin to publish each manifest to after its durable write (a failed publish is logged, never fails the PUT)' },
};

/** Environment variable for a flag: `--heartbeat-interval-ms` -> `AFTERSHOCK_BACKEND_HEARTBEAT_INTERVAL_MS`. */
export function envNameFor(flag: string): string {
  return `AFTERSHOCK_BACKEND_${flag.toUpperCase().replaceAll('-', '_')}`;
}

export const backendUsage = [
  'usage: node simulators/backend/main.ts [flags]',
  '',
  'The aftershock reference backend: WebSocket device hub on /devices plus an HTTP API.',
  'Prints one JSON line {"event":"ready","pid","host","port"} on stdout when listening.',
  '',
  ...Object.entries(flags).map(([flag, spec]) =>
    `  --${flag}${spec.type === 'string' ? ' VALUE' : ''}\n      ${spec.help}\n      env: ${envNameFor(flag)}`),
  '  --help   print this text',
].join('\n');

/** What the command line asks for. */
export type ParsedCommandLine =
  | { kind: 'run'; options: BackendOptions }
  | { kind: 'help' }
  | { kind: 'error'; problems: string[] };

/**
 * Parses argv (without node and script) and the environment. Flags win over
 * environment variables, which win over defaults. Returns every problem found.
 */
export function parseBackendCommandLine(argv: readonly string[], env: NodeJS.ProcessEnv): ParsedCommandLine {
  let values: Record<string, string | boolean | undefined>;
  try {
    const parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        ...Object.fromEntries(Object.entries(flags).map(([flag, spec]) => [flag, { type: spec.type }])),
        help: { type: 'boolean', short: 'h' },
      },
    });
    values = parsed.values as Record<string, string | boolean | undefined>;
  } catch (error) {
    return { kind: 'error', problems: [describeParseArgsError(error as Error & { code?: string })] };
  }
  if (values.help === true) return { kind: 'help' };

  const problems: string[] = [];
  const input: Record<string, unknown> = {};
  for (const [flag, spec] of Object.entries(flags)) {
    const envName = envNameFor(flag);
    const fromFlag = values[flag];
    const raw = fromFlag ?? env[envName];
    if (raw === undefined) continue;
    const source = fromFlag === undefined ? ` (from ${envName})` : '';
    if (spec.type === 'boolean') {
      const value = typeof raw === 'boolean' ? raw : parseBooleanEnv(raw);
      if (value === undefined) problems.push(`${envName} must be 1/true/yes or 0/false/no, got ${JSON.stringify(raw)}`);
      else input[spec.key] = value;
    } else if (spec.key === 'host' || spec.key === 'dbPath' || spec.key === 'originUrl' || spec.key === 'holdClosedIf') {
      input[spec.key] = raw;
    } else if (spec.key === 'workers' && raw === 'auto') {
      input[spec.key] = 'auto';
    } else if (spec.key === 'acceptRate') {
      // A rate, not a count: 800, 12.5 or 2.5e3 (how String() writes some numbers). Zero is for validate to name.
      const text = String(raw).trim();
      if (!/^(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?$/i.test(text)) {
        problems.push(`--accept-rate must be a positive number of handshakes per second, such as 800 or 12.5, got ${JSON.stringify(text)}${source}`);
      } else {
        input[spec.key] = Number(text);
      }
    } else {
      const text = String(raw);
      if (!/^\d+$/.test(text)) {
        const what = spec.key === 'workers' ? 'a positive integer or auto' : 'a non-negative integer';
        problems.push(`--${flag} must be ${what}, got ${JSON.stringify(text)}${source}`);
      } else {
        input[spec.key] = Number(text);
      }
    }
  }
  if (problems.length > 0) return { kind: 'error', problems };
  const options: BackendOptions = { ...defaultBackendOptions, ...(input as BackendOptionsInput) };
  const invalid = validateBackendOptions(options);
  if (invalid.length > 0) return { kind: 'error', problems: invalid };
  return { kind: 'run', options };
}

function parseBooleanEnv(text: string): boolean | undefined {
  const lower = text.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(lower)) return true;
  if (['0', 'false', 'no', 'off', ''].includes(lower)) return false;
  return undefined;
}

/** parseArgs messages are long and mention positionals; say what matters instead. */
function describeParseArgsError(error: Error & { code?: string }): string {
  const quoted = /'([^']+)'/.exec(error.message)?.[1] ?? '';
  switch (error.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown flag ${quoted}; valid flags: ${Object.keys(flags).map((f) => `--${f}`).join(' ')}`;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument ${JSON.stringify(quoted)}; every value needs its flag, e.g. --port 8080`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      const flag = quoted.split(' ')[0];
      return /does not take an argument/.test(error.message)
        ? `${flag} is a switch and takes no value; pass just ${flag}`
        : `${flag} needs a value`;
    }
    default:
      return error.message.replace(/\s+/g, ' ');
  }
}
