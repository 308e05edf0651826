import { stat } from 'node:fs/promises';
import { colorEnabled, inspectDataset, inspectInput, parseRows, type InspectOptions } from '../inspect/index.js';
import { SetupError } from '../pipeline/setup.js';
import { optionsOf } from '../options/table.js';
import { buildOptions, readPipelineFile, UsageError } from './config.js';
import { flagValues } from './flags.js';
import { DEFAULT_ROWS } from './inspect-flags.js';

/** Keys yargs may set when inspecting a dataset folder. */
const DATASET_KEYS = new Set(['_', '$0', 'dataset', 'rows', 'ids', 'html', 'tokenizer']);

/** Exit code: 0 when the rows were shown / the report written, 1 on a setup or read failure. */
export async function inspectCommand(args: Record<string, unknown>): Promise<number> {
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    // A closed pipe (`| head`) ends the program quietly.
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
  const html = typeof args.html === 'string' ? args.html : undefined;
  let range;
  try {
    range = parseRows(typeof args.rows === 'string' ? args.rows : html ? DEFAULT_ROWS.html : DEFAULT_ROWS.terminal);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (
    html &&
    (await stat(html).then(
      (s) => s.isDirectory(),
      () => false,
    ))
  ) {
    throw new UsageError(`--html ${html} is a folder; give a file name such as report.html`);
  }
  const opts: InspectOptions = {
    range,
    style: { color: colorEnabled(process.env, process.stdout.isTTY === true), ids: Boolean(args.ids) },
    write: (text) => writeOut(text),
  };
  if (html) opts.html = html;
  const dataset = typeof args.dataset === 'string' ? args.dataset : undefined;
  const direct = args.input !== undefined || args.pipeline !== undefined;
  if (dataset && direct) throw new UsageError('give either a DATASET folder or --input, not both');
  if (!dataset && !direct) throw new UsageError('give a DATASET folder, or --input with --tokenizer');
  try {
    if (dataset) {
      for (const [k, val] of Object.entries(args)) {
        if (val !== undefined && !DATASET_KEYS.has(k) && !k.includes('-') && k.length > 1) {
          throw new UsageError(`--${kebab(k)} applies to --input mode only; a dataset is shown as it was written`);
        }
      }
      const result = await inspectDataset(
        dataset,
        opts,
        typeof args.tokenizer === 'string' ? args.tokenizer : undefined,
      );
      report(result, html);
    } else {
      const file = typeof args.pipeline === 'string' ? readPipelineFile(args.pipeline) : {};
      // A pipeline file may carry run-only keys (output, shards, ...); inspect writes nothing, so they are ignored.
      const inspectable = Object.fromEntries(
        optionsOf('inspect').map(([k]) => [k, (file as Record<string, unknown>)[k]]),
      );
      const options = buildOptions(inspectable, flagValues(args, 'inspect'), {
        require: { input: true, tokenizer: true },
      });
      options.workers = 0;
      report(await inspectInput(options, opts), html);
    }
    return 0;
  } catch (e) {
    if (e instanceof UsageError) throw e;
    if (e instanceof SetupError) {
      process.stderr.write(`chatshard: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

const kebab = (k: string) => k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

function report(r: Awaited<ReturnType<typeof inspectDataset>>, html: string | undefined) {
  for (const w of r.warnings) process.stderr.write(`chatshard: warning: ${w}\n`);
  if (!html || !r.stats) return;
  const failing = r.stats.checks.filter((c) => c.status === 'fail');
  process.stderr.write(
    `chatshard: wrote ${html}: ${r.stats.rows} rows, ${r.shown} shown, ` +
      (failing.length === 0
        ? 'all template checks pass\n'
        : `${failing.length} check(s) failing: ${failing.map((c) => `${c.title} (${c.count} rows)`).join('; ')}\n`),
  );
}

/** Write to stdout with backpressure. */
function writeOut(text: string): Promise<void> | void {
  if (process.stdout.write(text)) return;
  return new Promise((resolve) => process.stdout.once('drain', resolve));
}
