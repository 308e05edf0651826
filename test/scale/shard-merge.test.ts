/**
 * Scaling out (README "Scaling out"): N = 3 shard processes run concurrently like a real job, then
 * `chatshard merge`. The merged dataset must equal a single-machine run row for row, and the parts'
 * rejects must add up to the single run's. One part each is also started the ways a cluster starts
 * it (a Kubernetes Indexed Job's JOB_COMPLETION_INDEX, a Slurm array's SLURM_ARRAY_TASK_ID/COUNT/MIN)
 * and must be the same bytes: the environment parsing itself is unit-tested in
 * test/pipeline/shard.test.ts, the more-parts-than-rows case in-process in shard-edge.test.ts.
 */
import { existsSync } from 'node:fs';
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
const corpus = writeCorpus(join(dir, 'chats.jsonl'), 1, 41); // 300 sample rows + 7 rejected ones
const base = ['run', '-i', corpus.path, ...SAMPLE_FLAGS, '--workers', '0'];

/** One part started by each cluster launcher: [name, part index, environment]. */
const envLaunchers: [string, number, Record<string, string>, string[]][] = [
  ['kubernetes', 2, { JOB_COMPLETION_INDEX: '2' }, ['--num-shards', String(N)]],
  ['slurm', 0, { SLURM_ARRAY_TASK_ID: '0', SLURM_ARRAY_TASK_COUNT: String(N) }, []],
  // `#SBATCH --array=1-3`: ids start at SLURM_ARRAY_TASK_MIN.
  ['slurm-min-1', 1, { SLURM_ARRAY_TASK_ID: '2', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_COUNT: String(N) }, []],
];

const single = join(dir, 'single');
const partDir = (mode: string, i: number) => join(dir, mode, `part-${i}`);
const mergedDir = (mode: string) => join(dir, mode, 'merged');
const results: Record<string, CliResult[]> = {};
const envResults: CliResult[] = [];

beforeAll(async () => {
  const r = await cli([...base, '-o', single]);
  expect(r.code, r.stderr).toBe(0);
  // The N processes of one job run at the same time, as on a cluster.
  results['flags'] = await Promise.all(
    Array.from({ length: N }, (_, i) =>
      cli([...base, '--num-shards', String(N), '--shard-index', String(i), '-o', partDir('flags', i)]),
    ),
  );
  envResults.push(
    ...(await Promise.all(
      envLaunchers.map(([mode, i, env, args]) => cli([...base, ...args, '-o', partDir(mode, i)], { env })),
    )),
  );
}, 180_000);

describe.each(['flags'])('%s launcher: 3 shard processes, then merge', (mode) => {
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
  it('a part is the same bytes and fingerprint whichever way its index was given', () => {
    envLaunchers.forEach(([mode, i], k) => {
      expect(envResults[k]!.code, envResults[k]!.stderr).toBe(0);
      expect(summaryOf(partDir(mode, i)).options).toMatchObject({ numShards: N, shardIndex: i });
      expect(shardHashes(partDir(mode, i)), `${mode} part ${i}`).toEqual(shardHashes(partDir('flags', i)));
      expect(fingerprintOf(partDir(mode, i)), `${mode} part ${i}`).toBe(fingerprintOf(partDir('flags', i)));
    });
  });

  it('merging the same parts twice gives the same fingerprint', async () => {
    const again = join(dir, 'merged-again');
    const m = await cli(['merge', ...Array.from({ length: N }, (_, i) => partDir('flags', i)), '--output', again]);
    expect(m.code, m.stderr).toBe(0);
    expect(fingerprintOf(again)).toBe(fingerprintOf(mergedDir('flags')));
    expect(shardHashes(again)).toEqual(shardHashes(mergedDir('flags')));
  });
});

describe('edge cases', () => {
  it('an index outside [0, N) is a usage error (exit 2), nothing written', async () => {
    // The other refusals (an environment index without a count, ...) are unit-tested in shard.test.ts.
    const out = join(dir, 'usage');
    const k8s = await cli([...base, '-o', out], { env: { JOB_COMPLETION_INDEX: '2' } });
    expect(k8s.code).toBe(2);
    expect(k8s.stderr).toMatch(/--shard-index must be in \[0, 1\), got 2/);
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
