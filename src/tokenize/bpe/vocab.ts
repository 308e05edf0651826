import { toShared } from './shared-memory.js';

/**
 * A BPE vocabulary (token string → id) as an open-addressing hash table over UTF-16 code units.
 * Unlike a `Map<string, number>` it looks up a range of a larger string, or two ranges as if
 * concatenated, without creating the substring: building the merge table from 150k `"a b"` merge
 * strings then costs no slicing, concatenation or string hashing, which made loading a tokenizer
 * take most of a second.
 *
 * @example
 * const v = new Vocab({ a: 0, b: 1, ab: 2 });
 * v.get('ab'); // 2
 * v.range('xab', 1, 3); // 2
 * v.pair('a b', 0, 1, 2, 3); // 2 ("a" + "b")
 */
export class Vocab {
  /** Token strings in the vocabulary object's key order. */
  private readonly keys: string[];
  /** Id of `keys[k]`. */
  private ids: Int32Array;
  /** Hash slots holding key indexes, -1 when empty. */
  private slots: Int32Array;
  private readonly mask: number;

  constructor(vocab: Record<string, number> | SharedVocab) {
    if (isShared(vocab)) {
      ({ keys: this.keys, ids: this.ids, slots: this.slots, mask: this.mask } = vocab);
      return;
    }
    this.keys = Object.keys(vocab);
    const n = this.keys.length;
    this.ids = new Int32Array(n);
    let cap = 16;
    while (cap < n * 2) cap *= 2;
    this.mask = cap - 1;
    this.slots = new Int32Array(cap).fill(-1);
    for (let k = 0; k < n; k++) {
      const key = this.keys[k]!;
      const id = vocab[key]!;
      if (!Number.isInteger(id) || id < 0)
        throw new Error(`vocabulary id of ${JSON.stringify(key)} is not a non-negative integer`);
      this.ids[k] = id;
      // Keys of a JSON object are distinct: no need to look for an existing entry.
      let i = hashRange(key, 0, key.length, 0, 0) & this.mask;
      while (this.slots[i] !== -1) i = (i + 1) & this.mask;
      this.slots[i] = k;
    }
  }

  /**
   * The vocabulary of parallel keys and ids, as read from a vocabulary object's JSON text
   * (bpe/model-json.ts): a repeated key keeps its first position and takes its last id, as with
   * `JSON.parse`. Ids must be non-negative integers. Takes ownership of both arrays.
   */
  static fromEntries(keys: string[], ids: Int32Array): Vocab {
    const n = keys.length;
    let cap = 16;
    while (cap < n * 2) cap *= 2;
    const mask = cap - 1;
    const slots = new Int32Array(cap).fill(-1);
    let kept = 0;
    for (let k = 0; k < n; k++) {
      const key = keys[k]!;
      let i = hashRange(key, 0, key.length, 0, 0) & mask;
      for (;;) {
        const at = slots[i]!;
        if (at === -1) {
          slots[i] = kept;
          keys[kept] = key;
          ids[kept] = ids[k]!;
          kept++;
          break;
        }
        if (keys[at] === key) {
          ids[at] = ids[k]!;
          break;
        }
        i = (i + 1) & mask;
      }
    }
    keys.length = kept;
    return new Vocab({ shared: true, keys, ids: kept === n ? ids : ids.slice(0, kept), slots, mask });
  }

  /**
   * The tables for another thread's `new Vocab(shared)`: the id and slot arrays move to shared
   * memory (this vocabulary uses them from there too), the key strings are copied when posted.
   */
  share(): SharedVocab {
    this.ids = toShared(this.ids);
    this.slots = toShared(this.slots);
    return this.tables();
  }

  /** The tables as they are (for `new Vocab(tables)` from a cache file, see table-cache.ts). */
  tables(): SharedVocab {
    return { shared: true, keys: this.keys, ids: this.ids, slots: this.slots, mask: this.mask };
  }

  /** Number of token strings. */
  get size(): number {
    return this.keys.length;
  }

  /** Id of `token`, or undefined. */
  get(token: string): number | undefined {
    const id = this.pair(token, 0, token.length, 0, 0);
    return id < 0 ? undefined : id;
  }

  /** Id of `s[from, to)`, or -1. */
  range(s: string, from: number, to: number): number {
    return this.pair(s, from, to, 0, 0);
  }

  /** Id of `s[a0, a1) + s[b0, b1)`, or -1. */
  pair(s: string, a0: number, a1: number, b0: number, b1: number): number {
    const len = a1 - a0 + (b1 - b0);
    let i = hashRange(s, a0, a1, b0, b1) & this.mask;
    for (;;) {
      const k = this.slots[i]!;
      if (k === -1) return -1;
      const key = this.keys[k]!;
      if (key.length === len && sameUnits(key, s, a0, a1, b0, b1)) return this.ids[k]!;
      i = (i + 1) & this.mask;
    }
  }

  /**
   * Ids of a merge's tokens `s[a0, a1)`, `s[b0, b1)` and their concatenation into `out[0..2]` (-1
   * when absent), hashing each range once: what building a merge table does 150k times.
   */
  mergeIds(s: string, a0: number, a1: number, b0: number, b1: number, out: Int32Array): void {
    let ha = 0x811c9dc5;
    for (let i = a0; i < a1; i++) ha = Math.imul(ha ^ s.charCodeAt(i), 0x01000193);
    let hb = 0x811c9dc5;
    let hab = ha;
    for (let i = b0; i < b1; i++) {
      const c = s.charCodeAt(i);
      hb = Math.imul(hb ^ c, 0x01000193);
      hab = Math.imul(hab ^ c, 0x01000193);
    }
    out[0] = this.probe(mix(ha), s, a0, a1, 0, 0);
    out[1] = this.probe(mix(hb), s, b0, b1, 0, 0);
    out[2] = this.probe(mix(hab), s, a0, a1, b0, b1);
  }

  /** Id of `s[a0, a1) + s[b0, b1)` whose hash is `h`, or -1. */
  private probe(h: number, s: string, a0: number, a1: number, b0: number, b1: number): number {
    const len = a1 - a0 + (b1 - b0);
    for (let i = h & this.mask; ; i = (i + 1) & this.mask) {
      const k = this.slots[i]!;
      if (k === -1) return -1;
      const key = this.keys[k]!;
      if (key.length === len && sameUnits(key, s, a0, a1, b0, b1)) return this.ids[k]!;
    }
  }

  /** Token string per id (the last key wins when two keys share an id, as when iterating a Map). */
  tokens(): string[] {
    const out: string[] = [];
    for (let k = 0; k < this.keys.length; k++) out[this.ids[k]!] = this.keys[k]!;
    return out;
  }
}

/** FNV-1a over the code units of `s[a0, a1)` then `s[b0, b1)`, with a final mix. */
function hashRange(s: string, a0: number, a1: number, b0: number, b1: number): number {
  let h = 0x811c9dc5;
  for (let i = a0; i < a1; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  for (let i = b0; i < b1; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return mix(h);
}

/** hashRange's final mix of an FNV-1a state. */
function mix(h: number): number {
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  return h ^ (h >>> 13);
}

/** Whether `key` equals `s[a0, a1) + s[b0, b1)` (lengths already equal). */
function sameUnits(key: string, s: string, a0: number, a1: number, b0: number, b1: number): boolean {
  let j = 0;
  for (let i = a0; i < a1; i++, j++) if (key.charCodeAt(j) !== s.charCodeAt(i)) return false;
  for (let i = b0; i < b1; i++, j++) if (key.charCodeAt(j) !== s.charCodeAt(i)) return false;
  return true;
}

/** A vocabulary's tables as `Vocab.share` hands them to another thread. */
export interface SharedVocab {
  shared: true;
  keys: string[];
  ids: Int32Array;
  slots: Int32Array;
  mask: number;
}

function isShared(v: Record<string, number> | SharedVocab): v is SharedVocab {
  return (v as SharedVocab).shared === true && Array.isArray((v as SharedVocab).keys);
}
