import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { flagOf, OPTIONS } from '../../src/options/table.js';
import { ROOT } from '../helpers.js';

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** The `--flags` named in the first column of the README's CLI flag table. */
function flagTableFlags(): string[] {
  const section = README.slice(README.indexOf('## CLI'), README.indexOf('### Input rows'));
  const rows = section.split('\n').filter((l) => l.startsWith('| `--'));
  return rows.flatMap((r) => [...r.split('|')[1]!.matchAll(/`(--[a-z0-9-]+)/g)].map((m) => m[1]!));
}

describe('README', () => {
  it('documents every option of the option table', () => {
    const missing = Object.keys(OPTIONS)
      .map((k) => `--${flagOf(k)}`)
      .filter((f) => !README.includes(`\`${f}`));
    expect(missing).toEqual([]);
  });

  it('lists only real options in the CLI flag table, each choice of them named', () => {
    const flags = flagTableFlags();
    expect(flags.length).toBeGreaterThan(20);
    const known = new Set(Object.keys(OPTIONS).map((k) => `--${flagOf(k)}`));
    expect(flags.filter((f) => !known.has(f))).toEqual([]);
    const section = README.slice(README.indexOf('## CLI'), README.indexOf('### Input rows'));
    for (const [key, spec] of Object.entries(OPTIONS) as [string, { choices?: readonly string[] }][]) {
      if (!spec.choices || !flags.includes(`--${flagOf(key)}`)) continue;
      const row = section.split('\n').find((l) => l.startsWith(`| \`--${flagOf(key)}\``))!;
      expect(
        spec.choices.filter((c) => !row.includes(`\`${c}\``)),
        `--${flagOf(key)}`,
      ).toEqual([]);
    }
  });
});
