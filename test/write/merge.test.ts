import { readdir } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { mergeDatasets, writeDataset } from '../../src/write/index.js';
import { verifyDataset } from '../../src/verify/index.js';
import { plain, readAll, rowsOf, removeTempDirs, tempDir } from './helpers.js';

afterAll(removeTempDirs);
describe('mergeDatasets', () => {
  it('concatenating parts in order equals a single write', async () => {
    const [a, b, c, whole, out] = await Promise.all([tempDir(), tempDir(), tempDir(), tempDir(), tempDir()]);
    await writeDataset(rowsOf(300), { outDir: a, rowsPerShard: 100 });
    await writeDataset(rowsOf(301, 300), { outDir: b });
    await writeDataset(rowsOf(700, 301), { outDir: c, rowsPerShard: 250 });
    await writeDataset(rowsOf(700), { outDir: whole });
    const res = await mergeDatasets([a, b, c], out);
    expect(res.rows).toBe(700);
    expect(res.shards.length).toBe(3 + 1 + 2);
    expect((await readdir(out)).filter((n) => n.endsWith('.arrow')).sort()).toEqual(
      Array.from({ length: 6 }, (_, i) => `data-0000${i}-of-00006.arrow`),
    );
    expect((await readAll(out)).map((r) => plain(r))).toEqual((await readAll(whole)).map((r) => plain(r)));
    expect(await verifyDataset(out)).toEqual({ ok: true, rows: 700, shards: 6, errors: [] });
    // Parts are left intact.
    expect((await verifyDataset(a)).ok).toBe(true);
  });

  it('refuses mixed labels settings and existing output', async () => {
    const [a, b, out] = await Promise.all([tempDir(), tempDir(), tempDir()]);
    await writeDataset(rowsOf(5), { outDir: a });
    await writeDataset(rowsOf(5), { outDir: b, labels: false });
    await expect(mergeDatasets([a, b], out)).rejects.toThrow(/labels/);
    await expect(mergeDatasets([a], b)).rejects.toThrow(/already contains a dataset/);
    // The same part twice is refused (issue 16); a different part set is accepted with overwrite.
    await expect(mergeDatasets([a, a], b, { overwrite: true })).rejects.toThrow(
      `chatshard merge: part ${a} is given twice`,
    );
    const res = await mergeDatasets([a], b, { overwrite: true });
    expect(res.rows).toBe(5);
  });

  it('can merge into one of its own parts with overwrite', async () => {
    const [a, b] = await Promise.all([tempDir(), tempDir()]);
    await writeDataset(rowsOf(5), { outDir: a });
    await writeDataset(rowsOf(9, 5), { outDir: b });
    const res = await mergeDatasets([a, b], a, { overwrite: true });
    expect(res.rows).toBe(9);
    expect((await readAll(a)).length).toBe(9);
  });

  it('checks that stamped parts are one run, complete, in order, each once', async () => {
    const run = (fp: string, shard: [number, number]) => ({ fingerprint: fp, parts: { x: fp }, shard });
    const [p0, p1, p2, q1, out] = await Promise.all([tempDir(), tempDir(), tempDir(), tempDir(), tempDir()]);
    await writeDataset(rowsOf(3), { outDir: p0, run: run('aa', [0, 3]) });
    await writeDataset(rowsOf(6, 3), { outDir: p1, run: run('aa', [1, 3]) });
    await writeDataset(rowsOf(9, 6), { outDir: p2, run: run('aa', [2, 3]) });
    await writeDataset(rowsOf(6, 3), { outDir: q1, run: run('bb', [1, 3]) });
    await expect(mergeDatasets([p0, q1, p2], out)).rejects.toThrow(
      `chatshard merge: ${q1} comes from a different run than ${p0} (fingerprint bb vs aa: tokenizer, template or options differ)`,
    );
    await expect(mergeDatasets([p0, p2], out)).rejects.toThrow('chatshard merge: shard index 1 of 3 is missing');
    await expect(mergeDatasets([p1, p0, p2], out)).rejects.toThrow(
      'chatshard merge: parts are out of order (shard indices 1, 0, 2); give them as shard 0, 1, … 2',
    );
    const copy = await tempDir();
    await writeDataset(rowsOf(6, 3), { outDir: copy, run: run('aa', [1, 3]) });
    await expect(mergeDatasets([p0, p1, copy, p2], out)).rejects.toThrow(
      `chatshard merge: ${p1} and ${copy} are both shard 1 of 3`,
    );
    const bare = await tempDir();
    await writeDataset(rowsOf(3), { outDir: bare });
    await expect(mergeDatasets([bare, p1, p2], out)).rejects.toThrow(/has no run fingerprint, the other parts do/);
    const res = await mergeDatasets([p0, p1, p2], out);
    expect(res.rows).toBe(9);
    expect(await verifyDataset(out)).toEqual({ ok: true, rows: 9, shards: 3, errors: [] });
  });

  it('seeded merges of seeded parts are reproducible', async () => {
    const [a, b, o1, o2] = await Promise.all([tempDir(), tempDir(), tempDir(), tempDir()]);
    await writeDataset(rowsOf(5), { outDir: a, fingerprintSeed: 'x' });
    await writeDataset(rowsOf(9, 5), { outDir: b, fingerprintSeed: 'x' });
    const r1 = await mergeDatasets([a, b], o1, { fingerprintSeed: 'm' });
    const r2 = await mergeDatasets([a, b], o2, { fingerprintSeed: 'm' });
    expect(r1.fingerprint).toBe(r2.fingerprint);
  });
});
