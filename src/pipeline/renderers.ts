import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { BpeEngine, type SharedBpeEngine } from '../tokenize/bpe/index.js';
import type { TokenizerEngine } from '../tokenize/engine.js';
import type { Conversation, RawRow } from '../types.js';
import type { KeptColumn } from './keep.js';
import type { PipelineOptions } from './options.js';
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

/** Input below this size is done sooner on the main thread than by starting workers (each loads the tokenizer). */
export const TOKENIZE_WORKERS_MIN_BYTES = 2 << 20;
/** Default cap on worker threads: each holds a template, and with the own engine a tokenizer copy (~40 MB). */
const MAX_DEFAULT_WORKERS = 7;

/**
 * Default worker count. With the own (pure JS) engine tokenizing is most of a row's cost and runs
 * on the calling thread, so once the input is large enough to repay their start, workers that
 * render and tokenize take every core but two (none below 4 cores, see `tokenizingWorkers`), and
 * the main thread takes batches too when they are all busy. With the native engine tokenizing
 * runs on Rust threads and, with generation tags, rendering is a few % of a row's cost: render
 * inline. Mask inference renders each conversation several times: every core but the main
 * thread's renders.
 *
 * @example
 * defaultWorkers('generation', { ownEngine: true, inputBytes: 20e6 }); // 6 on 8 cores, 0 on 2
 */
export function defaultWorkers(
  maskSource: 'generation' | 'infer' | 'none',
  run: { ownEngine: boolean; inputBytes?: number } = { ownEngine: false },
): number {
  const render = maskSource === 'infer' ? otherCores() : 0;
  const tokenize = run.ownEngine && isLarge(run.inputBytes) ? tokenizingWorkers() : 0;
  return Math.max(render, tokenize);
}

/**
 * Tokenizing workers for the own engine: every core but two (the main thread's, and one for V8's
 * collector threads and file I/O). Measured on 2 cores: a worker brought no wall-clock gain
 * (0.94-1.06x, one more core of CPU), as V8's GC threads already use the second core; so none there.
 */
function tokenizingWorkers(): number {
  const cores = availableParallelism();
  return cores >= 4 ? Math.min(cores - 2, MAX_DEFAULT_WORKERS) : 0;
}

/** Every core but the main thread's, at least 1 and at most the default cap. */
function otherCores(): number {
  return Math.min(Math.max(1, availableParallelism() - 1), MAX_DEFAULT_WORKERS);
}

/** Whether an input of this size repays starting workers; unknown size (stdin) counts as large, as big inputs stream. */
function isLarge(inputBytes: number | undefined): boolean {
  return inputBytes === undefined || inputBytes >= TOKENIZE_WORKERS_MIN_BYTES;
}

/**
 * Workers a run will likely use, started before the tokenizer is loaded (its engine decides the
 * count): they load their modules on other cores meanwhile. `adoptWorkers` fits them to the count.
 */
export function startLikelyWorkers(explicit: number | undefined, inputBytes: number | undefined): Worker[] {
  return startWorkers(explicit ?? (isLarge(inputBytes) ? tokenizingWorkers() : 0));
}

/** `pool` grown or cut (extra workers stopped) to `n` workers. */
export function adoptWorkers(pool: Worker[], n: number): Worker[] {
  for (const w of pool.slice(n)) void w.terminate();
  return [...pool.slice(0, n), ...startWorkers(n - Math.min(n, pool.length))];
}

/** Worker threads running the render worker, waiting for their `init` message (see `workerRenderer`). */
export function startWorkers(n: number): Worker[] {
  // Under a TypeScript runner (tests) this module is src/*.ts: use the compiled worker from dist/.
  const url = import.meta.url.endsWith('.ts')
    ? new URL('../../dist/pipeline/render-worker.js', import.meta.url)
    : new URL('./render-worker.js', import.meta.url);
  return Array.from({ length: n }, () => new Worker(url));
}

/**
 * Batches a worker may have queued before the main thread takes one itself (`helpInline`): one
 * running and one waiting, so a worker never idles while the main thread renders.
 */
export const WORKER_QUEUE = 2;

/**
 * The renderer of a run or stream, and how many batches to keep in flight for it: inline with no
 * workers; else `workers` threads, which also tokenize when `engine` is the own (pure JS) one, and
 * enough batches to keep every worker's queue full plus the one being consumed.
 */
export function pipelineRenderer(
  ctx: RenderContext,
  engine: TokenizerEngine,
  workers: number | Worker[],
): { renderer: Renderer; ahead: number } {
  const n = typeof workers === 'number' ? workers : workers.length;
  if (n === 0) return { renderer: inlineRenderer(ctx), ahead: 2 };
  const own = engine instanceof BpeEngine ? engine : undefined;
  const renderer = workerRenderer(ctx, workers, { engine: own?.share(), helpInline: own !== undefined });
  return { renderer, ahead: WORKER_QUEUE * n + 2 };
}

/** What a render worker is told before its first batch. */
export interface WorkerInit {
  templateSource: string;
  toolTemplateSource?: string;
  options: PipelineOptions;
  specialTokens: Record<string, unknown>;
  keep?: KeptColumn[];
  /** The main thread's own engine (`BpeEngine.share`), when workers also tokenize. */
  engine?: SharedBpeEngine;
}

/** What workers do besides rendering. */
export interface WorkerOptions {
  /** The own engine (`BpeEngine.share`): each worker runs a copy over the same tables and tokenizes what it renders. */
  engine?: SharedBpeEngine;
  /**
   * When every worker has `WORKER_QUEUE` batches, render the next (and so tokenize it, on the main
   * thread's engine) on the calling thread instead: the main thread is a worker too.
   */
  helpInline?: boolean;
}

/**
 * A pool of worker threads rendering batches, each batch to the least busy worker. Each worker
 * gets the template source and options once; batches go out as structured clones and come back
 * matched by id (encodings as transferred buffers).
 */
export function workerRenderer(ctx: RenderContext, workers: number | Worker[], opts: WorkerOptions = {}): Renderer {
  const pool = typeof workers === 'number' ? startWorkers(workers) : workers;
  const init: WorkerInit = {
    templateSource: ctx.template.source,
    toolTemplateSource: ctx.toolTemplate?.source,
    options: ctx.options,
    specialTokens: ctx.specialTokens,
    keep: ctx.keep,
    engine: opts.engine,
  };
  for (const w of pool) w.postMessage({ init });
  /** Batches sent to each worker and not yet back. */
  const busy = new Int32Array(pool.length);
  const inline = inlineRenderer(ctx);
  const waiting = new Map<
    number,
    { worker: number; resolve: (r: RenderResult[]) => void; reject: (e: Error) => void }
  >();
  const fail = (e: Error) => {
    for (const p of waiting.values()) p.reject(e);
    waiting.clear();
  };
  for (const w of pool) {
    w.on('message', (m: { id: number; results: RenderResult[] }) => {
      const p = waiting.get(m.id);
      if (!p) return;
      busy[p.worker]!--;
      waiting.delete(m.id);
      p.resolve(m.results);
    });
    w.on('error', fail);
    w.on('exit', (code) => {
      if (code !== 0) fail(new Error(`render worker exited with code ${code}`));
    });
  }
  let next = 0;
  const send = (kind: 'convs' | 'raw', items: unknown[]): Promise<RenderResult[]> => {
    let worker = 0;
    for (let k = 1; k < pool.length; k++) if (busy[k]! < busy[worker]!) worker = k;
    if (opts.helpInline && busy[worker]! >= WORKER_QUEUE) {
      return kind === 'raw' ? inline.renderRaw(items as RawRow[]) : inline.render(items as Conversation[]);
    }
    const id = next++;
    busy[worker]!++;
    return new Promise<RenderResult[]>((resolve, reject) => {
      waiting.set(id, { worker, resolve, reject });
      pool[worker]!.postMessage({ id, kind, items });
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
