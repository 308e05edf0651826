/**
 * Offsets for the js engine: walk the model's output tokens over the UTF-8 bytes of the
 * normalized text. Each token is turned back into the bytes it stands for (byte-level alphabet,
 * `<0xNN>` byte fallback, Metaspace `▁`), matched at the cursor, and mapped to original UTF-16
 * ranges through the normalizer alignment. Linear in the text length.
 */
import type { Aligned } from './align-normalize.js';

/** Pattern unit: 0..255 literal byte; META: a Metaspace `▁` (literal ▁, a space, or inserted). */
const META = -1;
/** A ByteLevel space that `add_prefix_space` may have inserted. */
const SPACE_OR_INSERTED = -2;

export interface TokenAlphabet {
  /** Byte-level alphabet (char → byte) when the pre-tokenizer is ByteLevel. */
  byteDecoder?: Map<string, number>;
  byteLevelPrefixSpace: boolean;
  /** Metaspace replacement char, when the pre-tokenizer is Metaspace. */
  metaspace?: string;
  byteFallback: boolean;
  continuingSubwordPrefix?: string;
  endOfWordSuffix?: string;
}

const encoder = new TextEncoder();
const BYTE_FALLBACK = /^<0x([0-9A-Fa-f]{2})>$/;

export class TokenUnits {
  private cache = new Map<string, Int16Array>();
  constructor(private readonly a: TokenAlphabet) {}

  /** The byte pattern a model token stands for. */
  of(token: string): Int16Array {
    let u = this.cache.get(token);
    if (!u) {
      u = this.compute(token);
      if (this.cache.size < 200_000) this.cache.set(token, u);
    }
    return u;
  }

  private compute(token: string): Int16Array {
    const a = this.a;
    if (a.byteFallback) {
      const m = BYTE_FALLBACK.exec(token);
      if (m) return Int16Array.of(parseInt(m[1]!, 16));
    }
    let t = token;
    if (a.endOfWordSuffix && t.endsWith(a.endOfWordSuffix)) t = t.slice(0, -a.endOfWordSuffix.length);
    if (
      a.continuingSubwordPrefix &&
      t.startsWith(a.continuingSubwordPrefix) &&
      t.length > a.continuingSubwordPrefix.length
    ) {
      t = t.slice(a.continuingSubwordPrefix.length);
    }
    const out: number[] = [];
    if (a.byteDecoder) {
      for (const ch of t) {
        const byte = a.byteDecoder.get(ch);
        if (byte === undefined) for (const x of encoder.encode(ch)) out.push(x);
        else out.push(byte === 0x20 && a.byteLevelPrefixSpace ? SPACE_OR_INSERTED : byte);
      }
    } else {
      for (const ch of t) {
        if (ch === a.metaspace) out.push(META);
        else for (const x of encoder.encode(ch)) out.push(x);
      }
    }
    return Int16Array.from(out);
  }
}

/** UTF-8 bytes of the normalized text with, per byte, the UTF-16 unit its char starts at. */
export interface ByteView {
  bytes: Uint8Array;
  unitOf: Int32Array;
}

export function byteView(text: string): ByteView {
  const bytes = encoder.encode(text);
  const unitOf = new Int32Array(bytes.length);
  let b = 0;
  for (let i = 0; i < text.length;) {
    const cp = text.codePointAt(i)!;
    const w = cp > 0xffff ? 2 : 1;
    const n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    for (let k = 0; k < n; k++) unitOf[b++] = i;
    i += w;
  }
  return { bytes, unitOf };
}

/** Match `units` at byte `p`; returns [endByte, firstRealByte, lastRealByte] or undefined. */
function matchAt(v: ByteView, units: Int16Array, p: number): [number, number, number] | undefined {
  const B = v.bytes;
  let q = p;
  let first = -1;
  let last = -1;
  for (let k = 0; k < units.length; k++) {
    const u = units[k]!;
    if (u >= 0) {
      if (B[q] !== u) return undefined;
      if (first < 0) first = q;
      last = q++;
    } else if (u === META && B[q] === 0xe2 && B[q + 1] === 0x96 && B[q + 2] === 0x81) {
      if (first < 0) first = q;
      last = q + 2;
      q += 3;
    } else if (B[q] === 0x20) {
      if (first < 0) first = q;
      last = q++;
    } // else: the pre-tokenizer inserted it; consumes nothing
  }
  return [q, first, last];
}

/** Bytes a pre-tokenizer may drop between tokens (whitespace splitters). */
function skippable(b: number): boolean {
  return b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d || b === 0x0b || b === 0x0c;
}

/**
 * Write offsets for `units[i]` into `out` (flat pairs at `base + 2*i`), in original coordinates
 * `origin + align`. `isUnk[i]` marks unknown tokens, which take whatever lies before the next match.
 */
export function alignTokens(
  v: ByteView,
  al: Aligned,
  origin: number,
  units: Int16Array[],
  isUnk: boolean[],
  out: Int32Array,
  base: number,
): void {
  const n = v.bytes.length;
  const startOf = (byte: number) => origin + al.starts[v.unitOf[byte]!]!;
  const endOf = (byte: number) => origin + al.ends[v.unitOf[byte]!]!;
  const put = (i: number, s: number, e: number) => {
    out[base + 2 * i] = s;
    out[base + 2 * i + 1] = Math.max(s, e);
  };
  const whole = n > 0 ? [startOf(0), endOf(n - 1)] : [origin, origin];
  let p = 0;
  let lost = false; // after a failed match, give the rest coarse offsets (keeps it linear)
  let pendingUnk = -1;
  for (let i = 0; i < units.length; i++) {
    if (lost) {
      put(i, whole[0]!, whole[1]!);
      continue;
    }
    if (isUnk[i]) {
      if (pendingUnk < 0) pendingUnk = i;
      continue;
    }
    let m = matchAt(v, units[i]!, p);
    let q = p;
    if (!m) {
      // Dropped whitespace first, then a bounded-by-end scan (unknown tokens or removed chars).
      while (q < n && skippable(v.bytes[q]!) && !(m = matchAt(v, units[i]!, ++q)));
      if (!m) for (q = p + 1; q <= n && !(m = matchAt(v, units[i]!, q)); q++);
    }
    if (pendingUnk >= 0) {
      const s = p < n ? startOf(p) : whole[1]!;
      const e = q > p ? endOf(Math.min(q, n) - 1) : s;
      for (let k = pendingUnk; k < i; k++) put(k, s, e);
      pendingUnk = -1;
    }
    if (!m) {
      lost = true;
      put(i, whole[0]!, whole[1]!);
      continue;
    }
    const [end, first, last] = m;
    if (first < 0) {
      // Entirely inserted (e.g. a lone prefix ▁): Rust gives it the range of the next char.
      const at = Math.min(q, n - 1);
      put(i, n > 0 ? startOf(at) : origin, n > 0 ? endOf(at) : origin);
    } else {
      put(i, startOf(first), endOf(last));
    }
    p = end;
  }
  if (pendingUnk >= 0) {
    const s = p < n ? startOf(p) : whole[1]!;
    for (let k = pendingUnk; k < units.length; k++) put(k, s, whole[1]!);
  }
}
