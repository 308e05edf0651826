import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

/**
 * Two projects:
 * - `unit`: source imports only (no subprocesses, no dist/), fast; `npm run test:unit`.
 * - `e2e`: the built CLI (dist/) in subprocesses, and Python when a venv exists; `npm run test:e2e`.
 *   Its global setup refuses a dist/ older than src/ (`pretest` builds before `npm test`).
 * A new end-to-end test goes under test/cli or test/reliability, or is named `*.e2e.test.ts`.
 *
 * Speed (npm test ≤ 240 s on 2 cores): the two projects run in separate pools at the same time.
 * Unit files share worker threads without isolation, so modules (and the tokenizers that
 * test/tokenize/fixtures.ts caches) load once per thread instead of once per file; a unit test must
 * not leave global state behind. e2e files stay isolated in forks; they mostly wait on the CLI
 * processes they spawn, so they get as many workers as there are cores (vitest's default is one
 * fewer, i.e. a single worker on 2 cores).
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
const cores = availableParallelism();

export default defineConfig({
  test: {
    testTimeout: 120_000,
    // The own engine's table cache (and the CLIs the tests spawn): not the user's ~/.cache.
    env: { CHATSHARD_CACHE_DIR: join(tmpdir(), 'chatshard-test-cache') },
    hookTimeout: 180_000,
    pool: 'forks',
    maxWorkers: cores,
    // The pool reuses its processes; each e2e file still starts from fresh modules (below).
    poolOptions: { forks: { isolate: false } },
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: E2E } },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: E2E,
          globalSetup: ['test/e2e-setup.ts'],
          poolOptions: { forks: { isolate: true } },
        },
      },
    ],
  },
});
