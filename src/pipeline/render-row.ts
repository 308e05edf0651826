import { normalizeRow } from '../normalize/index.js';
import { parsePyJson } from '../render/index.js';
import type { Conversation, RawRow } from '../types.js';
import { renderWithSpans, type ProcessContext } from './process.js';
import type { RenderResult } from './renderers.js';

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
