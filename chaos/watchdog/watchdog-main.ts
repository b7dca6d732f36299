// The chaos watchdog: a separate process that holds the undo ledger of a run.
// The harness writes one JSON line per change to our stdin:
//   {"op":"guard","id":1,"action":{...}}   {"op":"release","id":1}   {"op":"done"}
// When stdin ends without "done" (the harness died, however it died), every
// action still guarded is performed, newest first, and the watchdog exits.
import { appendFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { performUndo } from './perform-undo.ts';
import type { UndoAction } from './undo-action.ts';

const logPath = process.argv[2];
const log = (line: string): void => {
  if (logPath) appendFileSync(logPath, `${new Date().toISOString()} ${line}\n`);
};

const ledger = new Map<number, UndoAction>();
let done = false;

// Ctrl-C reaches the whole terminal group; the watchdog outlives the harness on purpose.
process.on('SIGINT', () => undefined);
process.on('SIGTERM', () => undefined);

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  try {
    const message = JSON.parse(line) as { op: string; id?: number; action?: UndoAction };
    if (message.op === 'guard' && message.id !== undefined && message.action) ledger.set(message.id, message.action);
    else if (message.op === 'release' && message.id !== undefined) ledger.delete(message.id);
    else if (message.op === 'done') done = true;
  } catch {
    log(`ignored a malformed line: ${line.slice(0, 200)}`);
  }
});
lines.on('close', async () => {
  if (!done || ledger.size > 0) {
    log(`harness gone (${done ? 'clean end with actions left' : 'no clean end'}); undoing ${ledger.size} action(s)`);
    const actions = [...ledger.entries()].sort((a, b) => b[0] - a[0]);
    for (const [, action] of actions) log(await performUndo(action));
  }
  process.exit(0);
});
process.stdout.write('ready\n');
