/**
 * Inputs besides JSONL: Parquet (struct columns and datasets 5's Json columns), a save_to_disk
 * folder, `.jsonl.zst`. The fixtures (test/fixtures/formats, made by
 * scripts/goldens/make_format_fixtures.py) hold the same 60 conversations as chats.jsonl; each input
 * must give the same dataset as the JSONL, byte for byte.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromJSON, tableToIPC } from 'apache-arrow';
import { beforeAll, describe, expect, it } from 'vitest';
import { parquetWasm } from '../../src/parquet/index.js';
import { runPipeline } from '../../src/pipeline/run.js';
import { normalizeRow } from '../../src/normalize/index.js';
import { countInputRows, expandInputs, readRows } from '../../src/read/index.js';
import type { RawRow } from '../../src/types.js';
import { ROOT, testOptions } from '../helpers.js';

const FIX = join(ROOT, 'test', 'fixtures', 'formats');
const tmp = mkdtempSync(join(tmpdir(), 'chatshard-formats-'));

async function collect(inputs: string[], from?: number): Promise<RawRow[]> {
  const rows: RawRow[] = [];
  for await (const r of readRows(inputs, { from })) rows.push(r);
  return rows;
}

/** Run the sample pipeline on `input`; returns the shard bytes. */
async function run(name: string, input: string, extra: Parameters<typeof testOptions>[0] = {}) {
  const output = join(tmp, name);
  const summary = await runPipeline(
    testOptions({
      input: [input],
      tokenizer: join(ROOT, 'samples', 'tokenizer'),
      chatTemplate: join(ROOT, 'samples', 'qwen2_5_training.jinja'),
      output,
      now: '2025-03-14T09:26:53',
      maxLength: 4096,
      ...extra,
    }),
  );
  return { summary, shard: await readFile(join(output, 'data-00000-of-00001.arrow')) };
}

let reference: Awaited<ReturnType<typeof run>>;
beforeAll(async () => {
  reference = await run('jsonl', join(FIX, 'chats.jsonl'));
  expect(reference.summary.rows_written).toBe(60);
}, 60_000);

describe('columnar and compressed inputs give the same dataset as the JSONL', () => {
  it.each([
    ['Parquet (list<struct> messages)', 'chats.parquet'],
    ['save_to_disk folder (2 Arrow shards, datasets 5 Json messages)', 'save_to_disk'],
  ])(
    '%s',
    async (_label, file) => {
      const got = await run(file, join(FIX, file));
      expect(got.summary.rows_in).toBe(60);
      expect(got.summary.rows_written).toBe(60);
      expect(got.shard.equals(reference.shard)).toBe(true);
    },
    60_000,
  );
});

describe('inputs that hold exactly the JSONL values', () => {
  // These need no pipeline run: the conversations themselves must come out equal.
  const conversations = async (file: string) => {
    const out: unknown[] = [];
    for await (const r of readRows([file])) {
      const c = normalizeRow(r);
      out.push(c.ok ? { messages: c.row.messages, tools: c.row.tools } : c.reject.reason);
    }
    return out;
  };
  it.each([
    ['Parquet (datasets 5 Json messages)', 'chats.json.parquet'],
    ['.jsonl.zst', 'chats.jsonl.zst'],
  ])('%s', async (_label, file) => {
    const want = await conversations(join(FIX, 'chats.jsonl'));
    expect(want).toHaveLength(60);
    expect(await conversations(join(FIX, file))).toEqual(want);
  });
});

describe('field mapping', () => {
  it('renamed-field JSONL (conversation / speaker / text, human / bot, functions) gives the same dataset', async () => {
    const file = join(FIX, 'chats.renamed.jsonl');
    const got = await run('renamed', file, {
      messagesField: 'conversation',
      roleField: 'speaker',
      contentField: 'text',
      roleMap: { human: 'user', bot: 'assistant' },
      toolsField: 'functions',
    });
    expect(got.summary.rows_written).toBe(60);
    expect(got.shard.equals(reference.shard)).toBe(true);
    // Without the mapping nothing is recognised, and every row says why.
    const plain = await runPipeline(
      testOptions({
        input: [file],
        tokenizer: join(ROOT, 'samples', 'tokenizer'),
        chatTemplate: join(ROOT, 'samples', 'qwen2_5_training.jinja'),
        output: join(tmp, 'renamed-unmapped'),
      }),
    );
    expect(plain.rejected_by_reason).toEqual({ no_messages: 60 });
  }, 60_000);
});

describe('reading Arrow rows', () => {
  it('gives struct fields a message lacks as null (None in templates), with file:row positions', async () => {
    const rows = await collect([join(FIX, 'chats.parquet')]);
    expect(rows).toHaveLength(60);
    expect(rows[0]!.ref).toEqual({ file: join(FIX, 'chats.parquet'), line: 1 });
    expect(rows[59]!.ref).toEqual({ file: join(FIX, 'chats.parquet'), line: 60 });
    const first = rows[0]!.value as { messages: Record<string, unknown>[]; tools: unknown };
    expect(first.messages[0]).toEqual({
      role: 'user',
      content: 'Hi, I have some ingredients and I want to cook something. Can you help me find a recipe?',
      tool_calls: null,
      tool_call_id: null,
      name: null,
    });
    expect(typeof first.tools).toBe('string');
    const sgd = rows[40]!.value as { tools: unknown };
    expect(sgd.tools).toBeNull();
  });

  it('save_to_disk folders expand to their shards in state.json order; rows are numbered per shard', async () => {
    const dir = join(FIX, 'save_to_disk');
    expect(await expandInputs([dir])).toEqual([
      join(dir, 'data-00000-of-00002.arrow'),
      join(dir, 'data-00001-of-00002.arrow'),
    ]);
    const rows = await collect([dir]);
    expect(rows.map((r) => r.index)).toEqual(Array.from({ length: 60 }, (_, i) => i));
    expect(rows[30]!.ref).toEqual({ file: join(dir, 'data-00001-of-00002.arrow'), line: 1 });
    expect(await countInputRows([dir])).toBe(60);
    expect(await countInputRows([join(FIX, 'chats.parquet'), join(FIX, 'chats.jsonl')])).toBe(120);
  });

  it('`from` skips rows without yielding them, keeping indices and positions', async () => {
    const rows = await collect([join(FIX, 'chats.jsonl'), join(FIX, 'chats.parquet')], 75);
    expect(rows[0]!.index).toBe(75);
    expect(rows[0]!.ref).toEqual({ file: join(FIX, 'chats.parquet'), line: 16 });
    expect(rows).toHaveLength(45);
  });

  it('keeps integral floats as floats and int64 exact in the JSON text', async () => {
    const pw = await parquetWasm();
    const t = tableFromJSON([{ score: 2, big: 1n << 60n, name: 'a' }]);
    const file = join(tmp, 'numbers.parquet');
    writeFileSync(file, pw.writeParquet(pw.Table.fromIPCStream(tableToIPC(t, 'stream'))));
    const texts: unknown[] = [];
    for await (const r of readRows([file], { parse: (s) => s })) texts.push(r.value);
    expect(texts).toEqual(['{"score":2.0,"big":1152921504606846976,"name":"a"}']);
  });

  it('reports a cut .jsonl.zst as a read error row after the rows before the cut', async () => {
    const bytes = readFileSync(join(FIX, 'chats.jsonl.zst'));
    const file = join(tmp, 'cut.jsonl.zst');
    writeFileSync(file, bytes.subarray(0, bytes.length - 100));
    const rows = await collect([file]);
    const last = rows.at(-1)!;
    expect(last.error).toBe('read error: truncated zstd stream');
    expect(rows.slice(0, -1).every((r) => r.error === undefined)).toBe(true);
  });

  it('reports a file that is not Parquet as one read error row naming it', async () => {
    const file = join(tmp, 'bad.parquet');
    writeFileSync(file, 'not parquet at all');
    const rows = await collect([file]);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.ref).toEqual({ file, line: 1 });
    expect(rows[0]!.error).toMatch(/^read error: .*bad\.parquet: not a readable Parquet file/);
  });
});
