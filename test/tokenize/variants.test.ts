/**
 * Pipeline pieces the shipped tokenizers barely use, exercised by editing a real tokenizer.json:
 * Metaspace pre-tokenizers (the modern Llama / Mistral v0.3 SentencePiece layout) with every
 * prepend scheme, ByteLevel add_prefix_space and offset trimming, Lowercase/NFKC normalizers,
 * lstrip/rstrip added tokens. chatshard's own engine must match the Rust binding on ids and
 * offsets, and must handle the texts itself rather than hand them to Rust.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NativeEngine, BpeEngine, bpeUnsupported } from '../../src/tokenize/index.js';
import { TEXTS, tokenizerDir } from './fixtures.js';

type Json = Record<string, any>;
/** gpt2 stands in for byte-level layouts (smallest vocabulary), qwen2_5 where its added tokens matter. */
const base = (name: 'qwen2_5' | 'llama2' | 'gpt2'): Json =>
  JSON.parse(readFileSync(join(tokenizerDir(name), 'tokenizer.json'), 'utf8'));

const EXTRA = [
  ' leading',
  '  x  y  ',
  ' ',
  '   ',
  '\n',
  '\n\nx',
  ' \n x',
  '▁x ▁ y',
  '😀 a',
  'ΣΑΣ İstanbul ÀÉÎ',
  'ﬁ ① ＡＢ ㎏',
  '<|im_start|>  padded  <|im_end|>  tail',
  'a <|im_end|> b',
  '<s>Hello</s> world',
  '<s> Hello',
  ' <s>  Hello  </s>  ',
  'x<s>\nHello',
  '\t\t  \n\n  a   b \u3000 c\u00a0 d  ',
  '½ ¼ 3² x³ 1234567 ٣٤ 𝟗',
  'a.b,,c!? «q» ⸃ ᙭ 𑇉 ⹃ — …',
  'word    \n\n\n    word',
];

/** Agreement on every text; `handled` texts must not fall back to Rust. */
async function expectAgreement(json: Json, maxFallbacks = 0): Promise<void> {
  expect(bpeUnsupported(json)).toBeUndefined();
  const native = new NativeEngine(JSON.stringify(json), 'variant');
  const own = new BpeEngine(json, { fallback: () => native });
  const texts = [...TEXTS, ...EXTRA];
  const want = await native.encodeBatch(texts);
  let fallbacks = 0;
  for (let i = 0; i < texts.length; i++) {
    const got = own.encodeSync(texts[i]!);
    if (!got) {
      fallbacks++;
      continue;
    }
    expect(Array.from(got.ids), `ids of ${JSON.stringify(texts[i])}`).toEqual(Array.from(want[i]!.ids));
    expect(Array.from(got.offsets), `offsets of ${JSON.stringify(texts[i])}`).toEqual(Array.from(want[i]!.offsets));
  }
  expect(fallbacks).toBeLessThanOrEqual(maxFallbacks);
}

const metaspace = (extra: Json): Json => {
  const j = base('llama2');
  j.normalizer = null;
  j.pre_tokenizer = { type: 'Metaspace', replacement: '\u2581', ...extra };
  return j;
};

describe('pipeline variants: own engine and Rust agree', () => {
  it('Metaspace, prepend_scheme first, no split (Mistral v0.3, Llama legacy=false)', async () => {
    await expectAgreement(metaspace({ prepend_scheme: 'first', split: false }));
  });

  it('Metaspace, prepend_scheme always, split', async () => {
    await expectAgreement(metaspace({ prepend_scheme: 'always', split: true }));
  });

  it('Metaspace, prepend_scheme never, split', async () => {
    await expectAgreement(metaspace({ prepend_scheme: 'never', split: true }));
  });

  it('Metaspace in the older spelling (add_prefix_space, no prepend_scheme)', async () => {
    await expectAgreement(metaspace({ add_prefix_space: true }));
    await expectAgreement(metaspace({ add_prefix_space: false, prepend_scheme: 'never' }));
    expect(bpeUnsupported(metaspace({ add_prefix_space: false }))).toBe(
      'Metaspace add_prefix_space contradicts prepend_scheme',
    );
  });

  it('Metaspace first with lstrip/rstrip added tokens and a normalized added token', async () => {
    const j = metaspace({ prepend_scheme: 'first', split: false });
    for (const t of j.added_tokens) if (t.content === '<s>') t.lstrip = t.rstrip = true;
    j.added_tokens.push({
      id: 500,
      content: 'Hello',
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: true,
      special: false,
    });
    await expectAgreement(j);
  });

  it('ByteLevel pre-tokenizer with add_prefix_space (GPT-2 / RoBERTa style)', async () => {
    const j = base('gpt2');
    j.normalizer = null;
    j.pre_tokenizer = { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true };
    j.post_processor = { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true };
    await expectAgreement(j);
  });

  it('Digits then ByteLevel with add_prefix_space: every piece gets its space', async () => {
    const j = base('gpt2');
    j.normalizer = null;
    j.pre_tokenizer = {
      type: 'Sequence',
      pretokenizers: [
        { type: 'Digits', individual_digits: true },
        { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
      ],
    };
    await expectAgreement(j);
  });

  it('ByteLevel post-processor with trim_offsets', async () => {
    const j = base('qwen2_5');
    j.post_processor = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false };
    await expectAgreement(j, 1);
  });

  it('ByteLevel trim_offsets with add_prefix_space on both sides (first token keeps its space)', async () => {
    const j = base('gpt2');
    j.normalizer = null;
    j.pre_tokenizer = { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true };
    j.post_processor = { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true };
    await expectAgreement(j);
  });

  it('RobertaProcessing trims offsets only when it has both keys (else Rust reads it as BertProcessing)', async () => {
    const j = base('gpt2');
    j.normalizer = null;
    j.pre_tokenizer = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };
    j.post_processor = { type: 'RobertaProcessing', sep: ['</s>', 2], cls: ['<s>', 0] };
    await expectAgreement(j);
    j.post_processor = { ...j.post_processor, trim_offsets: true, add_prefix_space: false };
    await expectAgreement(j);
    j.post_processor = { ...j.post_processor, trim_offsets: true, add_prefix_space: true };
    await expectAgreement(j);
  });

  it('trim_offsets on a whitespace added token (real spaces count like Ġ)', async () => {
    const j = base('gpt2');
    j.added_tokens.push({
      id: 50257,
      content: '  \t',
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: false,
    });
    j.post_processor = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };
    await expectAgreement(j);
  });

  it('Falcon: Punctuation, ByteLevel, then Digits and a Split over the byte-level string', async () => {
    const j = base('gpt2');
    j.normalizer = null;
    j.pre_tokenizer = {
      type: 'Sequence',
      pretokenizers: [
        { type: 'Punctuation', behavior: 'Contiguous' },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
        { type: 'Digits', individual_digits: false },
        { type: 'Split', pattern: { Regex: '[0-9][0-9][0-9]' }, behavior: 'Isolated', invert: false },
      ],
    };
    await expectAgreement(j);
  });

  it('Falcon 3: individual digits after ByteLevel split byte chars such as ½ ² ³ too', async () => {
    const j = base('gpt2');
    j.normalizer = null;
    j.pre_tokenizer = {
      type: 'Sequence',
      pretokenizers: [
        { type: 'Punctuation', behavior: 'Isolated' },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
        { type: 'Digits', individual_digits: true },
      ],
    };
    await expectAgreement(j);
  });

  it('Lowercase + NFKC normalizers', async () => {
    const j = base('qwen2_5');
    j.normalizer = { type: 'Sequence', normalizers: [{ type: 'NFKC' }, { type: 'Lowercase' }] };
    await expectAgreement(j, 1);
  });

  it('added tokens with lstrip/rstrip', async () => {
    const j = base('qwen2_5');
    for (const t of j.added_tokens)
      if (t.content === '<|im_start|>' || t.content === '<|im_end|>') t.lstrip = t.rstrip = true;
    await expectAgreement(j, 1);
  });
});

describe('unsupported pre-tokenizer layouts are named', () => {
  it('two prefixing steps', () => {
    const j = base('gpt2');
    j.pre_tokenizer = {
      type: 'Sequence',
      pretokenizers: [
        { type: 'Metaspace', replacement: '\u2581', prepend_scheme: 'always', split: false },
        { type: 'ByteLevel', add_prefix_space: true, use_regex: true },
      ],
    };
    expect(bpeUnsupported(j)).toBe('two prefixing pre-tokenizers (Metaspace / ByteLevel add_prefix_space)');
  });

  it('a pre-tokenizer after ByteLevel that does not split', () => {
    const j = base('gpt2');
    j.pre_tokenizer = {
      type: 'Sequence',
      pretokenizers: [{ type: 'ByteLevel', add_prefix_space: false, use_regex: true }, { type: 'Whitespace' }],
    };
    expect(bpeUnsupported(j)).toBe('Whitespace pre-tokenizer after ByteLevel');
  });

  it('a Metaspace replacement that is not one UTF-16 unit', () => {
    const j = metaspace({ replacement: '𝔘', prepend_scheme: 'always' });
    expect(bpeUnsupported(j)).toBe('Metaspace replacement "𝔘"');
  });
});
