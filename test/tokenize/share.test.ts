/**
 * The own engine shared with worker threads: `share()` moves the vocabulary and merge tables to
 * shared memory, and a copy built from it (as a worker builds it from workerData) tokenizes
 * exactly as the original, without a fallback engine of its own.
 */
import { describe, expect, it } from 'vitest';
import { BpeEngine, bpeEngineFromShare, loadTokenizer } from '../../src/tokenize/index.js';
import { TEXTS, tokenizerDir } from './fixtures.js';

// Byte-level BPE (Qwen2.5) and SentencePiece-style BPE with byte fallback (Llama 2).
describe.each(['qwen2_5', 'llama2'] as const)('%s: an engine copy from share()', (name) => {
  it('gives the same ids and offsets as the engine it came from, over shared tables', async () => {
    // Its own load: share() changes where the engine's tables live.
    const tk = await loadTokenizer(tokenizerDir(name), { engine: 'js' });
    const engine = tk.engine as BpeEngine;
    expect(engine).toBeInstanceOf(BpeEngine);
    const before = TEXTS.map((t) => engine.encodeSync(t));
    // structuredClone is what postMessage does to workerData: shared buffers stay shared.
    const shared = structuredClone(engine.share());
    expect(shared.model.merges.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(shared.model.vocab.ids.buffer).toBeInstanceOf(SharedArrayBuffer);
    // Plain byte-level BPE has the whole-char shortcut: its tables travel built, not rebuilt per thread.
    if (name === 'qwen2_5') expect(shared.model.wholeChars?.minUse.buffer).toBeInstanceOf(SharedArrayBuffer);
    else expect(shared.model.wholeChars).toBeUndefined();
    // No vocabulary or merges travel as JSON.
    expect(Object.keys(shared.json.model as object)).not.toContain('vocab');
    expect(Object.keys(shared.json.model as object)).not.toContain('merges');
    const copy = bpeEngineFromShare(shared);
    // Chinese and Cyrillic words: multi-byte chars take the whole-char start on the copy too.
    for (const t of ['你好世界，今天天气很好。我们去公园散步吧', 'Привет, как дела? Всё хорошо']) {
      expect(Array.from(copy.encodeSync(t)!.ids), t).toEqual(Array.from(engine.encodeSync(t)!.ids));
      expect(Array.from(copy.encodeSync(t)!.offsets), t).toEqual(Array.from(engine.encodeSync(t)!.offsets));
    }
    let compared = 0;
    TEXTS.forEach((t, i) => {
      const want = before[i];
      const got = copy.encodeSync(t);
      expect(got === undefined, `fallback for text ${i}`).toBe(want === undefined);
      if (!want || !got) return;
      expect(Array.from(got.ids), `ids of text ${i}`).toEqual(Array.from(want.ids));
      expect(Array.from(got.offsets), `offsets of text ${i}`).toEqual(Array.from(want.offsets));
      compared++;
    });
    expect(compared).toBeGreaterThan(TEXTS.length / 2);
    // The original keeps working on the tables it moved to shared memory.
    expect(Array.from(engine.encodeSync(TEXTS[0]!)!.ids)).toEqual(Array.from(before[0]!.ids));
    expect(copy.tokenToId(engine.idToToken(100)!)).toBe(100);
  });

  it('hands texts it cannot mirror back instead of calling a fallback', async () => {
    const tk = await loadTokenizer(tokenizerDir(name), { engine: 'js' });
    const copy = bpeEngineFromShare((tk.engine as BpeEngine).share());
    // U+0378 is unassigned: such texts go to Rust, which only the main thread has.
    expect(copy.encodeSync('a\u0378b')).toBeUndefined();
    await expect(copy.encode('a\u0378b')).rejects.toThrow(/no fallback engine/);
  });
});
