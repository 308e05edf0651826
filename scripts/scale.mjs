// Throughput and memory at scale: builds inputs by repeating a real dataset (default
// ../shared/data/sgd_train.messages.jsonl) to N rows, runs the CLI on each, prints tokens/s and peak RSS.
// Usage: node scripts/scale.mjs [--rows 10000,100000,1000000] [--gb 1] [--engine native] [--workers N]
import { execFileSync } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { dirname, join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (n, d) => {
  const i = args.indexOf(n);
  return i >= 0 ? args[i + 1] : d;
};
const source = opt(
  '--data',
  existsSync(join(root, '../shared/data/sgd_train.messages.jsonl'))
    ? join(root, '../shared/data/sgd_train.messages.jsonl')
    : join(root, 'samples/data/sgd_multiturn.messages.jsonl'),
);
const gb = opt('--gb');
const counts = gb ? [] : opt('--rows', '10000,100000').split(',').map(Number);
const work = join(tmpdir(), 'chatshard-scale');
mkdirSync(work, { recursive: true });

const lines = [];
for await (const l of createInterface({ input: createReadStream(source) })) if (l.trim()) lines.push(l);

async function build(rows, bytes) {
  const file = join(work, bytes ? `input-${gb}gb.jsonl` : `input-${rows}.jsonl`);
  const out = createWriteStream(file);
  let n = 0;
  let size = 0;
  while (bytes ? size < bytes : n < rows) {
    const l = lines[n++ % lines.length] + '\n';
    size += Buffer.byteLength(l);
    if (!out.write(l)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return { file, rows: n, bytes: statSync(file).size };
}

const runs = gb ? [await build(0, Number(gb) * 1024 ** 3)] : await Promise.all(counts.map((c) => build(c)));
for (const input of runs) {
  const outDir = join(work, 'out');
  const flags = [
    'run',
    '-i',
    input.file,
    '-o',
    outDir,
    '--overwrite',
    '--progress',
    'false',
    '-t',
    join(root, 'samples/tokenizer'),
    '--chat-template',
    join(root, 'samples/qwen2_5_training.jinja'),
    '--max-length',
    '4096',
    '--engine',
    opt('--engine', 'native'),
  ];
  if (opt('--workers')) flags.push('--workers', opt('--workers'));
  const summary = JSON.parse(
    execFileSync(process.execPath, [join(root, 'dist/cli/main.js'), ...flags], {
      encoding: 'utf8',
      maxBuffer: 1 << 26,
    }),
  );
  console.log(
    JSON.stringify({
      rows: input.rows,
      input_mb: Math.round(input.bytes / 2 ** 20),
      tokens: summary.tokens,
      seconds: summary.seconds,
      tokens_per_second: summary.tokens_per_second,
      rows_per_second: Math.round(summary.rows_in / summary.seconds),
      peak_rss_mb: summary.peak_rss_mb,
      shards: summary.shards,
    }),
  );
  rmSync(outDir, { recursive: true, force: true });
  rmSync(input.file, { force: true });
}
