/**
 * The pack stage against real TRL 1.13 `pack_dataset` (fixtures from scripts/goldens/make_pack_goldens.py):
 * TRL's docstring examples, edge cases, the token counts of the embedded real samples and seeded random lengths,
 * for bfd, bfd_split and wrapped, compared row for row and column for column (sha256 of each packed column).
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packWindow, type PackingStrategy } from '../../src/pack/index.js';
import type { ShapedRow } from '../../src/types.js';
import { ROOT, readJson } from '../helpers.js';

interface TrlOut {
  rows?: number;
  columns?: string[];
  sha256?: Record<string, string>;
  input_ids?: number[][];
  seq_lengths?: number[][];
  values?: Record<string, number[][]>;
  error?: string;
}
interface Case {
  name: string;
  strategy: PackingStrategy;
  max_length: number;
  window: number;
  lengths?: number[];
  literal?: { input_ids: number[][]; attention_mask: number[][] };
  trl: TrlOut;
}

const fixture = readJson<{ versions: Record<string, string>; cases: Case[] }>(
  join(ROOT, 'test/fixtures/pack/trl_pack.json'),
);

function row(index: number, ids: number[], att: number[], asm: number[], lab: number[]): ShapedRow {
  return {
    ref: { file: 'golden', line: index + 1 },
    index,
    inputIds: Int32Array.from(ids),
    attentionMask: Uint8Array.from(att),
    assistantMasks: Uint8Array.from(asm),
    labels: Int32Array.from(lab),
  };
}

/** The generator's synthetic columns: values derived from each token's position g in the concatenated input. */
function synthRows(lengths: number[]): ShapedRow[] {
  let g = 0;
  return lengths.map((n, index) => {
    const r: ShapedRow = {
      ref: { file: 'golden', line: index + 1 },
      index,
      inputIds: new Int32Array(n),
      attentionMask: new Uint8Array(n),
      assistantMasks: new Uint8Array(n),
      labels: new Int32Array(n),
    };
    for (let k = 0; k < n; k++, g++) {
      r.inputIds[k] = g;
      r.attentionMask[k] = g % 2;
      r.assistantMasks[k] = (g >> 1) % 2;
      r.labels[k] = g % 5 === 0 ? -100 : 7 * g;
    }
    return r;
  });
}

function packAll(rows: ShapedRow[], c: Case): ShapedRow[] {
  const out: ShapedRow[] = [];
  for (let at = 0; at < rows.length; at += c.window) {
    out.push(...packWindow(rows.slice(at, at + c.window), { strategy: c.strategy, maxLength: c.max_length }));
  }
  return out;
}

const COLS: Record<string, (r: ShapedRow) => ArrayLike<number>> = {
  input_ids: (r) => r.inputIds,
  attention_mask: (r) => r.attentionMask,
  assistant_masks: (r) => r.assistantMasks,
  labels: (r) => r.labels,
  seq_lengths: (r) => r.packed!.seqLengths,
};
const listOf = (rows: ShapedRow[], col: string) => rows.map((r) => Array.from(COLS[col]!(r)));
/** sha256 of a column as the generator computes it: per row its length, then its values, as int32 LE. */
function sha(rows: ShapedRow[], col: string): string {
  const h = createHash('sha256');
  for (const r of rows) {
    const v = COLS[col]!(r);
    h.update(Int32Array.of(v.length));
    h.update(v instanceof Int32Array ? v : Int32Array.from(v));
  }
  return h.digest('hex');
}

describe(`pack stage = TRL ${fixture.versions.trl} pack_dataset`, () => {
  it('has the cases the generator promises', () => {
    expect(fixture.cases.length).toBe(104);
    expect(fixture.cases.filter((c) => c.name.startsWith('samples_')).length).toBe(30);
  });

  for (const c of fixture.cases) {
    it(c.name, () => {
      if (c.literal) {
        const n = c.literal.input_ids.length;
        const rows = c.literal.input_ids.map((ids, i) =>
          row(i, ids, c.literal!.attention_mask[i]!, new Array(ids.length).fill(0), new Array(ids.length).fill(0)),
        );
        const out = packAll(rows, c);
        expect(n).toBeGreaterThan(0);
        expect(listOf(out, 'input_ids')).toEqual(c.trl.values!.input_ids);
        expect(listOf(out, 'attention_mask')).toEqual(c.trl.values!.attention_mask);
        expect(listOf(out, 'seq_lengths')).toEqual(c.trl.values!.seq_lengths);
        return;
      }
      const out = packAll(synthRows(c.lengths!), c);
      if (c.trl.error) {
        // TRL raises on a window of only empty rows; chatshard writes nothing for it.
        expect(out).toEqual([]);
        return;
      }
      const trl = c.trl;
      if (trl.input_ids) expect(listOf(out, 'input_ids')).toEqual(trl.input_ids);
      if (trl.seq_lengths) expect(listOf(out, 'seq_lengths')).toEqual(trl.seq_lengths);
      expect(out.length).toBe(trl.rows);
      expect(trl.columns).toEqual(c.strategy === 'wrapped' ? Object.keys(COLS).slice(0, 4) : Object.keys(COLS));
      for (const col of trl.columns!) expect(sha(out, col), col).toBe(trl.sha256![col]);
      for (const r of out) expect(r.packed!.writeSeqLengths).toBe(c.strategy !== 'wrapped');
    });
  }
});
