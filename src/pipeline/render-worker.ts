/**
 * Worker thread body: parses, normalizes and renders rows (the JS-heavy stages), and with the own
 * (pure JS) engine also tokenizes them, so several cores work while the main thread reads, masks,
 * shapes and writes. Encodings come back as transferred buffers, not copies.
 */
import { parentPort } from 'node:worker_threads';
import { compileTemplate } from '../render/index.js';
import { bpeEngineFromShare, type BpeEngine } from '../tokenize/bpe/index.js';
import type { Conversation, RawRow } from '../types.js';
import { RECLAIM_EVERY, reclaimNativeMemory } from './reclaim.js';
import { renderOne, renderRawRow, type RenderContext, type RenderResult } from './render-row.js';
import type { WorkerInit } from './renderers.js';

let ctx: RenderContext | undefined;
let engine: BpeEngine | undefined;

/** Build the templates and engine copy from the main thread's `init` message. */
function setUp(init: WorkerInit): void {
  // Rendering needs only the tokenizer's special tokens, not the tokenizer.
  ctx = {
    template: compileTemplate(init.templateSource),
    toolTemplate: init.toolTemplateSource === undefined ? undefined : compileTemplate(init.toolTemplateSource),
    options: init.options,
    specialTokens: init.specialTokens,
    keep: init.keep,
  };
  // A third of the main thread's segment cache: every thread keeps its own, and they add up.
  engine = init.engine === undefined ? undefined : bpeEngineFromShare(init.engine, { segmentCacheInts: 1 << 20 });
}

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
type Message = { init: WorkerInit } | { id: number; kind: 'convs' | 'raw'; items: unknown[] };
parentPort!.on('message', (msg: Message) => {
  if ('init' in msg) return setUp(msg.init);
  // Messages arrive in order: `init` came first.
  const c = ctx!;
  // As on the main thread: V8 collects this isolate lazily, and its heap (hence the peak RSS) grows.
  if (++batches % RECLAIM_EVERY === 0) reclaimNativeMemory();
  const results =
    msg.kind === 'raw'
      ? (msg.items as RawRow[]).map((r) => renderRawRow(r, c))
      : (msg.items as Conversation[]).map((v) => renderOne(v, c));
  parentPort!.postMessage({ id: msg.id, results }, tokenize(results));
});
