import { CHAR_BYTE } from './byte-level.js';
import type { MergeTable } from './merges.js';
import { toShared } from './shared-memory.js';

/** `WholeChars` tables as `share()` hands them to another thread's copy. */
export interface SharedWholeChars {
  minUse: Int32Array;
  leftOf: Map<number, Uint8Array[]>;
  rightOf: Map<number, Uint8Array[]>;
}

/** Byte-string classes: whole UTF-8 chars, a piece of one char, or anything else. */
const WHOLE = 1;
const PIECE = 2;
const OTHER = 3;

/**
 * Class of a UTF-8 byte string: WHOLE (one or more complete chars), PIECE (a proper piece of one
 * char: a lead byte and fewer continuation bytes than it announces, or continuation bytes only) or
 * OTHER (pieces of two chars, or a piece next to a whole char).
 */
export function byteClass(bytes: ArrayLike<number>): number {
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 0;
    let j = i + 1;
    while (j < n && j - i < (need || 3) && bytes[j]! >= 0x80 && bytes[j]! < 0xc0) j++;
    if (need > 0 && j - i === need) {
      i = j;
      continue;
    }
    // A piece: it is the whole string, or the string mixes pieces with other bytes.
    return i === 0 && j === n ? PIECE : OTHER;
  }
  return WHOLE;
}

/** Bytes of a byte-alphabet string (into `into` when given, which must be long enough), or undefined. */
function alphabetBytes(s: string, into: Uint8Array | undefined): Uint8Array | undefined {
  if (s.length === 0) return undefined;
  const out = into ? into.subarray(0, s.length) : new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const v = c < CHAR_BYTE.length ? CHAR_BYTE[c]! : -1;
    if (v < 0) return undefined;
    out[i] = v;
  }
  return out;
}

/**
 * Exact shortcut for byte-level BPE on multi-byte chars: start a word from one token per char
 * (the token its bytes merge to alone) instead of from its bytes, when that provably gives the
 * merges Rust's byte-by-byte `Word::merge_all` gives.
 *
 * Why it is exact. Call a merge *crossing* if an operand is a piece of a char and the result is
 * not a piece of one char. While no crossing merge applies, the pieces of each char only merge
 * with each other, exactly as when the char is merged alone; merges between whole-char symbols
 * do not see them. A char whose bytes merge alone into one token T at ranks ≤ M, with every merge
 * that uses T ranked above M, is then indistinguishable from starting as T: any merge with T
 * comes after M, when the char is complete in the byte-by-byte run too, and equal ranks are the
 * same pair, so leftmost-first picks the same occurrence. A crossing merge needs its two
 * operands side by side, so it can only start from one whose operands are whole chars or pieces
 * (the others exist only after a crossing merge): for each char we keep those partners of its
 * edge pieces and refuse the shortcut when one of them is written next to it in the word.
 *
 * @example
 * const wc = new WholeChars(() => vocab.tokens(), merges, byteIds);
 * const n = wc.collapse(text, from, nBytes, bytes, sid, slen, cs); // -1: merge the bytes
 */
export class WholeChars {
  /** Per BMP code point: 0 not yet known, -1 no shortcut, else 2 × (its token id + 1) + (1 if it has partners). */
  private readonly tok = new Int32Array(0x10000);
  /** Code points whose edge pieces have crossing partners: the partners' bytes. */
  private readonly partners = new Map<number, { left: Uint8Array[]; right: Uint8Array[] }>();
  private ready = false;
  /** Per token id: lowest rank of a merge that uses it (left or right), else 2^31 - 1. */
  private minUse: Int32Array = new Int32Array(0);
  /** Per piece id: bytes of the tokens a crossing merge joins on its left / right. */
  private leftOf = new Map<number, Uint8Array[]>();
  private rightOf = new Map<number, Uint8Array[]>();

  constructor(
    private readonly tokens: () => string[],
    private readonly merges: MergeTable,
    private readonly byteIds: Int32Array,
    /** Tables another thread's `share()` built over the same merges. */
    shared?: SharedWholeChars,
  ) {
    if (shared) {
      ({ minUse: this.minUse, leftOf: this.leftOf, rightOf: this.rightOf } = shared);
      this.ready = true;
    }
  }

  /**
   * The merge-derived tables (built now if not yet), for a copy on another thread. The per-char
   * results stay per thread: they are cheap, and each thread's partner map must match them.
   */
  share(): SharedWholeChars {
    if (!this.ready) this.init();
    this.minUse = toShared(this.minUse);
    return { minUse: this.minUse, leftOf: this.leftOf, rightOf: this.rightOf };
  }

  /** The merge table's uses per token and the crossing merges' partners, once. */
  private init(): void {
    this.ready = true;
    const tokens = this.tokens();
    const cls = new Uint8Array(tokens.length);
    const buf = new Uint8Array(64);
    for (let id = 0; id < tokens.length; id++) {
      const t = tokens[id];
      // Tokens outside the byte alphabet never form from bytes (class 0: ignored).
      const b = t === undefined ? undefined : alphabetBytes(t, t.length <= buf.length ? buf : undefined);
      if (b !== undefined) cls[id] = byteClass(b);
    }
    const bytesOf = (id: number) => alphabetBytes(tokens[id]!, undefined)!;
    const minUse = new Int32Array(tokens.length).fill(0x7fffffff);
    const add = (map: Map<number, Uint8Array[]>, id: number, partner: Uint8Array) => {
      const list = map.get(id);
      if (list) list.push(partner);
      else map.set(id, [partner]);
    };
    this.merges.forEach((a, b, rank, merged) => {
      if (rank < minUse[a]!) minUse[a] = rank;
      if (rank < minUse[b]!) minUse[b] = rank;
      const ca = cls[a]!;
      const cb = cls[b]!;
      // Only merges of whole chars and pieces can start a crossing chain.
      if (ca === 0 || cb === 0 || ca === OTHER || cb === OTHER) return;
      if (ca === WHOLE && cb === WHOLE) return;
      if (cls[merged] === PIECE) return;
      if (cb === PIECE) add(this.leftOf, b, bytesOf(a));
      if (ca === PIECE) add(this.rightOf, a, bytesOf(b));
    });
    this.minUse = minUse;
  }

  /** The `tok` entry of BMP char `cp` (2 or 3 UTF-8 bytes). */
  private charToken(cp: number): number {
    if (!this.ready) this.init();
    const bytes =
      cp < 0x800
        ? [0xc0 | (cp >> 6), 0x80 | (cp & 63)]
        : [0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63)];
    const k = bytes.length;
    // The char merged alone, as mergeSimple does (lowest rank, leftmost), remembering its edge pieces.
    const ids = bytes.map((b) => this.byteIds[b]!);
    const starts = bytes.map((_, i) => i);
    const ends = bytes.map((_, i) => i + 1);
    const left = new Set<number>([ids[0]!]);
    const right = new Set<number>([ids[k - 1]!]);
    let maxRank = -1;
    const mt = this.merges;
    while (ids.length > 1) {
      let best = -1;
      let bestRank = 0x7fffffff;
      let bestId = -1;
      for (let i = 0; i + 1 < ids.length; i++) {
        const r = mt.lookup(ids[i]!, ids[i + 1]!);
        if (r >= 0 && r < bestRank) {
          bestRank = r;
          best = i;
          bestId = mt.merged;
        }
      }
      if (best < 0) break;
      maxRank = Math.max(maxRank, bestRank);
      ids.splice(best, 2, bestId);
      starts.splice(best + 1, 1);
      ends.splice(best, 1);
      if (ids.length > 1) {
        if (starts[best] === 0) left.add(bestId);
        if (ends[best] === k) right.add(bestId);
      }
    }
    if (ids.length !== 1) return -1;
    const t = ids[0]!;
    if (t >= this.minUse.length || this.minUse[t]! <= maxRank) return -1;
    const l: Uint8Array[] = [];
    const r: Uint8Array[] = [];
    for (const p of left) for (const x of this.leftOf.get(p) ?? []) l.push(x);
    for (const p of right) for (const x of this.rightOf.get(p) ?? []) r.push(x);
    if (l.length === 0 && r.length === 0) return (t + 1) * 2;
    this.partners.set(cp, { left: l, right: r });
    return (t + 1) * 2 + 1;
  }

  /**
   * Rewrite the byte symbols of a word (`bytes`, `sid` = their ids, `slen` = 1, `cs` = each byte's
   * char start relative to `from`) as one symbol per char. Returns the symbol count, or -1 when
   * some char does not qualify (then the byte symbols are restored).
   */
  collapse(
    text: string,
    from: number,
    n: number,
    bytes: Uint8Array,
    sid: Int32Array,
    slen: Int32Array,
    cs: Int32Array,
  ): number {
    const tok = this.tok;
    let k = 0;
    for (let i = 0; i < n; k++) {
      const b = bytes[i]!;
      if (b < 0x80) {
        sid[k] = sid[i]!;
        slen[k] = 1;
        i++;
        continue;
      }
      const cp = text.charCodeAt(from + cs[i]!);
      let t = tok[cp]!;
      if (t === 0) t = tok[cp] = this.charToken(cp);
      const len = b >= 0xe0 ? 3 : 2;
      if (t < 0 || b >= 0xf0 || ((t & 1) === 1 && this.touches(cp, bytes, i, i + len, n))) {
        for (let j = 0; j < n; j++) {
          sid[j] = this.byteIds[bytes[j]!]!;
          slen[j] = 1;
        }
        return -1;
      }
      sid[k] = (t >> 1) - 1;
      slen[k] = len;
      i += len;
    }
    return k;
  }

  /** Whether a crossing partner of char `cp` (bytes `[start, end)` of `n`) is written next to it. */
  private touches(cp: number, bytes: Uint8Array, start: number, end: number, n: number): boolean {
    const p = this.partners.get(cp)!;
    const left = p.left;
    for (let q = 0; q < left.length; q++) {
      const x = left[q]!;
      if (x.length > start) continue;
      let j = 0;
      while (j < x.length && bytes[start - x.length + j] === x[j]) j++;
      if (j === x.length) return true;
    }
    const right = p.right;
    for (let q = 0; q < right.length; q++) {
      const y = right[q]!;
      if (end + y.length > n) continue;
      let j = 0;
      while (j < y.length && bytes[end + j] === y[j]) j++;
      if (j === y.length) return true;
    }
    return false;
  }
}
