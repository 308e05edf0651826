/**
 * Kept input columns (`keep` / `--keep-columns`) in both writers: Arrow (load_from_disk) and
 * Parquet shards carry them as scalar columns after the token columns, with nulls; verify accepts
 * the layout; merge refuses parts that keep different columns.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openShard, shardFiles } from '../../src/dataset/read.js';
import type { KeptSpec } from '../../src/dataset/schema.js';
import type { KeptCell, ShapedRow } from '../../src/types.js';
import { verifyDataset } from '../../src/verify/index.js';
import { mergeDatasets, writeDataset, type WriteOptions } from '../../src/write/index.js';
import { makeRow, removeTempDirs, tempDir } from './helpers.js';

const KEEP: KeptSpec[] = [
  { name: 'id', dtype: 'int64' },
  { name: 'source', dtype: 'string' },
  { name: 'score', dtype: 'float64' },
  { name: 'ok', dtype: 'bool' },
];

/** Row i's kept values: every fifth row has nulls; strings with non-ASCII and empty ones. */
const keptOf = (i: number): KeptCell[] =>
  i % 5 === 4 ? [null, null, null, null] : [i * 1_000_000_007, i % 3 ? `src-${i}-ü` : '', i / 4, i % 2 === 0];

async function* keptRows(n: number, columns = KEEP.length): AsyncGenerator<ShapedRow> {
  for (let i = 0; i < n; i++) yield { ...makeRow(i), kept: keptOf(i).slice(0, columns) };
}

/** Every column of a dataset as plain JS values, read back shard by shard. */
async function readColumns(dir: string, names: string[]): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (const file of await shardFiles(dir)) {
    for await (const batch of await openShard(join(dir, file))) {
      for (const n of names) {
        const col = batch.getChild(n)!;
        for (let r = 0; r < batch.numRows; r++) {
          const v = col.get(r) as unknown;
          out[n]!.push(typeof v === 'bigint' ? Number(v) : v);
        }
      }
    }
  }
  return out;
}

const N = 23;
const opts = (outDir: string, over: Partial<WriteOptions> = {}): WriteOptions => ({
  outDir,
  keep: KEEP,
  rowsPerShard: 10,
  rowsPerBatch: 4,
  fingerprintSeed: 'seed',
  ...over,
});

afterAll(removeTempDirs);
describe('kept columns in the writers', () => {
  for (const format of ['arrow', 'parquet'] as const) {
    it(`${format}: typed scalar columns with nulls, same values back, verify passes`, async () => {
      const out = await tempDir();
      await writeDataset(keptRows(N), opts(out, { format }));
      const files = await shardFiles(out);
      expect(files).toHaveLength(3);
      const shard = await openShard(join(out, files[0]!));
      expect(shard.schema.fields.slice(4).map((f) => `${f.name}: ${String(f.type)}`)).toEqual([
        'id: Int64',
        'source: Utf8',
        'score: Float64',
        'ok: Bool',
      ]);
      const cols = await readColumns(out, ['id', 'source', 'score', 'ok']);
      const want = Array.from({ length: N }, (_, i) => keptOf(i));
      expect(cols.id).toEqual(want.map((k) => k[0]));
      expect(cols.source).toEqual(want.map((k) => k[1]));
      expect(cols.score).toEqual(want.map((k) => k[2]));
      expect(cols.ok).toEqual(want.map((k) => k[3]));
      expect(await verifyDataset(out)).toEqual({ ok: true, rows: N, shards: 3, errors: [] });
      if (format === 'arrow') {
        const info = JSON.parse(await readFile(join(out, 'dataset_info.json'), 'utf8')) as {
          features: Record<string, unknown>;
        };
        expect(info.features.id).toEqual({ dtype: 'int64', _type: 'Value' });
        expect(info.features.source).toEqual({ dtype: 'string', _type: 'Value' });
        expect(info.features.score).toEqual({ dtype: 'float64', _type: 'Value' });
        expect(info.features.ok).toEqual({ dtype: 'bool', _type: 'Value' });
      }
    });
  }

  it('parquet: an empty dataset keeps the kept columns in its schema', async () => {
    const out = await tempDir();
    await writeDataset(keptRows(0), opts(out, { format: 'parquet' }));
    const shard = await openShard(join(out, (await shardFiles(out))[0]!));
    expect(shard.schema.fields.map((f) => f.name)).toEqual([
      'input_ids',
      'attention_mask',
      'assistant_masks',
      'labels',
      'id',
      'source',
      'score',
      'ok',
    ]);
    expect(await verifyDataset(out)).toEqual({ ok: true, rows: 0, shards: 1, errors: [] });
  });

  it('refuses rows whose kept values do not fit the layout', async () => {
    async function* bad(): AsyncGenerator<ShapedRow> {
      yield { ...makeRow(0), kept: ['not an id', null, null, null] };
    }
    await expect(writeDataset(bad(), opts(await tempDir()))).rejects.toThrow(
      'chatshard write: row 0 (mem:1): kept column id is int64, got "not an id"',
    );
    async function* short(): AsyncGenerator<ShapedRow> {
      yield makeRow(0);
    }
    await expect(writeDataset(short(), opts(await tempDir()))).rejects.toThrow(
      'chatshard write: row 0 (mem:1) has 0 kept values, the layout 4 kept columns',
    );
  });

  it('merge concatenates parts with the same kept columns and refuses parts with others', async () => {
    const [a, b, c, m] = await Promise.all([tempDir(), tempDir(), tempDir(), tempDir()]);
    await writeDataset(keptRows(N), opts(a));
    await writeDataset(keptRows(N), opts(b));
    await writeDataset(keptRows(N, 2), opts(c, { keep: KEEP.slice(0, 2) }));
    expect((await mergeDatasets([a, b], m)).rows).toBe(2 * N);
    expect((await readColumns(m, ['id'])).id).toEqual(
      [...Array(N).keys(), ...Array(N).keys()].map((i) => keptOf(i)[0]),
    );
    expect(await verifyDataset(m)).toEqual({ ok: true, rows: 2 * N, shards: 6, errors: [] });
    await expect(mergeDatasets([a, c], await tempDir())).rejects.toThrow(
      /the parts keep different input columns \(keepColumns\): .* has \[id:int64, source:string, score:float64, ok:bool\], .* has \[id:int64, source:string\]/,
    );
  });
});
