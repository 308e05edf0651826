/**
 * Crash safety: a real process is SIGKILLed at several points of a run (after its first completed
 * shard, half way, near the end, and again during the resumed run), then `resume` finishes the job.
 * The result must equal an uninterrupted run (same shard bytes, state.json, rejects and summary
 * counts), and a killed run's folder must never be loadable (no state.json).
 *
 * The CLI writes shards of up to 500 MB, so a few hundred rows make one shard: multi-shard kills
 * use the library (runPipeline with `rowsPerShard`) in a child process; the CLI itself is killed
 * mid-shard and resumed with `--resume`.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readResumePoint } from '../../src/write/index.js';
import { verifyDataset } from '../../src/verify/index.js';
import {
  BIN,
  NOW,
  ROOT,
  SAMPLE_FLAGS,
  TEMPLATE,
  TOKENIZER,
  cli,
  expectAccounted,
  expectVerified,
  rejectsOf,
  shardHashes,
  stableSummary,
  startLib,
  cleanEnv,
  summaryOf,
  tempDir,
  writeCorpus,
  type CliResult,
  type LibRun,
} from './helpers.js';

const ROWS_PER_SHARD = 50;
const dir = tempDir('resume-kill');
const corpus = writeCorpus(join(dir, 'chats.jsonl'), 2, 53); // 600 sample rows + 11 rejected ones: 13 shards
const TMP = '.chatshard-tmp';

const libRun = (output: string, resume = false): LibRun => ({
  options: { input: [corpus.path], tokenizer: TOKENIZER, chatTemplate: TEMPLATE, now: NOW, output, workers: 1, resume },
  tuning: { rowsPerShard: ROWS_PER_SHARD },
});

/** Completed shards in the work area (the manifest only ever lists these). */
function completedShards(out: string): number {
  try {
    return readdirSync(join(out, TMP)).filter((f) => /^shard-\d+\.arrow$/.test(f)).length;
  } catch {
    return 0;
  }
}

/** Start a run and SIGKILL it once `ready()` holds (polled every 2 ms). */
async function killWhen(run: LibRun, ready: () => boolean): Promise<CliResult> {
  const child = startLib(run);
  const timer = setInterval(() => {
    if (ready()) {
      clearInterval(timer);
      child.kill('SIGKILL');
    }
  }, 2);
  const r = await child.done;
  clearInterval(timer);
  return r;
}

/** What a killed run must look like: not loadable, resumable from a trusted prefix of shards. */
async function expectKilledState(out: string, r: CliResult): Promise<number> {
  expect(r.signal, `the run finished before it was killed: ${r.stderr}`).toBe('SIGKILL');
  expect(existsSync(join(out, 'state.json'))).toBe(false);
  expect(existsSync(join(out, 'summary.json'))).toBe(false);
  expect((await verifyDataset(out)).ok).toBe(false);
  const point = await readResumePoint(out);
  return point?.rows ?? 0;
}

const ref = join(dir, 'reference');
let refShards = 0;
const killPoints: { name: string; out: string; keptRows: number }[] = [];

beforeAll(async () => {
  const r = await startLib(libRun(ref)).done;
  expect(r.code, r.stderr).toBe(0);
  refShards = shardHashes(ref).length;
  expect(refShards).toBeGreaterThan(10);
}, 120_000);

describe('SIGKILL then resume (library run, small shards)', () => {
  const points: [string, () => number][] = [
    ['after the first shard', () => 1],
    ['half way', () => Math.floor(refShards / 2)],
    ['near the end', () => refShards - 2],
  ];

  it.each(points)('killed %s: resume gives the uninterrupted dataset byte for byte', async (name, at) => {
    const out = join(dir, name.replace(/ /g, '-'));
    const killed = await killWhen(libRun(out), () => completedShards(out) >= at());
    const keptRows = await expectKilledState(out, killed);
    // The shard file is renamed before the manifest names it; a kill in between loses that one shard.
    expect(keptRows).toBeGreaterThanOrEqual((at() - 1) * ROWS_PER_SHARD);
    killPoints.push({ name, out, keptRows });

    const resumed = await startLib(libRun(out, true)).done;
    expect(resumed.code, resumed.stderr).toBe(0);
    const summary = JSON.parse(resumed.stdout);
    expect(summary.resumed_rows ?? 0).toBe(keptRows);
    expect(shardHashes(out)).toEqual(shardHashes(ref));
    expect(readFileSync(join(out, 'state.json'), 'utf8')).toBe(readFileSync(join(ref, 'state.json'), 'utf8'));
    expect(rejectsOf(out)).toEqual(rejectsOf(ref));
    expectAccounted(out, corpus.rows);
    // Token counts include the rows taken over from the killed run.
    // roles_seen covers the rows the resuming process read.
    const { roles_seen: _r1, ...resumedSummary } = stableSummary(summaryOf(out), ['resume']);
    const { roles_seen: _r2, ...refSummary } = stableSummary(summaryOf(ref), ['resume']);
    expect(resumedSummary).toEqual(refSummary);
    expect(existsSync(join(out, TMP))).toBe(false);
    await expectVerified(out, summaryOf(ref).rows_written);
  });

  it('killed twice (again during the resumed run), then resumed: still the same dataset', async () => {
    const out = join(dir, 'twice');
    const first = await killWhen(libRun(out), () => completedShards(out) >= 5);
    const kept1 = await expectKilledState(out, first);
    const second = await killWhen(libRun(out, true), () => completedShards(out) >= Math.floor((2 * refShards) / 3));
    const kept2 = await expectKilledState(out, second);
    expect(kept2).toBeGreaterThan(kept1);
    const last = await startLib(libRun(out, true)).done;
    expect(last.code, last.stderr).toBe(0);
    expect(shardHashes(out)).toEqual(shardHashes(ref));
    expect(rejectsOf(out)).toEqual(rejectsOf(ref));
    expectAccounted(out, corpus.rows);
    await expectVerified(out);
  });

  it('a torn shard and a torn rejects line (killed mid-write) are discarded, not trusted', async () => {
    const out = join(dir, 'torn');
    // Kill while a .partial shard is being written after at least 3 complete ones.
    const killed = await killWhen(libRun(out), () => {
      if (completedShards(out) < 3) return false;
      try {
        return readdirSync(join(out, TMP)).some((f) => f.endsWith('.partial'));
      } catch {
        return false;
      }
    });
    await expectKilledState(out, killed);
    // What a power cut can leave at the end of rejects.jsonl.partial: half a line.
    appendFileSync(join(out, 'rejects.jsonl.partial'), '{"file":"x","line":99999,"index":99998,"rea');
    const resumed = await startLib(libRun(out, true)).done;
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(shardHashes(out)).toEqual(shardHashes(ref));
    expect(rejectsOf(out)).toEqual(rejectsOf(ref));
    expectAccounted(out, corpus.rows);
    await expectVerified(out);
  });
});

describe('SIGKILL then --resume through the CLI', () => {
  const args = (out: string) => ['run', '-i', corpus.path, ...SAMPLE_FLAGS, '--workers', '1', '-o', out];

  // (With no complete shard there is nothing to keep, so a plain run would not be refused either:
  // see test/write/guard.test.ts, "a run that failed before its first complete shard".)
  it('a run killed mid-shard is not loadable, and --resume takes over its stale lock and completes it', async () => {
    const whole = join(dir, 'cli-whole');
    const w = await cli(args(whole));
    expect(w.code, w.stderr).toBe(0);

    const out = join(dir, 'cli-killed');
    const child = spawn(process.execPath, [BIN, ...args(out)], { cwd: ROOT, env: cleanEnv(), stdio: 'ignore' });
    // Kill once rows are being written into the (only) shard.
    const closed = new Promise<NodeJS.Signals | null>((resolve) => child.on('close', (_c, s) => resolve(s)));
    const timer = setInterval(() => {
      try {
        const partial = readdirSync(join(out, TMP)).find((f) => f.endsWith('.partial') && f.startsWith('shard-'));
        if (partial && statSync(join(out, TMP, partial)).size > 100_000) {
          clearInterval(timer);
          child.kill('SIGKILL');
        }
      } catch {
        // not there yet
      }
    }, 2);
    const signal = await closed;
    clearInterval(timer);
    expect(signal).toBe('SIGKILL');
    expect(existsSync(join(out, 'state.json'))).toBe(false);
    expect((await verifyDataset(out)).ok).toBe(false);

    expect(existsSync(join(out, '.chatshard.lock'))).toBe(true);
    const resumed = await cli([...args(out), '--resume']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(shardHashes(out)).toEqual(shardHashes(whole));
    expect(readFileSync(join(out, 'state.json'), 'utf8')).toBe(readFileSync(join(whole, 'state.json'), 'utf8'));
    expect(rejectsOf(out)).toEqual(rejectsOf(whole));
    expectAccounted(out, corpus.rows);
    const { roles_seen: _r1, ...resumedSummary } = stableSummary(summaryOf(out), ['resume']);
    const { roles_seen: _r2, ...wholeSummary } = stableSummary(summaryOf(whole), ['resume']);
    expect(resumedSummary).toEqual(wholeSummary);
    await expectVerified(out, summaryOf(whole).rows_written);

    // Resuming a finished dataset is refused rather than rewriting it.
    const again = await cli([...args(out), '--resume']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already contains a dataset/);
    expect(summaryOf(out).rows_in).toBe(corpus.rows);
  });
});
