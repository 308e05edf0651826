/** `{% generation %}` spans sit at their true position in the final text, whatever buffers them. */
import { describe, expect, it } from 'vitest';
import { compileTemplate, normalizeSpans, renderConversation } from '../../src/render/index.js';
import type { Conversation } from '../../src/types.js';

const msgs = [
  { role: 'user', content: 'Hi' },
  { role: 'assistant', content: 'Hello 😀' },
];

function spansText(src: string, vars: Record<string, unknown> = { messages: msgs }) {
  const t = compileTemplate(src);
  const r = t.render(vars);
  return {
    text: r.text,
    spans: r.generationSpans,
    pieces: r.generationSpans.map(([a, b]) => r.text.slice(a, b)),
    hasGeneration: t.hasGeneration,
  };
}

describe('generation spans', () => {
  it.each([
    [
      'plain',
      "{% for m in messages %}<{{ m.role }}>{% if m.role == 'assistant' %}{% generation %}{{ m.content }}{% endgeneration %}{% else %}{{ m.content }}{% endif %}{% endfor %}",
      ['Hello 😀'],
    ],
    [
      'macro',
      '{% macro r(m) %}[{{ m.role }}]{% generation %}{{ m.content }}{% endgeneration %}{% endmacro %}{% for m in messages %}{{ r(m) }}{% endfor %}',
      ['Hi', 'Hello 😀'],
    ],
    [
      'set block',
      '{% for m in messages %}{% set t %}<{% generation %}{{ m.content }}{% endgeneration %}>{% endset %}..{{ t }}{% endfor %}',
      ['Hi', 'Hello 😀'],
    ],
    [
      'set expr from macro',
      "{% macro r(m) %}{% generation %}{{ m.content }}{% endgeneration %}{% endmacro %}{% for m in messages %}{% set t = '(' ~ r(m) ~ ')' %}..{{ t }}{% endfor %}",
      ['Hi', 'Hello 😀'],
    ],
    [
      'caller',
      '{% macro w() %}<{{ caller() }}>{% endmacro %}{% for m in messages %}{% call w() %}{% generation %}{{ m.content }}{% endgeneration %}{% endcall %}{% endfor %}',
      ['Hi', 'Hello 😀'],
    ],
    [
      'nested',
      '{% for m in messages %}{% generation %}A:{% generation %}{{ m.content }}{% endgeneration %};{% endgeneration %}{% endfor %}',
      ['Hi', 'A:Hi;', 'Hello 😀', 'A:Hello 😀;'],
    ],
    [
      'trimmed macro output',
      '{% macro r(m) %}  {% generation %}{{ m.content }}{% endgeneration %}  {% endmacro %}{% for m in messages %}|{{ r(m)|trim }}{% endfor %}',
      ['Hi', 'Hello 😀'],
    ],
    [
      'filter block outside',
      '{% for m in messages %}{% filter upper %}{% generation %}{{ m.content }}{% endgeneration %}{% endfilter %}{% endfor %}',
      ['HI', 'HELLO 😀'],
    ],
    [
      'filter block inside',
      '{% for m in messages %}{% generation %}{% filter upper %}{{ m.content }}{% endfilter %}{% endgeneration %}{% endfor %}',
      ['HI', 'HELLO 😀'],
    ],
    [
      'whitespace control',
      '{% for m in messages %}\n  {%- generation -%}\n  {{ m.content }}\n  {%- endgeneration %}\n{% endfor %}',
      ['Hi', 'Hello 😀'],
    ],
  ])('%s', (_name, src, want) => {
    const r = spansText(src);
    expect(r.hasGeneration).toBe(true);
    expect(r.pieces).toEqual(want);
  });

  it('uses UTF-16 offsets', () => {
    const r = spansText("{{ '😀' }}{% generation %}x{% endgeneration %}");
    expect(r.spans).toEqual([[2, 3]]);
  });

  it("keeps empty blocks and block scope like Jinja's caller()", () => {
    const r = spansText('{% set x = 1 %}{% generation %}{% set x = 2 %}{% endgeneration %}{{ x }}');
    expect(r).toMatchObject({ text: '1', spans: [[0, 0]] });
  });

  it('reports hasGeneration=false without the tag', () => {
    expect(compileTemplate("{{ 'generation' }}").hasGeneration).toBe(false);
  });

  it('normalizeSpans sorts, merges overlaps and drops empty spans', () => {
    expect(
      normalizeSpans([
        [22, 54],
        [20, 55],
        [5, 5],
        [1, 3],
        [3, 4],
      ]),
    ).toEqual([
      [1, 3],
      [3, 4],
      [20, 55],
    ]);
  });

  it('renderConversation merges nested spans and cuts them for continue_final_message', () => {
    const template = compileTemplate(
      "{% for m in messages %}<{{ m.role }}>{% if m.role == 'assistant' %}{% generation %}{% generation %}{{ m.content }}{% endgeneration %}</s>{% endgeneration %}{% else %}{{ m.content }}{% endif %}{% endfor %}",
    );
    const conv: Conversation = { ref: { file: 'x', line: 1 }, index: 0, messages: msgs };
    const full = renderConversation(conv, { template });
    expect(full.text).toBe('<user>Hi<assistant>Hello 😀</s>');
    expect(full.spans).toEqual([[19, 31]]);
    expect(full.rawSpans).toEqual([
      [19, 27],
      [19, 31],
    ]);
    const cont = renderConversation({ ...conv, continueFinalMessage: true }, { template });
    expect(cont.text).toBe('<user>Hi<assistant>Hello 😀');
    expect(cont.spans).toEqual([[19, 27]]);
  });
});
