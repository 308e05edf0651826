/**
 * Progress manifest of an unfinished write (`OUT/.chatshard-tmp/progress.json`). It lists
 * only fsynced, renamed shards, so whatever it names can be trusted on resume.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { MANIFEST, TMP_DIR, type OutputFormat } from '../dataset/layout.js';
import { writeFileAtomic } from './fsutil.js';
import type { RunIdentity } from './fingerprint.js';

export interface ManifestShard {
  file: string;
  rows: number;
  bytes: number;
  /** Present when the run derives its fingerprint from content. */
  sha256?: string;
  /** ShapedRow.index of the first and last row in the shard (-1 when empty). */
  firstIndex: number;
  lastIndex: number;
  /** Rows of the shard that truncation shortened, and the tokens it cut (for a resumed run's summary). */
  truncatedRows?: number;
  truncatedTokens?: number;
}

export interface Manifest {
  version: 1;
  labels: boolean;
  /** The run that wrote the shards; a resume with a different one is refused. */
  run?: RunIdentity;
  /** Absent in manifests written before Parquet output existed: arrow. */
  format?: OutputFormat;
  /** Column names, recorded for packed runs (whose columns depend on more than labels). */
  columns?: string[];
  shards: ManifestShard[];
}

export const manifestPath = (outDir: string) => join(outDir, TMP_DIR, MANIFEST);

export async function saveManifest(outDir: string, m: Manifest): Promise<void> {
  await writeFileAtomic(manifestPath(outDir), JSON.stringify(m, null, 2) + '\n');
}

/**
 * Load the manifest, keeping the longest prefix of shards whose files still exist with
 * the recorded size (a later shard is useless without the ones before it).
 */
export async function loadManifest(outDir: string): Promise<Manifest | null> {
  let text: string;
  try {
    text = await readFile(manifestPath(outDir), 'utf8');
  } catch {
    return null;
  }
  let m: Manifest;
  try {
    m = JSON.parse(text) as Manifest;
  } catch {
    return null; // never half-written (atomic rename), so this is foreign junk: start over
  }
  if (m?.version !== 1 || !Array.isArray(m.shards)) return null;
  const kept: ManifestShard[] = [];
  for (const s of m.shards) {
    const size = await stat(join(outDir, TMP_DIR, s.file)).then(
      (st) => st.size,
      () => -1,
    );
    if (size !== s.bytes) break;
    kept.push(s);
  }
  const out: Manifest = { version: 1, labels: m.labels !== false, format: m.format ?? 'arrow', shards: kept };
  if (Array.isArray(m.columns)) out.columns = m.columns.map(String);
  if (m.run) out.run = m.run;
  return out;
}

/** Rows covered by the manifest and the first input index not yet written. */
export function resumePointOf(m: Manifest): { rows: number; nextIndex: number } {
  const rows = m.shards.reduce((s, x) => s + x.rows, 0);
  let nextIndex = 0;
  for (const s of m.shards) if (s.lastIndex >= 0) nextIndex = s.lastIndex + 1;
  return { rows, nextIndex };
}

/** Where an interrupted run stopped, or null when there is nothing to resume. */
export async function readResumePoint(outDir: string): Promise<{ rows: number; nextIndex: number } | null> {
  const m = await loadManifest(outDir);
  return m && m.shards.length > 0 ? resumePointOf(m) : null;
}
