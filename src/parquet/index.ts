/**
 * Parquet ⇄ Apache Arrow JS, through parquet-wasm (the Rust `parquet` crate compiled to
 * WebAssembly). Batches cross the boundary as Arrow IPC streams. The module is loaded on first
 * use, so runs that never touch Parquet don't pay for compiling the 5 MB WebAssembly binary.
 */
import { openAsBlob } from 'node:fs';
import { RecordBatchStreamWriter, tableFromIPC, type RecordBatch, type Schema } from '../arrow.js';

type ParquetWasm = typeof import('parquet-wasm');

let loaded: Promise<ParquetWasm> | undefined;

/** The parquet-wasm module (Node build), loaded once. */
export function parquetWasm(): Promise<ParquetWasm> {
  loaded ??= import('parquet-wasm');
  return loaded;
}

/** An Arrow JS record batch as one IPC stream (schema message + batch), the form parquet-wasm takes. */
export function batchToIpc(batch: RecordBatch): Uint8Array {
  return RecordBatchStreamWriter.writeAll([batch]).toUint8Array(true);
}

/** Row groups close after this many rows or this many uncompressed bytes, like `datasets`' Parquet writer. */
export const ROW_GROUP_ROWS = 1000;
export const ROW_GROUP_BYTES = 100 * 1024 * 1024;

/**
 * Writer settings for chatshard's token columns: zstd, no dictionary (token ids rarely repeat
 * enough to pay for one; it tripled write time in measurements) and no statistics (min/max of
 * token lists help no reader), plus the schema's key-value metadata (`huggingface` features).
 *
 * @example
 *   const props = await writerProperties(schema.metadata); // Map { 'huggingface' => '{"info": …}' }
 */
export async function writerProperties(
  metadata: Map<string, string>,
  rowGroupRows = ROW_GROUP_ROWS,
): Promise<import('parquet-wasm').WriterProperties> {
  const pw = await parquetWasm();
  return new pw.WriterPropertiesBuilder()
    .setCompression(pw.Compression.ZSTD)
    .setDictionaryEnabled(false)
    .setStatisticsEnabled(pw.EnabledStatistics.None)
    .setMaxRowGroupSize(rowGroupRows)
    .setMaxRowGroupBytes(ROW_GROUP_BYTES)
    .setCreatedBy('chatshard (parquet-wasm)')
    .setKeyValueMetadata(new Map(metadata))
    .build();
}

/** An opened Parquet file: its Arrow schema (with key-value metadata), row count and row groups. */
export interface ParquetSource {
  schema: Schema;
  rows: number;
  rowGroups: number;
  /** Rows of each row group. */
  rowGroupRows(): number[];
  /** Record batches of one row group, decoded in batches of `batchSize` rows. */
  readRowGroup(index: number, batchSize?: number): AsyncGenerator<RecordBatch>;
  close(): void;
}

/**
 * Open a Parquet file for streaming reads. Only the footer is read now; row groups are read on
 * demand through a file-backed Blob, so memory holds one row group at a time, never the file.
 *
 * @example
 *   const src = await openParquet('data/train-00000-of-00001.parquet');
 *   for (let g = 0; g < src.rowGroups; g++) for await (const batch of src.readRowGroup(g)) use(batch);
 */
export async function openParquet(path: string): Promise<ParquetSource> {
  const pw = await parquetWasm();
  let file: import('parquet-wasm').ParquetFile;
  try {
    file = await pw.ParquetFile.fromFile(await openAsBlob(path));
  } catch (e) {
    throw new Error(`${path}: not a readable Parquet file: ${errorText(e)}`);
  }
  const meta = file.metadata();
  const rowGroups = meta.numRowGroups();
  const rows = meta.fileMetadata().numRows();
  const wasmSchema = file.schema();
  const schema = tableFromIPC(wasmSchema.intoIPCStream()).schema;
  const kv = meta.fileMetadata().keyValueMetadata() as Map<string, string>;
  // The footer's key-value pairs are what pyarrow reports as schema metadata (minus ARROW:schema).
  for (const [k, v] of kv) if (k !== 'ARROW:schema' && !schema.metadata.has(k)) schema.metadata.set(k, v);
  meta.free();
  return {
    schema,
    rows,
    rowGroups,
    rowGroupRows: () => {
      const m = file.metadata();
      const out = Array.from({ length: rowGroups }, (_, g) => {
        const rg = m.rowGroup(g);
        const n = rg.numRows();
        rg.free();
        return n;
      });
      m.free();
      return out;
    },
    async *readRowGroup(index: number, batchSize = 1024) {
      const stream = (await file.stream({ rowGroups: [index], batchSize })) as ReadableStream<
        import('parquet-wasm').RecordBatch
      >;
      for await (const wasmBatch of stream as unknown as AsyncIterable<import('parquet-wasm').RecordBatch>) {
        const table = tableFromIPC(wasmBatch.intoIPCStream());
        for (const b of table.batches) if (b.numRows > 0) yield b;
      }
    },
    close() {
      file.free();
    },
  };
}

/** Message of an error thrown from WebAssembly (sometimes a plain string). */
export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
