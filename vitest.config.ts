// Test runner configuration: unit and engine tests under test/, mirroring the
// source tree. End-to-end specs (test/e2e) run in real Chromium through their
// own config.

import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    exclude: ['test/e2e/**', 'node_modules/**'],
    // MLX evaluates on every core; more than two test files at once on a
    // 2-core machine only makes each slower.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
