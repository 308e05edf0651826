import type { Argv } from 'yargs';
import { runPipeline, RowError } from '../pipeline/run.js';
import { SetupError } from '../pipeline/setup.js';
import { shardFromEnv } from '../pipeline/shard.js';
import type { PipelineOptions } from '../pipeline/options.js';
import { buildOptions, readPipelineFile, UsageError } from './config.js';
import { progressBar } from './progress.js';

/** Flags of `chatshard run`, named after transformers' parameters. No yargs defaults: a pipeline file may set them. */
export function runFlags(y: Argv) {
  return y
    .option('input', {
      alias: 'i',
      type: 'string',
      array: true,
      describe: 'JSONL files, folders, globs, .jsonl.gz, or - for stdin',
    })
    .option('messages-field', {
      type: 'string',
      describe:
        'Row field with the message list (Axolotl field_messages) [default: messages, or ShareGPT conversations]',
    })
    .option('role-field', { type: 'string', describe: 'Message field with the role [default: role; ShareGPT from]' })
    .option('content-field', {
      type: 'string',
      describe: 'Message field with the content [default: content; ShareGPT value]',
    })
    .option('role-map', {
      type: 'string',
      describe: 'Role values to chat roles: human=user,bot=assistant or JSON (also Axolotl roles {"user":["human"]})',
    })
    .option('tools-field', { type: 'string', describe: 'Row field with the tool list [default: tools]' })
    .option('system', { type: 'string', describe: 'System prompt for rows without a system message' })
    .option('tokenizer', {
      alias: 't',
      type: 'string',
      describe: 'Folder with tokenizer.json + tokenizer_config.json, or a Hub id',
    })
    .option('output', { alias: 'o', type: 'string', describe: 'Output dataset folder' })
    .option('format', {
      choices: ['arrow', 'parquet'],
      describe: 'arrow: load_from_disk folder; parquet: data/train-*.parquet for load_dataset [default: arrow]',
    })
    .option('engine', {
      choices: ['auto', 'native', 'js'],
      describe:
        "Tokenizer engine: js (chatshard's own exact BPE), native (Rust tokenizers), auto (js when it supports the tokenizer, else native) [default: auto]",
    })
    .option('chat-template', {
      type: 'string',
      describe: 'Template file, template name (e.g. tool_use), or literal template text',
    })
    .option('template-kwargs', {
      type: 'string',
      describe: 'JSON object of extra template variables, e.g. \'{"enable_thinking":false}\'',
    })
    .option('add-generation-prompt', { type: 'boolean', describe: 'Append the generation prompt' })
    .option('continue-final-message', { type: 'boolean', describe: 'Leave the final message open (prefill)' })
    .option('now', { type: 'string', describe: 'Pin strftime_now to this ISO date for reproducible output' })
    .option('masks', {
      choices: ['auto', 'generation', 'infer', 'none'],
      describe:
        'Spans from {% generation %} tags, inferred, auto, or none (ids only, every token trained) [default: auto]',
    })
    .option('mask-rule', { choices: ['overlap', 'hf'], describe: 'overlap (default) or hf = transformers 5.x exactly' })
    .option('roles-to-train', {
      type: 'string',
      array: true,
      describe: 'Roles whose messages are trained [default: assistant]',
    })
    .option('train-on-eot', {
      choices: ['all', 'turn', 'last', 'none'],
      describe: 'Which end-of-turn markers are trained (infer mode) [default: turn]',
    })
    .option('last-turn-only', { type: 'boolean', describe: 'Train only the last trainable message' })
    .option('keep-empty', {
      type: 'boolean',
      describe: 'Keep rows with no trainable token (default: drop and count them)',
    })
    .option('labels', { type: 'boolean', describe: 'Write the labels column [default: true]' })
    .option('max-length', {
      type: 'number',
      describe: 'Maximum tokens per row (with --packing: the packed row length)',
    })
    .option('packing', { type: 'boolean', describe: "Pack rows into rows of --max-length tokens (TRL's pack_dataset)" })
    .option('packing-strategy', {
      choices: ['bfd', 'bfd_split', 'wrapped'],
      describe: 'bfd (truncate long rows), bfd_split (split them) or wrapped (cut every L) [default: bfd]',
    })
    .option('packing-window', { type: 'number', describe: 'Rows packed together at a time [default: 1000, as TRL]' })
    .option('position-ids', { type: 'boolean', describe: 'With --packing: write position_ids restarting per sequence' })
    .option('segment-ids', {
      type: 'boolean',
      describe: 'With --packing: attention_mask as segment ids 1, 2, 3, ... per sequence',
    })
    .option('truncation', { type: 'boolean', describe: 'Truncate rows longer than --max-length [default: true]' })
    .option('truncation-side', {
      choices: ['left', 'right'],
      describe: 'Side to cut [default: tokenizer config, else right]',
    })
    .option('padding', {
      choices: ['do_not_pad', 'longest', 'max_length'],
      describe: 'Padding strategy [default: do_not_pad]',
    })
    .option('padding-side', {
      choices: ['left', 'right'],
      describe: 'Side to pad [default: tokenizer config, else right]',
    })
    .option('pad-token', { type: 'string', describe: 'Pad token when the tokenizer has none (e.g. its eos token)' })
    .option('batch-size', { type: 'number', describe: 'Rows per padding group for --padding longest [default: 1000]' })
    .option('on-error', {
      choices: ['skip', 'fail'],
      describe: 'skip: reject bad rows to rejects.jsonl; fail: stop at the first [default: skip]',
    })
    .option('strict', { type: 'boolean', describe: 'Exit 1 when any row was rejected' })
    .option('overwrite', { type: 'boolean', describe: 'Replace an existing output dataset' })
    .option('resume', { type: 'boolean', describe: 'Continue an interrupted run from its last complete shard' })
    .option('workers', {
      type: 'number',
      describe: 'Render worker threads; 0 renders on the main thread [default: 0 with generation tags, else cores - 1]',
    })
    .option('num-shards', {
      type: 'number',
      describe: 'Split the input into N contiguous parts [default: SLURM_ARRAY_TASK_COUNT or 1]',
    })
    .option('shard-index', {
      type: 'number',
      describe: 'Which part this process writes [default: JOB_COMPLETION_INDEX / SLURM_ARRAY_TASK_ID or 0]',
    })
    .option('render-timeout-ms', { type: 'number', describe: 'Per-row render time limit [default: 10000]' })
    .option('max-render-chars', { type: 'number', describe: 'Per-row rendered size limit [default: 50000000]' })
    .option('progress', { type: 'boolean', describe: 'Progress bar on stderr (TTY only) [default: true]' });
}

const FLAG_KEYS = [
  'input',
  'tokenizer',
  'output',
  'format',
  'messagesField',
  'roleField',
  'contentField',
  'roleMap',
  'toolsField',
  'system',
  'engine',
  'chatTemplate',
  'templateKwargs',
  'addGenerationPrompt',
  'continueFinalMessage',
  'now',
  'masks',
  'maskRule',
  'rolesToTrain',
  'trainOnEot',
  'lastTurnOnly',
  'keepEmpty',
  'labels',
  'maxLength',
  'packing',
  'packingStrategy',
  'packingWindow',
  'positionIds',
  'segmentIds',
  'truncation',
  'truncationSide',
  'padding',
  'paddingSide',
  'padToken',
  'batchSize',
  'onError',
  'strict',
  'overwrite',
  'resume',
  'numShards',
  'shardIndex',
  'workers',
  'renderTimeoutMs',
  'maxRenderChars',
  'progress',
] as const;

/** Options from flags, a pipeline file and the environment (Kubernetes / Slurm shard variables). */
export function optionsFromArgs(args: Record<string, unknown>): PipelineOptions {
  const flags: Record<string, unknown> = {};
  for (const k of FLAG_KEYS) flags[k] = args[k];
  const file = typeof args.pipeline === 'string' ? readPipelineFile(args.pipeline) : {};
  const o = buildOptions(file, flags as Partial<PipelineOptions>);
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
