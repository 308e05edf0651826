import { toShared } from './shared-memory.js';

/** Slots of the lookup cache, minus one: 16k pairs, 256 KB, fits a core's L2 cache. */
const RECENT_MASK = 16383;

/**
 * BPE merges as an open-addressing hash table over id pairs: (left, right) → (rank, merged id).
 * One Int32Array holds the four fields of a slot side by side, so a lookup touches one cache line
 * (four parallel arrays cost up to four cache misses per lookup, and lookups are most of the merge
 * loop's time). Half a million merges fit in a few MB with lookups free of string work.
 */
export class MergeTable {
  private readonly mask: number;
  /** Per slot: left id (-1 when empty), right id, rank, merged id. */
  private table: Int32Array;
  /** Recently asked pairs: left, right, rank (-1: no merge), merged id; left -1 when empty. */
  private readonly recent = new Int32Array(4 * (RECENT_MASK + 1)).fill(-1);
  /** Merged id of the pair the last `lookup` found. */
  merged = -1;

  /** An empty table for about `capacityHint` merges, or the table another thread shared (`share`). */
  constructor(capacityHint: number | Int32Array) {
    if (typeof capacityHint !== 'number') {
      this.table = capacityHint;
      this.mask = capacityHint.length / 4 - 1;
      return;
    }
    let cap = 1024;
    while (cap < capacityHint * 2) cap *= 2;
    this.mask = cap - 1;
    this.table = new Int32Array(4 * cap).fill(-1);
  }

  private slot(a: number, b: number): number {
    return (Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 0x632be5ab, 0x85ebca77)) & this.mask;
  }

  /** The filled table for another thread's `new MergeTable(table)`, moved to shared memory. */
  share(): Int32Array {
    return (this.table = toShared(this.table));
  }

  /** Insert or overwrite: as in Rust's map built from the merges list, a repeated pair keeps its last rank. */
  set(a: number, b: number, rank: number, merged: number): void {
    const t = this.table;
    let i = this.slot(a, b);
    while (t[4 * i] !== -1 && !(t[4 * i] === a && t[4 * i + 1] === b)) i = (i + 1) & this.mask;
    t[4 * i] = a;
    t[4 * i + 1] = b;
    t[4 * i + 2] = rank;
    t[4 * i + 3] = merged;
  }

  /** Call `fn` for every merge, in no particular order. */
  forEach(fn: (left: number, right: number, rank: number, merged: number) => void): void {
    const t = this.table;
    for (let i = 0; i < t.length; i += 4) if (t[i] !== -1) fn(t[i]!, t[i + 1]!, t[i + 2]!, t[i + 3]!);
  }

  /**
   * Rank of the merge of `(a, b)`, or -1 if the pair has none; its merged id is then in
   * `merged`. Answers go through a small direct-mapped cache first: the table is megabytes and
   * each probe of it a cache miss, while the pairs a text asks about repeat (byte pairs of the same
   * script, common neighbours), and most of them have no merge.
   */
  lookup(a: number, b: number): number {
    const h = Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 0x632be5ab, 0x85ebca77);
    const c = this.recent;
    const ci = 4 * (h & RECENT_MASK);
    if (c[ci] === a && c[ci + 1] === b) {
      this.merged = c[ci + 3]!;
      return c[ci + 2]!;
    }
    const t = this.table;
    let i = h & this.mask;
    let rank = -1;
    let merged = -1;
    for (;;) {
      const l = t[4 * i]!;
      if (l === -1) break;
      if (l === a && t[4 * i + 1] === b) {
        rank = t[4 * i + 2]!;
        merged = t[4 * i + 3]!;
        break;
      }
      i = (i + 1) & this.mask;
    }
    c[ci] = a;
    c[ci + 1] = b;
    c[ci + 2] = rank;
    c[ci + 3] = merged;
    this.merged = merged;
    return rank;
  }
}
