/**
 * Worker thread body: parses, normalizes and renders rows (the JS-heavy stages) so several cores
 * render while the main thread reads, tokenizes (Rust threads), masks, shapes and writes.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { compileTemplate } from '../render/index.js';
import type { Conversation, RawRow } from '../types.js';
import type { KeptColumn } from './keep.js';
import type { PipelineOptions } from './options.js';
import { renderOne, renderRawRow, type RenderContext } from './render-row.js';

const init = workerData as {
  templateSource: string;
  toolTemplateSource?: string;
  options: PipelineOptions;
  specialTokens: Record<string, unknown>;
  keep?: KeptColumn[];
};
// Rendering needs only the tokenizer's special tokens, not the tokenizer.
const ctx: RenderContext = {
  template: compileTemplate(init.templateSource),
  toolTemplate: init.toolTemplateSource === undefined ? undefined : compileTemplate(init.toolTemplateSource),
  options: init.options,
  specialTokens: init.specialTokens,
  keep: init.keep,
};

parentPort!.on('message', (msg: { id: number; kind: 'convs' | 'raw'; items: unknown[] }) => {
  const results =
    msg.kind === 'raw'
      ? (msg.items as RawRow[]).map((r) => renderRawRow(r, ctx))
      : (msg.items as Conversation[]).map((c) => renderOne(c, ctx));
  parentPort!.postMessage({ id: msg.id, results });
});
