/** Growable ids + flat offsets, written token by token. */
export class TokenSink {
  ids: Int32Array;
  offsets: Int32Array;
  length = 0;

  constructor(capacity: number) {
    this.ids = new Int32Array(Math.max(16, capacity));
    this.offsets = new Int32Array(2 * this.ids.length);
  }

  push(id: number, start: number, end: number): void {
    if (this.length === this.ids.length) this.grow();
    const n = this.length++;
    this.ids[n] = id;
    this.offsets[2 * n] = start;
    this.offsets[2 * n + 1] = end;
  }

  private grow(): void {
    const ids = new Int32Array(this.ids.length * 2);
    ids.set(this.ids);
    const offsets = new Int32Array(ids.length * 2);
    offsets.set(this.offsets);
    this.ids = ids;
    this.offsets = offsets;
  }

  /** Tokens from `mark` on as `[id, start - base, end - base]` triples. */
  triples(mark: number, base: number): Int32Array {
    const out = new Int32Array(3 * (this.length - mark));
    for (let i = mark, j = 0; i < this.length; i++, j += 3) {
      out[j] = this.ids[i]!;
      out[j + 1] = this.offsets[2 * i]! - base;
      out[j + 2] = this.offsets[2 * i + 1]! - base;
    }
    return out;
  }
}
