import { createHash } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { readRows } from '../read/index.js';
import type { RawRow, RejectedRow, ShapedRow } from '../types.js';
import { ensureOutputDir } from '../write/fsutil.js';
import { readResumePoint, writeDataset, type WriteOptions } from '../write/index.js';
import { TMP_DIR } from '../dataset/layout.js';
import { loadManifest } from '../write/manifest.js';
import { listColumn, readShardBatches } from '../dataset/read.js';
import { PackStats, packStream } from '../pack/index.js';
import { chunk, mapOrdered } from './batches.js';
import type { PipelineOptions } from './options.js';
import { packOptionsOf } from './packing.js';
import { renderContextOf, shapeRendered } from './process.js';
import { defaultWorkers, inlineRenderer, workerRenderer } from './renderers.js';
import { reclaimNativeMemory } from './reclaim.js';
import { RejectsFile } from './rejects.js';
import { setupRun, SetupError, type Setup } from './setup.js';
import { countRows, shardRange } from './shard.js';
import { RunStats, type Summary } from './summary.js';

/** Batches between forced collections (see reclaimNativeMemory). */
const RECLAIM_EVERY = 16;

/** Raised under `--on-error fail` at the first bad row. */
export class RowError extends Error {
  override name = 'RowError';
  constructor(readonly reject: RejectedRow) {
    super(`${reject.ref.file}:${reject.ref.line}: ${reject.reason}: ${reject.message}`);
  }
}

export interface RunHooks {
  /** Called after every processed batch (progress display). */
  onProgress?: (stats: RunStats, totalRows?: number) => void;
  /** Called once when masks are inferred because the template has no generation tags. */
  onNotice?: (message: string) => void;
}

/** Write-stage knobs for library callers and tests; not CLI flags. Shard sizes change the layout, hence the fingerprint. */
export type RunTuning = Pick<WriteOptions, 'rowsPerShard' | 'maxShardBytes' | 'rowsPerBatch'>;

/** Options that define the dataset content (fingerprint and summary). */
function contentOptions(o: PipelineOptions): Record<string, unknown> {
  const { progress: _p, overwrite: _o, resume: _r, onError: _e, strict: _s, ...rest } = o;
  return rest;
}

/** What the fingerprint hashes: the content options minus where the output goes and how many threads made it. */
function fingerprintOptions(o: PipelineOptions): Record<string, unknown> {
  // Output place, worker count and engine don't change the bytes written (determinism tests).
  const { output: _out, workers: _w, engine: _e, ...rest } = contentOptions(o);
  return rest;
}

/** Token counts of the shards an interrupted run completed (the ones `--resume` keeps), for the summary. */
async function resumedTokens(
  outDir: string,
  stats?: PackStats,
): Promise<{ tokens: number; trainable: number; padded: number }> {
  const t = { tokens: 0, trainable: 0, padded: 0 };
  const m = await loadManifest(outDir);
  for (const s of m?.shards ?? []) {
    for await (const { batch } of readShardBatches(join(outDir, TMP_DIR, s.file))) {
      const ids = listColumn(batch, 'input_ids');
      const att = listColumn(batch, 'attention_mask');
      const asm = listColumn(batch, 'assistant_masks');
      const seq = listColumn(batch, 'seq_lengths');
      if (ids) t.padded += ids.offsets[ids.length]! - ids.offsets[0]!;
      // Counted as "attended", so segment ids (1, 2, 3, …) count once per token too.
      if (att) for (const v of att.values) t.tokens += v ? 1 : 0;
      if (asm) for (const v of asm.values) t.trainable += v;
      if (stats && ids) {
        for (let r = 0; r < ids.length; r++) {
          const seqs = seq ? seq.offsets[r + 1]! - seq.offsets[r]! : 1;
          stats.addBin(ids.offsets[r + 1]! - ids.offsets[r]!, seqs);
        }
      }
    }
  }
  return t;
}

/** Raw lines of this shard (JSON left unparsed: workers parse it); rows before `range[0]` skipped. */
async function* rawRows(o: PipelineOptions, range: [number, number]): AsyncGenerator<RawRow> {
  for await (const raw of readRows(o.input, { parse: (text) => text, from: range[0] })) {
    if (raw.index >= range[1]) break;
    yield raw;
  }
}

/**
 * Run the whole pipeline: read → normalize → render → tokenize → mask → shape → write.
 * Streams with bounded look-ahead; every input row ends up written or in rejects.jsonl.
 */
export async function runPipeline(o: PipelineOptions, hooks: RunHooks = {}, tuning: RunTuning = {}): Promise<Summary> {
  const started = performance.now();
  const outDir = resolve(o.output);
  let pack;
  try {
    pack = packOptionsOf(o);
  } catch (e) {
    throw new SetupError((e as Error).message);
  }
  const packStats = pack ? new PackStats() : undefined;
  const setup: Setup = await setupRun(o);
  const workers = o.workers ?? defaultWorkers(setup.maskSource);
  if (setup.maskSource === 'infer') {
    hooks.onNotice?.(
      `template ${setup.templateName} has no {% generation %} blocks: inferring assistant masks from conversation prefixes`,
    );
  }
  // Contiguous shard ranges need the row count; skip counting for unsharded runs.
  let range: [number, number] = [0, Infinity];
  let total: number | undefined;
  if (o.numShards > 1) {
    total = await countRows(o.input);
    range = shardRange(total, o.numShards, o.shardIndex);
  }
  await ensureOutputDir(outDir);
  const resumePoint = o.resume ? await readResumePoint(outDir) : null;
  const from = Math.max(range[0], resumePoint?.nextIndex ?? 0);
  const resumed = resumePoint ? await resumedTokens(outDir, packStats) : null;
  let keptRejects = 0;
  const rejectsPath = join(outDir, 'rejects.jsonl');
  const stats = new RunStats();
  const seed = createHash('sha256')
    .update(JSON.stringify({ o: fingerprintOptions(o), t: setup.tokenizer.sha256, c: setup.templateSha256, range }))
    .digest('hex');

  let rejects: RejectsFile | undefined;
  const shaped = async function* (): AsyncGenerator<ShapedRow> {
    // Only now, after writeDataset accepted the folder: a refused run must leave an existing dataset's files alone.
    if (!o.resume) {
      await rm(join(outDir, 'summary.json'), { force: true });
      if (o.overwrite) await rm(join(outDir, 'rejects.jsonl'), { force: true });
    }
    const opened = await RejectsFile.open(rejectsPath, resumePoint ? resumePoint.nextIndex : undefined);
    rejects = opened.file;
    keptRejects = opened.kept.length;
    for (const r of opened.kept) stats.rejected(r);
    const batchSize = o.padding === 'longest' ? o.batchSize : 128;
    const batches = chunk(rawRows(o, [from, range[1]]), batchSize);
    // Workers render batch k+1.. while the main thread tokenizes and writes batch k.
    const processed = mapOrdered(
      batches,
      async (batch) => shapeRendered(batch, await renderer.renderRaw(batch), setup),
      workers + 2,
    );
    let batchCount = 0;
    for await (const outcomes of processed) {
      for (let r of outcomes) {
        if (r.ok && pack && r.row.inputIds.length === 0) {
          // TRL's bfd drops empty rows; here they are reported rather than lost silently.
          const { ref, index } = r.row;
          r = {
            ok: false,
            reject: { ref, index, reason: 'empty_row', message: 'no tokens: packing drops empty rows' },
          };
        }
        if (r.ok) {
          stats.written(r.row);
          yield r.row;
        } else {
          if (o.onError === 'fail') throw new RowError(r.reject);
          stats.rejected(r.reject);
          await rejects.add(r.reject);
        }
      }
      hooks.onProgress?.(stats, total);
      if (++batchCount % RECLAIM_EVERY === 0) reclaimNativeMemory();
    }
  };
  const rctx = renderContextOf(setup);
  const renderer = workers > 0 ? workerRenderer(rctx, workers) : inlineRenderer(rctx);

  let result;
  try {
    const rows = pack ? packStream(shaped(), pack, packStats) : shaped();
    result = await writeDataset(rows, {
      ...tuning,
      outDir,
      format: o.format,
      labels: o.labels,
      packed: pack && {
        seqLengths: pack.strategy !== 'wrapped',
        positionIds: pack.positionIds,
        segmentIds: pack.segmentIds,
      },
      overwrite: o.overwrite,
      resume: o.resume,
      fingerprintSeed: seed,
    });
  } catch (e) {
    await rejects?.abort();
    throw e;
  } finally {
    await renderer.close();
  }
  await rejects!.close();
  if (result.resumedRows) {
    // Packed shards hold bins: the input rows they took are those below the resume point not rejected.
    const inputRows = pack ? resumePoint!.nextIndex - range[0] - keptRejects : result.resumedRows;
    if (packStats) packStats.rows += inputRows;
    stats.rowsIn += inputRows;
    stats.rowsWritten += inputRows;
    stats.tokens += resumed?.tokens ?? 0;
    stats.trainableTokens += resumed?.trainable ?? 0;
    stats.paddedTokens += resumed?.padded ?? 0;
  }
  const seconds = (performance.now() - started) / 1000;
  const summary: Summary = {
    ok: stats.rowsRejected === 0 || !o.strict,
    rows_in: stats.rowsIn,
    rows_written: stats.rowsWritten,
    rows_rejected: stats.rowsRejected,
    rejected_by_reason: stats.byReason,
    tokens: stats.tokens,
    trainable_tokens: stats.trainableTokens,
    padded_tokens: stats.paddedTokens,
    seconds: Math.round(seconds * 1000) / 1000,
    tokens_per_second: Math.round(stats.tokens / Math.max(seconds, 1e-9)),
    peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
    warnings: [...stats.unmaskedTurnEnds].map(
      ([id, rows]) =>
        `${rows} row(s): the assistant mask stops right before special token ${JSON.stringify(setup.tokenizer.engine.idToToken(id))} ` +
        '(the end-of-turn marker?); a model trained on these never learns to stop. Use a template whose generation ' +
        'blocks include it, or --masks infer with --train-on-eot turn.',
    ),
    output: outDir,
    shards: result.shards.length,
    fingerprint: result.fingerprint,
    tokenizer: { source: o.tokenizer, sha256: setup.tokenizer.sha256, engine: setup.tokenizer.engine.kind },
    template: {
      name: setup.templateName,
      sha256: setup.templateSha256,
      mask_source: setup.maskSource,
      ...(setup.toolTemplate
        ? { tool_use_sha256: createHash('sha256').update(setup.toolTemplate.source).digest('hex') }
        : {}),
    },
    options: contentOptions(o),
  };
  if (result.resumedRows) summary.resumed_rows = result.resumedRows;
  if (pack && packStats) summary.packing = packStats.summary(pack.strategy, pack.maxLength, pack.window!);
  await writeFile(join(outDir, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  return summary;
}
