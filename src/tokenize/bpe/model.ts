import { MergeTable } from './merges.js';
import { BYTE_CHAR } from './byte-level.js';
import { Vocab, type SharedVocab } from './vocab.js';
import { mergesFromJson, vocabFromJson } from './model-json.js';
import { unparsedText, valueKind } from '../json-outline.js';
import { WholeChars, type SharedWholeChars } from './whole-chars.js';

type Cfg = Record<string, unknown>;

/** Reason a BPE model section is not supported, or undefined. */
export function modelUnsupported(m: Cfg): string | undefined {
  if (m.type !== undefined && m.type !== 'BPE') return `model ${String(m.type)}`;
  // valueKind: the type without parsing a vocab / merges still unparsed (see json-outline.ts).
  const vocab = valueKind(m, 'vocab');
  if ((vocab !== 'object' && vocab !== 'array') || valueKind(m, 'merges') !== 'array')
    return 'BPE model without vocab/merges';
  if (m.dropout !== null && m.dropout !== undefined && m.dropout !== 0) return 'BPE dropout';
  if (typeof m.continuing_subword_prefix === 'string' && m.continuing_subword_prefix !== '')
    return 'continuing_subword_prefix';
  if (typeof m.end_of_word_suffix === 'string' && m.end_of_word_suffix !== '') return 'end_of_word_suffix';
  return undefined;
}

const UTF8 = new TextEncoder();

/** A built model's tables, as `BpeModel.share` hands them to another thread. */
export interface SharedBpeModel {
  vocab: SharedVocab;
  merges: Int32Array;
  /** The whole-char shortcut's tables, built once (a few hundred ms) rather than per thread. */
  wholeChars?: SharedWholeChars;
}

/** Words longer than this (UTF-16 units) skip the word cache and the quadratic merge loop. */
const CACHE_MAX_WORD = 256;
const SIMPLE_MAX_SYMBOLS = 48;
const WORD_CACHE_SIZE = 1 << 17;
/** Rank of a pair that has no merge (ranks are merge-list indexes, far below this). */
const NO_RANK = 0x7fffffff;

/**
 * Rust `tokenizers` BPE over pre-tokenized words: initial symbols (chars, or bytes through the
 * GPT-2 alphabet), byte fallback, unknown-token fusing, then merges applied lowest rank first,
 * leftmost first, exactly as `Word::merge_all` does. Results are triples
 * `[id, start, end]` with offsets in UTF-16 units relative to the word.
 */
export class BpeModel {
  readonly vocab: Vocab;
  private readonly merges: MergeTable;
  private readonly byteLevel: boolean;
  private readonly ignoreMerges: boolean;
  private readonly byteFallback: boolean;
  private readonly fuseUnk: boolean;
  private readonly unkId: number;
  /** Byte-level: id of each byte's alphabet char. */
  private readonly byteIds = new Int32Array(256).fill(-1);
  /** Byte fallback: id of `<0xXX>` per byte. */
  private readonly fallbackIds = new Int32Array(256).fill(-1);
  /** Byte-level with all 256 byte chars in the vocabulary: no fallback or unknown symbols. */
  private readonly plainBytes: boolean;
  /** Plain byte-level: the one-token-per-char start, where exact (see WholeChars). */
  private readonly wholeChars: WholeChars | undefined;
  /** Whether the last `byteSymbols` word had a multi-byte char. */
  private wide = false;
  private readonly cache = new Map<string, Int32Array>();

  // Scratch buffers, grown on demand: per byte of the word, the UTF-16 range of its char;
  // per symbol, id and byte length.
  private bt = new Uint8Array(1024);
  private cs = new Int32Array(1024);
  private ce = new Int32Array(1024);
  private sid = new Int32Array(1024);
  private slen = new Int32Array(1024);
  private rk = new Int32Array(1024);
  private mid = new Int32Array(1024);
  private prev = new Int32Array(1024);
  private next = new Int32Array(1024);
  // Merge queue: at most one entry per initial pair plus two per merge, so 3 per symbol.
  // Merge min-tree: leaves are pair positions, each node the least (rank, position) key below it.
  private tree = new Float64Array(2048);

  /**
   * The model of tokenizer.json's `model` section `m`; with `shared` (another thread's `share()`),
   * its vocabulary and merges come from there and `m` only gives the flags.
   */
  constructor(m: Cfg, byteLevel: boolean, shared?: SharedBpeModel) {
    this.byteLevel = byteLevel;
    this.ignoreMerges = m.ignore_merges === true;
    this.byteFallback = m.byte_fallback === true;
    this.fuseUnk = m.fuse_unk === true;
    // Read from tokenizer.json's text while the values are unparsed (much faster than JSON.parse objects).
    const vocabText = shared ? undefined : unparsedText(m, 'vocab');
    const mergesText = shared ? undefined : unparsedText(m, 'merges');
    this.vocab =
      (vocabText !== undefined ? vocabFromJson(vocabText) : undefined) ??
      new Vocab(shared ? shared.vocab : (m.vocab as Record<string, number>));
    const unk = typeof m.unk_token === 'string' ? this.vocab.get(m.unk_token) : undefined;
    this.unkId = unk ?? -1;
    for (let b = 0; b < 256; b++) {
      this.byteIds[b] = this.vocab.get(String.fromCharCode(BYTE_CHAR[b]!)) ?? -1;
      this.fallbackIds[b] = this.vocab.get(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`) ?? -1;
    }
    this.plainBytes = byteLevel && this.byteIds.every((id) => id >= 0);
    if (shared) {
      this.merges = new MergeTable(shared.merges);
      this.wholeChars = this.plainBytes
        ? new WholeChars(() => this.vocab.tokens(), this.merges, this.byteIds, shared.wholeChars)
        : undefined;
      return;
    }
    this.merges =
      (mergesText !== undefined ? mergesFromJson(mergesText, this.vocab) : undefined) ??
      mergeTableOf(m.merges as (string | [string, string])[], this.vocab);
    this.wholeChars = this.plainBytes
      ? new WholeChars(() => this.vocab.tokens(), this.merges, this.byteIds)
      : undefined;
  }

  /** Tokens of `text[from, to)` as `[id, start, end]` triples relative to `from`. */
  word(text: string, from: number, to: number): Int32Array {
    const len = to - from;
    if (len <= CACHE_MAX_WORD) {
      const key = text.slice(from, to);
      let hit = this.cache.get(key);
      if (hit === undefined) {
        hit = this.compute(text, from, to);
        if (this.cache.size >= WORD_CACHE_SIZE) this.cache.clear();
        this.cache.set(key, hit);
      }
      return hit;
    }
    return this.compute(text, from, to);
  }

  private grow(bytes: number): void {
    if (bytes <= this.cs.length) return;
    const n = Math.max(bytes, this.cs.length * 2);
    this.bt = new Uint8Array(n);
    this.cs = new Int32Array(n);
    this.ce = new Int32Array(n);
    this.sid = new Int32Array(n);
    this.slen = new Int32Array(n);
    this.rk = new Int32Array(n);
    this.mid = new Int32Array(n);
    this.prev = new Int32Array(n);
    this.next = new Int32Array(n);
  }

  private compute(text: string, from: number, to: number): Int32Array {
    if (this.ignoreMerges) {
      const whole = this.vocab.get(this.byteLevel ? this.byteString(text, from, to) : text.slice(from, to));
      if (whole !== undefined) return Int32Array.of(whole, 0, to - from);
    }
    // A UTF-16 unit is at most 3 UTF-8 bytes (a surrogate pair: 4 bytes for 2 units).
    this.grow(3 * (to - from) + 4);
    let n = -1;
    if (this.plainBytes) {
      const bytes = this.byteSymbols(text, from, to);
      if (this.wide && bytes > 2) {
        const k = this.wholeChars!.collapse(text, from, bytes, this.bt, this.sid, this.slen, this.cs);
        if (k >= 0) n = this.mergeParts(text, from, k);
      }
      if (n < 0) n = bytes <= SIMPLE_MAX_SYMBOLS ? this.mergeSimple(bytes) : this.mergeTree(bytes);
    } else {
      n = this.symbols(text, from, to);
      n = n <= SIMPLE_MAX_SYMBOLS ? this.mergeSimple(n) : this.mergeTree(n);
    }
    const { cs, ce, sid, slen } = this;
    const out = new Int32Array(3 * n);
    let pos = 0;
    for (let i = 0; i < n; i++) {
      const end = pos + slen[i]!;
      out[3 * i] = sid[i]!;
      out[3 * i + 1] = cs[pos]!;
      out[3 * i + 2] = ce[end - 1]!;
      pos = end;
    }
    return out;
  }

  /**
   * Initial symbols when every byte has its alphabet char in the vocabulary (all byte-level
   * tokenizers shipped): one symbol per UTF-8 byte, tagged with its char's UTF-16 range (a token
   * that ends or starts inside a char spans the whole char, as Rust's alignments do).
   */
  private byteSymbols(text: string, from: number, to: number): number {
    const { bt, cs, ce, sid, slen, byteIds } = this;
    let n = 0;
    let wide = false;
    for (let u = from; u < to;) {
      const cp = text.charCodeAt(u);
      const rs = u - from;
      if (cp < 0x80) {
        bt[n] = cp;
        cs[n] = rs;
        ce[n++] = rs + 1;
        u++;
        continue;
      }
      wide = true;
      let k = 3;
      let w = 1;
      if (cp < 0x800) {
        bt[n] = 0xc0 | (cp >> 6);
        bt[n + 1] = 0x80 | (cp & 63);
        k = 2;
      } else if ((cp & 0xfc00) === 0xd800 && u + 1 < to && (text.charCodeAt(u + 1) & 0xfc00) === 0xdc00) {
        const c = 0x10000 + ((cp - 0xd800) << 10) + (text.charCodeAt(u + 1) - 0xdc00);
        bt[n] = 0xf0 | (c >> 18);
        bt[n + 1] = 0x80 | ((c >> 12) & 63);
        bt[n + 2] = 0x80 | ((c >> 6) & 63);
        bt[n + 3] = 0x80 | (c & 63);
        k = 4;
        w = 2;
      } else {
        bt[n] = 0xe0 | (cp >> 12);
        bt[n + 1] = 0x80 | ((cp >> 6) & 63);
        bt[n + 2] = 0x80 | (cp & 63);
      }
      for (let j = n; j < n + k; j++) {
        cs[j] = rs;
        ce[j] = rs + w;
      }
      n += k;
      u += w;
    }
    for (let i = 0; i < n; i++) {
      sid[i] = byteIds[bt[i]!]!;
      slen[i] = 1;
    }
    this.wide = wide;
    return n;
  }

  /**
   * Initial symbols in general: chars (or bytes through the byte alphabet), byte fallback, unknown
   * runs (fused with `fuse_unk`). Per byte of the word, the UTF-16 range of its char.
   */
  private symbols(text: string, from: number, to: number): number {
    const { cs, ce, sid, slen } = this;
    let nb = 0;
    let n = 0; // symbols
    let unkPending = -1; // byte length of a pending unknown run, or -1
    const byteLevel = this.byteLevel;
    const pushSym = (id: number, blen: number) => {
      sid[n] = id;
      slen[n] = blen;
      n++;
    };
    const unknown = (blen: number) => {
      if (this.unkId < 0) return;
      if (unkPending >= 0 && this.fuseUnk) unkPending += blen;
      else {
        if (unkPending >= 0) pushSym(this.unkId, unkPending);
        unkPending = blen;
      }
    };
    const known = (id: number, blen: number) => {
      if (unkPending >= 0) {
        pushSym(this.unkId, unkPending);
        unkPending = -1;
      }
      pushSym(id, blen);
    };
    const bytesBuf = [0, 0, 0, 0];
    for (let u = from; u < to;) {
      let cp = text.charCodeAt(u);
      let w = 1;
      if ((cp & 0xfc00) === 0xd800 && u + 1 < to && (text.charCodeAt(u + 1) & 0xfc00) === 0xdc00) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (text.charCodeAt(u + 1) - 0xdc00);
        w = 2;
      }
      let k: number;
      if (cp < 0x80) {
        bytesBuf[0] = cp;
        k = 1;
      } else if (cp < 0x800) {
        bytesBuf[0] = 0xc0 | (cp >> 6);
        bytesBuf[1] = 0x80 | (cp & 63);
        k = 2;
      } else if (cp < 0x10000) {
        bytesBuf[0] = 0xe0 | (cp >> 12);
        bytesBuf[1] = 0x80 | ((cp >> 6) & 63);
        bytesBuf[2] = 0x80 | (cp & 63);
        k = 3;
      } else {
        bytesBuf[0] = 0xf0 | (cp >> 18);
        bytesBuf[1] = 0x80 | ((cp >> 12) & 63);
        bytesBuf[2] = 0x80 | ((cp >> 6) & 63);
        bytesBuf[3] = 0x80 | (cp & 63);
        k = 4;
      }
      const rs = u - from;
      for (let j = 0; j < k; j++) {
        cs[nb + j] = rs;
        ce[nb + j] = rs + w;
      }
      nb += k;
      if (byteLevel) {
        for (let j = 0; j < k; j++) {
          const id = this.byteIds[bytesBuf[j]!]!;
          if (id >= 0) known(id, 1);
          else if (!this.fallback(bytesBuf, j, j + 1, pushSym)) unknown(1);
        }
      } else {
        const id = this.vocab.range(text, u, u + w);
        if (id >= 0) known(id, k);
        else if (!this.fallback(bytesBuf, 0, k, pushSym)) unknown(k);
      }
      u += w;
    }
    if (unkPending >= 0) pushSym(this.unkId, unkPending);
    return n;
  }

  /** Byte fallback tokens for `bytes[a, b)`, pushed only if all exist. */
  private fallback(bytes: number[], a: number, b: number, push: (id: number, blen: number) => void): boolean {
    if (!this.byteFallback) return false;
    for (let j = a; j < b; j++) if (this.fallbackIds[bytes[j]!]! < 0) return false;
    for (let j = a; j < b; j++) push(this.fallbackIds[bytes[j]!]!, 1);
    return true;
  }

  /** The word as the model sees it: UTF-8 bytes through the byte alphabet. */
  private byteString(text: string, from: number, to: number): string {
    const bytes = UTF8.encode(text.slice(from, to));
    let s = '';
    for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(BYTE_CHAR[bytes[i]!]!);
    return s;
  }

  /**
   * Merge loop for short words: keep each adjacent pair's merge (its rank, and the id it makes),
   * merge the lowest rank (leftmost on ties), re-rank the two new neighbours. Same order as
   * `mergeTree`, with less bookkeeping while words are short.
   */
  private mergeSimple(n: number): number {
    return this.mergeSimpleAt(0, n);
  }

  /** `mergeSimple` on the `n` symbols from index `base`; the result stays from `base`. */
  private mergeSimpleAt(base: number, n: number): number {
    const { sid, slen, rk, mid } = this;
    const mt = this.merges;
    const last = base + n;
    for (let i = base; i + 1 < last; i++) {
      const r = mt.lookup(sid[i]!, sid[i + 1]!);
      rk[i] = r < 0 ? NO_RANK : r;
      mid[i] = mt.merged;
    }
    let end = last;
    while (end - base > 1) {
      let best = -1;
      let bestRank = NO_RANK;
      for (let i = base; i + 1 < end; i++) {
        const r = rk[i]!;
        if (r < bestRank) {
          bestRank = r;
          best = i;
        }
      }
      if (best < 0) break;
      sid[best] = mid[best]!;
      slen[best] = slen[best]! + slen[best + 1]!;
      end--;
      for (let i = best + 1; i < end; i++) {
        sid[i] = sid[i + 1]!;
        slen[i] = slen[i + 1]!;
        rk[i] = rk[i + 1]!;
        mid[i] = mid[i + 1]!;
      }
      if (best > base) {
        const r = mt.lookup(sid[best - 1]!, sid[best]!);
        rk[best - 1] = r < 0 ? NO_RANK : r;
        mid[best - 1] = mt.merged;
      }
      if (best + 1 < end) {
        const r = mt.lookup(sid[best]!, sid[best + 1]!);
        rk[best] = r < 0 ? NO_RANK : r;
        mid[best] = mt.merged;
      }
    }
    return end - base;
  }

  /**
   * Merge a collapsed word (one symbol per char, see WholeChars) part by part. Parts meet between
   * two chars that no merge of whole-char tokens joins (`WholeChars.joins`): no symbol ever spans
   * such a point, so the pairs of one part never change those of another, and each part goes
   * through exactly the merges it would alone (lowest rank, leftmost; equal ranks are the same
   * pair). In Chinese text about half the char boundaries are such points, so long words become
   * parts of 1-3 chars. Words with a part too long for `mergeSimple` merge whole as before.
   */
  private mergeParts(text: string, from: number, n: number): number {
    const { sid, slen, cs } = this;
    const starts = this.prev;
    const wc = this.wholeChars!;
    let parts = 0;
    let longest = 0;
    let start = 0;
    let pos = slen[0]!;
    let left = text.charCodeAt(from + cs[0]!);
    for (let j = 1; j < n; j++) {
      const right = text.charCodeAt(from + cs[pos]!);
      pos += slen[j]!;
      if (!wc.joins(left, right)) {
        starts[parts++] = start;
        longest = Math.max(longest, j - start);
        start = j;
      }
      left = right;
    }
    starts[parts++] = start;
    longest = Math.max(longest, n - start);
    if (parts === 1 || longest > SIMPLE_MAX_SYMBOLS)
      return n <= SIMPLE_MAX_SYMBOLS ? this.mergeSimple(n) : this.mergeTree(n);
    let w = 0;
    for (let p = 0; p < parts; p++) {
      const s = starts[p]!;
      const len = (p + 1 < parts ? starts[p + 1]! : n) - s;
      if (w !== s) {
        for (let i = 0; i < len; i++) {
          sid[w + i] = sid[s + i]!;
          slen[w + i] = slen[s + i]!;
        }
      }
      w += len > 1 ? this.mergeSimpleAt(w, len) : 1;
    }
    return w;
  }

  /**
   * Rust's `Word::merge_all` for longer words. Rust pops (rank, position) from a priority queue and
   * skips stale entries; here a min-tree over pair positions holds each live pair's current
   * (rank, position) key, so the root is the pair Rust would merge next (a stale entry never
   * matches: a pair's merged token would have to be a different, longer string). Merging updates
   * three leaves in O(log n) each, and dead symbols are unlinked from a linked list.
   */
  private mergeTree(n: number): number {
    const { sid, slen, mid, prev, next } = this;
    const mt = this.merges;
    let p = 1;
    while (p < n) p *= 2;
    if (this.tree.length < 2 * p) this.tree = new Float64Array(2 * p);
    const t = this.tree;
    for (let i = 0; i < n; i++) {
      prev[i] = i - 1;
      next[i] = i + 1 < n ? i + 1 : -1;
    }
    for (let i = 0; i + 1 < n; i++) {
      const r = mt.lookup(sid[i]!, sid[i + 1]!);
      mid[i] = mt.merged;
      t[p + i] = r < 0 ? Infinity : r * p + i;
    }
    for (let i = Math.max(0, n - 1); i < p; i++) t[p + i] = Infinity;
    for (let j = p - 1; j >= 1; j--) t[j] = Math.min(t[2 * j]!, t[2 * j + 1]!);
    for (;;) {
      const top = t[1]!;
      if (top === Infinity) break;
      const pos = top - Math.floor(top / p) * p;
      const right = next[pos]!;
      const id = mid[pos]!;
      sid[pos] = id;
      slen[pos] = slen[pos]! + slen[right]!;
      slen[right] = 0;
      const after = next[right]!;
      next[pos] = after;
      treeSet(t, p, right, Infinity);
      if (after >= 0) {
        prev[after] = pos;
        const r = mt.lookup(id, sid[after]!);
        mid[pos] = mt.merged;
        treeSet(t, p, pos, r < 0 ? Infinity : r * p + pos);
      } else treeSet(t, p, pos, Infinity);
      const before = prev[pos]!;
      if (before >= 0) {
        const r = mt.lookup(sid[before]!, id);
        mid[before] = mt.merged;
        treeSet(t, p, before, r < 0 ? Infinity : r * p + before);
      }
    }
    let m = 0;
    for (let i = 0; i < n; i++) {
      if (slen[i] === 0) continue;
      sid[m] = sid[i]!;
      slen[m] = slen[i]!;
      m++;
    }
    return m;
  }

  /** Vocabulary and merge tables for a `new BpeModel(m, byteLevel, shared)` on another thread (no copy of the big arrays). */
  share(): SharedBpeModel {
    const merges = this.merges.share();
    return { vocab: this.vocab.share(), merges, wholeChars: this.wholeChars?.share() };
  }

  /** The vocabulary and merge tables as they are, for a cache file (see table-cache.ts). */
  tables(): SharedBpeModel {
    return { vocab: this.vocab.tables(), merges: this.merges.entries(), wholeChars: this.wholeChars?.tables() };
  }

  /** Token string per id (vocab only). */
  tokens(): string[] {
    return this.vocab.tokens();
  }
}

/** Set leaf `i` of the min-tree `t` (leaves at `p + i`) to `key` and update the minima above it. */
function treeSet(t: Float64Array, p: number, i: number, key: number): void {
  let j = p + i;
  t[j] = key;
  for (j >>= 1; j >= 1; j >>= 1) {
    const m = Math.min(t[2 * j]!, t[2 * j + 1]!);
    // Unchanged here means unchanged above.
    if (t[j] === m) break;
    t[j] = m;
  }
}

/** The merge table of a parsed `merges` list (tokenizer.json's "a b" strings or ["a", "b"] pairs). */
function mergeTableOf(merges: (string | [string, string])[], v: Vocab): MergeTable {
  const table = new MergeTable(merges.length);
  for (let rank = 0; rank < merges.length; rank++) {
    const mg = merges[rank]!;
    let ia: number;
    let ib: number;
    let im: number;
    if (typeof mg === 'string') {
      // Looked up in place: no substrings for 150k merges (see Vocab).
      const sp = mg.indexOf(' ');
      if (sp < 0 || mg.indexOf(' ', sp + 1) >= 0) throw new Error(`invalid merge ${JSON.stringify(mg)}`);
      ia = v.range(mg, 0, sp);
      ib = v.range(mg, sp + 1, mg.length);
      im = v.pair(mg, 0, sp, sp + 1, mg.length);
    } else {
      const [a, b] = mg;
      ia = v.get(a) ?? -1;
      ib = v.get(b) ?? -1;
      im = v.get(a + b) ?? -1;
    }
    if (ia < 0 || ib < 0 || im < 0) {
      throw new Error(`merge ${JSON.stringify(mg)} uses a token missing from the vocabulary`);
    }
    table.set(ia, ib, rank, im);
  }
  return table;
}
