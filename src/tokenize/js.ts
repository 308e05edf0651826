import { Tokenizer as JsTokenizer } from '@huggingface/tokenizers';
import type { Encoding } from '../types.js';
import type { TokenizerEngine } from './engine.js';
import { alignNormalize, coarse, type Aligned } from './align-normalize.js';
import { alignTokens, byteView, TokenUnits, type TokenAlphabet } from './align-tokens.js';
import { byteLevelDecoder, findComponent } from './json-config.js';

/** The parts of tokenizers.js' `Tokenizer` we drive directly (public at runtime, private in its typings). */
interface AddedTokenLike {
  id: number;
  content: string;
  lstrip: boolean;
  rstrip: boolean;
}
interface Internals {
  normalizer: ((s: string) => string) | null;
  pre_tokenizer: ((s: string, o: { section_index?: number }) => string[]) | null;
  model: ((words: string[]) => string[]) & { tokens_to_ids: Map<string, number>; unk_token_id?: number };
  splitter_unnormalized: { split(text: string): string[] };
  splitter_normalized: { split(text: string): string[] };
  added_tokens_map: Map<string, AddedTokenLike>;
  remove_space?: boolean;
  do_lowercase_and_remove_accent?: boolean;
}

/** Rust sees lone surrogates as U+FFFD (napi converts to UTF-8); same length in UTF-16. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

interface Piece {
  start: number;
  end: number;
  added?: AddedTokenLike;
}

/**
 * Pure-JS engine: ids from tokenizers.js (the library under transformers.js), offsets
 * recomputed here because tokenizers.js reports none.
 */
export class JsEngine implements TokenizerEngine {
  readonly kind = 'js' as const;
  private readonly tk: JsTokenizer;
  private readonly x: Internals;
  private readonly units: TokenUnits;
  private readonly normalizerCfg: unknown;
  /** ByteLevel post-processor trimming (Rust trims spaces off offsets there). */
  private readonly trim?: { prefixSpace: boolean; space: string };
  /** Config switches tokenizers.js applies before normalizing, which we cannot align. */
  private readonly coarseOnly: boolean;
  /**
   * Our mirror of the normalizer follows Rust char-by-char semantics (e.g. Lowercase without JS's
   * final-sigma rule), so it is preferred over tokenizers.js unless it contains regexes, whose
   * JS translation is the library's business.
   */
  private readonly preferOwnNormalizer: boolean;

  constructor(json: Record<string, unknown>, config: Record<string, unknown>, origin: string) {
    try {
      this.tk = new JsTokenizer(json, config);
    } catch (err) {
      throw new Error(`cannot load ${origin} with the js tokenizer: ${(err as Error).message}`);
    }
    this.x = this.tk as unknown as Internals;
    this.normalizerCfg = json.normalizer;
    const model = (json.model ?? {}) as Record<string, unknown>;
    const byteLevel = findComponent(json.pre_tokenizer, 'ByteLevel');
    const metaspace = findComponent(json.pre_tokenizer, 'Metaspace');
    const alphabet: TokenAlphabet = {
      byteLevelPrefixSpace: byteLevel?.add_prefix_space === true,
      byteFallback: model.byte_fallback === true,
    };
    if (byteLevel) alphabet.byteDecoder = byteLevelDecoder();
    if (metaspace) alphabet.metaspace = typeof metaspace.replacement === 'string' ? metaspace.replacement : '\u2581';
    if (typeof model.continuing_subword_prefix === 'string' && model.continuing_subword_prefix) {
      alphabet.continuingSubwordPrefix = model.continuing_subword_prefix;
    }
    if (typeof model.end_of_word_suffix === 'string' && model.end_of_word_suffix) {
      alphabet.endOfWordSuffix = model.end_of_word_suffix;
    }
    this.units = new TokenUnits(alphabet);
    const post = findComponent(json.post_processor, 'ByteLevel');
    if (post?.trim_offsets === true) {
      this.trim = { prefixSpace: post.add_prefix_space === true, space: '\u0120' };
    }
    this.coarseOnly = this.x.remove_space === true || this.x.do_lowercase_and_remove_accent === true;
    this.preferOwnNormalizer = !JSON.stringify(json.normalizer ?? null).includes('"Regex"');
  }

  async encode(text: string): Promise<Encoding> {
    return this.encodeSync(text);
  }

  async encodeBatch(texts: string[]): Promise<Encoding[]> {
    const out: Encoding[] = [];
    for (let i = 0; i < texts.length; i++) {
      // Pure JS runs on the main thread: let other work (I/O, progress) in between texts.
      if (i > 0 && i % 64 === 0) await new Promise<void>((r) => setImmediate(r));
      out.push(this.encodeSync(texts[i]!));
    }
    return out;
  }

  tokenToId(token: string): number | undefined {
    return this.tk.token_to_id(token);
  }

  idToToken(id: number): string | undefined {
    return this.tk.id_to_token(id);
  }

  async encodeIds(text: string, addSpecialTokens: boolean): Promise<number[]> {
    if (!addSpecialTokens) return Array.from(this.encodeSync(text).ids);
    return this.tk.encode(text, { add_special_tokens: true }).ids;
  }

  decode(ids: ArrayLike<number>, skipSpecialTokens = false): string {
    if (ids.length === 0) return '';
    return this.tk.decode(Array.from(ids), {
      skip_special_tokens: skipSpecialTokens,
      clean_up_tokenization_spaces: false,
    });
  }

  /** Mirrors tokenizers.js `encode_text`, keeping track of where every piece sits in `text`. */
  encodeSync(raw: string): Encoding {
    const text = raw.replace(LONE_SURROGATE, '\uFFFD');
    const ids: number[] = [];
    const tokens: string[] = [];
    let offsets = new Int32Array(Math.max(16, text.length * 2));
    const ensure = (extra: number) => {
      if (2 * (ids.length + extra) > offsets.length) {
        const grown = new Int32Array(Math.max(offsets.length * 2, 2 * (ids.length + extra)));
        grown.set(offsets);
        offsets = grown;
      }
    };
    const pushAdded = (t: AddedTokenLike, s: number, e: number) => {
      ensure(1);
      offsets[2 * ids.length] = s;
      offsets[2 * ids.length + 1] = e;
      ids.push(t.id);
      tokens.push(t.content);
    };

    const pieces = this.splitUnnormalized(text);
    pieces.forEach((piece, sectionIndex) => {
      if (piece.added) {
        pushAdded(piece.added, piece.start, piece.end);
        return;
      }
      if (piece.end <= piece.start) return;
      const sectionText = text.slice(piece.start, piece.end);
      const al = this.normalize(sectionText);
      if (al.text.length === 0) return;
      let pos = 0;
      for (const sub of this.x.splitter_normalized.split(al.text)) {
        const subStart = pos;
        pos += sub.length;
        if (sub.length === 0) continue;
        const added = this.x.added_tokens_map.get(sub);
        if (added) {
          pushAdded(added, piece.start + al.starts[subStart]!, piece.start + al.ends[pos - 1]!);
          continue;
        }
        const words = this.x.pre_tokenizer ? this.x.pre_tokenizer(sub, { section_index: sectionIndex }) : [sub];
        const out = this.x.model(words);
        if (out.length === 0) continue;
        ensure(out.length);
        const base = 2 * ids.length;
        const unk = this.x.model.unk_token_id;
        const unitList = out.map((t) => this.units.of(t));
        const isUnk: boolean[] = [];
        for (const t of out) {
          const id = this.x.added_tokens_map.get(t)?.id ?? this.x.model.tokens_to_ids.get(t) ?? unk ?? -1;
          ids.push(id);
          tokens.push(t);
          isUnk.push(id === unk && unk !== undefined && !this.x.model.tokens_to_ids.has(t));
        }
        const subAl = sliceAligned(al, subStart, pos);
        alignTokens(byteView(sub), subAl, piece.start, unitList, isUnk, offsets, base);
      }
    });

    const result = offsets.slice(0, 2 * ids.length);
    if (this.trim) this.trimOffsets(tokens, result);
    return { ids: Int32Array.from(ids), offsets: result };
  }

  /** Added-token split of the raw text, with lstrip/rstrip whitespace moved into the token's range. */
  private splitUnnormalized(text: string): Piece[] {
    const pieces: Piece[] = [];
    let pos = 0;
    for (const s of this.x.splitter_unnormalized.split(text)) {
      const added = this.x.added_tokens_map.get(s);
      // A piece is an added token only if the splitter matched it (plain text can't equal one).
      pieces.push(added ? { start: pos, end: pos + s.length, added } : { start: pos, end: pos + s.length });
      pos += s.length;
    }
    for (let i = 0; i < pieces.length; i++) {
      const p = pieces[i]!;
      if (!p.added) continue;
      const prev = pieces[i - 1];
      if (p.added.lstrip && prev && !prev.added) {
        const kept = text.slice(prev.start, prev.end).trimEnd().length;
        p.start = prev.start + kept;
        prev.end = p.start;
      }
      const next = pieces[i + 1];
      if (p.added.rstrip && next && !next.added) {
        const cut = text.slice(next.start, next.end);
        next.start += cut.length - cut.trimStart().length;
        p.end = next.start;
      }
    }
    return pieces;
  }

  private normalize(section: string): Aligned {
    const lib = this.x.normalizer;
    if (this.coarseOnly) {
      // tokenizers.js rewrites the text before normalizing; run it the same way, offsets coarse.
      let t = section;
      if (this.x.remove_space) t = t.trim().split(/\s+/).join(' ');
      const normalized = lib ? lib(t) : t;
      return coarse(section, normalized);
    }
    const mine = alignNormalize(this.normalizerCfg, section);
    if (!lib) return mine ?? coarse(section, section);
    if (mine && this.preferOwnNormalizer) return mine;
    const expected = lib(section);
    return mine && mine.text === expected ? mine : coarse(section, expected);
  }

  /** Rust's ByteLevel post-processor trims leading/trailing spaces off each token's offsets. */
  private trimOffsets(tokens: string[], offsets: Int32Array): void {
    const space = this.trim!.space;
    const isSpace = (c: string) => c === space || /\s/u.test(c);
    for (let i = 0; i < tokens.length; i++) {
      const chars = Array.from(tokens[i]!);
      let lead = 0;
      while (lead < chars.length && isSpace(chars[lead]!)) lead++;
      let trail = 0;
      while (trail < chars.length && isSpace(chars[chars.length - 1 - trail]!)) trail++;
      let s = offsets[2 * i]!;
      let e = offsets[2 * i + 1]!;
      if (lead > 0) {
        const first = i === 0 || s === 0;
        if (!(first && this.trim!.prefixSpace && lead === 1)) s = Math.min(s + lead, e);
      }
      if (trail > 0 && e >= trail) e = Math.max(e - trail, s);
      offsets[2 * i] = s;
      offsets[2 * i + 1] = e;
    }
  }
}

function sliceAligned(al: Aligned, from: number, to: number): Aligned {
  if (from === 0 && to === al.text.length) return al;
  return { text: al.text.slice(from, to), starts: al.starts.subarray(from, to), ends: al.ends.subarray(from, to) };
}
