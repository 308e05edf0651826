import { mergeDatasets } from '../write/index.js';
import { verifyDataset } from '../verify/index.js';
import { ensureOutputDir } from '../write/fsutil.js';

/** `chatshard verify DIR`: prints a JSON report; exit 1 when the dataset is inconsistent. */
export async function verifyCommand(dir: string): Promise<number> {
  const report = await verifyDataset(dir);
  process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  return report.ok ? 0 : 1;
}

/** `chatshard merge PARTS… --output OUT`. */
export async function mergeCommand(parts: string[], output: string, overwrite: boolean): Promise<number> {
  await ensureOutputDir(output);
  // A fixed seed makes the merged fingerprint a hash of the parts' fingerprints (reproducible) instead of random.
  const result = await mergeDatasets(parts, output, { overwrite, fingerprintSeed: 'chatshard merge' });
  process.stdout.write(
    JSON.stringify(
      {
        ok: true,
        output: result.outDir,
        rows: result.rows,
        shards: result.shards.length,
        fingerprint: result.fingerprint,
      },
      null,
      2,
    ) + '\n',
  );
  return 0;
}
