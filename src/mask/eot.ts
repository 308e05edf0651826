/**
 * Special-token ids of a tokenizer, from tokenizer_config.json `added_tokens_decoder`
 * (`{"151645": {"content": "<|im_end|>", "special": true}, …}`).
 */
export function specialTokenIds(config: Record<string, unknown>): Map<number, string> {
  const out = new Map<number, string>();
  const decoder = config.added_tokens_decoder;
  if (decoder && typeof decoder === 'object') {
    for (const [id, tok] of Object.entries(decoder as Record<string, { content?: unknown; special?: unknown }>)) {
      if (tok && tok.special === true && typeof tok.content === 'string') out.set(Number(id), tok.content);
    }
  }
  return out;
}

/**
 * The special token that directly follows a masked run without being masked itself, when the run
 * does not already end with a special token (possibly followed by one whitespace token, e.g.
 * `<|im_end|>\n`): usually the end-of-turn marker. A model trained on such masks never learns to
 * emit it, so it never stops; the run reports these rows.
 */
export function unmaskedTurnEnd(
  ids: Int32Array,
  mask: Uint8Array,
  special: ReadonlyMap<number, string>,
): number | undefined {
  for (let i = 0; i + 1 < ids.length; i++) {
    if (mask[i] !== 1 || mask[i + 1] !== 0 || !special.has(ids[i + 1]!)) continue;
    const endsWithSpecial = special.has(ids[i]!) || (i > 0 && mask[i - 1] === 1 && special.has(ids[i - 1]!));
    if (!endsWithSpecial) return ids[i + 1];
  }
  return undefined;
}
