/**
 * Worker thread body: renders conversations (the JS-heavy stage) so several cores render while the
 * main thread tokenizes (Rust threads), masks, shapes and writes. Messages: `init` once, then batches.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { compileTemplate } from '../render/index.js';
import type { Conversation } from '../types.js';
import type { PipelineOptions } from './options.js';
import { renderWithSpans, type ProcessContext } from './process.js';
import type { RenderResult } from './renderers.js';

interface Init {
  templateSource: string;
  options: PipelineOptions;
  specialTokens: Record<string, unknown>;
}

const init = workerData as Init;
// The tokenizer is not needed to render; only its special tokens are.
const ctx = {
  template: compileTemplate(init.templateSource),
  options: init.options,
  tokenizer: { specialTokens: init.specialTokens },
} as unknown as ProcessContext;

parentPort!.on('message', (msg: { id: number; convs: Conversation[] }) => {
  const results: RenderResult[] = msg.convs.map((conv) => {
    try {
      return renderWithSpans(conv, ctx);
    } catch (e) {
      return { error: { name: (e as Error).name, message: (e as Error).message } };
    }
  });
  parentPort!.postMessage({ id: msg.id, results });
});
