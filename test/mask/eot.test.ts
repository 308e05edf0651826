import { describe, expect, it } from 'vitest';
import { specialTokenIds, unmaskedTurnEnd } from '../../src/mask/eot.js';

const special = specialTokenIds({
  added_tokens_decoder: {
    '9': { content: '<eot>', special: true },
    '8': { content: '<start>', special: true },
    '7': { content: 'word', special: false },
  },
});

describe('end-of-turn warning', () => {
  it('reads special ids from added_tokens_decoder', () => {
    expect([...special.keys()].sort()).toEqual([8, 9]);
  });

  it.each([
    ['mask stops before <eot>', [1, 2, 9, 8], [0, 1, 0, 0], 9],
    ['<eot> masked', [1, 2, 9, 8], [0, 1, 1, 0], undefined],
    ['<eot> and newline masked, next turn starts', [1, 2, 9, 3, 8], [0, 1, 1, 1, 0], undefined],
    ['mask stops before a plain token', [1, 2, 3], [0, 1, 0], undefined],
    ['no mask', [1, 9], [0, 0], undefined],
  ])('%s', (_name, ids, mask, expected) => {
    expect(unmaskedTurnEnd(Int32Array.from(ids), Uint8Array.from(mask), special)).toBe(expected);
  });
});
