/** Invariants of packed rows: seq_lengths, position_ids and segment ids agree with each other and the row. */
import type { ListColumn } from '../dataset/read.js';

export interface PackedColumns {
  ids: ListColumn;
  /** attention_mask holding segment ids 1, 2, 3, … (only with --segment-ids). */
  seg: ListColumn | null;
  seq: ListColumn | null;
  pos: ListColumn | null;
}

/**
 * Errors for packed row `r` (empty when fine). Without seq_lengths (wrapped), boundaries are read off
 * position_ids (a restart at 0) or segment ids (a step by one), and the two must agree.
 */
export function checkPackedRow(r: number, where: string, c: PackedColumns): string[] {
  const n = c.ids.offsets[r + 1]! - c.ids.offsets[r]!;
  const errs: string[] = [];
  const slice = (col: ListColumn) => col.values.subarray(col.offsets[r]!, col.offsets[r + 1]!);
  let lengths: number[] | null = null;
  if (c.seq) {
    lengths = Array.from(slice(c.seq));
    const sum = lengths.reduce((a, b) => a + b, 0);
    if (sum !== n) errs.push(`${where}: seq_lengths sum to ${sum}, the row has ${n} tokens`);
    if (lengths.some((l) => l < 1)) errs.push(`${where}: seq_lengths has an entry below 1`);
    if (errs.length) return errs;
  }
  if (c.pos) {
    const pos = slice(c.pos);
    if (pos.length !== n) return [`${where}: position_ids has ${pos.length} values, the row has ${n} tokens`];
    const starts: number[] = [];
    for (let i = 0; i < n; i++) {
      if (pos[i] === 0) starts.push(i);
      else if (i === 0 || pos[i] !== pos[i - 1]! + 1) {
        errs.push(`${where}: position_ids[${i}] = ${pos[i]}, expected 0 or ${i === 0 ? 0 : pos[i - 1]! + 1}`);
        return errs;
      }
    }
    const fromPos = starts.map((s, k) => (k + 1 < starts.length ? starts[k + 1]! : n) - s);
    if (lengths && fromPos.join(',') !== lengths.join(','))
      errs.push(`${where}: position_ids restart at other places than seq_lengths say`);
    lengths ??= fromPos;
  }
  if (c.seg) {
    const seg = slice(c.seg);
    if (seg.length !== n) return [`${where}: attention_mask has ${seg.length} values, the row has ${n} tokens`];
    const fromSeg: number[] = [];
    for (let i = 0; i < n; i++) {
      const prev = i === 0 ? 0 : seg[i - 1]!;
      if (seg[i] === prev + 1) fromSeg.push(1);
      else if (seg[i] === prev && i > 0) fromSeg[fromSeg.length - 1]!++;
      else {
        errs.push(`${where}: attention_mask[${i}] = ${seg[i]}, expected segment id ${prev} or ${prev + 1}`);
        return errs;
      }
    }
    if (lengths && fromSeg.join(',') !== lengths.join(','))
      errs.push(`${where}: segment ids in attention_mask change at other places than the sequence boundaries`);
  }
  return errs;
}
