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
