/**
 * Best Fit Decreasing packing of one window, with the exact semantics of TRL 1.13
 * `pack_dataset(strategy="bfd" | "bfd_split")`:
 * - empty rows are dropped;
 * - `truncate` keeps the first `L` tokens of a longer row, `split` cuts it into `L`-token
 *   fragments (the last one shorter);
 * - sequences are taken longest first, ties in window order (stable sort);
 * - each goes into the bin with the least free space that still fits it, or a new bin; among bins
 *   with equal free space, the one that reached that free space first wins;
 * - bins are emitted in creation order, their sequences in insertion order.
 */
import { SpaceTree } from './best-fit.js';
import { checkPackLength, type PackPlan } from './plan.js';

export type Overflow = 'truncate' | 'split';

/** Sequences (pieces of rows) before binning, in window order. */
function fragments(lengths: ArrayLike<number>, L: number, overflow: Overflow) {
  let count = 0;
  for (let r = 0; r < lengths.length; r++) {
    const n = lengths[r]!;
    if (n > 0) count += overflow === 'split' ? Math.ceil(n / L) : 1;
  }
  const row = new Int32Array(count);
  const start = new Int32Array(count);
  const len = new Int32Array(count);
  let f = 0;
  for (let r = 0; r < lengths.length; r++) {
    const n = lengths[r]!;
    if (n <= 0) continue;
    if (overflow === 'truncate') {
      row[f] = r;
      len[f++] = Math.min(n, L);
      continue;
    }
    for (let at = 0; at < n; at += L) {
      row[f] = r;
      start[f] = at;
      len[f++] = Math.min(L, n - at);
    }
  }
  return { row, start, len };
}

/** Fragment ids sorted by length descending, ties kept in order (counting sort: lengths are 1..L). */
function longestFirst(len: Int32Array, L: number): Int32Array {
  const bucketEnd = new Int32Array(L + 2);
  for (let i = 0; i < len.length; i++) bucketEnd[L - len[i]! + 1]!++;
  for (let k = 1; k <= L + 1; k++) bucketEnd[k]! += bucketEnd[k - 1]!;
  const order = new Int32Array(len.length);
  for (let i = 0; i < len.length; i++) order[bucketEnd[L - len[i]!]!++] = i;
  return order;
}

/**
 * Plan the BFD packing of one window from its row lengths.
 * @example
 * planBfd([5, 2, 3, 1], 4, 'truncate') // bins: [row0 0..4], [row2, row3], [row1]  (TRL's docstring example)
 */
export function planBfd(lengths: ArrayLike<number>, L: number, overflow: Overflow = 'truncate'): PackPlan {
  checkPackLength(L);
  const frag = fragments(lengths, L, overflow);
  const n = frag.len.length;
  const order = longestFirst(frag.len, L);

  // Bins waiting at each free space, FIFO, as an intrusive list: a bin is in exactly one queue.
  const head = new Int32Array(L + 1).fill(-1);
  const tail = new Int32Array(L + 1).fill(-1);
  const next = new Int32Array(n);
  const binOf = new Int32Array(n);
  const binSize = new Int32Array(n + 1);
  let bins = 0;
  const tree = new SpaceTree(L);
  tree.add(L); // a fresh bin is always available

  for (let k = 0; k < n; k++) {
    const f = order[k]!;
    const need = frag.len[f]!;
    const space = tree.smallestAtLeast(need);
    let bin: number;
    if (space < L) {
      bin = head[space]!;
      head[space] = next[bin]!;
      if (head[space] === -1) {
        tail[space] = -1;
        tree.remove(space);
      }
    } else {
      bin = bins++;
    }
    binOf[f] = bin;
    binSize[bin]!++;
    const left = space - need;
    next[bin] = -1;
    if (tail[left] === -1) head[left] = bin;
    else next[tail[left]!] = bin;
    tail[left] = bin;
    if (left > 0) tree.add(left);
  }

  // Group fragments by bin, keeping insertion (= sorted) order within each bin.
  const binStart = new Int32Array(bins + 1);
  for (let b = 0; b < bins; b++) binStart[b + 1] = binStart[b]! + binSize[b]!;
  const fill = binStart.slice(0, bins);
  const segRow = new Int32Array(n);
  const segStart = new Int32Array(n);
  const segLen = new Int32Array(n);
  for (let k = 0; k < n; k++) {
    const f = order[k]!;
    const at = fill[binOf[f]!]!++;
    segRow[at] = frag.row[f]!;
    segStart[at] = frag.start[f]!;
    segLen[at] = frag.len[f]!;
  }
  return { segRow, segStart, segLen, binStart };
}
