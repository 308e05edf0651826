/**
 * Special tokens as transformers 5.x hands them to chat templates (`**tokenizer.special_tokens_map`):
 * the seven named tokens plus model-specific named ones (`extra_special_tokens` given as a dict,
 * e.g. Gemma's `image_token`). The unnamed `additional_special_tokens` list is not passed in 5.x.
 * Config values may be plain strings or AddedToken-like `{content: ...}` objects; templates get strings.
 */

const NAMED = ['bos_token', 'eos_token', 'unk_token', 'sep_token', 'pad_token', 'cls_token', 'mask_token'] as const;

/** String content of a config token value, or undefined when unset. */
export function tokenContent(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && typeof (value as { content?: unknown }).content === 'string') {
    return (value as { content: string }).content;
  }
  return undefined;
}

/**
 * Named special tokens from tokenizer_config.json. special_tokens_map.json is only consulted when the
 * config has no `added_tokens_decoder` (transformers' legacy path); `defaults` fill keys the config
 * omits entirely (class defaults), while an explicit `null` keeps a token unset.
 */
export function collectSpecialTokens(
  config: Record<string, unknown>,
  map: Record<string, unknown> | undefined,
  defaults: Record<string, string> = {},
): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...defaults, ...config };
  if (map && !('added_tokens_decoder' in config)) Object.assign(merged, map);
  const out: Record<string, unknown> = {};
  for (const key of NAMED) {
    const s = tokenContent(merged[key]);
    if (s !== undefined) out[key] = s;
  }
  const extra = merged.extra_special_tokens;
  if (extra && typeof extra === 'object' && !Array.isArray(extra)) {
    for (const [k, v] of Object.entries(extra)) {
      const s = tokenContent(v);
      if (s !== undefined && !(k in out)) out[k] = s;
    }
  }
  return out;
}
