/**
 * A packing plan: which pieces of which window rows go into which packed row (bin), in order.
 * Plans are computed from row lengths alone; `gather.ts` then copies the column values.
 */
export interface PackPlan {
  /** Per segment: window-local row number, first token taken from that row, and token count. */
  segRow: Int32Array;
  segStart: Int32Array;
  segLen: Int32Array;
  /** Segments of bin `b` are `binStart[b] .. binStart[b + 1]`; length is bins + 1. */
  binStart: Int32Array;
}

/** Number of bins (packed rows) of a plan. */
export const binCount = (p: PackPlan): number => p.binStart.length - 1;

/** Token count of bin `b`. */
export function binLength(p: PackPlan, b: number): number {
  let n = 0;
  for (let s = p.binStart[b]!; s < p.binStart[b + 1]!; s++) n += p.segLen[s]!;
  return n;
}

export function checkPackLength(maxLength: number): void {
  if (!Number.isInteger(maxLength) || maxLength < 1) {
    throw new RangeError(`packing needs a positive integer max length, got ${maxLength}`);
  }
}
