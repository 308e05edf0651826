type Cfg = Record<string, unknown> & { type?: string };

/** A `trim_offsets` pass of a ByteLevel or RobertaProcessing post-processor. */
export interface OffsetTrim {
  /** The processor's `add_prefix_space`: keeps the one leading space of the first token. */
  addPrefixSpace: boolean;
}

/** Per token id: leading and trailing "space" chars of its string (see `trimCounts`). */
export interface TrimCounts {
  lead: Uint16Array;
  trail: Uint16Array;
}

/**
 * Reason a post-processor is not supported, or undefined. Special tokens are never added here (the
 * engine encodes with `add_special_tokens=False`), so what matters is what a processor does to
 * the offsets of the text's own tokens.
 */
export function postUnsupported(cfg: unknown): string | undefined {
  const c = cfg as Cfg | null | undefined;
  if (!c) return undefined;
  switch (c.type) {
    case 'Sequence':
      for (const sub of (c.processors as unknown[]) ?? []) {
        const r = postUnsupported(sub);
        if (r) return r;
      }
      return undefined;
    case 'TemplateProcessing':
    case 'BertProcessing':
    case 'ByteLevel':
    case 'RobertaProcessing':
      return undefined;
    default:
      return `post-processor ${String(c.type)}`;
  }
}

/** The offset trimming passes of `cfg`, in the order Rust runs them. */
export function offsetTrims(cfg: unknown): OffsetTrim[] {
  const c = cfg as Cfg | null | undefined;
  if (!c) return [];
  if (c.type === 'Sequence') return ((c.processors as unknown[]) ?? []).flatMap(offsetTrims);
  // ByteLevel: both default to true in Rust.
  if (c.type === 'ByteLevel' && c.trim_offsets !== false) return [{ addPrefixSpace: c.add_prefix_space !== false }];
  // Rust reads a RobertaProcessing that lacks either key as a BertProcessing, which trims nothing.
  if (c.type === 'RobertaProcessing' && c.trim_offsets === true && typeof c.add_prefix_space === 'boolean') {
    return [{ addPrefixSpace: c.add_prefix_space }];
  }
  return [];
}

/** Rust `char::is_whitespace` (White_Space), plus `Ġ`, the byte-level char of a space. */
const SPACE = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\u0120]/;

function countChars(chars: string[]): number {
  let k = 0;
  while (k < chars.length && SPACE.test(chars[k]!)) k++;
  return k;
}

/** Leading / trailing space chars (code points) of each token string, as `process_offsets` counts them. */
export function trimCounts(tokens: (string | undefined)[]): TrimCounts {
  const lead = new Uint16Array(tokens.length);
  const trail = new Uint16Array(tokens.length);
  tokens.forEach((t, id) => {
    if (!t || !SPACE.test(t)) return;
    const chars = Array.from(t);
    lead[id] = Math.min(0xffff, countChars(chars));
    trail[id] = Math.min(0xffff, countChars(chars.reverse()));
  });
  return { lead, trail };
}

/** `pos` moved `k` code points forward in `text` (not past `limit`). */
function forward(text: string, pos: number, k: number, limit: number): number {
  for (; k > 0 && pos < limit; k--) {
    const c = text.charCodeAt(pos);
    pos += (c & 0xfc00) === 0xd800 && (text.charCodeAt(pos + 1) & 0xfc00) === 0xdc00 ? 2 : 1;
  }
  return Math.min(pos, limit);
}

/** `pos` moved `k` code points back, or -1 when fewer than `k` code points precede it. */
function backward(text: string, pos: number, k: number): number {
  for (; k > 0; k--) {
    if (pos <= 0) return -1;
    const c = text.charCodeAt(pos - 1);
    pos -= (c & 0xfc00) === 0xdc00 && pos >= 2 && (text.charCodeAt(pos - 2) & 0xfc00) === 0xd800 ? 2 : 1;
  }
  return pos;
}

/**
 * Rust's `process_offsets` (ByteLevel / RobertaProcessing with `trim_offsets`), in place on the
 * UTF-16 `offsets` of `n` tokens of `text`. Rust counts the token string's leading/trailing spaces
 * and moves the char offsets by that many chars, keeping one leading space of the first token when
 * it added the prefix space itself.
 *
 * @example
 * // "Ġhello" at [0, 6) of " hello" → [1, 6)
 * trimOffsets(' hello', ids, offsets, 1, counts, { addPrefixSpace: false });
 */
export function trimOffsets(
  text: string,
  ids: Int32Array,
  offsets: Int32Array,
  n: number,
  counts: TrimCounts,
  trim: OffsetTrim,
): void {
  const { lead, trail } = counts;
  for (let i = 0; i < n; i++) {
    const id = ids[i]!;
    let l = lead[id] ?? 0;
    const t = trail[id] ?? 0;
    if (l === 0 && t === 0) continue;
    let s = offsets[2 * i]!;
    let e = offsets[2 * i + 1]!;
    if (l > 0) {
      if ((i === 0 || s === 0) && trim.addPrefixSpace && l === 1) l = 0;
      s = forward(text, s, l, e);
    }
    if (t > 0) {
      const back = backward(text, e, t);
      if (back >= 0) e = Math.max(back, s);
    }
    offsets[2 * i] = s;
    offsets[2 * i + 1] = e;
  }
}
