/** Packing options of a run: validation and what the shape and write stages need to know. */
import { PACKING_STRATEGIES, type PackOptions } from '../pack/index.js';
import type { PipelineOptions } from './options.js';

/** The pack stage's options, or undefined for an unpacked run. Throws a plain Error naming the flag. */
export function packOptionsOf(o: PipelineOptions): PackOptions | undefined {
  if (!o.packing) {
    if (o.positionIds || o.segmentIds) throw new Error('--position-ids and --segment-ids need --packing');
    return undefined;
  }
  if (!PACKING_STRATEGIES.includes(o.packingStrategy))
    throw new Error(`--packing-strategy must be one of ${PACKING_STRATEGIES.join(', ')}, got ${o.packingStrategy}`);
  if (o.maxLength === undefined) throw new Error('--packing needs --max-length (the packed row length)');
  if (!Number.isInteger(o.packingWindow) || o.packingWindow < 1)
    throw new Error(`--packing-window must be a positive integer, got ${o.packingWindow}`);
  if (o.padding !== 'do_not_pad') throw new Error('--packing writes unpadded rows: use --padding do_not_pad');
  return {
    strategy: o.packingStrategy,
    maxLength: o.maxLength,
    window: o.packingWindow,
    positionIds: o.positionIds,
    segmentIds: o.segmentIds,
  };
}

/**
 * Rows are truncated before packing only for `bfd`, as an unpacked run with the same options would
 * (TRL's bfd then keeps the first L tokens); bfd_split and wrapped keep every token.
 */
export function truncatesBeforePacking(o: PipelineOptions): boolean {
  return !o.packing || o.packingStrategy === 'bfd';
}
