/**
 * Exact parity with Python transformers 5.x apply_chat_template(..., return_assistant_tokens_mask=True)
 * under --mask-rule hf, on real tokenizers, for both engines. Goldens: scripts/goldens/make_hf_goldens.py.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { processBatch } from '../../src/pipeline/process.js';
import { compileTemplate, renderConversation } from '../../src/render/index.js';
import type { LoadedTokenizer } from '../../src/tokenize/index.js';
import { sharedTokenizer } from '../shared-tokenizer.js';
import { conv, readJson, ROOT, testOptions } from '../helpers.js';

interface Render {
  id: string;
  conversation: { messages: never[]; tools?: unknown[] };
  add_generation_prompt: boolean;
  template_kwargs: Record<string, unknown>;
  rendered: string | null;
  rendered_utf16_spans: [number, number][] | null;
  error: string | null;
}
interface Case {
  id: string;
  conversations: string[];
  options: {
    truncation: boolean;
    max_length: number | null;
    padding: false | 'longest' | 'max_length';
    padding_side: 'left' | 'right';
    truncation_side: 'left' | 'right';
  };
  error?: string | null;
  input_ids?: number[][];
  attention_mask?: number[][];
  assistant_masks?: number[][];
}
interface Fixture {
  tokenizer_path: string;
  template_path: string;
  pad_token_set: { token: string; from_case: string } | null;
  renders: Render[];
  cases: Case[];
}

const dir = join(ROOT, 'test/fixtures/hf');
const all = readdirSync(dir).filter((f) => f.endsWith('.json') && !f.startsWith('_'));
// A fixture without a template records transformers' "no chat template" error (tested in render tests).
const files = all.filter((f) => readJson<Fixture>(join(dir, f)).template_path !== null);

describe.each(files)('%s', (file) => {
  const fx = readJson<Fixture>(join(dir, file));
  const template = compileTemplate(readFileSync(join(ROOT, fx.template_path), 'utf8'));
  const renders = new Map(fx.renders.map((r) => [r.id, r]));

  describe.each(['native', 'js'] as const)('%s engine', (engine) => {
    let tk: LoadedTokenizer;
    const load = async () => (tk ??= await sharedTokenizer(join(ROOT, fx.tokenizer_path), engine));

    it('renders every conversation exactly, with the golden generation spans', async () => {
      await load();
      for (const r of fx.renders) {
        const c = conv(r.conversation);
        const run = () =>
          renderConversation(c, {
            template,
            specialTokens: tk.specialTokens,
            addGenerationPrompt: r.add_generation_prompt,
            templateKwargs: r.template_kwargs,
          });
        if (r.error) {
          expect(run, r.id).toThrow();
          continue;
        }
        const out = run();
        expect(out.text, r.id).toBe(r.rendered);
        expect(out.spans, r.id).toEqual(r.rendered_utf16_spans);
      }
    });

    it('gives identical input_ids, attention_mask and assistant_masks for every case', async () => {
      await load();
      let checked = 0;
      for (const c of fx.cases) {
        // The generator sets a pad token for every case except the nopad__* ones (run before it did).
        const padSet = fx.pad_token_set !== null && !c.id.startsWith('nopad__');
        const rs = c.conversations.map((id) => renders.get(id)!);
        if (rs.some((r) => r.error) || c.id.includes('continue_final')) continue;
        const o = c.options;
        const options = testOptions({
          masks: 'generation',
          maskRule: 'hf',
          keepEmpty: true,
          addGenerationPrompt: rs[0]!.add_generation_prompt,
          templateKwargs: rs[0]!.template_kwargs,
          maxLength: o.max_length ?? undefined,
          truncation: o.truncation,
          truncationSide: o.truncation_side,
          padding: o.padding === false ? 'do_not_pad' : o.padding,
          paddingSide: o.padding_side,
          padToken: padSet ? fx.pad_token_set!.token : undefined,
          batchSize: rs.length,
        });
        const out = await processBatch(
          rs.map((r, i) => conv(r.conversation, i)),
          { tokenizer: tk, template, options },
        );
        if (c.error) {
          expect(
            out.some((r) => !r.ok),
            `${c.id} should fail: ${c.error}`,
          ).toBe(true);
          continue;
        }
        out.forEach((r, i) => {
          expect(r.ok, `${c.id}[${i}] ${!r.ok ? r.reject.message : ''}`).toBe(true);
          if (!r.ok) return;
          expect(Array.from(r.row.inputIds), `${c.id}[${i}] input_ids`).toEqual(c.input_ids![i]);
          expect(Array.from(r.row.attentionMask), `${c.id}[${i}] attention_mask`).toEqual(c.attention_mask![i]);
          expect(Array.from(r.row.assistantMasks), `${c.id}[${i}] assistant_masks`).toEqual(c.assistant_masks![i]);
        });
        checked++;
      }
      expect(checked).toBeGreaterThan(0);
    });
  });
});
