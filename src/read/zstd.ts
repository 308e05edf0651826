/**
 * Zstandard decompression for `.zst` inputs. Node's own `zlib.createZstdDecompress` (Node ≥ 22.15 /
 * 23.8) is used when present; on older Node (20 is supported) fzstd, a maintained pure-JS decoder
 * that streams, so `.jsonl.zst` works on every supported Node version.
 */
import { Readable } from 'node:stream';
import * as zlib from 'node:zlib';
import { Decompress } from 'fzstd';

type ZstdFactory = () => NodeJS.ReadWriteStream;
const nativeZstd = (zlib as unknown as { createZstdDecompress?: ZstdFactory }).createZstdDecompress;

/**
 * Decompress a zstd byte stream chunk by chunk (memory bounded by one chunk's output). A stream cut
 * short throws `truncated zstd stream`.
 *
 * @example
 *   for await (const bytes of zstdDecompress(createReadStream('chats.jsonl.zst'))) lines.push(bytes);
 */
export async function* zstdDecompress(chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  if (nativeZstd) {
    const z = nativeZstd() as NodeJS.ReadWriteStream & { destroy(e?: Error): void };
    const source = Readable.from(chunks);
    source.on('error', (e: Error) => z.destroy(e));
    source.pipe(z);
    try {
      for await (const out of z as AsyncIterable<Buffer>) yield out;
    } catch (e) {
      throw new Error(`truncated or corrupt zstd stream (${(e as Error).message})`);
    }
    return;
  }
  let pending: Buffer[] = [];
  // Copied: the decoder may reuse its window buffer for later output.
  const d = new Decompress((chunk) => pending.push(Buffer.from(chunk)));
  const take = () => {
    const p = pending;
    pending = [];
    return p;
  };
  try {
    for await (const c of chunks) {
      d.push(c);
      yield* take();
    }
    d.push(new Uint8Array(0), true);
  } catch (e) {
    yield* take();
    const msg = (e as Error).message;
    throw new Error(msg === 'unexpected EOF' ? 'truncated zstd stream' : `corrupt zstd stream (${msg})`);
  }
  yield* take();
}
