// Throughput and memory at scale: builds inputs by repeating a real dataset (default
// ../shared/data/sgd_train.messages.jsonl) to N rows, runs the CLI on each, prints tokens/s, tokens per
// CPU second (all threads of the run) and peak RSS, then each run's throughput relative to the first.
// --long-mb M adds one run on a single conversation of M MB (scripts/long-conversation.mjs).
// Usage: node scripts/scale.mjs [--rows 12174,97392] [--gb 1] [--long-mb 5] [--engine auto] [--workers N]
import { execFileSync, spawnSync } from 'node:child_process';
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
const counts = gb ? [] : opt('--rows', '12174,97392').split(',').map(Number);
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
const longMb = opt('--long-mb');
if (longMb) {
  const file = join(work, `long-${longMb}mb.jsonl`);
  execFileSync(process.execPath, [join(root, 'scripts/long-conversation.mjs'), file, '--mb', longMb, '--data', source]);
  runs.push({ file, rows: 1, bytes: statSync(file).size, long: true });
}
// The child reports its CPU time (all threads) on stderr as it exits.
const cpuHook =
  'data:text/javascript,process.on("exit",()=>{const c=process.cpuUsage();' +
  'process.stderr.write("\\ncpu-seconds "+(c.user+c.system)/1e6+"\\n")})';
const results = [];
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
    opt('--engine', 'auto'),
    '--json',
  ];
  // One long row: keep all of it (the memory case is encoding it whole).
  if (input.long) flags[flags.indexOf('--max-length') + 1] = String(2 ** 30);
  if (opt('--workers')) flags.push('--workers', opt('--workers'));
  const child = spawnSync(process.execPath, ['--import', cpuHook, join(root, 'dist/cli/main.js'), ...flags], {
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  if (child.status !== 0) throw new Error(`chatshard run failed (${child.status}): ${child.stderr}`);
  const summary = JSON.parse(child.stdout);
  const cpu = Number(/cpu-seconds ([\d.]+)/.exec(child.stderr)?.[1]);
  const r = {
    rows: input.rows,
    ...(input.long ? { long_conversation: true } : {}),
    input_mb: Math.round(input.bytes / 2 ** 20),
    tokens: summary.tokens,
    seconds: summary.seconds,
    cpu_seconds: +cpu.toFixed(2),
    tokens_per_second: summary.tokens_per_second,
    tokens_per_cpu_second: Math.round(summary.tokens / cpu),
    rows_per_second: Math.round(summary.rows_in / summary.seconds),
    peak_rss_mb: summary.peak_rss_mb,
    shards: summary.shards,
  };
  results.push(r);
  console.log(JSON.stringify(r));
  rmSync(outDir, { recursive: true, force: true });
  rmSync(input.file, { force: true });
}
// Throughput kept as the input grows (the long row is a memory case, not compared).
const rowRuns = results.filter((r) => !r.long_conversation);
if (rowRuns.length > 1) {
  const base = rowRuns[0];
  for (const r of rowRuns.slice(1)) {
    const pct = (a, b) => `${((100 * a) / b).toFixed(0)}%`;
    console.log(
      `${r.rows} rows vs ${base.rows}: ${pct(r.tokens_per_second, base.tokens_per_second)} of the tokens/s, ` +
        `${pct(r.tokens_per_cpu_second, base.tokens_per_cpu_second)} of the tokens per CPU second`,
    );
  }
}
