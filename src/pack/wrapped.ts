/**
 * "wrapped" packing of one window, as TRL 1.13 `pack_dataset(strategy="wrapped")` means it: the
 * window's rows are concatenated and cut every `L` tokens (the last packed row may be shorter).
 * Sequence boundaries are ignored; the plan still records which row each piece came from, so
 * position ids / segment ids can restart at row starts (and at every cut).
 */
import { checkPackLength, type PackPlan } from './plan.js';

/**
 * @example planWrapped([3, 3, 3], 4) // bins: [row0 0..3, row1 0..1], [row1 1..3, row2 0..2], [row2 2..3]
 */
export function planWrapped(lengths: ArrayLike<number>, L: number): PackPlan {
  checkPackLength(L);
  let total = 0;
  let pieces = 0;
  for (let r = 0; r < lengths.length; r++) {
    const n = lengths[r]!;
    if (n <= 0) continue;
    // Cuts inside this row: multiples of L strictly between total and total + n.
    pieces += 1 + Math.floor((total + n - 1) / L) - Math.floor(total / L);
    total += n;
  }
  const bins = Math.ceil(total / L);
  const segRow = new Int32Array(pieces);
  const segStart = new Int32Array(pieces);
  const segLen = new Int32Array(pieces);
  const binStart = new Int32Array(bins + 1);
  let s = 0;
  let pos = 0; // position in the concatenation
  for (let r = 0; r < lengths.length; r++) {
    const n = lengths[r]!;
    let at = 0;
    while (at < n) {
      const room = L - (pos % L);
      const take = Math.min(room, n - at);
      segRow[s] = r;
      segStart[s] = at;
      segLen[s++] = take;
      at += take;
      pos += take;
      if (pos % L === 0) binStart[pos / L] = s;
    }
  }
  binStart[bins] = s;
  return { segRow, segStart, segLen, binStart };
}
