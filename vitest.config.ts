import { defineConfig } from 'vitest/config';

/**
 * Two projects:
 * - `unit`: source imports only (no subprocesses, no dist/), fast; `npm run test:unit`.
 * - `e2e`: the built CLI (dist/) in subprocesses, and Python when a venv exists; `npm run test:e2e`.
 *   Its global setup refuses a dist/ older than src/ (`pretest` builds before `npm test`).
 * A new end-to-end test goes under test/cli or test/reliability, or is named `*.e2e.test.ts`.
 */
const E2E = [
  'test/cli/**/*.test.ts',
  'test/reliability/**/*.test.ts',
  'test/scale/shard-merge.test.ts',
  'test/inspect/terminal.test.ts',
  'test/inspect/browser.test.ts',
  'test/write/load_from_disk.test.ts',
  'test/**/*.e2e.test.ts',
];

export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: 'forks',
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: E2E } },
      { extends: true, test: { name: 'e2e', include: E2E, globalSetup: ['test/e2e-setup.ts'] } },
    ],
  },
});
