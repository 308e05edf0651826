/**
 * `format: 'parquet'`: the Hub layout `data/train-i-of-n.parquet`, the same rows as the Arrow
 * output, verify / merge / resume on Parquet datasets. (Loading with datasets / pyarrow / polars /
 * DuckDB is checked by scripts/check_parquet.py, which needs Python.)
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openParquet } from '../../src/parquet/index.js';
import { verifyDataset } from '../../src/verify/index.js';
import { mergeDatasets, readResumePoint, writeDataset, type WriteOptions } from '../../src/write/index.js';
import { featuresDict, pyJsonDumps } from '../../src/dataset/schema.js';
import { failingRows, plain, readAll, removeTempDirs, rowsOf, tempDir } from './helpers.js';

const N = 700;
const opts = (outDir: string, over: Partial<WriteOptions> = {}): WriteOptions => ({
  outDir,
  format: 'parquet',
  rowsPerShard: 300,
  rowsPerBatch: 100,
  fingerprintSeed: 'seed',
  ...over,
});

const dataFiles = async (dir: string) => (await readdir(join(dir, 'data'))).sort();
const rowsAsPlain = async (dir: string) => (await readAll(dir)).map((r) => plain(r));

afterAll(removeTempDirs);
describe('Parquet output', () => {
  it('writes data/train-i-of-n.parquet with the same rows as the Arrow output, and verifies', async () => {
    const pq = await tempDir();
    const arrow = await tempDir();
    const res = await writeDataset(rowsOf(N), opts(pq));
    await writeDataset(rowsOf(N), { ...opts(arrow), format: 'arrow' });
    expect(res.rows).toBe(N);
    expect(await dataFiles(pq)).toEqual([
      'train-00000-of-00003.parquet',
      'train-00001-of-00003.parquet',
      'train-00002-of-00003.parquet',
    ]);
    expect(res.shards).toEqual((await dataFiles(pq)).map((f) => join(pq, 'data', f)));
    // No load_from_disk files and no work area left behind.
    expect((await readdir(pq)).sort()).toEqual(['data']);
    expect(await rowsAsPlain(pq)).toEqual(await rowsAsPlain(arrow));
    expect(await verifyDataset(pq)).toEqual({ ok: true, rows: N, shards: 3, errors: [] });
  });

  it('carries the huggingface features key; row groups follow rowsPerBatch', async () => {
    const pq = await tempDir();
    await writeDataset(rowsOf(250), opts(pq, { rowsPerShard: undefined }));
    const src = await openParquet(join(pq, 'data', 'train-00000-of-00001.parquet'));
    src.close();
    expect(src.rows).toBe(250);
    expect(src.rowGroups).toBe(3); // 100 + 100 + 50
    expect(src.schema.metadata.get('huggingface')).toBe(pyJsonDumps({ info: { features: featuresDict(true) } }));
    expect(src.schema.fields.map((f) => `${f.name}: ${String(f.type)}`)).toEqual([
      'input_ids: List<Int32>',
      'attention_mask: List<Int8>',
      'assistant_masks: List<Int8>',
      'labels: List<Int32>',
    ]);
  });

  it('without labels, and with no rows at all (an empty shard keeps the schema)', async () => {
    const pq = await tempDir();
    await writeDataset(rowsOf(0), opts(pq, { labels: false }));
    expect(await dataFiles(pq)).toEqual(['train-00000-of-00001.parquet']);
    const src = await openParquet(join(pq, 'data', 'train-00000-of-00001.parquet'));
    src.close();
    expect(src.rows).toBe(0);
    expect(src.schema.fields.map((f) => f.name)).toEqual(['input_ids', 'attention_mask', 'assistant_masks']);
    expect(await verifyDataset(pq)).toEqual({ ok: true, rows: 0, shards: 1, errors: [] });
  });

  it('is byte-identical across runs (deterministic encoder)', async () => {
    const a = await tempDir();
    const b = await tempDir();
    const ra = await writeDataset(rowsOf(N), opts(a));
    const rb = await writeDataset(rowsOf(N), opts(b));
    expect(rb.fingerprint).toBe(ra.fingerprint);
    for (const f of await dataFiles(a))
      expect((await readFile(join(b, 'data', f))).equals(await readFile(join(a, 'data', f)))).toBe(true);
  });

  it('resumes an interrupted Parquet write to the same files, and refuses to resume as another format', async () => {
    const whole = await tempDir();
    const ref = await writeDataset(rowsOf(N), opts(whole));
    const out = await tempDir();
    await expect(writeDataset(failingRows(N, 450), opts(out))).rejects.toThrow('simulated crash');
    expect(existsSync(join(out, 'data'))).toBe(false);
    const point = await readResumePoint(out);
    expect(point).toEqual({ rows: 300, nextIndex: 300 });
    await expect(writeDataset(rowsOf(N, 300), { ...opts(out), format: 'arrow', resume: true })).rejects.toThrow(
      'it was started with format parquet, now arrow',
    );
    const res = await writeDataset(rowsOf(N, 300), { ...opts(out), resume: true });
    expect(res.resumedRows).toBe(300);
    expect(res.fingerprint).toBe(ref.fingerprint);
    for (const f of await dataFiles(whole))
      expect((await readFile(join(out, 'data', f))).equals(await readFile(join(whole, 'data', f)))).toBe(true);
  });

  it('merges Parquet parts into one dataset equal to a single write; refuses mixed formats', async () => {
    const whole = await tempDir();
    await writeDataset(rowsOf(N), opts(whole));
    const p0 = await tempDir();
    const p1 = await tempDir();
    await writeDataset(rowsOf(400), opts(p0));
    await writeDataset(rowsOf(N, 400), opts(p1));
    const merged = await tempDir();
    const res = await mergeDatasets([p0, p1], merged);
    expect(res.rows).toBe(N);
    expect(await dataFiles(merged)).toEqual([
      'train-00000-of-00003.parquet',
      'train-00001-of-00003.parquet',
      'train-00002-of-00003.parquet',
    ]);
    expect(await rowsAsPlain(merged)).toEqual(await rowsAsPlain(whole));
    expect((await verifyDataset(merged)).ok).toBe(true);
    const arrowPart = await tempDir();
    await writeDataset(rowsOf(10), { ...opts(arrowPart), format: 'arrow' });
    await expect(mergeDatasets([p0, arrowPart], await tempDir())).rejects.toThrow(
      'some parts are Arrow and some Parquet',
    );
  });

  it('replacing an Arrow dataset with Parquet (overwrite) removes the Arrow files, and back', async () => {
    const out = await tempDir();
    await writeDataset(rowsOf(50), { ...opts(out), format: 'arrow' });
    await expect(writeDataset(rowsOf(50), opts(out))).rejects.toThrow('already contains a dataset');
    await writeDataset(rowsOf(50), opts(out, { overwrite: true }));
    expect((await readdir(out)).sort()).toEqual(['data']);
    await expect(writeDataset(rowsOf(50), { ...opts(out), format: 'arrow' })).rejects.toThrow(
      'already contains a dataset',
    );
    await writeDataset(rowsOf(50), { ...opts(out), format: 'arrow', overwrite: true });
    expect(existsSync(join(out, 'data'))).toBe(false);
    expect(existsSync(join(out, 'state.json'))).toBe(true);
  });

  it('verify reports a gap in the shard numbering', async () => {
    const out = await tempDir();
    await writeDataset(rowsOf(N), opts(out));
    const { rename } = await import('node:fs/promises');
    await rename(join(out, 'data', 'train-00001-of-00003.parquet'), join(out, 'data', 'train-00005-of-00003.parquet'));
    const rep = await verifyDataset(out);
    expect(rep.ok).toBe(false);
    expect(rep.errors[0]).toBe(
      'data/train-00002-of-00003.parquet: expected data/train-00001-of-00003.parquet (shards must be numbered 0..n-1 of n)',
    );
  });
});
