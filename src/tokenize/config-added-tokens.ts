/**
 * Added tokens declared only in tokenizer_config.json. Some tokenizers (InternLM2, ...) ship a
 * tokenizer.json without `<|im_start|>` & co. in `added_tokens`; transformers 5.x adds them on load
 * from the config, so every engine must see them too or it tokenizes them as plain text.
 *
 * What transformers' TokenizersBackend adds, in this order, skipping contents that are already added:
 * 1. `added_tokens_decoder` entries (sorted by id), with their flags;
 * 2. named special tokens (`bos_token` … `mask_token`, then other `*_token` keys and the
 *    `extra_special_tokens` dict), as special tokens;
 * 3. the `extra_special_tokens` / `additional_special_tokens` list, as special tokens.
 * The Rust tokenizer then gives each new content its vocab id when the model has it, else the next free
 * id. `withConfigAddedTokens` writes them into tokenizer.json's `added_tokens` with those ids, so the
 * native, js and BPE engines all load the same tokens.
 */

/** A tokenizer.json `added_tokens` entry. */
export interface AddedTokenEntry {
  id: number;
  content: string;
  single_word: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
  special: boolean;
}

type TokenSpec = Omit<AddedTokenEntry, 'id'>;

const NAMED = ['bos_token', 'eos_token', 'unk_token', 'sep_token', 'pad_token', 'cls_token', 'mask_token'];

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Python's AddedToken(content, **flags); `special` forced when given. */
function spec(value: unknown, forceSpecial: boolean): TokenSpec | undefined {
  if (typeof value === 'string') {
    return value === ''
      ? undefined
      : { content: value, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true };
  }
  if (!isObject(value) || typeof value.content !== 'string' || value.content === '') return undefined;
  const special = value.special === true || forceSpecial;
  return {
    content: value.content,
    single_word: value.single_word === true,
    lstrip: value.lstrip === true,
    rstrip: value.rstrip === true,
    normalized: typeof value.normalized === 'boolean' ? value.normalized : !special,
    special,
  };
}

/**
 * Tokens transformers adds on load beyond `existing` (the contents tokenizer.json already adds), in
 * transformers' order. `specialTokensMap` (special_tokens_map.json) counts only when the config has
 * no `added_tokens_decoder`, as in transformers' legacy path.
 *
 * @example configAddedTokens({ additional_special_tokens: ['<|im_start|>'] }, undefined, new Set())
 *   // → [{ content: '<|im_start|>', special: true, normalized: false, ... }]
 */
export function configAddedTokens(
  config: Record<string, unknown>,
  specialTokensMap: Record<string, unknown> | undefined,
  existing: ReadonlySet<string>,
): TokenSpec[] {
  const out: TokenSpec[] = [];
  const seen = new Set(existing);
  const add = (t: TokenSpec | undefined) => {
    if (t && !seen.has(t.content)) {
      seen.add(t.content);
      out.push(t);
    }
  };
  const decoder = config.added_tokens_decoder;
  if (isObject(decoder)) {
    const entries = Object.entries(decoder).sort(([a], [b]) => Number(a) - Number(b));
    for (const [, v] of entries) add(spec(v, false));
  }
  const merged: Record<string, unknown> = { ...config };
  if (specialTokensMap && !isObject(decoder)) Object.assign(merged, specialTokensMap);
  const named = [
    ...NAMED,
    ...Object.keys(merged).filter((k) => k.endsWith('_token') && !NAMED.includes(k) && spec(merged[k], true)),
  ];
  for (const key of named) add(spec(merged[key], true));
  const extra = merged.extra_special_tokens;
  if (isObject(extra)) for (const v of Object.values(extra)) add(spec(v, true));
  const list = Array.isArray(extra) && extra.length > 0 ? extra : merged.additional_special_tokens;
  if (Array.isArray(list)) for (const v of list) add(spec(v, true));
  return out;
}

/** Contents of tokenizer.json's `added_tokens`. */
export function addedContents(json: Record<string, unknown>): Set<string> {
  const added = Array.isArray(json.added_tokens) ? (json.added_tokens as { content?: unknown }[]) : [];
  return new Set(added.map((t) => t.content).filter((c): c is string => typeof c === 'string'));
}

/** The model's own vocab: id of `content` and the vocab size (BPE/WordPiece/WordLevel maps, Unigram lists). */
function modelVocab(json: Record<string, unknown>): { idOf: (s: string) => number | undefined; size: number } {
  const vocab = isObject(json.model) ? json.model.vocab : undefined;
  if (Array.isArray(vocab)) {
    const index = new Map<string, number>();
    vocab.forEach((p, i) => Array.isArray(p) && typeof p[0] === 'string' && !index.has(p[0]) && index.set(p[0], i));
    return { idOf: (s) => index.get(s), size: vocab.length };
  }
  if (isObject(vocab)) {
    return {
      idOf: (s) => (Object.hasOwn(vocab, s) && typeof vocab[s] === 'number' ? (vocab[s] as number) : undefined),
      size: Object.keys(vocab).length,
    };
  }
  return { idOf: () => undefined, size: 0 };
}

/**
 * tokenizer.json with `tokens` appended to `added_tokens`, ids assigned as the Rust tokenizer assigns
 * them (the model's id when the vocab has the content, else one past the largest id in use).
 */
export function withConfigAddedTokens(json: Record<string, unknown>, tokens: TokenSpec[]): Record<string, unknown> {
  const added = (Array.isArray(json.added_tokens) ? json.added_tokens : []) as AddedTokenEntry[];
  const { idOf, size } = modelVocab(json);
  let maxAdded = added.reduce((m, t) => Math.max(m, t.id), -1);
  const next: AddedTokenEntry[] = [...added];
  for (const t of tokens) {
    let id = idOf(t.content);
    if (id === undefined) {
      id = maxAdded < 0 ? size : maxAdded >= size || size === 0 ? maxAdded + 1 : size;
    }
    maxAdded = Math.max(maxAdded, id);
    next.push({ id, ...t });
  }
  return { ...json, added_tokens: next };
}
