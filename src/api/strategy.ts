/**
 * transformers' `_get_padding_truncation_strategies` and the Rust padding/truncation it configures, for one
 * `tokenizer(text_or_texts, add_special_tokens=False, ...)` call as `apply_chat_template` makes it.
 */
import { PythonError, valueError } from './errors.js';

/** transformers' LARGE_INTEGER: model_max_length above it means "no limit". */
const LARGE_INTEGER = 1e20;

export type PaddingStrategy = 'longest' | 'max_length' | 'do_not_pad';
export type TruncationStrategy = 'only_first' | 'only_second' | 'longest_first' | 'do_not_truncate';

export interface Strategy {
  padding: PaddingStrategy;
  truncation: TruncationStrategy;
  maxLength: number | null;
  padToMultipleOf: number | null;
  paddingSide: 'left' | 'right';
}

export interface StrategyInput {
  padding: unknown;
  truncation: unknown;
  maxLength: unknown;
  padToMultipleOf: unknown;
  paddingSide: unknown;
  modelMaxLength: number;
  hasPadToken: boolean;
}

const PADDINGS: PaddingStrategy[] = ['longest', 'max_length', 'do_not_pad'];
const TRUNCATIONS: TruncationStrategy[] = ['only_first', 'only_second', 'longest_first', 'do_not_truncate'];

/** Python's str() of a JS value, for enum error messages. */
function pyStr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  return String(v);
}

function enumError(v: unknown, cls: string, values: readonly string[]): PythonError {
  return valueError(
    `${pyStr(v)} is not a valid ${cls}, please select one of [${values.map((x) => `'${x}'`).join(', ')}]`,
  );
}

/**
 * Resolve the strategies exactly as transformers does; `null` stands for Python's `None` (so
 * `truncation: null` with a `max_length` truncates, as the backward-compatible rule says).
 */
export function resolveStrategy(i: StrategyInput): Strategy {
  let truncation = i.truncation;
  const maxLengthIn = i.maxLength ?? null;
  if (maxLengthIn !== null && i.padding === false && truncation === null) truncation = 'longest_first';

  let padding: PaddingStrategy;
  if (i.padding !== false) {
    if (i.padding === true) padding = 'longest';
    else if (PADDINGS.includes(i.padding as PaddingStrategy)) padding = i.padding as PaddingStrategy;
    else throw enumError(i.padding, 'PaddingStrategy', PADDINGS);
  } else padding = 'do_not_pad';

  let trunc: TruncationStrategy;
  if (truncation !== false && truncation !== null) {
    if (truncation === true) trunc = 'longest_first';
    else if (TRUNCATIONS.includes(truncation as TruncationStrategy)) trunc = truncation as TruncationStrategy;
    else throw enumError(truncation, 'TruncationStrategy', TRUNCATIONS);
  } else trunc = 'do_not_truncate';

  let maxLength = maxLengthIn as number | null;
  if (maxLength === null) {
    if (padding === 'max_length') {
      if (i.modelMaxLength > LARGE_INTEGER) padding = 'do_not_pad';
      else maxLength = i.modelMaxLength;
    }
    if (trunc !== 'do_not_truncate') {
      if (i.modelMaxLength > LARGE_INTEGER) trunc = 'do_not_truncate';
      else maxLength = i.modelMaxLength;
    }
  }

  if (padding !== 'do_not_pad' && !i.hasPadToken) {
    throw valueError(
      'Asking to pad but the tokenizer does not have a padding token. ' +
        'Please select a token to use as `pad_token` `(tokenizer.pad_token = tokenizer.eos_token e.g.)` ' +
        "or add a new pad token via `tokenizer.add_special_tokens({'pad_token': '[PAD]'})`.",
    );
  }
  const multiple = (i.padToMultipleOf ?? null) as number | null;
  if (
    trunc !== 'do_not_truncate' &&
    padding !== 'do_not_pad' &&
    multiple !== null &&
    maxLength !== null &&
    maxLength % multiple !== 0
  ) {
    throw valueError(
      'Truncation and padding are both activated but ' +
        `truncation length (${maxLength}) is not a multiple of pad_to_multiple_of (${multiple}).`,
    );
  }
  if (maxLength !== null && (trunc !== 'do_not_truncate' || padding === 'max_length') && maxLength < 0) {
    throw new PythonError('OverflowError', "can't convert negative int to unsigned");
  }
  const side = i.paddingSide;
  if (padding !== 'do_not_pad' && side !== 'left' && side !== 'right') {
    throw valueError(`Unknown \`direction\`: \`${pyStr(side)}\`. Use one of \`left\` or \`right\``);
  }
  // Raised by the Rust encode itself, after the settings above were applied.
  if (trunc === 'only_second') throw new PythonError('Exception', 'Truncation error: Second sequence not provided');
  return { padding, truncation: trunc, maxLength, padToMultipleOf: multiple, paddingSide: side as 'left' | 'right' };
}

/** Tokens kept of a row of `length`: [from, to) (Rust `Encoding::truncate`, stride 0). */
export function keptWindow(length: number, s: Strategy, truncationSide: 'left' | 'right'): [number, number] {
  if (s.truncation === 'do_not_truncate' || s.maxLength === null || length <= s.maxLength) return [0, length];
  return truncationSide === 'left' ? [length - s.maxLength, length] : [0, s.maxLength];
}

/** Length every row is padded to (Rust `pad_encodings`), or undefined for no padding. */
export function padLength(lengths: readonly number[], s: Strategy): number | undefined {
  if (s.padding === 'do_not_pad') return undefined;
  let n = s.padding === 'max_length' ? s.maxLength! : lengths.reduce((a, b) => Math.max(a, b), 0);
  const m = s.padToMultipleOf;
  if (m !== null && m > 0 && n % m > 0) n += m - (n % m);
  return n;
}
