import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Conversation, RawRow } from '../types.js';
import { renderOne, renderRawRow, type RenderContext, type RenderResult } from './render-row.js';

export type { RenderContext, RenderResult } from './render-row.js';

/** Renders batches; results in input order. */
export interface Renderer {
  /** Conversations already normalized (library use). */
  render(convs: Conversation[]): Promise<RenderResult[]>;
  /** Raw JSONL lines (`value` holds the unparsed text): parse, normalize and render. */
  renderRaw(rows: RawRow[]): Promise<RenderResult[]>;
  close(): Promise<void>;
}

/** Render on the calling thread. */
export function inlineRenderer(ctx: RenderContext): Renderer {
  return {
    render: async (convs) => convs.map((c) => renderOne(c, ctx)),
    renderRaw: async (rows) => rows.map((r) => renderRawRow(r, ctx)),
    async close() {},
  };
}

/**
 * Default worker count. With generation tags rendering is a few % of a row's cost and each worker
 * costs ~50 MB, so render inline; mask inference renders each conversation several times, so use
 * every core but the one the main thread (tokenizing, writing) needs.
 */
export function defaultWorkers(maskSource: 'generation' | 'infer' | 'none'): number {
  return maskSource === 'infer' ? Math.max(1, availableParallelism() - 1) : 0;
}

/**
 * A pool of worker threads rendering batches round-robin. Each worker gets the template source
 * and options once; batches go out as structured clones and come back matched by id.
 */
export function workerRenderer(ctx: RenderContext, workers: number): Renderer {
  // Under a TypeScript runner (tests) this module is src/*.ts: use the compiled worker from dist/.
  const url = import.meta.url.endsWith('.ts')
    ? new URL('../../dist/pipeline/render-worker.js', import.meta.url)
    : new URL('./render-worker.js', import.meta.url);
  const pool = Array.from(
    { length: workers },
    () =>
      new Worker(url, {
        workerData: {
          templateSource: ctx.template.source,
          toolTemplateSource: ctx.toolTemplate?.source,
          options: ctx.options,
          specialTokens: ctx.specialTokens,
          keep: ctx.keep,
        },
      }),
  );
  const waiting = new Map<number, { resolve: (r: RenderResult[]) => void; reject: (e: Error) => void }>();
  const fail = (e: Error) => {
    for (const p of waiting.values()) p.reject(e);
    waiting.clear();
  };
  for (const w of pool) {
    w.on('message', (m: { id: number; results: RenderResult[] }) => {
      waiting.get(m.id)?.resolve(m.results);
      waiting.delete(m.id);
    });
    w.on('error', fail);
    w.on('exit', (code) => {
      if (code !== 0) fail(new Error(`render worker exited with code ${code}`));
    });
  }
  let next = 0;
  const send = (kind: 'convs' | 'raw', items: unknown[]) => {
    const id = next++;
    return new Promise<RenderResult[]>((resolve, reject) => {
      waiting.set(id, { resolve, reject });
      pool[id % pool.length]!.postMessage({ id, kind, items });
    });
  };
  return {
    render: (convs) => send('convs', convs),
    renderRaw: (rows) => send('raw', rows),
    async close() {
      await Promise.all(pool.map((w) => w.terminate()));
    },
  };
}
