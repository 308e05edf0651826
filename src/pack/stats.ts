/** Packing figures for the run summary. */

export interface PackSummary {
  strategy: string;
  max_length: number;
  window: number;
  /** Input rows that went into the packed rows. */
  rows_packed: number;
  /** Sequences placed (rows, or row fragments with bfd_split / wrapped). */
  sequences: number;
  /** Packed rows written. */
  bins: number;
  tokens: number;
  /** tokens / (bins × max_length). */
  fill_ratio: number;
  /** Tokens cut off by bfd truncation. */
  tokens_dropped: number;
  longest_bin: number;
  shortest_bin: number;
}

export class PackStats {
  rows = 0;
  sequences = 0;
  bins = 0;
  tokens = 0;
  dropped = 0;
  longest = 0;
  shortest = Infinity;

  addBin(length: number, sequences: number): void {
    this.bins++;
    this.tokens += length;
    this.sequences += sequences;
    if (length > this.longest) this.longest = length;
    if (length < this.shortest) this.shortest = length;
  }

  summary(strategy: string, maxLength: number, window: number): PackSummary {
    const fill = this.bins === 0 ? 0 : this.tokens / (this.bins * maxLength);
    return {
      strategy,
      max_length: maxLength,
      window,
      rows_packed: this.rows,
      sequences: this.sequences,
      bins: this.bins,
      tokens: this.tokens,
      fill_ratio: Math.round(fill * 1e6) / 1e6,
      tokens_dropped: this.dropped,
      longest_bin: this.longest,
      shortest_bin: this.bins === 0 ? 0 : this.shortest,
    };
  }
}
