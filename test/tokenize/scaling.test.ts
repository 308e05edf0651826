/**
 * The js engine must stay linear: llama2 has no pre-tokenizer, so a section is one long BPE word.
 * A wall-clock ratio, so opt-in (CHATSHARD_BENCH=1, like write/perf.test.ts): under a loaded machine
 * or parallel test files it measures the neighbours, not the engine.
 */
import { describe, expect, it } from 'vitest';
import { readTokenizerFiles, createEngine } from '../../src/tokenize/index.js';
import { TEXTS, tokenizerDir } from './fixtures.js';

describe.skipIf(!process.env.CHATSHARD_BENCH).each(['llama2', 'qwen2_5'] as const)('js engine scaling: %s', (name) => {
  it('10x the text costs far less than 100x the time', async () => {
    const js = createEngine(await readTokenizerFiles(tokenizerDir(name)), 'js');
    const unit = TEXTS.slice(1, 14).join('\n');
    const time = async (reps: number) => {
      const text = unit.repeat(reps).replace(/ /g, (m, i: number) => (i % 7 ? m : ` ${i} `)); // defeat caches a bit
      const t0 = performance.now();
      const enc = await js.encode(text);
      expect(enc.ids.length).toBeGreaterThan(reps);
      return performance.now() - t0;
    };
    await time(5); // warm-up
    const small = await time(20);
    const large = await time(200);
    expect(large).toBeLessThan(small * 30 + 500);
  });
});
