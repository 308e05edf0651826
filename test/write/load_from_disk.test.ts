/** Opens our output with the real `datasets.load_from_disk` when the reference venv exists. */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mergeDatasets, writeDataset } from '../../src/write/index.js';
import { makeRow, plain, rowsOf, removeTempDirs, tempDir } from './helpers.js';

const python = join(process.cwd(), '.venv-ref', 'bin', 'python');
const script = join(process.cwd(), 'scripts', 'check_load_from_disk.py');

function hasDatasets(): boolean {
  if (!existsSync(python)) return false;
  try {
    execFileSync(python, ['-c', 'import datasets'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

interface CheckOutput {
  ok: boolean;
  num_rows: number;
  columns: string[];
  arrow_types: Record<string, string>;
  first_rows: Record<string, number[]>[];
  errors: string[];
}

function check(dir: string): CheckOutput {
  let stdout: string;
  try {
    stdout = execFileSync(python, [script, dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    stdout = String((e as { stdout?: string }).stdout ?? '');
    if (!stdout) throw e;
  }
  return JSON.parse(stdout) as CheckOutput;
}

afterAll(removeTempDirs);
describe.skipIf(!hasDatasets())('datasets.load_from_disk (reference venv)', () => {
  it('opens a multi-shard dataset with the expected columns, dtypes and values', async () => {
    const out = await tempDir();
    await writeDataset(rowsOf(1200), { outDir: out, rowsPerShard: 500 });
    const res = check(out);
    expect(res.errors).toEqual([]);
    expect(res.ok).toBe(true);
    expect(res.num_rows).toBe(1200);
    expect(res.columns).toEqual(['input_ids', 'attention_mask', 'assistant_masks', 'labels']);
    expect(res.arrow_types).toEqual({
      input_ids: 'list<item: int32>',
      attention_mask: 'list<item: int8>',
      assistant_masks: 'list<item: int8>',
      labels: 'list<item: int32>',
    });
    const r0 = plain(makeRow(0));
    expect(res.first_rows[0]).toEqual({
      input_ids: r0.inputIds,
      attention_mask: r0.attentionMask,
      assistant_masks: r0.assistantMasks,
      labels: r0.labels,
    });
  });

  it('opens empty, label-less and merged datasets', async () => {
    const empty = await tempDir();
    await writeDataset(rowsOf(0), { outDir: empty });
    expect(check(empty)).toMatchObject({ ok: true, num_rows: 0 });
    const nolabels = await tempDir();
    await writeDataset(rowsOf(7), { outDir: nolabels, labels: false });
    expect(check(nolabels)).toMatchObject({
      ok: true,
      num_rows: 7,
      columns: ['input_ids', 'attention_mask', 'assistant_masks'],
    });
    const [a, b, m] = await Promise.all([tempDir(), tempDir(), tempDir()]);
    await writeDataset(rowsOf(10), { outDir: a });
    await writeDataset(rowsOf(25, 10), { outDir: b });
    await mergeDatasets([a, b], m);
    expect(check(m)).toMatchObject({ ok: true, num_rows: 25 });
  });
});
