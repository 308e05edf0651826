import type { MaskRule } from '../mask/rules.js';
import type { Message } from '../types.js';

/** One conversation: the list of messages, as in Python (`[{role, content}, ...]`). */
export type Chat = Message[];

/** `padding` as transformers accepts it. */
export type PaddingArg = boolean | 'longest' | 'max_length' | 'do_not_pad';
/** `truncation` as transformers accepts it for a single sequence. */
export type TruncationArg = boolean | 'longest_first' | 'only_first' | 'do_not_truncate';

/** Keyword arguments transformers forwards to the tokenizer call (`tokenizer_kwargs`). */
export interface TokenizerKwargs {
  padding_side?: 'left' | 'right';
  pad_to_multiple_of?: number | null;
  return_attention_mask?: boolean | null;
  return_token_type_ids?: boolean | null;
  return_length?: boolean;
  /** Python accepts and ignores other keys (including `truncation_side`: set `tok.truncation_side`). */
  [key: string]: unknown;
}

/**
 * Options of `apply_chat_template`, named and defaulted as in transformers 5.x. Keys not listed here reach
 * the template as variables (e.g. `enable_thinking: false`, `reasoning_effort: 'high'`).
 */
export interface ApplyChatTemplateOptions {
  tools?: Record<string, unknown>[] | null;
  documents?: Record<string, unknown>[] | null;
  /** Template text, or the name of one of the tokenizer's templates (`tool_use`, `rag`, ...). */
  chat_template?: string | null;
  add_generation_prompt?: boolean;
  /** `true` continues the final message's `content`; a string names the field to continue. */
  continue_final_message?: boolean | string;
  /** Default true; false returns the rendered text. */
  tokenize?: boolean;
  padding?: PaddingArg;
  truncation?: TruncationArg;
  max_length?: number | null;
  /** Only `null`/undefined: chatshard returns plain arrays (Python's `return_tensors=None`). */
  return_tensors?: null;
  /** Default true (transformers 5.x); false returns only the ids. */
  return_dict?: boolean;
  return_assistant_tokens_mask?: boolean;
  tokenizer_kwargs?: TokenizerKwargs | null;
  /**
   * How generation spans become `assistant_masks`: `'hf'` (default) is transformers' rule with its defects;
   * `'overlap'` is chatshard's corrected rule. Not a Python argument.
   */
  mask_rule?: MaskRule;
  /** Extra template variables. */
  [templateVariable: string]: unknown;
}

/** The dict transformers returns (`BatchEncoding` with `return_tensors=None`). */
export interface ChatEncoding<Row = number[]> {
  input_ids: Row;
  token_type_ids?: Row;
  attention_mask?: Row;
  length?: Row extends number[] ? number[] : number;
  assistant_masks?: Row;
}

/** Keys of ApplyChatTemplateOptions that are arguments, not template variables. */
export const ARGUMENT_KEYS = new Set([
  'tools',
  'documents',
  'chat_template',
  'add_generation_prompt',
  'continue_final_message',
  'tokenize',
  'padding',
  'truncation',
  'max_length',
  'return_tensors',
  'return_dict',
  'return_assistant_tokens_mask',
  'tokenizer_kwargs',
  'mask_rule',
]);
