/**
 * Record batches of columnar inputs, streamed: Parquet one row group at a time, Arrow IPC stream
 * files (`save_to_disk` shards) one batch at a time. Memory holds one row group / batch.
 */
import { createReadStream } from 'node:fs';
import { RecordBatchReader, type RecordBatch } from '../arrow.js';
import { errorText, openParquet } from '../parquet/index.js';
import type { InputKind } from './sources.js';

/** Rows decoded per Parquet batch: small enough to keep long conversations' memory low. */
const PARQUET_BATCH_ROWS = 256;

/** Total rows of a columnar file from its metadata (Parquet footer) or batch headers (Arrow). */
export async function countTableRows(file: string, kind: Exclude<InputKind, 'jsonl'>): Promise<number> {
  if (kind === 'parquet') {
    const src = await openParquet(file);
    src.close();
    return src.rows;
  }
  let n = 0;
  for await (const { batch } of tableBatches(file, kind)) n += batch.numRows;
  return n;
}

/** A batch and the 0-based row number (within its file) of its first row. */
export interface TableBatch {
  batch: RecordBatch;
  firstRow: number;
}

/**
 * Batches of a Parquet or Arrow IPC file, in row order. Parquet row groups that lie wholly before
 * `skipRows` are skipped by their metadata, never decoded (resume and `--shard-index` start there).
 */
export async function* tableBatches(
  file: string,
  kind: Exclude<InputKind, 'jsonl'>,
  skipRows = 0,
): AsyncGenerator<TableBatch> {
  let row = 0;
  if (kind === 'parquet') {
    const src = await openParquet(file);
    try {
      const sizes = src.rowGroupRows();
      for (let g = 0; g < src.rowGroups; g++) {
        if (row + sizes[g]! <= skipRows) {
          row += sizes[g]!;
          continue;
        }
        for await (const batch of src.readRowGroup(g, PARQUET_BATCH_ROWS)) {
          yield { batch, firstRow: row };
          row += batch.numRows;
        }
      }
    } finally {
      src.close();
    }
    return;
  }
  let reader: RecordBatchReader;
  try {
    reader = await RecordBatchReader.from(createReadStream(file));
    await reader.open();
  } catch (e) {
    throw new Error(`not an Arrow IPC file: ${errorText(e)}`);
  }
  for await (const batch of reader) {
    if (batch.numRows === 0) continue;
    yield { batch, firstRow: row };
    row += batch.numRows;
  }
}
