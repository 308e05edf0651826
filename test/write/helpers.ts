/** Shared fixtures for the write-stage tests. */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ShapedRow } from '../../src/types.js';
import { readDataset, type ReadRow } from '../../src/dataset/read.js';

export const PAD = 0;

/** Deterministic pseudo-random row `i`: right-padded to a bucket, assistant span in the middle. */
export function makeRow(i: number, opts: { pad?: 'left' | 'right'; maxLen?: number } = {}): ShapedRow {
  const maxLen = opts.maxLen ?? 40;
  const real = 3 + ((i * 7919) % (maxLen - 3));
  const total = Math.min(maxLen, real + (i % 3));
  const inputIds = new Int32Array(total);
  const attentionMask = new Uint8Array(total);
  const assistantMasks = new Uint8Array(total);
  const labels = new Int32Array(total).fill(-100);
  const off = opts.pad === 'left' ? total - real : 0;
  for (let k = 0; k < total; k++) inputIds[k] = PAD;
  for (let k = 0; k < real; k++) {
    const p = off + k;
    inputIds[p] = 1 + ((i * 31 + k * 17) % 50000);
    attentionMask[p] = 1;
    if (k >= Math.floor(real / 3)) {
      assistantMasks[p] = 1;
      labels[p] = inputIds[p];
    }
  }
  return { ref: { file: 'mem', line: i + 1 }, index: i, inputIds, attentionMask, assistantMasks, labels };
}

export async function* rowsOf(n: number, start = 0, opts?: Parameters<typeof makeRow>[1]): AsyncGenerator<ShapedRow> {
  for (let i = start; i < n; i++) yield makeRow(i, opts);
}

/** Rows that fail (like a crashed pipeline) after `failAfter` rows. */
export async function* failingRows(n: number, failAfter: number): AsyncGenerator<ShapedRow> {
  for (let i = 0; i < n; i++) {
    if (i === failAfter) throw new Error('simulated crash');
    yield makeRow(i);
  }
}

const created: string[] = [];

export async function tempDir(prefix = 'chatshard-write-'): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), prefix));
  created.push(d);
  return d;
}

/** Remove every folder made by tempDir (use in afterAll). */
export async function removeTempDirs(): Promise<void> {
  await Promise.all(created.splice(0).map((d) => rm(d, { recursive: true, force: true })));
}

export async function readAll(dir: string): Promise<ReadRow[]> {
  const out: ReadRow[] = [];
  // Copy: readDataset yields views into batches.
  for await (const r of readDataset(dir)) {
    out.push({
      inputIds: r.inputIds.slice(),
      attentionMask: r.attentionMask.slice(),
      assistantMasks: r.assistantMasks.slice(),
      labels: r.labels?.slice(),
    });
  }
  return out;
}

export function plain(r: ReadRow | ShapedRow, labels = true) {
  return {
    inputIds: Array.from(r.inputIds),
    attentionMask: Array.from(r.attentionMask),
    assistantMasks: Array.from(r.assistantMasks),
    ...(labels ? { labels: Array.from(r.labels ?? []) } : {}),
  };
}

/** File name -> bytes of every data shard in a folder. */
export async function shardBytes(dir: string): Promise<Map<string, Buffer>> {
  const m = new Map<string, Buffer>();
  for (const f of (await readdir(dir)).filter((n) => n.endsWith('.arrow')).sort())
    m.set(f, await readFile(join(dir, f)));
  return m;
}
