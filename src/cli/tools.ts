import { existsSync } from 'node:fs';
import { verifyDataset } from '../verify/index.js';
import { mergeRuns } from '../pipeline/merge.js';

/** `chatshard verify DIR`: prints a JSON report; exit 1 when the dataset is inconsistent. */
export async function verifyCommand(dir: string): Promise<number> {
  if (!existsSync(dir)) {
    process.stderr.write(`chatshard: verify: ${dir}: no such folder\n`);
    return 1;
  }
  const report = await verifyDataset(dir);
  process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  return report.ok ? 0 : 1;
}

/** `chatshard merge PARTS… --output OUT`: prints the merged summary (also written to OUT/summary.json). */
export async function mergeCommand(parts: string[], output: string, overwrite: boolean): Promise<number> {
  const summary = await mergeRuns(parts, output, { overwrite });
  process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
  return 0;
}
