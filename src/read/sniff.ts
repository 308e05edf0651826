/**
 * Recognise what an input file is from its first bytes, so a JSON array, a pretty-printed JSON
 * file or a Parquet file gets one clear message instead of thousands of `invalid_json` rows.
 */
import { open } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';

export type InputFormat = 'jsonl' | 'gzip' | 'json-array' | 'json-pretty' | 'parquet' | 'arrow' | 'zstd' | 'empty';

/** An input that is not JSONL (named format, with what to do about it). */
export class InputFormatError extends Error {
  override name = 'InputFormatError';
  constructor(
    readonly file: string,
    readonly format: InputFormat,
    hint: string,
  ) {
    super(`${file}: ${hint}`);
  }
}

const HEAD_BYTES = 64 * 1024;

const isGzip = (b: Uint8Array) => b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;

/**
 * Classify the first bytes of a file (gzip members are looked into).
 *
 * @example
 *   formatOf(Buffer.from('[{"messages": []}]'))   // → 'json-array'
 *   formatOf(Buffer.from('{"messages": []}\n'))   // → 'jsonl'
 */
export function formatOf(head: Uint8Array): InputFormat {
  if (head.length >= 4 && Buffer.from(head.subarray(0, 4)).toString('latin1') === 'PAR1') return 'parquet';
  if (head.length >= 6 && Buffer.from(head.subarray(0, 6)).toString('latin1') === 'ARROW1') return 'arrow';
  if (head.length >= 4 && head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return 'zstd';
  if (isGzip(head)) return 'gzip';
  let text = Buffer.from(head).toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const start = text.search(/\S/);
  if (start < 0) return 'empty';
  const nl = text.indexOf('\n', start);
  if (text[start] === '[') {
    // `[1,2]` followed by more lines is JSONL with a bad row (reported per row); an array that does
    // not end on its line, or one line holding an array of objects, is a JSON array file.
    const line = (nl >= 0 ? text.slice(start, nl) : text.slice(start)).trim();
    const rest = nl >= 0 ? text.slice(nl + 1).trim() : '';
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      return 'json-array';
    }
    const objects = Array.isArray(value) && value.length > 0 && value.every((v) => v !== null && typeof v === 'object');
    return rest === '' && objects ? 'json-array' : 'jsonl';
  }
  // A first line that is an object but not a whole JSON value: one object spread over lines.
  if (text[start] === '{' && nl >= 0) {
    const first = text.slice(start, nl).trim();
    try {
      JSON.parse(first);
    } catch {
      if (first === '{' || /^\{\s*"[^"]*"\s*:\s*(\{|\[)?\s*$/.test(first)) return 'json-pretty';
    }
  }
  return 'jsonl';
}

/** First bytes of a file, decompressed when it is gzip (whatever its name). */
async function headOf(path: string): Promise<{ raw: Buffer; inner?: Buffer }> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(HEAD_BYTES);
    const { bytesRead } = await fh.read(buf, 0, HEAD_BYTES, 0);
    const raw = buf.subarray(0, bytesRead);
    if (!isGzip(raw)) return { raw };
    let inner: Buffer | undefined;
    try {
      inner = gunzipSync(raw, { finishFlush: 2 /* Z_SYNC_FLUSH: a prefix is enough */ });
    } catch {
      inner = undefined;
    }
    return { raw, inner };
  } finally {
    await fh.close();
  }
}

const HINTS: Partial<Record<InputFormat, string>> = {
  'json-array':
    "is one JSON array, not JSON Lines (one conversation per line); convert it with: jq -c '.[]' FILE > FILE.jsonl",
  'json-pretty':
    'is pretty-printed JSON (one object spread over many lines), not JSON Lines; convert it with: jq -c . FILE > FILE.jsonl',
  parquet: 'is a Parquet file named like JSON Lines; give it a .parquet name to read it as Parquet',
  arrow: 'is an Arrow file named like JSON Lines; give it a .arrow name to read it as Arrow',
};

/**
 * Check a file read as JSON Lines (any name but `.parquet` / `.arrow`): throws InputFormatError
 * naming its real format when it is not JSON Lines. Returns whether it is gzip-compressed (read
 * as such whatever its name); zstd data is read too, and not looked into here.
 */
export async function checkInputFile(path: string): Promise<{ gzip: boolean }> {
  const { raw, inner } = await headOf(path);
  let fmt = formatOf(raw);
  const gzip = fmt === 'gzip';
  if (gzip && inner) fmt = formatOf(inner);
  const hint = HINTS[fmt];
  if (hint) throw new InputFormatError(path, fmt, hint.replaceAll('FILE', path) + (gzip ? ' (after gunzip)' : ''));
  return { gzip };
}
