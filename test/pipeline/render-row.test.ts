/**
 * renderOne / renderRawRow when mask inference fails: the row is rejected (`mask_inference`), and
 * renderOne keeps the plain render for `chatshard render`; renderRawRow (the run's worker path)
 * drops it, so run's rejected row is unchanged.
 */
import { describe, expect, it } from 'vitest';
import { normalizeRow } from '../../src/normalize/index.js';
import { renderOne, renderRawRow, type RenderContext } from '../../src/pipeline/render-row.js';
import { compileTemplate } from '../../src/render/index.js';
import { testOptions } from '../helpers.js';

// Drops earlier assistant turns, so their content is nowhere in the full render: inference fails.
const DROPS =
  '{% for m in messages %}{% if not (m.role == "assistant" and not loop.last) %}<{{ m.role }}>{{ m.content }}</s>{% endif %}{% endfor %}';
const value = {
  messages: [
    { role: 'user', content: 'a' },
    { role: 'assistant', content: 'first answer' },
    { role: 'user', content: 'b' },
    { role: 'assistant', content: 'second answer' },
  ],
};
const ctx: RenderContext = {
  specialTokens: {},
  template: compileTemplate(DROPS),
  options: testOptions({ masks: 'infer' }),
};
const ref = { file: 'rows.jsonl', line: 1 };

describe('mask inference failure', () => {
  it('renderOne rejects the row and keeps the plain render', () => {
    const row = normalizeRow({ ref, index: 0, value });
    if (!row.ok) throw new Error(row.reject.message);
    const out = renderOne(row.row, ctx);
    expect('reject' in out && out.reject.reason).toBe('mask_inference');
    expect(out.text).toBe('<user>a</s><user>b</s><assistant>second answer</s>');
  });

  it('renderRawRow (run) rejects the row without the text', () => {
    const out = renderRawRow({ ref, index: 0, value: JSON.stringify(value) }, ctx);
    expect(out).toEqual({
      reject: { reason: 'mask_inference', message: expect.stringContaining('assistant') as string },
      roles: ['user', 'assistant'],
    });
  });

  it('a template error carries no text', () => {
    const bad: RenderContext = { ...ctx, template: compileTemplate('{{ raise_exception("no") }}') };
    const row = normalizeRow({ ref, index: 0, value });
    if (!row.ok) throw new Error(row.reject.message);
    const out = renderOne(row.row, bad);
    expect(out).toEqual({ reject: { reason: 'template_error', message: 'TemplateError: no' } });
  });
});
