/**
 * Split a byte stream into lines on `\n` only (never on `\r`, U+2028 or U+2029, which are legal
 * inside JSON strings), decoding each line as strict UTF-8. Memory is bounded by the longest line.
 */
export interface Line {
  /** 1-based line number. */
  line: number;
  /** Decoded text without the trailing `\n` / `\r\n`; undefined when the bytes are not valid UTF-8. */
  text?: string;
  error?: string;
}

const NL = 0x0a;
const CR = 0x0d;

export async function* splitLines(chunks: AsyncIterable<Buffer | Uint8Array>): AsyncGenerator<Line> {
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  let pending: Buffer[] = [];
  let lineNo = 0;
  const emit = (parts: Buffer[]): Line => {
    lineNo++;
    let bytes = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    if (bytes.length > 0 && bytes[bytes.length - 1] === CR) bytes = bytes.subarray(0, bytes.length - 1);
    // A UTF-8 BOM is only meaningful at the start of a file.
    if (lineNo === 1 && bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
      bytes = bytes.subarray(3);
    }
    try {
      return { line: lineNo, text: decoder.decode(bytes) };
    } catch {
      return { line: lineNo, error: 'invalid UTF-8 bytes' };
    }
  };
  for await (const chunk of chunks) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let start = 0;
    for (let nl = buf.indexOf(NL, start); nl !== -1; nl = buf.indexOf(NL, start)) {
      pending.push(buf.subarray(start, nl));
      yield emit(pending);
      pending = [];
      start = nl + 1;
    }
    if (start < buf.length) pending.push(buf.subarray(start));
  }
  // Last line without a trailing newline is still a line.
  if (pending.some((p) => p.length > 0)) yield emit(pending);
}
