import tokenizers from 'tokenizers';
import type { Encoding } from '../types.js';
import type { TokenizerEngine } from './engine.js';
import { nativeEncoding } from './native-encoding.js';

type NativeTokenizer = InstanceType<typeof tokenizers.Tokenizer>;

const NO_SPECIALS = { addSpecialTokens: false } as const;

/** Engine over the official Rust bindings (`tokenizers` on npm). */
export class NativeEngine implements TokenizerEngine {
  readonly kind = 'native' as const;
  private readonly tk: NativeTokenizer;

  /** Ids of special added tokens, read from tokenizer.json on the first `skipSpecialTokens` decode. */
  private specialIds?: Set<number>;

  constructor(
    tokenizerJsonText: string,
    origin: string,
    private readonly json?: () => Record<string, unknown>,
  ) {
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
    return nativeEncoding(text, await this.tk.encode(text, null, NO_SPECIALS));
  }

  async encodeBatch(texts: string[]): Promise<Encoding[]> {
    if (texts.length === 0) return [];
    const encs = await this.tk.encodeBatch(texts, NO_SPECIALS);
    return encs.map((e, i) => nativeEncoding(texts[i]!, e));
  }

  tokenToId(token: string): number | undefined {
    return this.tk.tokenToId(token) ?? undefined;
  }

  idToToken(id: number): string | undefined {
    return this.tk.idToToken(id) ?? undefined;
  }

  async encodeIds(text: string, addSpecialTokens: boolean): Promise<number[]> {
    return (await this.tk.encode(text, null, { addSpecialTokens })).getIds();
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
    if (this.specialIds) return this.specialIds;
    const added = this.json?.().added_tokens;
    const ids = new Set<number>();
    if (Array.isArray(added)) {
      for (const t of added as { id?: unknown; special?: unknown }[]) {
        if (t.special === true && typeof t.id === 'number') ids.add(t.id);
      }
    }
    return (this.specialIds = ids);
  }
}
