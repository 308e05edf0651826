/** An entry of tokenizer.json `added_tokens`, as Rust's AddedVocabulary uses it. */
export interface AddedToken {
  id: number;
  content: string;
  singleWord: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
  special: boolean;
}

/** One piece of a split: plain text `[start, end)`, or an added token spanning it (`id ≥ 0`). */
export interface Piece {
  start: number;
  end: number;
  id: number;
}

/** Rust regex `\w$`, `\s` (Unicode word chars, White_Space) used by single_word / lstrip / rstrip. */
const WORD_END = /[\p{Alphabetic}\p{M}\p{Nd}\p{Pc}\p{Join_Control}]$/u;
const WORD_START = /^[\p{Alphabetic}\p{M}\p{Nd}\p{Pc}\p{Join_Control}]/u;
const WS = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/;

export function parseAddedTokens(list: unknown): AddedToken[] {
  if (!Array.isArray(list)) return [];
  return list
    .filter((t): t is Record<string, unknown> => !!t && typeof t === 'object')
    .filter((t) => typeof t.id === 'number' && typeof t.content === 'string')
    .map((t) => ({
      id: t.id as number,
      content: t.content as string,
      singleWord: t.single_word === true,
      lstrip: t.lstrip === true,
      rstrip: t.rstrip === true,
      normalized: typeof t.normalized === 'boolean' ? t.normalized : t.special !== true,
      special: t.special === true,
    }));
}

/**
 * Leftmost-longest search of a set of added tokens (what Rust's Aho-Corasick `LeftmostLongest`
 * returns), with Rust's `find_matches` rules for single_word, lstrip and rstrip.
 */
export class AddedMatcher {
  /**
   * Per first UTF-16 unit: candidate lengths (longest first), the last units of the candidates of
   * each length (a cheap test before slicing the text), and content → token.
   */
  private readonly byFirst = new Map<
    number,
    { lengths: number[]; lasts: Set<number>[]; tokens: Map<string, AddedToken> }
  >();
  private readonly firstRe: RegExp | undefined;
  readonly size: number;

  /** `patterns[i]` is the text matched for `tokens[i]` (its content, normalized for pass two). */
  constructor(tokens: AddedToken[], patterns: string[]) {
    tokens.forEach((t, i) => {
      const p = patterns[i]!;
      if (p.length === 0) return;
      const c = p.charCodeAt(0);
      let e = this.byFirst.get(c);
      if (!e) this.byFirst.set(c, (e = { lengths: [], lasts: [], tokens: new Map() }));
      // Rust keeps the first of duplicate patterns (the lowest pattern index wins a tie).
      if (!e.tokens.has(p)) e.tokens.set(p, t);
      if (!e.lengths.includes(p.length)) e.lengths.push(p.length);
    });
    for (const e of this.byFirst.values()) {
      e.lengths.sort((a, b) => b - a);
      e.lasts = e.lengths.map(
        (l) => new Set([...e.tokens.keys()].filter((k) => k.length === l).map((k) => k.charCodeAt(l - 1))),
      );
    }
    this.size = this.byFirst.size;
    if (this.size > 0) {
      const units = [...this.byFirst.keys()].map((c) => `\\u${c.toString(16).padStart(4, '0')}`).join('');
      this.firstRe = new RegExp(`[${units}]`, 'g');
    }
  }

  /** Split `text[from, to)` into plain pieces and added tokens (positions absolute). */
  split(text: string, from: number, to: number, out: Piece[]): void {
    const re = this.firstRe;
    if (!re) {
      if (to > from) out.push({ start: from, end: to, id: -1 });
      return;
    }
    const sentence = from === 0 && to === text.length ? text : text.slice(from, to);
    let startOffset = 0;
    re.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = re.exec(sentence)) !== null) {
      const pos = m.index;
      const e = this.byFirst.get(sentence.charCodeAt(pos))!;
      let tok: AddedToken | undefined;
      let len = 0;
      for (let li = 0; li < e.lengths.length; li++) {
        const l = e.lengths[li]!;
        if (pos + l > sentence.length || !e.lasts[li]!.has(sentence.charCodeAt(pos + l - 1))) continue;
        tok = e.tokens.get(sentence.substr(pos, l));
        if (tok) {
          len = l;
          break;
        }
      }
      if (!tok) continue;
      let start = pos;
      let stop = pos + len;
      re.lastIndex = stop;
      if (tok.singleWord) {
        const startSpace = start === 0 || !WORD_END.test(sentence.slice(Math.max(0, start - 2), start));
        const stopSpace = stop === sentence.length || !WORD_START.test(sentence.slice(stop, stop + 2));
        if (!startSpace || !stopSpace) continue;
      }
      if (tok.lstrip) {
        let s = start;
        while (s > 0 && WS.test(sentence[s - 1]!)) s--;
        start = Math.max(s, startOffset);
      }
      if (tok.rstrip) {
        while (stop < sentence.length && WS.test(sentence[stop]!)) stop++;
      }
      if (startOffset < start) out.push({ start: from + startOffset, end: from + start, id: -1 });
      out.push({ start: from + start, end: from + stop, id: tok.id });
      startOffset = stop;
    }
    if (startOffset < sentence.length) out.push({ start: from + startOffset, end: to, id: -1 });
  }
}
