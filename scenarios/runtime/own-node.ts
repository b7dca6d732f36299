import { fileURLToPath } from 'node:url';

/** The hook that lets Node run aftershock's .ts files from an installed package (see typescript-hooks.mjs). */
export const typescriptHooks = fileURLToPath(new URL('./typescript-hooks.mjs', import.meta.url));

/**
 * Node options for every child process aftershock starts from one of its own
 * .ts files (backend, workers, fleet shards, chaos processes, watchdog).
 * Without them a child of an installed aftershock dies at its first line,
 * because Node does not strip types under node_modules.
 */
export function ownNodeArgs(...extra: readonly string[]): string[] {
  return ['--import', typescriptHooks, ...extra];
}
