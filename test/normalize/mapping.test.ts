import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildOptions, readPipelineFile, UsageError } from '../../src/cli/config.js';
import { normalizeRow, parseRoleMap, type FieldMapping } from '../../src/normalize/index.js';
import { fieldMappingOf } from '../../src/pipeline/render-row.js';

const ref = { file: 'f.jsonl', line: 2 };
const norm = (value: unknown, mapping?: FieldMapping) => normalizeRow({ ref, index: 1, value }, mapping);

describe('parseRoleMap', () => {
  it('reads FROM=TO lists, JSON objects and Axolotl roles lists', () => {
    expect(parseRoleMap('human=user, bot=assistant')).toEqual({ human: 'user', bot: 'assistant' });
    expect(parseRoleMap('{"human": "user"}')).toEqual({ human: 'user' });
    expect(parseRoleMap({ user: ['human', 'customer'], assistant: ['gpt'] })).toEqual({
      human: 'user',
      customer: 'user',
      gpt: 'assistant',
    });
  });
  it('names what is wrong', () => {
    expect(() => parseRoleMap('human')).toThrow('role-map: "human" is not FROM=TO');
    expect(() => parseRoleMap('{"a": 1}')).toThrow(
      'role-map: value of "a" must be a role name or a list of source names',
    );
    expect(() => parseRoleMap('{oops')).toThrow('role-map: not valid JSON');
  });
});

describe('normalizeRow with a field mapping', () => {
  const mapping: FieldMapping = {
    messagesField: 'chat',
    roleField: 'speaker',
    contentField: 'text',
    roleMap: { human: 'user', bot: 'assistant' },
    toolsField: 'functions',
  };

  it('renames message fields, maps role values, keeps other keys and reads tools from their field', () => {
    const out = norm(
      {
        chat: [
          { speaker: 'human', text: 'hi', lang: 'en' },
          { speaker: 'bot', text: '', tool_calls: [{ type: 'function', function: { name: 'f', arguments: '{}' } }] },
          { speaker: 'tool', text: '{"ok":true}' },
        ],
        functions: '[{"type":"function","function":{"name":"f"}}]',
        tools: 'ignored',
      },
      mapping,
    );
    expect(out).toEqual({
      ok: true,
      row: {
        ref,
        index: 1,
        messages: [
          { role: 'user', content: 'hi', lang: 'en' },
          {
            role: 'assistant',
            content: '',
            tool_calls: [{ type: 'function', function: { name: 'f', arguments: '{}' } }],
          },
          { role: 'tool', content: '{"ok":true}' },
        ],
        tools: [{ type: 'function', function: { name: 'f' } }],
      },
    });
  });

  it('rejects rows without the field or a role, naming the field', () => {
    expect(norm({ messages: [] }, mapping)).toMatchObject({
      ok: false,
      reject: { reason: 'no_messages', message: 'row has no "chat" list (--messages-field)' },
    });
    expect(norm({ chat: [{ text: 'x' }] }, mapping)).toMatchObject({
      ok: false,
      reject: { reason: 'invalid_message', message: 'chat[0] has no "speaker" string' },
    });
  });

  it('a messages field holding ShareGPT turns is read as ShareGPT; the role map wins over its names', () => {
    const out = norm(
      {
        dialog: [
          { from: 'customer', value: 'q' },
          { from: 'gpt', value: 'a' },
        ],
        system: 'S',
      },
      { messagesField: 'dialog', roleMap: { customer: 'user' } },
    );
    expect(out.ok && out.row.messages).toEqual([
      { role: 'system', content: 'S' },
      { role: 'user', content: 'q' },
      { role: 'assistant', content: 'a' },
    ]);
  });

  it('--system adds a system message only where there is none', () => {
    const m: FieldMapping = { system: 'Be brief.' };
    const a = norm({ messages: [{ role: 'user', content: 'q' }] }, m);
    expect(a.ok && a.row.messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'q' },
    ]);
    const b = norm({ conversations: [{ from: 'human', value: 'q' }], system: 'Own.' }, m);
    expect(b.ok && b.row.messages[0]).toEqual({ role: 'system', content: 'Own.' });
  });

  it('without a mapping, OpenAI and ShareGPT detection is unchanged', () => {
    const a = norm({ messages: [{ role: 'user', content: 'q' }] });
    expect(a.ok && a.row.messages).toEqual([{ role: 'user', content: 'q' }]);
    const b = norm({ conversations: [{ from: 'human', value: 'q' }] });
    expect(b.ok && b.row.messages).toEqual([{ role: 'user', content: 'q' }]);
  });
});

describe('mapping options in pipeline files and flags', () => {
  const base = { input: ['x.jsonl'], tokenizer: 't', output: 'o' };
  it('a pipeline file takes the same keys; the role map string is parsed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'chatshard-map-'));
    const file = join(dir, 'p.json');
    writeFileSync(
      file,
      JSON.stringify({
        ...base,
        'messages-field': 'conversation',
        'role-field': 'speaker',
        'content-field': 'text',
        'role-map': 'human=user,bot=assistant',
        'tools-field': 'functions',
        system: 'Be brief.',
        format: 'parquet',
      }),
    );
    const o = buildOptions(readPipelineFile(file), {});
    expect(o).toMatchObject({
      messagesField: 'conversation',
      roleField: 'speaker',
      contentField: 'text',
      roleMap: { human: 'user', bot: 'assistant' },
      toolsField: 'functions',
      system: 'Be brief.',
      format: 'parquet',
    });
    // What run, render and inspect hand to normalizeRow.
    expect(fieldMappingOf(o)).toEqual({
      messagesField: 'conversation',
      roleField: 'speaker',
      contentField: 'text',
      roleMap: { human: 'user', bot: 'assistant' },
      toolsField: 'functions',
      system: 'Be brief.',
    });
  });
  it('bad values are usage errors', () => {
    expect(() => buildOptions({}, { ...base, roleMap: 'human' as unknown as Record<string, string> })).toThrow(
      new UsageError('--role-map: "human" is not FROM=TO'),
    );
    expect(() => buildOptions({}, { ...base, format: 'csv' as 'arrow' })).toThrow(
      new UsageError('--format must be one of arrow, parquet, got csv'),
    );
  });
});
