import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readResumePoint, writeDataset, type WriteOptions } from '../../src/write/index.js';
import type { ShapedRow } from '../../src/types.js';
import { failingRows, makeRow, rowsOf, shardBytes, removeTempDirs, tempDir } from './helpers.js';

const N = 1000;
const opts = (outDir: string): WriteOptions => ({
  outDir,
  rowsPerShard: 150,
  rowsPerBatch: 40,
  fingerprintSeed: 'seed-1',
});

/** Input where some indices were rejected upstream, as the real pipeline produces. */
async function* sparseRows(from = 0): AsyncGenerator<ShapedRow> {
  for (let i = from; i < N; i++) if (i % 7 !== 3) yield makeRow(i);
}

afterAll(removeTempDirs);
describe('resume', () => {
  it('resumed output is byte-identical to an uninterrupted write', async () => {
    const whole = await tempDir();
    const ref = await writeDataset(rowsOf(N), opts(whole));

    const out = await tempDir();
    await expect(writeDataset(failingRows(N, 520), opts(out))).rejects.toThrow('simulated crash');
    expect(existsSync(join(out, 'state.json'))).toBe(false);
    const point = await readResumePoint(out);
    expect(point).toEqual({ rows: 450, nextIndex: 450 });
    // The caller replays from the resume point.
    const res = await writeDataset(rowsOf(N, point!.nextIndex), { ...opts(out), resume: true });
    expect(res.resumedRows).toBe(450);
    expect(res.rows).toBe(N);
    expect(res.fingerprint).toBe(ref.fingerprint);
    expect(await shardBytes(out)).toEqual(await shardBytes(whole));
    expect(await readFile(join(out, 'state.json'), 'utf8')).toBe(await readFile(join(whole, 'state.json'), 'utf8'));
    expect(existsSync(join(out, '.chatshard-tmp'))).toBe(false);
    expect(await readResumePoint(out)).toBeNull();
  });

  it('skips already written rows when the whole input is replayed; nextIndex follows input indices', async () => {
    const whole = await tempDir();
    await writeDataset(sparseRows(), opts(whole));
    const out = await tempDir();
    async function* crashing() {
      for await (const r of sparseRows()) {
        if (r.index >= 400) throw new Error('boom');
        yield r;
      }
    }
    await expect(writeDataset(crashing(), opts(out))).rejects.toThrow('boom');
    const point = await readResumePoint(out);
    expect(point!.rows).toBe(300);
    expect(point!.nextIndex).toBeGreaterThan(300); // rejected indices make it run ahead of rows
    const res = await writeDataset(sparseRows(), { ...opts(out), resume: true });
    expect(res.resumedRows).toBe(300);
    expect(await shardBytes(out)).toEqual(await shardBytes(whole));
  });

  it('ignores a torn shard and a shard missing from disk', async () => {
    const out = await tempDir();
    await expect(writeDataset(failingRows(N, 700), opts(out))).rejects.toThrow();
    // A leftover partial from a hard kill, and the last completed shard lost.
    await writeFile(join(out, '.chatshard-tmp', 'shard-00004.arrow.partial'), 'garbage');
    await rm(join(out, '.chatshard-tmp', 'shard-00003.arrow'));
    expect(await readResumePoint(out)).toEqual({ rows: 450, nextIndex: 450 });
    const whole = await tempDir();
    await writeDataset(rowsOf(N), opts(whole));
    await writeDataset(rowsOf(N), { ...opts(out), resume: true });
    expect(await shardBytes(out)).toEqual(await shardBytes(whole));
  });

  it('resume without an interrupted run is a normal write; a finished dataset is refused', async () => {
    const out = await tempDir();
    expect(await readResumePoint(out)).toBeNull();
    const res = await writeDataset(rowsOf(10), { outDir: out, resume: true });
    expect(res).toMatchObject({ rows: 10, resumedRows: 0 });
    await expect(writeDataset(rowsOf(10), { outDir: out, resume: true })).rejects.toThrow(/already contains a dataset/);
  });

  it('resumes after a finalize that failed before state.json (leftover dataset_info.json)', async () => {
    const out = await tempDir();
    await expect(writeDataset(failingRows(N, 400), opts(out))).rejects.toThrow();
    await writeFile(join(out, 'dataset_info.json'), '{}');
    await expect(writeDataset(rowsOf(N), opts(out))).rejects.toThrow(/already contains a dataset/);
    const res = await writeDataset(rowsOf(N), { ...opts(out), resume: true });
    expect(res).toMatchObject({ rows: N, resumedRows: 300 });
  });

  it('refuses to resume with a different labels setting', async () => {
    const out = await tempDir();
    await expect(writeDataset(failingRows(N, 400), opts(out))).rejects.toThrow();
    await expect(writeDataset(rowsOf(N), { ...opts(out), resume: true, labels: false })).rejects.toThrow(/labels/);
  });

  it('overwrite discards an interrupted run', async () => {
    const out = await tempDir();
    await expect(writeDataset(failingRows(N, 400), opts(out))).rejects.toThrow();
    const res = await writeDataset(rowsOf(20), { outDir: out, overwrite: true });
    expect(res.rows).toBe(20);
    expect(await readResumePoint(out)).toBeNull();
  });
});

describe('resume checks the run fingerprint', () => {
  const run = (over: Record<string, string> = {}) => {
    const parts = { tokenizer: 'qwen', template: 't1', options: 'o1', input: 'i1', ...over };
    return { fingerprint: Object.values(parts).join('.'), parts, shard: [0, 1] as [number, number] };
  };

  it('refuses a resume whose tokenizer or options differ, naming them, and keeps the work area', async () => {
    const out = await tempDir();
    await expect(writeDataset(failingRows(N, 400), { ...opts(out), run: run() })).rejects.toThrow();
    await expect(
      writeDataset(rowsOf(N), { ...opts(out), resume: true, run: run({ tokenizer: 'llama', options: 'o2' }) }),
    ).rejects.toThrow(
      `chatshard write: cannot resume ${out}: this run differs from the interrupted one in: tokenizer, options`,
    );
    await expect(
      writeDataset(rowsOf(N), { ...opts(out), resume: true, run: { ...run(), shard: [1, 2] } }),
    ).rejects.toThrow(/differs from the interrupted one in: shard index \/ count/);
    expect(await readResumePoint(out)).toEqual({ rows: 300, nextIndex: 300 });
    const res = await writeDataset(rowsOf(N), { ...opts(out), resume: true, run: run() });
    expect(res).toMatchObject({ rows: N, resumedRows: 300 });
  });
});
