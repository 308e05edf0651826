/** Packed rows through the write stage: columns, shard boundaries at window ends, resume, verify and merge. */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { packStream, type PackOptions } from '../../src/pack/index.js';
import type { ShapedRow } from '../../src/types.js';
import { verifyDataset } from '../../src/verify/index.js';
import { listColumn, readShardBatches, shardFiles } from '../../src/dataset/read.js';
import { mergeDatasets, readResumePoint, writeDataset, type WriteOptions } from '../../src/write/index.js';
import { makeRow, removeTempDirs, rowsOf, shardBytes, tempDir } from '../write/helpers.js';

const N = 600;
const PACK: PackOptions = { strategy: 'bfd_split', maxLength: 64, window: 50, positionIds: true, segmentIds: true };
const PACKED = { seqLengths: true, positionIds: true, segmentIds: true };

/** Unpadded rows 3..70 tokens long (some longer than L, so bfd_split splits them). */
function row(i: number): ShapedRow {
  const r = makeRow(i, { maxLen: 71 });
  const n = r.attentionMask.indexOf(0) < 0 ? r.inputIds.length : r.attentionMask.indexOf(0);
  return {
    ...r,
    inputIds: r.inputIds.slice(0, n),
    attentionMask: r.attentionMask.slice(0, n),
    assistantMasks: r.assistantMasks.slice(0, n),
    labels: r.labels.slice(0, n),
  };
}
async function* input(from = 0, failAt = Infinity): AsyncGenerator<ShapedRow> {
  for (let i = from; i < N; i++) {
    if (i === failAt) throw new Error('simulated crash');
    yield row(i);
  }
}
const opts = (outDir: string): WriteOptions => ({
  outDir,
  rowsPerShard: 7,
  rowsPerBatch: 5,
  fingerprintSeed: 'pack-seed',
  packed: PACKED,
});

/** Every column of every row, plus the rows per shard. */
async function readPacked(dir: string) {
  const rows: Record<string, number[]>[] = [];
  const perShard: number[] = [];
  for (const f of await shardFiles(dir)) {
    let n = 0;
    for await (const { batch } of readShardBatches(join(dir, f))) {
      const cols = batch.schema.fields.map((x) => [x.name, listColumn(batch, x.name)!] as const);
      for (let r = 0; r < batch.numRows; r++, n++) {
        rows.push(
          Object.fromEntries(cols.map(([k, c]) => [k, Array.from(c.values.subarray(c.offsets[r], c.offsets[r + 1]))])),
        );
      }
    }
    perShard.push(n);
  }
  return { rows, perShard };
}

afterAll(removeTempDirs);

describe('writing packed rows', () => {
  it('writes the packing columns with their features; shards end only at window ends', async () => {
    const dir = await tempDir();
    const expected: ShapedRow[] = [];
    for await (const r of packStream(input(), PACK)) expected.push(r);
    await writeDataset(packStream(input(), PACK), opts(dir));
    const info = JSON.parse(await readFile(join(dir, 'dataset_info.json'), 'utf8')) as { features: object };
    expect(Object.keys(info.features)).toEqual([
      'input_ids',
      'attention_mask',
      'assistant_masks',
      'labels',
      'position_ids',
      'seq_lengths',
    ]);
    expect(info.features).toMatchObject({
      attention_mask: { feature: { dtype: 'int32', _type: 'Value' }, _type: 'Sequence' },
      seq_lengths: { feature: { dtype: 'int32', _type: 'Value' }, _type: 'Sequence' },
    });
    const { rows, perShard } = await readPacked(dir);
    expect(rows).toEqual(
      expected.map((r) => ({
        input_ids: Array.from(r.inputIds),
        attention_mask: Array.from(r.packed!.segmentIds!),
        assistant_masks: Array.from(r.assistantMasks),
        labels: Array.from(r.labels),
        position_ids: Array.from(r.packed!.positionIds!),
        seq_lengths: Array.from(r.packed!.seqLengths),
      })),
    );
    // Every shard holds whole windows: its last row is a window's last packed row.
    let at = 0;
    for (const n of perShard) {
      at += n;
      expect(expected[at - 1]!.packed!.windowEnd).toBe(true);
    }
    expect(perShard.length).toBeGreaterThan(3);
    expect(await verifyDataset(dir)).toMatchObject({ ok: true, rows: expected.length, errors: [] });
  });

  it('a resumed packed run equals an uninterrupted one byte for byte', async () => {
    const whole = await tempDir();
    await writeDataset(packStream(input(), PACK), opts(whole));
    const out = await tempDir();
    await expect(writeDataset(packStream(input(0, 333), PACK), opts(out))).rejects.toThrow('simulated crash');
    const point = await readResumePoint(out);
    // Shards end at window ends, so the resume point is a window start (windows of 50 rows).
    expect(point!.nextIndex % 50).toBe(0);
    expect(point!.nextIndex).toBeGreaterThan(0);
    await writeDataset(packStream(input(point!.nextIndex), PACK), { ...opts(out), resume: true });
    // Hashes: deep equality of large Buffers is slow in vitest.
    const hashes = async (d: string) =>
      [...(await shardBytes(d))].map(([f, b]) => [f, createHash('sha256').update(b).digest('hex')]);
    expect(await hashes(out)).toEqual(await hashes(whole));
  });

  it('refuses to resume with other packing columns', async () => {
    const out = await tempDir();
    await expect(writeDataset(packStream(input(0, 333), PACK), opts(out))).rejects.toThrow('simulated crash');
    await expect(
      writeDataset(packStream(input(300), PACK), { ...opts(out), packed: { seqLengths: true }, resume: true }),
    ).rejects.toThrow(
      'started with columns [input_ids, attention_mask, assistant_masks, labels, position_ids, seq_lengths], now [input_ids, attention_mask, assistant_masks, labels, seq_lengths]',
    );
  });

  it('verify reports seq_lengths, position ids and segment ids that disagree with the row', async () => {
    const dir = await tempDir();
    async function* broken(): AsyncGenerator<ShapedRow> {
      let k = 0;
      for await (const r of packStream(input(), PACK)) {
        if (k === 1) r.packed!.seqLengths = Int32Array.of(1);
        if (k === 2) r.packed!.positionIds![1] = 5;
        if (k === 3) r.packed!.segmentIds![0] = 2;
        if (k++ > 3) break;
        yield r;
      }
    }
    await writeDataset(broken(), { ...opts(dir), rowsPerShard: undefined });
    const report = await verifyDataset(dir);
    expect(report.ok).toBe(false);
    expect(report.errors).toEqual([
      expect.stringMatching(/row 1: seq_lengths sum to 1, the row has \d+ tokens$/),
      'data-00000-of-00001.arrow row 2: position_ids[1] = 5, expected 0 or 1',
      'data-00000-of-00001.arrow row 3: attention_mask[0] = 2, expected segment id 0 or 1',
    ]);
  });

  it('merge concatenates packed parts without re-packing and refuses mixing packed with unpacked', async () => {
    const a = await tempDir();
    const b = await tempDir();
    const c = await tempDir();
    await writeDataset(packStream(input(), PACK), opts(a));
    await writeDataset(packStream(input(), PACK), opts(b));
    await writeDataset(rowsOf(10), { outDir: c });
    const out = await tempDir();
    const res = await mergeDatasets([a, b], out, { overwrite: true });
    const one = (await readPacked(a)).rows;
    expect(res.rows).toBe(2 * one.length);
    expect((await readPacked(out)).rows).toEqual([...one, ...one]);
    expect(await verifyDataset(out)).toMatchObject({ ok: true });
    await expect(mergeDatasets([a, c], await tempDir(), { overwrite: true })).rejects.toThrow(
      'chatshard merge: the parts have different columns',
    );
  });
});
