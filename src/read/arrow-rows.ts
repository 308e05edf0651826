/**
 * Rows of Arrow record batches (Parquet files, `save_to_disk` shards) as JSON text, so they take
 * the same path as JSONL lines: the pipeline's parser (which keeps `2.0` a float) runs on them, in
 * render workers when there are any.
 *
 * Values come out as Python `datasets` gives them: a null, including a struct field that a
 * message did not have (Arrow stores the union of all messages' keys), is `null` → the template's
 * `None`; integral floats keep their `.0`; int64 stays exact in the text.
 */
import { DataType, type Field, type RecordBatch, type Vector } from '../arrow.js';

type Conv = (v: unknown) => string;

const str: Conv = (v) => JSON.stringify(String(v));

/** A float as Python's json.dumps writes it: integral values keep `.0`; NaN / ±Infinity become null. */
const float: Conv = (v) => {
  const x = Number(v);
  if (!Number.isFinite(x)) return 'null';
  return Number.isInteger(x) && Math.abs(x) < 1e16 ? `${x}.0` : String(x);
};

/** JSON for values of types without a dedicated converter (dates, decimals…): their JS value. */
const fallback: Conv = (v) =>
  JSON.stringify(v, (_k, x: unknown) =>
    typeof x === 'bigint' ? x.toString() : x instanceof Uint8Array ? Array.from(x) : x,
  ) ?? 'null';

const nullable =
  (c: Conv): Conv =>
  (v) =>
    v === null || v === undefined ? 'null' : c(v);

/**
 * A converter for one Arrow field, built once per schema (type dispatch stays out of the row loop).
 * Strings of the `arrow.json` extension type (datasets 5's `Json` feature, which it uses for
 * values of mixed shape such as messages) are JSON already and go in as they are.
 */
function converter(field: Field): Conv {
  const type = field.type as DataType;
  if (field.metadata.get('ARROW:extension:name') === 'arrow.json') return nullable((v) => String(v));
  if (DataType.isUtf8(type) || DataType.isLargeUtf8(type)) return nullable(str);
  if (DataType.isBool(type)) return nullable((v) => (v ? 'true' : 'false'));
  if (DataType.isInt(type)) return nullable((v) => (typeof v === 'bigint' ? v.toString() : String(v)));
  if (DataType.isFloat(type)) return nullable(float);
  if (DataType.isNull(type)) return () => 'null';
  if (DataType.isDictionary(type)) return converter(field.clone({ type: type.dictionary }));
  if (DataType.isList(type) || DataType.isFixedSizeList(type) || DataType.isLargeList(type)) {
    const item = converter(type.children[0]!);
    return nullable((v) => {
      const vec = v as Vector;
      const parts = new Array<string>(vec.length);
      for (let i = 0; i < vec.length; i++) parts[i] = item(vec.get(i));
      return `[${parts.join(',')}]`;
    });
  }
  if (DataType.isStruct(type)) return nullable(structConverter(type.children));
  if (DataType.isMap(type)) {
    const entry = type.children[0]!.type.children as Field[];
    const val = converter(entry[1]!);
    return nullable((v) => {
      const parts: string[] = [];
      for (const [k, x] of v as Iterable<[unknown, unknown]>) parts.push(`${JSON.stringify(String(k))}:${val(x)}`);
      return `{${parts.join(',')}}`;
    });
  }
  return nullable(fallback);
}

/** `{"a": …, "b": …}` in field order, every field present (missing ones as null). */
function structConverter(fields: Field[]): Conv {
  const keys = fields.map((f) => JSON.stringify(f.name));
  const convs = fields.map((f) => converter(f));
  const names = fields.map((f) => f.name);
  return (v) => {
    const row = v as Record<string, unknown>;
    const parts = new Array<string>(names.length);
    for (let k = 0; k < names.length; k++) parts[k] = `${keys[k]}:${convs[k]!(row[names[k]!])}`;
    return `{${parts.join(',')}}`;
  };
}

/**
 * JSON text of each row of a batch, in order.
 *
 * @example
 *   for (const text of batchRowsAsJson(batch)) rows.push(JSON.parse(text)); // {"messages":[{"role":"user",…}]}
 */
export function* batchRowsAsJson(batch: RecordBatch): Generator<string> {
  const fields = batch.schema.fields;
  const keys = fields.map((f) => JSON.stringify(f.name));
  const convs = fields.map((f) => converter(f));
  const cols = fields.map((_, k) => batch.getChildAt(k)!);
  for (let i = 0; i < batch.numRows; i++) {
    const parts = new Array<string>(fields.length);
    for (let k = 0; k < fields.length; k++) parts[k] = `${keys[k]}:${convs[k]!(cols[k]!.get(i))}`;
    yield `{${parts.join(',')}}`;
  }
}
