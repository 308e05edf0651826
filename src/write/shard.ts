/**
 * One Arrow IPC *stream* file being written. Bytes go to a temporary `.partial` file and
 * only get their final (temporary-dir) name after fsync, so a crash never leaves a
 * truncated shard under a name the resume manifest could trust.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { AsyncByteQueue, RecordBatchStreamWriter, util, type RecordBatch, type Schema } from '../arrow.js';
import { fsError } from './fsutil.js';

/** Sink that just collects the writer's chunks so we can write them with backpressure. */
class ChunkSink extends AsyncByteQueue {
  chunks: Uint8Array[] = [];
  override write(value: Uint8Array | ArrayBufferView | ArrayBuffer): void {
    const u8 =
      value instanceof Uint8Array
        ? value
        : ArrayBuffer.isView(value)
          ? new Uint8Array(value.buffer, value.byteOffset, value.byteLength)
          : new Uint8Array(value as ArrayBuffer);
    if (u8.byteLength > 0) this.chunks.push(u8);
  }
  take(): Uint8Array[] {
    const c = this.chunks;
    this.chunks = [];
    return c;
  }
}

/**
 * One shard being written, whatever the file format: batches in, a finished file under its final
 * (work-area) name out. `bytes` is what counts towards the shard size limit.
 */
export interface ShardSink {
  readonly path: string;
  rows: number;
  bytes: number;
  write(batch: RecordBatch): Promise<void>;
  finish(): Promise<ShardInfo>;
  abort(): Promise<void>;
}

export interface ShardInfo {
  /** Final file path (inside the temporary directory). */
  path: string;
  rows: number;
  /** Size of the finished file. */
  bytes: number;
  sha256?: string;
}

/** sha256 of a finished file, for shards written before hashing was needed. */
export async function hashFile(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

export class ShardWriter implements ShardSink {
  rows = 0;
  bytes = 0;
  private readonly sink = new ChunkSink();
  private readonly writer = new RecordBatchStreamWriter();
  /** Only hashed when a fingerprint is derived from content: hashing costs ~1/3 of write time. */
  private readonly hash: Hash | null;

  private constructor(
    readonly path: string,
    private readonly partial: string,
    private readonly fh: FileHandle,
    private readonly schema: Schema,
    hash: boolean,
  ) {
    this.hash = hash ? createHash('sha256') : null;
  }

  static async create(path: string, schema: Schema, hash: boolean): Promise<ShardWriter> {
    const partial = path + '.partial';
    let fh: FileHandle;
    try {
      fh = await open(partial, 'w');
    } catch (e) {
      throw fsError('cannot create shard', partial, e);
    }
    const w = new ShardWriter(path, partial, fh, schema, hash);
    w.writer.reset(w.sink, schema); // emits the schema message
    await w.flush();
    return w;
  }

  async write(batch: RecordBatch): Promise<void> {
    // The Arrow writer silently closes itself on a schema change; never let that happen.
    if (!util.compareSchemas(this.schema, batch.schema))
      throw new Error('chatshard write: record batch schema differs from the shard schema');
    this.writer.write(batch);
    this.rows += batch.numRows;
    await this.flush();
  }

  /** Write the end-of-stream marker, fsync and give the shard its final name. */
  async finish(): Promise<ShardInfo> {
    this.writer.close();
    await this.flush();
    await sealShard(this.fh, this.partial, this.path);
    return { path: this.path, rows: this.rows, bytes: this.bytes, sha256: this.hash?.digest('hex') };
  }

  /** Drop the partial file (after an error). Never throws. */
  async abort(): Promise<void> {
    await this.fh.close().catch(() => undefined);
    await rm(this.partial, { force: true }).catch(() => undefined);
  }

  /** Await each write so a slow disk throttles the producer instead of buffering in memory. */
  private async flush(): Promise<void> {
    const chunks = this.sink.take();
    if (chunks.length === 0) return;
    if (this.hash) for (const c of chunks) this.hash.update(c);
    try {
      await writeFully(this.fh, chunks);
    } catch (e) {
      throw fsError('cannot write shard', this.partial, e);
    }
    for (const c of chunks) this.bytes += c.byteLength;
  }
}

/** writev may write partially; continue until every byte is on its way to disk. */
export async function writeFully(fh: FileHandle, chunks: Uint8Array[]): Promise<void> {
  let pending = chunks;
  while (pending.length > 0) {
    const total = pending.reduce((s, c) => s + c.byteLength, 0);
    const { bytesWritten } = await fh.writev(pending);
    if (bytesWritten >= total) return;
    if (bytesWritten === 0) throw new Error('short write (0 bytes)');
    let skip = bytesWritten;
    const rest: Uint8Array[] = [];
    for (const c of pending) {
      if (skip >= c.byteLength) {
        skip -= c.byteLength;
        continue;
      }
      rest.push(skip > 0 ? c.subarray(skip) : c);
      skip = 0;
    }
    pending = rest;
  }
}

/** fsync and close a finished `.partial` shard, then give it its final name (both shard formats). */
export async function sealShard(fh: FileHandle, partial: string, path: string): Promise<void> {
  try {
    await fh.sync();
    await fh.close();
    await rename(partial, path);
  } catch (e) {
    throw fsError('cannot finish shard', partial, e);
  }
}
