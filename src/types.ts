/**
 * Shared data shapes that flow between the pipeline stages:
 * read → normalize → render → tokenize → mask → shape → write.
 */

/** Where a row came from: file path (or `<stdin>`) and 1-based line number. */
export interface SourceRef {
  file: string;
  line: number;
}

/** A raw JSONL line after JSON parsing (stage `read`). */
export interface RawRow {
  ref: SourceRef;
  /** 0-based position of the row in the whole input stream (keeps output order). */
  index: number;
  /** Parsed JSON value, present when parsing succeeded. */
  value?: unknown;
  /** Parse / decode error, present when it failed. */
  error?: string;
}

/** One chat message as the template sees it (OpenAI shape; extra keys are kept). */
export interface Message {
  role: string;
  content?: unknown;
  [key: string]: unknown;
}

/** A conversation ready to render (stage `normalize`). */
export interface Conversation {
  ref: SourceRef;
  index: number;
  messages: Message[];
  tools?: unknown[];
  documents?: unknown[];
  /** Extra template variables for this row (e.g. `enable_thinking`). */
  chatTemplateKwargs?: Record<string, unknown>;
  /** Per-row overrides of the run options. */
  addGenerationPrompt?: boolean;
  continueFinalMessage?: boolean | string;
}

/** Half-open `[start, end)` span in UTF-16 code units of a rendered string. */
export type Span = [number, number];

/** Output of the render stage. */
export interface RenderedRow {
  ref: SourceRef;
  index: number;
  text: string;
  /** Spans of assistant output to train on, UTF-16 indices into `text`, sorted, non-overlapping. */
  spans: Span[];
  /** The conversation it came from (kept for mask inference and reporting). */
  conversation: Conversation;
}

/**
 * Random access to token character ranges (UTF-16). Masking only needs the tokens at span
 * boundaries, so an engine that can answer "which token holds char c" natively (the Rust binding)
 * need not materialize every token's offsets, which would otherwise dominate the row cost.
 */
export interface TokenLocator {
  readonly length: number;
  /** First token whose [start, end) contains `pos` (Rust `Encoding::char_to_token`), or -1. */
  tokenAt(pos: number): number;
  start(i: number): number;
  end(i: number): number;
}

/** Output of tokenization: ids and per-token [start, end) offsets in UTF-16 units of the text. */
export interface Encoding {
  ids: Int32Array;
  /** Flat pairs: offsets[2*i] = start, offsets[2*i+1] = end of token i (may be computed lazily). */
  readonly offsets: Int32Array;
  /** Cheap boundary queries, when the engine has them; otherwise derived from `offsets`. */
  locator?: TokenLocator;
}

/** A fully masked row before padding/truncation. */
export interface TokenRow {
  ref: SourceRef;
  index: number;
  inputIds: Int32Array;
  assistantMasks: Uint8Array;
}

/**
 * One kept input value (`--keep-columns`) as written: a string (also the JSON text of a nested
 * value), a safe integer (int64 column), a number (float64), a boolean, or null when missing.
 */
export type KeptCell = string | number | boolean | null;

/** A shaped row ready to write (all arrays the same length). */
export interface ShapedRow {
  ref: SourceRef;
  index: number;
  inputIds: Int32Array;
  attentionMask: Uint8Array;
  assistantMasks: Uint8Array;
  labels: Int32Array;
  /** Set when the mask stops right before this special token (likely the end-of-turn marker). */
  unmaskedTurnEnd?: number;
  /** Tokens cut off by truncation (set when any were). */
  truncated?: number;
  /** Set on packed rows (stage pack). */
  packed?: PackedInfo;
  /** Kept input values, one per `--keep-columns` name, in that order. */
  kept?: KeptCell[];
}

/** Sequence boundaries of a packed row and the extra columns derived from them. */
export interface PackedInfo {
  /** Tokens of each sequence packed into the row (TRL's `seq_lengths`). */
  seqLengths: Int32Array;
  /** Write `seq_lengths` (TRL writes it for bfd / bfd_split, not for wrapped). */
  writeSeqLengths: boolean;
  /** `position_ids` restarting at 0 at every sequence, when asked for. */
  positionIds?: Int32Array;
  /** Segment ids 1, 2, 3, … per sequence, written as `attention_mask` when present. */
  segmentIds?: Int32Array;
  /** Last packed row of its window: shards end only here, so a resumed run restarts at a window start. */
  windowEnd: boolean;
}

/** A row that could not be processed; written to rejects.jsonl. */
export interface RejectedRow {
  ref: SourceRef;
  index: number;
  /** Short machine-readable reason, e.g. `invalid_json`, `template_error`. */
  reason: string;
  /** Human-readable detail. */
  message: string;
  /** Set on an `empty_mask` row when truncation cut its trainable tokens away (tokens cut). */
  truncatedTokens?: number;
  /** The row's kept input values by column name (`--keep-columns`), when the row could be parsed. */
  columns?: Record<string, KeptCell>;
}

/** Either a good row or a rejection, so the stream never loses a row. */
export type Outcome<T> = { ok: true; row: T } | { ok: false; reject: RejectedRow };
