import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { stat } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { glob } from 'tinyglobby';

/** Name used in error messages for standard input. */
export const STDIN = '<stdin>';

const JSONL_PATTERN = '**/*.{jsonl,jsonl.gz,json.gz,ndjson,ndjson.gz}';

/**
 * Expand CLI inputs (files, folders, glob patterns, `-` for stdin) into an ordered list of
 * files. Folders are searched recursively for JSONL files; every list is sorted so the row
 * order (and therefore the output) is deterministic.
 */
export async function expandInputs(inputs: string[]): Promise<string[]> {
  const files: string[] = [];
  for (const input of inputs) {
    if (input === '-' || input === STDIN) {
      files.push(STDIN);
      continue;
    }
    const info = await stat(input).catch(() => undefined);
    if (info?.isFile()) {
      files.push(input);
    } else if (info?.isDirectory()) {
      const found = await glob(JSONL_PATTERN, { cwd: input, absolute: false, onlyFiles: true });
      if (found.length === 0) throw new Error(`${input}: folder contains no .jsonl / .jsonl.gz files`);
      files.push(...found.sort().map((f) => `${input.replace(/\/+$/, '')}/${f}`));
    } else {
      const found = await glob(input, { onlyFiles: true });
      if (found.length === 0) throw new Error(`${input}: no such file, folder or matching glob`);
      files.push(...found.sort());
    }
  }
  return files;
}

/**
 * Open one input as a byte stream, gunzipping gzip data (recognised by its magic bytes, whatever
 * the file is called). `onBytes` sees the raw (compressed) bytes as they are read, for progress.
 */
export async function* openInput(file: string, onBytes?: (n: number) => void): AsyncGenerator<Buffer> {
  const raw = file === STDIN ? process.stdin : createReadStream(file, { highWaterMark: 1 << 20 });
  const it = (raw as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  const first = await it.next();
  if (first.done) return;
  const head = first.value;
  async function* counted(): AsyncGenerator<Buffer> {
    onBytes?.(head.length);
    yield head;
    for (let n = await it.next(); !n.done; n = await it.next()) {
      onBytes?.(n.value.length);
      yield n.value;
    }
  }
  if (!(head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b)) {
    yield* counted();
    return;
  }
  const src = Readable.from(counted(), { objectMode: false });
  const gunzip = createGunzip();
  src.on('error', (e: Error) => gunzip.destroy(e));
  yield* src.pipe(gunzip) as AsyncIterable<Buffer>;
}
