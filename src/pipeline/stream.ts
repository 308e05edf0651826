import type { Conversation, Outcome, ShapedRow } from '../types.js';
import { chunk, mapOrdered } from './batches.js';
import { processBatch, renderContextOf, type ProcessContext } from './process.js';
import { pipelineRenderer } from './renderers.js';

/**
 * The render → tokenize → mask → shape stages as one streaming transform, for use inside training
 * code: conversations in, shaped rows (or rejections) out, in input order, with bounded look-ahead.
 * With `workers` > 0, worker threads render (and, with the own engine, tokenize) batches, as in
 * `chatshard run`; they stop when the stream ends or its consumer stops early.
 */
export async function* shapeConversations(
  conversations: AsyncIterable<Conversation> | Iterable<Conversation>,
  ctx: ProcessContext,
  workers = 0,
): AsyncGenerator<Outcome<ShapedRow>> {
  const size = ctx.options.padding === 'longest' ? ctx.options.batchSize : 256;
  const source = (async function* () {
    yield* conversations;
  })();
  const { renderer, ahead } = pipelineRenderer(renderContextOf(ctx), ctx.tokenizer.engine, workers);
  try {
    for await (const outcomes of mapOrdered(chunk(source, size), (b) => processBatch(b, ctx, renderer), ahead))
      yield* outcomes;
  } finally {
    await renderer.close();
  }
}
