/**
 * Scaling out (README "Scaling out"): N = 3 shard processes started the three ways a cluster starts
 * them (--num-shards/--shard-index, a Kubernetes Indexed Job's JOB_COMPLETION_INDEX, a Slurm array's
 * SLURM_ARRAY_TASK_ID/COUNT), run concurrently like a real job, then `chatshard merge`. The merged
 * dataset must equal a single-machine run row for row, and the parts' rejects must add up to the
 * single run's.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  SAMPLE_FLAGS,
  cli,
  expectAccounted,
  expectSameRows,
  expectVerified,
  fingerprintOf,
  rejectsOf,
  shardHashes,
  summaryOf,
  tempDir,
  writeCorpus,
  type CliResult,
} from '../reliability/helpers.js';

const N = 3;
const dir = tempDir('shard-merge');
const corpus = writeCorpus(join(dir, 'chats.jsonl'), 2, 41); // 600 sample rows + 14 rejected ones
const base = ['run', '-i', corpus.path, ...SAMPLE_FLAGS, '--workers', '0'];

/** How each launcher tells process `i` which part it is. */
const launchers: Record<string, (i: number) => { args: string[]; env?: Record<string, string> }> = {
  flags: (i) => ({ args: ['--num-shards', String(N), '--shard-index', String(i)] }),
  kubernetes: (i) => ({ args: ['--num-shards', String(N)], env: { JOB_COMPLETION_INDEX: String(i) } }),
  slurm: (i) => ({ args: [], env: { SLURM_ARRAY_TASK_ID: String(i), SLURM_ARRAY_TASK_COUNT: String(N) } }),
  // `#SBATCH --array=1-3`: ids start at SLURM_ARRAY_TASK_MIN.
  'slurm-min-1': (i) => ({
    args: [],
    env: { SLURM_ARRAY_TASK_ID: String(i + 1), SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_COUNT: String(N) },
  }),
};

const single = join(dir, 'single');
const partDir = (mode: string, i: number) => join(dir, mode, `part-${i}`);
const mergedDir = (mode: string) => join(dir, mode, 'merged');
const results: Record<string, CliResult[]> = {};

beforeAll(async () => {
  const r = await cli([...base, '-o', single]);
  expect(r.code, r.stderr).toBe(0);
  for (const [mode, launch] of Object.entries(launchers)) {
    // The N processes of one job run at the same time, as on a cluster.
    results[mode] = await Promise.all(
      Array.from({ length: N }, (_, i) => {
        const { args, env } = launch(i);
        return cli([...base, ...args, '-o', partDir(mode, i)], { env });
      }),
    );
  }
}, 180_000);

describe.each(Object.keys(launchers))('%s launcher: 3 shard processes, then merge', (mode) => {
  it('each part covers its contiguous range and verifies', async () => {
    let rowsIn = 0;
    for (let i = 0; i < N; i++) {
      const r = results[mode]![i]!;
      expect(r.code, r.stderr).toBe(0);
      const s = expectAccounted(partDir(mode, i));
      expect(s.options).toMatchObject({ numShards: N, shardIndex: i });
      expect(s.rows_in).toBe(Math.floor(((i + 1) * corpus.rows) / N) - Math.floor((i * corpus.rows) / N));
      rowsIn += s.rows_in;
      await expectVerified(partDir(mode, i), s.rows_written);
    }
    expect(rowsIn).toBe(corpus.rows);
  });

  it('merge gives the single-machine dataset row for row, and it verifies', async () => {
    const m = await cli([
      'merge',
      ...Array.from({ length: N }, (_, i) => partDir(mode, i)),
      '--output',
      mergedDir(mode),
    ]);
    expect(m.code, m.stderr).toBe(0);
    const report = JSON.parse(m.stdout);
    const s = summaryOf(single);
    expect(report).toMatchObject({ ok: true, rows: s.rows_written, shards: N });
    expect(await expectSameRows(mergedDir(mode), single)).toBe(s.rows_written);
    await expectVerified(mergedDir(mode), s.rows_written);
    // The parts are copied, not moved: they stay loadable.
    for (let i = 0; i < N; i++) expect(existsSync(join(partDir(mode, i), 'state.json'))).toBe(true);
    // One summary.json and rejects.jsonl for the whole job, equal to the single run's counts.
    const merged = summaryOf(mergedDir(mode));
    for (const k of ['rows_in', 'rows_written', 'rows_rejected', 'rejected_by_reason', 'tokens', 'trainable_tokens'])
      expect(merged[k], k).toEqual(s[k]);
    expect(merged.truncation).toEqual(s.truncation);
    expect(rejectsOf(mergedDir(mode))).toEqual(rejectsOf(single));
  });

  it("the parts' rejects and counts add up to the single run's", () => {
    const parts = Array.from({ length: N }, (_, i) => partDir(mode, i));
    expect(parts.flatMap(rejectsOf)).toEqual(rejectsOf(single));
    const s = summaryOf(single);
    const sum = (k: string) => parts.reduce((n, p) => n + summaryOf(p)[k], 0);
    for (const k of ['rows_in', 'rows_written', 'rows_rejected', 'tokens', 'trainable_tokens', 'padded_tokens'])
      expect(sum(k), k).toBe(s[k]);
    expect(s.rows_rejected).toBeGreaterThan(0);
  });
});

describe('the launchers agree', () => {
  it('part i is the same bytes and fingerprint whichever way its index was given', () => {
    for (let i = 0; i < N; i++) {
      const ref = partDir('flags', i);
      for (const mode of Object.keys(launchers)) {
        expect(shardHashes(partDir(mode, i)), `${mode} part ${i}`).toEqual(shardHashes(ref));
        expect(fingerprintOf(partDir(mode, i)), `${mode} part ${i}`).toBe(fingerprintOf(ref));
      }
    }
  });

  it('merging the same parts twice gives the same fingerprint', async () => {
    const again = join(dir, 'merged-again');
    const m = await cli(['merge', ...Array.from({ length: N }, (_, i) => partDir('slurm', i)), '--output', again]);
    expect(m.code, m.stderr).toBe(0);
    expect(fingerprintOf(again)).toBe(fingerprintOf(mergedDir('flags')));
    expect(shardHashes(again)).toEqual(shardHashes(mergedDir('flags')));
  });
});

describe('edge cases', () => {
  // 5 rows (one rejected) over 8 processes: some parts get no row at all, one gets only the rejected row.
  const fiveParts = Array.from({ length: 8 }, (_, i) => join(dir, 'five', String(i)));
  const fiveSingle = join(dir, 'five-single');
  const fiveMerged = join(dir, 'five-merged');

  it('more shards than rows: every row lands in exactly one part, and empty parts merge', async () => {
    const tiny = writeCorpus(join(dir, 'tiny.jsonl'), 1, 2);
    const input = join(dir, 'five.jsonl');
    writeFileSync(input, readFileSync(tiny.path, 'utf8').split('\n').slice(0, 5).join('\n') + '\n');
    const one = await cli(['run', '-i', input, ...SAMPLE_FLAGS, '--workers', '0', '-o', fiveSingle]);
    expect(one.code, one.stderr).toBe(0);
    const runs = await Promise.all(
      fiveParts.map((p, i) =>
        cli([
          'run',
          '-i',
          input,
          ...SAMPLE_FLAGS,
          '--workers',
          '0',
          '--num-shards',
          '8',
          '--shard-index',
          String(i),
          '-o',
          p,
        ]),
      ),
    );
    expect(fiveParts.map((p) => expectAccounted(p).rows_in)).toEqual([0, 1, 0, 1, 1, 0, 1, 1]);
    // A part whose only row is rejected wrote 0 rows: exit 1 (issue 16); an empty part is fine.
    runs.forEach((r, i) => {
      const s = summaryOf(fiveParts[i]!);
      expect(r.code, r.stderr).toBe(s.rows_in > 0 && s.rows_written === 0 ? 1 : 0);
    });
    expect(runs.filter((r) => r.code === 1)).toHaveLength(1);
    expect(fiveParts.flatMap(rejectsOf)).toEqual(rejectsOf(fiveSingle));
    for (const p of fiveParts) if (summaryOf(p).rows_written > 0) await expectVerified(p);
    const m = await cli(['merge', ...fiveParts, '--output', fiveMerged]);
    expect(m.code, m.stderr).toBe(0);
    expect(JSON.parse(m.stdout)).toMatchObject({ rows: 4, shards: 8 });
  });

  // An Arrow stream with a schema and no record batch (a part without rows; datasets.load_from_disk
  // reads it as 0 rows) comes back from apache-arrow as a placeholder batch without columns.
  it('datasets with an empty shard verify and read back', async () => {
    await expectVerified(fiveParts[0]!, 0);
    expect(await expectSameRows(fiveMerged, fiveSingle)).toBe(4);
    await expectVerified(fiveMerged, 4);
  });

  it('an index outside [0, N) or an index without a count is a usage error (exit 2)', async () => {
    const out = join(dir, 'usage');
    const bad = await cli([...base, '-o', out, '--num-shards', '3', '--shard-index', '3']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--shard-index must be in \[0, 3\)/);
    // JOB_COMPLETION_INDEX carries no count: without --num-shards, index 2 of 1 part is refused, not silently run.
    const k8s = await cli([...base, '-o', out], { env: { JOB_COMPLETION_INDEX: '2' } });
    expect(k8s.code).toBe(2);
    const slurm = await cli([...base, '-o', out], { env: { SLURM_ARRAY_TASK_ID: '5', SLURM_ARRAY_TASK_COUNT: '3' } });
    expect(slurm.code).toBe(2);
    expect(existsSync(join(out, 'state.json'))).toBe(false);
  });

  it('merge refuses an existing output without --overwrite and replaces it with', async () => {
    const parts = Array.from({ length: N }, (_, i) => partDir('flags', i));
    const out = join(dir, 'merge-twice');
    expect((await cli(['merge', ...parts, '--output', out])).code).toBe(0);
    const again = await cli(['merge', ...parts, '--output', out]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already contains a dataset/);
    expect(again.stderr).not.toMatch(/\n\s+at /);
    // Parts in another order are refused (issue 16), before the existing output is touched.
    const swapped = await cli(['merge', parts[1]!, parts[0]!, parts[2]!, '--output', out, '--overwrite']);
    expect(swapped.code).toBe(1);
    expect(swapped.stderr).toMatch(/parts are out of order \(shard indices 1, 0, 2\)/);
    const again2 = await cli(['merge', ...parts, '--output', out, '--overwrite']);
    expect(again2.code, again2.stderr).toBe(0);
    expect(await expectSameRows(out, single)).toBeGreaterThan(0);
    await expectVerified(out);
  });
});
