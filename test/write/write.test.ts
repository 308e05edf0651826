import { existsSync, readFileSync } from 'node:fs';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tableFromIPC, DataType } from 'apache-arrow';
import { afterAll, describe, expect, it } from 'vitest';
import { readResumePoint, writeDataset } from '../../src/write/index.js';
import { failingRows, makeRow, plain, readAll, rowsOf, removeTempDirs, tempDir } from './helpers.js';

afterAll(removeTempDirs);
describe('writeDataset', () => {
  it('writes a stream-format shard with the datasets schema and values', async () => {
    const out = await tempDir();
    const res = await writeDataset(rowsOf(50), { outDir: out, rowsPerBatch: 16 });
    expect(res.rows).toBe(50);
    expect(res.shards.map((p) => p.slice(out.length + 1))).toEqual(['data-00000-of-00001.arrow']);
    const bytes = await readFile(res.shards[0]!);
    expect(bytes.subarray(0, 6).toString('latin1')).not.toBe('ARROW1'); // stream, not file format
    const table = tableFromIPC(bytes);
    expect(table.numRows).toBe(50);
    expect(table.batches.length).toBe(4); // 16+16+16+2
    const want = { input_ids: 32, attention_mask: 8, assistant_masks: 8, labels: 32 } as const;
    expect(table.schema.fields.map((f) => f.name)).toEqual(Object.keys(want));
    for (const f of table.schema.fields) {
      expect(f.nullable).toBe(true);
      expect(DataType.isList(f.type)).toBe(true);
      const child = f.type.children[0];
      expect(child.name).toBe('item');
      expect(child.nullable).toBe(true);
      expect(DataType.isInt(child.type) && child.type.isSigned && child.type.bitWidth).toBe(
        want[f.name as keyof typeof want],
      );
    }
    const meta = JSON.parse(table.schema.metadata.get('huggingface')!);
    expect(meta).toEqual({
      info: {
        features: {
          input_ids: { feature: { dtype: 'int32', _type: 'Value' }, _type: 'Sequence' },
          attention_mask: { feature: { dtype: 'int8', _type: 'Value' }, _type: 'Sequence' },
          assistant_masks: { feature: { dtype: 'int8', _type: 'Value' }, _type: 'Sequence' },
          labels: { feature: { dtype: 'int32', _type: 'Value' }, _type: 'Sequence' },
        },
      },
    });
    // Python json.dumps spacing, like datasets' ArrowWriter.
    expect(table.schema.metadata.get('huggingface')).toContain(
      '{"info": {"features": {"input_ids": {"feature": {"dtype": "int32", "_type": "Value"}, "_type": "Sequence"}',
    );
    const row7 = makeRow(7);
    expect(Array.from(table.get(7)!.input_ids.toArray())).toEqual(Array.from(row7.inputIds));
    expect(Array.from(table.get(7)!.labels.toArray())).toEqual(Array.from(row7.labels));
    expect(Array.from(table.get(7)!.attention_mask.toArray())).toEqual(Array.from(row7.attentionMask));
    const back = await readAll(out);
    expect(back.map((r) => plain(r))).toEqual(Array.from({ length: 50 }, (_, i) => plain(makeRow(i))));
  });

  it('writes state.json and dataset_info.json like save_to_disk', async () => {
    const out = await tempDir();
    const res = await writeDataset(rowsOf(10), { outDir: out });
    const state = JSON.parse(await readFile(join(out, 'state.json'), 'utf8'));
    expect(Object.keys(state)).toEqual([
      '_data_files',
      '_fingerprint',
      '_format_columns',
      '_format_kwargs',
      '_format_type',
      '_output_all_columns',
      '_split',
    ]);
    expect(state).toMatchObject({
      _data_files: [{ filename: 'data-00000-of-00001.arrow' }],
      _format_columns: null,
      _format_kwargs: {},
      _format_type: null,
      _output_all_columns: false,
      _split: null,
    });
    expect(state._fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(state._fingerprint).toBe(res.fingerprint);
    const info = JSON.parse(await readFile(join(out, 'dataset_info.json'), 'utf8'));
    expect(Object.keys(info)).toEqual(['citation', 'description', 'features', 'homepage', 'license']);
    expect(info.features.attention_mask).toEqual({ feature: { dtype: 'int8', _type: 'Value' }, _type: 'Sequence' });
    expect(existsSync(join(out, '.chatshard-tmp'))).toBe(false);
  });

  it('fingerprints: random by default, reproducible with a seed', async () => {
    const a = await writeDataset(rowsOf(10), { outDir: await tempDir() });
    const b = await writeDataset(rowsOf(10), { outDir: await tempDir() });
    expect(a.fingerprint).not.toBe(b.fingerprint);
    const c = await writeDataset(rowsOf(10), { outDir: await tempDir(), fingerprintSeed: 's' });
    const d = await writeDataset(rowsOf(10), { outDir: await tempDir(), fingerprintSeed: 's' });
    const e = await writeDataset(rowsOf(11), { outDir: await tempDir(), fingerprintSeed: 's' });
    expect(c.fingerprint).toBe(d.fingerprint);
    expect(e.fingerprint).not.toBe(c.fingerprint);
  });

  it('rolls shards over by rowsPerShard and by maxShardBytes, keeping order', async () => {
    const out = await tempDir();
    const res = await writeDataset(rowsOf(1050), { outDir: out, rowsPerShard: 500, rowsPerBatch: 100 });
    expect((await readdir(out)).filter((n) => n.endsWith('.arrow')).sort()).toEqual([
      'data-00000-of-00003.arrow',
      'data-00001-of-00003.arrow',
      'data-00002-of-00003.arrow',
    ]);
    expect(res.shards.map((s) => tableFromIPC(readFileSync(s)).numRows)).toEqual([500, 500, 50]);
    const out2 = await tempDir();
    const res2 = await writeDataset(rowsOf(1050), { outDir: out2, maxShardBytes: 60_000 });
    expect(res2.shards.length).toBeGreaterThan(3);
    for (const s of res2.shards) expect((await readFile(s)).length).toBeLessThanOrEqual(60_000);
    const back = await readAll(out2);
    expect(back.length).toBe(1050);
    expect(plain(back[1049]!)).toEqual(plain(makeRow(1049)));
  });

  it('labels: false drops the column', async () => {
    const out = await tempDir();
    await writeDataset(rowsOf(5), { outDir: out, labels: false });
    const table = tableFromIPC(await readFile(join(out, 'data-00000-of-00001.arrow')));
    expect(table.schema.fields.map((f) => f.name)).toEqual(['input_ids', 'attention_mask', 'assistant_masks']);
    const info = JSON.parse(await readFile(join(out, 'dataset_info.json'), 'utf8'));
    expect(Object.keys(info.features)).toEqual(['input_ids', 'attention_mask', 'assistant_masks']);
  });

  it('writes one schema-only shard for empty input', async () => {
    const out = await tempDir();
    const res = await writeDataset(rowsOf(0), { outDir: out });
    expect(res.rows).toBe(0);
    expect(res.shards.length).toBe(1);
    const table = tableFromIPC(await readFile(res.shards[0]!));
    expect(table.numRows).toBe(0);
    expect(table.schema.fields.length).toBe(4);
  });

  it('refuses an existing dataset unless overwrite', async () => {
    const out = await tempDir();
    await writeDataset(rowsOf(5), { outDir: out });
    await expect(writeDataset(rowsOf(5), { outDir: out })).rejects.toThrow(/already contains a dataset.*overwrite/);
    const res = await writeDataset(rowsOf(3), { outDir: out, overwrite: true, rowsPerShard: 1 });
    expect(res.rows).toBe(3);
    const names = (await readdir(out)).sort();
    expect(names).toEqual([
      'data-00000-of-00003.arrow',
      'data-00001-of-00003.arrow',
      'data-00002-of-00003.arrow',
      'dataset_info.json',
      'state.json',
    ]);
    // A user file in the folder: chatshard no longer writes beside it, overwrite or not (issue 16).
    await writeFile(join(out, 'notes.txt'), 'keep me');
    await expect(writeDataset(rowsOf(5), { outDir: out, overwrite: true })).rejects.toThrow(
      /holds files chatshard did not write \(notes\.txt\)/,
    );
    expect((await readdir(out)).length).toBe(6);
  });

  it('rejects rows whose columns differ in length', async () => {
    const bad = makeRow(1);
    bad.labels = bad.labels.subarray(1);
    async function* one() {
      yield bad;
    }
    await expect(writeDataset(one(), { outDir: await tempDir() })).rejects.toThrow(/row 1 .*different lengths/);
  });

  it('leaves nothing loadable when the input fails, and refuses to silently restart', async () => {
    const out = await tempDir();
    await expect(writeDataset(failingRows(100, 55), { outDir: out, rowsPerShard: 20 })).rejects.toThrow(
      'simulated crash',
    );
    expect(existsSync(join(out, 'state.json'))).toBe(false);
    expect(existsSync(join(out, 'dataset_info.json'))).toBe(false);
    const tmp = await readdir(join(out, '.chatshard-tmp'));
    expect(tmp.sort()).toEqual(['progress.json', 'shard-00000.arrow', 'shard-00001.arrow']); // partial removed
    expect(await readResumePoint(out)).toEqual({ rows: 40, nextIndex: 40 });
    await expect(writeDataset(rowsOf(100), { outDir: out })).rejects.toThrow(/interrupted run.*resume/);
  });

  it('reports unwritable output folders clearly', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'file'), 'x');
    await expect(writeDataset(rowsOf(3), { outDir: join(dir, 'file', 'out') })).rejects.toThrow(
      /cannot create output folder .*file\/out.*not a folder/,
    );
  });
});
