/**
 * Packing as a streaming transform: rows are taken in windows of `window` rows (TRL packs each
 * `datasets.map` batch of 1000 on its own) and each window is packed independently, so memory
 * is bounded by one window and the output order is deterministic.
 */
import type { ShapedRow } from '../types.js';
import { planBfd } from './bfd.js';
import { gatherBins } from './gather.js';
import { binLength, checkPackLength, type PackPlan } from './plan.js';
import { PackStats } from './stats.js';
import { planWrapped } from './wrapped.js';

export type PackingStrategy = 'bfd' | 'bfd_split' | 'wrapped';
export const PACKING_STRATEGIES: readonly PackingStrategy[] = ['bfd', 'bfd_split', 'wrapped'];
/** TRL packs per `datasets.map` batch, whose default size is 1000. */
export const DEFAULT_PACKING_WINDOW = 1000;

export interface PackOptions {
  strategy: PackingStrategy;
  /** Packed row length L. */
  maxLength: number;
  /** Rows per window (default 1000). */
  window?: number;
  /** Add a `position_ids` column restarting at every sequence. */
  positionIds?: boolean;
  /** Write `attention_mask` as segment ids 1, 2, 3, … per sequence. */
  segmentIds?: boolean;
}

export function planWindow(lengths: ArrayLike<number>, o: PackOptions): PackPlan {
  if (o.strategy === 'wrapped') return planWrapped(lengths, o.maxLength);
  if (o.strategy === 'bfd' || o.strategy === 'bfd_split')
    return planBfd(lengths, o.maxLength, o.strategy === 'bfd' ? 'truncate' : 'split');
  throw new Error(`unknown packing strategy ${JSON.stringify(o.strategy)} (bfd, bfd_split or wrapped)`);
}

/**
 * Pack one window of rows. `stats` (optional) collects bins, tokens and tokens dropped.
 * @example
 * packWindow(rows, { strategy: 'bfd', maxLength: 4096 }) // → packed rows with `packed.seqLengths`
 */
export function packWindow(rows: readonly ShapedRow[], o: PackOptions, stats?: PackStats): ShapedRow[] {
  if (rows.length === 0) return [];
  const lengths = new Int32Array(rows.length);
  for (let r = 0; r < rows.length; r++) lengths[r] = rows[r]!.inputIds.length;
  const plan = planWindow(lengths, o);
  const packed = gatherBins(
    rows,
    plan,
    { writeSeqLengths: o.strategy !== 'wrapped', positionIds: o.positionIds, segmentIds: o.segmentIds },
    rows[rows.length - 1]!.index,
  );
  if (stats) {
    stats.rows += rows.length;
    for (let r = 0; r < rows.length; r++) {
      stats.dropped += rows[r]!.truncated ?? 0;
      if (o.strategy === 'bfd') stats.dropped += Math.max(0, lengths[r]! - o.maxLength);
    }
    for (let b = 0; b < packed.length; b++) stats.addBin(binLength(plan, b), plan.binStart[b + 1]! - plan.binStart[b]!);
  }
  return packed;
}

/** Pack a row stream window by window. */
export async function* packStream(
  rows: AsyncIterable<ShapedRow>,
  o: PackOptions,
  stats?: PackStats,
): AsyncGenerator<ShapedRow> {
  checkPackLength(o.maxLength);
  const size = o.window ?? DEFAULT_PACKING_WINDOW;
  if (!Number.isInteger(size) || size < 1)
    throw new RangeError(`packing window must be a positive integer, got ${size}`);
  let window: ShapedRow[] = [];
  for await (const row of rows) {
    window.push(row);
    if (window.length === size) {
      const bins = packWindow(window, o, stats);
      window = []; // the window's rows can go while its packed rows are consumed
      yield* bins;
    }
  }
  if (window.length > 0) yield* packWindow(window, o, stats);
}
