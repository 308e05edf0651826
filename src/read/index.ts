import type { RawRow } from '../types.js';
import { splitLines } from './lines.js';
import { expandInputs, inputKind, openInput } from './sources.js';

export { splitLines } from './lines.js';
export { expandInputs, inputKind, openInput, STDIN, type InputKind } from './sources.js';
export { checkInputFile, formatOf, InputFormatError, type InputFormat } from './sniff.js';

export interface ReadOptions {
  /**
   * JSON parser for each row's text; defaults to JSON.parse. The render stage may supply one that
   * keeps `2.0` a float. Parquet / Arrow rows are turned into JSON text first, so it sees them too.
   */
  parse?: (text: string) => unknown;
  /** Sees the raw bytes read from each JSON-lines file (compressed size for gzip / zstd), for progress displays. */
  onBytes?: (n: number) => void;
  /** Rows before this input index are neither parsed nor yielded (Parquet row groups before it are not even decoded). */
  from?: number;
}

/** The Parquet / Arrow readers (Apache Arrow, parquet-wasm), loaded when a table input is met. */
async function tableReaders() {
  const [tables, rows] = await Promise.all([import('./tables.js'), import('./arrow-rows.js')]);
  return { ...tables, ...rows };
}

function readErrorOf(e: unknown): string {
  const reason = (e as NodeJS.ErrnoException).code === 'Z_BUF_ERROR' ? 'truncated gzip stream' : (e as Error).message;
  return `read error: ${reason}`;
}

/**
 * Stream rows from files / folders / globs / `-` (stdin): JSONL (`.gz`, `.zst`), Parquet, and
 * `datasets.save_to_disk` folders (Arrow IPC stream shards). Every non-blank line / table row becomes
 * exactly one RawRow carrying its file and line (for tables: 1-based row number in the file); rows
 * that cannot be decoded or parsed carry an `error` instead of a value, so nothing is silently lost.
 * A file that fails mid-way (e.g. a truncated gzip file) yields one final error row for that file.
 *
 * @example
 *   for await (const r of readRows(['data/train-00000-of-00001.parquet'])) console.log(r.ref, r.value);
 */
export async function* readRows(inputs: string[], opts: ReadOptions = {}): AsyncGenerator<RawRow> {
  const parse = opts.parse ?? JSON.parse;
  const from = opts.from ?? 0;
  const files = await expandInputs(inputs);
  let index = 0;
  for (const file of files) {
    const kind = inputKind(file);
    let lastLine = 0;
    try {
      if (kind === 'jsonl') {
        for await (const l of splitLines(openInput(file, opts.onBytes))) {
          lastLine = l.line;
          if (l.text !== undefined && l.text.trim() === '') continue;
          const ref = { file, line: l.line };
          const i = index++;
          if (i < from) continue;
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
        continue;
      }
      const { batchRowsAsJson, countTableRows, tableBatches } = await tableReaders();
      // Whole files before `from` are counted from their metadata, not read.
      if (index < from && kind === 'parquet') {
        const n = await countTableRows(file, kind);
        if (index + n <= from) {
          index += n;
          continue;
        }
      }
      const fileStart = index;
      for await (const { batch, firstRow } of tableBatches(file, kind, from - fileStart)) {
        index = fileStart + firstRow;
        lastLine = firstRow;
        if (index + batch.numRows <= from) {
          index += batch.numRows;
          lastLine += batch.numRows;
          continue;
        }
        for (const text of batchRowsAsJson(batch)) {
          const i = index++;
          const ref = { file, line: ++lastLine };
          if (i < from) continue;
          try {
            yield { ref, index: i, value: parse(text) };
          } catch (e) {
            yield { ref, index: i, error: `invalid JSON: ${(e as Error).message}` };
          }
        }
      }
    } catch (e) {
      yield { ref: { file, line: lastLine + 1 }, index: index++, error: readErrorOf(e) };
    }
  }
}

/** Rows of the inputs without parsing them (Parquet: from the footers; JSONL: non-blank lines). */
export async function countInputRows(inputs: string[]): Promise<number> {
  let n = 0;
  for (const file of await expandInputs(inputs)) {
    const kind = inputKind(file);
    if (kind === 'jsonl') {
      for await (const _ of readRows([file], { parse: () => null })) n++;
    } else {
      try {
        n += await (await tableReaders()).countTableRows(file, kind);
      } catch {
        n++; // read as one error row
      }
    }
  }
  return n;
}
