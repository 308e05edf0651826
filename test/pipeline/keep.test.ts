/**
 * `--keep-columns`: typing and encoding of kept input values (pure functions), the option checks,
 * and the dataset layout with kept columns.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { featuresDict, layoutOfFeatures } from '../../src/dataset/schema.js';
import { buildOptions, UsageError } from '../../src/options/build.js';
import { rawRows, typeKeptColumns } from '../../src/pipeline/input.js';
import { encodeCell, keptCells, kindOf, sniffKinds, type KeptColumn } from '../../src/pipeline/keep.js';
import { parsePyJson } from '../../src/render/index.js';

const base = { input: ['a.jsonl'], tokenizer: 't', output: 'o' };

describe('kept column kinds', () => {
  it('types a value as Python json.loads would: 2.0 is a float, 2 an integer, nested values JSON', () => {
    const row = parsePyJson('{"a":"x","b":2,"c":2.0,"d":0.5,"e":true,"f":{"k":1},"g":[1],"h":null,"i":1e3}') as Record<
      string,
      unknown
    >;
    expect(Object.fromEntries(Object.entries(row).map(([k, v]) => [k, kindOf(v)]))).toEqual({
      a: 'string',
      b: 'int64',
      c: 'float64',
      d: 'float64',
      e: 'bool',
      f: 'json',
      g: 'json',
      h: null,
      i: 'float64',
    });
    expect(kindOf(undefined)).toBeNull();
  });

  it('takes each column kind from its first non-null value, within the row limit', async () => {
    const rows = [{ id: null, src: 'a' }, 'not an object', { id: 7 }, { id: 'later', flag: false }];
    expect(await sniffKinds(rows, ['id', 'src', 'flag', 'nowhere'])).toEqual({
      columns: [
        { name: 'id', kind: 'int64' },
        { name: 'src', kind: 'string' },
        { name: 'flag', kind: 'bool' },
        { name: 'nowhere', kind: 'string' },
      ],
      unseen: ['nowhere'],
    });
    // Only the first 2 rows are looked at: `id` has no value there.
    expect((await sniffKinds(rows, ['id'], 2)).unseen).toEqual(['id']);
  });
});

describe('kept cell encoding', () => {
  const col = (name: string, kind: KeptColumn['kind']): KeptColumn => ({ name, kind });

  it('writes values of the column kind as they are, nulls for missing, nested values as compact JSON text', () => {
    expect(encodeCell('a1', col('id', 'string'))).toEqual({ ok: true, cell: 'a1' });
    expect(encodeCell(42, col('id', 'int64'))).toEqual({ ok: true, cell: 42 });
    expect(encodeCell(false, col('ok', 'bool'))).toEqual({ ok: true, cell: false });
    expect(encodeCell(undefined, col('id', 'int64'))).toEqual({ ok: true, cell: null });
    const meta = parsePyJson('{"tags":["a","ü"],"w":2.0,"n":3}');
    expect(encodeCell(meta, col('meta', 'json'))).toEqual({ ok: true, cell: '{"tags":["a","ü"],"w":2.0,"n":3}' });
    // A JSON column takes any value as its JSON text.
    expect(encodeCell('plain', col('meta', 'json'))).toEqual({ ok: true, cell: '"plain"' });
  });

  it('writes integers into a float column as floats (as pyarrow promotes them)', () => {
    expect(encodeCell(3, col('score', 'float64'))).toEqual({ ok: true, cell: 3 });
    expect(encodeCell(parsePyJson('2.0'), col('score', 'float64'))).toEqual({ ok: true, cell: 2 });
  });

  it('refuses values of another kind, and integers it cannot keep exactly', () => {
    expect(encodeCell('x', col('id', 'int64'))).toEqual({
      ok: false,
      message: 'kept column "id" holds integers (its first non-null value in the input), this row has a string: "x"',
    });
    expect(encodeCell(0.5, col('n', 'int64'))).toMatchObject({
      ok: false,
      message: expect.stringMatching(/has a float: 0.5$/),
    });
    expect(encodeCell(parsePyJson('2.0'), col('n', 'int64'))).toMatchObject({ ok: false });
    expect(encodeCell(1, col('src', 'string'))).toMatchObject({
      ok: false,
      message: expect.stringMatching(/holds strings/),
    });
    expect(encodeCell([1], col('src', 'string'))).toMatchObject({
      ok: false,
      message: expect.stringMatching(/a list: \[1\]$/),
    });
    expect(encodeCell(1, col('ok', 'bool'))).toMatchObject({ ok: false });
    expect(encodeCell(2 ** 60, col('id', 'int64'))).toMatchObject({
      ok: false,
      message: expect.stringMatching(/beyond ±2\^53 .* store such ids as strings/),
    });
  });

  it('encodes a row in column order; a misfit names the first bad column and keeps its JSON text', () => {
    const cols = [col('id', 'int64'), col('src', 'string'), col('meta', 'json')];
    expect(keptCells({ id: 1, src: 's', meta: { a: 1 }, messages: [] }, cols)).toEqual({ cells: [1, 's', '{"a":1}'] });
    expect(keptCells({ src: 's' }, cols)).toEqual({ cells: [null, 's', null] });
    expect(keptCells(['not', 'an', 'object'], cols)).toEqual({ cells: [null, null, null] });
    const bad = keptCells({ id: 'x', src: 2 }, cols);
    expect(bad.cells).toEqual(['"x"', '2', null]);
    expect(bad.error).toMatch(/^kept column "id" holds integers/);
    // Inherited keys are not fields of the row.
    expect(keptCells({}, [col('constructor', 'string')])).toEqual({ cells: [null] });
  });
});

describe('--keep-columns option', () => {
  const build = (flags: Record<string, unknown>, wording: 'flag' | 'key' = 'flag') =>
    buildOptions({}, { ...base, ...flags }, { wording });

  it('takes a comma list on the CLI (repeatable) and a list or a string in pipeline files', () => {
    expect(build({ keepColumns: ['id,source', 'meta'] }).keepColumns).toEqual(['id', 'source', 'meta']);
    expect(buildOptions({ keepColumns: ['id', 'source'] }, base).keepColumns).toEqual(['id', 'source']);
    expect(build({ keepColumns: 'id, source' }).keepColumns).toEqual(['id', 'source']);
    expect(build({}).keepColumns).toBeUndefined();
  });

  it('refuses empty or repeated names, output column names, and packing (usage errors)', () => {
    expect(() => build({ keepColumns: ['id,'] })).toThrow(UsageError);
    expect(() => build({ keepColumns: ['id,'] })).toThrow(
      '--keep-columns must be a comma-separated list of non-empty names',
    );
    expect(() => build({ keepColumns: ['id,id'] })).toThrow('--keep-columns: column "id" is named twice');
    for (const name of ['input_ids', 'labels', 'attention_mask', 'assistant_masks', 'position_ids', 'seq_lengths'])
      expect(() => build({ keepColumns: ['id', name] })).toThrow(`--keep-columns: "${name}" is an output column name`);
    expect(() => build({ keepColumns: ['id'], packing: true, maxLength: 64 })).toThrow(
      /^--keep-columns cannot be used with --packing: a packed row mixes several input rows/,
    );
    expect(() => build({ keepColumns: ['id'], packing: true, maxLength: 64 }, 'key')).toThrow(
      /^keepColumns cannot be used with packing/,
    );
  });
});

describe('dataset layout with kept columns', () => {
  it('describes kept columns as Value features after the token columns and recognises them back', () => {
    const layout = {
      labels: true,
      keep: [
        { name: 'id', dtype: 'int64' as const },
        { name: 'source', dtype: 'string' as const },
        { name: 'score', dtype: 'float64' as const },
        { name: 'ok', dtype: 'bool' as const },
      ],
    };
    const features = featuresDict(layout);
    expect(Object.keys(features)).toEqual([
      'input_ids',
      'attention_mask',
      'assistant_masks',
      'labels',
      'id',
      'source',
      'score',
      'ok',
    ]);
    expect(features.id).toEqual({ dtype: 'int64', _type: 'Value' });
    expect(layoutOfFeatures(features)).toEqual({ ...layout, seqLengths: false, positionIds: false, segmentIds: false });
    // Not chatshard's: a kept column before the token columns, one named like a token column, another dtype.
    const { id, ...rest } = features;
    expect(layoutOfFeatures({ id, ...rest })).toBeNull();
    expect(layoutOfFeatures({ ...featuresDict(false), labels: { dtype: 'int64', _type: 'Value' } })).toBeNull();
    expect(layoutOfFeatures({ ...features, x: { dtype: 'int16', _type: 'Value' } })).toBeNull();
  });
});

describe('kept column typing from a stream read once (stdin)', () => {
  it('replays the rows the typing read, then the rest of the same stream, within the range', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'chatshard-keep-head-'));
    const file = join(dir, 'rows.jsonl');
    const lines = ['{"n":1}', '{broken', '{"id":null}', '{"id":2.0}', '{"id":3}', '{"id":4}'];
    writeFileSync(file, lines.join('\n') + '\n');
    const typed = await typeKeptColumns([file], ['id'], true);
    expect(typed.columns).toEqual([{ name: 'id', kind: 'float64' }]);
    // The typing stopped at the first id: rows 0-3 are buffered, nothing was read twice.
    expect(typed.replay!.rows.map((r) => r.index)).toEqual([0, 1, 2, 3]);
    let bytes = 0;
    const rows = [];
    for await (const r of rawRows([file], [1, 5], (n) => (bytes += n), typed.replay)) rows.push(r);
    expect(rows.map((r) => [r.index, r.value ?? r.error])).toEqual([
      [1, '{broken'],
      [2, '{"id":null}'],
      [3, '{"id":2.0}'],
      [4, '{"id":3}'],
    ]);
    expect(bytes).toBe(readFileSync(file).length);
    // Files are read twice instead: no replay.
    expect((await typeKeptColumns([file], ['id'], false)).replay).toBeUndefined();
  });
});
