/** Per-token display text from the tokenizer, for rows read back as ids. */
import type { TokenizerEngine } from '../tokenize/index.js';

/** Tokens kept in the decode window before the one being read (enough for any multi-token character). */
const WINDOW = 6;
const REPLACEMENT = '\uFFFD';

/**
 * The text each token adds to the decoded row, so that `pieces.join('')` equals `decode(ids)`
 * wherever the tokenizer's decoder is a concatenation. Decoding ids one by one is wrong for
 * byte-level and byte-fallback tokenizers (a Chinese character spans 2–3 byte tokens, and a lone
 * byte decodes to U+FFFD) and for SentencePiece's leading-space rule. A token's text is its own
 * decoding when that is exactly what the whole row's decoding has next (the common case, cached per
 * id); otherwise it is the growth of the decoded text of a small window ending at it. A token that
 * only holds part of a character gets '' and the token that completes the character carries it.
 *
 * @example
 * tokenPieces([9707, 11, 1879], engine); // ['Hello', ',', ' world'] (Qwen2.5)
 */
export function tokenPieces(
  ids: ArrayLike<number>,
  engine: Pick<TokenizerEngine, 'decode'>,
  single: Map<number, string> = new Map(),
): string[] {
  const n = ids.length;
  const out: string[] = new Array<string>(n).fill('');
  const slice = (a: number, b: number) => Array.prototype.slice.call(ids, a, b) as number[];
  const full = engine.decode(slice(0, n));
  let pos = 0; // how much of `full` the pieces so far cover
  let pending = -1; // first token whose text is not yet emitted, while on the slow path
  let prefixText = '';
  let prefix = 0;
  for (let i = 0; i < n; i++) {
    const id = ids[i]!;
    if (pending < 0) {
      let s = single.get(id);
      if (s === undefined) {
        s = engine.decode([id]);
        if (single.size < 500_000) single.set(id, s);
      }
      // '' is never taken as is: SentencePiece decodes a lone '▁' to '' though it is a space in context.
      if (s !== '' && !s.includes(REPLACEMENT) && full.startsWith(s, pos)) {
        out[i] = s;
        pos += s.length;
        continue;
      }
      pending = i;
      prefix = Math.max(0, i - WINDOW);
      prefixText = engine.decode(slice(prefix, i));
    }
    const text = engine.decode(slice(prefix, i + 1));
    const grew = text.length > prefixText.length && text.startsWith(prefixText);
    if ((grew && !text.endsWith(REPLACEMENT)) || i + 1 - pending > 4 * WINDOW || i === n - 1) {
      // Complete, or never completing (invalid bytes; a decoder that rewrites text): emit what there is.
      out[i] = grew ? text.slice(prefixText.length) : text;
      pos += out[i]!.length;
      pending = -1;
    }
  }
  return out;
}

/** Text safe to print on a terminal: C0/C1 controls (escape sequences!) become visible symbols; `\n` and `\t` stay. */
export function visibleControls(text: string): string {
  return text.replace(/[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/g, (c) => {
    const code = c.charCodeAt(0);
    return code < 0x20 ? String.fromCharCode(0x2400 + code) : code === 0x7f ? '\u2421' : `\\x${code.toString(16)}`;
  });
}
