import tokenizers from 'tokenizers';
import type { Encoding } from '../types.js';
import type { TokenizerEngine } from './engine.js';
import { nativeEncoding } from './native-encoding.js';
import { segmentPlan } from './native-plan.js';
import { rustEncoded } from './native-reclaim.js';
import { SegmentedEncoder } from './native-segments.js';

type NativeTokenizer = InstanceType<typeof tokenizers.Tokenizer>;

const NO_SPECIALS = { addSpecialTokens: false } as const;

export interface NativeOptions {
  /**
   * Tokenize piece by piece with a segment cache (default true, when tokenizer.json allows it,
   * see `segmentPlan`); false sends whole texts to Rust.
   */
  segments?: boolean;
  /** Segment cache bound in Int32 entries (3 per token). */
  cacheInts?: number;
  /** Long-batch thresholds of the piece-wise encoder (see `SegmentedOptions`). */
  longChars?: number;
  groupChars?: number;
}

/**
 * Engine over the official Rust bindings (`tokenizers` on npm). Texts are split at added tokens
 * and only pieces not met before reach Rust; ids and offsets are those of encoding the whole text.
 *
 * @example
 * const engine = new NativeEngine(files.tokenizerText, files.tokenizerPath, () => files.tokenizerJson);
 * const { ids, offsets } = await engine.encode('<|im_start|>user\nHi<|im_end|>');
 */
export class NativeEngine implements TokenizerEngine {
  readonly kind = 'native' as const;
  private readonly tk: NativeTokenizer;
  /** Piece-wise encoder, or null when whole texts go to Rust; decided on first use. */
  private segmented: SegmentedEncoder | null | undefined;

  /** Ids of special added tokens, read from tokenizer.json with the segment plan. */
  private specialIds?: Set<number>;
  /**
   * Parsed tokenizer.json, until the plan and the special ids are read from it: the parsed file
   * and the text behind it take ~30 MB of heap for a 150K-token vocabulary.
   */
  private json?: () => Record<string, unknown>;

  constructor(
    tokenizerJsonText: string,
    origin: string,
    json?: () => Record<string, unknown>,
    private readonly opts: NativeOptions = {},
  ) {
    this.json = json;
    try {
      this.tk = tokenizers.Tokenizer.fromString(tokenizerJsonText);
    } catch (err) {
      throw new Error(`cannot load ${origin} with the native tokenizers binding: ${(err as Error).message}`);
    }
    // Padding/truncation baked into tokenizer.json would change lengths; later stages do their own.
    this.tk.disablePadding();
    this.tk.disableTruncation();
  }

  async encode(text: string): Promise<Encoding> {
    if (this.pieceWise()) return (await this.encodeBatch([text]))[0]!;
    const enc = nativeEncoding(text, await this.tk.encode(text, null, NO_SPECIALS));
    rustEncoded(enc.ids.length);
    return enc;
  }

  async encodeBatch(texts: string[]): Promise<Encoding[]> {
    if (texts.length === 0) return [];
    const seg = this.pieceWise();
    const done = seg && (await seg.encodeBatch(texts));
    if (done) return done;
    const encs = (await this.tk.encodeBatch(texts, NO_SPECIALS)).map((e, i) => nativeEncoding(texts[i]!, e));
    rustEncoded(encs.reduce((n, e) => n + e.ids.length, 0));
    return encs;
  }

  /** The piece-wise encoder (with its cache statistics), or null when whole texts go to Rust. */
  pieceWise(): SegmentedEncoder | null {
    if (this.segmented === undefined) this.readJson();
    return this.segmented!;
  }

  /** Take the segment plan and the special ids from tokenizer.json, then let go of it. */
  private readJson(): void {
    const json = this.json?.();
    this.json = undefined;
    const plan = this.opts.segments !== false && json ? segmentPlan(json, (c) => this.tokenToId(c)) : 'disabled';
    this.segmented = typeof plan === 'string' ? null : new SegmentedEncoder(this.tk, plan, this.opts);
    this.specialIds = new Set();
    const added = json?.added_tokens;
    if (Array.isArray(added)) {
      for (const t of added as { id?: unknown; special?: unknown }[]) {
        if (t.special === true && typeof t.id === 'number') this.specialIds.add(t.id);
      }
    }
  }

  tokenToId(token: string): number | undefined {
    return this.tk.tokenToId(token) ?? undefined;
  }

  idToToken(id: number): string | undefined {
    return this.tk.idToToken(id) ?? undefined;
  }

  async encodeIds(text: string, addSpecialTokens: boolean): Promise<number[]> {
    const ids = (await this.tk.encode(text, null, { addSpecialTokens })).getIds();
    rustEncoded(ids.length);
    return ids;
  }

  decode(ids: ArrayLike<number>, skipSpecialTokens = false): string {
    // Tokenizer.decode is async in the binding; its Decoder object decodes synchronously.
    let list = Array.from(ids);
    if (skipSpecialTokens) {
      const special = this.special();
      list = list.filter((id) => !special.has(id));
    }
    const tokens = list.map((id) => this.tk.idToToken(id) ?? '');
    const dec = this.tk.getDecoder();
    return dec ? dec.decode(tokens) : tokens.join('');
  }

  private special(): Set<number> {
    if (this.segmented === undefined) this.readJson();
    return this.specialIds!;
  }
}
