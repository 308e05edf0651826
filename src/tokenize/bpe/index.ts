import type { TokenizerEngine } from '../engine.js';
import { bpeUnsupported } from './capability.js';
import { BpeEngine, type BpeEngineOptions } from './engine.js';

export { bpeUnsupported } from './capability.js';
export { BpeEngine, type BpeEngineOptions } from './engine.js';

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
