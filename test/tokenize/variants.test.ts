/**
 * Pipeline pieces none of the seven shipped tokenizers use, exercised by editing a real
 * tokenizer.json: ByteLevel offset trimming, a Metaspace pre-tokenizer (the modern Llama/Mistral
 * SentencePiece layout), Lowercase/NFKC normalizers, lstrip/rstrip added tokens. Native and js
 * engines must agree on ids and offsets.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NativeEngine, JsEngine } from '../../src/tokenize/index.js';
import { TEXTS, tokenizerDir } from './fixtures.js';

type Json = Record<string, any>;
const base = (name: 'qwen2_5' | 'llama2'): Json =>
  JSON.parse(readFileSync(join(tokenizerDir(name), 'tokenizer.json'), 'utf8'));

const EXTRA = [
  ' leading',
  '  x  y  ',
  'ΣΑΣ İstanbul ÀÉÎ',
  'ﬁ ① ＡＢ ㎏',
  '<|im_start|>  padded  <|im_end|>  tail',
  'a <|im_end|> b',
];

async function expectAgreement(json: Json): Promise<void> {
  const text = JSON.stringify(json);
  const native = new NativeEngine(text, 'variant');
  const js = new JsEngine(json, {}, 'variant');
  const texts = [...TEXTS, ...EXTRA];
  const n = await native.encodeBatch(texts);
  for (let i = 0; i < texts.length; i++) {
    const j = await js.encode(texts[i]!);
    expect(Array.from(j.ids), `ids of ${JSON.stringify(texts[i])}`).toEqual(Array.from(n[i]!.ids));
    expect(Array.from(j.offsets), `offsets of ${JSON.stringify(texts[i])}`).toEqual(Array.from(n[i]!.offsets));
  }
}

describe('pipeline variants: native and js agree', () => {
  it('ByteLevel post-processor with trim_offsets', async () => {
    const j = base('qwen2_5');
    j.post_processor = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false };
    await expectAgreement(j);
  });

  it('Metaspace pre-tokenizer (prepend_scheme first), no normalizer', async () => {
    const j = base('llama2');
    j.normalizer = null;
    j.pre_tokenizer = { type: 'Metaspace', replacement: '\u2581', prepend_scheme: 'first', split: false };
    await expectAgreement(j);
  });

  it('Lowercase + NFKC normalizers', async () => {
    const j = base('qwen2_5');
    j.normalizer = { type: 'Sequence', normalizers: [{ type: 'NFKC' }, { type: 'Lowercase' }] };
    await expectAgreement(j);
  });

  it('added tokens with lstrip/rstrip', async () => {
    const j = base('qwen2_5');
    for (const t of j.added_tokens)
      if (t.content === '<|im_start|>' || t.content === '<|im_end|>') t.lstrip = t.rstrip = true;
    await expectAgreement(j);
  });
});
