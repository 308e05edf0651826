import { describe, expect, it } from 'vitest';
import { offsetTrims, trimCounts, trimOffsets } from '../../src/tokenize/bpe/post-processor.js';

/** Offsets after trimming `tokens` (strings, one id each) laid over `text` at `offsets`. */
function trimmed(text: string, tokens: string[], offsets: number[], addPrefixSpace: boolean): number[] {
  const counts = trimCounts(tokens);
  const ids = Int32Array.from(tokens.keys());
  const out = Int32Array.from(offsets);
  trimOffsets(text, ids, out, tokens.length, counts, { addPrefixSpace });
  return Array.from(out);
}

describe('offset trimming (Rust process_offsets)', () => {
  it('moves starts past leading Ġ / whitespace chars and ends before trailing ones', () => {
    expect(trimmed(' hello  x', ['Ġhello', 'ĠĠ', 'x'], [0, 6, 6, 8, 8, 9], false)).toEqual([1, 6, 8, 8, 8, 9]);
    expect(trimmed('a \t', ['a', 'Ġ\t'], [0, 1, 1, 3], false)).toEqual([0, 1, 3, 3]);
    expect(trimmed('ab ', ['abĠ'], [0, 3], false)).toEqual([0, 2]);
  });

  it('keeps the one prefix space of the first token when add_prefix_space is on, not two', () => {
    expect(trimmed(' hi', ['Ġhi'], [0, 3], true)).toEqual([0, 3]);
    expect(trimmed('  hi', ['ĠĠhi'], [0, 4], true)).toEqual([2, 4]);
    // Not first and not at 0: trimmed.
    expect(trimmed('x hi', ['x', 'Ġhi'], [0, 1, 1, 4], true)).toEqual([0, 1, 2, 4]);
  });

  it('counts code points: an astral char after the space moves by one code point', () => {
    expect(trimmed(' 😀 ', ['Ġ😀Ġ'], [0, 4], false)).toEqual([1, 3]);
  });

  it('leaves the end alone when fewer chars than trailing spaces precede it', () => {
    expect(trimmed(' ', ['ĠĠ'], [0, 1], false)).toEqual([1, 1]);
  });

  it('reads the passes from the post-processor config', () => {
    expect(offsetTrims({ type: 'ByteLevel' })).toEqual([{ addPrefixSpace: true }]);
    expect(offsetTrims({ type: 'ByteLevel', trim_offsets: false })).toEqual([]);
    expect(offsetTrims({ type: 'RobertaProcessing', trim_offsets: true })).toEqual([]);
    expect(
      offsetTrims({
        type: 'Sequence',
        processors: [
          { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true },
          { type: 'RobertaProcessing', trim_offsets: true, add_prefix_space: true },
          { type: 'TemplateProcessing' },
        ],
      }),
    ).toEqual([{ addPrefixSpace: false }, { addPrefixSpace: true }]);
  });
});
