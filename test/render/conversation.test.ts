/** renderConversation: transformers 5.x apply_chat_template variables and options. */
import { describe, expect, it } from 'vitest';
import { TemplateError, compileTemplate, messageRenderer, renderConversation } from '../../src/render/index.js';
import type { Conversation } from '../../src/types.js';

const base: Conversation = {
  ref: { file: 'f.jsonl', line: 1 },
  index: 0,
  messages: [
    { role: 'user', content: 'Hi' },
    { role: 'assistant', content: 'Hello  ' },
  ],
};
const chatml = compileTemplate(
  '{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}',
);

function errorOf(fn: () => unknown): TemplateError {
  try {
    fn();
  } catch (e) {
    return e as TemplateError;
  }
  throw new Error('expected an error');
}

describe('renderConversation variables', () => {
  it('passes messages, tools/documents (None when absent), add_generation_prompt, special tokens and kwargs', () => {
    const t = compileTemplate(
      '{{ tools }}|{{ documents }}|{{ add_generation_prompt }}|{{ bos_token }}|{{ eos_token }}|{{ enable_thinking }}|{{ messages|length }}',
    );
    expect(renderConversation(base, { template: t, specialTokens: { bos_token: '<s>', eos_token: '</s>' } }).text).toBe(
      'None|None|False|<s>|</s>||2',
    );
    const conv = {
      ...base,
      tools: [{ type: 'function' }],
      documents: [{ title: 't', text: 'x' }],
      chatTemplateKwargs: { enable_thinking: false, eos_token: 'E' },
    };
    expect(
      renderConversation(conv, {
        template: t,
        specialTokens: { bos_token: '<s>', eos_token: '</s>' },
        templateKwargs: { enable_thinking: true },
        addGenerationPrompt: true,
      }).text,
    ).toBe("[{'type': 'function'}]|[{'title': 't', 'text': 'x'}]|True|<s>|E|False|2");
  });

  it('a `__proto__` kwarg stays a plain variable (no prototype change)', () => {
    const t = compileTemplate('{{ __proto__ }}|{{ eos_token }}|{{ messages|length }}');
    const kwargs = JSON.parse('{"__proto__": "P"}') as Record<string, unknown>;
    expect(
      renderConversation(base, { template: t, templateKwargs: kwargs, specialTokens: { eos_token: 'E' } }).text,
    ).toBe('P|E|2');
  });

  it('messageRenderer renders other messages of the row as renderConversation does', () => {
    const t = compileTemplate(
      '{{ tools }}|{{ eos_token }}|{{ enable_thinking }}|{{ add_generation_prompt }}|{% for m in messages %}{{ m.content }};{% endfor %}',
    );
    const conv = { ...base, tools: [{ type: 'function' }], chatTemplateKwargs: { enable_thinking: false } };
    const opts = { template: t, specialTokens: { eos_token: '</s>' }, templateKwargs: { enable_thinking: true } };
    const render = messageRenderer(conv, opts);
    for (const [k, agp] of [
      [1, true],
      [2, false],
      [1, false],
      [2, true],
    ] as const) {
      const msgs = conv.messages.slice(0, k);
      expect(render(msgs, agp)).toBe(
        renderConversation({ ...conv, messages: msgs, addGenerationPrompt: agp }, opts).text,
      );
    }
    expect(render(conv.messages.slice(0, 1), true)).toBe("[{'type': 'function'}]|</s>|False|True|Hi;");
    expect(errorOf(() => render([], false)).message).toBe(
      'Cannot apply chat template to an empty conversation. Provide at least one message.',
    );
  });

  it('per-row options override run options', () => {
    const r = renderConversation(
      { ...base, addGenerationPrompt: false },
      { template: chatml, addGenerationPrompt: true },
    );
    expect(r.text.endsWith('<|im_start|>assistant\n')).toBe(false);
  });

  it("rejects add_generation_prompt together with continue_final_message (transformers' message)", () => {
    const e = errorOf(() =>
      renderConversation(base, { template: chatml, addGenerationPrompt: true, continueFinalMessage: true }),
    );
    expect(e).toBeInstanceOf(TemplateError);
    expect(e.message).toMatch(/^continue_final_message and add_generation_prompt are not compatible/);
  });

  it('rejects empty conversations and non-dict documents', () => {
    expect(errorOf(() => renderConversation({ ...base, messages: [] }, { template: chatml })).message).toMatch(
      /empty conversation/,
    );
    expect(errorOf(() => renderConversation({ ...base, documents: ['x'] }, { template: chatml })).pyType).toBe(
      'TypeError',
    );
  });
});

describe('continue_final_message', () => {
  it('cuts after the final message, trimming whitespace the template dropped', () => {
    const r = renderConversation(base, { template: chatml, continueFinalMessage: true });
    expect(r.text).toBe('<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello  ');
    const trimmed = compileTemplate('{% for m in messages %}[{{ m.content|trim }}]{% endfor %}');
    expect(renderConversation(base, { template: trimmed, continueFinalMessage: true }).text).toBe('[Hi][Hello');
  });

  it('continues a named field and the last text block of list content', () => {
    const t = compileTemplate(
      "{% for m in messages %}{{ m.reasoning or '' }}|{{ m.content if m.content is string else m.content|map(attribute='text')|join }};{% endfor %}",
    );
    const conv = {
      ...base,
      messages: [
        {
          role: 'assistant',
          reasoning: 'think',
          content: [{ type: 'text', text: 'a' }, { type: 'image' }, { type: 'text', text: 'b' }, { type: 'image' }],
        },
      ],
    };
    expect(renderConversation(conv, { template: t, continueFinalMessage: 'reasoning' }).text).toBe('think');
    expect(renderConversation(conv, { template: t, continueFinalMessage: true }).text).toBe('think|ab');
    expect(conv.messages[0]!.content).toEqual([
      { type: 'text', text: 'a' },
      { type: 'image' },
      { type: 'text', text: 'b' },
      { type: 'image' },
    ]);
  });

  it('errors like transformers when there is nothing to continue', () => {
    expect(
      errorOf(() =>
        renderConversation(
          { ...base, messages: [{ role: 'user', content: null }] },
          { template: chatml, continueFinalMessage: true },
        ),
      ).message,
    ).toMatch(/final message has no "content" to continue/);
    expect(
      errorOf(() => renderConversation(base, { template: chatml, continueFinalMessage: 'reasoning' })).message,
    ).toMatch(/no "reasoning" to continue/);
    const dropper = compileTemplate("{% for m in messages if m.role == 'user' %}{{ m.content }}{% endfor %}");
    expect(errorOf(() => renderConversation(base, { template: dropper, continueFinalMessage: true })).message).toMatch(
      /does not appear in the chat/,
    );
  });
});

describe('strftime_now', () => {
  it('formats the pinned time as naive local time', () => {
    const t = compileTemplate("{{ strftime_now('%d %b %Y %H:%M:%S %A %-d %j') }}");
    expect(t.render({}, { now: '2025-03-04T09:26:53' }).text).toBe('04 Mar 2025 09:26:53 Tuesday 4 063');
  });
});
