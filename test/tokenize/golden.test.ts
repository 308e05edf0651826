/**
 * Both engines against transformers' own output (golden-transformers.json, made by make-golden.py).
 *
 * `fast_rows` come from PreTrainedTokenizerFast, which runs tokenizer.json's pipeline as written: every
 * tokenizer and every text must match it exactly (ids and UTF-16 offsets).
 *
 * `rows` come from AutoTokenizer. transformers 5.x rebuilds some pipelines instead of using
 * tokenizer.json; chatshard follows tokenizer.json, so these differences are documented skips:
 * - deepseek_v3: the config says LlamaTokenizerFast, so 5.x swaps the byte-level pre-tokenizer for
 *   Llama's Metaspace one and ids differ on almost every text (skipped as a whole).
 * - llama2: tokenizer.json prepends `▁` unconditionally (legacy Prepend normalizer); 5.x's Metaspace
 *   skips it when the text already starts with a space or `▁` (those texts are skipped).
 */
import { describe, expect, it, beforeAll } from 'vitest';
import type { TokenizerEngine } from '../../src/tokenize/index.js';
import { sharedTokenizer } from '../shared-tokenizer.js';
import { golden, TEXTS, TOKENIZERS, tokenizerDir } from './fixtures.js';

const G = golden();

/** Texts where AutoTokenizer (5.x) knowingly differs from the tokenizer.json pipeline. */
const AUTO_DIVERGES: Partial<Record<string, (text: string) => boolean>> = {
  llama2: (text) => /^[ \u2581]/.test(text),
};
const AUTO_SKIPPED: Partial<Record<string, string>> = {
  deepseek_v3:
    'transformers 5.x AutoTokenizer loads deepseek_v3 as LlamaTokenizer and replaces its byte-level pre-tokenizer with Metaspace',
};

describe.each(TOKENIZERS)('transformers golden: %s', (name) => {
  const g = G.tokenizers[name]!;
  let engines: TokenizerEngine[];
  beforeAll(async () => {
    const dir = tokenizerDir(name);
    engines = [(await sharedTokenizer(dir, 'native')).engine, (await sharedTokenizer(dir, 'js')).engine];
  });

  it('metadata matches transformers', async () => {
    // Metadata does not depend on the engine: reuse the js one (what `auto` picks for these tokenizers).
    const tok = await sharedTokenizer(tokenizerDir(name), 'js');
    expect(tok.specialTokens).toEqual(g.special_tokens_map);
    expect(tok.paddingSide).toBe(g.padding_side);
    expect(tok.truncationSide).toBe(g.truncation_side);
    expect(tok.modelMaxLength ?? null).toBe(g.model_max_length);
    expect(tok.padTokenId ?? null).toBe(g.pad_token_id);
  });

  it('ids and offsets match PreTrainedTokenizerFast (tokenizer.json pipeline) on every text', async () => {
    expect(g.fast_rows).toHaveLength(TEXTS.length);
    for (const engine of engines) {
      const encs = await engine.encodeBatch(TEXTS);
      TEXTS.forEach((_text, i) => {
        const row = g.fast_rows[i]!;
        expect(Array.from(encs[i]!.ids), `${engine.kind} ids, text ${i}`).toEqual(row.ids);
        expect(Array.from(encs[i]!.offsets), `${engine.kind} offsets, text ${i}`).toEqual(row.offsets.flat());
      });
    }
  });

  it.skipIf(AUTO_SKIPPED[name] !== undefined)(
    `ids and offsets match AutoTokenizer outside documented divergences${AUTO_SKIPPED[name] ? ` (skipped: ${AUTO_SKIPPED[name]})` : ''}`,
    async () => {
      const diverges = AUTO_DIVERGES[name] ?? (() => false);
      for (const engine of engines) {
        const encs = await engine.encodeBatch(TEXTS);
        TEXTS.forEach((text, i) => {
          const row = g.rows[i]!;
          if (diverges(text)) {
            // The skip is only for texts where AutoTokenizer really differs from tokenizer.json.
            expect(row.ids, `text ${i} listed as divergent`).not.toEqual(g.fast_rows[i]!.ids);
            return;
          }
          expect(Array.from(encs[i]!.ids), `${engine.kind} ids, text ${i}`).toEqual(row.ids);
          expect(Array.from(encs[i]!.offsets), `${engine.kind} offsets, text ${i}`).toEqual(row.offsets.flat());
        });
      }
    },
  );
});
