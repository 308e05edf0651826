/**
 * Which remaining bin spaces exist, answering "smallest space ≥ n" in O(log L).
 * A max-tree over the space values 1..L (the structure the Best-Fit-Decreasing packer of
 * "Fewer Truncations Improve Language Modeling" uses): leaf `s` holds `s` while some bin has
 * exactly `s` tokens free, else 0.
 */
export class SpaceTree {
  private readonly size: number;
  private readonly tree: Int32Array;

  constructor(readonly maxSpace: number) {
    if (!Number.isInteger(maxSpace) || maxSpace < 1) throw new RangeError(`SpaceTree: bad max space ${maxSpace}`);
    let size = 1;
    while (size < maxSpace) size <<= 1;
    this.size = size;
    this.tree = new Int32Array(2 * size);
  }

  add(space: number): void {
    this.set(space, space);
  }

  remove(space: number): void {
    this.set(space, 0);
  }

  /**
   * The smallest present space ≥ `need`, or 0 when none is.
   * @example const t = new SpaceTree(8); t.add(8); t.add(3); t.smallestAtLeast(2) // → 3
   */
  smallestAtLeast(need: number): number {
    const t = this.tree;
    if (t[1]! < need) return 0;
    let i = 1;
    // Descend to the leftmost leaf whose value reaches `need`; leaf values grow left to right.
    while (i < this.size) i = t[2 * i]! >= need ? 2 * i : 2 * i + 1;
    return t[i]!;
  }

  private set(space: number, value: number): void {
    if (!(space >= 1 && space <= this.maxSpace)) throw new RangeError(`SpaceTree: space ${space} out of range`);
    const t = this.tree;
    let i = this.size + space - 1;
    t[i] = value;
    for (i >>= 1; i >= 1; i >>= 1) {
      const l = t[2 * i]!;
      const r = t[2 * i + 1]!;
      t[i] = l >= r ? l : r;
    }
  }
}
