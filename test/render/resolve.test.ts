/** resolveChatTemplate: transformers 5.x template selection from a tokenizer directory/config. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chatTemplateHash, resolveChatTemplate, specialTokensFromConfig } from '../../src/render/index.js';

function dir(files: Record<string, string>): string {
  const d = mkdtempSync(join(tmpdir(), 'chatshard-tpl-'));
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(join(d, p, '..'), { recursive: true });
    writeFileSync(join(d, p), text);
  }
  return d;
}

describe('resolveChatTemplate', () => {
  it('prefers chat_template.jinja over tokenizer_config.json', () => {
    const d = dir({
      'chat_template.jinja': 'FILE{{ x }}',
      'tokenizer_config.json': JSON.stringify({ chat_template: 'CONFIG' }),
    });
    expect(resolveChatTemplate({ tokenizerDir: d })).toEqual({ name: 'default', source: 'FILE{{ x }}' });
  });

  it('uses additional_chat_templates with tool_use when tools are given', () => {
    const d = dir({
      'chat_template.jinja': 'D',
      'additional_chat_templates/tool_use.jinja': 'T',
      'additional_chat_templates/rag.jinja': 'R',
    });
    expect(resolveChatTemplate({ tokenizerDir: d })).toEqual({ name: 'default', source: 'D' });
    expect(resolveChatTemplate({ tokenizerDir: d, hasTools: true })).toEqual({ name: 'tool_use', source: 'T' });
    expect(resolveChatTemplate({ tokenizerDir: d, chatTemplate: 'rag' })).toEqual({ name: 'rag', source: 'R' });
  });

  it('reads tokenizer_config chat_template as string or named list', () => {
    expect(resolveChatTemplate({ tokenizerConfig: { chat_template: 'S' } }).source).toBe('S');
    const cfg = {
      chat_template: [
        { name: 'default', template: 'D' },
        { name: 'tool_use', template: 'T' },
      ],
    };
    expect(resolveChatTemplate({ tokenizerConfig: cfg, hasTools: true })).toEqual({ name: 'tool_use', source: 'T' });
    expect(resolveChatTemplate({ tokenizerConfig: cfg })).toEqual({ name: 'default', source: 'D' });
  });

  it('errors clearly', () => {
    expect(() =>
      resolveChatTemplate({
        tokenizerConfig: {
          chat_template: [
            { name: 'a', template: 'A' },
            { name: 'b', template: 'B' },
          ],
        },
      }),
    ).toThrow(/no default specified.*\["a","b"\]/);
    expect(() => resolveChatTemplate({ tokenizerConfig: {} })).toThrow(/chat_template is not set/);
    expect(() => resolveChatTemplate({ tokenizerConfig: { chat_template: 'S' }, chatTemplate: 'nosuchname' })).toThrow(
      /neither a template file/,
    );
  });

  it('accepts a file path or literal text as chatTemplate', () => {
    const d = dir({ 'my.jinja': "{{ 'mine' }}" });
    expect(resolveChatTemplate({ chatTemplate: join(d, 'my.jinja') }).source).toBe("{{ 'mine' }}");
    expect(resolveChatTemplate({ chatTemplate: "{{ 'lit' }}" })).toEqual({ name: '<inline>', source: "{{ 'lit' }}" });
  });

  it('hashes and extracts special tokens', () => {
    expect(chatTemplateHash('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(
      specialTokensFromConfig({ bos_token: '<s>', eos_token: { content: '</s>', lstrip: false }, pad_token: null }),
    ).toEqual({ bos_token: '<s>', eos_token: '</s>' });
  });
});
