// npm run bench -- --infer-ratio: cost of mask inference against a generation-tagged run on the same data.
// Each case is a whole `chatshard run` process (startup, read, render, tokenize, mask, write), timed from
// spawn to exit: the Qwen2.5 tokenizer in samples/tokenizer with
//   tagged: TRL's Qwen2.5 training template (samples/qwen2_5_training.jinja, {% generation %} tags), --masks generation
//   infer:  the stock Qwen2.5 template it was made from (test/fixtures/infer/templates), --masks infer
// Both render the same text (the two templates differ only in the tags), so both write the same tokens.
// Pairs alternate which case runs first; the figures are medians over the pairs (wall and CPU seconds of
// the process and all its threads). Flags: --rows N (sgd rows, default 3000), --pairs K (default 5),
// --workers W (passed to both; default: each run's default), --engine E, --only sgd,glaive,sharegpt, --json out.json.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const sgdRows = Number(opt('--rows', '3000'));
const pairs = Number(opt('--pairs', '5'));
const workers = opt('--workers');
const engine = opt('--engine');
const jsonOut = opt('--json');
const only = opt('--only')?.split(','); // dataset name prefixes, e.g. sgd,sharegpt

const shared = resolve(root, '../shared/data');
const datasets = existsSync(shared)
  ? [
      { name: `sgd_train (first ${sgdRows} rows)`, file: join(shared, 'sgd_train.messages.jsonl'), rows: sgdRows },
      { name: 'glaive_toolcall_en_demo (tools)', file: join(shared, 'glaive_toolcall_en_demo.messages.jsonl') },
      { name: 'sharegpt_zh_1k (long turns)', file: join(shared, 'sharegpt_zh_1k.messages.jsonl') },
    ]
  : [
      { name: 'samples sgd_multiturn', file: join(root, 'samples/data/sgd_multiturn.messages.jsonl') },
      { name: 'samples glaive_toolcall_en', file: join(root, 'samples/data/glaive_toolcall_en.messages.jsonl') },
      { name: 'samples sharegpt_zh', file: join(root, 'samples/data/sharegpt_zh.messages.jsonl') },
    ];
const tokenizer = join(root, 'samples/tokenizer');
const cases = {
  tagged: { template: join(root, 'samples/qwen2_5_training.jinja'), masks: 'generation' },
  infer: { template: join(root, 'test/fixtures/infer/templates/Qwen-Qwen2.5-7B-Instruct.jinja'), masks: 'infer' },
};

const tmp = mkdtempSync(join(tmpdir(), 'chatshard-bench-infer-'));
const cpuFile = join(tmp, 'cpu.json');
// Loaded before the CLI: at exit, the CPU time of the whole process (all threads) and its peak RSS.
const hook =
  "import{writeFileSync}from'node:fs';process.on('exit',()=>{const c=process.cpuUsage();" +
  'writeFileSync(process.env.CHATSHARD_BENCH_CPU,JSON.stringify({cpu:(c.user+c.system)/1e6,' +
  'rssMB:process.resourceUsage().maxRSS/1024}))})';

function runOnce(kase, input) {
  const c = cases[kase];
  const out = join(tmp, `out-${kase}`);
  const argv = [
    `--import=data:text/javascript,${encodeURIComponent(hook)}`,
    join(root, 'dist/cli/main.js'),
    'run',
    '--input',
    input,
    '--tokenizer',
    tokenizer,
    '--chat-template',
    c.template,
    '--masks',
    c.masks,
    '--max-length',
    '4096',
    '--output',
    out,
    '--overwrite',
    '--json',
    ...(workers !== undefined ? ['--workers', workers] : []),
    ...(engine !== undefined ? ['--engine', engine] : []),
  ];
  const t0 = performance.now();
  const r = spawnSync(process.execPath, argv, {
    encoding: 'utf8',
    env: { ...process.env, CHATSHARD_BENCH_CPU: cpuFile },
    maxBuffer: 1 << 26,
  });
  const wall = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`${kase} run failed (${r.status}): ${r.stderr}`);
  const { cpu, rssMB } = JSON.parse(readFileSync(cpuFile, 'utf8'));
  const summary = JSON.parse(r.stdout);
  rmSync(out, { recursive: true, force: true });
  return { wall, cpu, rssMB, rows: summary.rows_written, tokens: summary.tokens };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const f2 = (x) => x.toFixed(2);

const report = { pairs, workers: workers ?? 'default', engine: engine ?? 'default', datasets: [] };
console.log(`# --masks infer vs generation tags: ${pairs} alternating pairs per dataset, medians`);
console.log(`load average at start: ${loadavg().map(f2).join(' ')}`);
report.loadStart = loadavg();
for (const d of datasets) {
  if (only && !only.some((o) => d.name.startsWith(o))) continue;
  let input = d.file;
  if (d.rows !== undefined) {
    const lines = readFileSync(d.file, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '');
    input = join(tmp, 'input.jsonl');
    writeFileSync(input, lines.slice(0, d.rows).join('\n') + '\n');
  }
  // One untimed run of each first (file cache, compile cache), then the timed pairs.
  runOnce('tagged', input);
  runOnce('infer', input);
  const res = { tagged: [], infer: [] };
  for (let p = 0; p < pairs; p++) {
    const order = p % 2 === 0 ? ['tagged', 'infer'] : ['infer', 'tagged'];
    for (const k of order) res[k].push(runOnce(k, input));
  }
  const t = res.tagged;
  const i = res.infer;
  if (t[0].tokens !== i[0].tokens || t[0].rows !== i[0].rows) {
    console.log(
      `  note: the two runs wrote different data (${t[0].rows}/${t[0].tokens} vs ${i[0].rows}/${i[0].tokens})`,
    );
  }
  const row = {
    dataset: d.name,
    rows: t[0].rows,
    tokens: t[0].tokens,
    taggedWall: median(t.map((r) => r.wall)),
    inferWall: median(i.map((r) => r.wall)),
    taggedCpu: median(t.map((r) => r.cpu)),
    inferCpu: median(i.map((r) => r.cpu)),
    pairRatios: t.map((r, k) => i[k].wall / r.wall),
    taggedRssMB: Math.max(...t.map((r) => r.rssMB)),
    inferRssMB: Math.max(...i.map((r) => r.rssMB)),
    taggedWalls: t.map((r) => r.wall),
    inferWalls: i.map((r) => r.wall),
  };
  row.wallRatio = row.inferWall / row.taggedWall;
  row.cpuRatio = row.inferCpu / row.taggedCpu;
  report.datasets.push(row);
  console.log(
    `${d.name}: ${row.rows} rows, ${row.tokens} tokens | tagged ${f2(row.taggedWall)} s (cpu ${f2(row.taggedCpu)} s) | ` +
      `infer ${f2(row.inferWall)} s (cpu ${f2(row.inferCpu)} s) | wall ${f2(row.wallRatio)}x, cpu ${f2(row.cpuRatio)}x, ` +
      `per pair ${row.pairRatios.map(f2).join(' ')}`,
  );
}
report.loadEnd = loadavg();
console.log(`load average at end: ${loadavg().map(f2).join(' ')}`);
if (jsonOut) writeFileSync(jsonOut, JSON.stringify(report, null, 1) + '\n');
rmSync(tmp, { recursive: true, force: true });
