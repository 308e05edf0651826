/** The terminal view: a row's text token by token, trained tokens coloured (or bracketed without colour). */
import { visibleControls } from './tokens.js';
import type { RowView, TokenView } from './view.js';

export interface TerminalStyle {
  color: boolean;
  /** Show `(id, label)` after every token. */
  ids: boolean;
}

/**
 * Whether to colour, by the usual conventions: `FORCE_COLOR` (anything but `0`/`false`) forces colour,
 * as in Node and most CLIs it wins over `NO_COLOR`; a non-empty `NO_COLOR` turns colour off; otherwise
 * colour only when the output is a terminal that is not `TERM=dumb`.
 *
 * @example
 * colorEnabled({ NO_COLOR: '1' }, true); // false
 * colorEnabled({ FORCE_COLOR: '1' }, false); // true (e.g. through a pipe)
 */
export function colorEnabled(env: Record<string, string | undefined>, isTTY: boolean): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== '0' && force.toLowerCase() !== 'false';
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return isTTY && env.TERM !== 'dumb';
}

const SGR = (codes: string) => `\x1b[${codes}m`;
const RESET = SGR('0');
const TRAINED = '32'; // green
const SPECIAL = '7'; // inverse: a box around special tokens
const DIM = '2';

/** Newlines stay line breaks but get a visible mark, so trained whitespace can be seen. */
const shown = (text: string) => visibleControls(text).replace(/\n/g, '↵\n');

function label(t: TokenView): number {
  return t.label ?? (t.mask === 1 ? t.id : -100);
}

/**
 * One row as terminal text. With colour: trained tokens green, special tokens boxed (inverse), padding
 * dimmed. Without colour: trained runs inside `⟦ ⟧`. Runs of padding collapse to `⟨pad ×N⟩`.
 *
 * @example
 * formatRow(view, { color: false, ids: false });
 * // "── row 0 · 31 tokens · 9 trained (29.0%) ──\n<|im_start|>system↵\n…<|im_start|>assistant⟦↵\nhello<|im_end|>↵\n⟧"
 */
export function formatRow(view: RowView, style: TerminalStyle): string {
  const { facts } = view;
  const share = facts.tokens > 0 ? ((100 * facts.trained) / facts.tokens).toFixed(1) : '0.0';
  const where = view.ref ? ` · ${view.ref.file}:${view.ref.line}` : '';
  const head = `── row ${view.index}${where} · ${facts.tokens} tokens · ${facts.trained} trained (${share}%) ──`;
  const paint = (codes: string, s: string) => (style.color && codes ? SGR(codes) + s + RESET : s);
  let out = paint('1', head) + '\n';
  let inTrained = false;
  const tokens = view.tokens;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.pad) {
      let j = i;
      while (j + 1 < tokens.length && tokens[j + 1]!.pad) j++;
      if (inTrained && !style.color) out += '⟧';
      inTrained = false;
      const ids = style.ids ? ` (${t.id}, ${label(t)})` : '';
      out += paint(DIM, `⟨pad ${visibleControls(t.text)} ×${j - i + 1}${ids}⟩`);
      i = j;
      continue;
    }
    const trained = t.mask === 1;
    if (!style.color && trained !== inTrained) out += trained ? '⟦' : '⟧';
    inTrained = trained;
    const codes = [trained ? TRAINED : '', t.special ? SPECIAL : ''].filter(Boolean).join(';');
    if (style.ids) {
      // The line break goes after the (id, label) of the token that holds it.
      const text = visibleControls(t.text);
      out += paint(codes, text.replace(/\n/g, '↵')) + paint(DIM, `(${t.id}, ${label(t)})`);
      if (text.includes('\n')) out += '\n';
    } else out += paint(codes, shown(t.text));
  }
  if (inTrained && !style.color) out += '⟧';
  return out + '\n';
}

/** A rejected row of a direct (input) inspection. */
export function formatReject(
  r: { index: number; ref: { file: string; line: number }; reason: string; message: string },
  style: TerminalStyle,
): string {
  const text = `── input row ${r.index} · ${r.ref.file}:${r.ref.line} · rejected: ${r.reason}: ${visibleControls(r.message)} ──`;
  return (style.color ? SGR('1;31') + text + RESET : text) + '\n';
}
