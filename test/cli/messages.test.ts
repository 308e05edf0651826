/** Friendliness (issue 16 items 8, 9, 11) on the pure parts: progress figures, summaries, suggestions, wording. */
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliWording, readPipelineFile, UsageError } from '../../src/cli/config.js';
import {
  compact,
  duration,
  humanSummary,
  progressFigures,
  progressLine,
  progressReporter,
} from '../../src/cli/progress.js';
import { resumeCommand } from '../../src/cli/run.js';
import { suggestFlag } from '../../src/cli/suggest.js';
import { RunStats, type Summary } from '../../src/pipeline/summary.js';
import { ROOT } from '../helpers.js';

describe('progress', () => {
  it('percent of input bytes (or rows for a part), rows/s, tokens/s and ETA', () => {
    expect(progressFigures({ rowsIn: 50, tokens: 5000, bytesRead: 500 }, { bytes: 1000 }, 10)).toEqual({
      fraction: 0.5,
      rowsPerSec: 5,
      tokensPerSec: 500,
      etaSec: 10,
    });
    expect(progressFigures({ rowsIn: 30, tokens: 0, bytesRead: 999 }, { rows: 120 }, 3).fraction).toBe(0.25);
    expect(progressFigures({ rowsIn: 30, tokens: 60, bytesRead: 10 }, { bytes: undefined }, 3)).toEqual({
      fraction: undefined,
      rowsPerSec: 10,
      tokensPerSec: 20,
      etaSec: undefined,
    });
    expect(compact(1_234_567)).toBe('1.23M');
    expect(duration(125)).toBe('2m05s');
    expect(duration(7300)).toBe('2h01m');
  });

  it('plain lines under pipes/CI, nothing when disabled, never a bar', () => {
    const s = Object.assign(new RunStats(), { rowsIn: 40, rowsRejected: 2, tokens: 8000, bytesRead: 250 });
    expect(progressLine(s, progressFigures(s, { bytes: 1000 }, 4))).toBe(
      'chatshard: progress 25.0% 40 rows (2 rejected), 10 rows/s, 2000 tok/s, ETA 12s',
    );
    const written: string[] = [];
    const stream = { isTTY: false, write: (t: string) => written.push(t) } as unknown as NodeJS.WriteStream;
    const p = progressReporter(true, stream);
    p.update(s, { bytes: 1000 }); // the first line waits for the interval
    p.done();
    expect(written).toEqual([]);
    progressReporter(false, stream).update(s);
    expect(written).toEqual([]);
  });

  it('the short human summary names rows, rejects by reason, tokens, truncation, warnings and failure', () => {
    const summary = {
      rows_in: 10,
      rows_written: 7,
      rows_rejected: 3,
      rejected_by_reason: { invalid_json: 1, empty_mask: 2 },
      tokens: 1000,
      trainable_tokens: 250,
      tokens_per_second: 12_345,
      seconds: 4.2,
      shards: 1,
      output: '/out/ds',
      truncation: { rows_truncated: 2, tokens_cut: 300, rows_emptied: 1 },
      warnings: ['something to look at'],
      failure: '3 of 10 rows rejected',
    } as unknown as Summary;
    expect(humanSummary(summary)).toEqual([
      'wrote 7 of 10 rows to /out/ds in 4s; 3 rejected (empty_mask 2, invalid_json 1), see rejects.jsonl',
      '1000 tokens (25.0% trained), 1 shard(s), 12.3k tok/s',
      'truncation: 2 rows truncated, 300 tokens cut, 1 rows emptied (dropped)',
      'warning: something to look at',
      'failed: 3 of 10 rows rejected',
    ]);
  });
});

describe('messages', () => {
  it('suggests the closest flag for a typo', () => {
    const known = ['max-length', 'padding', 'padding-side', 'pad-token', 'roles-to-train'];
    expect(suggestFlag('max_length', known)).toBe('--max-length');
    expect(suggestFlag('maxLength', known)).toBe('--max-length');
    expect(suggestFlag('paddin', known)).toBe('--padding');
    expect(suggestFlag('role-to-train', known)).toBe('--roles-to-train');
    expect(suggestFlag('colour', known)).toBeUndefined();
  });

  it('library wording names options; the CLI prints flags', () => {
    expect(cliWording('set one with `padToken` or use `padding` do_not_pad')).toBe(
      'set one with --pad-token or use --padding do_not_pad',
    );
    expect(cliWording('a {% generation %} block and `x-y` stay')).toBe('a {% generation %} block and `x-y` stay');
  });

  it('a pipeline file that is not JSON says so', () => {
    const dir = mkdtempSync(join(tmpdir(), 'chatshard-msg-'));
    const p = join(dir, 'run.yaml');
    writeFileSync(p, 'input: data.jsonl\n');
    expect(() => readPipelineFile(p)).toThrow(UsageError);
    expect(() => readPipelineFile(p)).toThrow(new RegExp(`^pipeline file ${p} is not JSON \\(`));
    expect(() => readPipelineFile(join(dir, 'nope.json'))).toThrow(
      `pipeline file ${join(dir, 'nope.json')}: not found`,
    );
  });

  it('the resume command repeats the arguments with --resume instead of --overwrite', () => {
    expect(resumeCommand(['run', '-i', 'a b.jsonl', '-o', 'out', '--overwrite'])).toBe(
      "chatshard run -i 'a b.jsonl' -o out --resume",
    );
    expect(resumeCommand(['run', 'p.json', '--resume'])).toBe('chatshard run p.json --resume');
  });

  it('shipped source maps carry their sources (src/ is not in the package)', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { files: string[] };
    expect(pkg.files).not.toContain('src');
    const maps = readdirSync(join(ROOT, 'dist/cli')).filter((f) => f.endsWith('.js.map'));
    expect(maps.length).toBeGreaterThan(0);
    for (const m of maps) {
      const map = JSON.parse(readFileSync(join(ROOT, 'dist/cli', m), 'utf8')) as { sourcesContent?: string[] };
      expect(map.sourcesContent?.[0]?.length, m).toBeGreaterThan(0);
    }
  });
});
