#!/usr/bin/env node
// Chat-template conformance: render every golden (template × context) of the shared corpus
// with our renderer and compare with Python Jinja2 / transformers output.
//
//   node scripts/conformance.mjs [--root DIR] [--only SUBSTR] [--quiet] [--min 99.5]
//
// A case matches when the rendered text is identical (or both sides raise the same Python exception
// type and message, `Type: message`; see test/fixtures/conformance/known-error-diffs.json) and the
// generation spans (UTF-16) are identical. Spans are compared with the *true* positions
// from true-spans.json where transformers records misplaced offsets (generation blocks
// inside macros / set blocks / nested blocks); see src/render/README.md.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const projectRoot = resolve(here, '..');

export const FIXED_NOW = '2025-03-14T09:26:53';
const RESERVED = new Set(['messages', 'tools', 'documents', 'add_generation_prompt', 'continue_final_message']);

function parseArgs(argv) {
  const o = { root: resolve(projectRoot, '../shared/conformance'), only: null, quiet: false, min: 99.5 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--root') o.root = resolve(argv[++i]);
    else if (a === '--only') o.only = argv[++i];
    else if (a === '--quiet') o.quiet = true;
    else if (a === '--min') o.min = Number(argv[++i]);
    else if (a === '--help' || a === '-h') {
      console.log('usage: node scripts/conformance.mjs [--root DIR] [--only SUBSTR] [--quiet] [--min PCT]');
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  return o;
}

/** Build a Conversation + render options from a corpus context, like render_golden.py does. */
export function caseFromContext(ctx, template, api) {
  const kwargs = {};
  for (const [k, v] of Object.entries(ctx)) if (!RESERVED.has(k)) kwargs[k] = v;
  const conv = {
    ref: { file: '<conformance>', line: 0 },
    index: 0,
    messages: ctx.messages,
    tools: ctx.tools ?? undefined,
    documents: ctx.documents ?? undefined,
  };
  return {
    conv,
    opts: {
      template,
      addGenerationPrompt: ctx.add_generation_prompt ?? false,
      continueFinalMessage: ctx.continue_final_message ?? false,
      templateKwargs: kwargs,
      now: FIXED_NOW,
    },
    api,
  };
}

/** The `Type: message` line Python recorded (render_golden.py writes `f"{type(e).__name__}: {e}"`). */
function pyErrorLine(error) {
  return error ?? '<no error recorded>';
}

/**
 * Error goldens whose message we knowingly do not reproduce byte for byte, with the reason
 * (test/fixtures/conformance/known-error-diffs.json). A case only passes through this list when both
 * our line and Python's line equal the recorded ones, so any other change still fails.
 */
export const KNOWN_ERROR_DIFFS = Object.fromEntries(
  (existsSync(join(projectRoot, 'test/fixtures/conformance/known-error-diffs.json'))
    ? JSON.parse(readFileSync(join(projectRoot, 'test/fixtures/conformance/known-error-diffs.json'), 'utf8')).goldens
    : []
  ).map((d) => [d.case, d]),
);

function sameSpans(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i][0] !== b[i][0] || a[i][1] !== b[i][1]) return false;
  return true;
}

function firstDiff(a, b) {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  const ctx = (s) => JSON.stringify(s.slice(Math.max(0, i - 20), i + 30));
  return `at ${i}: ours ${ctx(a)} vs golden ${ctx(b)}`;
}

/**
 * Render one golden through renderConversation. Compares the raw generation spans
 * (completion order, like transformers) so nested blocks compare exactly.
 */
export function runCase(api, templateSource, ctx, golden, trueSpans) {
  let ours = null;
  let err = null;
  try {
    const template = api.compileTemplate(templateSource);
    const { conv, opts } = caseFromContext(ctx, template, api);
    ours = renderRaw(api, conv, opts);
  } catch (e) {
    if (e instanceof api.TemplateError || e instanceof api.RenderLimitError)
      err = `${e.pyType ?? e.name}: ${e.message}`;
    else err = `HOST ${e && e.stack ? e.stack.split('\n').slice(0, 3).join(' | ') : String(e)}`;
  }
  const expectErr = golden.rendered === null;
  if (expectErr || err !== null) {
    if (expectErr && err !== null) {
      const want = pyErrorLine(golden.error);
      if (err === want) return { ok: true, errorCase: true };
      const known = KNOWN_ERROR_DIFFS[`${golden.template}__${golden.context}`];
      if (known && known.ours === err && known.python === want)
        return { ok: true, errorCase: true, knownErrorDiff: true };
      return {
        ok: false,
        cause: `error differs: ours ${JSON.stringify(err.slice(0, 300))} vs python ${JSON.stringify(want)}`,
      };
    }
    if (expectErr) return { ok: false, cause: `golden raised (${golden.error}) but we rendered` };
    return { ok: false, cause: `we raised: ${err.slice(0, 300)}` };
  }
  if (ours.text !== golden.rendered)
    return { ok: false, cause: `text differs ${firstDiff(ours.text, golden.rendered)}` };
  const want = trueSpans ?? golden.generation_spans_utf16;
  if (want && !sameSpans(ours.spans, want)) {
    return {
      ok: false,
      cause: `spans differ: ours ${JSON.stringify(ours.spans)} vs ${trueSpans ? 'true' : 'golden'} ${JSON.stringify(want)}`,
    };
  }
  return { ok: true };
}

function renderRaw(api, conv, opts) {
  const r = api.renderConversation(conv, opts);
  return { text: r.text, spans: r.rawSpans };
}

export function loadTrueSpans() {
  const p = join(projectRoot, 'test/fixtures/conformance/true-spans.json');
  return existsSync(p) ? JSON.parse(readFileSync(p, 'utf8')) : {};
}

export async function runCorpus(root, { only = null, api = null } = {}) {
  api ??= await import(join(projectRoot, 'dist/render/index.js'));
  // Layouts: golden/<template>__<context>.json (shared corpus) or goldens.json (committed fixtures).
  const goldenDir = join(root, 'golden');
  const packed = !existsSync(goldenDir) && existsSync(join(root, 'goldens.json'));
  const files = packed
    ? JSON.parse(readFileSync(join(root, 'goldens.json'), 'utf8'))
    : readdirSync(goldenDir)
        .filter((f) => f.endsWith('.json') && f !== '_index.json')
        .sort();
  const trueSpans = loadTrueSpans();
  const templates = new Map();
  const contexts = new Map();
  const mismatches = [];
  let total = 0;
  const errors = { total: 0, exact: 0, known: 0 };
  for (const f of files) {
    const golden = packed ? f : JSON.parse(readFileSync(join(goldenDir, f), 'utf8'));
    const key = `${golden.template}__${golden.context}`;
    if (only && !key.includes(only)) continue;
    if (!templates.has(golden.template)) {
      templates.set(golden.template, readFileSync(join(root, 'templates', golden.template + '.jinja'), 'utf8'));
    }
    if (!contexts.has(golden.context)) {
      contexts.set(golden.context, JSON.parse(readFileSync(join(root, 'contexts', golden.context + '.json'), 'utf8')));
    }
    total++;
    const r = runCase(api, templates.get(golden.template), contexts.get(golden.context), golden, trueSpans[key]);
    if (!r.ok) mismatches.push({ template: golden.template, context: golden.context, cause: r.cause });
    if (golden.rendered === null) {
      errors.total++;
      if (r.ok && !r.knownErrorDiff) errors.exact++;
      if (r.knownErrorDiff) errors.known++;
    }
  }
  return { total, matched: total - mismatches.length, mismatches, errors };
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  if (!existsSync(join(o.root, 'golden')) && !existsSync(join(o.root, 'goldens.json'))) {
    console.error(`no corpus at ${o.root} (expected golden/, templates/, contexts/)`);
    process.exit(2);
  }
  const t0 = performance.now();
  const { total, matched, mismatches, errors } = await runCorpus(o.root, { only: o.only });
  const rate = total ? (100 * matched) / total : 0;
  if (!o.quiet) {
    for (const m of mismatches) console.log(`MISMATCH ${m.template} / ${m.context}: ${m.cause}`);
  }
  console.log(
    `error goldens: ${errors.exact}/${errors.total} match Python's exception type and message exactly, ${errors.known} listed in known-error-diffs.json`,
  );
  console.log(
    `conformance: ${matched}/${total} = ${rate.toFixed(2)}% (${mismatches.length} mismatches, ${((performance.now() - t0) / 1000).toFixed(1)} s)`,
  );
  if (rate < o.min) process.exit(1);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    console.error(e);
    process.exit(2);
  });
}
