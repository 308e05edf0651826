/**
 * The run's input rows, and the look at the input's start that types kept columns. Files are simply
 * read twice (the head, then this shard's range); stdin cannot be, so the rows the head look read
 * from it are kept and replayed to the run before the rest of the same stream.
 */
import { readRows } from '../read/index.js';
import { parsePyJson } from '../render/index.js';
import type { RawRow } from '../types.js';
import { sniffKinds, type KeptColumn } from './keep.js';

/** Rows already read from a stream that cannot be read again, and the rest of it. */
export interface Replay {
  rows: RawRow[];
  rest: AsyncIterator<RawRow>;
  /** Input bytes read so far (reported once the run's progress counter is attached). */
  bytes: number;
  onBytes?: (n: number) => void;
}

/**
 * Raw rows of this shard's range [from, to) (JSON left unparsed: workers parse it); with a replay,
 * its buffered rows first, then the rest of its stream.
 */
export async function* rawRows(
  input: string[],
  [from, to]: [number, number],
  onBytes?: (n: number) => void,
  replay?: Replay,
): AsyncGenerator<RawRow> {
  if (!replay) {
    for await (const raw of readRows(input, { parse: (text) => text, from, onBytes })) {
      if (raw.index >= to) break;
      yield raw;
    }
    return;
  }
  if (onBytes) onBytes(replay.bytes);
  replay.onBytes = onBytes;
  const rows = replay.rows;
  replay.rows = [];
  for (const raw of rows) {
    if (raw.index >= to) return;
    if (raw.index >= from) yield raw;
  }
  for (;;) {
    const next = await replay.rest.next();
    if (next.done || next.value.index >= to) return;
    if (next.value.index >= from) yield next.value;
  }
}

/** Parsed values of rows pulled from `source`, every row pulled kept in `into`; stopping never closes `source`. */
async function* buffered(source: AsyncIterator<RawRow>, into: RawRow[]): AsyncGenerator<unknown> {
  for (;;) {
    const next = await source.next();
    if (next.done) return;
    into.push(next.value);
    if (next.value.error !== undefined) continue;
    try {
      yield parsePyJson(next.value.value as string);
    } catch {
      // invalid JSON: the run rejects the row
    }
  }
}

/**
 * Type the kept columns from the start of the whole input (not this shard's range, so every part
 * of a sharded job agrees). With `replayable` (stdin), the input is opened once here and the rows
 * read are returned for the run to replay.
 *
 * @example
 *   const { columns, unseen } = await typeKeptColumns(['data.jsonl'], ['id', 'source'], false);
 */
export async function typeKeptColumns(
  input: string[],
  names: string[],
  replayable: boolean,
): Promise<{ columns: KeptColumn[]; unseen: string[]; replay?: Replay }> {
  if (!replayable) {
    const head = async function* () {
      for await (const raw of readRows(input, { parse: parsePyJson })) if (raw.error === undefined) yield raw.value;
    };
    return sniffKinds(head(), names);
  }
  const replay: Replay = { rows: [], rest: undefined as unknown as AsyncIterator<RawRow>, bytes: 0 };
  replay.rest = readRows(input, {
    parse: (text) => text,
    onBytes: (n) => (replay.onBytes ? replay.onBytes(n) : (replay.bytes += n)),
  });
  return { ...(await sniffKinds(buffered(replay.rest, replay.rows), names)), replay };
}
