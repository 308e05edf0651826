import { describe, expect, it } from 'vitest';
import { Vocab } from '../../src/tokenize/bpe/vocab.js';

describe('Vocab (string ranges looked up in place)', () => {
  const v = new Vocab({ a: 0, b: 1, ab: 2, Ġthe: 7, 中: 9, '0': 5 });

  it('looks up whole strings, ranges and two ranges as one string', () => {
    expect(v.get('ab')).toBe(2);
    expect(v.get('abc')).toBeUndefined();
    expect(v.range('xabx', 1, 3)).toBe(2);
    expect(v.range('xabx', 1, 2)).toBe(0);
    expect(v.range('xabx', 0, 2)).toBe(-1);
    expect(v.pair('a b', 0, 1, 2, 3)).toBe(2);
    expect(v.pair('Ġt he', 0, 2, 3, 5)).toBe(7);
    expect(v.pair('b a', 0, 1, 2, 3)).toBe(-1);
    expect(v.get('中')).toBe(9);
    expect(v.get('0')).toBe(5);
  });

  it('lists tokens by id and rejects ids that are not ids', () => {
    expect(v.size).toBe(6);
    const t = v.tokens();
    expect([t[0], t[2], t[5], t[7], t[9], t[3]]).toEqual(['a', 'ab', '0', 'Ġthe', '中', undefined]);
    expect(() => new Vocab({ x: 1.5 })).toThrow('vocabulary id of "x" is not a non-negative integer');
  });
});
