/**
 * `chatshard inspect`: what the model will learn, token by token (terminal) and for a whole dataset
 * (HTML report). Rows come from a dataset folder chatshard wrote, or straight from input rows run
 * through the same render → tokenize → mask → shape functions as `chatshard run`.
 */
import { writeFile } from 'node:fs/promises';
import type { PipelineOptions } from '../pipeline/options.js';
import { packOptionsOf } from '../pipeline/packing.js';
import { SetupError, setupRun } from '../pipeline/setup.js';
import { loadTokenizer, type LoadedTokenizer } from '../tokenize/index.js';
import { addedTokens } from './added.js';
import { analyzeRow } from './analyze.js';
import { reportHtml, rowFailures, rowHtml, type ReportMeta } from './html.js';
import { formatRange, inRange, type RowRange } from './range.js';
import { RoleReader } from './roles.js';
import { datasetRows, inputRows, readRejects, readSummary, type InspectItem } from './source.js';
import { StatsAccumulator, type DatasetStats, type StatsContext } from './stats.js';
import { formatReject, formatRow, type TerminalStyle } from './terminal.js';
import { rowView } from './view.js';

export { parseRows, type RowRange } from './range.js';
export { colorEnabled, formatRow, type TerminalStyle } from './terminal.js';
export { tokenPieces } from './tokens.js';
export { datasetRows, type InspectRow } from './source.js';
export type { DatasetStats, Check } from './stats.js';

export interface InspectOptions {
  /** Rows to show (terminal) or render in the row view (HTML). */
  range: RowRange;
  /** Write the HTML report here instead of printing rows. */
  html?: string;
  style: TerminalStyle;
  /** Where terminal text goes (awaited, for backpressure). */
  write: (text: string) => unknown;
}

export interface InspectResult {
  /** Rows printed or rendered. */
  shown: number;
  /** Statistics of the HTML report (all dataset rows, or the inspected input rows). */
  stats?: DatasetStats;
  warnings: string[];
}

/** What turning rows into views needs, whichever the source. */
interface Viewer {
  tokenizer: LoadedTokenizer;
  special: Map<number, string>;
  roles: RoleReader;
  trainedRoles: Set<string>;
  /** Decoded text of single token ids (see tokenPieces). */
  pieces: Map<number, string>;
}

async function viewer(tokenizer: LoadedTokenizer, rolesToTrain: readonly string[]): Promise<Viewer> {
  const { special, all } = await addedTokens(tokenizer);
  return {
    tokenizer,
    special,
    roles: new RoleReader(special, tokenizer.engine, all),
    trainedRoles: new Set(rolesToTrain),
    pieces: new Map(),
  };
}

/**
 * One pass over the items: statistics for every row when writing HTML, views for the rows in range.
 * Terminal output stops reading after the range.
 */
async function consume(
  items: AsyncIterable<InspectItem>,
  v: Viewer,
  opts: InspectOptions,
  statsCtx: StatsContext,
  show: (index: number) => boolean,
): Promise<{ rows: string[]; shown: Set<number>; acc: StatsAccumulator }> {
  const acc = new StatsAccumulator(statsCtx);
  const rows: string[] = [];
  const shown = new Set<number>();
  const pending: { view: ReturnType<typeof rowView> }[] = [];
  for await (const item of items) {
    if (!item.ok) {
      acc.reject(item.reject);
      if (!opts.html && show(item.reject.index)) await opts.write(formatReject(item.reject, opts.style));
      continue;
    }
    const row = item.row;
    const facts = analyzeRow(row, v.roles, v.special, v.trainedRoles);
    acc.row(row, facts);
    if (!show(row.index)) continue;
    const view = rowView(row, facts, v.tokenizer.engine, v.special, v.pieces);
    shown.add(row.index);
    if (opts.html) pending.push({ view });
    else await opts.write(formatRow(view, opts.style));
  }
  // Row chips need to know which checks apply; those are final only after the pass.
  const checks = acc.finish().checks;
  for (const { view } of pending) rows.push(rowHtml(view, rowFailures(view, checks)));
  return { rows, shown, acc };
}

async function writeReport(path: string, meta: ReportMeta, v: Viewer, r: Awaited<ReturnType<typeof consume>>) {
  const stats = r.acc.finish();
  const name = (id: number) => v.special.get(id) ?? v.tokenizer.engine.idToToken(id) ?? String(id);
  await writeFile(path, reportHtml(meta, stats, r.rows, r.shown, name));
  return stats;
}

/**
 * Inspect a dataset folder chatshard wrote. The tokenizer is the one its summary.json records unless
 * `tokenizer` is given. With `html`, one streaming pass computes the statistics over all rows and only
 * rows in `range` are rendered; otherwise rows in `range` are printed and reading stops there.
 *
 * @example
 * await inspectDataset('out/sample', { range: [0, 3], style: { color: false, ids: false }, write: (s) => process.stdout.write(s) });
 */
export async function inspectDataset(dir: string, opts: InspectOptions, tokenizer?: string): Promise<InspectResult> {
  const summary = await readSummary(dir);
  const source = tokenizer ?? summary?.tokenizer?.source;
  if (!source) throw new Error(`${dir} has no summary.json naming its tokenizer: pass --tokenizer`);
  let tk: LoadedTokenizer;
  try {
    tk = await loadTokenizer(source, { engine: 'native' });
  } catch (e) {
    const hint = tokenizer ? '' : ' (recorded in summary.json; pass --tokenizer to use another path)';
    throw new Error(`cannot load tokenizer ${source}${hint}: ${(e as Error).message}`);
  }
  const warnings: string[] = [];
  if (summary?.tokenizer?.sha256 && summary.tokenizer.sha256 !== tk.sha256) {
    warnings.push(
      `tokenizer ${source} differs from the one that wrote the dataset (sha256 ${tk.sha256.slice(0, 12)}… vs ${summary.tokenizer.sha256.slice(0, 12)}…): token texts may be wrong`,
    );
  }
  const o = (summary?.options ?? {}) as Partial<PipelineOptions>;
  const v = await viewer(tk, o.rolesToTrain ?? ['assistant']);
  const statsCtx: StatsContext = {
    ...(o.maxLength !== undefined && o.truncation !== false && !o.packing ? { maxLength: o.maxLength } : {}),
    ...(o.packing && o.maxLength !== undefined ? { packLength: o.maxLength } : {}),
    ...(summary?.template?.mask_source ? { inferred: summary.template.mask_source === 'infer' } : {}),
    ...(summary?.rejected_by_reason ? { summaryRejected: summary.rejected_by_reason } : {}),
  };
  const items = (async function* (): AsyncGenerator<InspectItem> {
    for await (const row of datasetRows(dir, opts.html ? Infinity : opts.range[1])) yield { ok: true, row };
    if (opts.html) for await (const reject of readRejects(dir)) yield { ok: false, reject };
  })();
  const r = await consume(items, v, opts, statsCtx, (i) => inRange(i, opts.range));
  if (!opts.html) return { shown: r.shown.size, warnings };
  const meta: ReportMeta = {
    source: dir,
    mode: 'dataset',
    tokenizer: source,
    range: formatRange(opts.range),
    warnings,
    ...(summary?.template ? { template: summary.template.name, maskSource: summary.template.mask_source } : {}),
    ...(summary ? { summary } : {}),
    ...(summary?.packing ? { packing: summary.packing } : {}),
  };
  return { shown: r.shown.size, stats: await writeReport(opts.html, meta, v, r), warnings };
}

/**
 * Inspect input rows directly: rows in `range` go through `chatshard run`'s own render → tokenize →
 * mask → shape functions with `options`, and nothing is written but the report.
 *
 * @example
 * await inspectInput(pipelineOptions({}, { input: ['chats.jsonl'], tokenizer: './tok', output: '-' }), { range: [0, 5], … });
 */
export async function inspectInput(options: PipelineOptions, opts: InspectOptions): Promise<InspectResult> {
  try {
    packOptionsOf(options);
  } catch (e) {
    throw new SetupError((e as Error).message);
  }
  const setup = await setupRun(options);
  const v = await viewer(setup.tokenizer, options.rolesToTrain);
  const statsCtx: StatsContext = {
    ...(options.maxLength !== undefined && options.truncation && !options.packing
      ? { maxLength: options.maxLength }
      : {}),
    ...(options.packing && options.maxLength !== undefined ? { packLength: options.maxLength } : {}),
    inferred: setup.maskSource === 'infer',
  };
  // The range was applied when reading (packed rows are numbered from 0): show everything that comes.
  const r = await consume(inputRows(setup, opts.range), v, opts, statsCtx, () => true);
  if (!opts.html) return { shown: r.shown.size, warnings: [] };
  const meta: ReportMeta = {
    source: options.input.join(', '),
    mode: 'input',
    tokenizer: options.tokenizer,
    template: setup.templateName,
    maskSource: setup.maskSource,
    range: formatRange(opts.range),
    warnings: [],
  };
  return { shown: r.shown.size, stats: await writeReport(opts.html, meta, v, r), warnings: [] };
}
