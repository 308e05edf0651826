import { describe, expect, it } from 'vitest';
import { normalizeRow } from '../../src/normalize/index.js';

const ref = { file: 'f.jsonl', line: 7 };
const norm = (value: unknown) => normalizeRow({ ref, index: 3, value });

describe('normalizeRow', () => {
  it('passes OpenAI messages, tools, documents and row options through unchanged', () => {
    const messages = [
      { role: 'user', content: [{ type: 'text', text: 'hi' }] },
      {
        role: 'assistant',
        content: '',
        reasoning_content: 'r',
        tool_calls: [{ type: 'function', function: { name: 'f', arguments: '{"a":1}' } }],
      },
      { role: 'tool', content: '{"ok":true}', tool_call_id: 'c1' },
    ];
    const out = norm({
      messages,
      tools: [{ type: 'function', function: { name: 'f' } }],
      documents: [{ text: 'd' }],
      chat_template_kwargs: { enable_thinking: false },
      add_generation_prompt: true,
      id: 'x',
    });
    expect(out.ok).toBe(true);
    if (!out.ok) return;
    expect(out.row.messages).toEqual(messages);
    expect(out.row.tools).toEqual([{ type: 'function', function: { name: 'f' } }]);
    expect(out.row.documents).toEqual([{ text: 'd' }]);
    expect(out.row.chatTemplateKwargs).toEqual({ enable_thinking: false });
    expect(out.row.addGenerationPrompt).toBe(true);
    expect(out.row.ref).toEqual(ref);
  });

  it('maps ShareGPT roles, function_call and observation, and LLaMA-Factory tool strings', () => {
    const out = norm({
      system: 'sys',
      conversations: [
        { from: 'human', value: 'weather?' },
        { from: 'function_call', value: '{"name": "get_weather", "arguments": {"city": "Paris"}}' },
        { from: 'observation', value: '{"t": 20}' },
        { from: 'gpt', value: 'It is 20.' },
      ],
      tools: '[{"name": "get_weather", "parameters": {"type": "object"}}]',
    });
    expect(out.ok).toBe(true);
    if (!out.ok) return;
    expect(out.row.messages).toEqual([
      { role: 'system', content: 'sys' },
      { role: 'user', content: 'weather?' },
      {
        role: 'assistant',
        content: '',
        tool_calls: [
          { id: 'call_00001', type: 'function', function: { name: 'get_weather', arguments: { city: 'Paris' } } },
        ],
      },
      { role: 'tool', content: '{"t": 20}', tool_call_id: 'call_00001', name: 'get_weather' },
      { role: 'assistant', content: 'It is 20.' },
    ]);
    expect(out.row.tools).toEqual([
      { type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } },
    ]);
  });

  it('converts LLaMA-Factory v1 typed parts', () => {
    const out = norm({
      messages: [
        { role: 'user', content: [{ type: 'text', value: 'q' }] },
        {
          role: 'assistant',
          content: [
            { type: 'reasoning', value: 'think' },
            { type: 'text', value: 'a' },
            { type: 'tool_call', value: '{"name":"f","arguments":{"x":1}}' },
          ],
        },
      ],
    });
    expect(out.ok && out.row.messages[1]).toEqual({
      role: 'assistant',
      content: 'a',
      reasoning_content: 'think',
      tool_calls: [{ id: 'call_00001', type: 'function', function: { name: 'f', arguments: { x: 1 } } }],
    });
  });

  it.each([
    ['not an object', [1, 2], 'not_an_object'],
    ['null', null, 'not_an_object'],
    ['no messages', { text: 'hi' }, 'no_messages'],
    ['empty messages', { messages: [] }, 'no_messages'],
    ['messages not a list', { messages: 'hi' }, 'no_messages'],
    ['message without role', { messages: [{ content: 'x' }] }, 'invalid_message'],
    ['message not an object', { messages: ['x'] }, 'invalid_message'],
    ['bad function_call JSON', { conversations: [{ from: 'function_call', value: '{' }] }, 'invalid_message'],
    ['tools not a list', { messages: [{ role: 'user', content: 'x' }], tools: { a: 1 } }, 'invalid_tools'],
  ])('rejects %s with a reason and the row position', (_n, value, reason) => {
    const out = norm(value);
    expect(out.ok).toBe(false);
    if (out.ok) return;
    expect(out.reject.reason).toBe(reason);
    expect(out.reject.ref).toEqual(ref);
    expect(out.reject.index).toBe(3);
  });

  it('keeps empty lists as values: tools: [] and documents: [] reach the template as []', () => {
    const messages = [{ role: 'user', content: 'x' }];
    const out = norm({ messages, tools: [], documents: [] });
    expect(out.ok).toBe(true);
    if (!out.ok) return;
    expect(out.row.tools).toEqual([]);
    expect(out.row.documents).toEqual([]);
    const parsed = norm({ conversations: [{ from: 'human', value: 'x' }], tools: '[]' });
    expect(parsed.ok && parsed.row.tools).toEqual([]);
  });

  it('treats null, absent and an empty tools string as no tools', () => {
    const messages = [{ role: 'user', content: 'x' }];
    for (const extra of [{}, { tools: null, documents: null }, { tools: '' }, { tools: '  ' }]) {
      const out = norm({ messages, ...extra });
      expect(out.ok).toBe(true);
      if (!out.ok) return;
      expect('tools' in out.row, JSON.stringify(extra)).toBe(false);
      expect('documents' in out.row, JSON.stringify(extra)).toBe(false);
    }
  });

  it('classifies read-stage errors', () => {
    const out = normalizeRow({ ref, index: 0, error: 'invalid JSON: Unexpected token' });
    expect(!out.ok && out.reject.reason).toBe('invalid_json');
  });
});
