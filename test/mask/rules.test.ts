import { describe, expect, it } from 'vitest';
import { hfMask, overlapMask } from '../../src/mask/rules.js';
import { padOffsets, padRow, truncationWindow } from '../../src/shape/index.js';
import type { Span } from '../../src/types.js';

/** Offsets for tokens of the given character widths laid end to end. */
function tokens(widths: number[]): Int32Array {
  const out = new Int32Array(widths.length * 2);
  let at = 0;
  widths.forEach((w, i) => {
    out[2 * i] = at;
    out[2 * i + 1] = at + w;
    at += w;
  });
  return out;
}
const bits = (m: Uint8Array) => Array.from(m).join('');

describe('overlap rule', () => {
  it('marks exactly the tokens overlapping a span', () => {
    // tokens: [0,2) [2,4) [4,6) [6,8) [8,10)
    expect(bits(overlapMask(tokens([2, 2, 2, 2, 2]), [[3, 7]]))).toBe('01110');
    expect(
      bits(
        overlapMask(tokens([2, 2, 2, 2, 2]), [
          [0, 2],
          [8, 10],
        ]),
      ),
    ).toBe('10001');
    expect(bits(overlapMask(tokens([2, 2, 2, 2, 2]), [[4, 4]]))).toBe('00000');
  });

  it('masks every byte token of a character split over several tokens', () => {
    // A 1-char emoji split into 3 byte tokens that all carry the same char range (as Rust reports).
    const offsets = new Int32Array([0, 1, 1, 3, 1, 3, 1, 3, 3, 4]);
    expect(bits(overlapMask(offsets, [[1, 3]]))).toBe('01110');
  });

  it('never marks zero-width (padding) tokens', () => {
    expect(bits(overlapMask(new Int32Array([0, 0, 0, 2, 0, 0]), [[0, 2]]))).toBe('010');
  });
});

describe('hf rule vs overlap, side by side', () => {
  const text = tokens([3, 3, 3, 3, 3, 3, 3, 3]); // 8 tokens, chars 0..24
  const spans: Span[] = [
    [6, 12],
    [18, 24],
  ]; // tokens 2-3 and 6-7

  it('agree on an untruncated row', () => {
    expect(bits(hfMask(text, spans))).toBe('00110011');
    expect(bits(overlapMask(text, spans))).toBe('00110011');
  });

  it('left truncation: transformers drops every later span, overlap keeps the visible ones', () => {
    const [from, to] = truncationWindow(8, { maxLength: 5, truncationSide: 'left' }); // keeps tokens 3..7
    const kept = text.subarray(2 * from, 2 * to);
    expect(bits(hfMask(kept, spans))).toBe('00000');
    expect(bits(overlapMask(kept, spans))).toBe('10011');
  });

  it('right truncation cutting a span: both keep its visible part here', () => {
    const kept = text.subarray(0, 2 * 7);
    expect(bits(hfMask(kept, spans))).toBe('0011001'); // end char missing → fill to row end
    expect(bits(overlapMask(kept, spans))).toBe('0011001');
  });

  it('a span whose last char is in token 0 fills to the row end (and into padding) in transformers', () => {
    const offsets = padOffsets(tokens([3, 3, 3]), 5, 'right');
    expect(bits(hfMask(offsets, [[0, 3]]))).toBe('11111');
    expect(bits(overlapMask(offsets, [[0, 3]]))).toBe('10000');
  });

  it('right truncation then right padding: transformers leaks the cut span into padding', () => {
    const offsets = padOffsets(text.subarray(0, 2 * 7), 9, 'right');
    expect(bits(hfMask(offsets, spans))).toBe('001100111');
    expect(bits(overlapMask(offsets, spans))).toBe('001100100');
  });
});

describe('shape', () => {
  const row = {
    ref: { file: 'f', line: 1 },
    index: 0,
    inputIds: new Int32Array([5, 6, 7]),
    assistantMasks: new Uint8Array([0, 1, 1]),
  };

  it.each([
    ['right', [5, 6, 7, 0, 0], [1, 1, 1, 0, 0], [0, 1, 1, 0, 0], [-100, 6, 7, -100, -100]],
    ['left', [0, 0, 5, 6, 7], [0, 0, 1, 1, 1], [0, 0, 0, 1, 1], [-100, -100, -100, 6, 7]],
  ] as const)('pads on the %s with pad id, attention 0, mask 0, label -100', (side, ids, att, mask, labels) => {
    const out = padRow(row, 5, { paddingSide: side, padTokenId: 0 });
    expect(Array.from(out.inputIds)).toEqual(ids);
    expect(Array.from(out.attentionMask)).toEqual(att);
    expect(Array.from(out.assistantMasks)).toEqual(mask);
    expect(Array.from(out.labels)).toEqual(labels);
  });

  it('refuses to pad without a pad token, like transformers', () => {
    expect(() => padRow(row, 5, {})).toThrow(/padding token/);
    expect(() => padRow(row, 3, {})).not.toThrow();
  });

  it('truncation windows', () => {
    expect(truncationWindow(10, { maxLength: 4 })).toEqual([0, 4]);
    expect(truncationWindow(10, { maxLength: 4, truncationSide: 'left' })).toEqual([6, 10]);
    expect(truncationWindow(3, { maxLength: 4 })).toEqual([0, 3]);
    expect(truncationWindow(10, { maxLength: 4, truncation: false })).toEqual([0, 10]);
  });
});
