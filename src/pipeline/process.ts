import { hfMaskWindow, locatorOf, overlapMaskWindow, type TokenLocator } from '../mask/locate.js';
import { specialTokenIds, unmaskedTurnEnd } from '../mask/eot.js';
import type { CompiledTemplate } from '../render/index.js';
import { padRow, padTarget, truncationWindow, type ShapeOptions } from '../shape/index.js';
import type { LoadedTokenizer } from '../tokenize/index.js';
import type { Conversation, Encoding, KeptCell, Outcome, RejectedRow, ShapedRow, SourceRef, Span } from '../types.js';
import type { KeptColumn } from './keep.js';
import type { PipelineOptions } from './options.js';
import { truncatesBeforePacking } from './packing.js';
import { inlineRenderer, type RenderContext, type Renderer, type RenderResult } from './renderers.js';

/** What a run needs besides the options: the loaded tokenizer and the compiled template. */
export interface ProcessContext {
  tokenizer: LoadedTokenizer;
  template: CompiledTemplate;
  /** Template for rows that carry tools, when the tokenizer has a separate `tool_use` one. */
  toolTemplate?: CompiledTemplate;
  options: PipelineOptions;
  /** Kept input columns with their kinds (`keepColumns`), decided at startup from the input. */
  keep?: KeptColumn[];
}

/** A rendered and tokenized row, truncated but not yet padded. */
interface Encoded {
  conv: { ref: SourceRef; index: number };
  spans: Span[];
  ids: Int32Array;
  /** Token ranges of the whole encoding, and the truncation window [from, to) kept of it. */
  locator: TokenLocator;
  window: [number, number];
  mask: Uint8Array;
  /** Tokens removed by truncation. */
  cut: number;
}

/** In a `u` regex, a surrogate class only matches unpaired surrogates. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

function rejectOf(conv: { ref: SourceRef; index: number }, reason: string, message: string): RejectedRow {
  return { ref: conv.ref, index: conv.index, reason, message };
}

function emptyMask(conv: { ref: SourceRef; index: number }, cut = 0, hadSpans = false): RejectedRow {
  const r = rejectOf(conv, 'empty_mask', 'no trainable token left in the row (use --keep-empty to keep such rows)');
  // Emptied by truncation: the row had assistant spans, and tokens were cut.
  if (cut > 0 && hadSpans) r.truncatedTokens = cut;
  return r;
}

export function shapeOptionsOf(ctx: ProcessContext): ShapeOptions {
  const o = ctx.options;
  const padTokenId = o.padToken !== undefined ? ctx.tokenizer.engine.tokenToId(o.padToken) : ctx.tokenizer.padTokenId;
  return {
    // With packing, --max-length is the packed length: only bfd truncates rows to it.
    maxLength: truncatesBeforePacking(o) ? o.maxLength : undefined,
    truncation: o.truncation,
    truncationSide: o.truncationSide ?? ctx.tokenizer.truncationSide,
    padding: o.padding,
    paddingSide: o.paddingSide ?? ctx.tokenizer.paddingSide,
    padTokenId,
  };
}

/** The part of a run's context that rendering needs (what render workers get). */
export function renderContextOf(ctx: ProcessContext): RenderContext {
  return {
    template: ctx.template,
    toolTemplate: ctx.toolTemplate,
    specialTokens: ctx.tokenizer.specialTokens,
    options: ctx.options,
    keep: ctx.keep,
  };
}

/**
 * Render + tokenize + mask + shape one batch of conversations, preserving order. Rows that fail
 * at any step come back as rejections in their place. `padding: longest` pads to the longest
 * surviving row of this batch, like one transformers call on it.
 */
export async function processBatch(
  convs: Conversation[],
  ctx: ProcessContext,
  renderer: Renderer = inlineRenderer(renderContextOf(ctx)),
): Promise<Outcome<ShapedRow>[]> {
  return shapeRendered(convs, await renderer.render(convs), ctx);
}

/**
 * Tokenize + mask + shape rendered rows (`rows[i]` gives the position of `rendered[i]`), keeping
 * order; failed renders and rejected rows come back as rejections in their place.
 */
export async function shapeRendered(
  rows: readonly { ref: SourceRef; index: number }[],
  rendered: readonly RenderResult[],
  ctx: ProcessContext,
): Promise<Outcome<ShapedRow>[]> {
  const shape = shapeOptionsOf(ctx);
  const none = ctx.options.masks === 'none';
  // With --masks none every real token is trained, whatever the rule.
  const rule = none ? 'overlap' : ctx.options.maskRule;
  const special = specialIdsOf(ctx);
  const results: (Outcome<ShapedRow> | Encoded)[] = [];
  const texts: string[] = [];
  const pending: { slot: number; spans: Span[]; enc?: Encoding }[] = [];
  /** Tokens truncation cut off, by slot. */
  const cut = new Map<number, number>();
  rendered.forEach((r, i) => {
    const row = rows[i]!;
    if ('reject' in r) {
      results.push({ ok: false, reject: rejectOf(row, r.reject.reason, r.reject.message) });
    } else if (LONE_SURROGATE.test(r.text)) {
      // Rust strings cannot hold them: the tokenizer would silently replace them and shift offsets.
      results.push({
        ok: false,
        reject: rejectOf(row, 'invalid_unicode', 'the conversation contains a lone UTF-16 surrogate (e.g. "\\ud800")'),
      });
    } else {
      // A worker thread may have tokenized it already; the rest go to this thread's engine.
      pending.push({ slot: results.length, spans: r.spans, enc: r.enc });
      if (!r.enc) texts.push(r.text);
      results.push(undefined as unknown as Encoded);
    }
  });
  const fresh = texts.length > 0 ? await ctx.tokenizer.engine.encodeBatch(texts) : [];
  let next = 0;
  pending.forEach(({ slot, spans, enc: given }) => {
    const enc = given ?? fresh[next++]!;
    const conv = rows[slot]!;
    const [from, to] = truncationWindow(enc.ids.length, shape);
    if (to - from < enc.ids.length) cut.set(slot, enc.ids.length - (to - from));
    const ids = enc.ids.subarray(from, to);
    const locator = locatorOf(enc, spans.length);
    // The hf rule is applied after padding (its defects depend on the final row); overlap here.
    const mask = none
      ? new Uint8Array(ids.length).fill(1)
      : rule === 'overlap'
        ? overlapMaskWindow(locator, spans, from, to)
        : new Uint8Array(ids.length);
    // Drop empty rows before choosing the padding length so they don't influence it.
    if (rule === 'overlap' && !ctx.options.keepEmpty && !mask.includes(1)) {
      results[slot] = { ok: false, reject: emptyMask(conv, enc.ids.length - ids.length, spans.length > 0) };
    } else {
      results[slot] = { conv, spans, ids, locator, window: [from, to], mask, cut: enc.ids.length - ids.length };
    }
  });

  const encoded = results.filter((r): r is Encoded => 'conv' in r);
  const target = padTarget(
    encoded.map((e) => e.ids.length),
    shape,
  );
  const shaped = results.map((r, slot): Outcome<ShapedRow> => {
    if (!('conv' in r)) return r;
    const { conv } = r;
    try {
      const row = padRow({ ref: conv.ref, index: conv.index, inputIds: r.ids, assistantMasks: r.mask }, target, shape);
      if (cut.has(slot)) row.truncated = cut.get(slot);
      if (rule === 'hf') {
        const padLeft = shape.paddingSide === 'left' ? row.inputIds.length - r.ids.length : 0;
        applyMask(row, hfMaskWindow(r.locator, r.spans, r.window[0], r.window[1], padLeft, row.inputIds.length));
      }
      if (!ctx.options.keepEmpty && !row.assistantMasks.includes(1)) {
        return { ok: false, reject: emptyMask(conv, r.cut, r.spans.length > 0) };
      }
      if (r.cut > 0) row.truncated = r.cut;
      const eot = unmaskedTurnEnd(row.inputIds, row.assistantMasks, special);
      if (eot !== undefined) row.unmaskedTurnEnd = eot;
      return { ok: true, row };
    } catch (e) {
      return { ok: false, reject: rejectOf(conv, 'shape_error', (e as Error).message) };
    }
  });
  if (ctx.keep) shaped.forEach((out, slot) => attachKept(out, rendered[slot]!.kept, ctx.keep!));
  return shaped;
}

/** Carry a row's kept input values to its output row, or by name to its rejects.jsonl line. */
function attachKept(out: Outcome<ShapedRow>, kept: KeptCell[] | undefined, cols: readonly KeptColumn[]): void {
  if (out.ok) out.row.kept = kept ?? cols.map(() => null);
  else if (kept) out.reject.columns = Object.fromEntries(cols.map((c, i) => [c.name, kept[i] ?? null]));
}

const specialCache = new WeakMap<object, Map<number, string>>();
function specialIdsOf(ctx: ProcessContext): Map<number, string> {
  let m = specialCache.get(ctx.tokenizer);
  if (!m) specialCache.set(ctx.tokenizer, (m = specialTokenIds(ctx.tokenizer.config)));
  return m;
}

/** Replace a shaped row's assistant mask (and labels to match). */
function applyMask(row: ShapedRow, mask: Uint8Array): void {
  row.assistantMasks.set(mask);
  for (let i = 0; i < mask.length; i++) row.labels[i] = mask[i] ? row.inputIds[i]! : -100;
}
