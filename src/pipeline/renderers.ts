import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Conversation, Span } from '../types.js';
import { renderWithSpans, type ProcessContext } from './process.js';

/** Rendered text with its spans, or the error that stopped the render (name kept for classification). */
export type RenderResult = { text: string; spans: Span[] } | { error: { name: string; message: string } };

/** Renders a batch of conversations; results in input order. */
export interface Renderer {
  render(convs: Conversation[]): Promise<RenderResult[]>;
  close(): Promise<void>;
}

/** Render on the calling thread. */
export function inlineRenderer(ctx: ProcessContext): Renderer {
  return {
    async render(convs) {
      return convs.map((conv) => {
        try {
          return renderWithSpans(conv, ctx);
        } catch (e) {
          return { error: { name: (e as Error).name, message: (e as Error).message } };
        }
      });
    },
    async close() {},
  };
}

/** Default worker count: every core but one is left to the main thread and the Rust tokenizer threads. */
export function defaultWorkers(): number {
  return Math.max(1, availableParallelism() - 1);
}

/**
 * A pool of worker threads rendering batches round-robin. Each worker gets the template source
 * once; batches are small structured clones, results come back in order via ids.
 */
export function workerRenderer(ctx: ProcessContext, templateSource: string, workers: number): Renderer {
  // Under a TypeScript runner (tests) this module is src/*.ts: use the compiled worker from dist/.
  const url = import.meta.url.endsWith('.ts')
    ? new URL('../../dist/pipeline/render-worker.js', import.meta.url)
    : new URL('./render-worker.js', import.meta.url);
  const pool = Array.from({ length: workers }, () =>
    new Worker(url, {
      workerData: { templateSource, options: ctx.options, specialTokens: ctx.tokenizer.specialTokens },
    }),
  );
  const waiting = new Map<number, { resolve: (r: RenderResult[]) => void; reject: (e: Error) => void }>();
  for (const w of pool) {
    w.on('message', (m: { id: number; results: RenderResult[] }) => {
      waiting.get(m.id)?.resolve(m.results);
      waiting.delete(m.id);
    });
    w.on('error', (e) => {
      for (const p of waiting.values()) p.reject(e);
      waiting.clear();
    });
  }
  let next = 0;
  return {
    render(convs) {
      const id = next++;
      return new Promise((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        pool[id % pool.length]!.postMessage({ id, convs });
      });
    },
    async close() {
      await Promise.all(pool.map((w) => w.terminate()));
    },
  };
}
