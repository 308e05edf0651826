/** How many worker threads a run starts by default (`defaultWorkers`). */
import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import {
  defaultWorkers,
  TOKENIZE_WORKERS_MIN_BYTES,
  WORKER_QUEUE,
  workerRenderer,
} from '../../src/pipeline/renderers.js';
import { compileTemplate } from '../../src/render/index.js';
import { BpeEngine, loadTokenizer } from '../../src/tokenize/index.js';
import { testOptions } from '../helpers.js';
import { tokenizerDir } from '../tokenize/fixtures.js';

const others = Math.min(Math.max(1, availableParallelism() - 1), 7);
// Tokenizing workers leave a core to the main thread and one to V8's collector: none below 4 cores.
const tokenizing = availableParallelism() >= 4 ? Math.min(availableParallelism() - 2, 7) : 0;

describe('defaultWorkers', () => {
  it('own engine: every core but two once the input repays starting them', () => {
    expect(defaultWorkers('generation', { ownEngine: true, inputBytes: TOKENIZE_WORKERS_MIN_BYTES })).toBe(tokenizing);
    expect(defaultWorkers('none', { ownEngine: true, inputBytes: 1e9 })).toBe(tokenizing);
    // stdin: size unknown, counted as large.
    expect(defaultWorkers('generation', { ownEngine: true })).toBe(tokenizing);
  });

  it('own engine on a small input: the main thread alone (tags), or render workers (inference)', () => {
    expect(defaultWorkers('generation', { ownEngine: true, inputBytes: TOKENIZE_WORKERS_MIN_BYTES - 1 })).toBe(0);
    expect(defaultWorkers('infer', { ownEngine: true, inputBytes: 1000 })).toBe(others);
    expect(defaultWorkers('infer', { ownEngine: true, inputBytes: 1e9 })).toBe(Math.max(others, tokenizing));
  });

  it('native engine: Rust threads tokenize, so workers only render, and only for inference', () => {
    expect(defaultWorkers('generation', { ownEngine: false, inputBytes: 1e9 })).toBe(0);
    expect(defaultWorkers('none', { ownEngine: false })).toBe(0);
    expect(defaultWorkers('infer', { ownEngine: false, inputBytes: 1e9 })).toBe(others);
  });
});

describe('workerRenderer with the own engine', () => {
  it('tokenizes on the worker exactly as the main thread engine, and the main thread helps when it is busy', async () => {
    const tk = await loadTokenizer(tokenizerDir('qwen2_5'), { engine: 'js' });
    const engine = tk.engine as BpeEngine;
    const template = compileTemplate(
      '{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}',
    );
    const ctx = { template, specialTokens: tk.specialTokens, options: testOptions({ masks: 'none' }) };
    const rows = (n: number, from: number) =>
      Array.from({ length: n }, (_, i) => ({
        ref: { file: 'x.jsonl', line: from + i + 1 },
        index: from + i,
        value: JSON.stringify({
          messages: [
            { role: 'user', content: `問題 ${from + i}: what is ${i} + ${i}?` },
            { role: 'assistant', content: `Ответ ${2 * i} 😀` },
          ],
        }),
      }));
    const renderer = workerRenderer(ctx, 1, { engine: engine.share(), helpInline: true });
    try {
      // Three batches at once: the (only) worker queues WORKER_QUEUE of them, the main thread takes the next.
      const batches = await Promise.all([0, 1, 2].map((k) => renderer.renderRaw(rows(4, 4 * k))));
      expect(WORKER_QUEUE).toBe(2);
      for (const r of batches.flat()) {
        if ('reject' in r) throw new Error(r.reject.message);
        if (r.enc) {
          const want = engine.encodeSync(r.text)!;
          expect(Array.from(r.enc.ids)).toEqual(Array.from(want.ids));
          expect(Array.from(r.enc.offsets)).toEqual(Array.from(want.offsets));
        }
      }
      const tokenized = batches.map((b) => b.every((r) => 'enc' in r && r.enc !== undefined));
      // Rendered inline: the main thread's engine tokenizes that batch later, in shapeRendered.
      expect(tokenized).toEqual([true, true, false]);
    } finally {
      await renderer.close();
    }
  });
});
