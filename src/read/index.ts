import type { RawRow } from '../types.js';
import { splitLines } from './lines.js';
import { expandInputs, openInput } from './sources.js';

export { splitLines } from './lines.js';
export { expandInputs, openInput, STDIN } from './sources.js';
export { checkInputFile, formatOf, InputFormatError, type InputFormat } from './sniff.js';

export interface ReadOptions {
  /** JSON parser; defaults to JSON.parse. The render stage may supply one that keeps `2.0` a float. */
  parse?: (text: string) => unknown;
  /** Sees the raw bytes read from each file (compressed size for gzip), for progress displays. */
  onBytes?: (n: number) => void;
}

/**
 * Stream JSONL rows from files / folders / globs / `-` (stdin), `.gz` included.
 * Every non-blank line becomes exactly one RawRow carrying its file and line number; lines that
 * cannot be decoded or parsed carry an `error` instead of a value, so nothing is silently lost.
 * A stream that fails mid-way (e.g. a truncated gzip file) yields one final error row for that file.
 */
export async function* readRows(inputs: string[], opts: ReadOptions = {}): AsyncGenerator<RawRow> {
  const parse = opts.parse ?? JSON.parse;
  const files = await expandInputs(inputs);
  let index = 0;
  for (const file of files) {
    let lastLine = 0;
    try {
      for await (const l of splitLines(openInput(file, opts.onBytes))) {
        lastLine = l.line;
        if (l.text !== undefined && l.text.trim() === '') continue;
        const ref = { file, line: l.line };
        const i = index++;
        if (l.error !== undefined) {
          yield { ref, index: i, error: l.error };
          continue;
        }
        try {
          yield { ref, index: i, value: parse(l.text!) };
        } catch (e) {
          yield { ref, index: i, error: `invalid JSON: ${(e as Error).message}` };
        }
      }
    } catch (e) {
      const reason =
        (e as NodeJS.ErrnoException).code === 'Z_BUF_ERROR' ? 'truncated gzip stream' : (e as Error).message;
      yield { ref: { file, line: lastLine + 1 }, index: index++, error: `read error: ${reason}` };
    }
  }
}
