// One benchmark case in its own process (so peak RSS is per case). Prints one JSON line.
// Usage: node scripts/bench-case.mjs <case> <data.jsonl> <tokenizerDir> <template.jinja> [maxRows]
import { readFileSync, rmSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';

const [, , kase, data, tokDir, templatePath, maxRowsArg] = process.argv;
const maxRows = maxRowsArg ? Number(maxRowsArg) : Infinity;
const lib = await import('../dist/stages.js');
const templateSrc = readFileSync(templatePath, 'utf8');

async function* rows() {
  let n = 0;
  for await (const line of createInterface({ input: createReadStream(data), crlfDelay: Infinity })) {
    if (!line.trim()) continue;
    if (n++ >= maxRows) return;
    yield JSON.parse(line);
  }
}

const t0 = performance.now();
const cpu0 = process.cpuUsage();
/** CPU seconds of this process (all threads) since `from`. */
const cpuSince = (from) => {
  const c = process.cpuUsage(from);
  return (c.user + c.system) / 1e6;
};
let tokens = 0;
let nrows = 0;
/** Rust `Tokenizer.fromString` seconds (tokenizers-ceiling only). */
let loadSeconds;

if (kase === 'chatshard-native' || kase === 'chatshard-js' || kase === 'chatshard-js-main') {
  const out = join(tmpdir(), `chatshard-bench-${process.pid}`);
  let input = data;
  if (Number.isFinite(maxRows)) {
    // Same rows as the other cases: the first maxRows non-blank lines.
    const { writeFileSync } = await import('node:fs');
    const head = [];
    for await (const row of rows()) head.push(JSON.stringify(row));
    input = join(tmpdir(), `chatshard-bench-input-${process.pid}.jsonl`);
    writeFileSync(input, head.join('\n') + '\n');
  }
  const summary = await lib.runPipeline(
    lib.pipelineOptions(
      {},
      {
        input: [input],
        tokenizer: tokDir,
        output: out,
        chatTemplate: templatePath,
        maxLength: 4096,
        engine: kase === 'chatshard-native' ? 'native' : 'js',
        overwrite: true,
        now: '2025-03-14T09:26:53',
        keepEmpty: true,
        progress: false,
        ...(kase === 'chatshard-js-main' ? { workers: 0 } : {}),
        ...(process.env.CHATSHARD_WORKERS ? { workers: Number(process.env.CHATSHARD_WORKERS) } : {}),
      },
    ),
  );
  tokens = summary.tokens;
  nrows = summary.rows_written;
  rmSync(out, { recursive: true, force: true });
} else if (kase === 'transformersjs') {
  // transformers.js apply_chat_template(tokenize=true) loop, ids only (no masks, no output file).
  const { AutoTokenizer, env } = await import('@huggingface/transformers');
  const { gunzipSync } = await import('node:zlib');
  const { mkdtempSync, writeFileSync, copyFileSync } = await import('node:fs');
  const dir = mkdtempSync(join(tmpdir(), 'tjs-'));
  writeFileSync(join(dir, 'tokenizer.json'), gunzipSync(readFileSync(join(tokDir, 'tokenizer.json.gz'))));
  copyFileSync(join(tokDir, 'tokenizer_config.json'), join(dir, 'tokenizer_config.json'));
  env.allowRemoteModels = false;
  env.localModelPath = '';
  const tok = await AutoTokenizer.from_pretrained(dir, { local_files_only: true });
  for await (const row of rows()) {
    const ids = tok.apply_chat_template(row.messages, {
      chat_template: templateSrc,
      tools: row.tools,
      tokenize: true,
      return_tensor: false,
      truncation: true,
      max_length: 4096,
    });
    tokens += (ids.input_ids ?? ids).length;
    nrows++;
  }
} else if (kase === 'tokenizers-ceiling') {
  // Raw Rust tokenizers encodeBatch over pre-rendered text (render time excluded).
  const tk = await lib.loadTokenizer(tokDir, { engine: 'native' });
  const template = lib.compileTemplate(templateSrc);
  const texts = [];
  for await (const row of rows()) {
    const conv = lib.normalizeRow({ ref: { file: data, line: 0 }, index: 0, value: row });
    if (!conv.ok) continue;
    texts.push(lib.renderConversation(conv.row, { template, specialTokens: tk.specialTokens }).text);
  }
  const { default: tokenizers } = await import('tokenizers');
  const json = (await import('node:zlib')).gunzipSync(readFileSync(join(tokDir, 'tokenizer.json.gz'))).toString('utf8');
  // The Rust load, timed on its own: the native engine pays it before its first batch.
  const t0 = performance.now();
  const raw = tokenizers.Tokenizer.fromString(json);
  loadSeconds = (performance.now() - t0) / 1000;
  const t1 = performance.now();
  const c1 = process.cpuUsage();
  for (let i = 0; i < texts.length; i += 256) {
    const encs = await raw.encodeBatch(texts.slice(i, i + 256), { addSpecialTokens: false });
    for (const e of encs) tokens += Math.min(4096, e.getIds().length);
  }
  nrows = texts.length;
  const secs = (performance.now() - t1) / 1000;
  console.log(
    JSON.stringify({
      case: kase,
      rows: nrows,
      tokens,
      seconds: secs,
      cpuSeconds: cpuSince(c1),
      loadSeconds,
      rssMB: process.resourceUsage().maxRSS / 1024,
    }),
  );
  process.exit(0);
} else if (kase === 'render-chatshard' || kase === 'render-jinja') {
  const { Template } = await import('@huggingface/jinja');
  const template = lib.compileTemplate(templateSrc);
  const plain = new Template(templateSrc);
  const all = [];
  for await (const row of rows()) all.push(row);
  const t1 = performance.now();
  for (const row of all) {
    if (kase === 'render-chatshard') {
      const conv = lib.normalizeRow({ ref: { file: data, line: 0 }, index: 0, value: row });
      if (conv.ok) lib.renderConversation(conv.row, { template });
    } else {
      try {
        plain.render({ messages: row.messages, tools: row.tools ?? null, add_generation_prompt: false });
      } catch {
        /* counted anyway */
      }
    }
    nrows++;
  }
  const secs = (performance.now() - t1) / 1000;
  console.log(
    JSON.stringify({ case: kase, rows: nrows, tokens: 0, seconds: secs, rssMB: process.resourceUsage().maxRSS / 1024 }),
  );
  process.exit(0);
} else {
  console.error(`unknown case ${kase}`);
  process.exit(2);
}
const seconds = (performance.now() - t0) / 1000;
console.log(
  JSON.stringify({
    case: kase,
    rows: nrows,
    tokens,
    seconds,
    cpuSeconds: cpuSince(cpu0),
    rssMB: process.resourceUsage().maxRSS / 1024,
  }),
);
