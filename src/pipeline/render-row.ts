import { MaskInferenceError } from '../mask/infer.js';
import { SpanSelectionError, type SelectOptions } from '../mask/select.js';
import { renderWithSpans } from '../mask/spans.js';
import { normalizeRow, type FieldMapping } from '../normalize/index.js';
import {
  parsePyJson,
  RenderLimitError,
  TemplateError,
  type CompiledTemplate,
  type RenderOptions,
} from '../render/index.js';
import type { Conversation, KeptCell, RawRow, Span } from '../types.js';
import { keptCells, type KeptColumn } from './keep.js';
import type { PipelineOptions } from './options.js';

/**
 * What rendering one row gave: text with spans, or a rejection with its reason (a render error
 * is classified where it is thrown, so the result crosses threads as plain data).
 */
export type RenderResult =
  | {
      text: string;
      spans: Span[];
      roles?: string[];
      kept?: KeptCell[];
      /** Ids and offsets of `text`, when a worker thread with the own engine tokenized it. */
      enc?: { ids: Int32Array; offsets: Int32Array };
    }
  | {
      reject: { reason: string; message: string };
      /** The plain render (no spans) of a row whose masks could not be inferred; `render` shows it. */
      text?: string;
      roles?: string[];
      /** The row's kept input values (`keepColumns`), when it could be parsed. */
      kept?: KeptCell[];
    };

/** What rendering needs: templates, the tokenizer's special tokens (template variables) and the options. */
export interface RenderContext {
  template: CompiledTemplate;
  /** Template for rows that carry tools, when the tokenizer has a separate `tool_use` one. */
  toolTemplate?: CompiledTemplate;
  specialTokens: Record<string, unknown>;
  options: PipelineOptions;
  /** Kept input columns with their kinds (`keepColumns`, typed at startup from the input). */
  keep?: KeptColumn[];
}

/** The training controls of a run's options, as span selection takes them. */
export function selectOptionsOf(o: PipelineOptions): SelectOptions {
  return { rolesToTrain: new Set(o.rolesToTrain), trainOnEot: o.trainOnEot, lastTurnOnly: o.lastTurnOnly };
}

/** The reject reason of an error thrown while rendering a row. */
function reasonOf(e: unknown): string {
  if (e instanceof RenderLimitError) return 'render_limit';
  if (e instanceof MaskInferenceError) return 'mask_inference';
  if (e instanceof SpanSelectionError) return 'mask_selection';
  return 'template_error';
}

/** Render one conversation with the run's options; a thrown error becomes a classified rejection. */
export function renderOne(conv: Conversation, ctx: RenderContext): RenderResult {
  const o = ctx.options;
  const renderOpts: RenderOptions = {
    // transformers picks `tool_use` when `tools is not None`: an empty list counts.
    template: conv.tools !== undefined && ctx.toolTemplate ? ctx.toolTemplate : ctx.template,
    specialTokens: ctx.specialTokens,
    addGenerationPrompt: o.addGenerationPrompt,
    continueFinalMessage: o.continueFinalMessage,
    templateKwargs: o.templateKwargs,
    now: o.now,
    limits: { timeoutMs: o.renderTimeoutMs, maxOutputChars: o.maxRenderChars },
  };
  const select = selectOptionsOf(o);
  try {
    return renderWithSpans(conv, renderOpts, o.masks, select);
  } catch (e) {
    // A template error keeps Python's exception class (`TypeError: ...`), the line users search for.
    const message = e instanceof TemplateError ? `${e.pyType}: ${e.message}` : (e as Error).message;
    const reject = { reason: reasonOf(e), message };
    return e instanceof MaskInferenceError && e.text !== undefined ? { reject, text: e.text } : { reject };
  }
}

/** The field-mapping options of a run (`--messages-field`, `--role-map`, …) as normalizeRow takes them. */
export function fieldMappingOf(o: PipelineOptions): FieldMapping {
  return {
    messagesField: o.messagesField,
    roleField: o.roleField,
    contentField: o.contentField,
    roleMap: o.roleMap,
    toolsField: o.toolsField,
    system: o.system,
  };
}

/**
 * Parse (keeping `2.0` a float, as Python's json does), normalize and render one raw JSONL line.
 * Runs inside render workers, so the main thread only reads lines, tokenizes and writes.
 */
export function renderRawRow(raw: RawRow, ctx: RenderContext): RenderResult {
  let row = raw;
  if (raw.error === undefined) {
    try {
      row = { ref: raw.ref, index: raw.index, value: parsePyJson(raw.value as string) };
    } catch (e) {
      row = { ref: raw.ref, index: raw.index, error: `invalid JSON: ${(e as Error).message}` };
    }
  }
  // Kept values come from the raw row (the names users see in their files), before field mapping.
  const kept = ctx.keep && row.error === undefined ? keptCells(row.value, ctx.keep) : undefined;
  const conv = normalizeRow(row, fieldMappingOf(ctx.options));
  if (!conv.ok) return { reject: { reason: conv.reject.reason, message: conv.reject.message }, kept: kept?.cells };
  if (kept?.error !== undefined)
    return { reject: { reason: 'keep_column_type', message: kept.error }, kept: kept.cells };
  // The roles a row has, so the run can warn about a `rolesToTrain` role no row has.
  const out = renderOne(conv.row, ctx);
  // A run rejects the row either way: the text need not cross threads.
  if ('reject' in out) delete out.text;
  out.roles = [...new Set(conv.row.messages.map((m) => String(m.role)))];
  if (kept) out.kept = kept.cells;
  return out;
}
