/** A row ready to display: each token's text, mask, label and kind, with role boundaries. */
import type { TokenizerEngine } from '../tokenize/index.js';
import type { RowFacts } from './analyze.js';
import type { RoleMark } from './roles.js';
import type { InspectRow } from './source.js';
import { tokenPieces } from './tokens.js';

export interface TokenView {
  id: number;
  text: string;
  mask: number;
  /** From the labels column when the dataset has one. */
  label?: number;
  special: boolean;
  pad: boolean;
}

export interface RowView {
  index: number;
  ref?: { file: string; line: number };
  tokens: TokenView[];
  marks: RoleMark[];
  facts: RowFacts;
}

/**
 * Token texts for a row (decoded over the attended part; padding shows its token string), with the
 * facts already computed for the statistics.
 *
 * @example
 * const view = rowView(row, facts, tokenizer.engine, specialTokenIds(tokenizer.config));
 * view.tokens.filter((t) => t.mask === 1).map((t) => t.text).join(''); // the trained text
 */
export function rowView(
  row: InspectRow,
  facts: RowFacts,
  engine: Pick<TokenizerEngine, 'decode' | 'idToToken'>,
  special: ReadonlyMap<number, string>,
  cache?: Map<number, string>,
): RowView {
  const { inputIds: ids, assistantMasks: mask, labels, attentionMask: att } = row;
  const pieces = tokenPieces(Array.prototype.slice.call(ids, facts.from, facts.to) as number[], engine, cache);
  const tokens: TokenView[] = [];
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    const pad = att[i] === 0;
    const t: TokenView = {
      id,
      text: pad ? (special.get(id) ?? engine.idToToken(id) ?? '') : pieces[i - facts.from]!,
      mask: mask[i]!,
      special: special.has(id),
      pad,
    };
    if (labels) t.label = labels[i]!;
    tokens.push(t);
  }
  const view: RowView = { index: row.index, tokens, marks: facts.marks, facts };
  if (row.ref) view.ref = row.ref;
  return view;
}
