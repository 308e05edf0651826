import type { Argv } from 'yargs';
import { runPipeline, RowError } from '../pipeline/run.js';
import { SetupError } from '../pipeline/setup.js';
import { shardFromEnv } from '../pipeline/shard.js';
import type { PipelineOptions } from '../pipeline/options.js';
import { packOptionsOf } from '../pipeline/packing.js';
import { buildOptions, readPipelineFile, UsageError } from './config.js';
import { addFlags, flagValues } from './flags.js';
import { progressBar } from './progress.js';

/** Flags of `chatshard run`, generated from the option table. */
export function runFlags<T>(y: Argv<T>): Argv<T> {
  return addFlags(y, 'run');
}

/** Options from flags, a pipeline file and the environment (Kubernetes / Slurm shard variables). */
export function optionsFromArgs(args: Record<string, unknown>): PipelineOptions {
  const flags = flagValues(args, 'run');
  const file = typeof args.pipeline === 'string' ? readPipelineFile(args.pipeline) : {};
  const o = buildOptions(file, flags as Partial<PipelineOptions>);
  try {
    packOptionsOf(o);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  try {
    Object.assign(
      o,
      shardFromEnv(
        (flags.numShards as number | undefined) ?? file.numShards,
        (flags.shardIndex as number | undefined) ?? file.shardIndex,
      ),
    );
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (args.progress === undefined && file.progress === undefined) o.progress = true;
  return o;
}

export async function runCommand(args: Record<string, unknown>): Promise<number> {
  const o = optionsFromArgs(args);
  const bar = progressBar(o.progress);
  try {
    const summary = await runPipeline(o, {
      onProgress: (s, total) => bar.update(s, total),
      onNotice: (m) => process.stderr.write(`chatshard: ${m}\n`),
    });
    bar.done();
    process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
    for (const w of summary.warnings) process.stderr.write(`chatshard: warning: ${w}\n`);
    if (summary.rows_rejected > 0) {
      process.stderr.write(
        `chatshard: ${summary.rows_rejected} of ${summary.rows_in} rows rejected (see ${summary.output}/rejects.jsonl)\n`,
      );
    }
    return summary.ok ? 0 : 1;
  } catch (e) {
    bar.done();
    if (e instanceof RowError || e instanceof SetupError) {
      process.stderr.write(`chatshard: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}
