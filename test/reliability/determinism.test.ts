/**
 * Determinism: the same input and options give byte-identical shards and the same summary
 * (timing aside) run after run, whatever the number of render workers and whichever tokenizer
 * engine; `_fingerprint` follows the content and the options, not the output folder or thread count.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
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
  stableSummary,
  summaryOf,
  tempDir,
  writeCorpus,
} from './helpers.js';
import { readDataset, type ReadRow } from '../../src/verify/index.js';

const dir = tempDir('determinism');
// 300 sample rows + 6 rejected ones: 3 render batches of 128 rows, so --workers 2 splits the work.
const corpus = writeCorpus(join(dir, 'chats.jsonl'), 1, 43);
const out = (name: string) => join(dir, name);
const run = (name: string, ...flags: string[]) =>
  cli(['run', '-i', corpus.path, ...SAMPLE_FLAGS, '-o', out(name), ...flags]);

const variants: Record<string, string[]> = {
  'workers-1': ['--workers', '1'],
  'workers-1-again': ['--workers', '1'],
  'workers-0': ['--workers', '0'],
  'workers-2': ['--workers', '2'],
  'engine-native': ['--workers', '1', '--engine', 'native'],
};

beforeAll(async () => {
  // Sequential: each run has the machine to itself, as timing must not matter but load could.
  for (const [name, flags] of Object.entries(variants)) {
    const r = await run(name, ...flags);
    expect(r.code, `${name}: ${r.stderr}`).toBe(0);
  }
}, 180_000);

describe('same input and options, same bytes', () => {
  it('every variant writes a dataset that verifies, with every row accounted for', async () => {
    for (const name of Object.keys(variants)) {
      const s = expectAccounted(out(name), corpus.rows);
      expect(s.rows_rejected).toBeGreaterThan(0);
      await expectVerified(out(name), s.rows_written);
    }
  });

  it('two identical runs (into different folders): identical shards, state.json, rejects and summary', () => {
    const [a, b] = [out('workers-1'), out('workers-1-again')];
    expect(shardHashes(b)).toEqual(shardHashes(a));
    expect(readFileSync(join(b, 'state.json'), 'utf8')).toBe(readFileSync(join(a, 'state.json'), 'utf8'));
    expect(readFileSync(join(b, 'dataset_info.json'), 'utf8')).toBe(readFileSync(join(a, 'dataset_info.json'), 'utf8'));
    expect(rejectsOf(b)).toEqual(rejectsOf(a));
    expect(stableSummary(summaryOf(b))).toEqual(stableSummary(summaryOf(a)));
  });

  it('--workers 0 / 1 / 2: identical shards, fingerprint and summary (thread count is not content)', () => {
    const a = out('workers-1');
    for (const name of ['workers-0', 'workers-2']) {
      expect(shardHashes(out(name)), name).toEqual(shardHashes(a));
      expect(fingerprintOf(out(name)), name).toBe(fingerprintOf(a));
      expect(rejectsOf(out(name)), name).toEqual(rejectsOf(a));
      expect(stableSummary(summaryOf(out(name)), ['workers']), name).toEqual(stableSummary(summaryOf(a), ['workers']));
    }
  });

  it('--engine native / js (the default here, tokenizing on the workers): identical shards, rejects and counts', () => {
    const [a, b] = [out('workers-1'), out('engine-native')];
    expect(summaryOf(a).tokenizer.engine).toBe('js');
    expect(summaryOf(b).tokenizer.engine).toBe('native');
    expect(shardHashes(b)).toEqual(shardHashes(a));
    expect(rejectsOf(b)).toEqual(rejectsOf(a));
    const strip = (s: Record<string, any>) => {
      const {
        tokenizer: { engine: _e, ...tok },
        fingerprint: _f,
        ...rest
      } = stableSummary(s, ['engine']);
      return { ...rest, tokenizer: tok };
    };
    expect(strip(summaryOf(b))).toEqual(strip(summaryOf(a)));
  });
});

describe('_fingerprint', () => {
  it('is 16 hex characters, the same in state.json and summary.json', () => {
    const fp = fingerprintOf(out('workers-1'));
    expect(fp).toMatch(/^[0-9a-f]{16}$/);
    expect(summaryOf(out('workers-1')).fingerprint).toBe(fp);
  });

  it('changes with an option that changes the content', async () => {
    const r = await run('max-length', '--workers', '1', '--max-length', '256');
    expect(r.code, r.stderr).toBe(0);
    await expectVerified(out('max-length'));
    expect(shardHashes(out('max-length'))).not.toEqual(shardHashes(out('workers-1')));
    expect(fingerprintOf(out('max-length'))).not.toBe(fingerprintOf(out('workers-1')));
  });

  it('changes with an option that only changes the masks (--mask-rule hf)', async () => {
    const r = await run('mask-rule-hf', '--workers', '1', '--mask-rule', 'hf');
    expect(r.code, r.stderr).toBe(0);
    await expectVerified(out('mask-rule-hf'));
    // Same rows; the shard bytes differ only by the run stamp in their schema metadata (issue 16).
    expect(await expectSameRows(out('mask-rule-hf'), out('workers-1'))).toBeGreaterThan(0);
    expect(fingerprintOf(out('mask-rule-hf'))).not.toBe(fingerprintOf(out('workers-1')));
    // What holds for any input without truncation: the tokens are the same, and every token the
    // overlap rule masks lies inside a span's first..last token, which the hf rule masks too.
    const hf = readDataset(out('mask-rule-hf'))[Symbol.asyncIterator]();
    let rows = 0;
    for await (const o of readDataset(out('workers-1'))) {
      const h = (await hf.next()).value as ReadRow;
      expect(Array.from(h.inputIds), `row ${rows}`).toEqual(Array.from(o.inputIds));
      expect(Array.from(h.attentionMask), `row ${rows}`).toEqual(Array.from(o.attentionMask));
      o.assistantMasks.forEach((m, t) => {
        if (m === 1 && h.assistantMasks[t] !== 1) expect.fail(`row ${rows} token ${t}: overlap masks it, hf does not`);
      });
      rows++;
    }
    expect((await hf.next()).done).toBe(true);
    expect(rows).toBe(summaryOf(out('workers-1')).rows_written);
  });

  it('changes with the content when the options stay the same', async () => {
    // One assistant reply edited; the input keeps its path, so the options are exactly the same.
    const lines = readFileSync(corpus.path, 'utf8').split('\n');
    const i = lines.findIndex((l) => l.includes('"assistant"'));
    const row = JSON.parse(lines[i]!) as { messages: { role: string; content: unknown }[] };
    const msg = row.messages.find((m) => m.role === 'assistant' && typeof m.content === 'string')!;
    msg.content = `Edited. ${msg.content as string}`;
    const input = join(dir, 'same-path', 'chats.jsonl');
    mkdirSync(dirname(input));
    writeFileSync(input, readFileSync(corpus.path));
    const a = await cli(['run', '-i', input, ...SAMPLE_FLAGS, '-o', out('content-a'), '--workers', '1']);
    expect(a.code, a.stderr).toBe(0);
    lines[i] = JSON.stringify(row);
    writeFileSync(input, lines.join('\n'));
    const b = await cli(['run', '-i', input, ...SAMPLE_FLAGS, '-o', out('content-b'), '--workers', '1']);
    expect(b.code, b.stderr).toBe(0);
    expect(await expectSameRows(out('content-a'), out('workers-1'))).toBeGreaterThan(0);
    expect(shardHashes(out('content-b'))).not.toEqual(shardHashes(out('content-a')));
    expect(stableSummary(summaryOf(out('content-b'))).options).toEqual(
      stableSummary(summaryOf(out('content-a'))).options,
    );
    expect(fingerprintOf(out('content-b'))).not.toBe(fingerprintOf(out('content-a')));
  });
});
