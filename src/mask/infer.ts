import { renderConversation, type RenderOptions } from '../render/index.js';
import type { Conversation, Span } from '../types.js';
import { messageTrains, selectSpans, type SelectOptions } from './select.js';

/** Why spans could not be inferred for a row (the row is rejected with this message). */
export class MaskInferenceError extends Error {
  override name = 'MaskInferenceError';
}

/** Where one message sits in the full render (UTF-16 indices). */
export interface Turn {
  message: number;
  role: string;
  /** First char the model produces for this message (after the role header / generation prompt). */
  start: number;
  /** End of the message's own text, before the end-of-turn marker. */
  contentEnd: number;
  /** End of the end-of-turn marker (trailing whitespace after it excluded). */
  end: number;
}

function render(messages: Conversation['messages'], base: Conversation, opts: RenderOptions, agp: boolean): string {
  const conv: Conversation = { ...base, messages, addGenerationPrompt: agp, continueFinalMessage: false };
  return renderConversation(conv, { ...opts, addGenerationPrompt: agp, continueFinalMessage: false }).text;
}

/** Text the message itself contributes, used to check that a located span really holds it. */
function ownText(message: Conversation['messages'][number]): string | undefined {
  const c = message.content;
  if (typeof c === 'string' && c.trim() !== '') return c.trim();
  return undefined;
}

/** End of `text[start, end)` with trailing whitespace removed (never before `start`). */
function trimEnd(text: string, start: number, end: number): number {
  while (end > start && /\s/.test(text[end - 1]!)) end--;
  return end;
}

/**
 * Locate every message of `roles` in the full render without generation tags, by rendering
 * conversation prefixes and diffing: for message i, `render(messages[:i], add_generation_prompt)`
 * ends where the model starts producing (role header excluded), and `render(messages[:i+1])` ends
 * after the message and its end-of-turn marker. Each located turn is verified: both prefix renders
 * must be prefixes of the full render (a template that rewrites history, e.g. dropping earlier
 * reasoning, fails here) and the span must contain the message's own text. A failed check throws
 * MaskInferenceError: a row is rejected rather than given a silently wrong mask.
 */
export function inferTurns(
  conv: Conversation,
  opts: RenderOptions,
  roles: ReadonlySet<string>,
  only?: number,
): { text: string; turns: Turn[] } {
  const full = renderConversation(conv, opts);
  const text = full.text;
  const turns: Turn[] = [];
  const msgs = conv.messages;
  // The full render may end early (continue_final_message cuts it): clamp to its length.
  for (let i = 0; i < msgs.length; i++) {
    const role = msgs[i]!.role;
    if (!roles.has(role) || (only !== undefined && i !== only)) continue;
    const assistantLike = role === 'assistant';
    const before = i === 0 && !assistantLike ? '' : render(msgs.slice(0, i), conv, opts, assistantLike);
    const after = render(msgs.slice(0, i + 1), conv, opts, false);
    const isLast = i === msgs.length - 1;
    const cut = isLast ? Math.min(after.length, text.length) : after.length;
    if (!text.startsWith(before) || !after.startsWith(before) || !text.startsWith(after.slice(0, cut))) {
      throw new MaskInferenceError(
        `cannot infer the mask of messages[${i}] (${role}): the template does not render conversation prefixes ` +
          'as prefixes of the full conversation (it rewrites earlier turns); use a template with {% generation %} ' +
          'tags, or --last-turn-only',
      );
    }
    const start = before.length;
    const end = trimEnd(text, start, cut);
    const own = ownText(msgs[i]!);
    let contentEnd = end;
    if (own !== undefined) {
      const at = text.slice(start, cut).lastIndexOf(own);
      if (at < 0) {
        throw new MaskInferenceError(`messages[${i}] (${role}): its content was not found in the span located for it`);
      }
      contentEnd = Math.min(end, start + at + own.length);
    }
    turns.push({ message: i, role, start, contentEnd, end });
  }
  return { text, turns };
}

/** Spans to train on, inferred without generation tags; see `inferTurns` and `selectSpans`. */
export function inferSpans(conv: Conversation, opts: RenderOptions, select: SelectOptions): { text: string; spans: Span[] } {
  // End-of-turn markers of untrained turns are only needed for train-on-eot "all".
  const roles = select.trainOnEot === 'all' ? new Set(conv.messages.map((m) => m.role)) : select.rolesToTrain;
  let only: number | undefined;
  if (select.lastTurnOnly) {
    for (let i = conv.messages.length - 1; i >= 0 && only === undefined; i--) {
      const m = conv.messages[i]!;
      if (select.rolesToTrain.has(m.role) && messageTrains(m)) only = i;
    }
  }
  const { text, turns } = inferTurns(conv, opts, roles, only);
  return { text, spans: selectSpans(turns, conv.messages, select) };
}
