import { messageRenderer, renderConversation, type RenderOptions } from '../render/index.js';
import type { Conversation, Message, Span } from '../types.js';
import { messageTrains, selectSpans, type SelectOptions } from './select.js';
import type { Turn } from './turn.js';

/** Why spans could not be inferred for a row (the row is rejected with this message). */
export class MaskInferenceError extends Error {
  override name = 'MaskInferenceError';
  /** The row's full render (no spans), when it rendered: `chatshard render` still shows it. */
  text?: string;
}

export type { Turn } from './turn.js';

/**
 * Stand-in text for probe renders. Private-use characters: no template emits them, so a common
 * prefix with a probe render never runs into template text by coincidence.
 */
const PROBE = '\uE000chatshard-probe\uE001';

type Msgs = Conversation['messages'];

/**
 * Each row's renderer (template variables built once), by its options object: `inferTurns` gives
 * every row a fresh one, so an entry never outlives the row it was made for.
 */
const renderers = new WeakMap<RenderOptions, { conv: Conversation; render: ReturnType<typeof messageRenderer> }>();

function render(messages: Msgs, base: Conversation, opts: RenderOptions, agp: boolean): string {
  let r = renderers.get(opts);
  if (r === undefined || r.conv !== base) {
    r = { conv: base, render: messageRenderer(base, opts) };
    renderers.set(opts, r);
  }
  return r.render(messages, agp);
}

/** Render that may fail (a probe variant can trip a template check): undefined then. */
function tryRender(messages: Msgs, base: Conversation, opts: RenderOptions, agp: boolean): string | undefined {
  try {
    return render(messages, base, opts, agp);
  } catch {
    return undefined;
  }
}

/** The full render (the row's own options) of other messages; undefined when the template refuses. */
function tryRenderFull(messages: Msgs, base: Conversation, opts: RenderOptions): string | undefined {
  try {
    return renderConversation({ ...base, messages }, opts).text;
  } catch {
    return undefined;
  }
}

/**
 * `s.startsWith(p, at)`, computed as a slice comparison: V8's startsWith compares char by char,
 * about 40x slower on the long renders inference compares (several per turn).
 */
function startsAt(s: string, p: string, at = 0): boolean {
  const k = Math.min(Math.max(at, 0), s.length);
  return s.length - k >= p.length && s.slice(k, k + p.length) === p;
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

function cannot(i: number, role: string, r: { step: string; why: string }, advice: string): MaskInferenceError {
  return new MaskInferenceError(
    `cannot infer the mask of messages[${i}] (${role}) [step: ${r.step}]: ${r.why}; ${advice}`,
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
  if (!startsAt(prompt, before) || !startsAt(text, before)) return undefined;
  const probeMsgs = msgs.map((m, k) => (k === i ? { ...m, content: PROBE } : m));
  const probe = tryRender(probeMsgs, conv, opts, false);
  if (probe === undefined || !startsAt(probe, before)) return undefined;
  const header = lcp(prompt, probe, before.length);
  if (!startsAt(probe, PROBE, header)) return undefined;
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
  return startsAt(probe, PROBE, at) ? at : from;
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
  if (!startsAt(probe, PROBE, at)) return undefined;
  const before = render(msgs.slice(0, i), conv, opts, false);
  if (!startsAt(prompt, before)) return undefined;
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
    if (!startsAt(text, last.slice(from), start)) continue;
    if (ownEnd(text, start, trimEnd(text, start, start + x), message, true, last.slice(lastStart)) < 0) continue;
    if (found !== undefined) return undefined;
    found = start + x;
  }
  return found;
}

/** A located turn, or why a method could not locate it (`step` names the check that failed). */
type Located = Turn | { step: string; why: string };

const failed = (step: string, why: string): Located => ({ step, why });
const isTurn = (r: Located): r is Turn => 'start' in r;

/** Renders one turn's methods share (computed once per turn). */
interface TurnCtx {
  conv: Conversation;
  opts: RenderOptions;
  text: string;
  i: number;
  /** `render(messages[:i], add_generation_prompt)` (assistant) or without the prompt (other roles). */
  prompt: string;
  /** `render(messages[:i+1])`: the message as the final one ("own form"). */
  last: string;
  /** End of the previous located turn: a span never starts before it. */
  floor: number;
}

/** Prefix method: both prefix renders are prefixes of the full render. */
function prefixTurn(c: TurnCtx): Located | undefined {
  const { conv, opts, text, i, prompt, last } = c;
  const message = conv.messages[i]!;
  const assistantLike = message.role === 'assistant';
  const isLast = i === conv.messages.length - 1;
  // The full render may end early (continue_final_message cuts it): clamp to its length.
  const cut = isLast ? Math.min(last.length, text.length) : last.length;
  if (!(startsAt(text, prompt) && startsAt(last, prompt) && startsAt(text, last.slice(0, cut)))) return undefined;
  const start = assistantLike ? prompt.length : headerEnd(conv, opts, i, last, prompt.length);
  const end = trimEnd(text, start, cut);
  const contentEnd = ownEnd(text, start, end, conv.messages[i]!, false);
  if (contentEnd < 0) return failed('prefix', 'its content was not found in the span located for it');
  return { message: i, role: message.role, start, contentEnd, end, method: 'prefix' };
}

/** History method (see `inferTurns`): the turn in its history form, aligned with its own form. */
function historyTurn(c: TurnCtx): Located {
  const { conv, opts, text, i, prompt, last } = c;
  const msgs = conv.messages;
  const message = msgs[i]!;
  const role = message.role;
  const assistantLike = role === 'assistant';
  const isLast = i === msgs.length - 1;
  const cut = isLast ? Math.min(last.length, text.length) : last.length;
  const lastHolds = startsAt(text, last.slice(0, cut));
  let start: number | undefined;
  if (startsAt(text, prompt)) start = prompt.length;
  else if (assistantLike && i > 0)
    start = historyStart(conv, opts, i, text, prompt) ?? probeStart(conv, opts, i, text, prompt);
  if (start === undefined) {
    return failed(
      'history start',
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
      if (form.length > start && startsAt(text, form)) rawEnd = form.length;
      else rawEnd = historyEnd(text, start, form, Math.min(lcp(form, prompt), start), message);
      if (rawEnd !== undefined) break;
    }
  }
  if (rawEnd === undefined) {
    return failed(
      'history end',
      'the template renders it differently once later turns follow it, and its end in the full render cannot be located unambiguously',
    );
  }
  const end = trimEnd(text, start, rawEnd);
  const contentEnd = ownEnd(text, start, end, message, true, last.slice(lcp(last, prompt)));
  if (contentEnd < 0) return failed('history content', 'its content was not found in the span located for it');
  return { message: i, role, start, contentEnd, end, method: 'history' };
}

type Anchor = { message: Message; what: 'content' | 'tool call name'; original: string };

/**
 * The message with one of its own texts replaced by the probe marker, in the order they are tried:
 * its content (or first non-empty text part), the name of its first tool call, its empty content.
 */
function anchorsOf(m: Message): Anchor[] {
  const out: Anchor[] = [];
  const c = m.content;
  if (typeof c === 'string' && c.trim() !== '')
    out.push({ message: { ...m, content: PROBE }, what: 'content', original: c });
  if (Array.isArray(c)) {
    const k = c.findIndex((p) => {
      const t = p && typeof p === 'object' ? (p as { text?: unknown }).text : undefined;
      return typeof t === 'string' && t.trim() !== '';
    });
    if (k >= 0) {
      const content = c.map((p, j) => (j === k ? { ...(p as object), text: PROBE } : p));
      out.push({ message: { ...m, content }, what: 'content', original: (c[k] as { text: string }).text });
    }
  }
  const calls = m.tool_calls;
  if (Array.isArray(calls)) {
    const nameOf = (call: unknown): string | undefined => {
      const fn = call && typeof call === 'object' ? ((call as { function?: unknown }).function ?? call) : undefined;
      const name = fn && typeof fn === 'object' ? (fn as { name?: unknown }).name : undefined;
      return typeof name === 'string' && name !== '' ? name : undefined;
    };
    const k = calls.findIndex((call) => nameOf(call) !== undefined);
    if (k >= 0) {
      const tool_calls = calls.map((call, j) => {
        if (j !== k) return call;
        const obj = call as { function?: Record<string, unknown> };
        return obj.function ? { ...obj, function: { ...obj.function, name: PROBE } } : { ...obj, name: PROBE };
      });
      out.push({ message: { ...m, tool_calls }, what: 'tool call name', original: nameOf(calls[k])! });
    }
  }
  // Empty (or blank) content: the marker shows where the template puts it, usually nowhere visible.
  if (out.length === 0 || (out[0]!.what !== 'content' && typeof c === 'string')) {
    if (typeof c === 'string') out.push({ message: { ...m, content: PROBE }, what: 'content', original: c });
  }
  return out;
}

/**
 * Where `probe` (a render of the same conversation with one text replaced by PROBE) differs from
 * `text`: `[a, b)` in `text` when the two differ in exactly that one place, `null` when the probe
 * render does not contain the marker (the template does not print that text), `undefined` when
 * they differ elsewhere too (the text changes how other parts render). A text printed verbatim
 * in several places (`original`) is accepted when putting it back for every marker gives `text`.
 */
export function placeOf(text: string, probe: string, original?: string): Span | null | undefined {
  const at = probe.indexOf(PROBE);
  if (at < 0) return null;
  if (lcp(text, probe) < at) return undefined;
  const after = probe.length - at - PROBE.length;
  if (probe.indexOf(PROBE, at + 1) < 0 && text.length - at >= after) {
    let k = 0;
    while (k < after && text.charCodeAt(text.length - 1 - k) === probe.charCodeAt(probe.length - 1 - k)) k++;
    if (k === after) return [at, text.length - after];
  }
  // The text is printed verbatim in several places (e.g. a tool call's name again in its response):
  // the render with every marker put back must be the real one; the first place is the message's.
  if (original !== undefined && original !== '' && probe.split(PROBE).join(original) === text) {
    return [at, at + original.length];
  }
  return undefined;
}

/**
 * How much of `post` (own-form text after the message: end-of-turn marker, trailers) `text` has at
 * `from`: all of it, or the matched part cut back to a boundary (whitespace, the end of a special
 * token string, or between two bracketed markers) so that a marker is never taken in part.
 */
function matchedTail(text: string, from: number, post: string, specials: readonly string[]): number {
  let m = lcp(post, text.slice(from, from + post.length));
  if (m === post.length) return m;
  const boundary = (p: number) =>
    p === 0 ||
    /\s/.test(post[p]!) ||
    /\s/.test(post[p - 1]!) ||
    specials.some((s) => s !== '' && p >= s.length && startsAt(post, s, p - s.length)) ||
    (/[>\]]/.test(post[p - 1]!) && /[<[]/.test(post[p]!));
  while (m > 0 && !boundary(m)) m--;
  return m;
}

/**
 * End of the role header in `last` (the message's own-form render), at most `upTo` (where its text
 * starts): the end of the generation prompt when that is a prefix; otherwise, when the template
 * renders earlier context differently once the message follows (a system prompt or tool list moved
 * into the last user turn), the place before `upTo` whose preceding text ends like the prompt does
 * (longest common ending, latest place on ties); failing that, where the two first differ (a prompt
 * that forces text such as `<think>` the own form lacks).
 */
function headerIn(last: string, prompt: string, upTo: number): number {
  if (startsAt(last, prompt) && prompt.length <= upTo) return prompt.length;
  const x0 = Math.min(lcp(prompt, last), upTo);
  const endChar = prompt.charCodeAt(prompt.length - 1);
  let best = x0;
  let bestLen = 0;
  for (let x = Math.max(x0, 1); x <= upTo; x++) {
    if (last.charCodeAt(x - 1) !== endChar) continue;
    let k = 0;
    while (k < x && k < prompt.length && last.charCodeAt(x - 1 - k) === prompt.charCodeAt(prompt.length - 1 - k)) k++;
    if (k >= bestLen) {
      best = x;
      bestLen = k;
    }
  }
  return best;
}

/**
 * Anchor method, for turns the other methods cannot verify (the template moves text into later
 * turns, rewrites history, has no role markers or closes only the final message): the message's
 * content (or tool-call name) is replaced by a marker in the full conversation and in its own-form
 * render; each marker render differs from the real one in exactly one place, which is where that
 * text sits in each. The turn is the own-form text around it (from the end of the role header to the
 * end-of-turn marker), mapped into the full render only as far as it is identical there.
 */
function anchorTurn(c: TurnCtx): Located {
  const { conv, opts, text, i, prompt, last, floor } = c;
  const msgs = conv.messages;
  const message = msgs[i]!;
  const anchors = anchorsOf(message);
  if (anchors.length === 0) return failed('anchor', 'it has no text to locate it by (no content and no tool call)');
  const probe = (a: Anchor) => {
    const r = tryRenderFull(
      msgs.map((m, k) => (k === i ? a.message : m)),
      conv,
      opts,
    );
    return r === undefined ? undefined : placeOf(text, r, a.original);
  };
  // The first of its texts the template prints locates it (a template may drop the content of a
  // message with tool calls, or ignore tool calls).
  let anchored = anchors[0]!;
  let place = probe(anchored);
  for (let k = 1; place === null && k < anchors.length; k++) {
    if (anchored.what === 'tool call name') {
      // Tool calls without their names printed: only fine when the template ignores them entirely.
      const bare = tryRenderFull(
        msgs.map((m, j) => (j === i ? { ...m, tool_calls: undefined } : m)),
        conv,
        opts,
      );
      if (bare !== text) return failed('anchor', 'its tool calls are rendered without their names');
    }
    anchored = anchors[k]!;
    place = probe(anchored);
  }
  if (place === null) {
    // Nothing of it printed: fine for a blank message, a reason to reject for one with text.
    if (anchors.every((a) => a.original.trim() === '')) return failed('renders nothing', 'it renders as nothing');
    const what = [...new Set(anchors.map((a) => (a.what === 'content' ? 'its content' : 'its tool calls')))];
    return failed(
      'not rendered',
      `the template does not render ${what.join(' or ')} at all, so there is nothing of it to train on`,
    );
  }
  if (place === undefined) {
    return failed('anchor', `its ${anchored.what} changes how the rest of the conversation renders`);
  }
  const probeLast = tryRender([...msgs.slice(0, i), anchored.message], conv, opts, false);
  const own = probeLast === undefined ? undefined : placeOf(last, probeLast, anchored.original);
  if (!own) return failed('anchor', `its ${anchored.what} cannot be located in its own-form render`);
  const [a, b] = place;
  if (a < floor) return failed('order', 'it would overlap the span of the previous message');
  // Own form: from the end of the role header (where the generation prompt stops) to the end.
  const assistantLike = message.role === 'assistant';
  const header = assistantLike ? headerIn(last, prompt, own[0]) : own[0];
  const pre = last.slice(header, own[0]);
  // After the message its own form has its end-of-turn marker, then whatever the template prints
  // after the final message (a retrieval template's documents and instructions): the model stops at
  // end-of-sequence, so nothing after the first eos_token belongs to the turn.
  let post = last.slice(own[1], trimEnd(last, own[1], last.length));
  const eos = opts.specialTokens?.eos_token;
  if (typeof eos === 'string' && eos !== '' && post.includes(eos)) post = post.slice(0, post.indexOf(eos) + eos.length);
  const left = pre !== '' && a - pre.length >= floor && startsAt(text, pre, a - pre.length) ? pre.length : 0;
  const specials = Object.values(opts.specialTokens ?? {}).filter((s): s is string => typeof s === 'string');
  const right = matchedTail(text, b, post, specials);
  // Leading whitespace is left out: it may share a token with the text before the turn.
  let start = a - left;
  while (start < a && /\s/.test(text[start]!)) start++;
  const end = trimEnd(text, start, b + right);
  // Empty content that the template prints nothing around (no role markers): nothing to train.
  if (end <= start) return failed('renders nothing', 'it renders as nothing');
  const own2 = ownEnd(text, start, end, message, true, last.slice(header));
  const contentEnd = Math.max(b, Math.min(end, own2 < 0 ? b : own2));
  return { message: i, role: message.role, start, contentEnd: trimEnd(text, start, contentEnd), end, method: 'anchor' };
}

/** Locate message i with the first method that verifies it; the last failure otherwise. */
function locateTurn(conv: Conversation, opts: RenderOptions, text: string, i: number, floor: number): Located {
  const msgs = conv.messages;
  const assistantLike = msgs[i]!.role === 'assistant';
  const prompt = i === 0 && !assistantLike ? '' : render(msgs.slice(0, i), conv, opts, assistantLike);
  // The final message's own form is the full render itself when that has neither a generation
  // prompt nor an open final message (same inputs): the longest render of the row is not repeated.
  const plain =
    !(conv.addGenerationPrompt ?? opts.addGenerationPrompt ?? false) &&
    !(conv.continueFinalMessage ?? opts.continueFinalMessage ?? false);
  const last = plain && i === msgs.length - 1 ? text : render(msgs.slice(0, i + 1), conv, opts, false);
  const c: TurnCtx = { conv, opts, text, i, prompt, last, floor };
  const prefix = prefixTurn(c);
  if (prefix && isTurn(prefix) && prefix.start >= floor) return prefix;
  const history = historyTurn(c);
  if (isTurn(history) && history.start >= floor) return history;
  return anchorTurn(c);
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
 * Anchor method, when neither verifies (system prompt or tool list moved into the last user turn,
 * no role markers, end-of-sequence only at the very end): see `anchorTurn`.
 *
 * Each turn costs a fixed number of renders (two on the prefix path, at most seven), so the number
 * of renders is linear in the number of turns; a prefix render covers the conversation up to its
 * turn, so the prefix path costs about one full render per assistant turn. Every span must hold the message's own text and start after the
 * previous one. A turn that no method locates throws MaskInferenceError naming the failed step:
 * the row is rejected rather than given a wrong mask.
 *
 * @example
 * const { turns } = inferTurns(conv, { template }, new Set(['assistant']));
 * turns[0]; // { message: 1, role: 'assistant', start: 48, contentEnd: 53, end: 63, method: 'prefix' }
 */
export function inferTurns(
  conv: Conversation,
  opts: RenderOptions,
  roles: ReadonlySet<string>,
  only?: number,
): { text: string; turns: Turn[] } {
  // A fresh options object: this row's probe renders share one renderer (see `render`).
  opts = { ...opts };
  const text = renderConversation(conv, opts).text;
  const turns: Turn[] = [];
  const msgs = conv.messages;
  for (let i = 0; i < msgs.length; i++) {
    const role = msgs[i]!.role;
    if (!roles.has(role) || (only !== undefined && i !== only)) continue;
    const floor = turns.length > 0 ? turns[turns.length - 1]!.end : 0;
    const r = locateTurn(conv, opts, text, i, floor);
    if (!isTurn(r) && r.step === 'renders nothing') continue;
    if (!isTurn(r)) {
      const e = cannot(i, role, r, advice(conv, opts, text, i, r, roles, only));
      e.text = text;
      throw e;
    }
    turns.push(r);
  }
  return { text, turns };
}

/**
 * The option that really works for a rejected row: `--last-turn-only` when the row's final
 * trainable turn can be located on its own, else none besides a tagged template / `--masks none`.
 */
function advice(
  conv: Conversation,
  opts: RenderOptions,
  text: string,
  i: number,
  r: { step: string },
  roles: ReadonlySet<string>,
  only: number | undefined,
): string {
  const tagged = 'a template with {% generation %} tags (--chat-template), or --masks none for ids without masks';
  if (r.step === 'not rendered') return `no mask can be inferred for this row; use ${tagged}`;
  let lastTrainable = -1;
  for (let k = conv.messages.length - 1; k > i && lastTrainable < 0; k--) {
    const m = conv.messages[k]!;
    if (m.role === 'assistant' && roles.has(m.role) && messageTrains(m)) lastTrainable = k;
  }
  if (only === undefined && lastTrainable > i) {
    const t = locateTurn(conv, opts, text, lastTrainable, 0);
    if (isTurn(t)) return `use --last-turn-only (its final turn can be located), or ${tagged}`;
  }
  return `use ${tagged}`;
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
