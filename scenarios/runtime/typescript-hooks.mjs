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
import { readFileSync } from 'node:fs';
import { registerHooks, stripTypeScriptTypes } from 'node:module';
import { fileURLToPath } from 'node:url';

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
      const source = readFileSync(fileURLToPath(url), 'utf8');
      // mode 'strip' blanks the types in place, so stack traces keep their line and column.
      return { format: 'module', source: stripTypeScriptTypes(source, { mode: 'strip' }), shortCircuit: true };
    }
    return nextLoad(url, context);
  },
});
