import { describe, expect, it } from 'vitest';
import { Reclaimer } from '../../src/tokenize/native-reclaim.js';

describe('Reclaimer', () => {
  it('collects once the Rust tokens since the last full collection reach the budget', () => {
    let collections = 0;
    const r = new Reclaimer(100, () => collections++);
    r.add(60);
    expect(collections).toBe(0);
    r.add(39);
    expect(collections).toBe(0);
    r.add(1);
    expect(collections).toBe(1);
    // A new budget starts after each forced collection.
    r.add(99);
    expect(collections).toBe(1);
    r.add(250);
    expect(collections).toBe(2);
    expect(r.forced).toBe(2);
  });

  it('starts a new budget when V8 collects by itself', () => {
    let collections = 0;
    const r = new Reclaimer(100, () => collections++);
    r.add(90);
    r.collected();
    r.add(90);
    expect(collections).toBe(0);
    r.add(10);
    expect(collections).toBe(1);
  });
});
