import type { Encoding, TokenLocator } from '../types.js';
import type { Joined } from './native-joined.js';

/**
 * One part of a text, in order: an added token (`id ≥ 0`), a cached piece (`triples`, offsets
 * relative to `start`), or a piece Rust tokenized in this batch (piece `k` of `job`).
 */
export interface Part {
  start: number;
  end: number;
  /** Index of the part's first token in the text's encoding. */
  first: number;
  id: number;
  triples: Int32Array | undefined;
  job: Joined | undefined;
  k: number;
}

function count(p: Part): number {
  if (p.id >= 0) return 1;
  if (p.triples) return p.triples.length / 3;
  return p.job!.to[p.k]! - p.job!.from[p.k]!;
}

/** Ids of all parts, in order. */
function idsOf(parts: Part[], n: number): Int32Array {
  const ids = new Int32Array(n);
  for (const p of parts) {
    if (p.id >= 0) ids[p.first] = p.id;
    else if (p.triples) for (let j = 0, t = p.first; j < p.triples.length; j += 3) ids[t++] = p.triples[j]!;
    else {
      const { ids: src, from, to } = p.job!;
      for (let s = from[p.k]!, t = p.first; s < to[p.k]!; s++) ids[t++] = src[s]!;
    }
  }
  return ids;
}

/** UTF-16 offsets of all tokens (fresh pieces read theirs from Rust). */
function offsetsOf(parts: Part[], n: number): Int32Array {
  const out = new Int32Array(2 * n);
  for (const p of parts) {
    if (p.id >= 0) {
      out[2 * p.first] = p.start;
      out[2 * p.first + 1] = p.end;
    } else if (p.triples) {
      for (let j = 0, t = p.first; j < p.triples.length; j += 3, t++) {
        out[2 * t] = p.triples[j + 1]! + p.start;
        out[2 * t + 1] = p.triples[j + 2]! + p.start;
      }
    } else {
      const job = p.job!;
      const off = job.offsets();
      const shift = p.start - job.bases[p.k]!;
      for (let s = job.from[p.k]!, t = p.first; s < job.to[p.k]!; s++, t++) {
        out[2 * t] = off[2 * s]! + shift;
        out[2 * t + 1] = off[2 * s + 1]! + shift;
      }
    }
  }
  return out;
}

/** Last index in `xs` whose key is ≤ `v` (xs sorted by key), or -1. */
function lastAtMost<T>(xs: T[], v: number, key: (x: T) => number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (key(xs[mid]!) <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/**
 * Boundary queries answered part by part, as Rust's `char_to_token` / `token_to_chars` would on
 * the whole text: a piece's tokens only cover characters of that piece, so the first token holding
 * a position is found inside the part holding it. Rust is asked only for pieces it just tokenized.
 */
function partLocator(text: string, parts: Part[], n: number): TokenLocator {
  const nonEmpty = parts.filter((p) => count(p) > 0);
  const tokenPart = (i: number) => nonEmpty[lastAtMost(nonEmpty, i, (p) => p.first)]!;
  const range = (i: number): [number, number] => {
    const p = tokenPart(i);
    if (p.id >= 0) return [p.start, p.end];
    const j = i - p.first;
    if (p.triples) return [p.triples[3 * j + 1]! + p.start, p.triples[3 * j + 2]! + p.start];
    const job = p.job!;
    const r = job.enc!.tokenToChars(job.from[p.k]! + j);
    if (!r) return [0, 0];
    const shift = p.start - job.bases[p.k]!;
    return [job.u16(r[0]) + shift, job.u16(r[1]) + shift];
  };
  return {
    length: n,
    tokenAt(pos) {
      if (pos < 0 || pos >= text.length) return -1;
      const p = parts[lastAtMost(parts, pos, (q) => q.start)];
      if (!p || pos >= p.end) return -1;
      if (p.id >= 0) return p.first;
      const rel = pos - p.start;
      if (p.triples) {
        const tr = p.triples;
        for (let j = 0; j < tr.length; j += 3) if (tr[j + 1]! <= rel && rel < tr[j + 2]!) return p.first + j / 3;
        return -1;
      }
      const job = p.job!;
      const t = job.enc!.charToToken(job.cp(job.bases[p.k]! + rel));
      return t === null || t === undefined ? -1 : p.first + t - job.from[p.k]!;
    },
    start: (i) => range(i)[0],
    end: (i) => range(i)[1],
  };
}

/**
 * The Encoding of `text` from its parts: ids at once, offsets when first read. The part-wise
 * locator needs parts that do not overlap; Rust lets an rstrip token's whitespace overlap the next
 * added token, and such texts answer boundary queries from the offsets instead.
 */
export function pieceEncoding(text: string, parts: Part[], n: number): Encoding {
  const ids = idsOf(parts, n);
  let offsets: Int32Array | undefined;
  let disjoint = true;
  for (let i = 1; i < parts.length; i++) if (parts[i]!.start < parts[i - 1]!.end) disjoint = false;
  const enc: Encoding = {
    ids,
    get offsets() {
      return (offsets ??= offsetsOf(parts, n));
    },
  };
  if (disjoint) enc.locator = partLocator(text, parts, n);
  return enc;
}

/** The Encoding of a text from its parts with ids and offsets read at once (no part may need Rust). */
export function flatEncoding(parts: Part[], n: number): Encoding {
  return { ids: idsOf(parts, n), offsets: offsetsOf(parts, n) };
}
