import { describe, expect, it, beforeAll } from 'vitest';
import type { LoadedTokenizer } from '../../src/tokenize/index.js';
import { sharedTokenizer } from '../shared-tokenizer.js';
import { TEXTS, TOKENIZERS, tokenizerDir } from './fixtures.js';

describe.each(TOKENIZERS)('native engine: %s', (name) => {
  let tok: LoadedTokenizer;
  beforeAll(async () => {
    tok = await sharedTokenizer(tokenizerDir(name), 'native');
  });

  it('loads metadata', () => {
    expect(tok.engine.kind).toBe('native');
    expect(tok.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(tok.paddingSide === 'left' || tok.paddingSide === 'right').toBe(true);
    expect(typeof tok.specialTokens.eos_token).toBe('string');
  });

  it('adds no BOS/EOS', async () => {
    const enc = await tok.engine.encode('hi');
    const bos = tok.specialTokens.bos_token;
    if (typeof bos === 'string') expect(enc.ids[0]).not.toBe(tok.engine.tokenToId(bos));
    expect((await tok.engine.encode('')).ids.length).toBe(0);
  });

  it('offsets are UTF-16, in range and monotone', async () => {
    const encs = await tok.engine.encodeBatch(TEXTS);
    encs.forEach((enc, t) => {
      const text = TEXTS[t]!;
      expect(enc.offsets.length).toBe(2 * enc.ids.length);
      let prevStart = 0;
      for (let i = 0; i < enc.ids.length; i++) {
        const s = enc.offsets[2 * i]!,
          e = enc.offsets[2 * i + 1]!;
        expect(s).toBeGreaterThanOrEqual(prevStart);
        expect(e).toBeGreaterThanOrEqual(s);
        expect(e).toBeLessThanOrEqual(text.length);
        prevStart = s;
      }
    });
  });

  it('encodeBatch equals encode', async () => {
    const batch = await tok.engine.encodeBatch(TEXTS);
    for (let t = 0; t < TEXTS.length; t++) {
      const one = await tok.engine.encode(TEXTS[t]!);
      expect(Array.from(batch[t]!.ids)).toEqual(Array.from(one.ids));
      expect(Array.from(batch[t]!.offsets)).toEqual(Array.from(one.offsets));
    }
  });

  it('special-token text becomes the special token', async () => {
    const eos = tok.specialTokens.eos_token as string;
    const id = tok.engine.tokenToId(eos)!;
    const enc = await tok.engine.encode(`x${eos}y`);
    const at = Array.from(enc.ids).indexOf(id);
    expect(at).toBeGreaterThanOrEqual(0);
    expect([enc.offsets[2 * at], enc.offsets[2 * at + 1]]).toEqual([1, 1 + eos.length]);
    expect(tok.engine.idToToken(id)).toBe(eos);
  });
});
