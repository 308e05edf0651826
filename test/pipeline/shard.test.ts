/**
 * Which part of the input a process writes: flags, a Kubernetes Indexed Job's JOB_COMPLETION_INDEX,
 * a Slurm array's SLURM_ARRAY_TASK_ID / COUNT / MIN (shardFromEnv), and the contiguous row ranges
 * (shardRange). The end-to-end run with real processes is test/scale/shard-merge.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { shardFromEnv, shardRange } from '../../src/pipeline/shard.js';

describe('shardFromEnv', () => {
  it('without flags or environment: one part, index 0', () => {
    expect(shardFromEnv(undefined, undefined, {})).toEqual({ numShards: 1, shardIndex: 0 });
  });

  it('the three launchers give the same part', () => {
    for (let i = 0; i < 3; i++) {
      const want = { numShards: 3, shardIndex: i };
      expect(shardFromEnv(3, i, {}), 'flags').toEqual(want);
      expect(shardFromEnv(3, undefined, { JOB_COMPLETION_INDEX: String(i) }), 'kubernetes').toEqual(want);
      expect(
        shardFromEnv(undefined, undefined, { SLURM_ARRAY_TASK_ID: String(i), SLURM_ARRAY_TASK_COUNT: '3' }),
        'slurm',
      ).toEqual(want);
      expect(
        shardFromEnv(undefined, undefined, {
          SLURM_ARRAY_TASK_ID: String(i + 1),
          SLURM_ARRAY_TASK_MIN: '1',
          SLURM_ARRAY_TASK_COUNT: '3',
        }),
        'slurm --array=1-3',
      ).toEqual(want);
    }
  });

  it('flags win over the environment', () => {
    const env = { JOB_COMPLETION_INDEX: '2', SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_TASK_COUNT: '4' };
    expect(shardFromEnv(5, 3, env)).toEqual({ numShards: 5, shardIndex: 3 });
    expect(shardFromEnv(5, undefined, env)).toEqual({ numShards: 5, shardIndex: 2 });
  });

  it('refuses an index outside [0, N), an index without a count, and non-integers', () => {
    expect(() => shardFromEnv(3, 3, {})).toThrow('--shard-index must be in [0, 3), got 3');
    // JOB_COMPLETION_INDEX carries no count: index 2 of 1 part is refused, not silently run.
    expect(() => shardFromEnv(undefined, undefined, { JOB_COMPLETION_INDEX: '2' })).toThrow(
      '--shard-index must be in [0, 1), got 2',
    );
    expect(() => shardFromEnv(undefined, undefined, { SLURM_ARRAY_TASK_ID: '5', SLURM_ARRAY_TASK_COUNT: '3' })).toThrow(
      '--shard-index must be in [0, 3), got 5',
    );
    expect(() => shardFromEnv(0, undefined, {})).toThrow('--num-shards must be a positive integer, got 0');
    expect(() => shardFromEnv(2, undefined, { JOB_COMPLETION_INDEX: 'x' })).toThrow(
      '--shard-index must be in [0, 2), got NaN',
    );
  });
});

describe('shardRange', () => {
  it('parts are contiguous, in order, and cover every row once', () => {
    for (const total of [0, 1, 5, 614, 1000]) {
      for (const n of [1, 2, 3, 8, 13]) {
        let next = 0;
        for (let i = 0; i < n; i++) {
          const [from, to] = shardRange(total, n, i);
          expect(from).toBe(next);
          expect(to).toBeGreaterThanOrEqual(from);
          next = to;
        }
        expect(next).toBe(total);
      }
    }
  });

  it('5 rows over 8 parts: some parts are empty', () => {
    const sizes = Array.from({ length: 8 }, (_, i) => {
      const [a, b] = shardRange(5, 8, i);
      return b - a;
    });
    expect(sizes).toEqual([0, 1, 0, 1, 1, 0, 1, 1]);
  });
});
