/**
 * `keepColumns` through runPipeline: values come from the raw input row (before field mapping),
 * rejected rows carry them in rejects.jsonl, and the kept list is part of the run's identity
 * (resume refuses another list, the same list resumes to the uninterrupted output).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openShard, shardFiles } from '../../src/dataset/read.js';
import type { PipelineOptions } from '../../src/pipeline/options.js';
import { runPipeline, RunInterrupted } from '../../src/pipeline/run.js';
import { verifyDataset } from '../../src/verify/index.js';
import { ROOT, testOptions } from '../helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'chatshard-keep-'));
const opts = (over: Partial<PipelineOptions>): PipelineOptions =>
  testOptions({
    tokenizer: join(ROOT, 'samples/tokenizer'),
    chatTemplate: join(ROOT, 'samples/qwen2_5_training.jinja'),
    now: '2025-03-14T09:26:53',
    ...over,
  });

/** Chat rows under other names (`chat` / `speaker` / `text`), each with an id and a source. */
const row = (i: number, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    id: `row-${i}`,
    source: { file: 'f.json', n: i },
    chat: [
      { speaker: 'human', text: `question ${i}` },
      { speaker: 'bot', text: `answer ${i}` },
    ],
    ...extra,
  });
const mapping = {
  messagesField: 'chat',
  roleField: 'speaker',
  contentField: 'text',
  roleMap: { human: 'user', bot: 'assistant' },
};

/** Kept columns of a written dataset, in row order. */
async function kept(dir: string, names: string[]): Promise<unknown[][]> {
  const rows: unknown[][] = [];
  for (const file of await shardFiles(dir))
    for await (const batch of await openShard(join(dir, file)))
      for (let r = 0; r < batch.numRows; r++) rows.push(names.map((n) => batch.getChild(n)!.get(r)));
  return rows;
}

describe('keepColumns in a run', () => {
  it('keeps raw-row fields under field mapping; rejects carry them when the row parsed', async () => {
    const input = join(tmp, 'mapped.jsonl');
    writeFileSync(
      input,
      [
        row(0),
        '{broken',
        JSON.stringify({ id: 'row-2', source: null }),
        row(3, { source: 'plain' }),
        row(4, { id: 5 }),
      ].join('\n') + '\n',
    );
    const out = join(tmp, 'mapped');
    const s = await runPipeline(
      opts({ input: [input], output: out, ...mapping, keepColumns: ['id', 'source', 'chat'], maxRejectRatio: 1 }),
    );
    expect(s.kept_columns).toEqual({ id: 'string', source: 'json', chat: 'json' });
    expect(s.rejected_by_reason).toEqual({ invalid_json: 1, no_messages: 1, keep_column_type: 1 });
    expect(await kept(out, ['id', 'source'])).toEqual([
      ['row-0', '{"file":"f.json","n":0}'],
      ['row-3', '"plain"'],
    ]);
    // The raw field, not the mapped messages.
    expect(JSON.parse((await kept(out, ['chat']))[0]![0] as string)).toEqual([
      { speaker: 'human', text: 'question 0' },
      { speaker: 'bot', text: 'answer 0' },
    ]);
    const rejects = readFileSync(join(out, 'rejects.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { line: number; reason: string; message: string; columns?: unknown });
    expect(rejects.map((r) => [r.line, r.reason, r.columns])).toEqual([
      [2, 'invalid_json', undefined],
      [3, 'no_messages', { id: 'row-2', source: null, chat: null }],
      [5, 'keep_column_type', expect.objectContaining({ id: '5', source: '{"file":"f.json","n":4}' })],
    ]);
    expect(rejects[2]!.message).toBe(
      'kept column "id" holds strings (its first non-null value in the input), this row has an integer: 5',
    );
    expect(await verifyDataset(out)).toMatchObject({ ok: true, rows: 2 });
  });

  it('is part of the run identity: resume refuses another list, the same list completes as one run', async () => {
    const input = join(tmp, 'forty.jsonl');
    writeFileSync(input, Array.from({ length: 40 }, (_, i) => row(i)).join('\n') + '\n');
    const out = join(tmp, 'resumed');
    const o = opts({ input: [input], output: out, ...mapping, keepColumns: ['id'], padding: 'longest', batchSize: 4 });
    const tuning = { rowsPerShard: 4 };
    const ac = new AbortController();
    const err = await runPipeline(
      o,
      { signal: ac.signal, onProgress: (s) => s.rowsWritten >= 12 && ac.abort() },
      tuning,
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RunInterrupted);
    await expect(runPipeline({ ...o, keepColumns: ['id', 'source'], resume: true }, {}, tuning)).rejects.toThrow(
      /differs from the interrupted one in: options;/,
    );
    const done = await runPipeline({ ...o, resume: true }, {}, tuning);
    expect(done.resumed_rows).toBeGreaterThan(0);
    expect(done.rows_written).toBe(40);
    expect(await kept(out, ['id'])).toEqual(Array.from({ length: 40 }, (_, i) => [`row-${i}`]));
  }, 60_000);
});
