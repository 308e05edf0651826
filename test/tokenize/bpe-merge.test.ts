/**
 * The own engine's BPE merge loops (quadratic scan, min-tree, one-token-per-char start) against a
 * reference merge that is slow and obviously right: byte symbols as strings, the lowest-ranked
 * adjacent pair merged first, the leftmost on equal rank, as Rust's `Word::merge_all`. Random
 * words over real byte-level tokenizers mix Han, kana, Hangul, Cyrillic, accents, punctuation,
 * emoji, spaces and repeated chars (equal-rank ties).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { BYTE_CHAR } from '../../src/tokenize/bpe/byte-level.js';
import { BpeModel } from '../../src/tokenize/bpe/model.js';
import { byteClass, type WholeChars } from '../../src/tokenize/bpe/whole-chars.js';
import { sharedFiles } from '../shared-tokenizer.js';
import { tokenizerDir } from './fixtures.js';

type ModelJson = {
  vocab: Record<string, number>;
  merges: (string | [string, string])[];
  ignore_merges?: boolean;
};

/** `[id, start, end]` triples of `word` by the textbook merge loop. */
function reference(m: ModelJson, ranks: Map<string, number>, word: string): number[] {
  const syms: string[] = [];
  const starts: number[] = [];
  const ends: number[] = [];
  let u = 0;
  for (const ch of word) {
    for (const b of new TextEncoder().encode(ch)) {
      syms.push(String.fromCharCode(BYTE_CHAR[b]!));
      starts.push(u);
      ends.push(u + ch.length);
    }
    u += ch.length;
  }
  const whole = syms.join('');
  if (m.ignore_merges && m.vocab[whole] !== undefined) return [m.vocab[whole]!, 0, word.length];
  for (;;) {
    let best = -1;
    let bestRank = Infinity;
    for (let i = 0; i + 1 < syms.length; i++) {
      const r = ranks.get(`${syms[i]} ${syms[i + 1]}`);
      if (r !== undefined && r < bestRank) {
        bestRank = r;
        best = i;
      }
    }
    if (best < 0) break;
    syms.splice(best, 2, syms[best]! + syms[best + 1]!);
    starts.splice(best + 1, 1);
    ends.splice(best, 1);
  }
  return syms.flatMap((s, i) => [m.vocab[s]!, starts[i]!, ends[i]!]);
}

/** Seeded PRNG (mulberry32). */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const HAN =
  '的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以生会自着去之过家学对可她里后小么心多天而能好都然没日于起还发成事只作当想看文无开手用主行方又如前所本见经头面公同已老从动两长知民样现分将外但身些与高意进把法此实回理美点月明其种声全工己话儿者向情部正名定女问力机给等几很业最间新什打便位因重被走电第门相次东政海口使教西再平真听世气信北少关并内加化由却代军产入先山太水万市眼体别处总才场师书比住员笑性通目华报立马命张活难神数件安表原车白应路期叫死常提感金何更反合放做系计或司利受光王果亲界及今京务制解各任至清物台象记边共风战干接它许特觉望直服毛林题建南度统色字请交爱让认算论百吃义科怎元社术结功指思非流每青管夫连远资队跟带花快条院变联言权往展该领传近留红治决周保达办运武半候必城父强步完革深区即求品士转量空甚众技轻程告江语英基派满式李息写呢识极令黄德收脸钱党倒未持音跑专';
const POOL = [
  ...HAN,
  ...'，。、：；！？“”（）《》—…·',
  ...'éàüßçñøÅœ',
  ...'привет мир',
  ...'한국어 문장입니다',
  ...'こんにちはカタカナ',
  ...'😀🎉👍🏽𝐀',
  ...'ab1 .\n\u00a0\u3000',
];

function randomWords(count: number, seed: number): string[] {
  const r = rng(seed);
  const out: string[] = [];
  for (let w = 0; w < count; w++) {
    const len = 1 + Math.floor(r() ** 2 * 70);
    // Small alphabets give repeated pairs (equal-rank ties); the full pool gives variety.
    const alphabet = r() < 0.3 ? POOL.slice(0, 6) : r() < 0.5 ? [...HAN] : POOL;
    let s = '';
    for (let i = 0; i < len; i++) s += alphabet[Math.floor(r() * alphabet.length)]!;
    out.push(s);
  }
  return out;
}

describe.each(['qwen2_5', 'deepseek_v3', 'llama3_2'] as const)('BPE merge order: %s', (name) => {
  let model: BpeModel;
  let json: ModelJson;
  let ranks: Map<string, number>;
  beforeAll(async () => {
    const files = await sharedFiles(tokenizerDir(name));
    json = files.tokenizerJson.model as ModelJson;
    model = new BpeModel(json as unknown as Record<string, unknown>, true);
    ranks = new Map();
    json.merges.forEach((mg, rank) => ranks.set(typeof mg === 'string' ? mg : mg.join(' '), rank));
  });

  it('matches the reference merge on random words, through both the char and the byte start', () => {
    const wc = (model as unknown as { wholeChars: WholeChars }).wholeChars;
    const collapse = wc.collapse.bind(wc);
    const taken = { chars: 0, bytes: 0 };
    wc.collapse = (...args) => {
      const k = collapse(...args);
      taken[k >= 0 ? 'chars' : 'bytes']++;
      return k;
    };
    try {
      for (const word of randomWords(1000, 7)) {
        expect(Array.from(model.word(word, 0, word.length)), word).toEqual(reference(json, ranks, word));
      }
    } finally {
      wc.collapse = collapse;
    }
    // Both starts ran (the char start on most words, the byte start where a char does not qualify).
    expect(taken.chars).toBeGreaterThan(500);
    expect(taken.bytes).toBeGreaterThan(10);
  });

  it('words longer than the quadratic loop handles, and a word inside a longer text', () => {
    const text = `x${'的的是是'.repeat(40)}${'ab'.repeat(60)}${HAN.slice(0, 200)}y`;
    const word = text.slice(1, -1);
    const got = Array.from(model.word(text, 1, text.length - 1));
    expect(got).toEqual(reference(json, ranks, word));
  });
});

describe('byteClass', () => {
  it('tells whole chars, pieces of one char and mixtures apart', () => {
    const [WHOLE, PIECE, OTHER] = [1, 2, 3];
    expect(byteClass([0x61, 0xe4, 0xb8, 0xad])).toBe(WHOLE); // "a中"
    expect(byteClass([0xe4, 0xb8])).toBe(PIECE);
    expect(byteClass([0xb8, 0xad])).toBe(PIECE);
    expect(byteClass([0xf0, 0x9f, 0x98])).toBe(PIECE);
    expect(byteClass([0x20, 0xe4])).toBe(OTHER);
    expect(byteClass([0xad, 0xe4])).toBe(OTHER);
    expect(byteClass([0xe4, 0xb8, 0xad, 0xe4])).toBe(OTHER);
    expect(byteClass([0x80, 0x80, 0x80, 0x80])).toBe(OTHER);
  });
});

describe('one-token-per-char start on Qwen2.5', () => {
  it('is refused when a crossing merge could apply (a space before a Han char), taken otherwise', async () => {
    const files = await sharedFiles(tokenizerDir('qwen2_5'));
    const model = new BpeModel(files.tokenizerJson.model as Record<string, unknown>, true);
    const wc = (model as unknown as { wholeChars: WholeChars }).wholeChars;
    const results: number[] = [];
    const collapse = wc.collapse.bind(wc);
    wc.collapse = (...args) => {
      const k = collapse(...args);
      results.push(k);
      return k;
    };
    // "Ġ" + the lead byte of 我 (E6) is a Qwen merge, so " 我们" must merge byte by byte.
    model.word(' 我们好', 0, 4);
    model.word('我们好', 0, 3);
    expect(results).toEqual([-1, 3]);
  });
});

describe('one-token-per-char start on a made-up tokenizer', () => {
  // All 256 byte chars, then tokens whose merges break the shortcut's conditions.
  const byteVocab = () => Object.fromEntries([...BYTE_CHAR].map((c, i) => [String.fromCharCode(c), i]));
  const check = (extra: string[], merges: string[], word: string) => {
    const vocab = byteVocab();
    for (const t of extra) vocab[t] = Object.keys(vocab).length;
    const json: ModelJson = { vocab, merges };
    const model = new BpeModel(json as unknown as Record<string, unknown>, true);
    const ranks = new Map(merges.map((m, r) => [m, r]));
    expect(Array.from(model.word(word, 0, word.length))).toEqual(reference(json, ranks, word));
  };

  it('a char token used by a merge ranked before the char completes: bytes first', () => {
    // "é" is Ã© (C3 A9), completed at rank 2; "Ã© b" (rank 0) may only apply after that, by
    // which time "b c" (rank 1) took the b: [é, bc], not [éb, c].
    check(['Ã©', 'bc', 'Ã©b'], ['Ã© b', 'b c', 'Ã ©'], 'ébc');
  });

  it('a piece of a char merged with its neighbour (a crossing merge): bytes first', () => {
    // "aÃ" (rank 0) takes the lead byte of é before "Ã ©" (rank 1) can complete it.
    check(['Ã©', 'aÃ', 'aÃ©'], ['a Ã', 'Ã ©', 'aÃ ©'], 'aé');
    check(['Ã©', '©a', 'Ã©a'], ['© a', 'Ã ©', 'Ã ©a'], 'éa');
  });
});

describe('parts of a collapsed word', () => {
  // é ü ñ are two-byte chars (Ã© Ã¼ Ã±); "éü" then "éü ñ" join whole-char tokens.
  const vocabOf = (extra: string[]) => {
    const vocab = Object.fromEntries([...BYTE_CHAR].map((c, i) => [String.fromCharCode(c), i]));
    for (const t of extra) vocab[t] = Object.keys(vocab).length;
    return vocab;
  };
  const extra = ['Ã©', 'Ã¼', 'Ã±', 'Ã©Ã¼', 'Ã©Ã¼Ã±'];
  const merges = ['Ã ©', 'Ã ¼', 'Ã ±', 'Ã© Ã¼', 'Ã©Ã¼ Ã±'];
  const json: ModelJson = { vocab: vocabOf(extra), merges };
  const ranks = new Map(merges.map((m, r) => [m, r]));

  it('meet only where no merge joins the two chars: the last char of the left token counts', () => {
    const model = new BpeModel(json as unknown as Record<string, unknown>, true);
    const wc = (model as unknown as { wholeChars: WholeChars }).wholeChars;
    // Merging needs the tables: the first word builds them.
    model.word('éü', 0, 2);
    const [e, u, n] = ['é', 'ü', 'ñ'].map((c) => c.charCodeAt(0)) as [number, number, number];
    expect(wc.joins(e, u)).toBe(true);
    // "éü" + "ñ" joins ü (its last char) to ñ, not é to ñ.
    expect(wc.joins(u, n)).toBe(true);
    expect(wc.joins(e, n)).toBe(false);
    expect(wc.joins(u, e)).toBe(false);
    for (const word of ['éüñ', 'éüéü', 'üñéüñ', 'ñéüéüñüé', 'éüñ'.repeat(20), 'éü'.repeat(30)]) {
      expect(Array.from(model.word(word, 0, word.length)), word).toEqual(reference(json, ranks, word));
    }
  });
});
