import { renderConversation, type CompiledTemplate, type RenderOptions } from '../render/index.js';
import type { Conversation, Span } from '../types.js';
import { inferSpans } from './infer.js';
import { selectTaggedSpans, SpanSelectionError, taggedSelectionProblem, type SelectOptions } from './select.js';

/**
 * Where spans come from: `{% generation %}` tags, inference, tags when the template has them, or
 * `none` (no spans: the shape stage then trains every token).
 */
export type SpanSource = 'auto' | 'generation' | 'infer' | 'none';

/** Whether `source` uses the template's generation tags for this template. */
export function usesTags(source: SpanSource, template: CompiledTemplate): boolean {
  return source === 'generation' || (source === 'auto' && template.hasGeneration);
}

/**
 * Render a conversation and find the character spans to train on: the template's generation tags
 * (mapped to messages so per-message controls apply), or spans inferred from prefix renders.
 * The one place that decides which; the CLI, the library and the render workers all call it.
 *
 * @example
 * const { text, spans } = renderWithSpans(conv, { template, specialTokens }, 'auto',
 *   { rolesToTrain: new Set(['assistant']), trainOnEot: 'turn', lastTurnOnly: false });
 */
export function renderWithSpans(
  conv: Conversation,
  renderOpts: RenderOptions,
  source: SpanSource,
  select: SelectOptions,
): { text: string; spans: Span[] } {
  if (source === 'none') return { text: renderConversation(conv, renderOpts).text, spans: [] };
  if (!usesTags(source, renderOpts.template)) return inferSpans(conv, renderOpts, select);
  // Runs refuse this at setup; a row-level error here covers every other caller (`chatshard render`).
  const problem = taggedSelectionProblem(select);
  if (problem) throw new SpanSelectionError(problem);
  const { text, rawSpans } = renderConversation(conv, renderOpts);
  return { text, spans: selectTaggedSpans(rawSpans, conv.messages, select) };
}
