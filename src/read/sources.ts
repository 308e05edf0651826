import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { glob } from 'tinyglobby';
import { zstdDecompress } from './zstd.js';

import { STDIN } from './stdin.js';

export { STDIN };

const FOLDER_PATTERN = '**/*.{jsonl,jsonl.gz,jsonl.zst,json.gz,ndjson,ndjson.gz,ndjson.zst,parquet}';

/** How a file's rows are stored: JSON lines (plain, gzip or zstd), Parquet, or an Arrow IPC stream. */
export type InputKind = 'jsonl' | 'parquet' | 'arrow';

/** Kind of an input file, from its name (`.parquet`, `.arrow`; anything else is read as JSON lines). */
export function inputKind(file: string): InputKind {
  if (file.endsWith('.parquet')) return 'parquet';
  if (file.endsWith('.arrow')) return 'arrow';
  return 'jsonl';
}

/**
 * The shards of a `datasets.save_to_disk` folder, in order (state.json `_data_files`), or null when
 * the folder is not one. A DatasetDict folder (dataset_dict.json) names its splits in the error.
 */
async function saveToDiskShards(dir: string): Promise<string[] | null> {
  const dict = await readFile(join(dir, 'dataset_dict.json'), 'utf8').catch(() => null);
  if (dict !== null) {
    let splits = '';
    try {
      splits = ((JSON.parse(dict) as { splits?: string[] }).splits ?? []).map((s) => join(dir, s)).join(', ');
    } catch {
      // name no splits
    }
    throw new Error(`${dir}: a DatasetDict folder; give one split folder${splits ? ` (${splits})` : ''}`);
  }
  const text = await readFile(join(dir, 'state.json'), 'utf8').catch(() => null);
  if (text === null) return null;
  let files: unknown;
  try {
    files = (JSON.parse(text) as { _data_files?: unknown })._data_files;
  } catch (e) {
    throw new Error(`${join(dir, 'state.json')}: ${(e as Error).message}`);
  }
  if (!Array.isArray(files) || files.some((f) => typeof (f as { filename?: unknown })?.filename !== 'string'))
    throw new Error(`${join(dir, 'state.json')}: no _data_files list (not a datasets.save_to_disk folder?)`);
  return files.map((f) => join(dir, (f as { filename: string }).filename));
}

/**
 * Expand CLI inputs (files, folders, glob patterns, `-` for stdin) into an ordered list of
 * files. A `save_to_disk` folder (state.json) gives its Arrow shards in order; other folders are
 * searched recursively for JSONL (`.gz`, `.zst`) and Parquet files. Every list is sorted so the
 * row order (and therefore the output) is deterministic.
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
      const shards = await saveToDiskShards(input);
      if (shards) {
        files.push(...shards);
        continue;
      }
      const found = await glob(FOLDER_PATTERN, { cwd: input, absolute: false, onlyFiles: true });
      if (found.length === 0)
        throw new Error(`${input}: folder contains no .jsonl / .jsonl.gz / .jsonl.zst / .parquet files`);
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
 * Open one input as a byte stream, decompressing gzip and zstd data (recognised by their magic
 * bytes, whatever the file is called). `onBytes` sees the raw (compressed) bytes as they are read,
 * for progress.
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
  const magic = (...bytes: number[]) => head.length >= bytes.length && bytes.every((b, i) => head[i] === b);
  if (magic(0x28, 0xb5, 0x2f, 0xfd)) {
    yield* zstdDecompress(counted());
    return;
  }
  if (!magic(0x1f, 0x8b)) {
    yield* counted();
    return;
  }
  const src = Readable.from(counted(), { objectMode: false });
  const gunzip = createGunzip();
  src.on('error', (e: Error) => gunzip.destroy(e));
  yield* src.pipe(gunzip) as AsyncIterable<Buffer>;
}
