import { CHAR_BYTE } from './byte-level.js';
import type { MergeTable } from './merges.js';
import { toShared } from './shared-memory.js';

/** `WholeChars` tables as `share()` hands them to another thread's copy. */
export interface SharedWholeChars {
  minUse: Int32Array;
  leftOf: Map<number, Uint8Array[]>;
  rightOf: Map<number, Uint8Array[]>;
  joins: JoinSet;
}

/**
 * Pairs of BMP chars (a, b) that some merge of two whole-char tokens joins, the left ending in a
 * and the right starting with b: an open-addressing set of `a << 16 | b` (as Int32).
 */
export interface JoinSet {
  keys: Int32Array;
  /** Whether (U+FFFF, U+FFFF), the key that marks empty slots, is in the set. */
  ffff: boolean;
}

const EMPTY_KEY = -1;

function joinSlot(key: number, mask: number): number {
  return (Math.imul(key, 0x9e3779b1) >>> 16) & mask;
}

/** Whether `set` holds `key` (`a << 16 | b`). */
export function joinSetHas(set: JoinSet, key: number): boolean {
  const { keys, ffff } = set;
  if (key === EMPTY_KEY) return ffff;
  const mask = keys.length - 1;
  for (let i = joinSlot(key, mask); ; i = (i + 1) & mask) {
    const k = keys[i]!;
    if (k === key) return true;
    if (k === EMPTY_KEY) return false;
  }
}

function joinSetOf(keys: number[]): JoinSet {
  let cap = 16;
  while (cap < keys.length * 2) cap *= 2;
  const t = new Int32Array(cap).fill(EMPTY_KEY);
  let ffff = false;
  for (const key of keys) {
    if (key === EMPTY_KEY) {
      ffff = true;
      continue;
    }
    let i = joinSlot(key, cap - 1);
    while (t[i] !== EMPTY_KEY && t[i] !== key) i = (i + 1) & (cap - 1);
    t[i] = key;
  }
  return { keys: t, ffff };
}

/** First (`last` false) or last code point of complete UTF-8 `bytes[0, n)`, or -1 for a 4-byte char. */
function edgeChar(bytes: Uint8Array, n: number, last: boolean): number {
  let i = 0;
  if (last) {
    i = n - 1;
    while (i > 0 && bytes[i]! >= 0x80 && bytes[i]! < 0xc0) i--;
  }
  const b = bytes[i]!;
  if (b < 0x80) return b;
  if (b < 0xe0) return ((b & 31) << 6) | (bytes[i + 1]! & 63);
  if (b < 0xf0) return ((b & 15) << 12) | ((bytes[i + 1]! & 63) << 6) | (bytes[i + 2]! & 63);
  return -1;
}

/** Byte-string classes: whole UTF-8 chars, a piece of one char, or anything else. */
const WHOLE = 1;
const PIECE = 2;
const OTHER = 3;
/** Not text of the byte alphabet. */
const NONE = 4;

/**
 * Class of a UTF-8 byte string: WHOLE (one or more complete chars), PIECE (a proper piece of one
 * char: a lead byte and fewer continuation bytes than it announces, or continuation bytes only) or
 * OTHER (pieces of two chars, or a piece next to a whole char).
 */
export function byteClass(bytes: ArrayLike<number>, n = bytes.length): number {
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

/** Write the bytes of byte-alphabet string `s` to `into`; false if it has other chars (or is empty). */
function alphabetBytes(s: string, into: Uint8Array): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const v = c < CHAR_BYTE.length ? CHAR_BYTE[c]! : -1;
    if (v < 0) return false;
    into[i] = v;
  }
  return s.length > 0;
}

/**
 * Exact shortcut for byte-level BPE on multi-byte chars: start a word from one token per char
 * (the token its bytes merge to alone) instead of from its bytes, when that provably gives the
 * merges Rust's byte-by-byte `Word::merge_all` gives.
 *
 * Why it is exact. Call a merge *crossing* if an operand is a piece of a char and the result is
 * neither a piece of one char nor that char whole. While no crossing merge applies, the pieces of each char only merge
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
  /**
   * Crossing partners of chars whose edge pieces have some (`tok` odd), flat (one array, no
   * per-char objects to chase): left count, then each as length and bytes; the same for the right.
   */
  private partners = new Int32Array(1024);
  private partnersEnd = 0;
  /** Per BMP code point: where its partners start in `partners`. */
  private readonly partnerAt = new Int32Array(0x10000);
  private ready = false;
  /** Per token id: lowest rank of a merge that uses it (left or right), else 2^31 - 1. */
  private minUse: Int32Array = new Int32Array(0);
  /** Per piece id: bytes of the tokens a crossing merge joins on its left / right. */
  private leftOf = new Map<number, Uint8Array[]>();
  private rightOf = new Map<number, Uint8Array[]>();
  private joinSet: JoinSet = { keys: new Int32Array(0), ffff: false };

  constructor(
    private readonly tokens: () => string[],
    private readonly merges: MergeTable,
    private readonly byteIds: Int32Array,
    /** Tables another thread's `share()` built over the same merges. */
    shared?: SharedWholeChars,
  ) {
    if (shared) {
      ({ minUse: this.minUse, leftOf: this.leftOf, rightOf: this.rightOf, joins: this.joinSet } = shared);
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
    this.joinSet = { ...this.joinSet, keys: toShared(this.joinSet.keys) };
    return this.tables();
  }

  /** The merge-derived tables as they are (built now if not yet), for a cache file (see table-cache.ts). */
  tables(): SharedWholeChars {
    if (!this.ready) this.init();
    return { minUse: this.minUse, leftOf: this.leftOf, rightOf: this.rightOf, joins: this.joinSet };
  }

  /** The merge table's uses per token and the crossing merges' partners, once. */
  private init(): void {
    this.ready = true;
    const tokens = this.tokens();
    const size = tokens.length;
    // Byte class per token, computed when first needed (0: not yet; NONE: not byte-alphabet text,
    // which never forms from bytes). Pieces are at most 3 bytes, so longer tokens are never one.
    const cls = new Uint8Array(size);
    let buf = new Uint8Array(64);
    const classOf = (id: number): number => {
      let c = cls[id]!;
      if (c === 0) {
        const t = tokens[id] ?? '';
        if (t.length > buf.length) buf = new Uint8Array(2 * t.length);
        c = cls[id] = alphabetBytes(t, buf) ? byteClass(buf, t.length) : NONE;
      }
      return c;
    };
    for (let id = 0; id < size; id++) {
      const t = tokens[id];
      if (t !== undefined && t.length <= 3) classOf(id);
    }
    const bytesOf = (id: number) => {
      const b = new Uint8Array(tokens[id]!.length);
      alphabetBytes(tokens[id]!, b);
      return b;
    };
    const minUse = new Int32Array(size).fill(0x7fffffff);
    const add = (map: Map<number, Uint8Array[]>, id: number, partner: Uint8Array) => {
      const list = map.get(id);
      if (list) list.push(partner);
      else map.set(id, [partner]);
    };
    const joins: number[] = [];
    const t = this.merges.entries();
    for (let i = 0; i < t.length; i += 4) {
      const a = t[i]!;
      if (a === -1) continue;
      const b = t[i + 1]!;
      const rank = t[i + 2]!;
      if (rank < minUse[a]!) minUse[a] = rank;
      if (rank < minUse[b]!) minUse[b] = rank;
      const pa = cls[a] === PIECE;
      const pb = cls[b] === PIECE;
      if (!pa && !pb) {
        // Two whole-char tokens: remember the pair of chars this merge joins.
        if (classOf(a) !== WHOLE || classOf(b) !== WHOLE) continue;
        const ta = tokens[a]!;
        const tb = tokens[b]!;
        if (ta.length > buf.length || tb.length > buf.length) buf = new Uint8Array(2 * Math.max(ta.length, tb.length));
        alphabetBytes(ta, buf);
        const x = edgeChar(buf, ta.length, true);
        alphabetBytes(tb, buf);
        const y = edgeChar(buf, tb.length, false);
        if (x >= 0 && y >= 0) joins.push((x << 16) | y);
        continue;
      }
      // Two pieces of one char joining (into a piece, or into the whole char) do not cross.
      if (pa && pb && classOf(t[i + 3]!) !== OTHER) continue;
      // A crossing merge whose operands are whole chars or pieces (others need a crossing merge first).
      const ca = classOf(a);
      const cb = classOf(b);
      if (ca === OTHER || ca === NONE || cb === OTHER || cb === NONE) continue;
      if (pb) add(this.leftOf, b, bytesOf(a));
      if (pa) add(this.rightOf, a, bytesOf(b));
    }
    this.minUse = minUse;
    this.joinSet = joinSetOf(joins);
  }

  /**
   * Whether some merge of two whole-char tokens joins a token ending in BMP char `a` to one
   * starting with `b`. Where it is false, no symbol of a collapsed word ever spans `a` `b`.
   */
  joins(a: number, b: number): boolean {
    return joinSetHas(this.joinSet, (a << 16) | b);
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
    let size = 2;
    for (const x of [...l, ...r]) size += 1 + x.length;
    if (this.partnersEnd + size > this.partners.length) {
      const grown = new Int32Array(Math.max(2 * this.partners.length, this.partnersEnd + size));
      grown.set(this.partners);
      this.partners = grown;
    }
    this.partnerAt[cp] = this.partnersEnd;
    const out = this.partners;
    let o = this.partnersEnd;
    for (const side of [l, r]) {
      out[o++] = side.length;
      for (const x of side) {
        out[o++] = x.length;
        out.set(x, o);
        o += x.length;
      }
    }
    this.partnersEnd = o;
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
    const p = this.partners;
    let o = this.partnerAt[cp]!;
    for (let side = 0; side < 2; side++) {
      let count = p[o++]!;
      for (; count > 0; count--) {
        const len = p[o++]!;
        // Left partners end just before the char, right partners start just after it.
        const at = side === 0 ? start - len : end;
        if (at >= 0 && at + len <= n) {
          let j = 0;
          while (j < len && bytes[at + j] === p[o + j]) j++;
          if (j === len) return true;
        }
        o += len;
      }
    }
    return false;
  }
}
