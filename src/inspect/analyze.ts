/** What one row shows about its mask: the facts the report's statistics and template checks are built from. */
import { unmaskedTurnEnd } from '../mask/eot.js';
import { ASSISTANT_ROLES, type RoleMark, type RoleReader } from './roles.js';
import type { InspectRow } from './source.js';

export interface RowFacts {
  /** Attended (non-padding) tokens and the [from, to) range they occupy; padding is contiguous at one side. */
  tokens: number;
  from: number;
  to: number;
  trained: number;
  marks: RoleMark[];
  /** Tokens and trained tokens per role (header tokens count under the role they open). */
  byRole: Map<string, { tokens: number; trained: number }>;
  /** Special token right after a trained run that is not trained itself (end of turn left out). */
  untrainedTurnEnd?: number;
  /** A role header's marker token is trained (template scaffolding in the loss). */
  trainedHeader: boolean;
  /** Trained tokens inside turns of roles that are not trained (e.g. user text or a history turn of another role). */
  trainedOutsideRoles: number;
  /** Positions where the labels column is not the id (trained) or -100 (untrained); empty without labels. */
  labelMismatches: number;
}

/**
 * Facts of one row. `trainedRoles` are the roles whose tokens may be trained (the run's
 * `--roles-to-train`; the assistant's aliases are always included).
 *
 * @example
 * analyzeRow(row, roles, specialTokenIds(config), new Set(['assistant'])).untrainedTurnEnd; // 151645 when <|im_end|> is left out
 */
export function analyzeRow(
  row: InspectRow,
  roles: RoleReader,
  special: ReadonlyMap<number, string>,
  trainedRoles: ReadonlySet<string>,
): RowFacts {
  const { inputIds: ids, attentionMask: att, assistantMasks: mask } = row;
  const n = ids.length;
  let from = 0;
  let to = n;
  while (from < n && att[from] === 0) from++;
  while (to > from && att[to - 1] === 0) to--;
  let tokens = 0;
  let trained = 0;
  for (let i = 0; i < n; i++) {
    if (att[i] !== 0) tokens++;
    if (mask[i] === 1) trained++;
  }
  const marks = roles.marks(ids);
  const byRole = new Map<string, { tokens: number; trained: number }>();
  let trainedHeader = false;
  let trainedOutsideRoles = 0;
  const count = (role: string, a: number, b: number) => {
    let t = 0;
    let m = 0;
    for (let i = a; i < b; i++) {
      if (att[i] === 0) continue;
      t++;
      if (mask[i] === 1) m++;
    }
    const e = byRole.get(role) ?? { tokens: 0, trained: 0 };
    e.tokens += t;
    e.trained += m;
    byRole.set(role, e);
    if (role !== '(none)' && !ASSISTANT_ROLES.has(role) && !trainedRoles.has(role)) trainedOutsideRoles += m;
  };
  count('(none)', 0, marks.length > 0 ? marks[0]!.at : n);
  marks.forEach((mk, k) => {
    count(mk.role, mk.at, k + 1 < marks.length ? marks[k + 1]!.at : n);
    if (mask[mk.at] === 1) trainedHeader = true;
  });
  if (byRole.get('(none)')?.tokens === 0) byRole.delete('(none)');
  let labelMismatches = 0;
  const labels = row.labels;
  if (labels) for (let i = 0; i < n; i++) if (labels[i] !== (mask[i] === 1 ? ids[i] : -100)) labelMismatches++;
  const facts: RowFacts = {
    tokens,
    from,
    to,
    trained,
    marks,
    byRole,
    trainedHeader,
    trainedOutsideRoles,
    labelMismatches,
  };
  // Only the attended part: a trained run cut by truncation is followed by padding, which ends no turn.
  const sub = (a: ArrayLike<number>) =>
    (a as Int32Array).subarray ? (a as Int32Array).subarray(from, to) : Int32Array.from(a).subarray(from, to);
  // unmaskedTurnEnd only indexes and compares to 1: the dataset's int8 view serves as the mask as is.
  const eot = unmaskedTurnEnd(sub(ids), sub(mask) as unknown as Uint8Array, special);
  if (eot !== undefined) facts.untrainedTurnEnd = eot;
  return facts;
}
