/**
 * Worker thread body: parses, normalizes and renders rows (the JS-heavy stages), and with the own
 * (pure JS) engine also tokenizes them, so several cores work while the main thread reads, masks,
 * shapes and writes. Encodings come back as transferred buffers, not copies.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { compileTemplate } from '../render/index.js';
import { bpeEngineFromShare, type SharedBpeEngine } from '../tokenize/bpe/index.js';
import type { Conversation, RawRow } from '../types.js';
import type { KeptColumn } from './keep.js';
import type { PipelineOptions } from './options.js';
import { RECLAIM_EVERY, reclaimNativeMemory } from './reclaim.js';
import { renderOne, renderRawRow, type RenderContext, type RenderResult } from './render-row.js';

const init = workerData as {
  templateSource: string;
  toolTemplateSource?: string;
  options: PipelineOptions;
  specialTokens: Record<string, unknown>;
  keep?: KeptColumn[];
  /** The main thread's own engine (`BpeEngine.share`), when this worker also tokenizes. */
  engine?: SharedBpeEngine;
};
// Rendering needs only the tokenizer's special tokens, not the tokenizer.
const ctx: RenderContext = {
  template: compileTemplate(init.templateSource),
  toolTemplate: init.toolTemplateSource === undefined ? undefined : compileTemplate(init.toolTemplateSource),
  options: init.options,
  specialTokens: init.specialTokens,
  keep: init.keep,
};
// A third of the main thread's segment cache: every thread keeps its own, and they add up.
const engine = init.engine === undefined ? undefined : bpeEngineFromShare(init.engine, { segmentCacheInts: 1 << 20 });

/** Tokenize the rendered texts the own engine can do; the rest stay for the main thread's engine. */
function tokenize(results: RenderResult[]): ArrayBuffer[] {
  const transfer: ArrayBuffer[] = [];
  if (!engine) return transfer;
  for (const r of results) {
    if ('reject' in r) continue;
    const enc = engine.encodeSync(r.text);
    if (!enc) continue;
    r.enc = { ids: enc.ids, offsets: enc.offsets };
    transfer.push(enc.ids.buffer as ArrayBuffer, enc.offsets.buffer as ArrayBuffer);
  }
  return transfer;
}

let batches = 0;
parentPort!.on('message', (msg: { id: number; kind: 'convs' | 'raw'; items: unknown[] }) => {
  // As on the main thread: V8 collects this isolate lazily, and its heap (hence the peak RSS) grows.
  if (++batches % RECLAIM_EVERY === 0) reclaimNativeMemory();
  const results =
    msg.kind === 'raw'
      ? (msg.items as RawRow[]).map((r) => renderRawRow(r, ctx))
      : (msg.items as Conversation[]).map((c) => renderOne(c, ctx));
  parentPort!.postMessage({ id: msg.id, results }, tokenize(results));
});
