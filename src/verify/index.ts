/** Re-read a written dataset and check every invariant the write stage promises. */
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { checkFiles, checkSchema } from './files.js';
import { listColumn, openShard } from '../dataset/read.js';
import { checkPackedRow } from './packed.js';
import { checkBatchRow, type RowCheckState } from './rows.js';
import { RUN_METADATA_KEY } from '../write/fingerprint.js';

export { readDataset, countShardRows } from '../dataset/read.js';
export type { ReadRow } from '../dataset/read.js';

export interface VerifyReport {
  ok: boolean;
  rows: number;
  shards: number;
  errors: string[];
}

const MAX_ERRORS = 100;

/** The run fingerprint in a shard's `chatshard` schema metadata, or null. */
function runFingerprint(meta: string | undefined): string | null {
  if (!meta) return null;
  try {
    const fp = (JSON.parse(meta) as { fingerprint?: unknown }).fingerprint;
    return typeof fp === 'string' ? fp : null;
  } catch {
    return null;
  }
}

/** The IPC *file* format starts with ARROW1; datasets needs the stream format. */
async function isFileFormat(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const b = Buffer.alloc(6);
    await fh.read(b, 0, 6, 0);
    return b.toString('latin1') === 'ARROW1';
  } finally {
    await fh.close();
  }
}

export async function verifyDataset(dir: string): Promise<VerifyReport> {
  const errors: string[] = [];
  let dropped = 0;
  const push = (e: string) => (errors.length < MAX_ERRORS ? errors.push(e) : dropped++);
  const meta = await checkFiles(dir, errors);
  let rows = 0;
  if (meta) {
    const st: RowCheckState = {};
    /** Run fingerprint stamped in each shard (null: none), to check they all come from one run. */
    const runs = new Map<string, string | null>();
    for (const file of meta.files) {
      const path = join(dir, file);
      try {
        if (await isFileFormat(path)) push(`${file}: Arrow IPC file format, expected stream format`);
        const reader = await openShard(path);
        checkSchema(file, reader.schema, meta.layout).forEach(push);
        runs.set(file, runFingerprint(reader.schema.metadata.get(RUN_METADATA_KEY)));
        const packed = meta.layout.seqLengths || meta.layout.positionIds || meta.layout.segmentIds;
        for await (const batch of reader) {
          const ids = listColumn(batch, 'input_ids');
          let att = listColumn(batch, 'attention_mask');
          const asm = listColumn(batch, 'assistant_masks');
          const lab = listColumn(batch, 'labels');
          if (!ids || !att || !asm) break; // already reported by checkSchema
          const seg = meta.layout.segmentIds ? att : null;
          // Segment ids stand for "attended": the 0/1 checks below run on that view.
          if (seg) att = { ...seg, values: Int8Array.from(seg.values, (v) => (v > 0 ? 1 : 0)) };
          const seq = meta.layout.seqLengths ? listColumn(batch, 'seq_lengths') : null;
          const pos = meta.layout.positionIds ? listColumn(batch, 'position_ids') : null;
          for (let r = 0; r < batch.numRows; r++) {
            const where = `${file} row ${rows}`;
            checkBatchRow(r, where, { ids, att, asm, lab }, st).forEach(push);
            if (packed) checkPackedRow(r, where, { ids, seg, seq, pos }).forEach(push);
            rows++;
          }
        }
      } catch (e) {
        push(`${file}: cannot read: ${(e as Error).message}`);
      }
    }
    const distinct = [...new Set(runs.values())];
    if (distinct.length > 1) {
      const first = [...runs][0]!;
      const other = [...runs].find(([, fp]) => fp !== first[1])!;
      push(
        `shards come from different runs: ${first[0]} has run fingerprint ${first[1] ?? 'none'}, ` +
          `${other[0]} has ${other[1] ?? 'none'} (tokenizer, template or options differ)`,
      );
    }
  }
  if (dropped > 0) errors.push(`... and ${dropped} more errors`);
  return { ok: errors.length === 0, rows, shards: meta?.files.length ?? 0, errors };
}
