/**
 * Accumulates shaped rows and turns them into one Arrow RecordBatch built from flat typed
 * arrays plus offsets (per-element builders are far slower).
 */
import { Bool, Float64, Int64, makeData, RecordBatch, Struct, Utf8, type Data, type Schema } from '../arrow.js';
import type { KeptCell, ShapedRow } from '../types.js';
import {
  columnSpecs,
  keptSpecs,
  listType,
  type ColumnSpec,
  type KeptDtype,
  type KeptSpec,
  type Layout,
} from '../dataset/schema.js';

/** Encoded bytes of one row: values plus one int32 offset per column. */
export function rowBytes(row: ShapedRow, layout: Layout): number {
  const n = row.inputIds.length;
  if (typeof layout === 'boolean') return layout ? n * 10 + 16 : n * 6 + 12;
  let bytes = 0;
  for (const c of columnSpecs(layout)) bytes += 4 + c.width * (c.perToken ? n : (row.packed?.seqLengths.length ?? 0));
  // Kept strings: UTF-16 length × 3 bounds their UTF-8 size; scalars take 8 bytes at most.
  if (row.kept) for (const v of row.kept) bytes += 4 + (typeof v === 'string' ? v.length * 3 : 8);
  return bytes;
}

/**
 * Upper bound of a batch's non-value bytes: message flatbuffer (~420 B measured for four list
 * columns) plus up to 7 bytes of alignment padding per buffer.
 */
export const BATCH_OVERHEAD = 640;
/** End-of-stream marker. */
export const EOS_BYTES = 8;

type Pick = (r: ShapedRow) => Int32Array | Uint8Array | undefined;
const PICK: Record<ColumnSpec['name'], Pick> = {
  input_ids: (r) => r.inputIds,
  // Packed rows may carry segment ids (1, 2, 3, … per sequence) in place of the 0/1 mask.
  attention_mask: (r) => r.packed?.segmentIds ?? r.attentionMask,
  assistant_masks: (r) => r.assistantMasks,
  labels: (r) => r.labels,
  position_ids: (r) => r.packed?.positionIds,
  seq_lengths: (r) => r.packed?.seqLengths,
};

export function checkRow(row: ShapedRow, layout: Layout): void {
  const n = row.inputIds.length;
  for (const c of columnSpecs(layout)) {
    const v = PICK[c.name](row);
    if (!v || (c.perToken && v.length !== n)) {
      throw new Error(
        `chatshard write: row ${row.index} (${row.ref.file}:${row.ref.line}) ` +
          (v ? 'has columns of different lengths' : `lacks the ${c.name} column`),
      );
    }
  }
  if (typeof layout === 'object' && layout.segmentIds && !row.packed?.segmentIds) {
    throw new Error(`chatshard write: row ${row.index} (${row.ref.file}:${row.ref.line}) lacks segment ids`);
  }
  const keep = keptSpecs(layout);
  if (keep.length > 0 || row.kept) {
    const where = `chatshard write: row ${row.index} (${row.ref.file}:${row.ref.line})`;
    if (row.kept?.length !== keep.length)
      throw new Error(`${where} has ${row.kept?.length ?? 0} kept values, the layout ${keep.length} kept columns`);
    keep.forEach((k, i) => {
      const v = row.kept![i];
      if (v !== null && v !== undefined && !fits(v, k.dtype))
        throw new Error(`${where}: kept column ${k.name} is ${k.dtype}, got ${JSON.stringify(v)}`);
    });
  }
}

function fits(v: KeptCell, dtype: KeptDtype): boolean {
  switch (dtype) {
    case 'string':
      return typeof v === 'string';
    case 'int64':
      return Number.isSafeInteger(v);
    case 'float64':
      return typeof v === 'number';
    case 'bool':
      return typeof v === 'boolean';
  }
}

const utf8 = new TextEncoder();

/**
 * One kept column of a batch as Arrow data: nulls in a validity bitmap, strings as UTF-8 with int32
 * offsets (pa.string()), integers as int64, floats as float64, booleans bit-packed.
 *
 * @example keptData([row1, row2], 0, { name: 'id', dtype: 'string' }) // Data<Utf8> of length 2
 */
export function keptData(rows: readonly ShapedRow[], k: number, spec: KeptSpec): Data {
  const n = rows.length;
  const cells = rows.map((r) => r.kept?.[k] ?? null);
  const validity = new Uint8Array(Math.ceil(n / 8));
  let nullCount = 0;
  cells.forEach((v, i) => {
    if (v === null) nullCount++;
    else validity[i >> 3]! |= 1 << (i & 7);
  });
  const base = { length: n, nullCount, nullBitmap: nullCount > 0 ? validity : undefined };
  switch (spec.dtype) {
    case 'string': {
      const bytes = cells.map((v) => (typeof v === 'string' ? utf8.encode(v) : new Uint8Array(0)));
      const valueOffsets = new Int32Array(n + 1);
      bytes.forEach((b, i) => (valueOffsets[i + 1] = valueOffsets[i]! + b.length));
      const data = new Uint8Array(valueOffsets[n]!);
      bytes.forEach((b, i) => data.set(b, valueOffsets[i]));
      return makeData({ ...base, type: new Utf8(), valueOffsets, data });
    }
    case 'int64':
      return makeData({ ...base, type: new Int64(), data: BigInt64Array.from(cells, (v) => BigInt(v ?? 0)) });
    case 'float64':
      return makeData({ ...base, type: new Float64(), data: Float64Array.from(cells, (v) => Number(v ?? 0)) });
    case 'bool': {
      const data = new Uint8Array(Math.ceil(n / 8));
      cells.forEach((v, i) => {
        if (v === true) data[i >> 3]! |= 1 << (i & 7);
      });
      return makeData({ ...base, type: new Bool(), data });
    }
  }
}

export class BatchBuilder {
  private rows: ShapedRow[] = [];
  private tokens = 0;
  /** Estimated encoded bytes of the pending rows. */
  bytes = 0;
  private readonly specs: ColumnSpec[];
  private readonly keep: KeptSpec[];

  constructor(
    private readonly schema: Schema,
    private readonly layout: Layout,
  ) {
    this.specs = columnSpecs(layout);
    this.keep = keptSpecs(layout);
  }

  get length(): number {
    return this.rows.length;
  }

  add(row: ShapedRow): void {
    if (this.rows.length === 0) this.bytes += BATCH_OVERHEAD;
    this.rows.push(row);
    this.tokens += row.inputIds.length;
    this.bytes += rowBytes(row, this.layout);
  }

  /**
   * Build the batch and reset. Fresh arrays are allocated per batch on purpose: the IPC
   * writer hands out views of them that stay queued until the file write completes.
   */
  take(): RecordBatch {
    const rows = this.rows;
    const offsets = new Int32Array(rows.length + 1);
    for (let i = 0; i < rows.length; i++) offsets[i + 1] = offsets[i]! + rows[i]!.inputIds.length;
    const children: Data[] = this.specs.map((spec) => {
      const pick = PICK[spec.name];
      // Per-token columns share input_ids' offsets; seq_lengths has its own.
      let own = offsets;
      if (!spec.perToken) {
        own = new Int32Array(rows.length + 1);
        for (let i = 0; i < rows.length; i++) own[i + 1] = own[i]! + pick(rows[i]!)!.length;
      }
      const total = own[rows.length]!;
      // Masks are copied as bytes (same-type set is a memcpy) and viewed as int8 afterwards.
      const buf = spec.dtype === 'int32' ? new Int32Array(total) : new Uint8Array(total);
      for (let i = 0; i < rows.length; i++) buf.set(pick(rows[i]!)!, own[i]);
      const values = buf instanceof Int32Array ? buf : new Int8Array(buf.buffer, 0, buf.length);
      const type = listType(spec);
      const child = makeData({ type: type.children[0]!.type, length: total, nullCount: 0, data: values });
      return makeData({ type, length: rows.length, nullCount: 0, valueOffsets: own, child });
    });
    this.keep.forEach((spec, k) => children.push(keptData(rows, k, spec)));
    const data = makeData({
      type: new Struct(this.schema.fields),
      length: rows.length,
      nullCount: 0,
      children,
    });
    this.rows = [];
    this.tokens = 0;
    this.bytes = 0;
    return new RecordBatch(this.schema, data);
  }
}
