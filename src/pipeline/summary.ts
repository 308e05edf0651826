import type { PackSummary } from '../pack/index.js';
import type { RejectedRow, ShapedRow } from '../types.js';

/** Counters of one run; `rows_in = rows_written + rows_rejected` always holds. */
export class RunStats {
  rowsIn = 0;
  rowsWritten = 0;
  rowsRejected = 0;
  byReason: Record<string, number> = {};
  tokens = 0;
  trainableTokens = 0;
  paddedTokens = 0;
  /** Rows whose mask stops right before a special token, by that token id. */
  unmaskedTurnEnds = new Map<number, number>();

  written(row: ShapedRow): void {
    this.rowsIn++;
    this.rowsWritten++;
    let tokens = 0;
    let trained = 0;
    for (let i = 0; i < row.attentionMask.length; i++) {
      tokens += row.attentionMask[i]!;
      trained += row.assistantMasks[i]!;
    }
    this.tokens += tokens;
    this.trainableTokens += trained;
    this.paddedTokens += row.inputIds.length;
    if (row.unmaskedTurnEnd !== undefined) {
      this.unmaskedTurnEnds.set(row.unmaskedTurnEnd, (this.unmaskedTurnEnds.get(row.unmaskedTurnEnd) ?? 0) + 1);
    }
  }

  rejected(r: RejectedRow): void {
    this.rowsIn++;
    this.rowsRejected++;
    this.byReason[r.reason] = (this.byReason[r.reason] ?? 0) + 1;
  }
}

export interface Summary {
  ok: boolean;
  rows_in: number;
  rows_written: number;
  rows_rejected: number;
  rejected_by_reason: Record<string, number>;
  tokens: number;
  trainable_tokens: number;
  padded_tokens: number;
  seconds: number;
  tokens_per_second: number;
  /** Peak resident memory of the process (MB), worker threads included. */
  peak_rss_mb: number;
  /** Things a user should look at (e.g. masks that leave out the end-of-turn token). */
  warnings: string[];
  output: string;
  shards: number;
  fingerprint?: string;
  /** Rows (packed rows, with packing) taken over from an interrupted run. */
  resumed_rows?: number;
  /** With --packing: rows packed, bins, fill ratio, tokens dropped by bfd truncation, longest / shortest bin. */
  packing?: PackSummary;
  tokenizer: { source: string; sha256: string; engine: string };
  template: { name: string; sha256: string; mask_source: string };
  options: Record<string, unknown>;
  error?: string;
}
