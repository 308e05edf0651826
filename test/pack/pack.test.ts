import { describe, expect, it } from 'vitest';
import { SpaceTree } from '../../src/pack/best-fit.js';
import {
  PackStats,
  packStream,
  packWindow,
  planBfd,
  planWrapped,
  positionIds,
  segmentIds,
  type PackPlan,
} from '../../src/pack/index.js';
import type { ShapedRow } from '../../src/types.js';

function rows(lengths: number[], firstIndex = 0): ShapedRow[] {
  let g = 100;
  return lengths.map((n, i) => ({
    ref: { file: 'f', line: firstIndex + i + 1 },
    index: firstIndex + i,
    inputIds: Int32Array.from({ length: n }, () => g++),
    attentionMask: new Uint8Array(n).fill(1),
    assistantMasks: new Uint8Array(n),
    labels: new Int32Array(n).fill(-100),
  }));
}

/** Plan as [[row, start, len], ...] per bin. */
function bins(p: PackPlan): number[][][] {
  const out: number[][][] = [];
  for (let b = 0; b + 1 < p.binStart.length; b++) {
    const bin: number[][] = [];
    for (let s = p.binStart[b]!; s < p.binStart[b + 1]!; s++) bin.push([p.segRow[s]!, p.segStart[s]!, p.segLen[s]!]);
    out.push(bin);
  }
  return out;
}

async function* stream<T>(items: T[]): AsyncGenerator<T> {
  yield* items;
}

describe('SpaceTree', () => {
  it('finds the smallest space that fits, 0 when none', () => {
    const t = new SpaceTree(10);
    expect(t.smallestAtLeast(1)).toBe(0);
    t.add(10);
    t.add(3);
    t.add(7);
    expect(t.smallestAtLeast(1)).toBe(3);
    expect(t.smallestAtLeast(4)).toBe(7);
    expect(t.smallestAtLeast(8)).toBe(10);
    t.remove(7);
    expect(t.smallestAtLeast(4)).toBe(10);
    expect(() => t.add(11)).toThrow(RangeError);
  });
  it('works for a maximum of 1', () => {
    const t = new SpaceTree(1);
    t.add(1);
    expect(t.smallestAtLeast(1)).toBe(1);
  });
});

describe('planBfd / planWrapped', () => {
  it("TRL's docstring example (bfd and bfd_split)", () => {
    expect(bins(planBfd([5, 2, 3, 1], 4, 'truncate'))).toEqual([
      [[0, 0, 4]],
      [
        [2, 0, 3],
        [3, 0, 1],
      ],
      [[1, 0, 2]],
    ]);
    expect(bins(planBfd([5, 2, 3, 1], 4, 'split'))).toEqual([
      [[0, 0, 4]],
      [
        [2, 0, 3],
        [0, 4, 1],
      ],
      [
        [1, 0, 2],
        [3, 0, 1],
      ],
    ]);
  });
  it('best fit: the fullest bin that still fits; equal free space goes to the bin that got there first', () => {
    // L=10: 6 → A (4 free), 6 → B (4 free), 3 → A (first at 4 free; 1 left), 3 → B (1 left), 1 → A (first at 1).
    expect(bins(planBfd([6, 6, 3, 3, 1], 10))).toEqual([
      [
        [0, 0, 6],
        [2, 0, 3],
        [4, 0, 1],
      ],
      [
        [1, 0, 6],
        [3, 0, 3],
      ],
    ]);
    // Sorted 4, 3, 3, 2, 1, 1 with L=6: 3 fills B exactly, 2 fills A, the 1s open C.
    expect(bins(planBfd([4, 3, 3, 1, 1, 2], 6))).toEqual([
      [
        [0, 0, 4],
        [5, 0, 2],
      ],
      [
        [1, 0, 3],
        [2, 0, 3],
      ],
      [
        [3, 0, 1],
        [4, 0, 1],
      ],
    ]);
  });
  it('drops empty rows; L = 1 makes one bin per token', () => {
    expect(bins(planBfd([0, 2, 0], 1, 'split'))).toEqual([[[1, 0, 1]], [[1, 1, 1]]]);
    expect(bins(planBfd([0, 0], 4))).toEqual([]);
    expect(bins(planWrapped([0, 0], 4))).toEqual([]);
  });
  it('wrapped cuts the concatenation every L tokens', () => {
    expect(bins(planWrapped([3, 3, 3], 4))).toEqual([
      [
        [0, 0, 3],
        [1, 0, 1],
      ],
      [
        [1, 1, 2],
        [2, 0, 2],
      ],
      [[2, 2, 1]],
    ]);
    expect(bins(planWrapped([9], 4))).toEqual([[[0, 0, 4]], [[0, 4, 4]], [[0, 8, 1]]]);
  });
  it('rejects a bad length', () => {
    expect(() => planBfd([1], 0)).toThrow('positive integer max length, got 0');
  });
});

describe('boundaries', () => {
  it('position ids restart at every sequence; segment ids count sequences from 1', () => {
    expect(Array.from(positionIds([3, 1, 2]))).toEqual([0, 1, 2, 0, 0, 1]);
    expect(Array.from(segmentIds([3, 1, 2], [1, 1, 1, 1, 1, 0]))).toEqual([1, 1, 1, 2, 3, 0]);
  });
});

describe('packWindow / packStream', () => {
  it('packs every column alongside input_ids, adds the boundary columns, counts', () => {
    const stats = new PackStats();
    const input = rows([5, 2, 3, 1]);
    input[2]!.truncated = 7;
    const out = packWindow(input, { strategy: 'bfd', maxLength: 4, positionIds: true, segmentIds: true }, stats);
    expect(out.map((r) => Array.from(r.inputIds))).toEqual([
      [100, 101, 102, 103],
      [107, 108, 109, 110],
      [105, 106],
    ]);
    expect(out.map((r) => Array.from(r.packed!.seqLengths))).toEqual([[4], [3, 1], [2]]);
    expect(Array.from(out[1]!.packed!.positionIds!)).toEqual([0, 1, 2, 0]);
    expect(Array.from(out[1]!.packed!.segmentIds!)).toEqual([1, 1, 1, 2]);
    expect(out.map((r) => [r.index, r.ref.line, r.packed!.windowEnd])).toEqual([
      [3, 1, false],
      [3, 3, false],
      [3, 2, true],
    ]);
    expect(stats.summary('bfd', 4, 1000)).toEqual({
      strategy: 'bfd',
      max_length: 4,
      window: 1000,
      rows_packed: 4,
      sequences: 4,
      bins: 3,
      tokens: 10,
      fill_ratio: 0.833333,
      tokens_dropped: 8,
      longest_bin: 4,
      shortest_bin: 2,
    });
  });
  it('packs each window on its own, in order', async () => {
    const out: ShapedRow[] = [];
    for await (const r of packStream(stream(rows([3, 1, 3, 1, 2])), { strategy: 'bfd', maxLength: 4, window: 2 }))
      out.push(r);
    expect(out.map((r) => [Array.from(r.packed!.seqLengths), r.index, r.packed!.windowEnd])).toEqual([
      [[3, 1], 1, true],
      [[3, 1], 3, true],
      [[2], 4, true],
    ]);
  });
  it('wrapped rows do not write seq_lengths', () => {
    const out = packWindow(rows([3, 3]), { strategy: 'wrapped', maxLength: 4 });
    expect(out.map((r) => [Array.from(r.packed!.seqLengths), r.packed!.writeSeqLengths])).toEqual([
      [[3, 1], false],
      [[2], false],
    ]);
  });
});
