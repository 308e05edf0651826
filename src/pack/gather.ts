/** Copy the column values of a window's rows into packed rows following a plan. */
import type { PackedInfo, ShapedRow } from '../types.js';
import { positionIds, segmentIds } from './boundaries.js';
import { binCount, type PackPlan } from './plan.js';

export interface GatherOptions {
  /** Record `seq_lengths` as a column (bfd strategies). */
  writeSeqLengths: boolean;
  positionIds?: boolean;
  segmentIds?: boolean;
}

type Column = 'inputIds' | 'attentionMask' | 'assistantMasks' | 'labels';

/** One column of all the window's packed rows, back to back (segments in plan order). */
function packColumn<T extends Int32Array | Uint8Array>(
  out: T,
  rows: readonly ShapedRow[],
  col: Column,
  plan: PackPlan,
): T {
  let at = 0;
  for (let s = 0; s < plan.segLen.length; s++) {
    const src = rows[plan.segRow[s]!]![col] as T;
    const start = plan.segStart[s]!;
    const len = plan.segLen[s]!;
    out.set(src.subarray(start, start + len), at);
    at += len;
  }
  return out;
}

/**
 * Packed rows of one window, in plan order. Every column is packed alongside `input_ids`; a
 * packed row takes the `ref` of its first sequence and the `index` given (the window's last row,
 * which is what a resumed run restarts after). The rows' arrays are views of one buffer per
 * column and window: a few allocations per window instead of four per packed row.
 */
export function gatherBins(rows: readonly ShapedRow[], plan: PackPlan, o: GatherOptions, index: number): ShapedRow[] {
  let total = 0;
  for (let s = 0; s < plan.segLen.length; s++) total += plan.segLen[s]!;
  const ids = packColumn(new Int32Array(total), rows, 'inputIds', plan);
  const att = packColumn(new Uint8Array(total), rows, 'attentionMask', plan);
  const asm = packColumn(new Uint8Array(total), rows, 'assistantMasks', plan);
  const lab = packColumn(new Int32Array(total), rows, 'labels', plan);
  const bins = binCount(plan);
  const out: ShapedRow[] = [];
  let from = 0;
  for (let b = 0; b < bins; b++) {
    const seqLengths = plan.segLen.slice(plan.binStart[b]!, plan.binStart[b + 1]!);
    let n = 0;
    for (let i = 0; i < seqLengths.length; i++) n += seqLengths[i]!;
    const to = from + n;
    const attentionMask = att.subarray(from, to);
    const packed: PackedInfo = { seqLengths, writeSeqLengths: o.writeSeqLengths, windowEnd: b === bins - 1 };
    if (o.positionIds) packed.positionIds = positionIds(seqLengths);
    if (o.segmentIds) packed.segmentIds = segmentIds(seqLengths, attentionMask);
    out.push({
      ref: rows[plan.segRow[plan.binStart[b]!]!]!.ref,
      index,
      inputIds: ids.subarray(from, to),
      attentionMask,
      assistantMasks: asm.subarray(from, to),
      labels: lab.subarray(from, to),
      packed,
    });
    from = to;
  }
  return out;
}
