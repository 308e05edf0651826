import { runPipeline, RowError, RunInterrupted } from '../pipeline/run.js';
import { SetupError } from '../pipeline/setup.js';
import { shardFromEnv } from '../pipeline/shard.js';
import type { PipelineOptions } from '../pipeline/options.js';
import { packOptionsOf } from '../pipeline/packing.js';
import { buildOptions, cliWording, readPipelineFile, UsageError } from './config.js';
import { flagValues } from './flags.js';
import { humanSummary, progressReporter } from './progress.js';

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

/** The command line to continue an interrupted run: the same arguments with --resume (and without --overwrite). */
export function resumeCommand(argv: string[]): string {
  const quote = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
  const args = argv.filter((a) => a !== '--overwrite' && a !== '--no-resume');
  if (!args.includes('--resume')) args.push('--resume');
  return ['chatshard', ...args.map(quote)].join(' ');
}

export async function runCommand(args: Record<string, unknown>): Promise<number> {
  const o = optionsFromArgs(args);
  const json = Boolean(args.json);
  const bar = progressReporter(o.progress);
  // SIGINT/SIGTERM: stop after the current batch, keeping complete shards; a second signal quits at once.
  const ac = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    if (ac.signal.aborted) process.exit(sig === 'SIGINT' ? 130 : 143);
    ac.abort(sig);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const summary = await runPipeline(o, {
      onProgress: (s, total) => bar.update(s, total),
      onNotice: (m) => {
        bar.done();
        process.stderr.write(`chatshard: ${cliWording(m)}\n`);
      },
      signal: ac.signal,
    });
    bar.done();
    if (json) {
      process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
      for (const w of summary.warnings) process.stderr.write(`chatshard: warning: ${cliWording(w)}\n`);
      if (summary.failure) process.stderr.write(`chatshard: failed: ${cliWording(summary.failure)}\n`);
    } else {
      const lines = humanSummary(summary).map(cliWording);
      process.stdout.write(lines.map((l) => `chatshard: ${l}\n`).join(''));
    }
    return summary.ok ? 0 : 1;
  } catch (e) {
    bar.done();
    if (e instanceof RunInterrupted) {
      const sig = String(ac.signal.reason ?? 'SIGINT');
      process.stderr.write(
        `chatshard: interrupted (${sig}); ${e.keptRows} rows in complete shards are kept in ${e.output}; ` +
          `continue with: ${resumeCommand(process.argv.slice(2))}\n`,
      );
      return sig === 'SIGTERM' ? 143 : 130;
    }
    if (e instanceof SetupError && e.usage) throw new UsageError(cliWording(e.message));
    if (e instanceof RowError || e instanceof SetupError) {
      process.stderr.write(`chatshard: ${cliWording(e.message)}\n`);
      return 1;
    }
    throw e;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
