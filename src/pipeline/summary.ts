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
  /** Written rows that truncation shortened, and the tokens it removed from them. */
  truncatedRows = 0;
  truncatedTokens = 0;
  /** Rows dropped because truncation cut away every trainable token. */
  emptiedByTruncation = 0;
  /** Roles seen in the rows (for the `rolesToTrain` check). */
  roles = new Set<string>();
  /** Raw input bytes read so far (compressed size for gzip), for progress. */
  bytesRead = 0;

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
    if (row.truncated) {
      this.truncatedRows++;
      this.truncatedTokens += row.truncated;
    }
    if (row.unmaskedTurnEnd !== undefined) {
      this.unmaskedTurnEnds.set(row.unmaskedTurnEnd, (this.unmaskedTurnEnds.get(row.unmaskedTurnEnd) ?? 0) + 1);
    }
  }

  rejected(r: RejectedRow): void {
    this.rowsIn++;
    this.rowsRejected++;
    this.byReason[r.reason] = (this.byReason[r.reason] ?? 0) + 1;
    if (r.truncatedTokens) this.emptiedByTruncation++;
  }

  /** The most frequent reject reason and its count, or undefined without rejects. */
  dominantReason(): [string, number] | undefined {
    return Object.entries(this.byReason).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0];
  }
}

export interface Summary {
  /** False when the run should exit 1: see `failure`. */
  ok: boolean;
  /** Why `ok` is false: 0 rows written, too many rejects (with the dominant reason), or strict. */
  failure?: string;
  chatshard_version: string;
  rows_in: number;
  rows_written: number;
  rows_rejected: number;
  rejected_by_reason: Record<string, number>;
  tokens: number;
  trainable_tokens: number;
  /**
   * Length of all written rows, padding included (sum of len(input_ids)); `tokens` counts real
   * tokens only (attention_mask 1), so padded_tokens - tokens is the padding added.
   */
  padded_tokens: number;
  /** What truncation did: rows shortened, tokens cut from them, rows it left without a trainable token. */
  truncation: { rows_truncated: number; tokens_cut: number; rows_emptied: number };
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
  /** Roles the rows this process read had (sorted; a resumed run: the rows after the resume point). */
  roles_seen: string[];
  /** Date strftime_now saw when the template calls it and no `now` was given (ISO). */
  strftime_now_date?: string;
  /** Kept input columns (`keepColumns`) and how each is written: string, int64, float64, bool or json (JSON text). */
  kept_columns?: Record<string, string>;
  /** With --packing: rows packed, bins, fill ratio, tokens dropped by bfd truncation, longest / shortest bin. */
  packing?: PackSummary;
  tokenizer: { source: string; sha256: string; engine: string };
  template: { name: string; sha256: string; mask_source: string };
  options: Record<string, unknown>;
  error?: string;
}
