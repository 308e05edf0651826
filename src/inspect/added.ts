/** A tokenizer's added tokens (special or not), from tokenizer.json and tokenizer_config.json. */
import { specialTokenIds } from '../mask/eot.js';
import { readTokenizerFiles } from '../tokenize/files.js';
import type { LoadedTokenizer } from '../tokenize/index.js';

export interface AddedTokens {
  /** Special tokens by id (marked, and the end-of-turn candidates of the checks). */
  special: Map<number, string>;
  /** Every added token by id: role markers such as DeepSeek's `<｜User｜>` are added but not special. */
  all: Map<number, string>;
}

/**
 * Added tokens of a loaded tokenizer. tokenizer_config.json's `added_tokens_decoder` is what the run's
 * end-of-turn warning reads; some tokenizers (e.g. DeepSeek-V3's) list them only in tokenizer.json's
 * `added_tokens`.
 *
 * @example
 * (await addedTokens(await loadTokenizer('samples/tokenizer'))).special.get(151645); // '<|im_end|>'
 */
export async function addedTokens(tk: LoadedTokenizer): Promise<AddedTokens> {
  const special = specialTokenIds(tk.config);
  const all = new Map(special);
  const decoder = tk.config.added_tokens_decoder;
  if (decoder && typeof decoder === 'object') {
    for (const [id, t] of Object.entries(decoder as Record<string, { content?: unknown }>)) {
      if (typeof t?.content === 'string') all.set(Number(id), t.content);
    }
  }
  // transformers writes both lists alike; read the (large) tokenizer.json only when the config has none.
  if (tk.dir && !(decoder && typeof decoder === 'object')) {
    const json = (await readTokenizerFiles(tk.dir)).tokenizerJson;
    const list = Array.isArray(json.added_tokens) ? json.added_tokens : [];
    for (const t of list as { id?: unknown; content?: unknown; special?: unknown }[]) {
      if (typeof t?.id !== 'number' || typeof t.content !== 'string') continue;
      if (!all.has(t.id)) all.set(t.id, t.content);
      if (t.special === true && !special.has(t.id)) special.set(t.id, t.content);
    }
  }
  return { special, all };
}
