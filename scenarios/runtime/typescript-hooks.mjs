// Lets Node run aftershock's own TypeScript files when the package is
// installed. Node's type stripping refuses files under node_modules
// (ERR_UNSUPPORTED_NODE_MODULES_TYPE_STRIPPING), which is exactly where an
// installed aftershock lives; this hook strips the types of aftershock's own
// .ts files itself, with the same `module.stripTypeScriptTypes` Node uses, so
// the installed package runs its sources as they are, with no build step.
// Files outside the package (a user's scenario file) are left to Node.
//
// Loaded with `node --import <this file>` (every child process aftershock
// starts gets it, see own-node.ts), or imported first by the bin.
//
// Node's compile cache is turned on (module.enableCompileCache, in the OS
// temp folder unless NODE_COMPILE_CACHE says where; NODE_DISABLE_COMPILE_CACHE=1
// turns it off), and this hook keeps the sources it strips beside it: the
// first TypeScript file a process or worker thread strips costs ~150 ms of
// setting up the type stripper, which the policy advisor's five worker
// threads paid each time, and a cached file, Node's or the hook's, skips it.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { enableCompileCache, getCompileCacheDir, registerHooks, stripTypeScriptTypes } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { threadId } from 'node:worker_threads';

enableCompileCache?.();
const compileCacheDir = getCompileCacheDir?.();
const strippedDir = compileCacheDir ? join(compileCacheDir, 'aftershock-stripped') : undefined;

/** The file's source with its types stripped, from the cache (keyed by the source itself) when it is there. */
function strippedSource(path) {
  const source = readFileSync(path, 'utf8');
  // mode 'strip' blanks the types in place, so stack traces keep their line and column.
  if (strippedDir === undefined) return stripTypeScriptTypes(source, { mode: 'strip' });
  const cached = join(strippedDir, `${createHash('sha256').update(source).digest('hex').slice(0, 40)}.js`);
  try {
    return readFileSync(cached, 'utf8');
  } catch {
    // not cached yet
  }
  const stripped = stripTypeScriptTypes(source, { mode: 'strip' });
  try {
    // Written aside and renamed: another process may be reading the same entry.
    mkdirSync(strippedDir, { recursive: true });
    const partial = `${cached}.${process.pid}-${threadId}`;
    writeFileSync(partial, stripped);
    renameSync(partial, cached);
  } catch {
    // a cache that cannot be written is only slower
  }
  return stripped;
}

const packageRoot = new URL('../../', import.meta.url).href;

// stripTypeScriptTypes warns once per process that it is experimental; that
// line would end up in every child's log and on the user's terminal.
const emitWarning = process.emitWarning;
process.emitWarning = function (warning, ...rest) {
  const text = typeof warning === 'string' ? warning : warning?.message;
  if (typeof text === 'string' && text.includes('stripTypeScriptTypes')) return;
  return emitWarning.call(process, warning, ...rest);
};

registerHooks({
  load(url, context, nextLoad) {
    if (url.startsWith(packageRoot) && url.endsWith('.ts') && url.includes('/node_modules/')) {
      return { format: 'module', source: strippedSource(fileURLToPath(url)), shortCircuit: true };
    }
    return nextLoad(url, context);
  },
});
