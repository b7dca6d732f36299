import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The top level of the repository is fixed, so the config lives in test/ and
// points the root back at the repository.
export default defineConfig({
  test: {
    root: fileURLToPath(new URL('..', import.meta.url)),
    include: ['test/**/*.test.ts'],
    // Container tests: nothing may be left in the engine after the suite (a no-op without Docker).
    globalSetup: ['test/containers/docker-leftovers.global.ts'],
    // Integration tests start real processes and sockets; give them room.
    testTimeout: 60_000,
    hookTimeout: 30_000,
    // Integration tests bind ports and spawn processes: one file at a time per
    // worker keeps two cores from thrashing.
    maxWorkers: 2,
  },
});
