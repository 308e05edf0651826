/**
 * Shared by the reliability and scale tests: running the compiled CLI (and the library in a child
 * process, for knobs the CLI does not have), building inputs from the embedded samples, and
 * comparing datasets row by row and byte by byte.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { readDataset, verifyDataset, type ReadRow } from '../../src/verify/index.js';
import { ROOT } from '../helpers.js';

export { ROOT };
export const BIN = join(ROOT, 'dist/cli/main.js');
/** Child script that calls runPipeline with write-stage tuning (e.g. small shards). */
export const RUN_LIB = join(ROOT, 'test/reliability/fixtures/run-lib.mjs');
export const TOKENIZER = join(ROOT, 'samples/tokenizer');
export const TEMPLATE = join(ROOT, 'samples/qwen2_5_training.jinja');
export const NOW = '2025-03-14T09:26:53';
export const SAMPLE_FLAGS = ['--tokenizer', TOKENIZER, '--chat-template', TEMPLATE, '--now', NOW];

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** The environment without any shard variables of the machine running the tests. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, CI: 'true' };
  for (const k of Object.keys(env)) if (k === 'JOB_COMPLETION_INDEX' || k.startsWith('SLURM_')) delete env[k];
  return { ...env, ...extra };
}

/** Run `node dist/cli/main.js ARGS`; never throws on a non-zero exit. */
export function cli(
  args: string[],
  opts: { env?: Record<string, string>; input?: string; timeoutMs?: number } = {},
): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [BIN, ...args],
      {
        cwd: ROOT,
        maxBuffer: 1 << 26,
        env: cleanEnv(opts.env),
        timeout: opts.timeoutMs ?? 60_000,
        killSignal: 'SIGKILL',
      },
      (err, stdout, stderr) => {
        const e = err as (Error & { code?: number | string; signal?: NodeJS.Signals }) | null;
        resolve({
          code: e ? (typeof e.code === 'number' ? e.code : null) : 0,
          signal: e?.signal ?? null,
          stdout,
          stderr,
        });
      },
    );
    if (opts.input !== undefined) child.stdin!.end(opts.input);
  });
}

/** Library run options (PipelineOptions keys) for the child script. */
export interface LibRun {
  options: Record<string, unknown>;
  tuning?: { rowsPerShard?: number; maxShardBytes?: number; rowsPerBatch?: number };
}

/** Start the library child (runPipeline with tuning); the caller may kill it. */
export function startLib(run: LibRun): ChildProcess & { done: Promise<CliResult> } {
  const child = spawn(process.execPath, [RUN_LIB, JSON.stringify(run)], {
    cwd: ROOT,
    env: cleanEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d));
  child.stderr!.on('data', (d: Buffer) => (stderr += d));
  const done = new Promise<CliResult>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return Object.assign(child, { done });
}

export const tempDir = (prefix: string) => mkdtempSync(join(tmpdir(), `chatshard-${prefix}-`));

/** The 300 sample rows, in a fixed order (files sorted by name). */
export function sampleLines(): string[] {
  const dir = join(ROOT, 'samples/data');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl'))
    .sort()
    .flatMap((f) =>
      readFileSync(join(dir, f), 'utf8')
        .split('\n')
        .filter((l) => l.trim() !== ''),
    );
}

/** Rows the pipeline rejects, one per reason stage: normalize (JSON, shape) and mask (nothing to train). */
export const BAD_ROWS = [
  '{"messages": [{"role": "user", "content": "cut off',
  '{"id": 7, "text": "no messages here"}',
  '{"messages": [{"role": "user", "content": "a question nobody answers"}]}',
];

/**
 * Write `copies` × the 300 sample rows, with one of BAD_ROWS after every `badEvery` good rows
 * (so rejects fall inside every shard). Returns the file and its row count.
 */
export function writeCorpus(path: string, copies: number, badEvery = 97): { path: string; rows: number } {
  const good = sampleLines();
  const out: string[] = [];
  let k = 0;
  for (let c = 0; c < copies; c++) {
    for (const line of good) {
      out.push(line);
      if (++k % badEvery === 0) out.push(BAD_ROWS[(k / badEvery) % BAD_ROWS.length]!);
    }
  }
  writeFileSync(path, out.join('\n') + '\n');
  return { path, rows: out.length };
}

/** Shard file names of a finished dataset, from state.json. */
export function shardNames(dir: string): string[] {
  const state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as { _data_files: { filename: string }[] };
  return state._data_files.map((f) => f.filename);
}

/** sha256 of every shard, in order. */
export function shardHashes(dir: string): string[] {
  return shardNames(dir).map((f) =>
    createHash('sha256')
      .update(readFileSync(join(dir, f)))
      .digest('hex'),
  );
}

export const fingerprintOf = (dir: string): string =>
  (JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as { _fingerprint: string })._fingerprint;

function bytesOf(a: ArrayBufferView | undefined): Buffer {
  return a ? Buffer.from(a.buffer, a.byteOffset, a.byteLength) : Buffer.alloc(0);
}

function sameRow(a: ReadRow, b: ReadRow): boolean {
  return (
    bytesOf(a.inputIds).equals(bytesOf(b.inputIds)) &&
    bytesOf(a.attentionMask).equals(bytesOf(b.attentionMask)) &&
    bytesOf(a.assistantMasks).equals(bytesOf(b.assistantMasks)) &&
    (a.labels === undefined) === (b.labels === undefined) &&
    bytesOf(a.labels).equals(bytesOf(b.labels))
  );
}

/**
 * Compare two datasets row for row over every column (input_ids, attention_mask, assistant_masks,
 * labels), whatever their shard layout. Returns the row count; throws at the first difference.
 */
export async function expectSameRows(a: string, b: string): Promise<number> {
  const ia = readDataset(a)[Symbol.asyncIterator]();
  const ib = readDataset(b)[Symbol.asyncIterator]();
  for (let n = 0; ; n++) {
    const [ra, rb] = await Promise.all([ia.next(), ib.next()]);
    if (ra.done || rb.done) {
      if (!(ra.done && rb.done)) throw new Error(`${a} and ${b} differ in length: one ends at row ${n}`);
      return n;
    }
    if (!sameRow(ra.value, rb.value)) throw new Error(`${a} and ${b} differ at row ${n}`);
  }
}

/** verifyDataset passes with no errors (and the expected row count when given). */
export async function expectVerified(dir: string, rows?: number): Promise<void> {
  const report = await verifyDataset(dir);
  expect(report.errors, dir).toEqual([]);
  expect(report.ok).toBe(true);
  if (rows !== undefined) expect(report.rows).toBe(rows);
}

export interface RejectLine {
  file: string;
  line: number;
  index: number;
  reason: string;
  message: string;
}

export function rejectsOf(dir: string): RejectLine[] {
  return readFileSync(join(dir, 'rejects.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as RejectLine);
}

export const summaryOf = (dir: string): Record<string, any> =>
  JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));

/**
 * A summary without what legitimately differs between equivalent runs: timing, the output folder,
 * and the given option keys (e.g. workers, engine).
 */
export function stableSummary(s: Record<string, any>, dropOptions: string[] = []): Record<string, any> {
  const { seconds: _s, tokens_per_second: _t, output: _o, resumed_rows: _r, peak_rss_mb: _m, ...rest } = s;
  const options = { ...rest.options };
  delete options.output;
  for (const k of dropOptions) delete options[k];
  return { ...rest, options };
}

/** Every input row is accounted for, in the summary and in rejects.jsonl. */
export function expectAccounted(dir: string, rowsIn?: number): Record<string, any> {
  const s = summaryOf(dir);
  expect(s.rows_in).toBe(s.rows_written + s.rows_rejected);
  if (rowsIn !== undefined) expect(s.rows_in).toBe(rowsIn);
  const rejects = rejectsOf(dir);
  expect(rejects).toHaveLength(s.rows_rejected);
  const byReason: Record<string, number> = {};
  for (const r of rejects) byReason[r.reason] = (byReason[r.reason] ?? 0) + 1;
  expect(byReason).toEqual(s.rejected_by_reason);
  return s;
}
