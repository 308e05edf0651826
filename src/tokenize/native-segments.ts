import type tokenizers from 'tokenizers';
import type { Encoding } from '../types.js';
import type { Piece } from './bpe/added-tokens.js';
import { SegmentCache } from './bpe/segment-cache.js';
import { Joined } from './native-joined.js';
import type { SegmentPlan } from './native-plan.js';
import { rustEncoded } from './native-reclaim.js';
import { flatEncoding, pieceEncoding, type Part } from './native-rows.js';

type NativeTokenizer = InstanceType<typeof tokenizers.Tokenizer>;

const NO_SPECIALS = { addSpecialTokens: false } as const;
/** Rust strings cannot hold lone surrogates: the binding turns them into U+FFFD (same UTF-16 length). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const HAS_SURROGATE = /[\uD800-\uDFFF]/;
/** Joined inputs stop growing past this many UTF-16 units, so long rows spread over Rust's threads. */
const JOIN_CHARS = 1 << 15;

/** Size of the table of pieces seen once (direct-mapped hashes). */
const SEEN_BITS = 18;
/**
 * A piece counts as met before only if met within the last one to two windows of this many
 * pieces. Caching a piece that repeats from further back rarely pays: it is evicted before it
 * comes again. On sgd_train repeated twice, without the window every piece of the second pass went
 * the cached way (offsets read, triples built) and the cache held none of them a pass later.
 */
const SEEN_WINDOW = 1 << 17;

/**
 * A copy of `s` that does not keep the text it was sliced from alive: V8 slices of 13+ units point
 * into their parent string, and a cache key would otherwise hold its whole row in memory.
 */
function detached(s: string): string {
  return s.length < 13 ? s : (' ' + s).slice(1);
}

export interface SegmentedOptions {
  /** Cache bound in Int32 entries (3 per token). */
  cacheInts?: number;
  /**
   * Batches with more new text than this (UTF-16 units, default 1M) go to Rust `groupChars` at a
   * time (default 512K), and their rows get plain ids and offsets.
   */
  longChars?: number;
  groupChars?: number;
}

/** A piece new to this batch: its Rust input and index there, and, once cached, its triples. */
interface Fresh {
  job: Joined;
  k: number;
  triples?: Int32Array;
}

/**
 * Native encoding with a segment cache in front of Rust. Each text is split at raw added tokens
 * exactly as Rust splits it (see `segmentPlan` for why each piece then tokenizes on its own);
 * pieces seen before come from a bounded cache, the rest go to Rust in one `encodeBatch` call
 * (in groups for a long batch), joined per row by a separator token. A piece is cached the second
 * time it is met, so one-off text never pays for offsets it does not need.
 *
 * @example
 * const seg = new SegmentedEncoder(tk, plan);
 * const [enc] = await seg.encodeBatch(['<|im_start|>system\nYou are…<|im_end|>\n']);
 */
export class SegmentedEncoder {
  private readonly cache: SegmentCache;
  private readonly seen = new Int32Array(1 << SEEN_BITS);
  /** Window (`SEEN_WINDOW` pieces, counted from 1) each `seen` slot was last met in. */
  private readonly seenIn = new Int32Array(1 << SEEN_BITS);
  /** Text pieces met, how many of them came from the cache, and batches encoded in groups. */
  readonly stats = { pieces: 0, hits: 0, longBatches: 0 };
  private readonly longChars: number;
  private readonly groupChars: number;

  constructor(
    private readonly tk: NativeTokenizer,
    private readonly plan: SegmentPlan,
    opts: SegmentedOptions = {},
  ) {
    this.cache = new SegmentCache(opts.cacheInts ?? 1 << 19, 1 << 16, 1);
    this.longChars = opts.longChars ?? 1 << 20;
    this.groupChars = opts.groupChars ?? 1 << 19;
  }

  /** Encodings of `texts`, or undefined if Rust's output could not be split back (then encode whole texts). */
  async encodeBatch(texts: string[]): Promise<Encoding[] | undefined> {
    const { matcher, sep, sepId } = this.plan;
    const cache = this.cache;
    const fresh = new Map<string, Fresh>();
    const lazy: Joined[] = [];
    const eager: Joined[] = [];
    const rows: { text: string; pieces: Piece[]; refs: (Int32Array | Fresh | undefined)[] }[] = [];
    let pool: Joined | undefined;
    for (const raw of texts) {
      const text = HAS_SURROGATE.test(raw) ? raw.replace(LONE_SURROGATE, '\uFFFD') : raw;
      const pieces: Piece[] = [];
      matcher.split(text, 0, text.length, pieces);
      const refs: (Int32Array | Fresh | undefined)[] = new Array(pieces.length);
      let own: Joined | undefined;
      for (let i = 0; i < pieces.length; i++) {
        const p = pieces[i]!;
        if (p.id >= 0) continue;
        const key = text.slice(p.start, p.end);
        const cacheable = key.length <= cache.maxChars;
        const hit = cacheable ? cache.get(key) : undefined;
        this.stats.pieces++;
        if (hit) {
          this.stats.hits++;
          refs[i] = hit;
          continue;
        }
        let f = fresh.get(key);
        if (!f) {
          if (cacheable && this.seenBefore(key)) {
            // Met before: tokenize it with offsets and keep it.
            if (!pool || pool.chars >= JOIN_CHARS) eager.push((pool = new Joined(sep)));
            f = { job: pool, k: pool.add(key) };
          } else {
            if (!own || own.chars >= JOIN_CHARS) lazy.push((own = new Joined(sep)));
            f = { job: own, k: own.add(key) };
          }
          fresh.set(key, f);
        }
        refs[i] = f;
      }
      rows.push({ text, pieces, refs });
    }

    const jobs = [...lazy, ...eager];
    let chars = 0;
    for (const job of jobs) chars += job.chars;
    // A long batch (one long row, say) goes to Rust in groups, each read out as the next one is
    // encoded, so Rust's encodings of the whole batch (~100 bytes per token) are never alive together.
    const long = chars > this.longChars;
    if (long) this.stats.longBatches++;
    let g = 0;
    const nextGroup = () => {
      const start = g;
      for (let size = 0; g < jobs.length && (g === start || !long || size < this.groupChars); g++)
        size += jobs[g]!.chars;
      const group = jobs.slice(start, g);
      const texts = group.map((j) => j.text());
      return this.tk.encodeBatch(texts, NO_SPECIALS).then((encs) => ({ start, group, encs }));
    };
    let pending = jobs.length > 0 ? nextGroup() : undefined;
    while (pending) {
      const { start, group, encs } = await pending;
      pending = g < jobs.length ? nextGroup() : undefined;
      let tokens = 0;
      for (let j = 0; j < group.length; j++) {
        const job = group[j]!;
        const isEager = start + j >= lazy.length;
        if (!job.attach(encs[j]!, sepId, isEager)) {
          pending?.catch(() => undefined);
          return undefined;
        }
        tokens += job.ids.length;
        if (isEager) this.keep(job, fresh);
        else if (long) job.compact();
      }
      rustEncoded(tokens);
    }

    return rows.map(({ text, pieces, refs }) => {
      const parts: Part[] = [];
      let first = 0;
      for (let i = 0; i < pieces.length; i++) {
        const p = pieces[i]!;
        const r = refs[i];
        const part: Part = { start: p.start, end: p.end, first, id: p.id, triples: undefined, job: undefined, k: 0 };
        if (p.id >= 0) first += 1;
        else if (r instanceof Int32Array || r!.triples) {
          part.triples = r instanceof Int32Array ? r : r!.triples;
          first += part.triples!.length / 3;
        } else {
          part.job = r!.job;
          part.k = r!.k;
          first += r!.job.to[r!.k]! - r!.job.from[r!.k]!;
        }
        parts.push(part);
      }
      // Compacted jobs have no Rust encoding left to ask: long batches get plain ids and offsets.
      return long ? flatEncoding(parts, first) : pieceEncoding(text, parts, first);
    });
  }

  /** Cache the pieces of a job met before (their triples), then let go of its Rust encoding. */
  private keep(job: Joined, fresh: Map<string, Fresh>): void {
    for (let k = 0; k < job.pieces.length; k++) {
      const triples = job.triples(k);
      this.cache.set(detached(job.pieces[k]!), triples);
      fresh.get(job.pieces[k]!)!.triples = triples;
    }
    job.release();
  }

  /**
   * Whether a piece with this text was probably met recently, in this `SEEN_WINDOW` of pieces or
   * the one before (a false yes only caches a piece early).
   */
  private seenBefore(key: string): boolean {
    let h = 0x811c9dc5 ^ key.length;
    for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
    h |= 1;
    const slot = h >>> (32 - SEEN_BITS);
    const window = 1 + Math.floor(this.stats.pieces / SEEN_WINDOW);
    const recent = this.seen[slot] === h && window - this.seenIn[slot]! <= 1;
    this.seen[slot] = h;
    this.seenIn[slot] = window;
    return recent;
  }
}
