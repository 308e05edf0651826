// npm run bench: chatshard end to end vs transformers.js and the raw Rust tokenizers ceiling, side by side in one run.
// Data: ../shared/data (sgd_train + sharegpt_zh_1k) when present, else the embedded samples.
// Flags: --rows N (limit rows per dataset), --only case1,case2, --no-python, --infer-ratio (own mode, see bench-infer.mjs). Python transformers + datasets
// (num_proc=2, see scripts/bench_python.py) runs when $CHATSHARD_PYTHON or .venv-ref/bin/python exists.
// Per case: wall seconds of the timed region (after the imports: tokenizer load, reading, work, writing), the whole
// process's wall seconds (start-up and imports too, timed by this script), CPU seconds of all its threads/processes in
// the timed region, tokens/s, tokens/s per CPU second ("per core"). Ratios to Python are given for both walls.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
// --infer-ratio: --masks infer vs a generation-tagged run on the same data (scripts/bench-infer.mjs).
if (args.includes('--infer-ratio')) {
  await import('./bench-infer.mjs');
  process.exit(0);
}
const opt = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const rows = opt('--rows') ?? '';
const only = opt('--only')?.split(',');
const shared = resolve(root, '../shared/data');
const tok = join(root, 'samples/tokenizer');
const template = join(root, 'samples/qwen2_5_training.jinja');
const datasets = existsSync(shared)
  ? [join(shared, 'sgd_train.messages.jsonl'), join(shared, 'sharegpt_zh_1k.messages.jsonl')]
  : [join(root, 'samples/data/sgd_multiturn.messages.jsonl'), join(root, 'samples/data/sharegpt_zh.messages.jsonl')];
const cases = [
  'chatshard-native',
  'chatshard-js',
  // The js engine on the main thread only (--workers 0): what the worker threads add.
  'chatshard-js-main',
  'transformersjs',
  'tokenizers-ceiling',
  'render-chatshard',
  'render-jinja',
];

const python = process.env.CHATSHARD_PYTHON ?? join(root, '.venv-ref/bin/python');
// Whole-process wall time, timed from here: interpreter or Node start-up and imports included.
function timed(fn) {
  const t = performance.now();
  const r = fn();
  r.processSeconds = (performance.now() - t) / 1000;
  return r;
}

function runPython(data) {
  return timed(() => runPythonCase(data));
}

function runPythonCase(data) {
  const out = execFileSync(python, [join(root, 'scripts/bench_python.py'), data, tok, template, '2', rows], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
    maxBuffer: 1 << 26,
  });
  return JSON.parse(out.trim().split('\n').pop());
}

function run(kase, data) {
  return timed(() => runCase(kase, data));
}

function runCase(kase, data) {
  const out = execFileSync(process.execPath, [join(root, 'scripts/bench-case.mjs'), kase, data, tok, template, rows], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 26,
  });
  return JSON.parse(out.trim().split('\n').pop());
}

const fmt = (n, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
function line(name, r, note = '') {
  const rate = r.tokens ? `${fmt(r.tokens / r.seconds / 1e6, 3)}M tok/s` : `${fmt(r.rows / r.seconds)} rows/s`;
  const perCore = r.tokens && r.cpuSeconds ? `${fmt(r.tokens / r.cpuSeconds / 1e6, 3)}M tok/cpu-s` : '';
  console.log(
    `${name.padEnd(20)} ${fmt(r.rows).padStart(7)} rows ${fmt(r.seconds, 2).padStart(7)} s  process ${fmt(r.processSeconds, 2).padStart(6)} s  cpu ${fmt(r.cpuSeconds ?? 0, 2).padStart(6)} s  ${rate.padStart(14)}  ${perCore.padStart(17)}  peak RSS ${fmt(r.rssMB)} MB${note}`,
  );
}
for (const data of datasets) {
  console.log(`\n## ${data.split('/').pop()}${rows ? ` (first ${rows} rows)` : ''}`);
  const res = {};
  for (const c of cases) {
    if (only && !only.includes(c)) continue;
    res[c] = run(c, data);
    line(c, res[c]);
  }
  if (!args.includes('--no-python') && existsSync(python) && (!only || only.includes('python-transformers'))) {
    line('python-transformers', (res['python-transformers'] = runPython(data)), ' (parent + largest child)');
  }
  const tps = (c) => res[c] && res[c].tokens / res[c].seconds;
  const processRatio = (a) => {
    const p = res['python-transformers'];
    return res[a] && p ? `${(p.processSeconds / res[a].processSeconds).toFixed(2)}x` : 'n/a';
  };
  const ratio = (a, b) => (tps(a) && tps(b) ? `${(tps(a) / tps(b)).toFixed(2)}x` : 'n/a');
  console.log(
    `ratios: native/ceiling ${ratio('chatshard-native', 'tokenizers-ceiling')}, js/ceiling ${ratio('chatshard-js', 'tokenizers-ceiling')}, native/transformers.js ${ratio('chatshard-native', 'transformersjs')}, js/transformers.js ${ratio('chatshard-js', 'transformersjs')}, js/js-main ${ratio('chatshard-js', 'chatshard-js-main')}` +
      (res['python-transformers']
        ? `, native/python ${ratio('chatshard-native', 'python-transformers')}, js/python ${ratio('chatshard-js', 'python-transformers')}, js-main/python ${ratio('chatshard-js-main', 'python-transformers')}` +
          `; whole process: native/python ${processRatio('chatshard-native')}, js/python ${processRatio('chatshard-js')}, js-main/python ${processRatio('chatshard-js-main')}`
        : ''),
  );
  const ceiling = res['tokenizers-ceiling'];
  const py = res['python-transformers'];
  if (ceiling?.loadSeconds !== undefined) {
    // What the native engine cannot go below on this machine: Rust must load, then encode the text
    // its segment cache does not hold (most of it on new data), with render, masks and writing on top.
    const floor = ceiling.loadSeconds + ceiling.seconds;
    console.log(
      `Rust alone: load ${fmt(ceiling.loadSeconds, 2)} s + encodeBatch ${fmt(ceiling.seconds, 2)} s = ${fmt(floor, 2)} s` +
        (py ? ` (Python ${fmt(py.seconds, 2)} s is ${(py.seconds / floor).toFixed(2)}x that)` : ''),
    );
  }
  if (res['render-chatshard'] && res['render-jinja']) {
    const a = res['render-chatshard'].rows / res['render-chatshard'].seconds;
    const b = res['render-jinja'].rows / res['render-jinja'].seconds;
    console.log(`render: chatshard ${fmt(a)} rows/s vs @huggingface/jinja ${fmt(b)} rows/s (${(a / b).toFixed(2)}x)`);
  }
}
