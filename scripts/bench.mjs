// npm run bench: chatshard end to end vs transformers.js and the raw Rust tokenizers ceiling, side by side in one run.
// Data: ../shared/data (sgd_train + sharegpt_zh_1k) when present, else the embedded samples.
// Flags: --rows N (limit rows per dataset), --only case1,case2, --python (also time Python transformers +
// datasets from .venv-ref, num_proc=2, see scripts/bench_python.py).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
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
  'transformersjs',
  'tokenizers-ceiling',
  'render-chatshard',
  'render-jinja',
];

const python = join(root, '.venv-ref/bin/python');
function runPython(data) {
  const out = execFileSync(python, [join(root, 'scripts/bench_python.py'), data, tok, template, '2', rows], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
    maxBuffer: 1 << 26,
  });
  return JSON.parse(out.trim().split('\n').pop());
}

function run(kase, data) {
  const out = execFileSync(process.execPath, [join(root, 'scripts/bench-case.mjs'), kase, data, tok, template, rows], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 26,
  });
  return JSON.parse(out.trim().split('\n').pop());
}

const fmt = (n, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
for (const data of datasets) {
  console.log(`\n## ${data.split('/').pop()}${rows ? ` (first ${rows} rows)` : ''}`);
  const res = {};
  for (const c of cases) {
    if (only && !only.includes(c)) continue;
    res[c] = run(c, data);
    const r = res[c];
    const tps = r.tokens / r.seconds;
    console.log(
      `${c.padEnd(20)} ${fmt(r.rows).padStart(7)} rows ${fmt(r.seconds, 2).padStart(7)} s ${r.tokens ? fmt(tps / 1e6, 3) + 'M tok/s' : fmt(r.rows / r.seconds) + ' rows/s'}  ${fmt(r.rows / r.seconds).padStart(7)} rows/s  peak RSS ${fmt(r.rssMB)} MB`,
    );
  }
  if (args.includes('--python') && existsSync(python)) {
    const r = (res['python-transformers'] = runPython(data));
    console.log(
      `${r.case.padEnd(20)} ${fmt(r.rows).padStart(7)} rows ${fmt(r.seconds, 2).padStart(7)} s ${fmt(r.tokens / r.seconds / 1e6, 3)}M tok/s  ${fmt(r.rows / r.seconds).padStart(7)} rows/s  peak RSS ${fmt(r.rssMB)} MB (parent + largest child)`,
    );
  }
  const tps = (c) => res[c] && res[c].tokens / res[c].seconds;
  const ratio = (a, b) => (tps(a) && tps(b) ? `${(tps(a) / tps(b)).toFixed(2)}x` : 'n/a');
  console.log(
    `ratios: native/transformers.js ${ratio('chatshard-native', 'transformersjs')}, native/ceiling ${ratio('chatshard-native', 'tokenizers-ceiling')}, js/transformers.js ${ratio('chatshard-js', 'transformersjs')}` +
      (res['python-transformers']
        ? `, native/python ${ratio('chatshard-native', 'python-transformers')}, js/python ${ratio('chatshard-js', 'python-transformers')}`
        : ''),
  );
  if (res['render-chatshard'] && res['render-jinja']) {
    const a = res['render-chatshard'].rows / res['render-chatshard'].seconds;
    const b = res['render-jinja'].rows / res['render-jinja'].seconds;
    console.log(`render: chatshard ${fmt(a)} rows/s vs @huggingface/jinja ${fmt(b)} rows/s (${(a / b).toFixed(2)}x)`);
  }
}
