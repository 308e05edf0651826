/**
 * renderConversation(): transformers 5.x `apply_chat_template` rendering for one conversation
 * (tokenization_utils_base.apply_chat_template + chat_template_utils.render_jinja_template).
 */
import type { Conversation, Span } from '../types.js';
import { TemplateError } from './errors.js';
import { pyStrip } from './jinja/pystr.js';
import { isPlainObject } from './jinja/values.js';
import type { CompiledTemplate, RenderLimits } from './template.js';

export interface RenderOptions {
  template: CompiledTemplate;
  /** bos_token, eos_token, ... (transformers' special_tokens_map); template kwargs override them. */
  specialTokens?: Record<string, unknown>;
  addGenerationPrompt?: boolean;
  /** true → continue the final message's `content`; a string names the field to continue. */
  continueFinalMessage?: boolean | string;
  templateKwargs?: Record<string, unknown>;
  now?: string | Date;
  limits?: RenderLimits;
}

export interface RenderedConversation {
  text: string;
  /** Sorted, non-overlapping, non-empty spans (the RenderedRow contract). */
  spans: Span[];
  /** Generation spans as recorded, in block completion order (transformers' order), clipped by continue_final_message. */
  rawSpans: Span[];
}

const CFM_TAG = 'CONTINUE_FINAL_MESSAGE_TAG ';
const CFM_TAG_STRIPPED = 'CONTINUE_FINAL_MESSAGE_TAG';

function valueError(msg: string): TemplateError {
  return new TemplateError(msg, 'ValueError');
}

/**
 * Render one conversation. Spans are the generation spans sorted by start with overlaps
 * merged and empty spans dropped (nested generation blocks collapse into their outer block).
 */
export function renderConversation(conv: Conversation, opts: RenderOptions): RenderedConversation {
  const addGenerationPrompt = conv.addGenerationPrompt ?? opts.addGenerationPrompt ?? false;
  const cfm = conv.continueFinalMessage ?? opts.continueFinalMessage ?? false;
  if (cfm && addGenerationPrompt) {
    throw valueError(
      'continue_final_message and add_generation_prompt are not compatible. Use continue_final_message when you want the model to continue the final message, and add_generation_prompt when you want to add a header that will prompt it to start a new assistant message instead.',
    );
  }
  let messages = conv.messages;
  checkInputs(conv, messages);

  let finalMessage: string | null = null;
  if (cfm) {
    const field = typeof cfm === 'string' ? cfm : 'content';
    ({ messages, finalMessage } = tagFinalMessage(messages, field, opts.template.source));
  }

  const { text: rendered, generationSpans } = opts.template.render(
    templateVars(conv, opts, messages, addGenerationPrompt),
    {
      limits: opts.limits,
      now: opts.now,
    },
  );
  let text = rendered;
  let spans = generationSpans;
  if (finalMessage !== null) {
    if (!rendered.includes(pyStrip(finalMessage, null, true, true)) || !rendered.includes(CFM_TAG_STRIPPED)) {
      const err = valueError(
        'continue_final_message is set but the final message does not appear in the chat after applying the chat template! This can happen if the chat template deletes portions of the final message. Please verify the chat template and final message in your chat to ensure they are compatible.',
      );
      // Python appends both texts to the message; kept apart so row reports stay short.
      err.pyDetail = `Final message to continue: ${pyStrip(finalMessage, null, true, true)}\nRendered chat:\n${rendered}`;
      throw err;
    }
    const loc = rendered.lastIndexOf(CFM_TAG_STRIPPED);
    text =
      rendered.slice(loc, loc + CFM_TAG.length) === CFM_TAG
        ? rendered.slice(0, loc)
        : pyStrip(rendered.slice(0, loc), null, false, true);
    const cut = text.length;
    spans = spans.filter(([a]) => a < cut).map(([a, b]) => [a, Math.min(b, cut)] as Span);
  }
  return { text, spans: normalizeSpans(spans), rawSpans: spans };
}

/**
 * Renders other `messages` of the same row as `renderConversation` would (its text only), with
 * `add_generation_prompt` as given and no `continue_final_message`. For the many probe renders of
 * mask inference: the template's variables are built once per row, not once per render.
 *
 * @example
 * const render = messageRenderer(conv, opts);
 * render(conv.messages.slice(0, 1), true); // '<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n'
 */
export function messageRenderer(
  conv: Conversation,
  opts: RenderOptions,
): (messages: Conversation['messages'], addGenerationPrompt: boolean) => string {
  const vars = templateVars(conv, opts, conv.messages, false);
  const renderOpts = { limits: opts.limits, now: opts.now };
  return (messages, addGenerationPrompt) => {
    checkInputs(conv, messages);
    // Templates cannot assign to their variables, and a render runs to its end before the next
    // starts: one variables object serves every render of the row.
    vars['messages'] = messages;
    vars['add_generation_prompt'] = addGenerationPrompt;
    return opts.template.render(vars, renderOpts).text;
  };
}

/** transformers' checks before rendering: at least one message, documents are dicts. */
function checkInputs(conv: Conversation, messages: Conversation['messages']): void {
  if (!Array.isArray(messages) || messages.length === 0) {
    throw valueError('Cannot apply chat template to an empty conversation. Provide at least one message.');
  }
  const documents = conv.documents ?? null;
  if (documents !== null) {
    for (const d of documents) {
      if (!isPlainObject(d))
        throw new TemplateError("Documents should be a list of dicts with 'title' and 'text' keys!", 'TypeError');
    }
  }
}

/** The template's variables: special tokens, then template kwargs (which override them), then the row. */
function templateVars(
  conv: Conversation,
  opts: RenderOptions,
  messages: Conversation['messages'],
  addGenerationPrompt: boolean,
): Record<string, unknown> {
  // Built by assignment: an object spread here took ~8 µs per render (V8's slow path for
  // `...undefined` followed by more keys), which mask inference pays on every probe render.
  const vars: Record<string, unknown> = {};
  putAll(vars, opts.specialTokens);
  putAll(vars, opts.templateKwargs);
  putAll(vars, conv.chatTemplateKwargs);
  vars['messages'] = messages;
  vars['tools'] = conv.tools ?? null;
  vars['documents'] = conv.documents ?? null;
  vars['add_generation_prompt'] = addGenerationPrompt;
  return vars;
}

/** Copy own keys like a spread does (a `__proto__` key stays a plain key). */
function putAll(into: Record<string, unknown>, from: Record<string, unknown> | undefined): void {
  if (!from) return;
  for (const k of Object.keys(from)) {
    if (k === '__proto__')
      Object.defineProperty(into, k, { value: from[k], writable: true, enumerable: true, configurable: true });
    else into[k] = from[k];
  }
}

/** Copy the conversation with the continue tag appended to the final message's text. */
function tagFinalMessage(messages: Conversation['messages'], field: string, source: string) {
  const last = messages[messages.length - 1];
  const value = isPlainObject(last) ? last[field] : undefined;
  if (value === null || value === undefined) {
    throw valueError(`continue_final_message is set but the final message has no "${field}" to continue!`);
  }
  if (!source.includes(field)) {
    throw valueError(
      `continue_final_message is set to "${field}" but this is not an accepted field in the chat_template`,
    );
  }
  const copy = { ...last! };
  let finalMessage: string;
  if (Array.isArray(value)) {
    const blocks = value.slice();
    let i = blocks.length - 1;
    for (; i >= 0; i--) {
      const b = blocks[i];
      if (isPlainObject(b) && Object.prototype.hasOwnProperty.call(b, 'text')) break;
    }
    if (i < 0)
      throw valueError(
        'continue_final_message is set but we could not find any text to continue in the final message!',
      );
    const block = blocks[i] as Record<string, unknown>;
    if (typeof block['text'] !== 'string') throw new TemplateError('can only concatenate str to str', 'TypeError');
    finalMessage = block['text'];
    blocks[i] = { ...block, text: finalMessage + CFM_TAG };
    copy[field] = blocks;
  } else {
    if (typeof value !== 'string')
      throw new TemplateError(`unsupported operand type(s) for +: '${typeof value}' and 'str'`, 'TypeError');
    finalMessage = value;
    copy[field] = value + CFM_TAG;
  }
  return { messages: [...messages.slice(0, -1), copy], finalMessage };
}

/** Sort, merge overlapping spans, drop empty ones (RenderedRow.spans contract). */
export function normalizeSpans(spans: Span[]): Span[] {
  const s = spans.filter(([a, b]) => b > a).sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  const out: Span[] = [];
  for (const [a, b] of s) {
    const last = out[out.length - 1];
    if (last && a < last[1]) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}
