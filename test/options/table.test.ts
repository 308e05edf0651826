import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yargs from 'yargs';
import { describe, expect, it } from 'vitest';
import { addFlags, flagValues } from '../../src/cli/flags.js';
import { buildOptions, readPipelineFile, UsageError } from '../../src/options/build.js';
import { DEFAULTS, flagOf, keyOf, OPTIONS, optionsOf } from '../../src/options/table.js';

const base = { input: ['a.jsonl'], tokenizer: 'tok', output: 'out' };

describe('option table', () => {
  it('derives defaults, flag names and per-command option lists from one entry each', () => {
    expect(DEFAULTS.masks).toBe('auto');
    expect(DEFAULTS.rolesToTrain).toEqual(['assistant']);
    expect('maxLength' in DEFAULTS).toBe(false);
    expect(flagOf('maxRenderChars')).toBe('max-render-chars');
    expect(keyOf('max-render-chars')).toBe('maxRenderChars');
    const render = optionsOf('render').map(([k]) => k);
    expect(render).toContain('masks');
    expect(render).not.toContain('output');
    expect(optionsOf('run').map(([k]) => k)).toEqual(
      Object.keys(OPTIONS).filter((k) =>
        (OPTIONS as Record<string, { commands: readonly string[] }>)[k]!.commands.includes('run'),
      ),
    );
  });

  it('generates yargs flags that parse into option keys', async () => {
    const args = await addFlags(yargs([]), 'run').parseAsync([
      '--max-length',
      '64',
      '--roles-to-train',
      'assistant',
      'tool',
      '--continue-final-message',
      '--masks',
      'infer',
    ]);
    expect(flagValues(args, 'run')).toEqual({
      maxLength: 64,
      rolesToTrain: ['assistant', 'tool'],
      continueFinalMessage: true,
      masks: 'infer',
    });
    const named = await addFlags(yargs([]), 'render').parseAsync(['--continue-final-message', 'reasoning']);
    expect(flagValues(named, 'render').continueFinalMessage).toBe('reasoning');
  });

  it('names options as flags for the CLI and as keys for library callers', () => {
    expect(() => buildOptions({}, { ...base, maxLength: 0 })).toThrow(
      new UsageError('--max-length must be a positive integer, got 0'),
    );
    expect(() => buildOptions({}, { ...base, maxLength: 0 }, { wording: 'key' })).toThrow(
      new UsageError('maxLength must be a positive integer, got 0'),
    );
    expect(() => buildOptions({}, { ...base, padding: 'max_length' })).toThrow(
      new UsageError('--padding max_length needs --max-length'),
    );
    expect(() => buildOptions({}, { ...base, masks: 'tags' as never })).toThrow(
      new UsageError('--masks must be one of auto, generation, infer, none, got tags'),
    );
    expect(() => buildOptions({}, { input: ['x'], tokenizer: 't' })).toThrow(
      new UsageError('missing --output (folder)'),
    );
    expect(() => buildOptions({}, { ...base, addGenerationPrompt: true, continueFinalMessage: true })).toThrow(
      UsageError,
    );
  });

  it('layers defaults < pipeline file < flags and parses JSON kwargs', () => {
    const o = buildOptions(
      { maxLength: 10, padding: 'longest' },
      { ...base, maxLength: 20, templateKwargs: '{"enable_thinking": false}' as never },
    );
    expect(o.maxLength).toBe(20);
    expect(o.padding).toBe('longest');
    expect(o.templateKwargs).toEqual({ enable_thinking: false });
    expect(o.engine).toBe('auto');
  });

  it('reads pipeline files with kebab or camel keys, resolving paths against the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'chatshard-opts-'));
    const file = join(dir, 'p.json');
    writeFileSync(
      file,
      JSON.stringify({ input: 'rows.jsonl', 'max-length': 8, chatTemplate: 'tool_use', $comment: 'x' }),
    );
    expect(readPipelineFile(file)).toEqual({
      input: [join(dir, 'rows.jsonl')],
      maxLength: 8,
      chatTemplate: 'tool_use',
    });
    writeFileSync(file, JSON.stringify({ max_length: 8 }));
    expect(() => readPipelineFile(file)).toThrow(new UsageError(`pipeline file ${file}: unknown option "max_length"`));
    writeFileSync(file, 'input: x\n');
    expect(() => readPipelineFile(file)).toThrow(/is not JSON/);
  });
});

describe('field-mapping options', () => {
  it('parse role maps from FROM=TO text or JSON and reject empty field names', () => {
    expect(buildOptions({}, { ...base, roleMap: 'human=user,gpt=assistant' as never }).roleMap).toEqual({
      human: 'user',
      gpt: 'assistant',
    });
    expect(() => buildOptions({}, { ...base, roleMap: 'human' as never })).toThrow(
      new UsageError('--role-map: "human" is not FROM=TO'),
    );
    expect(() => buildOptions({}, { ...base, messagesField: '' })).toThrow(
      new UsageError('--messages-field must be a non-empty field name, got ""'),
    );
  });
});
