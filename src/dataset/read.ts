/** Reading a chatshard dataset back, shard by shard, without loading it all in memory. */
import { createReadStream } from 'node:fs';
import { open, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Message, RecordBatchReader, type Data, type RecordBatch, type Schema } from '../arrow.js';
import { openParquet } from '../parquet/index.js';
import { formatOfFile, PARQUET_DIR, PARQUET_RE, STATE_JSON, type OutputFormat } from './layout.js';

export interface ReadRow {
  inputIds: Int32Array;
  attentionMask: Uint8Array;
  assistantMasks: Uint8Array;
  labels?: Int32Array;
  /** Lengths of the sequences packed into this row (`seq_lengths`), in packed datasets. */
  seqLengths?: Int32Array;
}

/**
 * Format of a finished dataset folder: `arrow` when it has state.json, `parquet` when it has
 * `data/train-*.parquet` (and no state.json).
 */
export async function datasetFormat(dir: string): Promise<OutputFormat> {
  if (
    await stat(join(dir, STATE_JSON)).then(
      () => true,
      () => false,
    )
  )
    return 'arrow';
  const names = await readdir(join(dir, PARQUET_DIR)).catch(() => [] as string[]);
  if (names.some((n) => PARQUET_RE.test(n))) return 'parquet';
  throw new Error(`${dir}: not a chatshard dataset (no state.json, no data/train-*.parquet)`);
}

/** Shard files (relative to the folder) in row order: state.json's list, or the sorted `data/train-*.parquet`. */
export async function shardFiles(dir: string): Promise<string[]> {
  if ((await datasetFormat(dir)) === 'parquet') {
    const names = (await readdir(join(dir, PARQUET_DIR))).filter((n) => PARQUET_RE.test(n)).sort();
    return names.map((n) => `${PARQUET_DIR}/${n}`);
  }
  const state = JSON.parse(await readFile(join(dir, 'state.json'), 'utf8')) as { _data_files?: { filename: string }[] };
  if (!Array.isArray(state._data_files)) throw new Error(`${dir}/state.json has no _data_files`);
  return state._data_files.map((f) => f.filename);
}

/**
 * An opened reader for one shard; its schema is known even when it has no batches. An empty shard
 * reads back from apache-arrow as one placeholder batch without columns: it is skipped here.
 */
export async function openShard(path: string): Promise<AsyncIterable<RecordBatch> & { schema: Schema }> {
  if (formatOfFile(path) === 'parquet') {
    const src = await openParquet(path);
    return {
      schema: src.schema,
      async *[Symbol.asyncIterator]() {
        try {
          for (let g = 0; g < src.rowGroups; g++) yield* src.readRowGroup(g);
        } finally {
          src.close();
        }
      },
    };
  }
  const reader = await RecordBatchReader.from(createReadStream(path));
  await reader.open();
  return {
    schema: reader.schema,
    async *[Symbol.asyncIterator]() {
      for await (const batch of reader) if (batch.numRows > 0) yield batch;
    },
  };
}

/** Record batches of one IPC stream file, with its schema. */
export async function* readShardBatches(path: string): AsyncGenerator<{ schema: Schema; batch: RecordBatch }> {
  const reader = await openShard(path);
  for await (const batch of reader) yield { schema: reader.schema, batch };
}

/** Offsets and values of a list column, corrected for any slice offset. */
export interface ListColumn {
  offsets: Int32Array;
  values: Int32Array | Int8Array;
  length: number;
}

export function listColumn(batch: RecordBatch, name: string): ListColumn | null {
  const vec = batch.getChild(name);
  if (!vec) return null;
  const data = vec.data.length === 1 ? vec.data[0] : null;
  if (!data) throw new Error(`column ${name} is split into ${vec.data.length} chunks`);
  const child = data.children[0] as Data | undefined;
  if (!child) throw new Error(`column ${name} is not a list`);
  const offsets = (data.valueOffsets as Int32Array).subarray(data.offset, data.offset + data.length + 1);
  const values = (child.values as Int32Array | Int8Array).subarray(child.offset, child.offset + child.length);
  return { offsets, values, length: data.length };
}

const asU8 = (v: Int32Array | Int8Array) => new Uint8Array(v.buffer, v.byteOffset, v.byteLength);

/** Rows of a dataset folder in order. Arrays are views into the decoded batch. */
export async function* readDataset(dir: string): AsyncGenerator<ReadRow> {
  for (const file of await shardFiles(dir)) {
    for await (const { batch } of readShardBatches(join(dir, file))) {
      const ids = listColumn(batch, 'input_ids');
      const att = listColumn(batch, 'attention_mask');
      const asm = listColumn(batch, 'assistant_masks');
      const lab = listColumn(batch, 'labels');
      const seq = listColumn(batch, 'seq_lengths');
      if (!ids || !att || !asm) {
        throw new Error(`${join(dir, file)}: missing input_ids / attention_mask / assistant_masks`);
      }
      for (let r = 0; r < batch.numRows; r++) {
        const row: ReadRow = {
          inputIds: ids.values.subarray(ids.offsets[r], ids.offsets[r + 1]) as Int32Array,
          attentionMask: asU8(att.values.subarray(att.offsets[r], att.offsets[r + 1])),
          assistantMasks: asU8(asm.values.subarray(asm.offsets[r], asm.offsets[r + 1])),
        };
        if (lab) row.labels = lab.values.subarray(lab.offsets[r], lab.offsets[r + 1]) as Int32Array;
        if (seq) row.seqLengths = seq.values.subarray(seq.offsets[r], seq.offsets[r + 1]) as Int32Array;
        yield row;
      }
    }
  }
}

/**
 * Row count of one shard from the IPC message headers alone (bodies are skipped), so
 * merge can report counts without decoding gigabytes of tokens.
 */
export async function countShardRows(path: string): Promise<number> {
  if (formatOfFile(path) === 'parquet') {
    const src = await openParquet(path);
    src.close();
    return src.rows;
  }
  const fh = await open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    const prefix = Buffer.alloc(8);
    let pos = 0;
    let rows = 0;
    while (pos + 4 <= size) {
      await fh.read(prefix, 0, 8, pos);
      let len = prefix.readInt32LE(0);
      let skip = 4;
      if (len === -1) {
        len = prefix.readInt32LE(4); // continuation marker, then the real length
        skip = 8;
      }
      if (len === 0) break; // end-of-stream
      const meta = Buffer.alloc(len);
      await fh.read(meta, 0, len, pos + skip);
      const msg = Message.decode(meta);
      if (msg.isRecordBatch()) rows += Number(msg.header().length);
      pos += skip + len + Number(msg.bodyLength);
    }
    return rows;
  } finally {
    await fh.close();
  }
}
