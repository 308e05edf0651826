/**
 * BPE merges as an open-addressing hash table over id pairs: (left, right) → (rank, merged id).
 * Typed arrays keep half a million merges in a few MB and lookups free of string work.
 */
export class MergeTable {
  private readonly mask: number;
  private readonly left: Int32Array;
  private readonly right: Int32Array;
  readonly rank: Int32Array;
  readonly merged: Int32Array;

  constructor(capacityHint: number) {
    let cap = 1024;
    while (cap < capacityHint * 2) cap *= 2;
    this.mask = cap - 1;
    this.left = new Int32Array(cap).fill(-1);
    this.right = new Int32Array(cap);
    this.rank = new Int32Array(cap);
    this.merged = new Int32Array(cap);
  }

  private slot(a: number, b: number): number {
    return (Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 0x632be5ab, 0x85ebca77)) & this.mask;
  }

  /** Insert or overwrite: as in Rust's map built from the merges list, a repeated pair keeps its last rank. */
  set(a: number, b: number, rank: number, merged: number): void {
    let i = this.slot(a, b);
    while (this.left[i] !== -1 && !(this.left[i] === a && this.right[i] === b)) i = (i + 1) & this.mask;
    this.left[i] = a;
    this.right[i] = b;
    this.rank[i] = rank;
    this.merged[i] = merged;
  }

  /** Slot of the pair, or -1. */
  find(a: number, b: number): number {
    let i = this.slot(a, b);
    for (;;) {
      const l = this.left[i]!;
      if (l === -1) return -1;
      if (l === a && this.right[i] === b) return i;
      i = (i + 1) & this.mask;
    }
  }
}
