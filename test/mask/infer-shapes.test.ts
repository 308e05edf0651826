import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inferTurns, MaskInferenceError, placeOf } from '../../src/mask/infer.js';
import { compileTemplate, type RenderOptions } from '../../src/render/index.js';
import type { Conversation, Message } from '../../src/types.js';
import { ROOT } from '../helpers.js';

/**
 * One small template per way real templates render history (fixtures under
 * test/fixtures/infer/shapes/), each over the same adversarial conversations: assistant content that
 * repeats the user's text, empty content, content equal to another template's role marker, unicode
 * outside the BMP, a tool call with empty content, reasoning in the content (and one document, for the
 * template that prints documents after the final message).
 *
 * Expected: [message, method, start, end, span text] per located turn, or the rejection step.
 */
const DIR = join(ROOT, 'test', 'fixtures', 'infer', 'shapes');
const CONVS = JSON.parse(readFileSync(join(DIR, 'conversations.json'), 'utf8')) as Record<
  string,
  { messages: Message[]; tools?: unknown[] }
>;
type Expected = [number, string, number, number, string][] | { rejected: string };

const TABLE: Record<string, Record<string, Expected>> = {
  'trailer-after-last': {
    basic: [
      [2, 'anchor', 68, 77, 'hello</s>'],
      [4, 'anchor', 117, 128, 'goodbye</s>'],
    ],
    repeat: [
      [1, 'anchor', 46, 59, 'same text</s>'],
      [3, 'anchor', 105, 118, 'same text</s>'],
    ],
    empty: [
      [1, 'anchor', 38, 42, '</s>'],
      [3, 'anchor', 81, 87, 'a2</s>'],
    ],
    marker: [
      [1, 'anchor', 38, 52, '<|im_end|></s>'],
      [3, 'anchor', 96, 107, '</turn></s>'],
    ],
    unicode: [
      [1, 'anchor', 45, 57, '日本語 🎌😀</s>'],
      [3, 'anchor', 96, 101, 'Ñ</s>'],
    ],
    tools: [
      [1, 'anchor', 45, 49, '</s>'],
      [3, 'anchor', 91, 107, 'It is sunny.</s>'],
    ],
    reasoning: [
      [1, 'anchor', 39, 62, '<think>r1</think>a1</s>'],
      [3, 'anchor', 101, 124, '<think>r2</think>a2</s>'],
    ],
  },
  chatml: {
    basic: [
      [2, 'prefix', 91, 106, 'hello<|im_end|>'],
      [4, 'prefix', 160, 177, 'goodbye<|im_end|>'],
    ],
    repeat: [
      [1, 'prefix', 59, 78, 'same text<|im_end|>'],
      [3, 'prefix', 138, 157, 'same text<|im_end|>'],
    ],
    empty: [
      [1, 'prefix', 51, 61, '<|im_end|>'],
      [3, 'prefix', 114, 126, 'a2<|im_end|>'],
    ],
    marker: [
      [1, 'prefix', 51, 71, '<|im_end|><|im_end|>'],
      [3, 'prefix', 129, 146, '</turn><|im_end|>'],
    ],
    unicode: [
      [1, 'prefix', 58, 76, '日本語 🎌😀<|im_end|>'],
      [3, 'prefix', 129, 140, 'Ñ<|im_end|>'],
    ],
    tools: [
      [1, 'prefix', 58, 68, '<|im_end|>'],
      [3, 'prefix', 124, 146, 'It is sunny.<|im_end|>'],
    ],
    reasoning: [
      [1, 'prefix', 52, 81, '<think>r1</think>a1<|im_end|>'],
      [3, 'prefix', 134, 163, '<think>r2</think>a2<|im_end|>'],
    ],
  },
  'system-into-last-user': {
    basic: [
      [2, 'anchor', 21, 30, 'hello</s>'],
      [4, 'prefix', 59, 71, ' goodbye</s>'],
    ],
    repeat: [
      [1, 'prefix', 27, 41, ' same text</s>'],
      [3, 'prefix', 65, 79, ' same text</s>'],
    ],
    empty: [
      [1, 'prefix', 19, 24, ' </s>'],
      [3, 'prefix', 41, 48, ' a2</s>'],
    ],
    marker: [
      [1, 'prefix', 19, 34, ' <|im_end|></s>'],
      [3, 'prefix', 56, 68, ' </turn></s>'],
    ],
    unicode: [
      [1, 'prefix', 26, 39, ' 日本語 🎌😀</s>'],
      [3, 'prefix', 56, 62, ' Ñ</s>'],
    ],
    tools: [
      [1, 'prefix', 120, 125, ' </s>'],
      [3, 'prefix', 125, 142, ' It is sunny.</s>'],
    ],
    reasoning: [
      [1, 'prefix', 20, 44, ' <think>r1</think>a1</s>'],
      [3, 'prefix', 61, 85, ' <think>r2</think>a2</s>'],
    ],
  },
  'reasoning-stripped': {
    basic: [
      [2, 'history', 23, 35, 'hello<|end|>'],
      [4, 'history', 59, 73, 'goodbye<|end|>'],
    ],
    repeat: [
      [1, 'history', 30, 46, 'same text<|end|>'],
      [3, 'history', 76, 92, 'same text<|end|>'],
    ],
    empty: [
      [1, 'anchor', 22, 29, '<|end|>'],
      [3, 'history', 52, 61, 'a2<|end|>'],
    ],
    marker: [
      [1, 'history', 22, 39, '<|im_end|><|end|>'],
      [3, 'history', 67, 81, '</turn><|end|>'],
    ],
    unicode: [
      [1, 'history', 29, 44, '日本語 🎌😀<|end|>'],
      [3, 'history', 67, 75, 'Ñ<|end|>'],
    ],
    tools: [
      [1, 'history', 29, 36, '<|end|>'],
      [3, 'history', 49, 68, 'It is sunny.<|end|>'],
    ],
    reasoning: [
      [1, 'history', 23, 32, 'a1<|end|>'],
      [3, 'history', 55, 64, 'a2<|end|>'],
    ],
  },
  'tool-calls-elsewhere': {
    basic: [
      [2, 'prefix', 52, 64, 'hello</turn>'],
      [4, 'prefix', 93, 107, 'goodbye</turn>'],
    ],
    repeat: [
      [1, 'prefix', 34, 50, 'same text</turn>'],
      [3, 'prefix', 85, 101, 'same text</turn>'],
    ],
    empty: [
      [1, 'prefix', 26, 33, '</turn>'],
      [3, 'prefix', 61, 70, 'a2</turn>'],
    ],
    marker: [
      [1, 'prefix', 26, 43, '<|im_end|></turn>'],
      [3, 'prefix', 76, 90, '</turn></turn>'],
    ],
    unicode: [
      [1, 'prefix', 33, 48, '日本語 🎌😀</turn>'],
      [3, 'prefix', 76, 84, 'Ñ</turn>'],
    ],
    tools: [
      [1, 'prefix', 33, 86, '<calls>get_weather({"city": "Paris"});</calls></turn>'],
      [3, 'prefix', 121, 140, 'It is sunny.</turn>'],
    ],
    reasoning: [
      [1, 'prefix', 27, 53, '<think>r1</think>a1</turn>'],
      [3, 'prefix', 81, 107, '<think>r2</think>a2</turn>'],
    ],
  },
  'no-role-markers': {
    basic: [
      [2, 'anchor', 16, 21, 'hello'],
      [4, 'anchor', 29, 40, 'goodbye</s>'],
    ],
    repeat: [
      [1, 'anchor', 12, 21, 'same text'],
      [3, 'anchor', 35, 48, 'same text</s>'],
    ],
    empty: [[3, 'anchor', 11, 17, 'a2</s>']],
    marker: [
      [1, 'anchor', 4, 14, '<|im_end|>'],
      [3, 'anchor', 26, 37, '</turn></s>'],
    ],
    unicode: [
      [1, 'anchor', 11, 19, '日本語 🎌😀'],
      [3, 'anchor', 26, 31, 'Ñ</s>'],
    ],
    tools: [[3, 'anchor', 20, 36, 'It is sunny.</s>']],
    reasoning: [
      [1, 'anchor', 5, 24, '<think>r1</think>a1'],
      [3, 'anchor', 31, 54, '<think>r2</think>a2</s>'],
    ],
  },
  'eos-after-last': {
    basic: [
      [2, 'history', 64, 76, 'hello<|end|>'],
      [4, 'prefix', 111, 130, 'goodbye<|end|>\n</s>'],
    ],
    repeat: [
      [1, 'history', 43, 59, 'same text<|end|>'],
      [3, 'prefix', 100, 121, 'same text<|end|>\n</s>'],
    ],
    empty: [
      [1, 'anchor', 35, 42, '<|end|>'],
      [3, 'prefix', 76, 90, 'a2<|end|>\n</s>'],
    ],
    marker: [
      [1, 'history', 35, 52, '<|im_end|><|end|>'],
      [3, 'prefix', 91, 110, '</turn><|end|>\n</s>'],
    ],
    unicode: [
      [1, 'history', 42, 57, '日本語 🎌😀<|end|>'],
      [3, 'prefix', 91, 104, 'Ñ<|end|>\n</s>'],
    ],
    tools: [
      [1, 'history', 42, 49, '<|end|>'],
      [3, 'prefix', 86, 110, 'It is sunny.<|end|>\n</s>'],
    ],
    reasoning: [
      [1, 'history', 36, 62, '<think>r1</think>a1<|end|>'],
      [3, 'prefix', 96, 127, '<think>r2</think>a2<|end|>\n</s>'],
    ],
  },
  'answer-not-rendered': {
    basic: { rejected: 'not rendered' },
    repeat: { rejected: 'not rendered' },
    empty: { rejected: 'not rendered' },
    marker: { rejected: 'not rendered' },
    unicode: { rejected: 'not rendered' },
    tools: { rejected: 'not rendered' },
    reasoning: { rejected: 'not rendered' },
  },
  'call-name-echoed': {
    basic: [
      [2, 'prefix', 42, 52, 'hello<eot>'],
      [4, 'prefix', 73, 85, 'goodbye<eot>'],
    ],
    repeat: [
      [1, 'prefix', 27, 41, 'same text<eot>'],
      [3, 'prefix', 68, 82, 'same text<eot>'],
    ],
    empty: [
      [1, 'prefix', 19, 24, '<eot>'],
      [3, 'prefix', 44, 51, 'a2<eot>'],
    ],
    marker: [
      [1, 'prefix', 19, 34, '<|im_end|><eot>'],
      [3, 'prefix', 59, 71, '</turn><eot>'],
    ],
    unicode: [
      [1, 'prefix', 26, 39, '日本語 🎌😀<eot>'],
      [3, 'prefix', 59, 65, 'Ñ<eot>'],
    ],
    tools: [
      [1, 'anchor', 25, 60, 'get_weather{"city": "Paris"}</call>'],
      [3, 'prefix', 106, 123, 'It is sunny.<eot>'],
    ],
    reasoning: [
      [1, 'prefix', 20, 44, '<think>r1</think>a1<eot>'],
      [3, 'prefix', 64, 88, '<think>r2</think>a2<eot>'],
    ],
  },
};

const specialTokens = { bos_token: '<s>', eos_token: '</s>' };

describe.each(Object.keys(TABLE))('shape %s', (name) => {
  const opts: RenderOptions = {
    template: compileTemplate(readFileSync(join(DIR, `${name}.jinja`), 'utf8')),
    specialTokens,
  };
  it.each(Object.keys(TABLE[name]!))('%s', (convName) => {
    // A retrieval template prints documents after the final message.
    const conv: Conversation = {
      ref: { file: 'shapes', line: 1 },
      index: 0,
      documents: [{ text: 'doc' }],
      ...CONVS[convName]!,
    };
    const expected = TABLE[name]![convName]!;
    if ('rejected' in expected) {
      let err: unknown;
      try {
        inferTurns(conv, opts, new Set(['assistant']));
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(MaskInferenceError);
      expect((err as Error).message).toContain(`[step: ${expected.rejected}]`);
      return;
    }
    const { text, turns } = inferTurns(conv, opts, new Set(['assistant']));
    expect(turns.map((t) => [t.message, t.method, t.start, t.end, text.slice(t.start, t.end)])).toEqual(expected);
    // Property: each located span holds its message's rendered content (reasoning may be dropped).
    for (const t of turns) {
      const c = String(conv.messages[t.message]!.content ?? '');
      const kept = c.includes('</think>') ? c.split('</think>').pop()! : c;
      expect(text.slice(t.start, t.end)).toContain(kept);
    }
  });
});

describe('rejection messages', () => {
  const opts = (name: string): RenderOptions => ({
    template: compileTemplate(readFileSync(join(DIR, `${name}.jinja`), 'utf8')),
    specialTokens,
  });
  const conv = (k: string): Conversation => ({ ref: { file: 'shapes', line: 1 }, index: 0, ...CONVS[k]! });

  it('a template that never prints the answer: says so, and offers no inference option', () => {
    expect(() => inferTurns(conv('basic'), opts('answer-not-rendered'), new Set(['assistant']))).toThrow(
      'cannot infer the mask of messages[2] (assistant) [step: not rendered]: the template does not render its content ' +
        'at all, so there is nothing of it to train on; no mask can be inferred for this row; use a template with ' +
        '{% generation %} tags (--chat-template), or --masks none for ids without masks',
    );
  });

  it('--last-turn-only is offered only when the final turn can really be located', () => {
    // Earlier answers are printed again upper-cased: their content has no single place in the render.
    const src =
      '{% for m in messages %}{% if m.role == "user" %}<u>{{ m.content }}{% else %}<a>{{ m.content }}' +
      '{% if not loop.last %}|{{ m.content | upper }}{% endif %}</a>{% endif %}{% endfor %}';
    const o: RenderOptions = { template: compileTemplate(src) };
    const c = conv('repeat');
    expect(() => inferTurns(c, o, new Set(['assistant']))).toThrow(/messages\[1\].*use --last-turn-only/);
    const { text, turns } = inferTurns(c, o, new Set(['assistant']), 3);
    // No generation prompt in this template: its role marker is part of the span.
    expect(turns.map((t) => text.slice(t.start, t.end))).toEqual(['<a>same text</a>']);
  });
});

describe('placeOf', () => {
  const P = '\uE000chatshard-probe\uE001';
  it('finds the one place two renders differ', () => {
    expect(placeOf('<a>hello</a>', `<a>${P}</a>`)).toEqual([3, 8]);
    expect(placeOf('<a></a>', `<a>${P}</a>`)).toEqual([3, 3]);
  });
  it('null when the marker is not printed, undefined when the renders differ elsewhere too', () => {
    expect(placeOf('<a>x</a>', '<a>y</a>')).toBeNull();
    expect(placeOf('<a>hi</a><b>2</b>', `<a>${P}</a><b>1</b>`)).toBeUndefined();
  });
  it('a text printed verbatim twice: accepted only when putting it back everywhere gives the render', () => {
    expect(placeOf('f(1) -> f: ok', `${P}(1) -> ${P}: ok`, 'f')).toEqual([0, 1]);
    expect(placeOf('f(1) -> g: ok', `${P}(1) -> ${P}: ok`, 'f')).toBeUndefined();
  });
});
