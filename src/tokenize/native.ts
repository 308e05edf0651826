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

  constructor(tokenizerJsonText: string, origin: string) {
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

  decode(ids: ArrayLike<number>): string {
    // Tokenizer.decode is async in the binding; its Decoder object decodes synchronously.
    const tokens = Array.from(ids, (id) => this.tk.idToToken(id) ?? '');
    const dec = this.tk.getDecoder();
    return dec ? dec.decode(tokens) : tokens.join('');
  }
}
