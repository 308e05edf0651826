import { MergeTable } from './merges.js';
import { BYTE_CHAR } from './byte-level.js';
import { Vocab, type SharedVocab } from './vocab.js';
import { mergesFromJson, vocabFromJson } from './model-json.js';
import { unparsedText, valueKind } from '../json-outline.js';

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
}

/** Words longer than this (UTF-16 units) skip the word cache and the quadratic merge loop. */
const CACHE_MAX_WORD = 256;
const SIMPLE_MAX_SYMBOLS = 48;
const WORD_CACHE_SIZE = 1 << 17;
/** Heap key: rank in the high part, symbol position in the low 27 bits (words < 134M bytes). */
const POS_SPAN = 2 ** 27;
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
  private readonly cache = new Map<string, Int32Array>();

  // Scratch buffers, grown on demand: per byte of the word, the UTF-16 range of its char;
  // per symbol, id and byte length.
  private cs = new Int32Array(1024);
  private ce = new Int32Array(1024);
  private sid = new Int32Array(1024);
  private slen = new Int32Array(1024);
  private rk = new Int32Array(1024);
  private slot = new Int32Array(1024);
  private prev = new Int32Array(1024);
  private next = new Int32Array(1024);
  // Merge queue: at most one entry per initial pair plus two per merge, so 3 per symbol.
  private hk = new Float64Array(3 * 1024);
  private hv = new Int32Array(3 * 1024);

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
    if (shared) {
      this.merges = new MergeTable(shared.merges);
      return;
    }
    const fromText = mergesText !== undefined ? mergesFromJson(mergesText, this.vocab) : undefined;
    if (fromText) {
      this.merges = fromText;
      return;
    }
    const merges = m.merges as (string | [string, string])[];
    this.merges = new MergeTable(merges.length);
    const v = this.vocab;
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
      this.merges.set(ia, ib, rank, im);
    }
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
    this.cs = new Int32Array(n);
    this.ce = new Int32Array(n);
    this.sid = new Int32Array(n);
    this.slen = new Int32Array(n);
    this.rk = new Int32Array(n);
    this.slot = new Int32Array(n);
    this.prev = new Int32Array(n);
    this.next = new Int32Array(n);
    this.hk = new Float64Array(3 * n);
    this.hv = new Int32Array(3 * n);
  }

  private compute(text: string, from: number, to: number): Int32Array {
    this.grow(4 * (to - from) + 4);
    const { cs, ce, sid, slen } = this;
    // UTF-8 bytes of the word, each tagged with its char's UTF-16 range (a token that ends or starts
    // inside a char spans the whole char, as Rust's alignments do).
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

    if (this.ignoreMerges) {
      const whole = this.vocab.get(byteLevel ? this.byteString(text, from, to) : text.slice(from, to));
      if (whole !== undefined) return Int32Array.of(whole, 0, to - from);
    }
    n = n <= SIMPLE_MAX_SYMBOLS ? this.mergeSimple(n) : this.mergeHeap(n);
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
   * Merge loop for short words: keep each adjacent pair's merge (its slot in the table, and its
   * rank), merge the lowest rank (leftmost on ties), re-rank the two new neighbours. Same order as
   * the priority queue of `mergeHeap`, with less bookkeeping while words are short.
   */
  private mergeSimple(n: number): number {
    const { sid, slen, rk, slot } = this;
    const mt = this.merges;
    for (let i = 0; i + 1 < n; i++) {
      const s = mt.find(sid[i]!, sid[i + 1]!);
      slot[i] = s;
      rk[i] = s < 0 ? NO_RANK : mt.rank(s);
    }
    while (n > 1) {
      let best = -1;
      let bestRank = NO_RANK;
      for (let i = 0; i + 1 < n; i++) {
        const r = rk[i]!;
        if (r < bestRank) {
          bestRank = r;
          best = i;
        }
      }
      if (best < 0) break;
      sid[best] = mt.merged(slot[best]!);
      slen[best] = slen[best]! + slen[best + 1]!;
      n--;
      sid.copyWithin(best + 1, best + 2, n + 1);
      slen.copyWithin(best + 1, best + 2, n + 1);
      rk.copyWithin(best + 1, best + 2, n);
      slot.copyWithin(best + 1, best + 2, n);
      if (best > 0) {
        const s = mt.find(sid[best - 1]!, sid[best]!);
        slot[best - 1] = s;
        rk[best - 1] = s < 0 ? NO_RANK : mt.rank(s);
      }
      if (best + 1 < n) {
        const s = mt.find(sid[best]!, sid[best + 1]!);
        slot[best] = s;
        rk[best] = s < 0 ? NO_RANK : mt.rank(s);
      }
    }
    return n;
  }

  /**
   * Rust's `Word::merge_all`: a priority queue of (rank, position) with lazy invalidation, over a
   * linked list of symbols. Keys pack the rank above the position so one number orders both.
   */
  private mergeHeap(n: number): number {
    const { sid, slen, prev, next, hk, hv } = this;
    const mt = this.merges;
    let size = 0;
    for (let i = 0; i < n; i++) {
      prev[i] = i - 1;
      next[i] = i + 1 < n ? i + 1 : -1;
    }
    for (let i = 0; i + 1 < n; i++) {
      const s = mt.find(sid[i]!, sid[i + 1]!);
      if (s >= 0) size = heapPush(hk, hv, size, mt.rank(s) * POS_SPAN + i, mt.merged(s));
    }
    while (size > 0) {
      const key = hk[0]!;
      const newId = hv[0]!;
      size = heapPop(hk, hv, size);
      const pos = key % POS_SPAN;
      if (slen[pos] === 0) continue;
      const right = next[pos]!;
      if (right < 0) continue;
      const s = mt.find(sid[pos]!, sid[right]!);
      if (s < 0 || mt.merged(s) !== newId) continue;
      sid[pos] = newId;
      slen[pos] = slen[pos]! + slen[right]!;
      slen[right] = 0;
      const after = next[right]!;
      next[pos] = after;
      if (after >= 0) prev[after] = pos;
      const before = prev[pos]!;
      if (before >= 0) {
        const t = mt.find(sid[before]!, newId);
        if (t >= 0) size = heapPush(hk, hv, size, mt.rank(t) * POS_SPAN + before, mt.merged(t));
      }
      if (after >= 0) {
        const t = mt.find(newId, sid[after]!);
        if (t >= 0) size = heapPush(hk, hv, size, mt.rank(t) * POS_SPAN + pos, mt.merged(t));
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
    return { vocab: this.vocab.share(), merges: this.merges.share() };
  }

  /** Token string per id (vocab only). */
  tokens(): string[] {
    return this.vocab.tokens();
  }
}

/** Push `(key, val)` on the binary min-heap `keys`/`vals` of `size` entries; returns the new size. */
function heapPush(keys: Float64Array, vals: Int32Array, size: number, key: number, val: number): number {
  let i = size;
  while (i > 0) {
    const p = (i - 1) >> 1;
    if (keys[p]! <= key) break;
    keys[i] = keys[p]!;
    vals[i] = vals[p]!;
    i = p;
  }
  keys[i] = key;
  vals[i] = val;
  return size + 1;
}

/** Remove the top of the heap; returns the new size. */
function heapPop(keys: Float64Array, vals: Int32Array, size: number): number {
  const last = size - 1;
  const key = keys[last]!;
  const val = vals[last]!;
  let i = 0;
  for (;;) {
    let c = 2 * i + 1;
    if (c >= last) break;
    if (c + 1 < last && keys[c + 1]! < keys[c]!) c++;
    if (keys[c]! >= key) break;
    keys[i] = keys[c]!;
    vals[i] = vals[c]!;
    i = c;
  }
  keys[i] = key;
  vals[i] = val;
  return last;
}
