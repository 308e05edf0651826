#!/usr/bin/env node
/**
 * Memory check for Parquet input: peak RSS must not grow with the input size.
 *
 * Usage: node scripts/parquet-memory.mjs [--repeats 1,10] [--pipeline] [--keep DIR]
 *
 * Builds Parquet files of the sgd conversations (../shared/data/sgd_train.messages.jsonl, else the
 * samples) repeated 1x and 10x (row groups of 1000 rows, zstd, messages as list<struct>), then in
 * a fresh process per file reads every row with readRows (what `run` does before rendering) and
 * reports rows, seconds and peak RSS. With --pipeline it also runs `chatshard run` on each file.
 * Needs `npm run build` first.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { ReadableStream } from 'node:stream/web';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Field, List, RecordBatchStreamWriter, Struct, Table, Utf8, vectorFromArray } from 'apache-arrow';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};

if (args[0] === '--child') {
  // Child: read one file through the read stage and report.
  const { readRows } = await import(join(root, 'dist/read/index.js'));
  const t0 = performance.now();
  let rows = 0;
  let chars = 0;
  for await (const r of readRows([args[1]], { parse: (s) => s })) {
    rows++;
    chars += r.value.length;
  }
  const out = {
    rows,
    chars,
    seconds: (performance.now() - t0) / 1000,
    peak_rss_mb: process.resourceUsage().maxRSS / 1024,
  };
  process.stdout.write(JSON.stringify(out) + '\n');
  process.exit(0);
}

const shared = join(root, '..', 'shared', 'data', 'sgd_train.messages.jsonl');
const source = existsSync(shared) ? shared : join(root, 'samples', 'data', 'sgd_multiturn.messages.jsonl');
const base = readFileSync(source, 'utf8')
  .split('\n')
  .filter((l) => l.trim())
  .map((l) => JSON.parse(l).messages.map((m) => ({ role: m.role, content: String(m.content ?? '') })));

const type = new List(
  new Field('item', new Struct([new Field('role', new Utf8(), true), new Field('content', new Utf8(), true)]), true),
);

async function writeParquet(path, repeats) {
  const pw = await import('parquet-wasm');
  const total = base.length * repeats;
  let next = 0;
  const input = new ReadableStream({
    pull(c) {
      if (next >= total) return c.close();
      const chunk = [];
      for (let i = 0; i < 1000 && next < total; i++, next++) chunk.push(base[next % base.length]);
      const table = new Table({ messages: vectorFromArray(chunk, type) });
      const ipc = RecordBatchStreamWriter.writeAll(table.batches).toUint8Array(true);
      c.enqueue(pw.Table.fromIPCStream(ipc).recordBatch(0));
    },
  });
  const props = new pw.WriterPropertiesBuilder().setCompression(pw.Compression.ZSTD).setMaxRowGroupSize(1000).build();
  const parts = [];
  for await (const b of await pw.transformParquetStream(input, props)) parts.push(b);
  writeFileSync(path, Buffer.concat(parts));
  return total;
}

const dir = opt('--keep') ?? mkdtempSync(join(tmpdir(), 'chatshard-pqmem-'));
mkdirSync(dir, { recursive: true });
const repeats = opt('--repeats', '1,10').split(',').map(Number);
const results = [];
for (const r of repeats) {
  const file = join(dir, `sgd-x${r}.parquet`);
  const rows = existsSync(file) ? null : await writeParquet(file, r);
  const child = JSON.parse(
    execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--child', file], { encoding: 'utf8' }),
  );
  const res = { repeats: r, file_mb: +(statSync(file).size / 1e6).toFixed(1), rows: rows ?? child.rows, read: child };
  if (args.includes('--pipeline')) {
    const out = join(dir, `out-x${r}`);
    const p = spawnSync(
      process.execPath,
      [
        join(root, 'dist/cli/main.js'),
        'run',
        join(root, 'pipeline/default.json'),
        '--input',
        file,
        '--output',
        out,
        '--overwrite',
        '--no-progress',
      ],
      { encoding: 'utf8', maxBuffer: 1 << 26 },
    );
    const s = JSON.parse(p.stdout);
    res.pipeline = {
      rows_written: s.rows_written,
      seconds: s.seconds,
      tokens_per_second: s.tokens_per_second,
      peak_rss_mb: s.peak_rss_mb,
    };
  }
  results.push(res);
  console.log(JSON.stringify(res));
}
if (!opt('--keep')) rmSync(dir, { recursive: true, force: true });
