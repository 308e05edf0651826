/**
 * Kept input columns (`--keep-columns id,source`): top-level fields of each raw input row (before
 * any field mapping, so the names are the ones users see in their files) copied to scalar output
 * columns, so every output row (and every rejected one) can be traced back to its source.
 *
 * Typing rule, the same in every shard and every part of a sharded job: a column's kind is the kind
 * of its first non-null value in the input (read from the start of the whole input, whatever
 * `--shard-index` or `--resume` says). Strings → Utf8, integers → int64, floats → float64,
 * booleans → bool, objects and lists → JSON text (Utf8). Later values must fit that kind: an
 * integer fits a float column (written as a float, as pyarrow would), a JSON column takes any value
 * (as its JSON text); anything else rejects the row as `keep_column_type`. Missing or null → null.
 */
import { PyFloat, pyJsonDumps } from '../render/index.js';
import type { KeptDtype } from '../dataset/schema.js';
import type { KeptCell } from '../types.js';

/** How a kept column's values are written: the storage dtype, or `json` (nested values as JSON text). */
export type KeptKind = KeptDtype | 'json';

export interface KeptColumn {
  name: string;
  kind: KeptKind;
}

/** Input rows read from the start to find each kept column's first non-null value. */
export const KEEP_SNIFF_ROWS = 10_000;

/**
 * The kind of one parsed JSON value (parsed with parsePyJson, so `2.0` is a float), or null for
 * null / missing.
 *
 * @example kindOf(7) // 'int64';  kindOf(2.5) // 'float64';  kindOf({ a: 1 }) // 'json';  kindOf(null) // null
 */
export function kindOf(v: unknown): KeptKind | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int64' : 'float64';
  if (v instanceof PyFloat) return 'float64';
  return 'json';
}

/** The storage dtype of a kind: JSON text is a string column. */
export const dtypeOf = (kind: KeptKind): KeptDtype => (kind === 'json' ? 'string' : kind);

/** Compact JSON text of a value, floats kept as floats (`2.0`), non-ASCII as is. */
const jsonText = (v: unknown): string => pyJsonDumps(v, { separators: [',', ':'] });

const WHAT: Record<KeptKind, string> = {
  string: 'a string',
  int64: 'an integer',
  float64: 'a float',
  bool: 'a boolean',
  json: 'a list or object',
};

function describe(v: unknown): string {
  const k = kindOf(v);
  if (k !== 'json') return WHAT[k!];
  return Array.isArray(v) ? 'a list' : 'an object';
}

/** One value encoded for its column, or why it does not fit. */
export type EncodedCell = { ok: true; cell: KeptCell } | { ok: false; message: string };

/**
 * Encode one value for a column of `kind` (see the module comment for the rule).
 *
 * @example
 *   encodeCell(3, { name: 'score', kind: 'float64' }); // { ok: true, cell: 3 }
 *   encodeCell('a', { name: 'id', kind: 'int64' });    // { ok: false, message: 'column "id" holds integers ...' }
 */
export function encodeCell(v: unknown, col: KeptColumn): EncodedCell {
  if (v === null || v === undefined) return { ok: true, cell: null };
  const bad = (): EncodedCell => ({
    ok: false,
    message:
      `kept column "${col.name}" holds ${WHAT[col.kind].replace(/^an? /, '')}s (its first non-null value in the input), ` +
      `this row has ${describe(v)}: ${truncate(jsonText(v))}`,
  });
  switch (col.kind) {
    case 'json':
      return { ok: true, cell: jsonText(v) };
    case 'string':
      return typeof v === 'string' ? { ok: true, cell: v } : bad();
    case 'bool':
      return typeof v === 'boolean' ? { ok: true, cell: v } : bad();
    case 'float64':
      if (typeof v === 'number') return { ok: true, cell: v };
      return v instanceof PyFloat ? { ok: true, cell: v.v } : bad();
    case 'int64':
      if (typeof v !== 'number' || !Number.isInteger(v)) return bad();
      if (!Number.isSafeInteger(v))
        return {
          ok: false,
          message: `kept column "${col.name}": integer ${jsonText(v)} is beyond ±2^53 and cannot be kept exactly; store such ids as strings`,
        };
      return { ok: true, cell: v };
  }
}

const truncate = (s: string) => (s.length > 80 ? `${s.slice(0, 77)}...` : s);

/**
 * The kept cells of one parsed input row, in column order. A row that is not an object has none
 * (null cells: it is rejected anyway). `error` names the first value that does not fit its column;
 * its cell then holds the value's JSON text, so rejects.jsonl still shows it.
 *
 * @example
 *   keptCells({ id: 'a1', meta: { n: 1 } }, [{ name: 'id', kind: 'string' }, { name: 'meta', kind: 'json' }]);
 *   // { cells: ['a1', '{"n":1}'] }
 */
export function keptCells(row: unknown, cols: readonly KeptColumn[]): { cells: KeptCell[]; error?: string } {
  const obj = row !== null && typeof row === 'object' && !Array.isArray(row) ? (row as Record<string, unknown>) : {};
  const cells: KeptCell[] = [];
  let error: string | undefined;
  for (const col of cols) {
    const v = Object.prototype.hasOwnProperty.call(obj, col.name) ? obj[col.name] : undefined;
    const enc = encodeCell(v, col);
    if (enc.ok) cells.push(enc.cell);
    else {
      cells.push(jsonText(v));
      error ??= enc.message;
    }
  }
  return error === undefined ? { cells } : { cells, error };
}

/**
 * Decide each kept column's kind from parsed rows read from the start of the input: the kind of
 * the first non-null value, looking at no more than `limit` rows. Columns without any value there
 * are typed `string` and listed in `unseen` (the caller warns: a typo, or a column that starts late).
 *
 * @example
 *   await sniffKinds([{ id: null }, { id: 7 }], ['id']); // { columns: [{ name: 'id', kind: 'int64' }], unseen: [] }
 */
export async function sniffKinds(
  rows: AsyncIterable<unknown> | Iterable<unknown>,
  names: readonly string[],
  limit = KEEP_SNIFF_ROWS,
): Promise<{ columns: KeptColumn[]; unseen: string[] }> {
  const kinds = new Map<string, KeptKind>();
  let n = 0;
  // Stops right after the row that types the last column: a stream's rows read here are replayed.
  for await (const row of limit > 0 ? rows : []) {
    if (row !== null && typeof row === 'object' && !Array.isArray(row)) {
      for (const name of names) {
        if (kinds.has(name) || !Object.prototype.hasOwnProperty.call(row, name)) continue;
        const k = kindOf((row as Record<string, unknown>)[name]);
        if (k !== null) kinds.set(name, k);
      }
    }
    if (kinds.size === names.length || ++n >= limit) break;
  }
  return {
    columns: names.map((name) => ({ name, kind: kinds.get(name) ?? 'string' })),
    unseen: names.filter((name) => !kinds.has(name)),
  };
}
