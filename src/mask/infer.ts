import { renderConversation, type RenderOptions } from '../render/index.js';
import type { Conversation, Message, Span } from '../types.js';
import { messageTrains, selectSpans, type SelectOptions } from './select.js';
import type { Turn } from './turn.js';

/** Why spans could not be inferred for a row (the row is rejected with this message). */
export class MaskInferenceError extends Error {
  override name = 'MaskInferenceError';
}

export type { Turn } from './turn.js';

/**
 * Stand-in text for probe renders. Private-use characters: no template emits them, so a common
 * prefix with a probe render never runs into template text by coincidence.
 */
const PROBE = '\uE000chatshard-probe\uE001';

type Msgs = Conversation['messages'];

function render(messages: Msgs, base: Conversation, opts: RenderOptions, agp: boolean): string {
  const conv: Conversation = { ...base, messages, addGenerationPrompt: agp, continueFinalMessage: false };
  return renderConversation(conv, { ...opts, addGenerationPrompt: agp, continueFinalMessage: false }).text;
}

/** Render that may fail (a probe variant can trip a template check): undefined then. */
function tryRender(messages: Msgs, base: Conversation, opts: RenderOptions, agp: boolean): string | undefined {
  try {
    return render(messages, base, opts, agp);
  } catch {
    return undefined;
  }
}

function lcp(a: string, b: string, from = 0): number {
  let k = from;
  const n = Math.min(a.length, b.length);
  while (k < n && a.charCodeAt(k) === b.charCodeAt(k)) k++;
  return k;
}

/**
 * Texts the message itself contributes, used to check that a located span really holds it: the
 * content (a string, or each text part of a list) and the names of its tool calls. `tail` is the
 * content after a reasoning block closed by `</think>` (templates drop earlier turns' reasoning).
 */
function ownTexts(message: Message): { pieces: string[]; tail?: string; names: string[] } {
  const c = message.content;
  let pieces: string[] = [];
  if (typeof c === 'string') pieces = [c];
  else if (Array.isArray(c)) {
    for (const p of c) {
      const t = p && typeof p === 'object' ? (p as { text?: unknown }).text : undefined;
      if (typeof t === 'string') pieces.push(t);
    }
  }
  pieces = pieces.map((t) => t.trim()).filter((t) => t !== '');
  const lastPiece = pieces[pieces.length - 1];
  const close = lastPiece?.lastIndexOf('</think>') ?? -1;
  const tail = close >= 0 ? lastPiece!.slice(close + '</think>'.length).trim() || undefined : undefined;
  const names: string[] = [];
  const calls = message.tool_calls;
  if (Array.isArray(calls)) {
    for (const call of calls) {
      const fn = call && typeof call === 'object' ? ((call as { function?: unknown }).function ?? call) : undefined;
      const name = fn && typeof fn === 'object' ? (fn as { name?: unknown }).name : undefined;
      if (typeof name === 'string' && name !== '') names.push(name);
    }
  }
  return { pieces, tail, names };
}

/** End of `text[start, end)` with trailing whitespace removed (never before `start`). */
function trimEnd(text: string, start: number, end: number): number {
  while (end > start && /\s/.test(text[end - 1]!)) end--;
  return end;
}

/**
 * Where the message's own text ends inside `text[start, end)`, or -1 when the span does not hold it.
 * With `allowTail` (history method), tool-call names that `rendered` (the message's last-form
 * render) shows must be inside; the content (or, for a rewritten turn, its part after the
 * reasoning) must be too. A message with neither gives `end` (nothing to check).
 */
function ownEnd(
  text: string,
  start: number,
  end: number,
  message: Message,
  allowTail: boolean,
  rendered?: string,
): number {
  const own = ownTexts(message);
  const span = text.slice(start, end);
  // Tool-call names are checked when the template renders them at all (some templates ignore tool calls).
  if (allowTail && own.names.some((n) => rendered?.includes(n) && !span.includes(n))) return -1;
  if (own.pieces.length === 0) return own.names.length > 0 || !allowTail ? end : -1;
  const attempts = [own.pieces];
  if (allowTail && own.tail !== undefined) attempts.push([...own.pieces.slice(0, -1), own.tail].slice(-1));
  for (const pieces of attempts) {
    let contentEnd = start;
    let ok = true;
    for (const piece of pieces) {
      const at = span.lastIndexOf(piece);
      if (at < 0) {
        ok = false;
        break;
      }
      contentEnd = Math.max(contentEnd, start + at + piece.length);
    }
    if (ok) return Math.min(end, contentEnd);
  }
  return -1;
}

function cannot(i: number, role: string, why: string): MaskInferenceError {
  return new MaskInferenceError(
    `cannot infer the mask of messages[${i}] (${role}): ${why}; use a template with {% generation %} tags, or --last-turn-only`,
  );
}

/**
 * Start of message i's output in the full render `text` when the generation prompt is not a prefix
 * of it (templates whose generation prompt forces text, e.g. an opening `<think>`, that the turn's
 * history form does not have). The role header is the common part of the generation prompt and of
 * the message's rendering; it is measured on a probe render where the message's content is a
 * private-use marker (so it cannot run into the content by coincidence) and must equal the full
 * render's text there.
 */
function historyStart(
  conv: Conversation,
  opts: RenderOptions,
  i: number,
  text: string,
  prompt: string,
): number | undefined {
  const msgs = conv.messages;
  const before = render(msgs.slice(0, i), conv, opts, false);
  if (!prompt.startsWith(before) || !text.startsWith(before)) return undefined;
  const probeMsgs = msgs.map((m, k) => (k === i ? { ...m, content: PROBE } : m));
  const probe = tryRender(probeMsgs, conv, opts, false);
  if (probe === undefined || !probe.startsWith(before)) return undefined;
  const header = lcp(prompt, probe, before.length);
  if (!probe.startsWith(PROBE, header)) return undefined;
  if (lcp(text, probe, before.length) < header) return undefined;
  return header;
}

/**
 * For a message without a generation prompt (user, system, tool: trained with --roles-to-train),
 * the end of its role header: where its rendering and a probe rendering with the content replaced
 * by a marker part, when the marker sits exactly there; `from` (no header found) otherwise.
 */
function headerEnd(conv: Conversation, opts: RenderOptions, i: number, last: string, from: number): number {
  const msgs = conv.messages;
  if (typeof msgs[i]!.content !== 'string' || msgs[i]!.content === '') return from;
  const probe = tryRender([...msgs.slice(0, i), { ...msgs[i]!, content: PROBE }], conv, opts, false);
  if (probe === undefined) return from;
  const at = lcp(probe, last, from);
  return probe.startsWith(PROBE, at) ? at : from;
}

/**
 * Start of message i's output in the full render when even the conversation before it renders
 * differently there (e.g. an earlier turn's reasoning is dropped once a later user turn exists):
 * the full render and a probe render where only message i's content is replaced by a marker agree
 * up to where that content starts. Accepted only when the marker sits right there, the full
 * render's text just before it is the role header (the generation prompt, or its beginning when the
 * prompt forces text such as `<think>` that the history form lacks; template-inserted text like an
 * empty think block is never skipped), and before that header comes the previous message as the
 * prompt renders it.
 */
function probeStart(
  conv: Conversation,
  opts: RenderOptions,
  i: number,
  text: string,
  prompt: string,
): number | undefined {
  const msgs = conv.messages;
  const probeMsgs = msgs.map((m, k) => (k === i ? { ...m, content: PROBE } : m));
  const probe = tryRender(probeMsgs, conv, opts, false);
  if (probe === undefined) return undefined;
  const at = lcp(text, probe);
  if (!probe.startsWith(PROBE, at)) return undefined;
  const before = render(msgs.slice(0, i), conv, opts, false);
  if (!prompt.startsWith(before)) return undefined;
  const gen = prompt.slice(before.length);
  const head = text.slice(0, at);
  let h = gen.length;
  while (h > 0 && !head.endsWith(gen.slice(0, h))) h--;
  if (h === 0) return undefined;
  const prev = head.slice(0, at - h);
  let cs = 0;
  while (cs < prev.length && cs < before.length && prev[prev.length - 1 - cs] === before[before.length - 1 - cs]) cs++;
  const prevMsg = msgs[i - 1]!;
  const prevText = typeof prevMsg.content === 'string' ? prevMsg.content.trim() : '';
  if (cs === 0 || (prevText !== '' && !before.slice(before.length - cs).includes(prevText))) return undefined;
  return at;
}

/**
 * End of message i in the full render when `last` (the message rendered as the final one) is not a
 * prefix of it: the message's history form, from `start`, must equal a suffix of its last form
 * (the template dropped something at its beginning, e.g. reasoning). The longest such suffix that
 * holds the message's own text is taken; two different ones make the turn ambiguous (undefined).
 */
function historyEnd(
  text: string,
  start: number,
  last: string,
  lastStart: number,
  message: Message,
): number | undefined {
  const max = Math.min(last.length - lastStart, text.length - start);
  const first = text.charCodeAt(start);
  let found: number | undefined;
  for (let x = max; x > 0; x--) {
    const from = last.length - x;
    if (last.charCodeAt(from) !== first) continue;
    if (!text.startsWith(last.slice(from), start)) continue;
    if (ownEnd(text, start, trimEnd(text, start, start + x), message, true, last.slice(lastStart)) < 0) continue;
    if (found !== undefined) return undefined;
    found = start + x;
  }
  return found;
}

/**
 * Locate every message of `roles` in the full render without generation tags.
 *
 * Prefix method: for message i, `render(messages[:i], add_generation_prompt)` ends where the model
 * starts producing (role header excluded), and `render(messages[:i+1])` ends after the message and
 * its end-of-turn marker; both must be prefixes of the full render.
 *
 * History method, for templates that render a message differently once later turns follow it
 * (Qwen3 and DeepSeek-R1 drop earlier reasoning, a template appends `eos_token` after the final
 * message): the turn is located in its history form, as it appears in the full render. The start
 * is the end of the generation prompt (or of the role header, measured on a probe render, when the
 * prompt forces text the history form lacks); the end is found by aligning the message's last-form
 * render (with `eos_token` replaced by a probe to cut a trailer) as a suffix of its history form.
 *
 * Every span must hold the message's own text (content, tool-call names). A turn that no method
 * locates unambiguously throws MaskInferenceError: the row is rejected rather than given a wrong mask.
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
  for (let i = 0; i < msgs.length; i++) {
    const message = msgs[i]!;
    const role = message.role;
    if (!roles.has(role) || (only !== undefined && i !== only)) continue;
    const assistantLike = role === 'assistant';
    const prompt = i === 0 && !assistantLike ? '' : render(msgs.slice(0, i), conv, opts, assistantLike);
    const last = render(msgs.slice(0, i + 1), conv, opts, false);
    const isLast = i === msgs.length - 1;
    // The full render may end early (continue_final_message cuts it): clamp to its length.
    const cut = isLast ? Math.min(last.length, text.length) : last.length;
    const promptHolds = text.startsWith(prompt) && last.startsWith(prompt);
    const lastHolds = text.startsWith(last.slice(0, cut));
    if (promptHolds && lastHolds) {
      const start = assistantLike ? prompt.length : headerEnd(conv, opts, i, last, prompt.length);
      const end = trimEnd(text, start, cut);
      const contentEnd = ownEnd(text, start, end, message, false);
      if (contentEnd < 0) throw cannot(i, role, 'its content was not found in the span located for it');
      turns.push({ message: i, role, start, contentEnd, end, method: 'prefix' });
      continue;
    }
    // History method: locate the turn as the full render has it.
    let start: number | undefined;
    if (text.startsWith(prompt)) start = prompt.length;
    else if (assistantLike && i > 0)
      start = historyStart(conv, opts, i, text, prompt) ?? probeStart(conv, opts, i, text, prompt);
    if (start === undefined) {
      throw cannot(
        i,
        role,
        'the template renders the conversation before it differently in the full render, and where it starts cannot be located',
      );
    }
    let rawEnd: number | undefined;
    if (lastHolds && last.length > start) rawEnd = cut;
    else if (!isLast) {
      // Last-form renders to align: as is, and with eos_token replaced by a probe (cut there).
      const lastForms: string[] = [last];
      const eosOpts: RenderOptions = { ...opts, specialTokens: { ...opts.specialTokens, eos_token: PROBE } };
      const eosProbe = tryRender(msgs.slice(0, i + 1), conv, eosOpts, false);
      const at = eosProbe?.lastIndexOf(PROBE) ?? -1;
      if (eosProbe !== undefined && at > start) lastForms.push(eosProbe.slice(0, at));
      for (const form of lastForms) {
        if (form.length > start && text.startsWith(form)) rawEnd = form.length;
        else rawEnd = historyEnd(text, start, form, Math.min(lcp(form, prompt), start), message);
        if (rawEnd !== undefined) break;
      }
    }
    if (rawEnd === undefined) {
      throw cannot(
        i,
        role,
        'the template renders it differently once later turns follow it, and its end in the full render cannot be located unambiguously',
      );
    }
    const end = trimEnd(text, start, rawEnd);
    const contentEnd = ownEnd(text, start, end, message, true, last.slice(lcp(last, prompt)));
    if (contentEnd < 0) throw cannot(i, role, 'its content was not found in the span located for it');
    turns.push({ message: i, role, start, contentEnd, end, method: 'history' });
  }
  return { text, turns };
}

/** Spans to train on, inferred without generation tags; see `inferTurns` and `selectSpans`. */
export function inferSpans(
  conv: Conversation,
  opts: RenderOptions,
  select: SelectOptions,
): { text: string; spans: Span[] } {
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
