/**
 * Column layout of a chatshard dataset and its two descriptions:
 * the Arrow schema written into every shard and the `datasets` Features dict.
 */
import { Field, Int32, Int8, List, Schema, type DataType } from 'apache-arrow';

export type ColumnName = 'input_ids' | 'attention_mask' | 'assistant_masks' | 'labels';

export interface ColumnSpec {
  name: ColumnName;
  /** `datasets` Value dtype. */
  dtype: 'int32' | 'int8';
  /** Bytes per element, for shard size estimates. */
  width: 4 | 1;
}

const ALL: ColumnSpec[] = [
  { name: 'input_ids', dtype: 'int32', width: 4 },
  { name: 'attention_mask', dtype: 'int8', width: 1 },
  { name: 'assistant_masks', dtype: 'int8', width: 1 },
  { name: 'labels', dtype: 'int32', width: 4 },
];

export function columnSpecs(labels: boolean): ColumnSpec[] {
  return labels ? ALL : ALL.filter((c) => c.name !== 'labels');
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
export function featuresDict(labels: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const c of columnSpecs(labels)) {
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
export function arrowSchema(labels: boolean): Schema {
  const fields = columnSpecs(labels).map((c) => new Field(c.name, listType(c), true));
  const meta = new Map([['huggingface', pyJsonDumps({ info: { features: featuresDict(labels) } })]]);
  return new Schema(fields, meta);
}
