/**
 * Column layout of a chatshard dataset and its two descriptions:
 * the Arrow schema written into every shard and the `datasets` Features dict.
 */
import { Field, Int32, Int8, List, Schema, type DataType } from 'apache-arrow';

export type ColumnName = 'input_ids' | 'attention_mask' | 'assistant_masks' | 'labels' | 'position_ids' | 'seq_lengths';

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
export type Layout = boolean | { labels: boolean; seqLengths?: boolean; positionIds?: boolean; segmentIds?: boolean };

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

/** Every layout chatshard writes, for recognising a dataset by its features. */
export function allLayouts(): Exclude<Layout, boolean>[] {
  const out: Exclude<Layout, boolean>[] = [];
  for (let bits = 0; bits < 16; bits++) {
    out.push({ labels: !(bits & 1), seqLengths: !!(bits & 2), positionIds: !!(bits & 4), segmentIds: !!(bits & 8) });
  }
  return out;
}

/** The layout whose features are `features` (a parsed dataset_info.json `features`), or null. */
export function layoutOfFeatures(features: unknown): Exclude<Layout, boolean> | null {
  const got = JSON.stringify(features);
  return allLayouts().find((l) => JSON.stringify(featuresDict(l)) === got) ?? null;
}

function valueType(dtype: ColumnSpec['dtype']): DataType {
  return dtype === 'int32' ? new Int32() : new Int8();
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
  const fields = columnSpecs(layout).map((c) => new Field(c.name, listType(c), true));
  const meta = new Map([['huggingface', pyJsonDumps({ info: { features: featuresDict(layout) } })]]);
  return new Schema(fields, meta);
}
