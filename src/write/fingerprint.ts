/** Dataset fingerprints: 16 hex chars like datasets' xxhash64 fingerprints. */
import { createHash, randomBytes } from 'node:crypto';

/**
 * Random unless a seed is given; with a seed the fingerprint is a hash of the seed and the
 * shard contents, so identical inputs+options reproduce it and any change alters it.
 */
export function makeFingerprint(seed: string | undefined, shardHashes: string[], labels: boolean): string {
  if (seed === undefined) return randomBytes(8).toString('hex');
  const h = createHash('sha256');
  h.update(JSON.stringify({ seed, labels, shards: shardHashes }));
  return h.digest('hex').slice(0, 16);
}

/**
 * What makes a run's rows what they are. `fingerprint` is shared by every part of one sharded job
 * (tokenizer, template, content options) and is stamped into each shard's schema metadata,
 * so `verify` and `merge` can tell shards of different runs apart; `parts` keeps the pieces by
 * name so a refused `--resume` can say which one changed.
 */
export interface RunIdentity {
  fingerprint: string;
  /** e.g. `{ tokenizer: sha256, template: sha256, options: sha256, input: sha256 }`. */
  parts: Record<string, string>;
  /** This process's part of a sharded job: [index, count]. */
  shard?: [number, number];
}

/** Schema metadata key holding `{ fingerprint, shard }` of the run that wrote a shard. */
export const RUN_METADATA_KEY = 'chatshard';

/**
 * Names of what differs between an interrupted run and the one resuming it (empty when equal).
 *
 * @example
 *   identityChanges({ fingerprint: 'a', parts: { tokenizer: 'x' } }, { fingerprint: 'b', parts: { tokenizer: 'y' } })
 *   // → ['tokenizer']
 */
export function identityChanges(prev: RunIdentity | undefined, now: RunIdentity | undefined): string[] {
  if (!prev && !now) return [];
  if (!prev || !now) return ['run fingerprint (one of the runs has none)'];
  const keys = [...new Set([...Object.keys(prev.parts), ...Object.keys(now.parts)])];
  const changed = keys.filter((k) => prev.parts[k] !== now.parts[k]);
  if (String(prev.shard ?? '') !== String(now.shard ?? '')) changed.push('shard index / count');
  if (changed.length === 0 && prev.fingerprint !== now.fingerprint) changed.push('fingerprint');
  return changed;
}
