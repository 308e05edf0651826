import { taggedSelectionProblem, type TrainOnEot } from '../mask/select.js';
import { usesTags } from '../mask/spans.js';
import type { MaskRule } from '../mask/rules.js';
import { normalizeRow } from '../normalize/index.js';
import { DEFAULTS, type MaskMode, type PipelineOptions } from '../pipeline/options.js';
import type { ProcessContext } from '../pipeline/process.js';
import { selectOptionsOf } from '../pipeline/render-row.js';
import { shapeConversations } from '../pipeline/stream.js';
import type { Padding, Side } from '../shape/index.js';
import type { Conversation } from '../types.js';
import { getChatTemplate } from './apply.js';
import type { ChatTokenizer } from './chat-tokenizer.js';
import type { Chat } from './options.js';

/** A conversation for the stream: a message list, or a row `{messages, tools?, documents?, chat_template_kwargs?}`. */
export type StreamItem = Chat | { messages: Chat; [key: string]: unknown };

/** Options of `streamTrainingRows`; the defaults are the CLI's (`chatshard run`). */
export interface StreamOptions {
  /** Template text or name (default: the tokenizer's, `tool_use` for rows with tools when it has one). */
  chat_template?: string;
  /** Template variables for every row (e.g. `{ enable_thinking: false }`). */
  template_kwargs?: Record<string, unknown>;
  add_generation_prompt?: boolean;
  /** Longest row kept (truncated beyond it, default: no limit). */
  max_length?: number;
  /** Default true: cut rows longer than `max_length`. */
  truncation?: boolean;
  /** Default the tokenizer's `truncation_side`. */
  truncation_side?: Side;
  /** `do_not_pad` (default), `longest` (within each batch of `batch_size`), `max_length`. */
  padding?: Padding;
  /** Default the tokenizer's `padding_side`. */
  padding_side?: Side;
  /** Rows per tokenizer batch and padding group (default 256). */
  batch_size?: number;
  /** Where spans come from: `{% generation %}` tags, inference from prefix renders, or `auto` (default). */
  masks?: MaskMode;
  /** `overlap` (default, chatshard's corrected rule) or `hf` (transformers' rule). */
  mask_rule?: MaskRule;
  /** Roles trained (default `['assistant']`). */
  roles_to_train?: string[];
  /** End-of-turn markers trained: `all`, `turn` (default), `last`, `none`. */
  train_on_eot?: TrainOnEot;
  last_turn_only?: boolean;
  /** Keep rows with no trainable token (default false: they are rejected as `empty_mask`). */
  keep_empty?: boolean;
  /**
   * Worker threads that render and, with the own (`js`) engine, tokenize batches (like `datasets.map(num_proc=)`);
   * default 0: everything on the calling thread. Rows and their order do not depend on it.
   */
  workers?: number;
  /**
   * Called for a row that cannot be used (template error, empty mask, ...); the row is skipped. Without it, the
   * first such row throws.
   */
  on_reject?: (reject: { index: number; reason: string; message: string }) => void;
}

/** One shaped training row; all arrays have the same length. `labels` are -100 outside the assistant mask. */
export interface TrainingRow {
  /** 0-based position of the conversation in the input stream. */
  index: number;
  input_ids: Int32Array;
  attention_mask: Uint8Array;
  assistant_masks: Uint8Array;
  labels: Int32Array;
}

/**
 * Conversations in (any iterable or async iterable, e.g. a file reader or a dataset stream), shaped rows out, in
 * order, with bounded look-ahead: the render → tokenize → mask → shape stages of `chatshard run` without files,
 * paths or shards. Use it inside a training loop.
 *
 * @param tok a loaded `ChatTokenizer` (its pad token and sides apply)
 * @param conversations message lists or `{messages, tools?, ...}` rows
 * @returns rows `{index, input_ids, attention_mask, assistant_masks, labels}` (typed arrays)
 * @example
 *   const tok = await ChatTokenizer.from_pretrained('./Qwen2.5-0.5B-Instruct');
 *   for await (const row of streamTrainingRows(tok, chats(), { max_length: 2048 })) {
 *     batch.push(row.input_ids, row.labels);
 *   }
 */
export async function* streamTrainingRows(
  tok: ChatTokenizer,
  conversations: AsyncIterable<StreamItem> | Iterable<StreamItem>,
  options: StreamOptions = {},
): AsyncGenerator<TrainingRow> {
  const ctx = tok.context();
  const source = getChatTemplate(ctx.templates, options.chat_template, undefined);
  const tools =
    options.chat_template === undefined && ctx.templates instanceof Map && ctx.templates.has('tool_use')
      ? ctx.templates.get('tool_use')!
      : undefined;
  const pipelineOptions: PipelineOptions = {
    ...DEFAULTS,
    input: [],
    output: '-',
    tokenizer: tok.tokenizer.source,
    templateKwargs: { ...options.template_kwargs },
    addGenerationPrompt: options.add_generation_prompt ?? DEFAULTS.addGenerationPrompt,
    maxLength: options.max_length,
    truncation: options.truncation ?? DEFAULTS.truncation,
    truncationSide: options.truncation_side ?? tok.truncation_side,
    padding: options.padding ?? DEFAULTS.padding,
    paddingSide: options.padding_side ?? tok.padding_side,
    padToken: tok.pad_token ?? undefined,
    batchSize: options.batch_size ?? 256,
    masks: options.masks ?? DEFAULTS.masks,
    maskRule: options.mask_rule ?? DEFAULTS.maskRule,
    rolesToTrain: options.roles_to_train ?? DEFAULTS.rolesToTrain,
    trainOnEot: options.train_on_eot ?? DEFAULTS.trainOnEot,
    lastTurnOnly: options.last_turn_only ?? DEFAULTS.lastTurnOnly,
    keepEmpty: options.keep_empty ?? DEFAULTS.keepEmpty,
  };
  const template = ctx.compile(source);
  const problem = usesTags(pipelineOptions.masks, template)
    ? taggedSelectionProblem(selectOptionsOf(pipelineOptions))
    : undefined;
  if (problem) throw new Error(problem);
  const process: ProcessContext = {
    // The special tokens (templates see them) follow the ChatTokenizer, e.g. a pad token set on it.
    tokenizer: { ...tok.tokenizer, specialTokens: tok.special_tokens_map },
    template,
    options: pipelineOptions,
  };
  if (tools !== undefined && tools !== source) process.toolTemplate = ctx.compile(tools);

  const reject = (r: { index: number; reason: string; message: string }) => {
    if (!options.on_reject) throw new Error(`conversation ${r.index}: ${r.reason}: ${r.message}`);
    options.on_reject({ index: r.index, reason: r.reason, message: r.message });
  };
  const convs = (async function* (): AsyncGenerator<Conversation> {
    let index = 0;
    for await (const item of conversations) {
      const value = Array.isArray(item) ? { messages: item } : item;
      const c = normalizeRow({ ref: { file: '<stream>', line: index + 1 }, index: index++, value });
      if (c.ok) yield c.row;
      else reject(c.reject);
    }
  })();
  const workers = options.workers ?? 0;
  if (!Number.isInteger(workers) || workers < 0)
    throw new Error(`workers must be a non-negative integer, got ${workers}`);
  for await (const out of shapeConversations(convs, process, workers)) {
    if (!out.ok) {
      reject(out.reject);
      continue;
    }
    const r = out.row;
    yield {
      index: r.index,
      input_ids: r.inputIds,
      attention_mask: r.attentionMask,
      assistant_masks: r.assistantMasks,
      labels: r.labels,
    };
  }
}
