#!/usr/bin/env node
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { addFlags } from './flags.js';
import { inspectFlags } from './inspect-flags.js';
import { cliWording, UsageError } from './config.js';
import { STDIN } from '../read/stdin.js';
import { VERSION } from '../version.js';
import { withSuggestions } from './suggest.js';

const ENVIRONMENT =
  'Environment: CHATSHARD_CACHE_DIR (tables built from tokenizer.json, reused by later runs; default ' +
  '~/.cache/chatshard), CHATSHARD_NO_CACHE=1 (no such cache; --cache-dir overrides both); HF_HOME / HF_HUB_CACHE, HF_TOKEN, ' +
  'HF_HUB_OFFLINE=1 for Hub tokenizers, as in Python.';

// Each command's module (and the stages it needs) is loaded when that command runs: `--help`,
// `verify` or `render` do not pay for the writer, the inspect report or the tokenizer engines.

/**
 * yargs renders the whole help text right after a command's handler starts, in case the handler
 * shows it later; for `run`'s 50 flags that is ~0.1 s of text-width work on every run. chatshard's
 * handlers never show help (`--help` itself is rendered separately and unchanged), so skip it.
 */
function skipHelpCache(cli: Argv): void {
  type Usage = { cacheHelpMessage?: () => void };
  const internal = (cli as unknown as { getInternalMethods?: () => { getUsageInstance?: () => Usage } })
    .getInternalMethods;
  const usage = typeof internal === 'function' ? internal.call(cli).getUsageInstance?.() : undefined;
  if (usage && typeof usage.cacheHelpMessage === 'function') usage.cacheHelpMessage = () => {};
}

/** Exit codes: 0 ok, 1 failed rows (strict / on-error fail) or failed run, 2 usage. */
async function main(argv: string[]): Promise<number> {
  let code = 0;
  const cli = yargs(argv)
    .scriptName('chatshard')
    .usage('$0 <command> [options]\n\nChat conversations (JSONL) → chat template → masked tokens → Arrow dataset.')
    .command(
      'run [pipeline]',
      'Run the pipeline: JSONL in, a datasets.load_from_disk folder out',
      (y: Argv) =>
        addFlags(y, 'run')
          .positional('pipeline', {
            type: 'string',
            describe: 'Pipeline JSON file (keys as the flags); flags override it',
          })
          .example('$0 run pipeline/default.json', 'Run the embedded sample pipeline')
          .example(
            '$0 run --input data/*.jsonl --tokenizer ./qwen --output out/ds --max-length 4096',
            "Tokenize with the tokenizer folder's own chat template",
          )
          .example(
            '$0 run --input chats.jsonl.gz --tokenizer Qwen/Qwen2.5-7B-Instruct --chat-template train.jinja --mask-rule hf --output out/hf',
            'Masks exactly as transformers 5.x return_assistant_tokens_mask',
          )
          .example(
            'cat rows.jsonl | $0 run --input - --tokenizer ./tok --output out/x --padding longest --batch-size 8',
            'Read stdin',
          )
          .epilogue(ENVIRONMENT),
      async (args) => {
        code = await (await import('./run.js')).runCommand(args as Record<string, unknown>);
      },
    )
    .command(
      'render',
      'Render conversation rows (JSONL files or stdin) to {rendered, generation_spans, error} lines, for previewing templates',
      (y: Argv) =>
        addFlags(y, 'render')
          // Render-only and not a pipeline-file key, so not in the option table.
          .option('text', {
            type: 'boolean',
            default: false,
            describe:
              'Print the rendered text itself (as print(apply_chat_template(tokenize=False))), one row after another; errors go to stderr',
          })
          .example(
            'echo \'{"messages":[{"role":"user","content":"hi"}]}\' | $0 render --tokenizer samples/tokenizer',
            'Preview one row',
          )
          .example(
            'echo \'{"messages":[{"role":"user","content":"hi"}]}\' | $0 render --tokenizer samples/tokenizer --text',
            'Print the prompt text',
          ),
      async (args) => {
        code = await (await import('./render.js')).renderCommand(args as Record<string, unknown>);
      },
    )
    .command(
      'inspect [dataset]',
      'Show what is trained, token by token: a dataset chatshard wrote, or --input rows run like `run` (--html writes a report)',
      (y: Argv) =>
        inspectFlags(y)
          .example('$0 inspect out/sample --rows 0:3', 'Rows 0-2 in the terminal, trained tokens coloured')
          .example(
            '$0 inspect out/sample --html report.html',
            'Dataset statistics, template checks and rows 0-99 as one page',
          )
          .example(
            '$0 inspect --input chats.jsonl --tokenizer ./tok --chat-template train.jinja --rows 5 --ids',
            'The first 5 input rows through render → tokenize → mask, with (id, label) per token',
          ),
      async (args) => {
        code = await (await import('./inspect.js')).inspectCommand(args as Record<string, unknown>);
      },
    )
    .command(
      'verify <dir>',
      'Re-read a dataset and check schema, lengths, padding, masks and labels',
      (y: Argv) => y.positional('dir', { type: 'string', demandOption: true }).example('$0 verify out/sample', ''),
      async (args) => {
        code = await (await import('./tools.js')).verifyCommand(String(args.dir));
      },
    )
    .command(
      'merge <parts..>',
      'Concatenate datasets written by --shard-index runs into one dataset (in the given order)',
      (y: Argv) =>
        y
          .positional('parts', { type: 'string', array: true, demandOption: true })
          .option('output', { type: 'string', demandOption: true, describe: 'Merged dataset folder' })
          .option('overwrite', { type: 'boolean', default: false })
          .example('$0 merge out/part-0 out/part-1 --output out/all', ''),
      async (args) => {
        const { mergeCommand } = await import('./tools.js');
        code = await mergeCommand((args.parts as string[]).map(String), String(args.output), Boolean(args.overwrite));
      },
    )
    .demandCommand(1, 'Give a command: run, render, inspect, verify or merge')
    .epilogue(ENVIRONMENT)
    .strict()
    .help()
    .alias('h', 'help')
    .version(VERSION)
    .recommendCommands()
    .wrap(Math.min(110, process.stdout.columns || 110))
    .fail((msg, err) => {
      // recommendCommands reports only the suggestion: say what was wrong first.
      if (!err && /^Did you mean/.test(msg)) throw new UsageError(`unknown command "${argv[0]}". ${msg}`);
      throw err ?? new UsageError(withSuggestions(msg, cli));
    });
  skipHelpCache(cli);
  try {
    await cli.parseAsync();
  } catch (e) {
    if (e instanceof UsageError || (e as Error).name === 'YError') {
      process.stderr.write(`chatshard: ${(e as Error).message}\nRun chatshard --help for usage.\n`);
      return 2;
    }
    // Stage errors already name themselves ("chatshard write: …"); don't repeat the prefix.
    process.stderr.write(`chatshard: ${cliWording((e as Error).message.replace(/^chatshard:?\s*/, ''))}\n`);
    return 1;
  }
  return code;
}

// yargs reads a lone `-` as an empty flag; pass stdin through under the reader's own name for it.
main(hideBin(process.argv).map((a) => (a === '-' ? STDIN : a))).then((code) => {
  process.exitCode = code;
});
