/**
 * `merge` for pipeline outputs: the datasets (checked and concatenated by mergeDatasets) plus one
 * summary.json and one rejects.jsonl for the whole job, so a merged dataset reports like a single run.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { readFile, rename, rm } from 'node:fs/promises';
import { once } from 'node:events';
import { join, resolve } from 'node:path';
import { mergeDatasets } from '../write/index.js';
import { openOutputFolder } from '../write/guard.js';
import { writeFileAtomic } from '../write/fsutil.js';
import { REJECTS_JSONL, SUMMARY_JSON } from '../dataset/layout.js';
import type { Summary } from './summary.js';
import { VERSION } from '../version.js';

export interface MergeSummary {
  ok: true;
  chatshard_version: string;
  output: string;
  parts: string[];
  rows: number;
  shards: number;
  fingerprint: string;
  /** Sums over the parts' summary.json files (absent when a part has none). */
  rows_in?: number;
  rows_written?: number;
  rows_rejected?: number;
  rejected_by_reason?: Record<string, number>;
  tokens?: number;
  trainable_tokens?: number;
  padded_tokens?: number;
  truncation?: Summary['truncation'];
  warnings: string[];
  /** Options, tokenizer and template of the job (the parts share them: merge checked the run fingerprint). */
  options?: Record<string, unknown>;
  tokenizer?: Summary['tokenizer'];
  template?: Summary['template'];
}

async function readSummary(dir: string): Promise<Summary | null> {
  try {
    return JSON.parse(await readFile(join(dir, SUMMARY_JSON), 'utf8')) as Summary;
  } catch {
    return null;
  }
}

/** Add the parts' counters; undefined as soon as one part has no summary. */
function sumParts(parts: (Summary | null)[]): Partial<MergeSummary> {
  if (parts.length === 0 || parts.some((p) => p === null)) return {};
  const ps = parts as Summary[];
  const sum = (f: (s: Summary) => number | undefined) => ps.reduce((n, s) => n + (f(s) ?? 0), 0);
  const byReason: Record<string, number> = {};
  for (const p of ps)
    for (const [r, n] of Object.entries(p.rejected_by_reason ?? {})) byReason[r] = (byReason[r] ?? 0) + n;
  const first = ps[0]!;
  const { numShards: _n, shardIndex: _i, output: _o, ...options } = first.options ?? {};
  return {
    rows_in: sum((s) => s.rows_in),
    rows_written: sum((s) => s.rows_written),
    rows_rejected: sum((s) => s.rows_rejected),
    rejected_by_reason: byReason,
    tokens: sum((s) => s.tokens),
    trainable_tokens: sum((s) => s.trainable_tokens),
    padded_tokens: sum((s) => s.padded_tokens),
    truncation: {
      rows_truncated: sum((s) => s.truncation?.rows_truncated),
      tokens_cut: sum((s) => s.truncation?.tokens_cut),
      rows_emptied: sum((s) => s.truncation?.rows_emptied),
    },
    options,
    tokenizer: first.tokenizer,
    template: first.template,
  };
}

/** Concatenate the parts' rejects.jsonl (in part order) into `dest` atomically. */
async function mergeRejects(dirs: string[], dest: string): Promise<void> {
  const tmp = `${dest}.partial`;
  const out = createWriteStream(tmp);
  try {
    for (const d of dirs) {
      const src = createReadStream(join(d, REJECTS_JSONL));
      try {
        for await (const chunk of src) if (!out.write(chunk)) await once(out, 'drain');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
    }
    out.end();
    await once(out, 'finish');
    await rename(tmp, dest);
  } catch (e) {
    out.destroy();
    await rm(tmp, { force: true });
    throw e;
  }
}

/**
 * Merge `parts` (datasets written by `--shard-index` runs, in index order) into `output`, with a
 * merged summary.json and rejects.jsonl. The parts are checked first (see checkParts).
 *
 * @example
 *   await mergeRuns(['out/part-0', 'out/part-1'], 'out/all');
 */
export async function mergeRuns(
  parts: string[],
  output: string,
  opts: { overwrite?: boolean } = {},
): Promise<MergeSummary> {
  const dirs = parts.map((p) => resolve(p));
  const out = resolve(output);
  // Read before the output (possibly one of the parts) is replaced.
  const summaries = await Promise.all(dirs.map(readSummary));
  const lock = await openOutputFolder(out);
  try {
    // A fixed seed makes the merged fingerprint a hash of the parts' fingerprints (reproducible) instead of random.
    const result = await mergeDatasets(dirs, out, {
      overwrite: opts.overwrite,
      fingerprintSeed: 'chatshard merge',
      lock,
    });
    await mergeRejects(dirs, join(out, REJECTS_JSONL));
    const warnings = [...new Set(summaries.flatMap((s) => s?.warnings ?? []))];
    if (summaries.some((s) => s === null))
      warnings.push('some parts have no summary.json: row and token counts left out');
    const summary: MergeSummary = {
      ok: true,
      chatshard_version: VERSION,
      output: result.outDir,
      parts: dirs,
      rows: result.rows,
      shards: result.shards.length,
      fingerprint: result.fingerprint,
      ...sumParts(summaries),
      warnings,
    };
    await writeFileAtomic(join(out, SUMMARY_JSON), JSON.stringify(summary, null, 2) + '\n');
    return summary;
  } finally {
    await lock.release();
  }
}
