/** The write stage: shaped rows in, a `load_from_disk`-compatible folder out. */
import { existsSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { ShapedRow } from '../types.js';
import { BATCH_OVERHEAD, BatchBuilder, EOS_BYTES, checkRow, rowBytes } from './batch.js';
import { Schema } from '../arrow.js';
import { finalizeDataset, freshTmpDir, refuseFinished } from './finalize.js';
import { identityChanges, makeFingerprint, RUN_METADATA_KEY, type RunIdentity } from './fingerprint.js';
import { openOutputFolder } from './guard.js';
import type { OutputLock } from './lock.js';
import { MANIFEST, STATE_JSON, TMP_DIR, tmpShardName, type OutputFormat } from '../dataset/layout.js';
import { loadManifest, resumePointOf, saveManifest, type Manifest } from './manifest.js';
import { arrowSchema, columnNames, type KeptSpec, type Layout } from '../dataset/schema.js';
import { ParquetShardWriter } from './parquet-shard.js';
import { ShardWriter, hashFile, type ShardSink } from './shard.js';

export interface WriteOptions {
  outDir: string;
  /** `arrow` (default): a load_from_disk folder; `parquet`: `data/train-*.parquet` for load_dataset. */
  format?: OutputFormat;
  /** Write the `labels` column (default true). */
  labels?: boolean;
  /** Packed-row columns (seq_lengths, position_ids, segment ids); `labels` still decides the labels column. */
  packed?: { seqLengths?: boolean; positionIds?: boolean; segmentIds?: boolean };
  /** Kept input columns written after the token columns (values in each row's `kept`, in this order). */
  keep?: KeptSpec[];
  /** Rows per Arrow record batch (default 1000, like datasets). */
  rowsPerBatch?: number;
  /** Start a new shard before one would exceed this many bytes (default 500 MB, like datasets). */
  maxShardBytes?: number;
  /** Also start a new shard after this many rows. */
  rowsPerShard?: number;
  /** Makes the fingerprint a hash of this seed and the written content. */
  fingerprintSeed?: string;
  /** Replace a finished dataset / discard an interrupted run in outDir. */
  overwrite?: boolean;
  /** Keep the completed shards of an interrupted run and append after them. */
  resume?: boolean;
  /** The run's identity: recorded in the progress file (resume refuses another run) and in each shard. */
  run?: RunIdentity;
  /** The output folder's lock when the caller already holds it (see openOutputFolder). */
  lock?: OutputLock;
}

export interface WriteResult {
  outDir: string;
  /** Final shard paths, in row order. */
  shards: string[];
  /** Total rows in the dataset (including resumed ones). */
  rows: number;
  fingerprint: string;
  /** Rows taken over from an interrupted run (only with `resume`). */
  resumedRows?: number;
}

export const DEFAULT_MAX_SHARD_BYTES = 500_000_000;
export const DEFAULT_ROWS_PER_BATCH = 1000;

function positiveInt(name: string, v: number | undefined, dflt: number | undefined): number | undefined {
  if (v === undefined) return dflt;
  if (!Number.isInteger(v) || v <= 0) throw new Error(`chatshard write: ${name} must be a positive integer, got ${v}`);
  return v;
}

/**
 * Prepare the work area: resume from its manifest or start clean. A work area without a single
 * complete shard holds nothing worth keeping, so it never blocks a new run.
 */
async function openWorkArea(
  outDir: string,
  opts: WriteOptions,
  labels: boolean,
  format: OutputFormat,
  columns: string[],
): Promise<Manifest> {
  const prev = await loadManifest(outDir);
  const unfinished = prev !== null && prev.shards.length > 0;
  if (opts.resume && unfinished) {
    // Only a loadable dataset (state.json) conflicts; a dataset_info.json left by a failed
    // finalize is expected and gets replaced.
    if (!opts.overwrite && existsSync(join(outDir, STATE_JSON))) {
      throw new Error(
        `chatshard write: ${outDir} already contains a dataset (state.json); pass overwrite to replace it`,
      );
    }
    if (prev.labels !== labels) {
      throw new Error(
        `chatshard write: cannot resume ${outDir}: it was started with labels=${prev.labels}, now labels=${labels}`,
      );
    }
    const changed = identityChanges(prev.run, opts.run);
    if (changed.length > 0) {
      throw new Error(
        `chatshard write: cannot resume ${outDir}: this run differs from the interrupted one in: ${changed.join(', ')}; ` +
          'resume with the same options and input, or start over with `overwrite`',
      );
    }
    const before = prev.columns ?? columns.slice(0, labels ? 4 : 3);
    if (before.join(',') !== columns.join(',')) {
      throw new Error(
        `chatshard write: cannot resume ${outDir}: it was started with columns [${before.join(', ')}], now [${columns.join(', ')}]`,
      );
    }
    if ((prev.format ?? 'arrow') !== format) {
      throw new Error(
        `chatshard write: cannot resume ${outDir}: it was started with format ${prev.format ?? 'arrow'}, now ${format}`,
      );
    }
    // Drop partial shards and anything the manifest does not vouch for.
    const keep = new Set([MANIFEST, ...prev.shards.map((s) => s.file)]);
    const tmp = join(outDir, TMP_DIR);
    for (const name of await readdir(tmp))
      if (!keep.has(name)) await rm(join(tmp, name), { force: true, recursive: true });
    await saveManifest(outDir, prev);
    return prev;
  }
  await refuseFinished(outDir, opts.overwrite);
  if (!opts.resume && !opts.overwrite && unfinished) {
    throw new Error(
      `chatshard write: ${join(outDir, TMP_DIR)} holds an interrupted run; pass \`resume\` to continue it or \`overwrite\` to start over`,
    );
  }
  await freshTmpDir(outDir);
  const m: Manifest = { version: 1, labels, format, shards: [] };
  if (typeof layoutOf(opts) === 'object') m.columns = columns;
  if (opts.run) m.run = opts.run;
  await saveManifest(outDir, m);
  return m;
}

/** Which columns a write produces: the boolean form for plain rows, the object form with packing or kept columns. */
function layoutOf(opts: WriteOptions): Layout {
  const labels = opts.labels ?? true;
  if (!opts.packed && !opts.keep?.length) return labels;
  return { labels, ...opts.packed, ...(opts.keep?.length ? { keep: opts.keep } : {}) };
}

/** The shard schema, stamped with the run's fingerprint and part when the caller gave one. */
function shardSchema(layout: Layout, run: RunIdentity | undefined): Schema {
  const base = arrowSchema(layout);
  if (!run) return base;
  const meta = new Map(base.metadata);
  meta.set(
    RUN_METADATA_KEY,
    JSON.stringify({ fingerprint: run.fingerprint, ...(run.shard ? { shard: run.shard } : {}) }),
  );
  return new Schema(base.fields, meta);
}

/**
 * Consume shaped rows (in input order) and write the dataset. Streaming with constant
 * memory: the loop awaits each file write, so a slow disk slows the producer down.
 * With `resume`, rows whose `index` is below the resume point are skipped, so callers may
 * either pre-skip them (see readResumePoint) or replay the whole input.
 */
export async function writeDataset(rows: AsyncIterable<ShapedRow>, opts: WriteOptions): Promise<WriteResult> {
  const labels = opts.labels ?? true;
  const format = opts.format ?? 'arrow';
  const layout = layoutOf(opts);
  const rowsPerBatch = positiveInt('rowsPerBatch', opts.rowsPerBatch, DEFAULT_ROWS_PER_BATCH)!;
  const maxShardBytes = positiveInt('maxShardBytes', opts.maxShardBytes, DEFAULT_MAX_SHARD_BYTES)!;
  const rowsPerShard = positiveInt('rowsPerShard', opts.rowsPerShard, undefined);
  const outDir = resolve(opts.outDir);
  // Checked before the folder is touched; then one writer at a time.
  const lock = opts.lock ?? (await openOutputFolder(outDir));
  try {
    const tmp = join(outDir, TMP_DIR);

    const columns = columnNames(layout);
    const manifest = await openWorkArea(outDir, opts, labels, format, columns);
    const resumed = resumePointOf(manifest);
    const skipBelow = manifest.shards.length > 0 ? resumed.nextIndex : -Infinity;

    const schema = shardSchema(layout, opts.run);
    const batch = new BatchBuilder(schema, layout);
    let shard: ShardSink | null = null;
    let first = -1;
    let last = -1;
    let truncatedRows = 0;
    let truncatedTokens = 0;
    // Packed rows of one window stay in one shard, so a resumed run can restart at a window start.
    let atBoundary = true;

    const closeShard = async (s: ShardSink) => {
      if (batch.length > 0) await s.write(batch.take());
      const info = await s.finish();
      shard = null;
      manifest.shards.push({
        file: basename(info.path),
        rows: info.rows,
        bytes: info.bytes,
        sha256: info.sha256,
        firstIndex: first,
        lastIndex: last,
        ...(truncatedRows > 0 ? { truncatedRows, truncatedTokens } : {}),
      });
      await saveManifest(outDir, manifest);
      first = last = -1;
      truncatedRows = truncatedTokens = 0;
    };
    const seeded = opts.fingerprintSeed !== undefined;
    const openShard = (): Promise<ShardSink> => {
      const path = join(tmp, tmpShardName(manifest.shards.length, format));
      // A Parquet row group holds one record batch at most, so streaming readers get batch-sized groups.
      return format === 'parquet'
        ? ParquetShardWriter.create(path, schema, seeded, rowsPerBatch)
        : ShardWriter.create(path, schema, seeded);
    };

    try {
      for await (const row of rows) {
        if (row.index < skipBelow) continue;
        checkRow(row, layout);
        if (shard && atBoundary) {
          const s: ShardSink = shard;
          const pendingRows = s.rows + batch.length;
          const full =
            (rowsPerShard !== undefined && pendingRows >= rowsPerShard) ||
            s.bytes + batch.bytes + (batch.length === 0 ? BATCH_OVERHEAD : 0) + rowBytes(row, layout) + EOS_BYTES >
              maxShardBytes;
          if (full && pendingRows > 0) await closeShard(s);
        }
        shard ??= await openShard();
        batch.add(row);
        atBoundary = row.packed ? row.packed.windowEnd : true;
        if (first < 0) first = row.index;
        last = row.index;
        if (row.truncated) {
          truncatedRows++;
          truncatedTokens += row.truncated;
        }
        if (batch.length >= rowsPerBatch) await shard.write(batch.take());
      }
      if (shard) await closeShard(shard);
      // load_from_disk needs at least one file to learn the schema from: write an empty shard.
      if (manifest.shards.length === 0) await closeShard(await openShard());
    } catch (e) {
      await (shard as ShardSink | null)?.abort();
      throw e;
    }

    // Shards resumed from an unseeded run have no hash yet.
    const shardHashes = seeded
      ? await Promise.all(manifest.shards.map((s) => s.sha256 ?? hashFile(join(tmp, s.file))))
      : [];
    const fingerprint = makeFingerprint(opts.fingerprintSeed, shardHashes, labels);
    // A second writer that took over this folder (we were thought dead) must not be overwritten.
    await lock.check();
    const shards = await finalizeDataset(
      outDir,
      manifest.shards.map((s) => s.file),
      fingerprint,
      layout,
      format,
    );
    const total = manifest.shards.reduce((n, s) => n + s.rows, 0);
    const result: WriteResult = { outDir, shards, rows: total, fingerprint };
    if (opts.resume) result.resumedRows = resumed.rows;
    return result;
  } finally {
    if (!opts.lock) await lock.release();
  }
}
