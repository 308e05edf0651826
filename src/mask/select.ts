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

/**
 * Generation-tag spans carry no message index; when there is one span per assistant message (the
 * usual case) map them in order so per-message controls still apply, otherwise keep them all.
 */
export function selectTaggedSpans(spans: readonly Span[], messages: readonly Message[], opts: SelectOptions): Span[] {
  const assistants = messages.map((m, i) => ({ m, i })).filter(({ m }) => m.role === 'assistant');
  let kept = [...spans];
  if (assistants.length === spans.length) kept = spans.filter((_, k) => messageTrains(assistants[k]!.m));
  return opts.lastTurnOnly ? kept.slice(-1) : kept;
}
