import type { Conversation, Outcome, ShapedRow } from '../types.js';
import { chunk, mapOrdered } from './batches.js';
import { processBatch, type ProcessContext } from './process.js';

/**
 * The render → tokenize → mask → shape stages as one streaming transform, for use inside training
 * code: conversations in, shaped rows (or rejections) out, in input order, with bounded look-ahead.
 */
export async function* shapeConversations(
  conversations: AsyncIterable<Conversation> | Iterable<Conversation>,
  ctx: ProcessContext,
): AsyncGenerator<Outcome<ShapedRow>> {
  const size = ctx.options.padding === 'longest' ? ctx.options.batchSize : 256;
  const source = (async function* () {
    yield* conversations;
  })();
  for await (const outcomes of mapOrdered(chunk(source, size), (b) => processBatch(b, ctx))) yield* outcomes;
}
