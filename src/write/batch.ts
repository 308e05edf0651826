/**
 * Accumulates shaped rows and turns them into one Arrow RecordBatch built from flat typed
 * arrays plus offsets (per-element builders are far slower).
 */
import { makeData, RecordBatch, Struct, type Data, type Schema } from 'apache-arrow';
import type { ShapedRow } from '../types.js';
import { columnSpecs, listType, type ColumnSpec } from '../dataset/schema.js';

/** Encoded bytes of one row: values plus one int32 offset per column. */
export function rowBytes(row: ShapedRow, labels: boolean): number {
  const n = row.inputIds.length;
  return labels ? n * 10 + 16 : n * 6 + 12;
}

/**
 * Upper bound of a batch's non-value bytes: message flatbuffer (~420 B measured for four list
 * columns) plus up to 7 bytes of alignment padding per buffer.
 */
export const BATCH_OVERHEAD = 640;
/** End-of-stream marker. */
export const EOS_BYTES = 8;

export function checkRow(row: ShapedRow, labels: boolean): void {
  const n = row.inputIds.length;
  const bad =
    row.attentionMask.length !== n ||
    row.assistantMasks.length !== n ||
    (labels && (!row.labels || row.labels.length !== n));
  if (bad) {
    throw new Error(
      `chatshard write: row ${row.index} (${row.ref.file}:${row.ref.line}) has columns of different lengths`,
    );
  }
}

type Pick = (r: ShapedRow) => Int32Array | Uint8Array;
const PICK: Record<ColumnSpec['name'], Pick> = {
  input_ids: (r) => r.inputIds,
  attention_mask: (r) => r.attentionMask,
  assistant_masks: (r) => r.assistantMasks,
  labels: (r) => r.labels,
};

export class BatchBuilder {
  private rows: ShapedRow[] = [];
  private tokens = 0;
  /** Estimated encoded bytes of the pending rows. */
  bytes = 0;
  private readonly specs: ColumnSpec[];

  constructor(
    private readonly schema: Schema,
    private readonly labels: boolean,
  ) {
    this.specs = columnSpecs(labels);
  }

  get length(): number {
    return this.rows.length;
  }

  add(row: ShapedRow): void {
    if (this.rows.length === 0) this.bytes += BATCH_OVERHEAD;
    this.rows.push(row);
    this.tokens += row.inputIds.length;
    this.bytes += rowBytes(row, this.labels);
  }

  /**
   * Build the batch and reset. Fresh arrays are allocated per batch on purpose: the IPC
   * writer hands out views of them that stay queued until the file write completes.
   */
  take(): RecordBatch {
    const rows = this.rows;
    const offsets = new Int32Array(rows.length + 1);
    for (let i = 0; i < rows.length; i++) offsets[i + 1] = offsets[i] + rows[i].inputIds.length;
    const children: Data[] = this.specs.map((spec) => {
      // Masks are copied as bytes (same-type set is a memcpy) and viewed as int8 afterwards.
      const buf = spec.dtype === 'int32' ? new Int32Array(this.tokens) : new Uint8Array(this.tokens);
      const pick = PICK[spec.name];
      for (let i = 0; i < rows.length; i++) buf.set(pick(rows[i]), offsets[i]);
      const values = buf instanceof Int32Array ? buf : new Int8Array(buf.buffer, 0, buf.length);
      const type = listType(spec);
      const child = makeData({ type: type.children[0].type, length: this.tokens, nullCount: 0, data: values });
      return makeData({ type, length: rows.length, nullCount: 0, valueOffsets: offsets, child });
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
