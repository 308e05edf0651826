/** Write throughput; opt-in (CHATSHARD_BENCH=1) because it writes ~0.5 GB. */
import { rm } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import type { ShapedRow } from '../../src/types.js';
import { writeDataset } from '../../src/write/index.js';
import { removeTempDirs, tempDir } from './helpers.js';

const ROWS = Number(process.env.CHATSHARD_BENCH_ROWS ?? 100_000);
const TOKENS = 500;

afterAll(removeTempDirs);
describe.skipIf(!process.env.CHATSHARD_BENCH)('write throughput', () => {
  it(`writes ${ROWS} rows x ${TOKENS} tokens`, async () => {
    // A few distinct rows reused, so the measurement is the writer, not row generation.
    const templates: ShapedRow[] = Array.from({ length: 16 }, (_, t) => {
      const ids = Int32Array.from({ length: TOKENS }, (_, k) => (t * 131 + k * 7) % 150000);
      const att = new Uint8Array(TOKENS).fill(1);
      const asm = Uint8Array.from({ length: TOKENS }, (_, k) => (k > TOKENS / 2 ? 1 : 0));
      const lab = Int32Array.from(ids, (v, k) => (asm[k] ? v : -100));
      return {
        ref: { file: 'bench', line: 0 },
        index: 0,
        inputIds: ids,
        attentionMask: att,
        assistantMasks: asm,
        labels: lab,
      };
    });
    async function* rows() {
      for (let i = 0; i < ROWS; i++) yield { ...templates[i % 16]!, index: i };
    }
    const out = await tempDir('chatshard-bench-');
    const t0 = performance.now();
    const res = await writeDataset(rows(), {
      outDir: out,
      maxShardBytes: Number(process.env.CHATSHARD_BENCH_SHARD ?? 500_000_000),
    });
    const secs = (performance.now() - t0) / 1000;
    const { statSync } = await import('node:fs');
    const bytes = res.shards.reduce((s, p) => s + statSync(p).size, 0);
    console.log(
      `rows=${res.rows} shards=${res.shards.length} bytes=${(bytes / 1e6).toFixed(0)}MB time=${secs.toFixed(2)}s ` +
        `${Math.round(res.rows / secs)} rows/s ${(bytes / 1e6 / secs).toFixed(0)} MB/s ` +
        `heapUsed=${(process.memoryUsage().heapUsed / 1e6).toFixed(0)}MB rss=${(process.memoryUsage().rss / 1e6).toFixed(0)}MB`,
    );
    expect(res.rows).toBe(ROWS);
    await rm(out, { recursive: true, force: true });
  });
});
