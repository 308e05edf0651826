/** Small helpers over tokenizer.json component configs. */

type Cfg = Record<string, unknown>;

/** First component of `type` in a (possibly nested `Sequence`) normalizer/pre-tokenizer/processor. */
export function findComponent(cfg: unknown, type: string): Cfg | undefined {
  if (!cfg || typeof cfg !== 'object') return undefined;
  const c = cfg as Cfg;
  if (c.type === type) return c;
  for (const key of ['pretokenizers', 'processors', 'normalizers', 'decoders']) {
    const list = c[key];
    if (Array.isArray(list)) {
      for (const sub of list) {
        const hit = findComponent(sub, type);
        if (hit) return hit;
      }
    }
  }
  return undefined;
}

let decoderCache: Map<string, number> | undefined;

/**
 * GPT-2 byte-level alphabet, reversed (char → byte): printable Latin-1 bytes stand for
 * themselves, the remaining bytes are shifted to U+0100 and up in byte order.
 */
export function byteLevelDecoder(): Map<string, number> {
  if (decoderCache) return decoderCache;
  const printable = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const map = new Map<string, number>();
  let shifted = 0;
  for (let b = 0; b < 256; b++) {
    map.set(String.fromCharCode(printable(b) ? b : 256 + shifted++), b);
  }
  decoderCache = map;
  return map;
}
