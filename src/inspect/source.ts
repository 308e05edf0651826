/** Where inspected rows come from: a dataset folder chatshard wrote, or input rows run through the pipeline. */
import { createReadStream, existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { packStream } from '../pack/index.js';
import { chunk } from '../pipeline/batches.js';
import type { PipelineOptions } from '../pipeline/options.js';
import { packOptionsOf } from '../pipeline/packing.js';
import { renderContextOf, shapeRendered } from '../pipeline/process.js';
import { inlineRenderer } from '../pipeline/renderers.js';
import type { Setup } from '../pipeline/setup.js';
import type { Summary } from '../pipeline/summary.js';
import { readRows } from '../read/index.js';
import type { Outcome, RejectedRow, ShapedRow, SourceRef } from '../types.js';
import { readDataset } from '../dataset/read.js';
import type { RowRange } from './range.js';

/** One row as inspect sees it; attention may hold segment ids (1, 2, 3 …) in packed datasets. */
export interface InspectRow {
  /** Dataset row number, or input row index when inspecting input directly. */
  index: number;
  inputIds: ArrayLike<number>;
  attentionMask: ArrayLike<number>;
  assistantMasks: ArrayLike<number>;
  labels?: ArrayLike<number>;
  /** Lengths of the sequences packed into this row (`seq_lengths` column), when the dataset is packed. */
  seqLengths?: ArrayLike<number>;
  ref?: SourceRef;
}

export type InspectItem = { ok: true; row: InspectRow } | { ok: false; reject: RejectedRow };

/**
 * Rows of a dataset folder in order (`readDataset`, which also keeps `seq_lengths` of packed
 * datasets), numbered, stopping after row `stopAt` (exclusive).
 *
 * @example
 * for await (const row of datasetRows('out/sample')) console.log(row.index, row.inputIds.length);
 */
export async function* datasetRows(dir: string, stopAt = Infinity): AsyncGenerator<InspectRow> {
  let index = 0;
  for await (const row of readDataset(dir)) {
    if (index >= stopAt) return;
    yield { index: index++, ...row };
  }
}

/** summary.json of a dataset, or undefined when it has none (e.g. written by the library without one). */
export async function readSummary(dir: string): Promise<Summary | undefined> {
  const path = join(dir, 'summary.json');
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(await readFile(path, 'utf8')) as Summary;
  } catch (e) {
    throw new Error(`${path}: ${(e as Error).message}`);
  }
}

/** Lines of rejects.jsonl, streamed; torn or foreign lines are skipped. */
export async function* readRejects(dir: string): AsyncGenerator<RejectedRow> {
  const path = join(dir, 'rejects.jsonl');
  if (!existsSync(path)) return;
  const lines = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim() === '') continue;
    try {
      const r = JSON.parse(line) as { file?: string; line?: number; index?: number; reason?: string; message?: string };
      if (typeof r.reason !== 'string') continue;
      yield {
        ref: { file: String(r.file ?? ''), line: Number(r.line ?? 0) },
        index: Number(r.index ?? -1),
        reason: r.reason,
        message: String(r.message ?? ''),
      };
    } catch {
      // a line torn by an interrupted run; the summary still counts it
    }
  }
}

/** An input row shaped by the pipeline, as inspect sees it. */
function inspectRowOf(r: ShapedRow, labels: boolean, index = r.index): InspectRow {
  const row: InspectRow = {
    index,
    inputIds: r.inputIds,
    attentionMask: r.attentionMask,
    assistantMasks: r.assistantMasks,
  };
  if (labels) row.labels = r.labels;
  if (r.packed?.writeSeqLengths) row.seqLengths = r.packed.seqLengths;
  else if (r.packed === undefined) row.ref = r.ref;
  return row;
}

/**
 * Input rows `range` run through the same read → normalize → render → tokenize → mask → shape (→ pack)
 * path as `chatshard run` (its own functions, batch by batch), without writing anything. Rows after the
 * range are not read. With `--packing` the rows of the range are packed as a run packs them and the
 * packed rows are numbered from 0.
 */
export async function* inputRows(setup: Setup, range: RowRange): AsyncGenerator<InspectItem> {
  const o: PipelineOptions = setup.options;
  const pack = packOptionsOf(o);
  const raw = (async function* () {
    for await (const r of readRows(o.input, { parse: (text) => text })) {
      if (r.index < range[0]) continue;
      if (r.index >= range[1]) return;
      yield r;
    }
  })();
  const renderer = inlineRenderer(renderContextOf(setup));
  const outcomes = (async function* (): AsyncGenerator<Outcome<ShapedRow>> {
    for await (const batch of chunk(raw, o.padding === 'longest' ? o.batchSize : 64)) {
      yield* await shapeRendered(batch, await renderer.renderRaw(batch), setup);
    }
  })();
  if (!pack) {
    for await (const r of outcomes) yield r.ok ? { ok: true, row: inspectRowOf(r.row, o.labels) } : r;
    return;
  }
  // As `run` does: empty rows are reported (packing drops them), the others go to the pack stage.
  const rejects: RejectedRow[] = [];
  const packable = (async function* (): AsyncGenerator<ShapedRow> {
    for await (const r of outcomes) {
      if (!r.ok) rejects.push(r.reject);
      else if (r.row.inputIds.length === 0) {
        const { ref, index } = r.row;
        rejects.push({ ref, index, reason: 'empty_row', message: 'no tokens: packing drops empty rows' });
      } else yield r.row;
    }
  })();
  let bin = 0;
  for await (const packed of packStream(packable, pack)) {
    for (const reject of rejects.splice(0)) yield { ok: false, reject };
    yield { ok: true, row: inspectRowOf(packed, o.labels, bin++) };
  }
  for (const reject of rejects.splice(0)) yield { ok: false, reject };
}
