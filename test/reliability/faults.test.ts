/**
 * Faults a user meets at startup or while writing: an output that cannot be created or written,
 * an existing dataset, a broken tokenizer folder, a missing or broken template, a write that fails
 * part way (file-size limit). Each must end with exit 1 and one clear line on stderr (no stack
 * trace), and must never leave a loadable (state.json) folder behind.
 *
 * Not covered: a genuinely full disk (ENOSPC) needs a small filesystem, i.e. a root-only mount.
 * The file-size-limit case below goes through the same failing-write path (EFBIG instead of ENOSPC).
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { runPipeline } from '../../src/pipeline/run.js';
import { SetupError } from '../../src/pipeline/setup.js';
import { testOptions } from '../helpers.js';
import {
  BIN,
  ROOT,
  SAMPLE_FLAGS,
  TEMPLATE,
  TOKENIZER,
  cleanEnv,
  cli,
  expectAccounted,
  expectVerified,
  shardHashes,
  summaryOf,
  tempDir,
  writeCorpus,
  type CliResult,
} from './helpers.js';

const dir = tempDir('faults');
const corpus = writeCorpus(join(dir, 'chats.jsonl'), 1, 50); // 300 sample rows + 6 rejected ones
const runArgs = (out: string, ...flags: string[]) => [
  'run',
  '-i',
  corpus.path,
  ...SAMPLE_FLAGS,
  '--workers',
  '0',
  '-o',
  out,
  ...flags,
];
const isRoot = process.getuid?.() === 0;

/**
 * chmod does not stop root (CI runs as root). As root, run the CLI as `nobody` through runuser when
 * that user can reach the repository; otherwise the permission case is skipped.
 */
function asUser(): string[] | null {
  if (!isRoot) return [];
  if (!existsSync('/usr/sbin/runuser') && !existsSync('/sbin/runuser')) return null;
  const probe = spawnSync('runuser', [
    '-u',
    'nobody',
    '--',
    process.execPath,
    '-e',
    `require('fs').accessSync(${JSON.stringify(BIN)})`,
  ]);
  return probe.status === 0 ? ['runuser', '-u', 'nobody', '--'] : null;
}
const runAs = asUser();

/** Exit 1 with a single `chatshard: …` line matching `message`, and no stack trace. */
function expectCleanFailure(r: CliResult, message: RegExp): void {
  expect(r.signal, 'the process was killed (hang?)').toBeNull();
  expect(r.code, r.stderr).toBe(1);
  expect(r.stderr).toMatch(message);
  expect(r.stderr).toMatch(/^chatshard: /);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).not.toMatch(/\n\s+at |node:internal|\.ts:\d+|\.js:\d+:\d+/);
  expect(r.stdout).toBe('');
}

/** No folder under `root` holds a state.json (nothing load_from_disk would open). */
function nothingLoadable(root: string): void {
  if (!existsSync(root) || !statSync(root).isDirectory()) return;
  expect(existsSync(join(root, 'state.json')), root).toBe(false);
  for (const e of readdirSync(root, { withFileTypes: true })) if (e.isDirectory()) nothingLoadable(join(root, e.name));
}

const clean = join(dir, 'clean');
beforeAll(async () => {
  const r = await cli(runArgs(clean));
  expect(r.code, r.stderr).toBe(0);
}, 60_000);

describe('unwritable output', () => {
  it('a path under a regular file (ENOTDIR): clear error, nothing created', async () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'not a folder');
    const r = await cli(runArgs(join(file, 'out')));
    expectCleanFailure(r, /cannot create output folder .*a-file\/out.*ENOTDIR/);
    expect(readFileSync(file, 'utf8')).toBe('not a folder');
  });

  it('an output path that is a regular file', async () => {
    const file = join(dir, 'out-is-a-file');
    writeFileSync(file, 'x');
    expectCleanFailure(await cli(runArgs(file)), /out-is-a-file exists and is not a folder/);
    expect(readFileSync(file, 'utf8')).toBe('x');
  });

  // Under /proc mkdir answers ENOENT although /proc exists; Node's recursive mkdir spins forever on
  // that (it used to hang the CLI at 100% CPU). The timeout turns a hang into a failure here.
  it.skipIf(!existsSync('/proc/self'))('a path under /proc fails fast instead of hanging (run and merge)', async () => {
    const r = await cli(runArgs('/proc/chatshard-test-out'), { timeoutMs: 30_000 });
    expectCleanFailure(r, /cannot create output folder \/proc\/chatshard-test-out/);
    const m = await cli(['merge', clean, '--output', '/proc/chatshard-test-merged'], { timeoutMs: 30_000 });
    expectCleanFailure(m, /cannot create output folder \/proc\/chatshard-test-merged/);
  });

  it.skipIf(runAs === null)('a read-only folder (chmod 0555): clear error, nothing loadable', async () => {
    const ro = join(dir, 'read-only');
    mkdirSync(ro);
    chmodSync(dir, 0o755); // mkdtemp makes it 0700; the unprivileged user must reach the input
    chmodSync(ro, 0o555);
    const run = (out: string) =>
      new Promise<CliResult>((resolve) => {
        const [cmd, ...pre] = runAs!.length > 0 ? runAs! : [process.execPath];
        const args = [...pre, ...(runAs!.length > 0 ? [process.execPath] : []), BIN, ...runArgs(out)];
        const child = spawn(cmd!, args, { cwd: ROOT, env: cleanEnv() });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d));
        child.stderr.on('data', (d: Buffer) => (stderr += d));
        child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
      });
    try {
      expectCleanFailure(await run(join(ro, 'out')), /cannot create output folder .*read-only\/out: EACCES/);
      expectCleanFailure(await run(ro), /EACCES.*permission denied/);
      expect(readdirSync(ro)).toEqual([]);
    } finally {
      chmodSync(ro, 0o755);
    }
  });

  it('a write that fails part way (file-size limit, EFBIG): exit 1, not loadable, then --resume completes it', async () => {
    const out = join(dir, 'size-limit');
    // Ignoring SIGXFSZ makes the oversized write fail with EFBIG instead of killing the process.
    // `ulimit -f 1024`: 512 KB (dash counts 512-byte blocks) or 1 MB (bash), below the ~1.5 MB shard of this input.
    const r = await new Promise<CliResult>((resolve) => {
      const quoted = [process.execPath, BIN, ...runArgs(out)].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
      const child = spawn('/bin/sh', ['-c', `trap '' XFSZ; ulimit -f 1024 && exec ${quoted}`], {
        cwd: ROOT,
        env: cleanEnv(),
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d));
      child.stderr.on('data', (d: Buffer) => (stderr += d));
      child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    });
    expect(statSync(join(clean, shardNamesOf(clean)[0]!)).size).toBeGreaterThan(1 << 20);
    expectCleanFailure(r, /cannot write shard .*(EFBIG|file too large)/);
    nothingLoadable(out);
    expect(existsSync(join(out, 'summary.json'))).toBe(false);
    // Once the limit is gone, the same command with --resume finishes the job.
    const resumed = await cli([...runArgs(out), '--resume']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(shardHashes(out)).toEqual(shardHashes(clean));
    expectAccounted(out, corpus.rows);
    await expectVerified(out, summaryOf(clean).rows_written);
  });
});

/** sha256 of each file in `d` by name (comparing the bytes themselves with toEqual takes seconds per MB). */
function contentsOf(d: string): Record<string, string> {
  return Object.fromEntries(
    readdirSync(d).map((f) => [
      f,
      createHash('sha256')
        .update(readFileSync(join(d, f)))
        .digest('hex'),
    ]),
  );
}

function shardNamesOf(d: string): string[] {
  return readdirSync(d)
    .filter((f) => /^data-\d{5}-of-\d{5}\.arrow$/.test(f))
    .sort();
}

describe('existing output', () => {
  it('is refused without --overwrite (exit 1) and left exactly as it was; --overwrite replaces it', async () => {
    // A copy of the finished dataset beforeAll wrote (a second identical run would only cost time).
    const out = join(dir, 'existing');
    cpSync(clean, out, { recursive: true });
    const before = contentsOf(out);
    expect(Object.keys(before)).toEqual(
      expect.arrayContaining(['state.json', 'summary.json', 'rejects.jsonl', 'dataset_info.json']),
    );

    expectCleanFailure(await cli(runArgs(out)), /already contains a dataset.*pass --overwrite to replace it/);
    // Also with another input: the refusal comes before anything in the folder is touched.
    const other = join(dir, 'other.jsonl');
    writeFileSync(other, '{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"hello"}]}\n');
    expectCleanFailure(
      await cli(['run', '-i', other, ...SAMPLE_FLAGS, '--workers', '0', '-o', out]),
      /already contains a dataset/,
    );
    const after = contentsOf(out);
    expect(after).toEqual(before);

    const r = await cli(['run', '-i', other, ...SAMPLE_FLAGS, '--workers', '0', '-o', out, '--overwrite']);
    expect(r.code, r.stderr).toBe(0);
    expectAccounted(out, 1);
    await expectVerified(out, 1);
  });
});

describe('broken tokenizer folder', () => {
  const config = readFileSync(join(TOKENIZER, 'tokenizer_config.json'));
  const gz = readFileSync(join(TOKENIZER, 'tokenizer.json.gz'));
  const cases: [string, Record<string, Buffer | string>, RegExp][] = [
    [
      'tokenizer.json that is not JSON',
      { 'tokenizer.json': '{"version": "1.0", "model": {', 'tokenizer_config.json': config },
      /not valid JSON|EOF while parsing/,
    ],
    [
      'tokenizer.json of the wrong shape',
      { 'tokenizer.json': '{"model": 42}', 'tokenizer_config.json': config },
      /[Mm]odel/,
    ],
    ['an empty tokenizer.json', { 'tokenizer.json': '', 'tokenizer_config.json': config }, /tokenizer\.json/],
    [
      'a truncated tokenizer.json.gz',
      { 'tokenizer.json.gz': gz.subarray(0, gz.length >> 1), 'tokenizer_config.json': config },
      /cannot decompress/,
    ],
    [
      'a gzip of garbage',
      { 'tokenizer.json.gz': gzipSync('garbage'), 'tokenizer_config.json': config },
      /tokenizer\.json/,
    ],
    [
      'tokenizer_config.json that is not JSON',
      { 'tokenizer.json.gz': gz, 'tokenizer_config.json': '{"chat_template": ' },
      /tokenizer_config\.json is not valid JSON/,
    ],
    ['no tokenizer.json at all', { 'tokenizer_config.json': config }, /no tokenizer\.json/],
  ];

  // Every case on both engines in-process (the SetupError the CLI prints), and each case once through
  // the CLI (engines alternating): exit 1, that message as its one line, nothing created.
  it.each(cases.map((c, k) => [...c, k % 2 === 0 ? 'native' : 'js'] as const))(
    '%s: one clear startup line for both engines, no output folder',
    async (name, files, message, cliEngine) => {
      const tok = join(dir, 'tok-' + name.replace(/\W+/g, '-'));
      mkdirSync(tok);
      for (const [f, content] of Object.entries(files)) writeFileSync(join(tok, f), content);
      const expected = new RegExp(`cannot load tokenizer ${escape(tok)}: .*(${message.source})`);
      for (const engine of ['native', 'js'] as const) {
        const out = join(dir, `out-${engine}-` + name.replace(/\W+/g, '-'));
        const err = await runPipeline(
          testOptions({ input: [corpus.path], tokenizer: tok, chatTemplate: TEMPLATE, engine, output: out }),
        ).catch((e: unknown) => e);
        expect(err, engine).toBeInstanceOf(SetupError);
        expect((err as SetupError).usage, engine).toBe(false);
        expect((err as SetupError).message, engine).toMatch(new RegExp(`^${expected.source}`));
        expect(existsSync(out), 'nothing is created before the tokenizer loads').toBe(false);
      }
      const out = join(dir, `out-cli-` + name.replace(/\W+/g, '-'));
      const r = await cli([
        'run',
        '-i',
        corpus.path,
        '-t',
        tok,
        '--chat-template',
        TEMPLATE,
        '--engine',
        cliEngine,
        '-o',
        out,
      ]);
      expectCleanFailure(r, new RegExp(`^chatshard: ${expected.source}`));
      expect(existsSync(out), 'nothing is created before the tokenizer loads').toBe(false);
    },
  );
});

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('missing or broken chat template', () => {
  const cases: [string, () => string, RegExp][] = [
    [
      'a template file that does not exist',
      () => join(dir, 'nope', 'missing.jinja'),
      /missing\.jinja' is neither a template file/,
    ],
    ['a folder instead of a file', () => dir, /is neither a template file/],
    [
      'a syntax error (unclosed tag)',
      () => write('unclosed.jinja', '{% for m in messages %}{{ m.content }}'),
      /cannot load the chat template: .*(endfor|unexpected end|end of template)/i,
    ],
    [
      'a syntax error (bad expression)',
      () => write('bad-expr.jinja', '{{ messages[ }}'),
      /cannot load the chat template: /,
    ],
    ['an unknown filter', () => write('filter.jinja', '{{ messages | no_such_filter }}'), /no_such_filter/],
  ];
  function write(name: string, text: string): string {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  }

  it.each(cases)('%s: one clear startup line, exit 1, no output folder', async (_name, template, message) => {
    const out = join(dir, 'out-template-' + _name.replace(/\W+/g, '-'));
    const r = await cli(['run', '-i', corpus.path, '-t', TOKENIZER, '--chat-template', template(), '-o', out]);
    expectCleanFailure(r, message);
    expect(r.stderr).toMatch(/^chatshard: cannot load the chat template: /);
    expect(existsSync(out)).toBe(false);
  });
});
