/** Group an async stream into arrays of `size` (the last may be shorter). */
export async function* chunk<T>(source: AsyncIterable<T>, size: number): AsyncGenerator<T[]> {
  let buf: T[] = [];
  for await (const item of source) {
    buf.push(item);
    if (buf.length >= size) {
      yield buf;
      buf = [];
    }
  }
  if (buf.length > 0) yield buf;
}

/**
 * Map batches through an async function with up to `ahead` batches in flight, yielding results in
 * input order. Bounded look-ahead keeps memory constant while letting CPU work on the next batch
 * overlap the tokenizer's native threads.
 */
export async function* mapOrdered<T, R>(
  source: AsyncIterable<T>,
  fn: (item: T) => Promise<R>,
  ahead = 2,
): AsyncGenerator<R> {
  const inflight: Promise<R>[] = [];
  for await (const item of source) {
    const p = fn(item);
    p.catch(() => undefined); // surfaced when awaited below, in order
    inflight.push(p);
    if (inflight.length >= ahead) yield await inflight.shift()!;
  }
  while (inflight.length > 0) yield await inflight.shift()!;
}
