// Test runner configuration: the tests under test/ (mirroring the source tree) in four lanes, each runnable alone
// (`npm run test:unit`, `test:engine`, `test:integration`, `test:packaging`); a bare `vitest run` runs all four.
// End-to-end specs (test/e2e) run in real Chromium through their own config.
//
//   unit         pure code: no MLX, no worker threads, no child processes, no packaging (under 30 s)
//   engine       MLX: the backend, models, sampler, generator and calibration runs
//   integration  the engine behind a boundary: worker threads, the servers, the CLI as child processes
//   packaging    the production build, the dist gate, the binaries fetch and electron-builder
// A new test file lands in unit unless its folder or name puts it in another lane below.

import { defineConfig } from 'vitest/config';

const PACKAGING = [
  'test/packaging/**',
  'test/electron-builder.test.ts',
  'test/scripts/build-app.test.ts',
  'test/scripts/check-dist.test.ts',
  'test/scripts/fetch-binaries.test.ts',
];
const INTEGRATION = [
  'test/main/host/**/*.test.ts',
  'test/main/app/studio-service.test.ts',
  'test/main/transport/web/**/*.test.ts',
  'test/main/transport/electron-main/electron-ipc.test.ts',
  'test/main/cli/generate.test.ts',
  'test/main/cli/bench.test.ts',
  'test/main/cli/bench-policies.test.ts',
  'test/main/cli/calibrate.test.ts',
  'test/scripts/lint-deps.test.ts',
];
/** Engine code that needs no MLX: fast enough, and pure enough, for the unit lane (exact paths). */
const ENGINE_PURE = [
  'test/main/engine/io/png.test.ts',
  'test/main/engine/io/run-record.test.ts',
  'test/main/engine/io/write-atomic.test.ts',
  'test/main/engine/metrics/diff-map.test.ts',
  'test/main/engine/metrics/plot.test.ts',
  'test/main/engine/metrics/ssim.test.ts',
  'test/main/engine/calibration/calibrated-model.test.ts',
  'test/main/engine/calibration/calibration-file.test.ts',
  'test/main/engine/calibration/calibration-store.test.ts',
  'test/main/engine/models/flux/config.test.ts',
  'test/main/engine/models/flux1/memory.test.ts',
  'test/main/engine/models/pixel-flux/builtin-model-dir.test.ts',
  'test/main/engine/shipped-file.test.ts',
];
const TESTS = '*.test.{ts,tsx}';
const UNIT = [`test/${TESTS}`, `test/!(main|e2e)/**/${TESTS}`, `test/main/${TESTS}`, `test/main/!(engine)/**/${TESTS}`, ...ENGINE_PURE];
const ENGINE = [`test/main/engine/**/${TESTS}`];
const NEVER = ['test/e2e/**', 'node_modules/**'];

export const LANES = {
  unit: { include: UNIT, exclude: [...NEVER, ...PACKAGING, ...INTEGRATION] },
  engine: { include: ENGINE, exclude: [...NEVER, ...ENGINE_PURE] },
  integration: { include: INTEGRATION, exclude: NEVER },
  packaging: { include: PACKAGING, exclude: NEVER },
} as const;

export default defineConfig({
  test: {
    // MLX evaluates on every core; more than two test files at once on a
    // 2-core machine only makes each slower.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    projects: Object.entries(LANES).map(([name, { include, exclude }]) => ({
      extends: true,
      // Pure tests share threads and their module cache (no MLX, no process state to leak; they pass shuffled):
      // 20 s for the lane instead of 34 s in a fork per file. MLX and child processes keep forks.
      test: { name, include: [...include], exclude: [...exclude], ...(name === 'unit' ? { pool: 'threads' as const, isolate: false } : {}) },
    })),
  },
});
