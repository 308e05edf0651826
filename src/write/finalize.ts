/**
 * Turning a work area into a loadable dataset, and the checks before starting one.
 * state.json is removed first and written last: a crash anywhere in between leaves a
 * folder that `load_from_disk` refuses rather than one that loads the wrong data.
 */
import { readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureOutputDir, exists, fsError, syncDir, writeFileAtomic } from './fsutil.js';
import { INFO_JSON, SHARD_RE, STATE_JSON, TMP_DIR, infoJson, shardName, stateJson } from './layout.js';

/** True when the folder already holds (part of) a finished dataset. */
export async function hasFinishedOutput(outDir: string): Promise<boolean> {
  let names: string[];
  try {
    names = await readdir(outDir);
  } catch {
    return false;
  }
  return names.some((n) => n === STATE_JSON || n === INFO_JSON || SHARD_RE.test(n));
}

export async function ensureDir(dir: string): Promise<void> {
  await ensureOutputDir(dir);
}

/** Refuse to clobber a finished dataset unless asked to. */
export async function refuseFinished(outDir: string, overwrite: boolean | undefined): Promise<void> {
  if (!overwrite && (await hasFinishedOutput(outDir))) {
    throw new Error(
      `chatshard write: ${outDir} already contains a dataset (state.json / dataset_info.json / data-*.arrow); pass \`overwrite\` to replace it`,
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

/**
 * Move the completed shards (file names inside the work area, in order) into place and
 * write dataset_info.json then state.json. Returns the final shard paths.
 */
export async function finalizeDataset(
  outDir: string,
  tmpShards: string[],
  fingerprint: string,
  labels: boolean,
): Promise<string[]> {
  const tmp = join(outDir, TMP_DIR);
  const n = tmpShards.length;
  const finalNames = tmpShards.map((_, i) => shardName(i, n));
  try {
    await rm(join(outDir, STATE_JSON), { force: true });
    await syncDir(outDir);
    for (const name of await readdir(outDir)) {
      if (name === INFO_JSON || SHARD_RE.test(name)) await rm(join(outDir, name), { force: true });
    }
  } catch (e) {
    throw fsError('cannot clear old dataset files in', outDir, e);
  }
  // Written before the shards move, so a full disk here leaves the work area resumable.
  await writeFileAtomic(join(outDir, INFO_JSON), infoJson(labels));
  let moved = 0;
  try {
    for (; moved < n; moved++) await rename(join(tmp, tmpShards[moved]), join(outDir, finalNames[moved]));
    await syncDir(outDir);
    await writeFileAtomic(join(outDir, STATE_JSON), stateJson(finalNames, fingerprint));
  } catch (e) {
    // Put the shards back so the manifest stays true and `resume` can still finish the job.
    for (let i = moved - 1; i >= 0; i--)
      await rename(join(outDir, finalNames[i]), join(tmp, tmpShards[i])).catch(() => undefined);
    throw (e as Error).message?.startsWith('chatshard') ? e : fsError('cannot move shards into', outDir, e);
  }
  await syncDir(outDir);
  await rm(tmp, { recursive: true, force: true });
  return finalNames.map((f) => join(outDir, f));
}
