/** Concatenate finished chatshard datasets (e.g. per-shard-index runs) into one. */
import { constants } from 'node:fs';
import { copyFile, readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import pLimit from 'p-limit';
import { countShardRows, datasetFormat, openShard, shardFiles } from '../dataset/read.js';
import { finalizeDataset, freshTmpDir, refuseFinished } from './finalize.js';
import { makeFingerprint, RUN_METADATA_KEY } from './fingerprint.js';
import { fsError } from './fsutil.js';
import { openOutputFolder } from './guard.js';
import type { OutputLock } from './lock.js';
import { INFO_JSON, tmpShardName, type OutputFormat } from '../dataset/layout.js';
import { keptSpecs, layoutOfFeatures, type Layout } from '../dataset/schema.js';
import { hashFile } from './shard.js';
import type { WriteResult } from './writer.js';

/** Features of a part: dataset_info.json (Arrow) or the first shard's `huggingface` metadata (Parquet). */
async function partFeatures(dir: string, format: OutputFormat): Promise<unknown> {
  if (format === 'arrow')
    return (JSON.parse(await readFile(join(dir, INFO_JSON), 'utf8')) as { features?: unknown }).features;
  const [first] = await shardFiles(dir);
  const meta = (await openShard(join(dir, first!))).schema.metadata.get('huggingface');
  return meta ? (JSON.parse(meta) as { info?: { features?: unknown } }).info?.features : undefined;
}

/** The column layout of a part from its features; throws for foreign layouts. */
async function partLayout(dir: string, format: OutputFormat): Promise<Exclude<Layout, boolean>> {
  const features = await partFeatures(dir, format);
  const layout = layoutOfFeatures(features);
  if (!layout) throw new Error(`chatshard merge: ${dir} does not have chatshard features: ${JSON.stringify(features)}`);
  return layout;
}

/** The run stamp of a part's first shard: fingerprint and [index, count] (absent for library writes without one). */
async function partRun(dir: string, files: string[]): Promise<{ fingerprint?: string; shard?: [number, number] }> {
  if (files.length === 0) return {};
  const meta = (await openShard(join(dir, files[0]!))).schema.metadata.get(RUN_METADATA_KEY);
  if (!meta) return {};
  try {
    return JSON.parse(meta) as { fingerprint?: string; shard?: [number, number] };
  } catch {
    return {};
  }
}

/**
 * Refuse parts that do not make one dataset: a part given twice, parts of different runs
 * (tokenizer, template or options differ), and sharded parts that are incomplete or out of
 * order. Throws with what is wrong; returns nothing when the parts fit.
 */
export function checkParts(parts: { dir: string; fingerprint?: string; shard?: [number, number] }[]): void {
  const seen = new Set<string>();
  for (const p of parts) {
    if (seen.has(p.dir)) throw new Error(`chatshard merge: part ${p.dir} is given twice`);
    seen.add(p.dir);
  }
  const stamped = parts.filter((p) => p.fingerprint !== undefined);
  if (stamped.length === 0) return;
  if (stamped.length < parts.length) {
    const bare = parts.find((p) => p.fingerprint === undefined)!;
    throw new Error(`chatshard merge: ${bare.dir} has no run fingerprint, the other parts do: they are not one run`);
  }
  const first = parts[0]!;
  const other = parts.find((p) => p.fingerprint !== first.fingerprint);
  if (other) {
    throw new Error(
      `chatshard merge: ${other.dir} comes from a different run than ${first.dir} ` +
        `(fingerprint ${other.fingerprint} vs ${first.fingerprint}: tokenizer, template or options differ)`,
    );
  }
  const count = first.shard?.[1] ?? 1;
  const byIndex = new Map<number, string>();
  for (const p of parts) {
    const [i, n] = p.shard ?? [0, 1];
    if (n !== count) throw new Error(`chatshard merge: ${p.dir} is part of ${n} shards, ${first.dir} of ${count}`);
    const dup = byIndex.get(i);
    if (dup !== undefined) throw new Error(`chatshard merge: ${dup} and ${p.dir} are both shard ${i} of ${count}`);
    byIndex.set(i, p.dir);
  }
  const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !byIndex.has(i));
  if (missing.length > 0) {
    throw new Error(`chatshard merge: shard index ${missing.join(', ')} of ${count} is missing`);
  }
  const order = parts.map((p) => (p.shard ?? [0, 1])[0]);
  if (order.some((v, k) => v !== k)) {
    throw new Error(
      `chatshard merge: parts are out of order (shard indices ${order.join(', ')}); give them as shard 0, 1, … ${count - 1}`,
    );
  }
}

/**
 * Shards are copied (reflinked where the filesystem can), never moved, so the parts stay
 * valid; the output goes through the same work area + finalize steps as writeDataset.
 * Packed parts are concatenated as they are: rows are never re-packed across parts.
 */
export async function mergeDatasets(
  parts: string[],
  outDir: string,
  opts: { overwrite?: boolean; fingerprintSeed?: string; lock?: OutputLock } = {},
): Promise<WriteResult> {
  if (parts.length === 0) throw new Error('chatshard merge: no input datasets');
  const out = resolve(outDir);
  const dirs = parts.map((p) => resolve(p));
  const formats = await Promise.all(dirs.map(datasetFormat));
  const format = formats[0]!;
  if (formats.some((f) => f !== format)) throw new Error('chatshard merge: some parts are Arrow and some Parquet');
  const layouts = await Promise.all(dirs.map((d) => partLayout(d, format)));
  if (new Set(layouts.map((l) => l.labels)).size > 1)
    throw new Error('chatshard merge: some parts have a labels column and some do not');
  const kept = layouts.map((l) =>
    keptSpecs(l)
      .map((k) => `${k.name}:${k.dtype}`)
      .join(', '),
  );
  const odd = kept.findIndex((k) => k !== kept[0]);
  if (odd > 0)
    throw new Error(
      `chatshard merge: the parts keep different input columns (keepColumns): ${dirs[0]} has [${kept[0]}], ${dirs[odd]} has [${kept[odd]}]`,
    );
  if (new Set(layouts.map((l) => JSON.stringify(l))).size > 1)
    throw new Error(
      'chatshard merge: the parts have different columns (packed and unpacked, or other packing columns)',
    );
  const layout = layouts[0]!;
  const sources: string[] = [];
  const runs = [];
  for (const d of dirs) {
    const files = await shardFiles(d);
    runs.push({ dir: d, ...(await partRun(d, files)) });
    for (const f of files) sources.push(join(d, f));
  }
  checkParts(runs);

  const lock = opts.lock ?? (await openOutputFolder(out));
  try {
    return await mergeInto(out, dirs, sources, { format, layout }, opts, lock);
  } finally {
    if (!opts.lock) await lock.release();
  }
}

async function mergeInto(
  out: string,
  dirs: string[],
  sources: string[],
  { format, layout }: { format: OutputFormat; layout: Exclude<Layout, boolean> },
  opts: { overwrite?: boolean; fingerprintSeed?: string },
  lock: OutputLock,
): Promise<WriteResult> {
  const labels = layout.labels;
  await refuseFinished(out, opts.overwrite);
  const tmp = await freshTmpDir(out);
  const names = sources.map((_, i) => tmpShardName(i, format));
  // A few copies at a time: parallel I/O helps on network filesystems without flooding them.
  const limit = pLimit(4);
  try {
    await Promise.all(
      sources.map((src, i) =>
        limit(() =>
          copyFile(src, join(tmp, names[i]!), constants.COPYFILE_FICLONE).catch((e) => {
            throw fsError('cannot copy shard', src, e);
          }),
        ),
      ),
    );
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
  let rows = 0;
  for (const n of names) rows += await countShardRows(join(tmp, n));
  // Seeded parts have content-derived fingerprints, so hashing them keeps merges reproducible.
  const partPrints = await Promise.all(dirs.map((d) => partFingerprint(d, format)));
  const fingerprint = makeFingerprint(opts.fingerprintSeed, partPrints, labels);
  await lock.check();
  const shards = await finalizeDataset(out, names, fingerprint, layout, format);
  return { outDir: out, shards, rows, fingerprint };
}

/** Arrow parts carry their fingerprint in state.json; Parquet parts are identified by their shards' content. */
async function partFingerprint(dir: string, format: OutputFormat): Promise<string> {
  if (format === 'parquet') {
    const hashes = [];
    for (const f of await shardFiles(dir)) hashes.push(await hashFile(join(dir, f)));
    return hashes.join(',');
  }
  const state = JSON.parse(await readFile(join(dir, 'state.json'), 'utf8')) as { _fingerprint?: string };
  return String(state._fingerprint);
}
