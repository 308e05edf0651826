/**
 * More parts than rows, in-process (library runPipeline + mergeDatasets, no subprocesses): 5 rows
 * (one rejected) over 8 parts. Some parts get no row at all, one gets only the rejected row; every
 * row lands in exactly one part, empty parts merge, and an Arrow stream with a schema and no record
 * batch (datasets.load_from_disk reads it as 0 rows) verifies and reads back.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runPipeline } from '../../src/pipeline/run.js';
import { mergeDatasets } from '../../src/write/merge.js';
import { testOptions } from '../helpers.js';
import {
  NOW,
  TEMPLATE,
  TOKENIZER,
  expectAccounted,
  expectSameRows,
  expectVerified,
  rejectsOf,
  summaryOf,
  tempDir,
  writeCorpus,
} from '../reliability/helpers.js';

const dir = tempDir('shard-edge');
const parts = Array.from({ length: 8 }, (_, i) => join(dir, 'five', String(i)));
const single = join(dir, 'five-single');
const merged = join(dir, 'five-merged');
const input = join(dir, 'five.jsonl');
const options = (output: string, shardIndex = 0, numShards = 1) =>
  testOptions({
    input: [input],
    tokenizer: TOKENIZER,
    chatTemplate: TEMPLATE,
    now: NOW,
    output,
    numShards,
    shardIndex,
  });

beforeAll(async () => {
  const tiny = writeCorpus(join(dir, 'tiny.jsonl'), 1, 2);
  writeFileSync(input, readFileSync(tiny.path, 'utf8').split('\n').slice(0, 5).join('\n') + '\n');
  await runPipeline(options(single));
  for (let i = 0; i < parts.length; i++) await runPipeline(options(parts[i]!, i, parts.length));
}, 120_000);

describe('more shards than rows', () => {
  it('every row lands in exactly one part, and empty parts merge', async () => {
    expect(parts.map((p) => expectAccounted(p).rows_in)).toEqual([0, 1, 0, 1, 1, 0, 1, 1]);
    expect(parts.flatMap(rejectsOf)).toEqual(rejectsOf(single));
    expect(rejectsOf(single)).toHaveLength(1);
    for (const p of parts) if (summaryOf(p).rows_written > 0) await expectVerified(p);
    const r = await mergeDatasets(parts, merged);
    expect(r.rows).toBe(4);
    expect(r.shards).toHaveLength(8);
  });

  it('datasets with an empty shard verify and read back', async () => {
    await expectVerified(parts[0]!, 0);
    expect(await expectSameRows(merged, single)).toBe(4);
    await expectVerified(merged, 4);
  });
});
