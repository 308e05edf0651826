/**
 * Column layout of a chatshard dataset and its two descriptions:
 * the Arrow schema written into every shard and the `datasets` Features dict.
 */
import { Bool, Field, Float64, Int32, Int64, Int8, List, Schema, Utf8, type DataType } from '../arrow.js';
import { TOKEN_COLUMNS, type ColumnName } from './columns.js';

export { TOKEN_COLUMNS, type ColumnName };

/** `datasets` Value dtype of a kept input column (`--keep-columns`); nested values are stored as JSON text. */
export type KeptDtype = 'string' | 'int64' | 'float64' | 'bool';

/** An input field copied to a scalar output column, after the token columns. */
export interface KeptSpec {
  name: string;
  dtype: KeptDtype;
}

export interface ColumnSpec {
  name: ColumnName;
  /** `datasets` Value dtype. */
  dtype: 'int32' | 'int8';
  /** Bytes per element, for shard size estimates. */
  width: 4 | 1;
  /** One value per token (shares input_ids' offsets); false for seq_lengths (one per packed sequence). */
  perToken: boolean;
}

/**
 * Which columns a dataset has. `true` / `false` is the unpacked layout with / without labels;
 * packed runs add `seq_lengths` (as TRL writes it), `position_ids`, and segment ids in `attention_mask`.
 */
export type Layout =
  boolean | { labels: boolean; seqLengths?: boolean; positionIds?: boolean; segmentIds?: boolean; keep?: KeptSpec[] };

/** The kept input columns of a layout (none for the boolean forms). */
export function keptSpecs(layout: Layout): KeptSpec[] {
  return typeof layout === 'boolean' ? [] : (layout.keep ?? []);
}

/** Every column name of a layout, in order: token columns, then kept input columns. */
export function columnNames(layout: Layout): string[] {
  return [...columnSpecs(layout).map((c) => c.name), ...keptSpecs(layout).map((k) => k.name)];
}

const spec = (name: ColumnName, dtype: 'int32' | 'int8', perToken = true): ColumnSpec => ({
  name,
  dtype,
  width: dtype === 'int32' ? 4 : 1,
  perToken,
});

/** Columns in order; TRL appends seq_lengths after the packed columns. */
export function columnSpecs(layout: Layout): ColumnSpec[] {
  const l = typeof layout === 'boolean' ? { labels: layout } : layout;
  const out = [
    spec('input_ids', 'int32'),
    spec('attention_mask', l.segmentIds ? 'int32' : 'int8'),
    spec('assistant_masks', 'int8'),
  ];
  if (l.labels) out.push(spec('labels', 'int32'));
  if (l.positionIds) out.push(spec('position_ids', 'int32'));
  if (l.seqLengths) out.push(spec('seq_lengths', 'int32', false));
  return out;
}

/** Every token-column layout chatshard writes, for recognising a dataset by its features. */
export function allLayouts(): Exclude<Layout, boolean>[] {
  const out: Exclude<Layout, boolean>[] = [];
  for (let bits = 0; bits < 16; bits++) {
    out.push({ labels: !(bits & 1), seqLengths: !!(bits & 2), positionIds: !!(bits & 4), segmentIds: !!(bits & 8) });
  }
  return out;
}

const KEPT_DTYPES: readonly KeptDtype[] = ['string', 'int64', 'float64', 'bool'];

/** The dtype of a kept column's feature `{dtype, _type: 'Value'}`, or null for any other feature. */
function keptDtypeOf(feature: unknown): KeptDtype | null {
  const f = feature as { dtype?: unknown; _type?: unknown } | null;
  if (f === null || typeof f !== 'object' || f._type !== 'Value' || Object.keys(f).length !== 2) return null;
  return KEPT_DTYPES.find((d) => d === f.dtype) ?? null;
}

/**
 * The layout whose features are `features` (a parsed dataset_info.json `features`), or null: the
 * token columns of one of allLayouts(), then any kept input columns (scalar Value features).
 */
export function layoutOfFeatures(features: unknown): Exclude<Layout, boolean> | null {
  if (features === null || typeof features !== 'object' || Array.isArray(features)) return null;
  const entries = Object.entries(features as Record<string, unknown>);
  let cut = entries.length;
  while (cut > 0 && keptDtypeOf(entries[cut - 1]![1]) !== null) cut--;
  const keep = entries.slice(cut).map(([name, f]) => ({ name, dtype: keptDtypeOf(f)! }));
  if (keep.some((k) => (TOKEN_COLUMNS as readonly string[]).includes(k.name))) return null;
  const got = JSON.stringify(Object.fromEntries(entries.slice(0, cut)));
  const base = allLayouts().find((l) => JSON.stringify(featuresDict(l)) === got);
  if (!base) return null;
  return keep.length > 0 ? { ...base, keep } : base;
}

function valueType(dtype: ColumnSpec['dtype']): DataType {
  return dtype === 'int32' ? new Int32() : new Int8();
}

/** Arrow type of a kept column: string → Utf8 (pa.string()), int64, float64 (double), bool. */
export function keptType(dtype: KeptDtype): DataType {
  switch (dtype) {
    case 'string':
      return new Utf8();
    case 'int64':
      return new Int64();
    case 'float64':
      return new Float64();
    case 'bool':
      return new Bool();
  }
}

/** Arrow type of a column: list<item: dtype>, child nullable like pyarrow's `pa.list_`. */
export function listType(spec: ColumnSpec): List {
  return new List(new Field('item', valueType(spec.dtype), true));
}

/**
 * Features in the `Sequence` form: datasets 3.x only knows `Sequence`, and 4.x/5.x still
 * read it (translated to `List`). Key order mirrors what datasets' `asdict` emits.
 */
export function featuresDict(layout: Layout): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const c of columnSpecs(layout)) {
    out[c.name] = { feature: { dtype: c.dtype, _type: 'Value' }, _type: 'Sequence' };
  }
  for (const k of keptSpecs(layout)) out[k.name] = { dtype: k.dtype, _type: 'Value' };
  return out;
}

/**
 * Python `json.dumps` default formatting (", " and ": " separators, ASCII-escaped), so the
 * embedded metadata is byte-for-byte what datasets' ArrowWriter would produce.
 */
export function pyJsonDumps(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') {
    return JSON.stringify(value).replace(
      /[\u007f-\uffff]/g,
      (ch) => '\\u' + ch.charCodeAt(0).toString(16).padStart(4, '0'),
    );
  }
  if (typeof value === 'number' || typeof value === 'boolean') return JSON.stringify(value);
  if (Array.isArray(value)) return '[' + value.map(pyJsonDumps).join(', ') + ']';
  const entries = Object.entries(value as Record<string, unknown>);
  return '{' + entries.map(([k, v]) => pyJsonDumps(k) + ': ' + pyJsonDumps(v)).join(', ') + '}';
}

/** Arrow schema with the `huggingface` metadata key that datasets embeds in its shards. */
export function arrowSchema(layout: Layout): Schema {
  const fields = [
    ...columnSpecs(layout).map((c) => new Field(c.name, listType(c), true)),
    ...keptSpecs(layout).map((k) => new Field(k.name, keptType(k.dtype), true)),
  ];
  const meta = new Map([['huggingface', pyJsonDumps({ info: { features: featuresDict(layout) } })]]);
  return new Schema(fields, meta);
}
