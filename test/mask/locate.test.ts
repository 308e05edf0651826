/**
 * The boundary-query mask functions (used on the hot path) against the plain reference rules over
 * full offsets, on random tokenizations with split characters, zero-width tokens, truncation and padding.
 */
import { describe, expect, it } from 'vitest';
import { hfMaskWindow, offsetsLocator, overlapMaskWindow } from '../../src/mask/locate.js';
import { hfMask, overlapMask } from '../../src/mask/rules.js';
import { padOffsets } from '../../src/shape/index.js';
import type { Span } from '../../src/types.js';

/** Deterministic PRNG so failures reproduce. */
function rng(seed: number) {
  return () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
}

function randomRow(r: () => number) {
  const pairs: number[] = [];
  let at = 0;
  const n = 5 + Math.floor(r() * 40);
  for (let i = 0; i < n; i++) {
    const kind = r();
    if (kind < 0.1) {
      // a character split over 2-3 byte tokens sharing its range
      const k = 2 + Math.floor(r() * 2);
      for (let j = 0; j < k; j++) pairs.push(at, at + 1);
      at += 1;
    } else {
      const w = 1 + Math.floor(r() * 4);
      pairs.push(at, at + w);
      at += w;
    }
  }
  const offsets = Int32Array.from(pairs);
  const spans: Span[] = [];
  let p = Math.floor(r() * 4);
  while (p < at - 1) {
    const e = Math.min(at, p + 1 + Math.floor(r() * 8));
    spans.push([p, e]);
    p = e + 1 + Math.floor(r() * 6);
  }
  return { offsets, spans, tokens: offsets.length >> 1 };
}

describe('boundary-query masks equal the reference rules', () => {
  it('on 2,000 random rows, every truncation window and padding side', () => {
    const r = rng(42);
    for (let t = 0; t < 2000; t++) {
      const { offsets, spans, tokens } = randomRow(r);
      const loc = offsetsLocator(offsets);
      const from = r() < 0.5 ? 0 : Math.floor(r() * tokens);
      const to = r() < 0.5 ? tokens : from + Math.floor(r() * (tokens - from + 1));
      const kept = offsets.subarray(2 * from, 2 * to);
      expect(Array.from(overlapMaskWindow(loc, spans, from, to))).toEqual(Array.from(overlapMask(kept, spans)));
      const pad = Math.floor(r() * 3);
      for (const side of ['left', 'right'] as const) {
        const length = to - from + pad;
        const padLeft = side === 'left' ? pad : 0;
        expect(Array.from(hfMaskWindow(loc, spans, from, to, padLeft, length))).toEqual(
          Array.from(hfMask(padOffsets(kept, length, side), spans)),
        );
      }
    }
  });

  it('tokenAt finds the first holder, skipping zero-width tokens', () => {
    const loc = offsetsLocator(Int32Array.from([0, 2, 2, 2, 2, 3, 2, 3, 3, 5]));
    expect([0, 1, 2, 3, 4, 5].map((p) => loc.tokenAt(p))).toEqual([0, 0, 2, 4, 4, -1]);
  });
});
