import { createHash } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { normalizeRow } from '../normalize/index.js';
import { readRows } from '../read/index.js';
import type { Conversation, Outcome, RejectedRow, ShapedRow } from '../types.js';
import { readResumePoint, writeDataset } from '../write/index.js';
import { chunk, mapOrdered } from './batches.js';
import type { PipelineOptions } from './options.js';
import { processBatch } from './process.js';
import { inlineRenderer, workerRenderer } from './renderers.js';
import { RejectsFile } from './rejects.js';
import { setupRun, type Setup } from './setup.js';
import { countRows, shardRange } from './shard.js';
import { RunStats, type Summary } from './summary.js';

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

/** Options that define the dataset content (fingerprint and summary). */
function contentOptions(o: PipelineOptions): Record<string, unknown> {
  const { progress: _p, overwrite: _o, resume: _r, onError: _e, strict: _s, ...rest } = o;
  return rest;
}

/** Conversations of this shard, with bad rows turned into rejections; skips rows before `from`. */
async function* conversations(
  o: PipelineOptions,
  range: [number, number],
): AsyncGenerator<Outcome<Conversation>> {
  for await (const raw of readRows(o.input)) {
    if (raw.index < range[0]) continue;
    if (raw.index >= range[1]) break;
    yield normalizeRow(raw);
  }
}

/**
 * Run the whole pipeline: read → normalize → render → tokenize → mask → shape → write.
 * Streams with bounded look-ahead; every input row ends up written or in rejects.jsonl.
 */
export async function runPipeline(o: PipelineOptions, hooks: RunHooks = {}): Promise<Summary> {
  const started = performance.now();
  const outDir = resolve(o.output);
  const setup: Setup = await setupRun(o);
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
  const resumePoint = o.resume ? await readResumePoint(outDir) : null;
  const from = Math.max(range[0], resumePoint?.nextIndex ?? 0);
  if (!o.resume) {
    await rm(join(outDir, 'summary.json'), { force: true });
    if (o.overwrite) await rm(join(outDir, 'rejects.jsonl'), { force: true });
  }
  const rejectsPath = join(outDir, 'rejects.jsonl');
  const stats = new RunStats();
  const seed = createHash('sha256')
    .update(JSON.stringify({ o: contentOptions(o), t: setup.tokenizer.sha256, c: setup.templateSha256, range }))
    .digest('hex');

  let rejects: RejectsFile | undefined;
  const shaped = async function* (): AsyncGenerator<ShapedRow> {
    const opened = await RejectsFile.open(rejectsPath, resumePoint ? resumePoint.nextIndex : undefined);
    rejects = opened.file;
    for (const r of opened.kept) stats.rejected(r);
    const batchSize = o.padding === 'longest' ? o.batchSize : 128;
    const batches = chunk(conversations(o, [from, range[1]]), batchSize);
    const processed = mapOrdered(batches, async (batch) => {
      const good = batch.filter((b): b is { ok: true; row: Conversation } => b.ok).map((b) => b.row);
      const out = await processBatch(good, setup, renderer);
      // Put normalize-stage rejections back in input order.
      let k = 0;
      return batch.map((b) => (b.ok ? out[k++]! : b));
    }, o.workers + 2);
    for await (const outcomes of processed) {
      for (const r of outcomes) {
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
    }
  };
  const renderer = o.workers > 0 ? workerRenderer(setup, setup.template.source, o.workers) : inlineRenderer(setup);

  let result;
  try {
    result = await writeDataset(shaped(), {
      outDir,
      labels: o.labels,
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
    stats.rowsIn += result.resumedRows;
    stats.rowsWritten += result.resumedRows;
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
    output: outDir,
    shards: result.shards.length,
    fingerprint: result.fingerprint,
    tokenizer: { source: o.tokenizer, sha256: setup.tokenizer.sha256, engine: o.engine },
    template: { name: setup.templateName, sha256: setup.templateSha256, mask_source: setup.maskSource },
    options: contentOptions(o),
  };
  if (result.resumedRows) summary.resumed_rows = result.resumedRows;
  await writeFile(join(outDir, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  return summary;
}
