/**
 * Turning a work area into a loadable dataset, and the checks before starting one.
 * state.json is removed first and written last: a crash anywhere in between leaves a
 * folder that `load_from_disk` refuses rather than one that loads the wrong data.
 */
import { link, mkdir, readdir, rename, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureOutputDir, exists, fsError, syncDir, writeFileAtomic } from './fsutil.js';
import {
  INFO_JSON,
  PARQUET_DIR,
  PARQUET_RE,
  SHARD_RE,
  STATE_JSON,
  TMP_DIR,
  infoJson,
  parquetShardName,
  shardName,
  stateJson,
  type OutputFormat,
} from '../dataset/layout.js';
import type { Layout } from '../dataset/schema.js';

/** chatshard's Parquet shards in `OUT/data/` (empty when there is no such folder). */
async function parquetShardsIn(outDir: string): Promise<string[]> {
  return (await readdir(join(outDir, PARQUET_DIR)).catch(() => [] as string[])).filter((n) => PARQUET_RE.test(n));
}

/** True when the folder already holds (part of) a finished dataset. */
export async function hasFinishedOutput(outDir: string): Promise<boolean> {
  let names: string[];
  try {
    names = await readdir(outDir);
  } catch {
    return false;
  }
  return (
    names.some((n) => n === STATE_JSON || n === INFO_JSON || SHARD_RE.test(n)) ||
    (await parquetShardsIn(outDir)).length > 0
  );
}

export async function ensureDir(dir: string): Promise<void> {
  await ensureOutputDir(dir);
}

/** Refuse to clobber a finished dataset unless asked to. */
export async function refuseFinished(outDir: string, overwrite: boolean | undefined): Promise<void> {
  if (!overwrite && (await hasFinishedOutput(outDir))) {
    throw new Error(
      `chatshard write: ${outDir} already contains a dataset (state.json / dataset_info.json / data-*.arrow / data/train-*.parquet); pass \`overwrite\` to replace it`,
    );
  }
}

/** Start an empty work area, discarding any previous one. */
export async function freshTmpDir(outDir: string): Promise<string> {
  const tmp = join(outDir, TMP_DIR);
  await rm(tmp, { recursive: true, force: true });
  await ensureDir(tmp);
  return tmp;
}

export const tmpDirExists = (outDir: string) => exists(join(outDir, TMP_DIR));

/** Remove the Parquet shards of an earlier dataset (and `data/` when that leaves it empty). */
async function clearParquet(outDir: string): Promise<void> {
  const dir = join(outDir, PARQUET_DIR);
  for (const name of await parquetShardsIn(outDir)) await rm(join(dir, name), { force: true });
  await rmdir(dir).catch(() => undefined);
}

/**
 * Move the completed shards (file names inside the work area, in order) into place. Arrow:
 * dataset_info.json then state.json. Parquet: see finalizeParquet. Returns the final shard paths.
 */
export async function finalizeDataset(
  outDir: string,
  tmpShards: string[],
  fingerprint: string,
  layout: Layout,
  format: OutputFormat = 'arrow',
): Promise<string[]> {
  if (format === 'parquet') return finalizeParquet(outDir, tmpShards);
  const tmp = join(outDir, TMP_DIR);
  const n = tmpShards.length;
  const finalNames = tmpShards.map((_, i) => shardName(i, n));
  try {
    await rm(join(outDir, STATE_JSON), { force: true });
    await syncDir(outDir);
    for (const name of await readdir(outDir)) {
      if (name === INFO_JSON || SHARD_RE.test(name)) await rm(join(outDir, name), { force: true });
    }
    await clearParquet(outDir);
  } catch (e) {
    throw fsError('cannot clear old dataset files in', outDir, e);
  }
  // Written before the shards move, so a full disk here leaves the work area resumable.
  await writeFileAtomic(join(outDir, INFO_JSON), infoJson(layout));
  let moved = 0;
  try {
    for (; moved < n; moved++) await rename(join(tmp, tmpShards[moved]!), join(outDir, finalNames[moved]!));
    await syncDir(outDir);
    await writeFileAtomic(join(outDir, STATE_JSON), stateJson(finalNames, fingerprint));
  } catch (e) {
    // Put the shards back so the manifest stays true and `resume` can still finish the job.
    for (let i = moved - 1; i >= 0; i--)
      await rename(join(outDir, finalNames[i]!), join(tmp, tmpShards[i]!)).catch(() => undefined);
    throw (e as Error).message?.startsWith('chatshard') ? e : fsError('cannot move shards into', outDir, e);
  }
  await syncDir(outDir);
  await rm(tmp, { recursive: true, force: true });
  return finalNames.map((f) => join(outDir, f));
}

/**
 * Parquet: the shards are linked under their Hub names into a staging `data/` folder inside the
 * work area, which then replaces `OUT/data` with one rename, so a reader sees all shards or none.
 * Links (not moves) keep the work area's manifest true until the end, so a failure stays resumable.
 * An earlier Arrow dataset in the folder is removed first (state.json first, as for Arrow).
 */
async function finalizeParquet(outDir: string, tmpShards: string[]): Promise<string[]> {
  const tmp = join(outDir, TMP_DIR);
  const staged = join(tmp, PARQUET_DIR);
  const n = tmpShards.length;
  const finalNames = tmpShards.map((_, i) => parquetShardName(i, n));
  try {
    await rm(staged, { recursive: true, force: true });
    await mkdir(staged);
    for (let i = 0; i < n; i++) {
      const from = join(tmp, tmpShards[i]!);
      const to = join(staged, finalNames[i]!);
      await link(from, to).catch(() => rename(from, to));
    }
    await syncDir(staged);
    await rm(join(outDir, STATE_JSON), { force: true });
    await syncDir(outDir);
    for (const name of await readdir(outDir)) {
      if (name === INFO_JSON || SHARD_RE.test(name)) await rm(join(outDir, name), { force: true });
    }
    await clearParquet(outDir);
    if (await exists(join(outDir, PARQUET_DIR))) {
      throw new Error(
        `chatshard write: ${join(outDir, PARQUET_DIR)} holds files chatshard did not write; move them away first`,
      );
    }
    await rename(staged, join(outDir, PARQUET_DIR));
  } catch (e) {
    throw (e as Error).message?.startsWith('chatshard') ? e : fsError('cannot move shards into', outDir, e);
  }
  await syncDir(outDir);
  await rm(tmp, { recursive: true, force: true });
  return finalNames.map((f) => join(outDir, PARQUET_DIR, f));
}
