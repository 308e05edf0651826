import type { Encoding, Span, TokenLocator } from '../types.js';

export type { TokenLocator } from '../types.js';

/**
 * Locator over flat offsets (the js engine, long rows). Token ends are nondecreasing in any
 * tokenization of one string, so `tokenAt` is a binary search for the first token ending after
 * `pos`; if a tokenizer ever breaks that order, a linear scan keeps the answer exact.
 */
export function offsetsLocator(offsets: Int32Array): TokenLocator {
  const n = offsets.length >> 1;
  let sorted = true;
  for (let i = 1; i < n && sorted; i++) if (offsets[2 * i + 1]! < offsets[2 * i - 1]!) sorted = false;
  return {
    length: n,
    tokenAt(pos) {
      if (!sorted) {
        for (let i = 0; i < n; i++) if (offsets[2 * i]! <= pos && pos < offsets[2 * i + 1]!) return i;
        return -1;
      }
      let lo = 0;
      let hi = n;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (offsets[2 * mid + 1]! > pos) hi = mid;
        else lo = mid + 1;
      }
      // Zero-width tokens never contain a position; skip past them to the first real holder.
      for (let i = lo; i < n && offsets[2 * i]! <= pos; i++) if (pos < offsets[2 * i + 1]!) return i;
      return -1;
    },
    start: (i) => offsets[2 * i]!,
    end: (i) => offsets[2 * i + 1]!,
  };
}

/**
 * The engine's own locator when it has one and the row is small; each native `char_to_token` is a
 * linear scan, so rows with many spans over many tokens use materialized offsets instead.
 */
export function locatorOf(enc: Encoding, spans = 0): TokenLocator {
  if (enc.locator && spans * enc.ids.length <= 500_000) return enc.locator;
  return offsetsLocator(enc.offsets);
}

/**
 * First token inside the window [from, to) containing `pos`, as `char_to_token` on the truncated
 * encoding would find it; -1 when none. Returns a window-relative index.
 */
export function tokenInWindow(loc: TokenLocator, pos: number, from: number, to: number): number {
  const t = loc.tokenAt(pos);
  if (t < 0 || t >= to) return -1;
  if (t >= from) return t - from;
  // The first holder was cut away; a later token may hold the same character (split bytes).
  for (let k = from; k < to && loc.start(k) <= pos; k++) if (loc.end(k) > pos) return k - from;
  return -1;
}

/** First token overlapping [s, e), scanning forward over characters no token covers. */
function firstOverlapping(loc: TokenLocator, s: number, e: number): number {
  for (let p = s; p < e; p++) {
    const t = loc.tokenAt(p);
    if (t >= 0) return t;
  }
  return -1;
}

/** Last token overlapping [s, e): the last holder of the last covered character, then any later token starting inside. */
function lastOverlapping(loc: TokenLocator, s: number, e: number): number {
  for (let p = e - 1; p >= s; p--) {
    let t = loc.tokenAt(p);
    if (t < 0) continue;
    while (t + 1 < loc.length && loc.start(t + 1) < e && loc.end(t + 1) > loc.start(t + 1)) t++;
    return t;
  }
  return -1;
}

/**
 * `overlap` rule on the window [from, to) of an encoding: a token is masked iff its range overlaps a
 * span. Same result as `overlapMask` over the window's offsets, for contiguous tokenizations.
 */
export function overlapMaskWindow(loc: TokenLocator, spans: readonly Span[], from: number, to: number): Uint8Array {
  const mask = new Uint8Array(to - from);
  for (const [s, e] of spans) {
    if (e <= s) continue;
    const a = firstOverlapping(loc, s, e);
    if (a < 0) continue;
    const b = lastOverlapping(loc, s, e);
    const lo = Math.max(a, from);
    const hi = Math.min(b, to - 1);
    if (lo <= hi) mask.fill(1, lo - from, hi - from + 1);
  }
  return mask;
}

/**
 * transformers 5.x rule on the final row (window [from, to) then `padLeft` pads in front, `length`
 * in all): from the token holding the span's first char through the token holding its last char;
 * stop at the first span whose first char has no token; fill to the row end when the end token is
 * missing or is token 0 (Python treats 0 as false).
 */
export function hfMaskWindow(
  loc: TokenLocator,
  spans: readonly Span[],
  from: number,
  to: number,
  padLeft: number,
  length: number,
): Uint8Array {
  const mask = new Uint8Array(length);
  for (const [s, e] of spans) {
    const first = tokenInWindow(loc, s, from, to);
    if (first < 0) break;
    const lastRel = tokenInWindow(loc, e - 1, from, to);
    const last = lastRel < 0 ? -1 : lastRel + padLeft;
    mask.fill(1, first + padLeft, last > 0 ? last + 1 : length);
  }
  return mask;
}
