/** Per-row invariants of a shaped, masked row, checked on raw batch columns. */
import type { ListColumn } from '../dataset/read.js';

export interface RowCheckState {
  /** Side padded rows are padded on, once seen. */
  padSide?: 'left' | 'right';
  /** Token id used at padded positions, once seen. */
  padId?: number;
}

/** Errors for row `r` of a batch (empty when the row is fine). `where` names the row in messages. */
export function checkBatchRow(
  r: number,
  where: string,
  cols: { ids: ListColumn; att: ListColumn; asm: ListColumn; lab: ListColumn | null },
  st: RowCheckState,
): string[] {
  const { ids, att, asm, lab } = cols;
  const s = ids.offsets[r]!;
  const n = ids.offsets[r + 1]! - s;
  const errs: string[] = [];
  const len = (c: ListColumn) => c.offsets[r + 1]! - c.offsets[r]!;
  if (len(att) !== n || len(asm) !== n || (lab && len(lab) !== n)) {
    return [
      `${where}: columns have different lengths (input_ids ${n}, attention_mask ${len(att)}, assistant_masks ${len(asm)}${lab ? `, labels ${len(lab)}` : ''})`,
    ];
  }
  const a0 = att.offsets[r]!;
  const m0 = asm.offsets[r]!;
  const l0 = lab ? lab.offsets[r]! : 0;
  // attention must look like 1..10..0 (right padding) or 0..01..1 (left padding).
  let changes = 0;
  let bad = false;
  for (let i = 0; i < n; i++) {
    const a = att.values[a0 + i];
    if (a !== 0 && a !== 1) bad = true;
    if (i > 0 && a !== att.values[a0 + i - 1]) changes++;
  }
  if (bad) errs.push(`${where}: attention_mask has values other than 0/1`);
  if (n > 0) {
    const first = att.values[a0];
    const last = att.values[a0 + n - 1];
    if (changes > 1) errs.push(`${where}: padding is not contiguous at one side of the row`);
    else if (first === 0 && last === 0) errs.push(`${where}: no attended tokens`);
    else if (changes === 1) {
      const side = first === 0 ? 'left' : 'right';
      st.padSide ??= side;
      if (st.padSide !== side)
        errs.push(`${where}: padded on the ${side} while earlier rows are padded on the ${st.padSide}`);
    }
  }
  for (let i = 0; i < n; i++) {
    const a = att.values[a0 + i];
    const m = asm.values[m0 + i];
    const id = ids.values[s + i];
    if (m !== 0 && m !== 1) {
      errs.push(`${where}: assistant_masks[${i}] = ${m}, expected 0 or 1`);
      break;
    }
    if (m === 1 && a !== 1) {
      errs.push(`${where}: assistant_masks[${i}] = 1 on a padding position`);
      break;
    }
    if (a === 0) {
      st.padId ??= id;
      if (id !== st.padId) {
        errs.push(`${where}: padding token id ${id} differs from ${st.padId} used elsewhere`);
        break;
      }
    }
    if (lab) {
      const want = m === 1 ? id : -100;
      const got = lab.values[l0 + i];
      if (got !== want) {
        errs.push(`${where}: labels[${i}] = ${got}, expected ${want}`);
        break;
      }
    }
  }
  return errs;
}
