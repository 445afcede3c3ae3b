// End-to-end runner: drives Debian's Chromium through web mode against the real
// engine. Run with `npm run test:e2e` (builds the renderer first). Not part of the unit run.

import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/e2e/**/*.test.ts'],
    // One app per spec file, one spec file at a time: the engine and Chromium share 2 cores.
    fileParallelism: false,
    maxWorkers: 1,
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // The specs in a file build on each other (generate, cancel, reload).
    sequence: { concurrent: false, shuffle: false },
  },
});
