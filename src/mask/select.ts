import { normalizeSpans } from '../render/index.js';
import type { Message, Span } from '../types.js';
import type { Turn } from './turn.js';

/** Which end-of-turn markers are trained: of every turn, of trained turns, of the last trained turn, or none. */
export type TrainOnEot = 'all' | 'turn' | 'last' | 'none';

export interface SelectOptions {
  /** Roles whose messages are trained (default `assistant`). */
  rolesToTrain: ReadonlySet<string>;
  trainOnEot: TrainOnEot;
  /** Train only the final trainable message (e.g. for preference-style data). */
  lastTurnOnly: boolean;
}

/** A message opts out with `train: false` or `weight: 0` (Axolotl / LLaMA-Factory conventions). */
export function messageTrains(m: Message): boolean {
  return m.train !== false && m.weight !== 0;
}

/** Turn the located turns into the spans to train on, honouring the training controls. */
export function selectSpans(turns: readonly Turn[], messages: readonly Message[], opts: SelectOptions): Span[] {
  const trained = turns.filter((t) => opts.rolesToTrain.has(t.role) && messageTrains(messages[t.message]!));
  const kept = opts.lastTurnOnly ? trained.slice(-1) : trained;
  const keptSet = new Set(kept);
  const last = kept[kept.length - 1];
  const spans: Span[] = [];
  for (const t of turns) {
    const isTrained = keptSet.has(t);
    const eot =
      opts.trainOnEot === 'all'
        ? true
        : opts.trainOnEot === 'turn'
          ? isTrained
          : opts.trainOnEot === 'last'
            ? t === last
            : false;
    if (isTrained) spans.push([t.start, eot ? t.end : t.contentEnd]);
    else if (eot && t.end > t.contentEnd) spans.push([t.contentEnd, t.end]);
  }
  return spans.filter(([s, e]) => e > s).sort((a, b) => a[0] - b[0]);
}

/** A row whose per-message training controls cannot be tied to its generation blocks. */
export class SpanSelectionError extends Error {
  override name = 'SpanSelectionError';
}

/** Sorted by start, no block starting inside an earlier one (nested blocks overlap). */
function disjointInOrder(spans: readonly Span[]): boolean {
  for (let k = 1; k < spans.length; k++) if (spans[k]![0] < spans[k - 1]![1]) return false;
  return true;
}

/**
 * Spans to train from a render's raw generation blocks (`rawSpans`: in completion order, empty
 * ones included). Blocks carry no message index: when there is one block per assistant message,
 * in order and not nested (the usual case), block k is assistant message k, so `train: false` /
 * `weight: 0` and `lastTurnOnly` apply per message, even when a block rendered empty (a tool-call
 * turn with no content). Otherwise every block is kept, and a row that needs the mapping (a message
 * opted out, or `lastTurnOnly`) throws `SpanSelectionError` rather than train the wrong turns.
 * Returns sorted, merged, non-empty spans.
 *
 * @example
 * // two assistant messages, the first `train: false`: only the second block is kept
 * selectTaggedSpans([[10, 14], [30, 36]], messages, opts); // [[30, 36]]
 */
export function selectTaggedSpans(raw: readonly Span[], messages: readonly Message[], opts: SelectOptions): Span[] {
  const assistants = messages.filter((m) => m.role === 'assistant');
  if (raw.length === assistants.length && disjointInOrder(raw)) {
    const trained = raw.filter((_, k) => messageTrains(assistants[k]!));
    return normalizeSpans(opts.lastTurnOnly ? trained.slice(-1) : trained);
  }
  if (opts.lastTurnOnly || assistants.some((m) => !messageTrains(m))) {
    throw new SpanSelectionError(
      `the template's ${raw.length} {% generation %} block(s) do not map one to one onto the row's ` +
        `${assistants.length} assistant message(s), so ${opts.lastTurnOnly ? '`last_turn_only`' : '`train: false` / `weight: 0`'} ` +
        'cannot be applied; use masks infer for this template',
    );
  }
  return normalizeSpans([...raw]);
}

/**
 * Why these selection options cannot apply to generation-tagged spans, or undefined. The blocks
 * mark what the template marks (assistant output); which roles to train is a mask-inference choice.
 *
 * @example
 * taggedSelectionProblem({ rolesToTrain: new Set(['user']), trainOnEot: 'turn', lastTurnOnly: false });
 * // '`roles_to_train` [user] needs masks infer: …'
 */
export function taggedSelectionProblem(opts: SelectOptions): string | undefined {
  const roles = [...opts.rolesToTrain];
  if (roles.length === 1 && roles[0] === 'assistant') return undefined;
  return (
    `\`roles_to_train\` [${roles.join(', ')}] needs masks infer: the template's {% generation %} blocks ` +
    'mark the assistant output it renders, whatever roles are asked for'
  );
}
