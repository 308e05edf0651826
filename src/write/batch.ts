/**
 * Accumulates shaped rows and turns them into one Arrow RecordBatch built from flat typed
 * arrays plus offsets (per-element builders are far slower).
 */
import { makeData, RecordBatch, Struct, type Data, type Schema } from 'apache-arrow';
import type { ShapedRow } from '../types.js';
import { columnSpecs, listType, type ColumnSpec, type Layout } from '../dataset/schema.js';

/** Encoded bytes of one row: values plus one int32 offset per column. */
export function rowBytes(row: ShapedRow, layout: Layout): number {
  const n = row.inputIds.length;
  if (typeof layout === 'boolean') return layout ? n * 10 + 16 : n * 6 + 12;
  let bytes = 0;
  for (const c of columnSpecs(layout)) bytes += 4 + c.width * (c.perToken ? n : (row.packed?.seqLengths.length ?? 0));
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
}

export class BatchBuilder {
  private rows: ShapedRow[] = [];
  private tokens = 0;
  /** Estimated encoded bytes of the pending rows. */
  bytes = 0;
  private readonly specs: ColumnSpec[];

  constructor(
    private readonly schema: Schema,
    private readonly layout: Layout,
  ) {
    this.specs = columnSpecs(layout);
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
