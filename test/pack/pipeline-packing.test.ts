/** Packing through runPipeline: summary figures, empty-row reporting, and option checks. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { packOptionsOf } from '../../src/pipeline/packing.js';
import { runPipeline } from '../../src/pipeline/run.js';
import { verifyDataset } from '../../src/verify/index.js';
import { listColumn, readShardBatches, shardFiles } from '../../src/dataset/read.js';
import { ROOT, testOptions } from '../helpers.js';

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

const base = (output: string) =>
  testOptions({
    input: [join(ROOT, 'samples/data/gsm8k.messages.jsonl')],
    tokenizer: join(ROOT, 'samples/tokenizer'),
    chatTemplate: join(ROOT, 'samples/qwen2_5_training.jinja'),
    now: '2025-03-14T09:26:53',
    output,
  });

async function lengths(dir: string, col: string): Promise<number[][]> {
  const out: number[][] = [];
  for (const f of await shardFiles(dir))
    for await (const { batch } of readShardBatches(join(dir, f))) {
      const c = listColumn(batch, col)!;
      for (let r = 0; r < batch.numRows; r++) out.push(Array.from(c.values.subarray(c.offsets[r], c.offsets[r + 1])));
    }
  return out;
}

describe('runPipeline with packing', () => {
  it('packs the rows an unpacked run writes and reports bins, fill and tokens dropped', async () => {
    const tmp = await mkdtemp(join(tmpdir(), 'chatshard-pack-'));
    dirs.push(tmp);
    const unpacked = await runPipeline({ ...base(join(tmp, 'u')), maxLength: 200 });
    const packed = await runPipeline({ ...base(join(tmp, 'p')), maxLength: 200, packing: true, packingWindow: 16 });
    expect(packed.rows_written).toBe(unpacked.rows_written);
    expect(packed.tokens).toBe(unpacked.tokens);
    const p = packed.packing!;
    const seqs = await lengths(join(tmp, 'p'), 'seq_lengths');
    const rowLengths = (await lengths(join(tmp, 'u'), 'input_ids')).map((r) => r.length);
    expect(p.bins).toBe(seqs.length);
    expect(p.rows_packed).toBe(unpacked.rows_written);
    expect(p.sequences).toBe(unpacked.rows_written);
    expect(p.tokens).toBe(unpacked.tokens);
    expect(p.fill_ratio).toBeCloseTo(p.tokens / (p.bins * 200), 5);
    expect(p.longest_bin).toBe(Math.max(...seqs.map((s) => s.reduce((a, b) => a + b, 0))));
    expect(p.tokens_dropped).toBeGreaterThan(0); // gsm8k has rows over 200 tokens
    // Windows of 16 rows: each window's sequences are exactly its rows' lengths.
    expect(seqs.flat().sort((a, b) => a - b)).toEqual(rowLengths.sort((a, b) => a - b));
    expect(await verifyDataset(join(tmp, 'p'))).toMatchObject({ ok: true, rows: p.bins });
  });

  it('checks the packing options', () => {
    const o = base('x');
    expect(() => packOptionsOf({ ...o, packing: true })).toThrow('--packing needs --max-length');
    expect(() => packOptionsOf({ ...o, positionIds: true })).toThrow('--position-ids and --segment-ids need --packing');
    expect(() => packOptionsOf({ ...o, packing: true, maxLength: 8, padding: 'longest' })).toThrow(
      '--packing writes unpadded rows',
    );
    expect(() => packOptionsOf({ ...o, packing: true, maxLength: 8, packingWindow: 0 })).toThrow(
      '--packing-window must be a positive integer, got 0',
    );
    expect(packOptionsOf({ ...o, packing: true, maxLength: 8, packingStrategy: 'wrapped' })).toEqual({
      strategy: 'wrapped',
      maxLength: 8,
      window: 1000,
      positionIds: false,
      segmentIds: false,
    });
  });
});
