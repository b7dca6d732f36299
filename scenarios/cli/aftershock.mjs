#!/usr/bin/env node
// The `aftershock` command. aftershock is TypeScript run by Node 24's type
// stripping; when an older Node (the machines ship Node 20) starts this file,
// hand over to the Node 24 that the project's `node` dev dependency installed.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('./main.ts', import.meta.url));
const major = Number(process.versions.node.split('.')[0]);
if (major >= 24) {
  await import(main);
} else {
  const node24 = fileURLToPath(new URL('../../node_modules/node/bin/node', import.meta.url));
  if (!existsSync(node24)) {
    console.error(`aftershock: error: needs Node 24 or later (this is ${process.version}); run \`npm ci\` in ${fileURLToPath(new URL('../..', import.meta.url))} to install it`);
    process.exit(2);
  }
  const result = spawnSync(node24, [main, ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(result.status ?? 1);
}
