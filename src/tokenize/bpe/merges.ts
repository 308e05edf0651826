import { toShared } from './shared-memory.js';

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

  /** Handle of the pair's merge for `rank` and `merged`, or -1. */
  find(a: number, b: number): number {
    const t = this.table;
    let i = this.slot(a, b);
    for (;;) {
      const l = t[4 * i]!;
      if (l === -1) return -1;
      if (l === a && t[4 * i + 1] === b) return 4 * i;
      i = (i + 1) & this.mask;
    }
  }

  /** Rank of the merge `find` returned. */
  rank(handle: number): number {
    return this.table[handle + 2]!;
  }

  /** Id the merge `find` returned produces. */
  merged(handle: number): number {
    return this.table[handle + 3]!;
  }
}
