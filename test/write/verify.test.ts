import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import type * as Arrow from 'apache-arrow';
// Arrow's classes from the copy chatshard uses (src/arrow.ts): the schema below is made by chatshard.
import { makeData, RecordBatch, RecordBatchStreamWriter, Struct } from '../../src/arrow.js';
import { afterAll, describe, expect, it } from 'vitest';
import type { ShapedRow } from '../../src/types.js';
import { verifyDataset } from '../../src/verify/index.js';
import { writeDataset } from '../../src/write/index.js';
import { arrowSchema, listType } from '../../src/dataset/schema.js';
import { columnSpecs } from '../../src/dataset/schema.js';
import { makeRow, removeTempDirs, tempDir } from './helpers.js';

const { RecordBatchFileWriter } = createRequire(import.meta.url)('apache-arrow/Arrow.esnext.min') as typeof Arrow;

async function writeRows(rows: ShapedRow[], labels = true): Promise<string> {
  const out = await tempDir();
  async function* gen() {
    yield* rows;
  }
  await writeDataset(gen(), { outDir: out, labels });
  return out;
}

/** A shard whose columns have independent offsets (the writer cannot produce that). */
function unevenBatch(): RecordBatch {
  const schema = arrowSchema(true);
  const lens = [[3, 3, 3, 2]]; // labels one short
  const children = columnSpecs(true).map((spec, c) => {
    const n = lens[0]![c]!;
    const values = spec.dtype === 'int32' ? new Int32Array(n).fill(-100) : new Int8Array(n).fill(1);
    const type = listType(spec);
    const child = makeData({ type: type.children[0]!.type, length: n, nullCount: 0, data: values });
    return makeData({ type, length: 1, nullCount: 0, valueOffsets: Int32Array.of(0, n), child });
  });
  return new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: 1, nullCount: 0, children }));
}

afterAll(removeTempDirs);
describe('verifyDataset', () => {
  it('accepts good output, left and right padded', async () => {
    const right = await writeRows(Array.from({ length: 100 }, (_, i) => makeRow(i)));
    expect(await verifyDataset(right)).toEqual({ ok: true, rows: 100, shards: 1, errors: [] });
    const left = await writeRows(
      Array.from({ length: 100 }, (_, i) => makeRow(i, { pad: 'left' })),
      false,
    );
    expect(await verifyDataset(left)).toEqual({ ok: true, rows: 100, shards: 1, errors: [] });
  });

  it('catches inconsistent labels, masks on padding, broken padding, mixed sides', async () => {
    const rows = Array.from({ length: 12 }, (_, i) => makeRow(i));
    rows[1]!.labels[rows[1]!.labels.length - 1] = 5; // label on a non-assistant / wrong token
    const r2 = rows[2]!;
    r2.assistantMasks[r2.attentionMask.lastIndexOf(1) + 1] = 1; // mask on a pad (row 2 has padding)
    rows[4]!.attentionMask[1] = 0; // hole in the middle
    rows[5] = makeRow(5, { pad: 'left' }); // other side than earlier rows
    rows[6]!.attentionMask.fill(0);
    const report = await verifyDataset(await writeRows(rows));
    expect(report.ok).toBe(false);
    expect(report.rows).toBe(12);
    const text = report.errors.join('\n');
    expect(text).toMatch(/row 1: labels\[\d+\] = 5, expected/);
    expect(text).toMatch(/row 2: assistant_masks\[\d+\] = 1 on a padding position/);
    expect(text).toMatch(/row 4: padding is not contiguous/);
    expect(text).toMatch(/row 5: padded on the left while earlier rows are padded on the right/);
    expect(text).toMatch(/row 6: no attended tokens/);
    expect(report.errors.some((e) => /row (0|3|7|8|9|10|11)\b/.test(e))).toBe(false);
  });

  it('catches uneven column lengths, file-format shards and bad metadata files', async () => {
    const out = await writeRows([makeRow(0)]);
    const shard = join(out, 'data-00000-of-00001.arrow');
    await writeFile(shard, RecordBatchStreamWriter.writeAll([unevenBatch()]).toUint8Array(true));
    let report = await verifyDataset(out);
    expect(report.errors.join('\n')).toMatch(/row 0: columns have different lengths/);

    await writeFile(shard, RecordBatchFileWriter.writeAll([unevenBatch()]).toUint8Array(true));
    report = await verifyDataset(out);
    expect(report.errors.join('\n')).toMatch(/Arrow IPC file format, expected stream format/);

    const state = JSON.parse(await readFile(join(out, 'state.json'), 'utf8'));
    delete state._split;
    state._data_files = [{ filename: 'data-00000-of-00002.arrow' }];
    await writeFile(join(out, 'state.json'), JSON.stringify(state));
    const info = JSON.parse(await readFile(join(out, 'dataset_info.json'), 'utf8'));
    info.features.input_ids._type = 'List';
    await writeFile(join(out, 'dataset_info.json'), JSON.stringify(info));
    report = await verifyDataset(out);
    const text = report.errors.join('\n');
    expect(text).toMatch(/state.json: missing key _split/);
    expect(text).toMatch(/shard 0 is named data-00000-of-00002.arrow/);
    expect(text).toMatch(/dataset_info.json: unexpected features/);
    expect(text).toMatch(/data-00000-of-00002.arrow: cannot read/);
  });

  it('reports a folder without state.json', async () => {
    const report = await verifyDataset(await tempDir());
    expect(report.ok).toBe(false);
    expect(report.errors[0]).toMatch(/state.json/);
  });
});
