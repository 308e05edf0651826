import {
  loadTokenizer,
  readTokenizerFiles,
  type EngineChoice,
  type LoadedTokenizer,
  type TokenizerFiles,
} from '../src/tokenize/index.js';

const tokenizers = new Map<string, Promise<LoadedTokenizer>>();
const files = new Map<string, Promise<TokenizerFiles>>();

/** Get `key` from `cache`, or start `load()` and keep it; a failed load is dropped so the next caller sees the error again. */
function memo<T>(cache: Map<string, Promise<T>>, key: string, load: () => Promise<T>): Promise<T> {
  let p = cache.get(key);
  if (!p) {
    p = load();
    cache.set(key, p);
    p.catch(() => cache.delete(key));
  }
  return p;
}

/**
 * `loadTokenizer(dir, { engine })`, built once per test worker and then shared: unit files share
 * their worker thread (vitest.config.ts), and building a real tokenizer costs about a second of CPU
 * each time. Only for tests that read the tokenizer; a test that changes one loads its own.
 *
 * @example
 *   const tk = await sharedTokenizer(lenml('qwen2_5'), 'native');
 */
export function sharedTokenizer(dir: string, engine: EngineChoice = 'auto'): Promise<LoadedTokenizer> {
  return memo(tokenizers, `${engine}\0${dir}`, () => loadTokenizer(dir, { engine }));
}

/** `readTokenizerFiles(dir)`, read once per test worker and shared (read-only, as sharedTokenizer). */
export function sharedFiles(dir: string): Promise<TokenizerFiles> {
  return memo(files, dir, () => readTokenizerFiles(dir));
}
