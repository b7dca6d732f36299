import { isLoopbackHost, parseHostPort } from '../../chaos/toxiproxy/address.ts';
import { startToxiproxyServer, ToxiproxyListenError } from '../../chaos/toxiproxy/toxiproxy-server.ts';
import { AftershockError, exitCodes } from '../errors.ts';
import { parseFlags } from './parse-flags.ts';
import { describeShutdown, watchShutdown } from './shutdown-signals.ts';

export const toxiproxyUsage = `usage: aftershock toxiproxy [options]

  Runs the embedded Toxiproxy-compatible server on its own, as a stand-in for
  toxiproxy-server: the Toxiproxy 2.x HTTP API (proxies, toxics, /populate,
  /reset, /version), for external targets and other tools. Prints one line
  when ready; stops on Ctrl-C (SIGINT), SIGTERM or SIGHUP,
  or when the process that started it is gone.

  --listen HOST:PORT  address of the HTTP API (default 127.0.0.1:8474)
  --allow-remote      allow addresses other than loopback, for the API and for
                      proxies (the API has no authentication)
  --seed X            seed for toxicity draws, jitter and slice sizes
                      (default: random, printed in the ready line)`;

/** `aftershock toxiproxy`: runs until SIGINT, SIGTERM, SIGHUP or its parent's exit, then returns 0. */
export async function toxiproxyCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags('toxiproxy', {
    args: argv,
    allowPositionals: true,
    options: {
      listen: { type: 'string', default: '127.0.0.1:8474' },
      'allow-remote': { type: 'boolean', default: false },
      seed: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(toxiproxyUsage);
    return exitCodes.passed;
  }
  if (positionals.length > 0) {
    throw new AftershockError('bad-usage', `toxiproxy takes no arguments, got "${positionals.join(' ')}"; see \`aftershock toxiproxy --help\``);
  }
  let address;
  try {
    address = parseHostPort(values.listen);
  } catch {
    throw new AftershockError('bad-flag', `--listen must be HOST:PORT with a port from 0 to 65535 (e.g. 127.0.0.1:8474), got "${values.listen}"`);
  }
  const allowRemote = values['allow-remote'];
  if (!allowRemote && !isLoopbackHost(address.host)) {
    throw new AftershockError(
      'not-loopback',
      `--listen ${values.listen} is not a loopback address: the Toxiproxy API has no authentication, so anyone who can reach it could open proxies through this machine; add --allow-remote if that is intended`,
    );
  }

  let server;
  try {
    server = await startToxiproxyServer({
      host: address.host,
      port: address.port,
      allowRemote,
      seed: values.seed,
      log: (line) => console.error(`aftershock toxiproxy: ${line}`),
    });
  } catch (error) {
    if (error instanceof ToxiproxyListenError) {
      throw new AftershockError('listen-failed', `${error.message}; pick another --listen port, or stop the server already there`, { cause: error });
    }
    throw error;
  }
  console.log(`aftershock toxiproxy: Toxiproxy API on ${server.url} (seed ${JSON.stringify(server.seed)}); Ctrl-C to stop`);

  const shutdown = watchShutdown();
  try {
    const reason = await shutdown.requested;
    await server.stop();
    console.error(`aftershock toxiproxy: stopped (${describeShutdown(reason)})`);
  } finally {
    shutdown.stop();
  }
  return exitCodes.passed;
}
