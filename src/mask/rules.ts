import type { Span } from '../types.js';

/**
 * How generation spans (character ranges) become token masks.
 * - `overlap` (default): a token is an assistant token iff its character range overlaps a span.
 *   A character split over several byte tokens therefore masks all of them, and a span cut by
 *   truncation keeps its visible part.
 * - `hf`: transformers 5.x `return_assistant_tokens_mask` exactly (see `hfMask`).
 */
export type MaskRule = 'overlap' | 'hf';

/**
 * `overlap` rule. `offsets` are flat [start, end) pairs in the same units as `spans` (UTF-16);
 * tokens must be in text order (true for one encoded string). Zero-width tokens (padding) never
 * overlap. Linear in tokens + spans.
 */
export function overlapMask(offsets: Int32Array, spans: readonly Span[], out?: Uint8Array): Uint8Array {
  const n = offsets.length >> 1;
  const mask = out ?? new Uint8Array(n);
  let s = 0;
  for (let i = 0; i < n && s < spans.length; i++) {
    const start = offsets[2 * i]!;
    const end = offsets[2 * i + 1]!;
    if (end <= start) continue;
    while (s < spans.length && spans[s]![1] <= start) s++;
    // Several spans may fall inside one token; any overlap marks it.
    if (s < spans.length && spans[s]![0] < end) mask[i] = 1;
  }
  return mask;
}

/** First token whose [start, end) contains `char` (Rust `Encoding::char_to_token`), or -1. */
function charToToken(offsets: Int32Array, char: number): number {
  const n = offsets.length >> 1;
  for (let i = 0; i < n; i++) {
    if (offsets[2 * i]! <= char && char < offsets[2 * i + 1]!) return i;
  }
  return -1;
}

/**
 * transformers 5.x rule, applied to the final (truncated and padded) row, defects included:
 * mask from the token holding the span's first char through the token holding its last char;
 * stop at the first span whose first char has no token (e.g. cut by left truncation, which then
 * drops every later span too); when the end token is missing or is token 0, fill to the row end
 * (Python treats `end_token` 0 as false).
 */
export function hfMask(offsets: Int32Array, spans: readonly Span[]): Uint8Array {
  const n = offsets.length >> 1;
  const mask = new Uint8Array(n);
  for (const [start, end] of spans) {
    const first = charToToken(offsets, start);
    if (first < 0) break;
    const last = charToToken(offsets, end - 1);
    const stop = last > 0 ? last + 1 : n;
    mask.fill(1, first, stop);
  }
  return mask;
}
