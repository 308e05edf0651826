import type { TokenizerEngine } from '../engine.js';
import { bpeUnsupported } from './capability.js';
import { BpeEngine, type BpeEngineOptions, type SharedBpeEngine } from './engine.js';

export { bpeUnsupported } from './capability.js';
export { BpeEngine, type BpeEngineOptions, type SharedBpeEngine } from './engine.js';

/**
 * chatshard's own BPE engine for `json`, or the reason it cannot reproduce this tokenizer exactly.
 *
 * @example
 * const engine = createBpeEngine(files.tokenizerJson, { fallback: () => new NativeEngine(text, path) });
 * if (typeof engine === 'string') console.log(`not supported: ${engine}`);
 */
export function createBpeEngine(json: Record<string, unknown>, opts: BpeEngineOptions): TokenizerEngine | string {
  const why = bpeUnsupported(json);
  return why ?? new BpeEngine(json, opts);
}

/**
 * A copy of an own engine on another thread, from its `share()`. It has no fallback: callers use
 * `encodeSync` and hand the texts it returns undefined for back to the thread that has one.
 *
 * @example
 * const copy = bpeEngineFromShare(engine.share()); // in a worker, from workerData
 * copy.encodeSync('Hi') ?? 'ask the main thread';
 */
export function bpeEngineFromShare(
  shared: SharedBpeEngine,
  opts: Pick<BpeEngineOptions, 'segmentCacheInts'> = {},
): BpeEngine {
  const fallback = () => {
    throw new Error('this copy of the own engine has no fallback engine: use encodeSync');
  };
  return new BpeEngine(shared.json, { ...opts, fallback, sharedModel: shared.model }, shared.extraAdded);
}
