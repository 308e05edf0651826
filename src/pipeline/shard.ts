import { countInputRows } from '../read/index.js';

/**
 * Which shard of the input this process handles. Explicit values win; otherwise Kubernetes
 * Indexed Jobs (`JOB_COMPLETION_INDEX`, count from the caller) and Slurm arrays
 * (`SLURM_ARRAY_TASK_ID` / `SLURM_ARRAY_TASK_COUNT`, assuming ids start at 0 or `SLURM_ARRAY_TASK_MIN`).
 */
export function shardFromEnv(
  numShards: number | undefined,
  shardIndex: number | undefined,
  env: NodeJS.ProcessEnv = process.env,
): { numShards: number; shardIndex: number } {
  let n = numShards;
  let i = shardIndex;
  if (i === undefined && env.JOB_COMPLETION_INDEX !== undefined) i = Number(env.JOB_COMPLETION_INDEX);
  if (env.SLURM_ARRAY_TASK_ID !== undefined) {
    const min = Number(env.SLURM_ARRAY_TASK_MIN ?? 0);
    i ??= Number(env.SLURM_ARRAY_TASK_ID) - min;
    n ??= env.SLURM_ARRAY_TASK_COUNT !== undefined ? Number(env.SLURM_ARRAY_TASK_COUNT) : undefined;
  }
  n ??= 1;
  i ??= 0;
  if (!Number.isInteger(n) || n < 1) throw new Error(`--num-shards must be a positive integer, got ${n}`);
  if (!Number.isInteger(i) || i < 0 || i >= n) throw new Error(`--shard-index must be in [0, ${n}), got ${i}`);
  return { numShards: n, shardIndex: i };
}

/**
 * Contiguous row range [from, to) of shard `i` of `n` over `total` rows. Contiguous ranges mean
 * that concatenating the shards in index order reproduces a single run row for row.
 */
export function shardRange(total: number, n: number, i: number): [number, number] {
  return [Math.floor((i * total) / n), Math.floor(((i + 1) * total) / n)];
}

/** Count the rows of the inputs without parsing them (JSONL: non-blank lines; Parquet: footers). */
export async function countRows(inputs: string[]): Promise<number> {
  return countInputRows(inputs);
}
