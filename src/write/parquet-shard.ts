/**
 * One Parquet shard being written: Arrow record batches stream through parquet-wasm's writer
 * (zstd, row groups of ≤ 1000 rows / 100 MB) into a `.partial` file that gets its final name only
 * after fsync, like the Arrow shards. Back-pressure runs end to end: a batch is handed over only
 * when the encoder asks for one, and the encoder only asks when its output reached the disk.
 */
import { createHash, type Hash } from 'node:crypto';
import { open, rm, type FileHandle } from 'node:fs/promises';
import { DataType, makeData, RecordBatch, Struct, util, type List, type Schema } from '../arrow.js';
import { batchToIpc, errorText, parquetWasm, writerProperties } from '../parquet/index.js';
import { fsError } from './fsutil.js';
import { sealShard, writeFully, type ShardInfo, type ShardSink } from './shard.js';

/** A zero-row batch (list columns, and kept scalar columns): a Parquet file needs one to carry the schema. */
function emptyBatch(schema: Schema): RecordBatch {
  const children = schema.fields.map((f) => {
    if (DataType.isUtf8(f.type))
      return makeData({ type: f.type, length: 0, nullCount: 0, valueOffsets: new Int32Array(1) });
    if (!DataType.isList(f.type)) return makeData({ type: f.type, length: 0, nullCount: 0 });
    const type = f.type as List;
    const child = makeData({ type: type.children[0]!.type, length: 0, nullCount: 0 });
    return makeData({ type, length: 0, nullCount: 0, valueOffsets: new Int32Array(1), child });
  });
  return new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: 0, nullCount: 0, children }));
}

export class ParquetShardWriter implements ShardSink {
  rows = 0;
  /** Uncompressed (Arrow IPC) bytes handed to the encoder: the shard limit counts these, as push_to_hub does. */
  bytes = 0;
  private fileBytes = 0;
  private readonly hash: Hash | null;
  private input!: ReadableStream<unknown>;
  private controller!: ReadableStreamDefaultController<unknown>;
  private props!: import('parquet-wasm').WriterProperties;
  private started = false;
  private pump: Promise<void> = Promise.resolve();
  private failed: Error | null = null;
  private wanted = false;
  private wake: (() => void) | null = null;

  private constructor(
    readonly path: string,
    private readonly partial: string,
    private readonly fh: FileHandle,
    private readonly schema: Schema,
    hash: boolean,
  ) {
    this.hash = hash ? createHash('sha256') : null;
  }

  static async create(path: string, schema: Schema, hash: boolean, rowGroupRows?: number): Promise<ParquetShardWriter> {
    const partial = path + '.partial';
    let fh: FileHandle;
    try {
      fh = await open(partial, 'w');
    } catch (e) {
      throw fsError('cannot create shard', partial, e);
    }
    const w = new ParquetShardWriter(path, partial, fh, schema, hash);
    w.input = new ReadableStream(
      {
        start: (c) => {
          w.controller = c;
        },
        pull: () => {
          w.wanted = true;
          w.wake?.();
        },
      },
      { highWaterMark: 0 },
    );
    w.props = await writerProperties(schema.metadata, rowGroupRows);
    return w;
  }

  async write(batch: RecordBatch): Promise<void> {
    if (!util.compareSchemas(this.schema, batch.schema))
      throw new Error('chatshard write: record batch schema differs from the shard schema');
    if (this.failed) throw this.failed;
    const pw = await parquetWasm();
    const ipc = batchToIpc(batch);
    const table = pw.Table.fromIPCStream(ipc);
    const wasmBatch = table.recordBatch(0);
    table.free();
    this.wanted = false;
    this.controller.enqueue(wasmBatch);
    this.rows += batch.numRows;
    this.bytes += ipc.byteLength;
    // The encoder takes its schema from the first batch, so it can only start once one is queued.
    if (!this.started) {
      this.started = true;
      try {
        const output = await pw.transformParquetStream(this.input, this.props);
        this.pump = this.drain(output as ReadableStream<Uint8Array>);
      } catch (e) {
        this.failed = new Error(
          `chatshard write: cannot start the Parquet writer for ${this.partial}: ${errorText(e)}`,
        );
      }
    }
    // Wait until the encoder wants the next batch (or failed), so at most one batch is queued.
    while (!this.wanted && !this.failed) await new Promise<void>((r) => (this.wake = r));
    this.wake = null;
    if (this.failed) throw this.failed;
  }

  async finish(): Promise<ShardInfo> {
    if (this.rows === 0 && this.bytes === 0) await this.write(emptyBatch(this.schema));
    this.controller.close();
    await this.pump;
    if (this.failed) throw this.failed;
    await sealShard(this.fh, this.partial, this.path);
    return { path: this.path, rows: this.rows, bytes: this.fileBytes, sha256: this.hash?.digest('hex') };
  }

  async abort(): Promise<void> {
    try {
      this.controller?.error(new Error('aborted'));
    } catch {
      // already closed or errored
    }
    await this.pump.catch(() => undefined);
    await this.fh.close().catch(() => undefined);
    await rm(this.partial, { force: true }).catch(() => undefined);
  }

  /** Encoded bytes → file, awaiting each write so the encoder never runs ahead of the disk. */
  private async drain(output: ReadableStream<Uint8Array>): Promise<void> {
    try {
      for await (const chunk of output as unknown as AsyncIterable<Uint8Array>) {
        if (chunk.byteLength === 0) continue;
        this.hash?.update(chunk);
        try {
          await writeFully(this.fh, [chunk]);
        } catch (e) {
          throw fsError('cannot write shard', this.partial, e);
        }
        this.fileBytes += chunk.byteLength;
      }
    } catch (e) {
      this.failed =
        e instanceof Error && e.message.startsWith('chatshard')
          ? e
          : new Error(`chatshard write: Parquet encoder failed for ${this.partial}: ${errorText(e)}`);
      this.wake?.();
    }
  }
}
