/**
 * chatshard's own BPE engine, piece by piece: the Oniguruma → V8 regex translation, the capability
 * check, and cases where exactness hinges on one rule (segment cache, long-word merge queue, NFC
 * mark runs handed to Rust). End-to-end agreement with Rust on all fixtures is agreement.test.ts;
 * scripts/tokenizer-diff.mjs runs the full differential over ../shared/data.
 */
import { describe, expect, it, beforeAll } from 'vitest';
import { compileOnig, translateOnig } from '../../src/tokenize/bpe/regex.js';
import { bpeUnsupported, BpeEngine } from '../../src/tokenize/bpe/index.js';
import { newerUnicodeThanTables } from '../../src/tokenize/bpe/unicode-age.js';
import { createEngine, type TokenizerEngine } from '../../src/tokenize/index.js';
import type { TokenizerFiles } from '../../src/tokenize/files.js';
import { sharedFiles, sharedTokenizer } from '../shared-tokenizer.js';
import { tokenizerDir } from './fixtures.js';

const matches = (src: string, text: string) => [...text.matchAll(compileOnig(src)!)].map((m) => m[0]);

describe('Oniguruma to V8 regex translation', () => {
  it('\\s is Unicode White_Space: U+0085 yes, U+FEFF no', () => {
    expect(matches('\\s+', 'a\u0085\u00a0b\ufeffc')).toEqual(['\u0085\u00a0']);
    expect(matches('\\S+', 'a\u0085b\ufeff')).toEqual(['a', 'b\ufeff']);
  });

  it('(?i:...) folds case including long s and the Kelvin sign', () => {
    expect(matches("(?i:'s|'ll)", "'S 'ſ 'Ll 'lL 'x")).toEqual(["'S", "'ſ", "'Ll", "'lL"]);
    expect(matches('(?i:k)', 'kK\u212a')).toEqual(['k', 'K', '\u212a']);
  });

  it('. excludes only \\n, as in Oniguruma', () => {
    expect(matches('a.b', 'a\rb a\nb a\u2028b')).toEqual(['a\rb', 'a\u2028b']);
  });

  it('keeps property classes and escaped punctuation', () => {
    expect(matches('[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}', 'x1234 ¡Hola')).toEqual(['x', '123', '4', '¡Hola']);
    expect(matches('[!\\-./\\[\\\\\\]][A-Za-z]+', 'a-b [c \\d ]e')).toEqual(['-b', '[c', '\\d', ']e']);
  });

  it('\\w is what the Rust binding matches: Alphabetic (Ⓐ, Ⅻ), marks, Nd, Pc, and ² ³ ¹ ¼ ½ ¾', () => {
    expect(matches('\\w+', 'a² Ⓐ Ⅻ ৴ x\u200dy ½')).toEqual(['a²', 'Ⓐ', 'Ⅻ', 'x', 'y', '½']);
    expect(matches('\\W+', 'a৴b')).toEqual(['৴']);
  });

  it('refuses constructs it cannot translate exactly', () => {
    expect(translateOnig('^abc')).toBeUndefined();
    expect(translateOnig('a++')).toBeUndefined();
    expect(translateOnig('(?>a)')).toBeUndefined();
    expect(translateOnig('\\bword')).toBeUndefined();
    expect(translateOnig('[a[b]]')).toBeUndefined();
    expect(compileOnig('a*')).toBeUndefined(); // can match the empty string
  });
});

describe('capability check', () => {
  let files: TokenizerFiles;
  beforeAll(async () => {
    files = await sharedFiles(tokenizerDir('qwen2_5'));
  });
  /** A copy deep enough for the edits below (vocab and merges stay shared). */
  const copy = () => {
    const j = { ...files.tokenizerJson } as Record<string, any>;
    j.model = { ...j.model };
    j.pre_tokenizer = structuredClone(j.pre_tokenizer);
    return j;
  };
  const variant = (edit: (j: Record<string, any>) => void) => {
    const j = copy();
    edit(j);
    return bpeUnsupported(j);
  };

  it('accepts the shipped byte-level and SentencePiece-style tokenizers', async () => {
    expect(bpeUnsupported(files.tokenizerJson)).toBeUndefined();
    expect(bpeUnsupported((await sharedFiles(tokenizerDir('llama2'))).tokenizerJson)).toBeUndefined();
  });

  it('names what it does not support', () => {
    expect(variant((j) => (j.model.type = 'Unigram'))).toBe('model Unigram');
    expect(variant((j) => (j.model.dropout = 0.1))).toBe('BPE dropout');
    expect(variant((j) => (j.normalizer = { type: 'Precompiled' }))).toBe('normalizer Precompiled');
    expect(variant((j) => (j.post_processor = { type: 'ByteLevel' }))).toBeUndefined();
    expect(variant((j) => (j.post_processor = { type: 'Custom' }))).toBe('post-processor Custom');
    expect(variant((j) => (j.pre_tokenizer = { type: 'Whitespace' }))).toBe('pre-tokenizer Whitespace');
    expect(variant((j) => (j.pre_tokenizer.pretokenizers[1].add_prefix_space = true))).toBeUndefined();
    expect(variant((j) => j.pre_tokenizer.pretokenizers.push({ type: 'Digits' }))).toBeUndefined();
    expect(variant((j) => j.pre_tokenizer.pretokenizers.push({ type: 'Whitespace' }))).toBe(
      'Whitespace pre-tokenizer after ByteLevel',
    );
  });

  it('engine auto picks the own engine, native when unsupported', async () => {
    expect(createEngine(files, 'auto')).toBeInstanceOf(BpeEngine);
    const j = copy();
    j.model.dropout = 0.1;
    const text = JSON.stringify(j);
    const edited: TokenizerFiles = { ...files, tokenizerText: text, tokenizerJson: j };
    expect(createEngine(edited, 'auto').kind).toBe('native');
  });
});

describe.each(['qwen2_5', 'llama2'] as const)('exactness rules: %s', (name) => {
  let native: TokenizerEngine;
  let files: TokenizerFiles;
  beforeAll(async () => {
    files = await sharedFiles(tokenizerDir(name));
    native = (await sharedTokenizer(tokenizerDir(name), 'native')).engine;
  });
  const expectSame = async (engine: TokenizerEngine, text: string) => {
    const [a, b] = [await native.encode(text), await engine.encode(text)];
    expect(Array.from(b.ids)).toEqual(Array.from(a.ids));
    expect(Array.from(b.offsets)).toEqual(Array.from(a.offsets));
  };

  it('a cached segment gives the same tokens at another position', async () => {
    const own = createEngine(files, 'js');
    const system = 'You are a careful assistant. Answer in English, cite sources, and keep it short.';
    await expectSame(own, `<|im_start|>system\n${system}<|im_end|>\n<s>x`);
    await expectSame(own, `<s>prefix  <|im_start|>system\n${system}<|im_end|>`);
    await expectSame(own, `${system}</s>${system}`);
  });

  it('words longer than the quadratic loop handles go through the merge queue', async () => {
    const own = createEngine(files, 'js');
    await expectSame(own, 'supercalifragilisticexpialidocious'.repeat(8));
    await expectSame(own, 'ab'.repeat(500) + ' ' + 'hello'.repeat(300));
  });

  it("texts with chars newer than Rust's Unicode tables go to Rust whole, and match it", async () => {
    const own = createEngine(files, 'js') as BpeEngine;
    // U+1ACF (a combining mark) and U+11DE0 (a digit) are assigned in V8 only.
    for (const text of ['ab\u1acfcd efg', 'x \u{11de0}\u{11de1}2 y']) {
      expect(own.encodeSync(text)).toBeUndefined();
      await expectSame(own, text);
    }
    expect(own.encodeSync('ab cd')).toBeDefined();
  });

  it('texts with chars V8 does not know (Rust may, on a Node with older Unicode data) go to Rust whole', async () => {
    const own = createEngine(files, 'js') as BpeEngine;
    // U+0378 is unassigned in every Unicode version so far; U+FFFF is a noncharacter (also Cn).
    for (const text of ['ab\u0378cd efg', 'x \uffff y']) {
      expect(own.encodeSync(text)).toBeUndefined();
      await expectSame(own, text);
    }
  });

  it('texts with combining-mark runs under a Unicode normalizer match Rust (handed to it)', async () => {
    const own = createEngine(files, 'js');
    await expectSame(own, 'x \u03f3\u1df7\u1df0 y a\u0308\u0303 e\u0301');
  });

  it('mark runs that the Unicode form leaves unchanged stay in the own engine and match Rust', async () => {
    const own = createEngine(files, 'js') as BpeEngine;
    // Thai vowel + tone mark stacks, and marks newer than Rust's tables, already in canonical order.
    const text = 'สู่ความ เพื่อผล x \u03f3\u1df7\u1df0 y';
    expect(text.normalize('NFC')).toBe(text);
    expect(own.encodeSync(text)).toBeDefined();
    await expectSame(own, text);
  });
});

describe('Unicode data of this Node', () => {
  it('a Node with Unicode newer than the tables checked against Rust is not supported (auto uses Rust)', () => {
    expect(newerUnicodeThanTables('18.0')).toBe('Node Unicode 18.0 is newer than the checked tables (17.0)');
    expect(newerUnicodeThanTables('17.1')).toMatch(/newer than the checked tables/);
    expect(newerUnicodeThanTables('17.0')).toBeUndefined();
    expect(newerUnicodeThanTables('15.1')).toBeUndefined();
  });
});
