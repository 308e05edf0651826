import type { ShapedRow, TokenRow } from '../types.js';

export type Side = 'left' | 'right';
export type Padding = 'do_not_pad' | 'longest' | 'max_length';

export interface ShapeOptions {
  /** Longest row kept; rows are truncated (or padded to it with `padding: max_length`). */
  maxLength?: number;
  /** Cut rows longer than maxLength (default true when maxLength is set). */
  truncation?: boolean;
  truncationSide?: Side;
  padding?: Padding;
  paddingSide?: Side;
  /** Required whenever padding adds tokens. */
  padTokenId?: number;
}

/** Label value ignored by the loss (PyTorch CrossEntropyLoss ignore_index). */
export const IGNORE_INDEX = -100;

/** Keep `maxLength` tokens from the chosen side. Returns [from, to) of the kept window. */
export function truncationWindow(length: number, opts: ShapeOptions): [number, number] {
  const max = opts.maxLength;
  if (max === undefined || opts.truncation === false || length <= max) return [0, length];
  return opts.truncationSide === 'left' ? [length - max, length] : [0, max];
}

/** Length every row of a batch is padded to, or undefined for no padding. */
export function padTarget(lengths: readonly number[], opts: ShapeOptions): number | undefined {
  if (opts.padding === 'max_length') {
    if (opts.maxLength === undefined) throw new Error('padding "max_length" needs --max-length');
    // Rows longer than maxLength (truncation off) stay longer, as in transformers.
    return opts.maxLength;
  }
  if (opts.padding === 'longest') return lengths.reduce((a, b) => Math.max(a, b), 0);
  return undefined;
}

/**
 * Pad one truncated row to `target` and derive attention_mask and labels. Padding positions get
 * the pad id, attention 0, assistant mask 0 and label -100, so no span ever leaks into padding.
 */
export function padRow(row: TokenRow, target: number | undefined, opts: ShapeOptions): ShapedRow {
  const n = row.inputIds.length;
  const len = target === undefined ? n : Math.max(target, n);
  const pad = len - n;
  if (pad > 0 && opts.padTokenId === undefined) {
    throw new Error(
      'Asking to pad but the tokenizer does not have a padding token. Set one with --pad-token TOKEN ' +
        '(e.g. the eos token), or use --padding do_not_pad.',
    );
  }
  const at = opts.paddingSide === 'left' ? pad : 0;
  const inputIds = new Int32Array(len);
  const attentionMask = new Uint8Array(len);
  const assistantMasks = new Uint8Array(len);
  const labels = new Int32Array(len).fill(IGNORE_INDEX);
  if (pad > 0) inputIds.fill(opts.padTokenId!);
  inputIds.set(row.inputIds, at);
  attentionMask.fill(1, at, at + n);
  assistantMasks.set(row.assistantMasks, at);
  for (let i = 0; i < n; i++) if (row.assistantMasks[i]) labels[at + i] = row.inputIds[i]!;
  return { ref: row.ref, index: row.index, inputIds, attentionMask, assistantMasks, labels };
}

/** Offsets of a padded row: padding tokens get the empty range (0, 0), as in the Rust tokenizers. */
export function padOffsets(offsets: Int32Array, target: number | undefined, side: Side | undefined): Int32Array {
  const n = offsets.length >> 1;
  const len = target === undefined ? n : Math.max(target, n);
  if (len === n) return offsets;
  const out = new Int32Array(2 * len);
  out.set(offsets, side === 'left' ? 2 * (len - n) : 0);
  return out;
}
