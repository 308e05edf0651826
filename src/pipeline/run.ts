import { createHash } from 'node:crypto';
import { rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { STDIN } from '../read/index.js';
import type { ShapedRow } from '../types.js';
import { identityChanges, type RunIdentity } from '../write/fingerprint.js';
import { openOutputFolder } from '../write/guard.js';
import type { OutputLock } from '../write/lock.js';
import { readResumePoint, writeDataset, type WriteOptions } from '../write/index.js';
import { TMP_DIR } from '../dataset/layout.js';
import { loadManifest } from '../write/manifest.js';
import { listColumn, readShardBatches } from '../dataset/read.js';
import { PackStats, packStream } from '../pack/index.js';
import { chunk, mapOrdered } from './batches.js';
import type { PipelineOptions } from './options.js';
import { packOptionsOf } from './packing.js';
import { renderContextOf, shapeOptionsOf, shapeRendered } from './process.js';
import { adoptWorkers, defaultWorkers, pipelineRenderer, startLikelyWorkers } from './renderers.js';
import type { Worker } from 'node:worker_threads';
import { RECLAIM_EVERY, reclaimNativeMemory } from './reclaim.js';
import { rawRows, typeKeptColumns, type Replay } from './input.js';
import { dtypeOf, KEEP_SNIFF_ROWS } from './keep.js';
import { RejectsFile } from './rejects.js';
import { checkInputs, setupRun, SetupError, type Setup } from './setup.js';
import { countRows, shardRange } from './shard.js';
import { RunStats, type Summary } from './summary.js';
import { VERSION } from '../version.js';
import { BpeEngine, NativeEngine } from '../tokenize/index.js';

import { RowError } from './row-error.js';

export { RowError };

/** The run was stopped by its AbortSignal (SIGINT/SIGTERM in the CLI); complete shards are kept for resume. */
export class RunInterrupted extends Error {
  override name = 'RunInterrupted';
  constructor(
    readonly output: string,
    /** Rows in complete shards, which a resumed run keeps. */
    readonly keptRows: number,
  ) {
    super(`interrupted; ${keptRows} rows in complete shards are kept in ${output} for resume`);
  }
}

export interface RunHooks {
  /** Called after every processed batch (progress display); `total` is what percent is measured against. */
  onProgress?: (stats: RunStats, total?: { rows?: number; bytes?: number }) => void;
  /** Called with things the user should know at startup (inferred masks, non-reproducible dates). */
  onNotice?: (message: string) => void;
  /** Stop the run between batches, keeping complete shards for resume (throws RunInterrupted). */
  signal?: AbortSignal;
}

/** Write-stage knobs for library callers and tests; not CLI flags. Shard sizes change the layout, hence the fingerprint. */
export type RunTuning = Pick<WriteOptions, 'rowsPerShard' | 'maxShardBytes' | 'rowsPerBatch'>;

/** Options that define the dataset content (fingerprint and summary). */
function contentOptions(o: PipelineOptions): Record<string, unknown> {
  // The cache folder only changes how fast the tokenizer loads, never the rows.
  const {
    progress: _p,
    overwrite: _o,
    resume: _r,
    onError: _e,
    strict: _s,
    maxRejectRatio: _m,
    json: _j,
    cacheDir: _c,
    ...rest
  } = o;
  return rest;
}

/** What the fingerprint hashes: the content options minus where the output goes and how many threads made it. */
function fingerprintOptions(o: PipelineOptions): Record<string, unknown> {
  // Output place, worker count and engine don't change the bytes written (determinism tests).
  const { output: _out, workers: _w, engine: _e, ...rest } = contentOptions(o);
  return rest;
}

/**
 * Identity of the run (see RunIdentity). Its fingerprint, stamped into every shard, covers what
 * makes rows what they are: tokenizer, template and content options (not where the input came
 * from, so the same conversations from JSONL or Parquet give the same bytes); the parts compared
 * on resume add the input (files with their sizes). The shard index/count is kept apart (all
 * parts of a job share the fingerprint, which merge checks).
 */
async function runIdentity(o: PipelineOptions, setup: Setup, files: string[]): Promise<RunIdentity> {
  const sha = (v: unknown) => createHash('sha256').update(JSON.stringify(v)).digest('hex');
  // How the input is read (its files and field mapping) goes with the input, not the content.
  const {
    numShards: _n,
    shardIndex: _i,
    input: _in,
    messagesField,
    roleField,
    contentField,
    roleMap,
    toolsField,
    ...options
  } = fingerprintOptions(o);
  const reading = { messagesField, roleField, contentField, roleMap, toolsField };
  const input = await Promise.all(
    files.map(async (f) => [f, f === STDIN ? null : ((await stat(f).catch(() => null))?.size ?? null)]),
  );
  const content = {
    tokenizer: setup.tokenizer.sha256,
    template: sha([setup.templateSha256, setup.toolTemplate?.source ?? null]),
    options: sha(options),
  };
  const parts = { ...content, input: sha([o.input, input, reading]) };
  return { fingerprint: sha(content).slice(0, 16), parts, shard: [o.shardIndex, o.numShards] };
}

/** Why a finished run counts as failed (exit 1), or undefined when it did fine. */
function failureOf(o: PipelineOptions, stats: RunStats): string | undefined {
  const dominant = stats.dominantReason();
  const mostly = dominant ? `, mostly ${dominant[0]} (${dominant[1]})` : '';
  if (stats.rowsWritten === 0) {
    // A part of a sharded job may legitimately get no row (more parts than rows).
    if (stats.rowsIn === 0) return o.numShards > 1 ? undefined : 'the input has no rows: 0 rows written';
    return `0 rows written: all ${stats.rowsIn} rows were rejected${mostly}`;
  }
  const ratio = stats.rowsRejected / Math.max(stats.rowsIn, 1);
  if (ratio > o.maxRejectRatio) {
    return (
      `${stats.rowsRejected} of ${stats.rowsIn} rows rejected (${(ratio * 100).toFixed(1)}%, ` +
      `more than \`maxRejectRatio\` ${o.maxRejectRatio})${mostly}`
    );
  }
  if (o.strict && stats.rowsRejected > 0) return `${stats.rowsRejected} rows rejected and \`strict\` is set${mostly}`;
  return undefined;
}

/** Token counts of the shards an interrupted run completed (the ones `--resume` keeps), for the summary. */
async function resumedTokens(
  outDir: string,
  stats?: PackStats,
): Promise<{ tokens: number; trainable: number; padded: number; truncatedRows: number; truncatedTokens: number }> {
  const t = { tokens: 0, trainable: 0, padded: 0, truncatedRows: 0, truncatedTokens: 0 };
  const m = await loadManifest(outDir);
  for (const s of m?.shards ?? []) {
    t.truncatedRows += s.truncatedRows ?? 0;
    t.truncatedTokens += s.truncatedTokens ?? 0;
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

/**
 * Run the whole pipeline: read → normalize → render → tokenize → mask → shape → write.
 * Streams with bounded look-ahead; every input row ends up written or in rejects.jsonl.
 */
export async function runPipeline(o: PipelineOptions, hooks: RunHooks = {}, tuning: RunTuning = {}): Promise<Summary> {
  const started = performance.now();
  const outDir = resolve(o.output);
  // Everything that can be wrong with the request is found before the output folder is touched.
  if (!(o.maxRejectRatio >= 0 && o.maxRejectRatio <= 1))
    throw new SetupError(`\`maxRejectRatio\` must be between 0 and 1, got ${o.maxRejectRatio}`, true);
  let pack;
  try {
    pack = packOptionsOf(o);
  } catch (e) {
    throw new SetupError((e as Error).message);
  }
  const files = await checkInputs(o.input);
  const totalBytes = files.includes(STDIN)
    ? undefined
    : (await Promise.all(files.map((f) => stat(f).then((st) => st.size)))).reduce((x, y) => x + y, 0);
  // Started now, the workers load their modules on other cores while this thread loads the tokenizer.
  let pool = startLikelyWorkers(o.workers, totalBytes);
  try {
    return await prepareAndRun(
      o,
      hooks,
      tuning,
      { started, outDir, pack, files, totalBytes },
      (n) => (pool = adoptWorkers(pool, n)),
    );
  } finally {
    // Normally closed by the run; this stops them when it failed before it started.
    await Promise.all(pool.map((w) => w.terminate()));
  }
}

/** The part of `runPipeline` after the inputs are found: load, check, lock the output, run. */
async function prepareAndRun(
  o: PipelineOptions,
  hooks: RunHooks,
  tuning: RunTuning,
  p: {
    started: number;
    outDir: string;
    pack: ReturnType<typeof packOptionsOf>;
    files: string[];
    totalBytes: number | undefined;
  },
  workersFor: (n: number) => Worker[],
): Promise<Summary> {
  const { started, outDir, pack, files, totalBytes } = p;
  let setup: Setup = await setupRun(o);
  const keepWarnings: string[] = [];
  let replay: Replay | undefined;
  if (o.keepColumns?.length) {
    const sniffed = await typeKeptColumns(o.input, o.keepColumns, files.includes(STDIN));
    replay = sniffed.replay;
    setup = { ...setup, keep: sniffed.columns };
    if (sniffed.unseen.length > 0) {
      const w =
        `\`keepColumns\` ${sniffed.unseen.join(', ')}: no value in the first ${KEEP_SNIFF_ROWS} input rows ` +
        '(a typo?); typed string, so rows with a non-string value there are rejected';
      keepWarnings.push(w);
      hooks.onNotice?.(`warning: ${w}`);
    }
  }

  if (setup.maskSource === 'infer') {
    // With `masks: infer` asked for, the template may well have blocks: inference was chosen, not forced.
    const why = setup.template.hasGeneration
      ? 'masks infer'
      : `template ${setup.templateName} has no {% generation %} blocks`;
    hooks.onNotice?.(`${why}: inferring assistant masks from conversation prefixes`);
  }
  // A template that calls strftime_now writes the date into the data: pin it for the whole run, and say so.
  let strftimeDate: string | undefined;
  if (o.now === undefined && [setup.template, setup.toolTemplate].some((t) => t?.source.includes('strftime_now'))) {
    strftimeDate = new Date().toISOString().slice(0, 19);
    setup = { ...setup, options: { ...setup.options, now: strftimeDate } };
    hooks.onNotice?.(
      `warning: template ${setup.templateName} calls strftime_now and no \`now\` is set: rows get today's date ` +
        `(${strftimeDate}), so the output is not reproducible; pin it with \`now\``,
    );
  }
  // Contiguous shard ranges need the row count; skip counting for unsharded runs.
  let range: [number, number] = [0, Infinity];
  let total: number | undefined;
  if (o.numShards > 1) {
    total = await countRows(o.input);
    range = shardRange(total, o.numShards, o.shardIndex);
  }
  const workers =
    o.workers ??
    defaultWorkers(setup.maskSource, {
      ownEngine: setup.tokenizer.engine instanceof BpeEngine,
      inputBytes: totalBytes,
    });
  const run = await runIdentity(o, setup, files);
  const lock = await openOutputFolder(outDir);
  try {
    return await runLocked(o, hooks, tuning, {
      started,
      outDir,
      setup,
      workers: workersFor(workers),
      range,
      total,
      totalBytes,
      run,
      lock,
      strftimeDate,
      keepWarnings,
      replay,
      pack,
      packStats: pack ? new PackStats() : undefined,
    });
  } finally {
    await lock.release();
  }
}

interface Prepared {
  started: number;
  outDir: string;
  setup: Setup;
  /** Worker threads (started, not yet told their work); none renders on the main thread. */
  workers: Worker[];
  range: [number, number];
  total?: number;
  totalBytes?: number;
  run: RunIdentity;
  lock: OutputLock;
  strftimeDate?: string;
  keepWarnings: string[];
  /** Rows the kept-column typing read from stdin, replayed to the run. */
  replay?: Replay;
  pack: ReturnType<typeof packOptionsOf>;
  packStats?: PackStats;
}

async function runLocked(o: PipelineOptions, hooks: RunHooks, tuning: RunTuning, p: Prepared): Promise<Summary> {
  const { started, outDir, setup, workers, range, total, run, lock, pack, packStats } = p;
  if (o.resume) {
    // Refuse a different run before reading or replaying anything of it.
    const prev = await loadManifest(outDir);
    const changed = prev && prev.shards.length > 0 ? identityChanges(prev.run, run) : [];
    if (changed.length > 0) {
      throw new SetupError(
        `cannot resume ${outDir}: this run differs from the interrupted one in: ${changed.join(', ')}; ` +
          'resume with the same tokenizer, template, options and input, or start over with `overwrite`',
      );
    }
  }
  const resumePoint = o.resume ? await readResumePoint(outDir) : null;
  const skipBelow = resumePoint?.nextIndex ?? 0;
  // The own engine's workers tokenize: smaller batches spread a few long rows over the threads.
  const tokenizingWorkers = setup.tokenizer.engine instanceof BpeEngine && workers.length > 0;
  const batchSize = o.padding === 'longest' ? o.batchSize : tokenizingWorkers ? 64 : 128;
  // `padding: longest` pads per batch: a resumed run re-reads from the start of the batch the
  // resume point falls in, so every row is padded within the same batch as in an uninterrupted
  // run; the rows before the resume point are processed but neither counted nor written again.
  const from =
    o.padding === 'longest'
      ? range[0] + Math.floor((Math.max(range[0], skipBelow) - range[0]) / batchSize) * batchSize
      : Math.max(range[0], skipBelow);
  const resumed = resumePoint ? await resumedTokens(outDir, packStats) : null;
  let keptRejects = 0;
  const rejectsPath = join(outDir, 'rejects.jsonl');
  const stats = new RunStats();
  const seed = createHash('sha256')
    .update(JSON.stringify({ o: fingerprintOptions(o), t: setup.tokenizer.sha256, c: setup.templateSha256, range }))
    .digest('hex');
  const progressTotal = total !== undefined ? { rows: range[1] - range[0] } : { bytes: p.totalBytes };

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
    const batches = chunk(
      rawRows(o.input, [from, range[1]], (n) => (stats.bytesRead += n), p.replay),
      batchSize,
    );
    // Workers render batch k+1.. while the main thread tokenizes and writes batch k.
    const processed = mapOrdered(
      batches,
      async (batch) => {
        const rendered = await renderer.renderRaw(batch);
        for (const r of rendered) if ('roles' in r && r.roles) for (const role of r.roles) stats.roles.add(role);
        return shapeRendered(batch, rendered, setup);
      },
      ahead,
    );
    let batchCount = 0;
    // The native engine collects by the Rust tokens it produced; a collection per batch count on top would only add pauses.
    const paced = setup.tokenizer.engine instanceof NativeEngine;
    for await (const outcomes of processed) {
      if (hooks.signal?.aborted) throw new RunInterrupted(outDir, 0);
      for (let r of outcomes) {
        if ((r.ok ? r.row.index : r.reject.index) < skipBelow) continue;
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
      hooks.onProgress?.(stats, progressTotal);
      if (++batchCount % RECLAIM_EVERY === 0 && !paced) reclaimNativeMemory();
    }
  };
  const { renderer, ahead } = pipelineRenderer(renderContextOf(setup), setup.tokenizer.engine, workers);

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
      keep: setup.keep?.map((c) => ({ name: c.name, dtype: dtypeOf(c.kind) })),
      overwrite: o.overwrite,
      resume: o.resume,
      fingerprintSeed: seed,
      run,
      lock,
    });
  } catch (e) {
    await rejects?.abort();
    if (e instanceof RunInterrupted) {
      throw new RunInterrupted(outDir, (await readResumePoint(outDir))?.rows ?? 0);
    }
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
    stats.truncatedRows += resumed?.truncatedRows ?? 0;
    stats.truncatedTokens += resumed?.truncatedTokens ?? 0;
  }
  const seconds = (performance.now() - started) / 1000;
  const failure = failureOf(o, stats);
  const warnings = [...stats.unmaskedTurnEnds].map(
    ([id, rows]) =>
      `${rows} row(s): the assistant mask stops right before special token ${JSON.stringify(setup.tokenizer.engine.idToToken(id))} ` +
      '(the end-of-turn marker?); a model trained on these never learns to stop. Use a template whose generation ' +
      'blocks include it, or `masks` infer with `trainOnEot` turn.',
  );
  const roles = [...stats.roles].sort();
  const unseen = o.rolesToTrain.filter((r) => !stats.roles.has(r));
  if (unseen.length > 0 && stats.rowsIn > 0 && roles.length > 0) {
    warnings.push(
      `\`rolesToTrain\` ${unseen.join(', ')}: no row has ${unseen.length > 1 ? 'these roles' : 'this role'}; ` +
        `the roles seen are ${roles.join(', ')}`,
    );
  }
  warnings.push(...p.keepWarnings);
  if (p.strftimeDate)
    warnings.push(`strftime_now returned ${p.strftimeDate} (no \`now\` given): output not reproducible`);
  if (stats.emptiedByTruncation > 0) {
    warnings.push(
      `${stats.emptiedByTruncation} row(s) lost every trainable token to truncation (\`maxLength\` ${o.maxLength}, ` +
        `\`truncationSide\` ${shapeOptionsOf(setup).truncationSide ?? 'right'}) and were dropped as empty_mask`,
    );
  }
  const summary: Summary = {
    ok: failure === undefined,
    ...(failure ? { failure } : {}),
    chatshard_version: VERSION,
    rows_in: stats.rowsIn,
    rows_written: stats.rowsWritten,
    rows_rejected: stats.rowsRejected,
    rejected_by_reason: stats.byReason,
    tokens: stats.tokens,
    trainable_tokens: stats.trainableTokens,
    padded_tokens: stats.paddedTokens,
    truncation: {
      rows_truncated: stats.truncatedRows,
      tokens_cut: stats.truncatedTokens,
      rows_emptied: stats.emptiedByTruncation,
    },
    seconds: Math.round(seconds * 1000) / 1000,
    tokens_per_second: Math.round(stats.tokens / Math.max(seconds, 1e-9)),
    peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
    warnings,
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
    roles_seen: roles,
  };
  if (p.strftimeDate) summary.strftime_now_date = p.strftimeDate;
  if (setup.keep) summary.kept_columns = Object.fromEntries(setup.keep.map((c) => [c.name, c.kind]));
  if (result.resumedRows) summary.resumed_rows = result.resumedRows;
  if (pack && packStats) summary.packing = packStats.summary(pack.strategy, pack.maxLength, pack.window!);
  await writeFile(join(outDir, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  return summary;
}
