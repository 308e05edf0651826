/**
 * Bounded cache of tokenized segments (text between added tokens): `[id, start, end]` triples with
 * offsets relative to the segment. Rust tokenizes each such segment independently of its
 * neighbours, so a repeated segment (system prompt, tool schema, role header) has the same tokens.
 *
 * Two generations approximate LRU without Map deletions (V8 leaves a hole per deleted entry, and
 * scanning past holes to find the oldest entry made a delete-based LRU quadratic): hits in the old
 * generation move to the young one; when the young one is full it becomes the old one.
 */
export class SegmentCache {
  private young = new Map<string, Int32Array>();
  private old = new Map<string, Int32Array>();
  private youngInts = 0;

  constructor(
    /** Upper bound on the triples' total size (Int32 entries), both generations together. */
    private readonly maxInts: number,
    /** Segments longer than this (UTF-16 units) are not cached. */
    readonly maxChars: number,
    /** Nor shorter ones: the word cache already makes them cheap, and they would churn the map. */
    readonly minChars = 64,
  ) {}

  get(key: string): Int32Array | undefined {
    const hit = this.young.get(key);
    if (hit !== undefined) return hit;
    const aged = this.old.get(key);
    if (aged !== undefined) this.set(key, aged);
    return aged;
  }

  set(key: string, value: Int32Array): void {
    const half = this.maxInts / 2;
    if (value.length > half / 4) return;
    if (this.youngInts + value.length > half) {
      this.old = this.young;
      this.young = new Map();
      this.youngInts = 0;
    }
    this.young.set(key, value);
    this.youngInts += value.length;
  }
}
