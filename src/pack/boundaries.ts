/**
 * Sequence boundaries of a packed row in the forms trainers read: position ids that restart at
 * every sequence (padding-free / flash-attention varlen, transformers DataCollatorWithFlattening)
 * and segment ids 1, 2, 3, … in the attention mask (Axolotl, LLaMA-Factory `neat_packing`).
 */

/**
 * @example positionIds(Int32Array.of(3, 2)) // → [0, 1, 2, 0, 1]
 */
export function positionIds(seqLengths: ArrayLike<number>): Int32Array {
  let total = 0;
  for (let i = 0; i < seqLengths.length; i++) total += seqLengths[i]!;
  const out = new Int32Array(total);
  let at = 0;
  for (let i = 0; i < seqLengths.length; i++) {
    const n = seqLengths[i]!;
    for (let p = 0; p < n; p++) out[at + p] = p;
    at += n;
  }
  return out;
}

/**
 * Segment id per token: sequence k (1-based) gets k; tokens the 0/1 attention mask leaves out stay 0.
 * @example segmentIds(Int32Array.of(3, 2), Uint8Array.of(1, 1, 1, 1, 0)) // → [1, 1, 1, 2, 0]
 */
export function segmentIds(seqLengths: ArrayLike<number>, attentionMask: ArrayLike<number>): Int32Array {
  const out = new Int32Array(attentionMask.length);
  let at = 0;
  for (let i = 0; i < seqLengths.length; i++) {
    const n = seqLengths[i]!;
    for (let p = at; p < at + n; p++) out[p] = attentionMask[p] ? i + 1 : 0;
    at += n;
  }
  return out;
}
