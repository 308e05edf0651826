import { normalizeRow } from '../normalize/index.js';
import { inferSpans } from '../mask/infer.js';
import { selectTaggedSpans, type SelectOptions } from '../mask/select.js';
import { parsePyJson, renderConversation, type RenderOptions } from '../render/index.js';
import type { Conversation, RawRow, Span } from '../types.js';
import type { PipelineOptions } from './options.js';
import type { ProcessContext } from './process.js';
import type { RenderResult } from './renderers.js';

export function selectOptionsOf(o: PipelineOptions): SelectOptions {
  return { rolesToTrain: new Set(o.rolesToTrain), trainOnEot: o.trainOnEot, lastTurnOnly: o.lastTurnOnly };
}

/** Render one conversation and find the spans to train on (template tags or inference). */
export function renderWithSpans(conv: Conversation, ctx: ProcessContext): { text: string; spans: Span[] } {
  const o = ctx.options;
  const template = conv.tools && ctx.toolTemplate ? ctx.toolTemplate : ctx.template;
  const renderOpts: RenderOptions = {
    template,
    specialTokens: ctx.tokenizer.specialTokens,
    addGenerationPrompt: o.addGenerationPrompt,
    continueFinalMessage: o.continueFinalMessage,
    templateKwargs: o.templateKwargs,
    now: o.now,
    limits: { timeoutMs: o.renderTimeoutMs, maxOutputChars: o.maxRenderChars },
  };
  const select = selectOptionsOf(o);
  // --masks none: no spans; shapeRendered trains every token.
  if (o.masks === 'none') return { text: renderConversation(conv, renderOpts).text, spans: [] };
  const useTags = o.masks === 'generation' || (o.masks === 'auto' && template.hasGeneration);
  if (!useTags) return inferSpans(conv, renderOpts, select);
  const { text, spans } = renderConversation(conv, renderOpts);
  return { text, spans: selectTaggedSpans(spans, conv.messages, select) };
}

/** Render one conversation, turning a thrown error into a result (name kept for classification). */
export function renderOne(conv: Conversation, ctx: ProcessContext): RenderResult {
  try {
    return renderWithSpans(conv, ctx);
  } catch (e) {
    return { error: { name: (e as Error).name, message: (e as Error).message } };
  }
}

/**
 * Parse (keeping `2.0` a float, as Python's json does), normalize and render one raw JSONL line.
 * Runs inside render workers, so the main thread only reads lines, tokenizes and writes.
 */
export function renderRawRow(raw: RawRow, ctx: ProcessContext): RenderResult {
  let row = raw;
  if (raw.error === undefined) {
    try {
      row = { ref: raw.ref, index: raw.index, value: parsePyJson(raw.value as string) };
    } catch (e) {
      row = { ref: raw.ref, index: raw.index, error: `invalid JSON: ${(e as Error).message}` };
    }
  }
  const o = ctx.options;
  const conv = normalizeRow(row, {
    messagesField: o.messagesField,
    roleField: o.roleField,
    contentField: o.contentField,
    roleMap: o.roleMap,
    toolsField: o.toolsField,
    system: o.system,
  });
  if (!conv.ok) return { reject: { reason: conv.reject.reason, message: conv.reject.message } };
  return renderOne(conv.row, ctx);
}
