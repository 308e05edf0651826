import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inferSpans, inferTurns, MaskInferenceError, type Turn } from '../../src/mask/infer.js';
import { selectSpans, type SelectOptions } from '../../src/mask/select.js';
import { normalizeRow } from '../../src/normalize/index.js';
import { compileTemplate, renderConversation, type RenderOptions } from '../../src/render/index.js';
import type { Conversation, Message, Span } from '../../src/types.js';
import { ROOT, spanTexts } from '../helpers.js';

const FIX = join(ROOT, 'test', 'fixtures', 'infer');
const template = (name: string) => compileTemplate(readFileSync(join(FIX, 'templates', `${name}.jinja`), 'utf8'));

interface Row {
  source: string;
  messages: Message[];
  tools?: unknown[];
}
const ROWS: Row[] = readFileSync(join(FIX, 'conversations.jsonl'), 'utf8')
  .split('\n')
  .filter((l) => l !== '')
  .map((l) => JSON.parse(l) as Row);

const asConv = (r: { messages: Message[]; tools?: unknown[] }, k = 0): Conversation => ({
  ref: { file: 'fixture', line: k + 1 },
  index: k,
  messages: r.messages,
  ...(r.tools ? { tools: r.tools } : {}),
});

const SELECT: SelectOptions = { rolesToTrain: new Set(['assistant']), trainOnEot: 'turn', lastTurnOnly: false };
const NOW = '2025-03-14T09:26:53';

/** Per-character 0/1 mask of `spans` over `text`. */
function charMask(text: string, spans: readonly Span[]): Uint8Array {
  const m = new Uint8Array(text.length);
  for (const [a, b] of spans) m.fill(1, a, b);
  return m;
}

/** Indices of non-whitespace characters where the two masks disagree. */
function nonWsDisagreements(text: string, a: readonly Span[], b: readonly Span[]): number[] {
  const x = charMask(text, a);
  const y = charMask(text, b);
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) if (x[i] !== y[i] && !/\s/.test(text[i]!)) out.push(i);
  return out;
}

/** Try a render; rows a template refuses (e.g. roles must alternate) are skipped by the table. */
function tryRender(conv: Conversation, opts: RenderOptions) {
  try {
    return renderConversation(conv, opts);
  } catch {
    return undefined;
  }
}

interface Family {
  name: string;
  stock: string;
  training: string;
  special: Record<string, string>;
  header: string;
  eot: string;
}

/** Templates whose stock and TRL training variants render the same text: masks must agree. */
const SAME_TEXT: Family[] = [
  {
    name: 'qwen2.5',
    stock: 'Qwen-Qwen2.5-7B-Instruct',
    training: 'trl-qwen2_5_training',
    special: { eos_token: '<|im_end|>' },
    header: '<|im_start|>',
    eot: '<|im_end|>',
  },
  {
    name: 'llama3',
    stock: 'trl-llama3',
    training: 'trl-llama3_training',
    special: { bos_token: '<|begin_of_text|>', eos_token: '<|eot_id|>' },
    header: '<|start_header_id|>',
    eot: '<|eot_id|>',
  },
  // phi3 appends eos_token after the final message: earlier turns go through the history method.
  {
    name: 'phi3',
    stock: 'trl-phi3',
    training: 'trl-phi3_training',
    special: { bos_token: '<s>', eos_token: '<|endoftext|>' },
    header: '<|assistant|>',
    eot: '<|end|>',
  },
  {
    name: 'gemma3',
    stock: 'trl-gemma3',
    training: 'trl-gemma3_training',
    special: { bos_token: '<bos>', eos_token: '<eos>' },
    header: '<start_of_turn>',
    eot: '<end_of_turn>',
  },
];

describe.each(SAME_TEXT)('infer vs TRL training template: $name', (fam) => {
  const stock: RenderOptions = { template: template(fam.stock), specialTokens: fam.special, now: NOW };
  const training: RenderOptions = { template: template(fam.training), specialTokens: fam.special, now: NOW };
  const cases = ROWS.map((r, k) => ({ r, k, conv: asConv(r, k) })).filter(
    ({ conv }) => tryRender(conv, training) !== undefined,
  );

  it('has fixture rows the training template renders', () => {
    expect(cases.length).toBeGreaterThanOrEqual(3);
  });

  it.each(cases.map((c) => [c.r.source, c] as const))('%s', (_source, { conv }) => {
    const tagged = renderConversation(conv, training);
    const inferred = inferSpans(conv, stock, SELECT);
    expect(inferred.text).toBe(tagged.text);
    expect(nonWsDisagreements(tagged.text, tagged.spans, inferred.spans)).toEqual([]);
    const assistants = conv.messages.filter((m) => m.role === 'assistant').length;
    expect(inferred.spans.length).toBe(assistants);
    for (const [a, b] of inferred.spans) {
      const s = inferred.text.slice(a, b);
      expect(s).not.toContain(fam.header); // role headers stay unmasked
      expect(s.endsWith(fam.eot) || (b === inferred.text.length && s.includes(fam.eot))).toBe(true); // EOT included
      expect(s).toBe(s.trimEnd()); // whitespace after the marker excluded
    }
  });
});

describe('multi-turn with tool calls (Qwen2.5)', () => {
  const opts: RenderOptions = { template: template('Qwen-Qwen2.5-7B-Instruct'), now: NOW };
  it('gives each assistant turn, tool calls included, its own span', () => {
    const row = ROWS.find(
      (r) => r.messages.some((m) => m.tool_calls) && r.messages.filter((m) => m.role === 'user').length >= 2,
    )!;
    const { text, turns } = inferTurns(asConv(row), opts, new Set(['assistant']));
    expect(turns.map((t) => t.message)).toEqual(row.messages.flatMap((m, i) => (m.role === 'assistant' ? [i] : [])));
    expect(turns.every((t) => t.method === 'prefix')).toBe(true);
    const call = turns.find((t) => row.messages[t.message]!.tool_calls)!;
    expect(text.slice(call.start, call.end)).toMatch(/^<tool_call>\n\{"name": "[^"]+".*<\/tool_call><\|im_end\|>$/s);
    // The tool result is environment text: never inside a span.
    const tool = row.messages.find((m) => m.role === 'tool')!.content as string;
    const at = text.indexOf(tool);
    expect(turns.some((t) => t.start <= at && at < t.end)).toBe(false);
  });
});

describe('history-rewriting templates', () => {
  it("Qwen3 (drops earlier turns' think blocks): each span is the kept tail of the TRL training span", () => {
    // trl-qwen3_training always renders think blocks, the stock template only after the last user turn,
    // so the texts differ; what the stock template keeps of each turn must be the end of TRL's span.
    const stock: RenderOptions = { template: template('Qwen-Qwen3-0.6B'), now: NOW };
    const training: RenderOptions = { template: template('trl-qwen3_training'), now: NOW };
    let history = 0;
    for (const [k, r] of ROWS.entries()) {
      const conv = asConv(r, k);
      const tagged = renderConversation(conv, training);
      const { text, turns } = inferTurns(conv, stock, new Set(['assistant']));
      history += turns.filter((t) => t.method === 'history').length;
      const a = spanTexts(tagged.text, tagged.spans);
      const b = spanTexts(text, selectSpans(turns, conv.messages, SELECT));
      expect(b.length).toBe(a.length);
      b.forEach((t, j) => {
        expect(t).not.toBe('');
        expect(a[j]!.endsWith(t)).toBe(true);
        expect(t.endsWith('<|im_end|>')).toBe(true);
      });
    }
    expect(history).toBeGreaterThan(0); // the fixture really exercises the rewrite
  });

  it('DeepSeek (drops reasoning before </think> in earlier turns): spans equal the TRL training spans minus the role header', () => {
    // trl-deepseekv3_training rewrites history like the stock template, so the texts are identical;
    // its spans start with the '<｜Assistant｜>' header, which infer leaves unmasked (the generation
    // prompt emits it). Reasoning is folded into the content (DeepSeek's own convention).
    const special = { bos_token: '<｜begin▁of▁sentence｜>', eos_token: '<｜end▁of▁sentence｜>' };
    const stock: RenderOptions = { template: template('trl-deepseekv3'), specialTokens: special, now: NOW };
    const training: RenderOptions = { template: template('trl-deepseekv3_training'), specialTokens: special, now: NOW };
    const conv = asConv({
      messages: [
        { role: 'user', content: 'What is 17 * 3?' },
        { role: 'assistant', content: '<think>\n17 * 3 = 51.\n</think>\n\n17 * 3 = 51.' },
        { role: 'user', content: 'And 51 + 9?' },
        { role: 'assistant', content: '<think>\nAdd nine.\n</think>\n\n51 + 9 = 60.' },
      ],
    });
    const tagged = renderConversation(conv, training);
    const { text, turns } = inferTurns(conv, stock, new Set(['assistant']));
    expect(text).toBe(tagged.text);
    expect(text).not.toContain('17 * 3 = 51.\n</think>'); // first turn's reasoning dropped
    expect(turns.map((t) => t.method)).toEqual(['history', 'history']);
    const header = '<｜Assistant｜>';
    const expected = tagged.spans.map(([a, b]): Span => (text.startsWith(header, a) ? [a + header.length, b] : [a, b]));
    expect(selectSpans(turns, conv.messages, SELECT)).toEqual(expected);
    expect(text.slice(turns[0]!.start, turns[0]!.end)).toBe('\n\n17 * 3 = 51.<｜end▁of▁sentence｜>');
  });

  it('a turn closed differently once later turns follow: anchored, the unverifiable close left out', () => {
    // Final message closed by <|return|>, earlier ones by <|end|> (gpt-oss style): the earlier turn's
    // history form cannot be aligned with its own form, so the anchor method places it by its content
    // and takes of its own-form close only what the full render really has there (none of it).
    const src =
      '{% for m in messages %}<|start|>{{ m.role }}<|message|>{{ m.content }}' +
      '{% if m.role == "assistant" and loop.last %}<|return|>{% else %}<|end|>{% endif %}{% endfor %}' +
      '{% if add_generation_prompt %}<|start|>assistant<|message|>{% endif %}';
    const opts: RenderOptions = { template: compileTemplate(src) };
    const conv = asConv({
      messages: [
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: 'hello' },
        { role: 'user', content: 'bye' },
        { role: 'assistant', content: 'goodbye' },
      ],
    });
    const { text, turns } = inferTurns(conv, opts, new Set(['assistant']));
    expect(turns.map((t) => [t.method, text.slice(t.start, t.end)])).toEqual([
      ['anchor', 'hello'],
      ['prefix', 'goodbye<|return|>'],
    ]);
    const last = inferSpans(conv, opts, { ...SELECT, lastTurnOnly: true });
    expect(last.spans.map(([a, b]) => last.text.slice(a, b))).toEqual(['goodbye<|return|>']);
  });

  it('a template that drops a message entirely is rejected (its content is not in its span)', () => {
    const src =
      '{% for m in messages %}{% if not (m.role == "assistant" and not loop.last) %}<{{ m.role }}>{{ m.content }}</s>{% endif %}{% endfor %}';
    const conv = asConv({
      messages: [
        { role: 'user', content: 'a' },
        { role: 'assistant', content: 'first answer' },
        { role: 'user', content: 'b' },
        { role: 'assistant', content: 'second answer' },
      ],
    });
    expect(() => inferSpans(conv, { template: compileTemplate(src) }, SELECT)).toThrow(MaskInferenceError);
  });
});

describe('training controls (selectSpans)', () => {
  // A tiny template with a visible end-of-turn marker: <role>text<eot>.
  const src =
    '{% for m in messages %}<{{ m.role }}>{{ m.content }}<eot>\n{% endfor %}{% if add_generation_prompt %}<assistant>{% endif %}';
  const opts: RenderOptions = { template: compileTemplate(src) };
  const messages: Message[] = [
    { role: 'system', content: 'S' },
    { role: 'user', content: 'U1' },
    { role: 'assistant', content: 'A1' },
    { role: 'user', content: 'U2' },
    { role: 'assistant', content: 'A2', train: false },
    { role: 'user', content: 'U3' },
    { role: 'assistant', content: 'A3', weight: 0 },
    { role: 'user', content: 'U4' },
    { role: 'assistant', content: 'A4' },
  ];
  const run = (sel: Partial<SelectOptions>, msgs = messages) => {
    const { text, spans } = inferSpans(asConv({ messages: msgs }), opts, { ...SELECT, ...sel });
    return spans.map(([a, b]) => text.slice(a, b));
  };

  it('default: trained assistant turns with their end-of-turn marker; headers and newline excluded', () => {
    expect(run({})).toEqual(['A1<eot>', 'A4<eot>']);
  });
  it('roles-to-train adds other roles (their role headers excluded too)', () => {
    expect(run({ rolesToTrain: new Set(['assistant', 'user']) })).toEqual([
      'U1<eot>',
      'A1<eot>',
      'U2<eot>',
      'U3<eot>',
      'U4<eot>',
      'A4<eot>',
    ]);
  });
  it('train:false and weight:0 opt a message out', () => {
    const all = run({ trainOnEot: 'turn' }).join('|');
    expect(all).not.toContain('A2');
    expect(all).not.toContain('A3');
  });
  it("train-on-eot all: every turn's marker, trained or not", () => {
    expect(run({ trainOnEot: 'all' })).toEqual([
      '<eot>',
      '<eot>',
      'A1<eot>',
      '<eot>',
      '<eot>',
      '<eot>',
      '<eot>',
      '<eot>',
      'A4<eot>',
    ]);
  });
  it('train-on-eot last: only the last trained turn keeps its marker', () => {
    expect(run({ trainOnEot: 'last' })).toEqual(['A1', 'A4<eot>']);
  });
  it('train-on-eot none: no markers', () => {
    expect(run({ trainOnEot: 'none' })).toEqual(['A1', 'A4']);
  });
  it('last-turn-only: only the final trainable message', () => {
    expect(run({ lastTurnOnly: true })).toEqual(['A4<eot>']);
    const lastOptedOut = messages.slice(0, -1).concat([{ role: 'assistant', content: 'A4', train: false }]);
    expect(run({ lastTurnOnly: true }, lastOptedOut)).toEqual(['A1<eot>']);
  });
  it('selectSpans works on turns directly', () => {
    const turns: Turn[] = [
      { message: 1, role: 'assistant', start: 10, contentEnd: 15, end: 20, method: 'prefix' },
      { message: 3, role: 'assistant', start: 30, contentEnd: 35, end: 40, method: 'history' },
    ];
    const msgs: Message[] = [
      { role: 'user' },
      { role: 'assistant' },
      { role: 'user' },
      { role: 'assistant', train: false },
    ];
    expect(selectSpans(turns, msgs, SELECT)).toEqual([[10, 20]]);
    expect(selectSpans(turns, msgs, { ...SELECT, trainOnEot: 'all' })).toEqual([
      [10, 20],
      [35, 40],
    ]);
  });
});

const SHARED = join(ROOT, '../shared'); // shared corpus next to the checkout; absent in a user's clone
describe.skipIf(!existsSync(join(SHARED, 'data')) || !existsSync(join(SHARED, 'conformance', 'templates')))(
  'cross-check on real data (sample; full run: scripts/infer-crosscheck.mjs)',
  () => {
    const tpl = (n: string) =>
      compileTemplate(readFileSync(join(SHARED, 'conformance', 'templates', `${n}.jinja`), 'utf8'));
    const files = existsSync(join(SHARED, 'data'))
      ? readdirSync(join(SHARED, 'data')).filter((f) => f.endsWith('.messages.jsonl'))
      : [];
    const sample = (f: string, n: number) => {
      const lines = readFileSync(join(SHARED, 'data', f), 'utf8')
        .split('\n')
        .filter((l) => l !== '');
      const step = Math.max(1, Math.floor(lines.length / n));
      const out: Conversation[] = [];
      for (let i = 0; i < lines.length && out.length < n; i += step) {
        const c = normalizeRow({ ref: { file: f, line: i + 1 }, index: i, value: JSON.parse(lines[i]!) });
        if (c.ok) out.push(c.row);
      }
      return out;
    };
    it.each([
      ['Qwen-Qwen2.5-7B-Instruct', 'trl-qwen2_5_training'],
      ['trl-llama3', 'trl-llama3_training'],
      ['trl-phi3', 'trl-phi3_training'],
    ])('%s agrees with %s on every non-whitespace character', (s, t) => {
      const stock: RenderOptions = {
        template: tpl(s),
        now: NOW,
        specialTokens: { bos_token: '<s>', eos_token: '</s>' },
      };
      const training: RenderOptions = {
        template: tpl(t),
        now: NOW,
        specialTokens: { bos_token: '<s>', eos_token: '</s>' },
      };
      let n = 0;
      for (const f of files) {
        for (const conv of sample(f, 15)) {
          const tagged = renderConversation(conv, training);
          const inferred = inferSpans(conv, stock, SELECT);
          expect(inferred.text, `${conv.ref.file}:${conv.ref.line}`).toBe(tagged.text);
          expect(
            nonWsDisagreements(tagged.text, tagged.spans, inferred.spans),
            `${conv.ref.file}:${conv.ref.line}`,
          ).toEqual([]);
          n++;
        }
      }
      expect(n).toBeGreaterThan(50);
    });
  },
);
