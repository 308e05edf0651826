import { describe, expect, it } from 'vitest';
import type { Encoding, TokenLocator } from '../../src/types.js';
import { readTokenizerFiles } from '../../src/tokenize/files.js';
import { NativeEngine, type NativeOptions } from '../../src/tokenize/native.js';
import { segmentPlan, separatorOf } from '../../src/tokenize/native-plan.js';
import { parseAddedTokens } from '../../src/tokenize/bpe/added-tokens.js';
import { locatorOf } from '../../src/mask/locate.js';
import { tokenizerDir, type TokenizerName } from './fixtures.js';

type Json = Record<string, unknown> & { added_tokens: Record<string, unknown>[] };

/** Texts whose pieces repeat (within a batch and across batches) around tricky added-token neighbours. */
function texts(added: string[]): string[] {
  const [a = '<s>', b = '</s>', c = '<unk>'] = added;
  const system = `${a}system\nYou are a careful assistant. Answer in JSON: {"k": [1, 2]}.${b}\n`;
  const turn = (u: string, r: string) => `${a}user\n${u}${b}\n${a}assistant\n${r}${b}\n`;
  const out = [
    system + turn('Hi there', 'Hello!'),
    system + turn('Hi there', 'Hello!') + turn('¿Qué tal? 中文 😀', ' spaced  out '),
    `${a}${b}${c}${a}`,
    ` ${a} x ${b}\t${c}\n\n`,
    `  ${a}  `,
    `x${a}y${a}y${a}y`,
    // Longer than one joined Rust input (32K units).
    `${a}${'abc '.repeat(9000)}${b}${'中'.repeat(3000)}${b}`,
    '',
    'no added token at all',
    'e\u0301 \u{1f600}\u0301 a\u0308\u0303 ½ ٣',
    `lone \ud800 surrogate ${a}\udc00${b}`,
    `${a.slice(0, -1)} look-alike ${b.slice(1)}`,
  ];
  return [...out, ...out.slice(0, 6)];
}

async function load(name: TokenizerName, edit?: (json: Json) => void, opts: NativeOptions = {}) {
  const files = await readTokenizerFiles(tokenizerDir(name));
  const json = (edit ? structuredClone(files.tokenizerJson) : files.tokenizerJson) as Json;
  edit?.(json);
  const text = edit ? JSON.stringify(json) : files.tokenizerText;
  return {
    json,
    plain: new NativeEngine(text, name, () => json, { segments: false }),
    cached: new NativeEngine(text, name, () => json, { cacheInts: 1 << 12, ...opts }),
    added: json.added_tokens.map((t) => t.content as string),
  };
}

/** Ids, offsets and every boundary answer equal (locator read before the offsets). */
function expectSame(got: Encoding, want: Encoding, text: string): void {
  expect(Array.from(got.ids)).toEqual(Array.from(want.ids));
  const g = locatorOf(got);
  const w = want.locator!;
  const step = text.length > 5000 ? 97 : 1;
  const answers = (l: TokenLocator) => {
    const out: number[] = [];
    for (let p = -1; p <= text.length; p += step) out.push(l.tokenAt(p));
    for (let i = 0; i < want.ids.length; i += step) out.push(l.start(i), l.end(i));
    return out;
  };
  expect(answers(g)).toEqual(answers(w));
  expect(Array.from(got.offsets)).toEqual(Array.from(want.offsets));
}

async function compare(name: TokenizerName, edit?: (json: Json) => void, pick?: (added: string[]) => string[]) {
  const { plain, cached, added } = await load(name, edit);
  const seg = cached.pieceWise();
  expect(seg).not.toBeNull();
  const all = texts(pick ? pick(added) : added.slice(0, 3));
  // Three batches: pieces are cached on their second sight and served from the cache on the third.
  for (const batch of [all, all.slice(0, 4), all]) {
    const want = await plain.encodeBatch(batch);
    const got = await cached.encodeBatch(batch);
    batch.forEach((t, i) => expectSame(got[i]!, want[i]!, t));
  }
  expect(seg!.stats.hits).toBeGreaterThan(10);
  const one = await cached.encode(all[1]!);
  expect(Array.from(one.ids)).toEqual(Array.from((await plain.encode(all[1]!)).ids));
}

describe('native engine with the segment cache equals plain Rust encoding', () => {
  it('qwen2_5 (ByteLevel BPE, NFC)', () => compare('qwen2_5'), 60_000);
  it(
    'llama2 (Prepend + Replace normalizer, byte fallback, separator id also in the vocab)',
    () => compare('llama2'),
    60_000,
  );
  it(
    'lstrip / rstrip / normalized added tokens',
    () =>
      compare(
        'qwen2_5',
        (json) => {
          const at = (c: string) => json.added_tokens.find((t) => t.content === c)!;
          at('<|im_start|>').rstrip = true;
          at('<|im_end|>').lstrip = true;
          at('<tool_call>').lstrip = at('<tool_call>').rstrip = true;
          const token = { single_word: false, lstrip: false, rstrip: false, special: false };
          json.added_tokens.push({ ...token, id: 151700, content: 'careful assistant', normalized: true });
          json.added_tokens.push({ ...token, id: 151701, content: ' x ', normalized: false });
        },
        () => ['<|im_start|>', '<|im_end|>', '<tool_call>'],
      ),
    60_000,
  );
});

/** One long chat row: many turns, some repeated word for word, some unique, some long. */
function longRow(a: string, b: string): string {
  const words = ['alpha', 'béta', '中文', '½', '  ', '\n', 'x1234567', '😀', "don't", 'ab\u0301c'];
  let row = `${a}system\nYou are a careful assistant.${b}\n`;
  for (let t = 0; t < 600; t++) {
    let say = '';
    for (let w = 0; w < 5 + ((t * 7) % 40); w++) say += words[(t * 13 + w * w) % words.length]! + ' ';
    if (t % 50 === 7) say = say.repeat(60);
    row += `${a}${t % 2 ? 'assistant' : 'user'}\n${t % 3 ? say : 'Same again?'}${b}\n`;
  }
  return row;
}

describe('native engine: long batches encoded in groups', () => {
  it('ids, offsets and boundaries equal one plain encode of the whole row (llama2)', async () => {
    // Thresholds scaled down so a ~100K-unit row takes the long path in several groups.
    const opts = { cacheInts: 1 << 16, longChars: 1 << 14, groupChars: 1 << 13 };
    const { plain, cached, added } = await load('llama2', undefined, opts);
    const [a = '<s>', b = '</s>'] = added;
    const row = longRow(a, b);
    expect(row.length).toBeGreaterThan(60_000);
    const want = await plain.encode(row);
    const seg = cached.pieceWise()!;
    const got = await cached.encode(row);
    expect(seg.stats.longBatches).toBe(1);
    // Read out at once: no Rust encoding kept behind the row.
    expect(got.locator).toBeUndefined();
    expectSame(got, want, row);
    // Next to short rows in one batch, twice: repeated pieces are cached, then served from the cache.
    const batch = [row.slice(0, 5000), row, `${a}${b}`];
    const wants = await plain.encodeBatch(batch);
    for (let round = 0; round < 2; round++) {
      const gots = await cached.encodeBatch(batch);
      batch.forEach((t, i) => expectSame(gots[i]!, wants[i]!, t));
    }
    expect(seg.stats.longBatches).toBe(3);
    expect(seg.stats.hits).toBeGreaterThan(100);
  }, 60_000);
});

describe('segmentPlan: what makes a piece depend on its context', () => {
  it('accepts the fixtures and picks a separator', async () => {
    const q = (await readTokenizerFiles(tokenizerDir('qwen2_5'))).tokenizerJson;
    const plan = segmentPlan(q);
    expect(typeof plan === 'string' ? plan : [plan.sep, plan.sepId]).toEqual(['<|endoftext|>', 151643]);
  });

  it('names the reasons to encode whole texts', async () => {
    // The vocabulary plays no part in the plan.
    const base = { ...(await readTokenizerFiles(tokenizerDir('qwen2_5'))).tokenizerJson, model: { type: 'BPE' } };
    const variant = (edit: (j: Json) => void) => {
      const j = structuredClone(base) as unknown as Json;
      edit(j);
      return segmentPlan(j);
    };
    expect(variant((j) => (j.added_tokens[1]!.single_word = true))).toBe('a raw added token with single_word');
    expect(
      variant((j) => (j.pre_tokenizer = { type: 'Metaspace', replacement: '▁', prepend_scheme: 'first', split: true })),
    ).toBe('Metaspace pre-tokenizer with prepend_scheme first');
    expect(variant((j) => (j.post_processor = { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true }))).toBe(
      'ByteLevel post-processor trimming offsets with add_prefix_space',
    );
    expect(typeof variant((j) => (j.post_processor = { type: 'ByteLevel', add_prefix_space: false }))).toBe('object');
    expect(variant((j) => ((j.model as Record<string, unknown>).dropout = 0.1))).toBe('BPE dropout');
    expect(variant((j) => (j.added_tokens = j.added_tokens.map((t) => ({ ...t, normalized: true }))))).toBe(
      'no added token can separate pieces',
    );
  });

  it('separator: no raw token may run into it or extend it', () => {
    const tok = (content: string, extra: Record<string, unknown> = {}) => ({ id: 0, content, ...extra });
    const pick = (list: Record<string, unknown>[]) =>
      separatorOf(parseAddedTokens(list), parseAddedTokens(list))?.content;
    expect(pick([tok('<a>'), tok('<b>')])).toBe('<a>');
    // 'x<a' could start inside the piece before '<a>' and swallow the separator's start.
    expect(pick([tok('<a>'), tok('x<a'), tok('<b>')])).toBe('x<a');
    // '<a>z' would win over '<a>' when the next piece starts with 'z'.
    expect(pick([tok('<a>'), tok('<a>z')])).toBe('<a>z');
    // 'aba' can start inside a piece ending in 'ab'.
    expect(pick([tok('aba'), tok('[c]')])).toBe('[c]');
    expect(pick([tok('<a>', { lstrip: true }), tok('<b>', { rstrip: true }), tok(' <c>'), tok('<a>')])).toBe(undefined);
  });
});
