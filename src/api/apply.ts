/**
 * transformers 5.x `PreTrainedTokenizerBase.apply_chat_template` over chatshard's stages: render
 * (src/render), tokenize (engine), masks (src/mask), padding (src/shape).
 */
import { hfMaskWindow, locatorOf, overlapMaskWindow } from '../mask/locate.js';
import type { MaskRule } from '../mask/rules.js';
import { renderConversation, type CompiledTemplate } from '../render/index.js';
import { padRow } from '../shape/index.js';
import type { TokenizerEngine } from '../tokenize/index.js';
import type { Message, Span } from '../types.js';
import { asPythonError, PythonError, typeError, valueError } from './errors.js';
import { ARGUMENT_KEYS, type ApplyChatTemplateOptions, type ChatEncoding } from './options.js';
import { keptWindow, padLength, resolveStrategy } from './strategy.js';

/** What apply_chat_template reads from the tokenizer object. */
export interface ApplyContext {
  engine: TokenizerEngine;
  /** `tokenizer.chat_template`: one template, several by name, or none. */
  templates: string | Map<string, string> | null;
  /** `tokenizer.special_tokens_map` (template variables). */
  specialTokensMap: Record<string, unknown>;
  padTokenId: number | undefined;
  paddingSide: 'left' | 'right';
  truncationSide: 'left' | 'right';
  /** As Python stores it (int(1e30) when unset). */
  modelMaxLength: number;
  modelInputNames: readonly string[];
  compile(source: string): CompiledTemplate;
}

const GENERATION_TAG = /\{%-?\s*generation\s*-?%\}/;
let warned = false;

/** `get_chat_template`: a template name of the tokenizer, else the argument as template text. */
export function getChatTemplate(
  templates: ApplyContext['templates'],
  chatTemplate: string | null | undefined,
  tools: unknown,
): string {
  if (templates instanceof Map) {
    if (chatTemplate !== null && chatTemplate !== undefined && templates.has(chatTemplate)) {
      return templates.get(chatTemplate)!;
    }
    if (chatTemplate === null || chatTemplate === undefined) {
      if (tools !== null && tools !== undefined && templates.has('tool_use')) return templates.get('tool_use')!;
      if (templates.has('default')) return templates.get('default')!;
      throw valueError(
        'This model has multiple chat templates with no default specified! Please either pass a chat ' +
          'template or the name of the template you wish to use to the `chat_template` argument. Available ' +
          `template names are [${[...templates.keys()]
            .sort()
            .map((k) => `'${k}'`)
            .join(', ')}].`,
      );
    }
    return chatTemplate;
  }
  if (chatTemplate === null || chatTemplate === undefined) {
    if (templates !== null) return templates;
    throw valueError(
      'Cannot use chat template functions because tokenizer.chat_template is not set and no template ' +
        'argument was passed! For information about writing templates and setting the ' +
        'tokenizer.chat_template attribute, please see the documentation at ' +
        'https://huggingface.co/docs/transformers/main/en/chat_templating',
    );
  }
  return chatTemplate;
}

function isDict(v: unknown): boolean {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Rendered texts plus generation spans (Python's order, UTF-16) and the merged spans. */
interface Rendered {
  texts: string[];
  rawSpans: Span[][];
  spans: Span[][];
}

function render(
  ctx: ApplyContext,
  conversations: Message[][],
  source: string,
  o: ApplyChatTemplateOptions,
  templateVars: Record<string, unknown>,
): Rendered {
  const tools = o.tools ?? null;
  if (tools !== null) {
    for (const t of tools) {
      if (!isDict(t)) {
        throw valueError(
          'Tools should either be a JSON schema, or a callable function with type hints ' +
            'and a docstring suitable for auto-conversion to a schema.',
        );
      }
    }
  }
  const documents = o.documents ?? null;
  if (documents !== null) {
    for (const d of documents) {
      if (!isDict(d)) throw typeError("Documents should be a list of dicts with 'title' and 'text' keys!");
    }
  }
  const template = ctx.compile(source);
  const out: Rendered = { texts: [], rawSpans: [], spans: [] };
  for (const messages of conversations) {
    const conv = { ref: { file: '<apply_chat_template>', line: 0 }, index: 0, messages, documents } as Parameters<
      typeof renderConversation
    >[0];
    if (tools !== null) conv.tools = tools;
    let r;
    try {
      r = renderConversation(conv, {
        template,
        templateKwargs: templateVars,
        addGenerationPrompt: o.add_generation_prompt ?? false,
        continueFinalMessage: o.continue_final_message ?? false,
      });
    } catch (e) {
      throw asPythonError(e);
    }
    out.texts.push(r.text);
    out.rawSpans.push(r.rawSpans);
    out.spans.push(r.spans);
  }
  return out;
}

/**
 * Apply the chat template to one conversation or a batch, answering as transformers 5.x does with
 * `return_tensors=None` (see `ChatTokenizer.apply_chat_template` for the public contract).
 */
export async function applyChatTemplate(
  ctx: ApplyContext,
  conversation: unknown,
  options: ApplyChatTemplateOptions = {},
): Promise<unknown> {
  const o = options;
  const tokenize = o.tokenize ?? true;
  let returnDict = o.return_dict ?? true;
  if (!tokenize) returnDict = false;
  const wantMask = o.return_assistant_tokens_mask ?? false;
  if (wantMask && !(returnDict && tokenize)) {
    throw valueError('`return_assistant_tokens_mask=True` requires `return_dict=True` and `tokenize=True`');
  }
  if (o.return_tensors !== undefined && o.return_tensors !== null) {
    throw valueError('chatshard returns plain arrays: return_tensors must be None');
  }
  const tokenizerKwargs = o.tokenizer_kwargs ?? {};
  const source = getChatTemplate(ctx.templates, o.chat_template, o.tools);

  if (!Array.isArray(conversation)) throw typeError('conversation must be a list of messages or a list of them');
  if (conversation.length === 0) {
    throw valueError('Cannot apply chat template to an empty conversation. Provide at least one message.');
  }
  const batched = Array.isArray(conversation[0]);
  const conversations = (batched ? conversation : [conversation]) as Message[][];

  const cfm = o.continue_final_message ?? false;
  if (cfm) {
    if (o.add_generation_prompt) {
      throw valueError(
        'continue_final_message and add_generation_prompt are not compatible. Use continue_final_message when you want the model to continue the final message, and add_generation_prompt when you want to add a header that will prompt it to start a new assistant message instead.',
      );
    }
    if (wantMask) throw valueError('continue_final_message is not compatible with return_assistant_tokens_mask.');
  }
  const templateVars: Record<string, unknown> = { ...ctx.specialTokensMap };
  for (const [k, v] of Object.entries(o)) if (!ARGUMENT_KEYS.has(k)) templateVars[k] = v;
  if (wantMask && !GENERATION_TAG.test(source) && !warned) {
    // transformers logs this once per process (logger.warning_once).
    warned = true;
    process.emitWarning(
      'return_assistant_tokens_mask==True but chat template does not contain `{% generation %}` keyword.',
    );
  }
  const rendered = render(ctx, conversations, source, o, templateVars);
  if (!tokenize) return batched ? rendered.texts : rendered.texts[0];

  for (const key of ['padding', 'truncation', 'max_length', 'add_special_tokens', 'return_tensors']) {
    if (key in tokenizerKwargs) {
      throw typeError(`PreTrainedTokenizerBase.__call__() got multiple values for keyword argument '${key}'`);
    }
  }
  const strategy = resolveStrategy({
    padding: o.padding ?? false,
    truncation: o.truncation === undefined ? false : o.truncation,
    maxLength: o.max_length ?? null,
    padToMultipleOf: tokenizerKwargs.pad_to_multiple_of ?? null,
    paddingSide: tokenizerKwargs.padding_side ?? ctx.paddingSide,
    modelMaxLength: ctx.modelMaxLength,
    hasPadToken: ctx.padTokenId !== undefined && ctx.padTokenId >= 0,
  });
  const shape = { paddingSide: strategy.paddingSide, padTokenId: ctx.padTokenId };

  let encodings;
  try {
    encodings = await ctx.engine.encodeBatch(rendered.texts);
  } catch (e) {
    throw new PythonError('Exception', (e as Error).message, { cause: e });
  }
  const windows = encodings.map((enc) => keptWindow(enc.ids.length, strategy, ctx.truncationSide));
  const target = padLength(
    windows.map(([a, b]) => b - a),
    strategy,
  );
  const rule: MaskRule = o.mask_rule ?? 'hf';
  const rows = encodings.map((enc, i) => {
    const [from, to] = windows[i]!;
    const ids = enc.ids.subarray(from, to);
    const n = to - from;
    const loc = wantMask ? locatorOf(enc, rendered.rawSpans[i]!.length) : undefined;
    const base = rule === 'overlap' && loc ? overlapMaskWindow(loc, rendered.spans[i]!, from, to) : new Uint8Array(n);
    const row = padRow({ ref: { file: '', line: 0 }, index: i, inputIds: ids, assistantMasks: base }, target, shape);
    if (rule === 'hf' && loc) {
      const padLeft = strategy.paddingSide === 'left' ? row.inputIds.length - n : 0;
      row.assistantMasks.set(hfMaskWindow(loc, rendered.rawSpans[i]!, from, to, padLeft, row.inputIds.length));
    }
    return row;
  });

  if (!returnDict) {
    const ids = rows.map((r) => Array.from(r.inputIds));
    return batched ? ids : ids[0];
  }
  const names = ctx.modelInputNames;
  const withTypes = (tokenizerKwargs.return_token_type_ids ?? names.includes('token_type_ids')) as boolean;
  const withAttention = (tokenizerKwargs.return_attention_mask ?? names.includes('attention_mask')) as boolean;
  const out: Record<string, unknown[]> = { input_ids: rows.map((r) => Array.from(r.inputIds)) };
  if (withTypes) out.token_type_ids = rows.map((r) => new Array<number>(r.inputIds.length).fill(0));
  if (withAttention) out.attention_mask = rows.map((r) => Array.from(r.attentionMask));
  if (tokenizerKwargs.return_length) out.length = rows.map((r) => r.inputIds.length);
  if (wantMask) out.assistant_masks = rows.map((r) => Array.from(r.assistantMasks));
  if (batched) return out as unknown as ChatEncoding<number[][]>;
  const single: Record<string, unknown> = {};
  // Python drops the batch dimension of list values only (`length` stays a one-element list).
  for (const [k, v] of Object.entries(out)) single[k] = Array.isArray(v[0]) ? v[0] : v;
  return single as unknown as ChatEncoding;
}
