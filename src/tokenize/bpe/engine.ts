import type { Encoding } from '../../types.js';
import type { TokenizerEngine } from '../engine.js';
import { AddedMatcher, parseAddedTokens, type AddedToken, type Piece } from './added-tokens.js';
import { BpeModel, type SharedBpeModel } from './model.js';
import { compileNormalizer, endOf, startOf, type NormalizeFn, type Normalized } from './normalizer.js';
import { planPreTokenizer, type Stage } from './pre-tokenizer.js';
import { offsetTrims, trimCounts, trimOffsets, type OffsetTrim, type TrimCounts } from './post-processor.js';
import { SegmentCache } from './segment-cache.js';
import { readTables, tableKey, writeTables } from './table-cache.js';
import { TokenSink } from './sink.js';
import { OUTSIDE_SHARED_UNICODE } from './unicode-age.js';

/** Rust strings cannot hold lone surrogates: the binding turns them into U+FFFD (same UTF-16 length). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const HAS_SURROGATE = /[\uD800-\uDFFF]/;

/** Tokens a reused sink may keep room for between texts. */
const SINK_KEEP = 1 << 20;

/** A text our mirror cannot normalize: the whole text goes to the Rust binding instead. */
class NeedsFallback extends Error {}

export interface BpeEngineOptions {
  /** Segment cache bound, in Int32 entries (3 per token); 0 disables it. */
  segmentCacheInts?: number;
  /** Engine used for texts (and decode) this one cannot mirror; created on first use. */
  fallback: () => TokenizerEngine;
  /** Vocabulary and merges another thread's engine built (see `BpeEngine.share`). */
  sharedModel?: SharedBpeModel;
  /**
   * Folder caching built vocabulary and merge tables (see table-cache.ts): read instead of building
   * them from tokenizer.json when present, written after building them otherwise.
   */
  tableCacheDir?: string;
}

/** What another thread needs to run the same engine (`BpeEngine.share`); posts cheaply to a worker. */
export interface SharedBpeEngine {
  /** tokenizer.json without the model's vocabulary and merges. */
  json: Record<string, unknown>;
  extraAdded: AddedToken[];
  model: SharedBpeModel;
}

/**
 * chatshard's own exact BPE tokenizer (byte-level BPE as in Llama 3, Qwen, DeepSeek, Mistral
 * Tekken; SentencePiece-style BPE with byte fallback as in Llama 2, Gemma), mirroring Rust
 * `tokenizers` step by step: added-token split, normalizer, pre-tokenizer, BPE model. Only
 * tokenizer.json files that `bpeUnsupported` accepts may be given to it.
 *
 * @example
 * const engine = new BpeEngine(json, { fallback: () => new NativeEngine(text, path) });
 * const { ids, offsets } = engine.encodeSync('<|im_start|>user\nHi<|im_end|>');
 */
export class BpeEngine implements TokenizerEngine {
  readonly kind = 'js' as const;
  private readonly model: BpeModel;
  private readonly normalize: NormalizeFn;
  private readonly raw: AddedMatcher;
  private readonly normalizedAdded: AddedMatcher;
  private readonly preTokenize: Stage;
  private readonly startSensitive: boolean;
  private readonly trims: OffsetTrim[];
  private trimCounts: TrimCounts | undefined;
  private readonly cache: SegmentCache | undefined;
  private readonly addedByContent = new Map<string, number>();
  private readonly addedById = new Map<number, string>();
  private readonly opts: BpeEngineOptions;
  /** Constructor arguments minus the model's vocabulary and merges, for `share`. */
  private readonly recipe: Omit<SharedBpeEngine, 'model'>;
  private vocabR: string[] | undefined;
  private fb: TokenizerEngine | undefined;

  // Per-segment state read by the word callback (set before the pre-tokenizer runs).
  private sink = new TokenSink(1024);
  private norm: Normalized = { text: '', prefix: 0, firstEnd: 0 };
  private base = 0;
  // Set by a prefixing pre-tokenizer step while words index its derived piece (see PrefixHooks).
  private pFrom = -1;
  private pShift = 0;
  private pFirst = 1;
  // Set while words index a piece's byte-level string (steps after ByteLevel): per unit, its char.
  private bStarts: Int32Array | undefined;
  private bEnds: Int32Array | undefined;

  constructor(json: Record<string, unknown>, opts: BpeEngineOptions, extraAdded: AddedToken[] = []) {
    this.opts = opts;
    const plan = planPreTokenizer(json.pre_tokenizer);
    if (typeof plan === 'string') throw new Error(`unsupported tokenizer.json: ${plan}`);
    // Keys picked, not destructured: reading vocab / merges would parse them (see json-outline.ts).
    const m = json.model as Record<string, unknown>;
    const modelFlags = Object.fromEntries(
      Object.keys(m)
        .filter((k) => k !== 'vocab' && k !== 'merges')
        .map((k) => [k, m[k]]),
    );
    this.recipe = { json: { ...json, model: modelFlags }, extraAdded };
    const key = !opts.sharedModel && opts.tableCacheDir ? tableKey(m) : undefined;
    const cache = key ? { dir: opts.tableCacheDir!, key } : undefined;
    const cached = cache && readTables(cache);
    this.model = new BpeModel(m, plan.byteLevel, opts.sharedModel ?? cached);
    if (cache && !cached) writeTables(cache, () => this.model.tables());
    this.normalize = compileNormalizer(json.normalizer);
    // Rust gives an added token whose content is in the vocabulary the vocabulary's id.
    const added = [...parseAddedTokens(json.added_tokens), ...extraAdded].map((t) => {
      const id = this.model.vocab.get(t.content);
      return id === undefined || id === t.id ? t : { ...t, id };
    });
    for (const t of added) {
      this.addedByContent.set(t.content, t.id);
      this.addedById.set(t.id, t.content);
    }
    const rawTokens = added.filter((t) => !t.normalized);
    const normTokens = added.filter((t) => t.normalized);
    this.raw = new AddedMatcher(
      rawTokens,
      rawTokens.map((t) => t.content),
    );
    this.normalizedAdded = new AddedMatcher(
      normTokens,
      normTokens.map((t) => this.normalize(t.content)?.text ?? t.content),
    );
    this.startSensitive = plan.startSensitive;
    this.preTokenize = plan.build((t, s, e) => this.word(t, s, e), {
      atTextStart: (from) => this.base + startOf(this.norm, from) === 0,
      enter: (from, shift, first) => {
        this.pFrom = from;
        this.pShift = shift;
        this.pFirst = first;
      },
      enterBytes: (starts, ends) => {
        this.bStarts = starts;
        this.bEnds = ends;
      },
      leave: () => {
        this.pFrom = -1;
        this.bStarts = undefined;
      },
    });
    this.trims = offsetTrims(json.post_processor);
    const ints = opts.segmentCacheInts ?? 3 << 20;
    this.cache = ints > 0 ? new SegmentCache(ints, 1 << 16) : undefined;
  }

  async encode(text: string): Promise<Encoding> {
    return this.encodeSync(text) ?? this.fallback().encode(text);
  }

  async encodeBatch(texts: string[]): Promise<Encoding[]> {
    const out: Encoding[] = [];
    for (let i = 0; i < texts.length; i++) {
      // Pure JS runs on the calling thread: let other work (I/O, progress) in between texts.
      if (i > 0 && i % 64 === 0) await new Promise<void>((r) => setImmediate(r));
      const enc = this.encodeSync(texts[i]!);
      out.push(enc ?? (await this.fallback().encode(texts[i]!)));
    }
    return out;
  }

  /** Ids and UTF-16 offsets of `raw` (no special tokens added), or undefined if it needs the fallback. */
  encodeSync(raw: string): Encoding | undefined {
    const text = HAS_SURROGATE.test(raw) ? raw.replace(LONE_SURROGATE, '\uFFFD') : raw;
    if (OUTSIDE_SHARED_UNICODE.test(text)) return undefined;
    // One sink for all texts: a fresh one per text was the engine's largest allocation.
    const sink = this.sink;
    sink.length = 0;
    const pieces: Piece[] = [];
    this.raw.split(text, 0, text.length, pieces);
    try {
      for (const p of pieces) {
        if (p.id >= 0) sink.push(p.id, p.start, p.end);
        else this.segment(text, p.start, p.end);
      }
    } catch (err) {
      if (err instanceof NeedsFallback) return undefined;
      throw err;
    } finally {
      // Keep it unless one huge text grew it (more than 1M tokens): that memory goes back.
      if (sink.ids.length > SINK_KEEP) this.sink = new TokenSink(1024);
    }
    const n = sink.length;
    const offsets = sink.offsets.slice(0, 2 * n);
    if (this.trims.length > 0) {
      this.trimCounts ??= trimCounts(this.idToTokenTable());
      for (const trim of this.trims) trimOffsets(text, sink.ids, offsets, n, this.trimCounts, trim);
    }
    return { ids: sink.ids.slice(0, n), offsets };
  }

  /** Normalize, split at normalized added tokens, pre-tokenize and run the model on one segment. */
  private segment(text: string, start: number, end: number): void {
    const sink = this.sink;
    const seg = text.slice(start, end);
    const c = this.cache;
    const cacheable = c && seg.length >= c.minChars && seg.length <= c.maxChars;
    // A piece at the very start may be tokenized differently (Metaspace prepend_scheme: first).
    const cache = cacheable && !(start === 0 && this.startSensitive) ? c : undefined;
    const hit = cache?.get(seg);
    if (hit) {
      for (let j = 0; j < hit.length; j += 3) sink.push(hit[j]!, hit[j + 1]! + start, hit[j + 2]! + start);
      return;
    }
    const mark = sink.length;
    const n = this.normalize(seg);
    if (!n) throw new NeedsFallback();
    this.norm = n;
    this.base = start;
    const t = n.text;
    if (this.normalizedAdded.size === 0) {
      if (t.length > 0) this.preTokenize(t, 0, t.length);
    } else {
      const parts: Piece[] = [];
      this.normalizedAdded.split(t, 0, t.length, parts);
      for (const p of parts) {
        if (p.id >= 0) sink.push(p.id, start + startOf(n, p.start), start + endOf(n, p.end - 1));
        else this.preTokenize(t, p.start, p.end);
      }
    }
    cache?.set(seg, sink.triples(mark, start));
  }

  /** One pre-tokenized word `text[s, e)`: of the normalized segment, or of a prefixing step's piece. */
  private word(text: string, s: number, e: number): void {
    const n = this.norm;
    const sink = this.sink;
    const base = this.base;
    const toks = this.model.word(text, s, e);
    if (this.bStarts !== undefined) {
      const starts = this.bStarts;
      const ends = this.bEnds!;
      for (let j = 0; j < toks.length; j += 3) {
        const ua = starts[s + toks[j + 1]!]!;
        const ue = ends[s + toks[j + 2]! - 1]!;
        sink.push(toks[j]!, base + startOf(n, ua), base + endOf(n, ue - 1));
      }
    } else if (this.pFrom >= 0) {
      // Derived piece: prefix units stand for the piece's first char, the rest shift back.
      const from = this.pFrom;
      const shift = this.pShift;
      const lastFirst = from + this.pFirst - 1;
      for (let j = 0; j < toks.length; j += 3) {
        const a = s + toks[j + 1]!;
        const b = s + toks[j + 2]! - 1;
        const ua = a < shift ? from : from + a - shift;
        const ub = b < shift ? lastFirst : from + b - shift;
        sink.push(toks[j]!, base + startOf(n, ua), base + endOf(n, ub));
      }
    } else if (n.starts === undefined && n.prefix === 0) {
      for (let j = 0; j < toks.length; j += 3) {
        sink.push(toks[j]!, base + s + toks[j + 1]!, base + s + toks[j + 2]!);
      }
    } else {
      for (let j = 0; j < toks.length; j += 3) {
        sink.push(toks[j]!, base + startOf(n, s + toks[j + 1]!), base + endOf(n, s + toks[j + 2]! - 1));
      }
    }
  }

  /**
   * What `new BpeEngine(s.json, { fallback, sharedModel: s.model }, s.extraAdded)` on a worker
   * thread needs to tokenize exactly as this engine does. Its vocabulary and merge tables move to
   * shared memory, so N threads hold one copy; the rest is a few kB.
   */
  share(): SharedBpeEngine {
    return { ...this.recipe, model: this.model.share() };
  }

  private fallback(): TokenizerEngine {
    return (this.fb ??= this.opts.fallback());
  }

  tokenToId(token: string): number | undefined {
    return this.addedByContent.get(token) ?? this.model.vocab.get(token);
  }

  idToToken(id: number): string | undefined {
    const added = this.addedById.get(id);
    if (added !== undefined) return added;
    this.vocabR ??= this.model.tokens();
    return this.vocabR[id];
  }

  /** Token string per id, added tokens over the vocabulary (as Rust's `id_to_token`). */
  private idToTokenTable(): (string | undefined)[] {
    const out: (string | undefined)[] = [...(this.vocabR ??= this.model.tokens())];
    for (const [id, t] of this.addedById) out[id] = t;
    return out;
  }

  async encodeIds(text: string, addSpecialTokens: boolean): Promise<number[]> {
    // Special tokens come from the post-processor, which only the native engine runs.
    if (addSpecialTokens) return this.fallback().encodeIds(text, true);
    return Array.from((await this.encode(text)).ids);
  }

  decode(ids: ArrayLike<number>, skipSpecialTokens = false): string {
    return this.fallback().decode(ids, skipSpecialTokens);
  }
}
