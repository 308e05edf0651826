import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  outlineSpans,
  outlineSpansFit,
  parseTokenizerOutline,
  unparsedText,
  valueKind,
  type Member,
} from '../../src/tokenize/json-outline.js';
import { mergesFromJson, vocabFromJson } from '../../src/tokenize/bpe/model-json.js';
import { BpeModel } from '../../src/tokenize/bpe/model.js';
import { Vocab } from '../../src/tokenize/bpe/vocab.js';
import { lenml } from '../helpers.js';

/** Escapes, array-index keys, a repeated key, a non-ASCII key and both merge forms. */
const VOCAB = '{"b": 1, "a": 0, "10": 7, "2": 6, "\\"q": 4, "ab": 2, "中": 3, "a\\\\": 5, "b": 8, "zz": 9}';
const TOKENIZER = (merges: string) =>
  `{\n  "version": "1.0",\n  "added_tokens": [{"id": 9, "content": "zz"}],\n  "model": {\n    "type": "BPE",\n    "vocab": ${VOCAB},\n    "merges": ${merges},\n    "ignore_merges": false\n  }\n}\n`;

describe('parseTokenizerOutline', () => {
  it('reads as JSON.parse does, with vocab and merges parsed on first read', () => {
    const text = TOKENIZER('["a b", ["a", "b"]]');
    const json = parseTokenizerOutline(Buffer.from(text), 'tok.json')!;
    const model = json.model as Record<string, unknown>;
    expect(unparsedText(model, 'vocab')).toBe(VOCAB);
    expect(valueKind(model, 'vocab')).toBe('object');
    expect(valueKind(model, 'merges')).toBe('array');
    expect(valueKind(model, 'ignore_merges')).toBe('boolean');
    expect(Object.keys(model)).toEqual(['type', 'vocab', 'merges', 'ignore_merges']);
    expect(json).toEqual(JSON.parse(text));
    // Read once: now a plain value, no longer unparsed.
    expect(unparsedText(model, 'vocab')).toBeUndefined();
    expect(Object.getOwnPropertyDescriptor(model, 'vocab')?.value).toEqual(JSON.parse(VOCAB));
  });

  it('lets the values be replaced before they are read', () => {
    const json = parseTokenizerOutline(Buffer.from(TOKENIZER('[]')), 'tok.json')!;
    const model = json.model as Record<string, unknown>;
    model.merges = ['x y'];
    expect(model.merges).toEqual(['x y']);
    expect(unparsedText(model, 'merges')).toBeUndefined();
  });

  it('leaves other layouts to JSON.parse', () => {
    const outline = (s: string) => parseTokenizerOutline(Buffer.from(s), 'tok.json');
    expect(outline('{"model": {"type": "BPE"}}')).toBeUndefined(); // nothing big to defer
    expect(outline('{"model": {"vocab": {}, "vocab": {}, "merges": []}}')).toBeUndefined(); // repeated key
    expect(outline('{"model": {"vocab": {}, "merges": []}} x')).toBeUndefined(); // trailing text
    expect(outline('{"model": {"vocab": {}, "merges": [}}')).toBeUndefined(); // unbalanced
    expect(outline('[1]')).toBeUndefined();
  });

  it('names the file when a deferred value is not JSON', () => {
    const json = parseTokenizerOutline(Buffer.from('{"model": {"vocab": {"a": 1,}, "merges": []}}'), 'dir/tok.json')!;
    expect(() => (json.model as Record<string, unknown>).vocab).toThrow(
      /^dir\/tok\.json is not valid JSON: .*model\.vocab/,
    );
  });
});

describe('vocabFromJson / mergesFromJson', () => {
  it('build the tables JSON.parse objects give, key order and repeated keys included', () => {
    const fast = vocabFromJson(VOCAB)!;
    const slow = new Vocab(JSON.parse(VOCAB) as Record<string, number>);
    expect(fast.size).toBe(slow.size);
    expect(fast.tokens()).toEqual(slow.tokens());
    expect(fast.get('b')).toBe(8);
    expect(fast.get('"q')).toBe(4);
    expect(fast.get('a\\')).toBe(5);
    expect(fast.get('中')).toBe(3);
  });

  it('take only plain ids and well-formed merges, leaving the rest to the JSON.parse path', () => {
    for (const v of [
      '{"a": 1.0}',
      '{"a": -1}',
      '{"a": 1e3}',
      '{"a": 01}',
      '{"a": "1"}',
      '{"a\n": 1}',
      '{"a": 1,}',
      '[]',
    ])
      expect(vocabFromJson(v)).toBeUndefined();
    expect(vocabFromJson('{}')?.size).toBe(0);
    const v = vocabFromJson(VOCAB)!;
    expect(mergesFromJson('["a b"]', v)).toBeDefined();
    expect(mergesFromJson('[["a", "b"], "a b"]', v)).toBeDefined();
    for (const m of ['["a  b"]', '["ab"]', '["a c"]', '[["a", "b", "c"]]', '[1]', '["a b",]'])
      expect(mergesFromJson(m, v)).toBeUndefined();
  });

  it('give a real tokenizer the same model as its parsed tokenizer.json', () => {
    const bytes = readFileSync(join(lenml('llama2'), 'tokenizer.json'));
    const model = parseTokenizerOutline(bytes, 'tokenizer.json')!.model as Record<string, unknown>;
    const fast = new BpeModel(model, true);
    expect(unparsedText(model, 'vocab')).toBeDefined(); // built from the text, not parsed
    const slow = new BpeModel((JSON.parse(bytes.toString('utf8')) as { model: Record<string, unknown> }).model, true);
    // Compared as bytes / one string: toEqual over 32k tokens and a 256k-entry table is slow.
    expect(fast.vocab.tokens().join('\u0000')).toBe(slow.vocab.tokens().join('\u0000'));
    const [a, b] = [fast.share().merges, slow.share().merges];
    expect(
      Buffer.compare(
        Buffer.from(a.buffer, a.byteOffset, a.byteLength),
        Buffer.from(b.buffer, b.byteOffset, b.byteLength),
      ),
    ).toBe(0);
  });
});

describe('outlineSpansFit', () => {
  it('accepts the spans of these very bytes and refuses any other', () => {
    const b = new Uint8Array(Buffer.from(TOKENIZER('["a b"]')));
    const spans = outlineSpans(b)!;
    expect(spans.map((m) => m.key)).toEqual(['vocab', 'merges']);
    expect(outlineSpansFit(b, spans)).toBe(true);
    const [v, m] = spans as [Member, Member];
    const refused: [string, unknown][] = [
      ['not a list', { key: 'vocab' }],
      ['empty', []],
      ['a null entry', [v, null]],
      [
        'keys swapped',
        [
          { ...v, key: 'merges' },
          { ...m, key: 'vocab' },
        ],
      ],
      ['the same key twice', [v, { ...m, key: 'vocab' }]],
      ['out of order', [m, v]],
      ['shifted by one byte', [{ ...v, from: v.from + 1 }, m]],
      ['past the end', [v, { ...m, to: b.length + 1 }]],
      ['another key', [{ ...v, key: 'model' }]],
    ];
    for (const [what, s] of refused) expect(outlineSpansFit(b, s), what).toBe(false);
  });
});
