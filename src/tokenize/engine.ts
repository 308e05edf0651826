import type { Encoding } from '../types.js';

/** A tokenizer backend. All offsets are UTF-16 `[start, end)` indices into the encoded text. */
export interface TokenizerEngine {
  readonly kind: 'native' | 'js';
  /**
   * Tokenize the whole text with NO added special tokens (no BOS/EOS from the post-processor).
   * Special-token text inside the text still becomes the special token, as transformers does.
   */
  encode(text: string): Promise<Encoding>;
  /** Same as `encode` for many texts; the native engine runs them on Rust threads. */
  encodeBatch(texts: string[]): Promise<Encoding[]>;
  tokenToId(token: string): number | undefined;
  idToToken(id: number): string | undefined;
  /** Token ids of `text` as `tokenizer(text, add_special_tokens=...)` gives them (no offsets). */
  encodeIds(text: string, addSpecialTokens: boolean): Promise<number[]>;
  /** Decode ids back to text (Rust `Tokenizer::decode`); special tokens kept unless `skipSpecialTokens`. */
  decode(ids: ArrayLike<number>, skipSpecialTokens?: boolean): string;
}

export type EngineKind = TokenizerEngine['kind'];
/** What callers ask for: an engine, or `auto` (chatshard's own js engine when it supports the file, else native). */
export type EngineChoice = EngineKind | 'auto';

export interface LoadedTokenizer {
  /** Folder path or hub id as given by the caller. */
  source: string;
  /** Local folder holding the files (chat_template.jinja, additional_chat_templates/ live there). */
  dir?: string;
  /** Parsed tokenizer_config.json (`{}` when the file is absent). */
  config: Record<string, unknown>;
  /** sha256 (hex) of the uncompressed tokenizer.json bytes. */
  sha256: string;
  /** Special tokens as transformers passes them to chat templates; only those that are set. */
  specialTokens: Record<string, unknown>;
  padTokenId?: number;
  padToken?: string;
  paddingSide: 'left' | 'right';
  truncationSide: 'left' | 'right';
  /** `undefined` when the config has no limit (transformers' huge sentinel value). */
  modelMaxLength?: number;
  engine: TokenizerEngine;
}
