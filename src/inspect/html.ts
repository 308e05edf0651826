/** The self-contained HTML report: a dataset view (statistics, checks) and a row view (token by token). */
import type { PackSummary } from '../pack/index.js';
import { escapeHtml } from './escape.js';
import { CSS, JS } from './html-assets.js';
import type { Check, DatasetStats } from './stats.js';
import { barChart, lengthBars } from './svg.js';
import type { RowView, TokenView } from './view.js';

export interface ReportMeta {
  /** What was inspected: the dataset folder, or the input files. */
  source: string;
  mode: 'dataset' | 'input';
  tokenizer: string;
  template?: string;
  maskSource?: string;
  /** The rows the row view shows, as given to `--rows`. */
  range: string;
  /** The run's summary figures, when the dataset has a summary.json. */
  summary?: { rows_in: number; rows_written: number; rows_rejected: number };
  /** The run's packing figures (summary.json `packing`), when it packed. */
  packing?: PackSummary;
  /** Warnings to show at the top (tokenizer differs from the recorded one, …). */
  warnings: string[];
}

const num = (n: number) => n.toLocaleString('en-US');
const pct = (a: number, b: number) => (b > 0 ? `${((100 * a) / b).toFixed(1)}%` : '—');

const NEWLINE = /\n/g;

/**
 * Token `i` is the special token right after a trained run that does not itself end in a special token
 * (optionally followed by one whitespace token): the end of turn left untrained, as `unmaskedTurnEnd`.
 */
function endsTrainedRun(toks: readonly TokenView[], i: number): boolean {
  const prev = toks[i - 1];
  if (!prev || prev.mask !== 1) return false;
  const before = toks[i - 2];
  return !prev.special && !(before && before.mask === 1 && before.special);
}

/** Failing checks of one row, for its header chips and the "only failing rows" filter. */
export function rowFailures(view: RowView, checks: readonly Check[]): string[] {
  const f = view.facts;
  const out: string[] = [];
  const on = (id: Check['id']) => checks.find((c) => c.id === id)?.status !== 'na';
  if (f.untrainedTurnEnd !== undefined && on('eot')) out.push('eot');
  if (f.trained === 0 && on('empty')) out.push('empty');
  if (f.trainedHeader && on('header')) out.push('header');
  if (f.trainedOutsideRoles > 0 && on('roles')) out.push('roles');
  if (f.labelMismatches > 0 && on('labels')) out.push('labels');
  return out;
}

/**
 * One row's element: `data-row` on the row, and per token `data-id`, `data-mask` (and `data-label` when
 * the dataset has labels). Role badges (`.rb`, no `data-id`) open each detected turn.
 *
 * @example
 * rowHtml(view, ['eot']); // '<article class="row" data-row="0" id="row-0" data-fail="eot">…'
 */
export function rowHtml(view: RowView, failures: readonly string[]): string {
  const f = view.facts;
  const where = view.ref ? ` · ${escapeHtml(view.ref.file)}:${view.ref.line}` : '';
  const chips = failures.map((c) => `<span class="chip">${c}</span>`).join('');
  const parts: string[] = [
    `<article class="row" data-row="${view.index}" id="row-${view.index}"${failures.length ? ` data-fail="${failures.join(' ')}"` : ''}>`,
    `<h3>row ${view.index}${where} · ${num(f.tokens)} tokens · ${num(f.trained)} trained (${pct(f.trained, f.tokens)})${chips}</h3><div class="toks">`,
  ];
  let mark = 0;
  const toks = view.tokens;
  for (let i = 0; i < toks.length; i++) {
    while (mark < view.marks.length && view.marks[mark]!.at === i) {
      const role = escapeHtml(view.marks[mark]!.role);
      parts.push(`<span class="rb" data-role="${role}">${role}</span>`);
      mark++;
    }
    const t = toks[i]!;
    const cls: string[] = [];
    if (t.mask === 1) cls.push('m');
    if (t.special) cls.push('s');
    if (t.pad) cls.push('p');
    if (t.special && t.mask === 0 && !t.pad && endsTrainedRun(toks, i)) cls.push('x');
    // Labels are written only where they are not what the mask implies (the labels check counts those).
    const derived = t.mask === 1 ? t.id : -100;
    const label = t.label !== undefined && t.label !== derived ? ` data-label="${t.label}"` : '';
    const text = t.pad ? ` data-text="${escapeHtml(t.text)}"` : '';
    const c = cls.length ? ` class="${cls.join(' ')}"` : '';
    parts.push(
      `<span data-id="${t.id}" data-mask="${t.mask}"${label}${text}${c}>${t.pad ? '' : escapeHtml(t.text).replace(NEWLINE, '<i></i>\n')}</span>`,
    );
  }
  parts.push('</div></article>\n');
  return parts.join('');
}

function card(value: string, label: string, title = ''): string {
  return `<div class="card"${title ? ` title="${escapeHtml(title)}"` : ''}><b>${value}</b><span>${escapeHtml(label)}</span></div>`;
}

function examplesHtml(rows: readonly number[], shown: ReadonlySet<number>, total: number): string {
  if (rows.length === 0) return '';
  const links = rows.map((r) => (shown.has(r) ? `<a href="#row-${r}">${r}</a>` : `${r}`)).join(', ');
  return `rows ${links}${total > rows.length ? ', …' : ''}`;
}

function checksHtml(
  checks: readonly Check[],
  shown: ReadonlySet<number>,
  stats: DatasetStats,
  tokenName: (id: number) => string,
): string {
  const rows = checks.map((c) => {
    let note = c.note ? `<div class="detail">${escapeHtml(c.note)}</div>` : '';
    if (c.id === 'eot' && stats.untrainedTurnEnds.length > 0) {
      const names = stats.untrainedTurnEnds.map(([id, n]) => `${tokenName(id)} (${num(n)} rows)`).join(', ');
      note += `<div class="detail">untrained token: ${escapeHtml(names)}</div>`;
    }
    const examples =
      c.id === 'infer'
        ? c.count > 0
          ? `input rows ${c.examples.join(', ')}${c.count > c.examples.length ? ', …' : ''}`
          : ''
        : examplesHtml(c.examples, shown, c.count);
    const label = c.status === 'pass' ? 'PASS' : c.status === 'fail' ? 'FAIL' : 'N/A';
    return (
      `<tr data-check="${c.id}" data-status="${c.status}"><td><span class="status ${c.status}">${label}</span></td>` +
      `<td><b>${escapeHtml(c.title)}</b><div class="detail">${escapeHtml(c.detail)}</div>${note}</td>` +
      `<td class="num">${c.status === 'na' ? '—' : num(c.count)}</td><td>${examples}</td></tr>`
    );
  });
  return `<table class="checks"><thead><tr><th></th><th>check (all rows)</th><th class="num">rows failing</th><th>examples</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function rolesHtml(stats: DatasetStats): string {
  if (stats.roles.length === 0) return '<p class="note">No rows.</p>';
  const body = stats.roles
    .map(
      (r) =>
        `<tr data-role="${escapeHtml(r.role)}"><td>${escapeHtml(r.role)}</td><td class="num">${num(r.rows)}</td><td class="num">${num(r.tokens)}</td>` +
        `<td class="num">${num(r.trained)}</td><td class="num">${pct(r.trained, r.tokens)}</td><td class="num">${pct(r.trained, stats.trained)}</td></tr>`,
    )
    .join('');
  return (
    `<table class="roles"><thead><tr><th>role</th><th class="num">rows</th><th class="num">tokens</th><th class="num">trained</th><th class="num">trained share of role</th><th class="num">share of all trained</th></tr></thead><tbody>${body}</tbody></table>` +
    '<p class="note">Roles are read from the role headers in the token ids (a special token naming a role, or a special token followed by a role word, e.g. <code>&lt;|im_start|&gt;assistant</code>); a turn runs from its header to the next header, so header and end-of-turn tokens count under their turn. Tokens before the first header, or in templates that write roles as plain text, count as <code>(none)</code>.</p>'
  );
}

function rejectedHtml(stats: DatasetStats, meta: ReportMeta): string {
  const r = stats.rejected;
  if (r.total === 0)
    return `<p class="note">No rows were dropped${meta.mode === 'input' ? ' in the inspected range' : ''}.</p>`;
  const body = r.byReason
    .map(([k, v]) => `<tr data-reason="${escapeHtml(k)}"><td>${escapeHtml(k)}</td><td class="num">${num(v)}</td></tr>`)
    .join('');
  const ex = r.examples
    .map(
      (e) =>
        `<li><code>${escapeHtml(e.ref.file)}:${e.ref.line}</code> (input row ${e.index}) ${escapeHtml(e.reason)}: ${escapeHtml(e.message.slice(0, 300))}</li>`,
    )
    .join('');
  return `<table class="rejected"><thead><tr><th>reason</th><th class="num">rows dropped</th></tr></thead><tbody>${body}</tbody></table>${ex ? `<ul class="note">${ex}</ul>` : ''}`;
}

function packingHtml(stats: DatasetStats, run: PackSummary | undefined): string {
  const p = stats.packing;
  if (!p && !run) return '';
  let out = '<h2>Packing</h2><div class="cards">';
  if (run) {
    out +=
      card(escapeHtml(run.strategy), 'strategy (summary.json)') +
      card(num(run.rows_packed), 'input rows packed') +
      card(num(run.tokens_dropped), 'tokens dropped by truncation') +
      card(`${num(run.shortest_bin)} – ${num(run.longest_bin)}`, 'bin lengths');
  }
  if (p) {
    out +=
      card(num(p.bins), 'bins (rows)') +
      card(num(p.sequences), 'sequences') +
      card(`${(100 * p.fill).toFixed(1)}%`, `fill ratio (tokens / (bins × ${num(p.capacity)}))`) +
      card((p.sequences / Math.max(1, p.bins)).toFixed(2), 'sequences per bin (mean)');
  } else if (run) {
    out += card(`${(100 * run.fill_ratio).toFixed(1)}%`, 'fill ratio (summary.json)');
  }
  out += '</div>';
  if (!p)
    return (
      out + '<p class="note">No seq_lengths column (wrapped packing writes none): sequences per bin are not known.</p>'
    );
  const bars = p.sequencesPerBin.map(([k, v]) => ({
    label: String(k),
    value: v,
    title: `${k} sequence${k === 1 ? '' : 's'}: ${v} bins`,
  }));
  return out + '<h2>Sequences per bin</h2>' + barChart(bars, { yLabel: 'bins' });
}

/**
 * The whole page. `rows` are the rendered row elements (only the selected rows), `shown` their indices.
 *
 * @example
 * const html = reportHtml(meta, stats, rowsHtml, new Set([0, 1]), (id) => engine.idToToken(id) ?? String(id));
 */
export function reportHtml(
  meta: ReportMeta,
  stats: DatasetStats,
  rows: readonly string[],
  shown: ReadonlySet<number>,
  tokenName: (id: number) => string,
): string {
  const title = `chatshard inspect · ${meta.source}`;
  const failing = stats.checks.filter((c) => c.status === 'fail').length;
  const scope = meta.mode === 'input' ? `input rows ${meta.range}` : 'all rows';
  const info = [
    `${meta.mode === 'dataset' ? 'dataset' : 'input'} ${meta.source}`,
    `tokenizer ${meta.tokenizer}`,
    meta.template ? `template ${meta.template}` : '',
    meta.maskSource ? `masks from ${meta.maskSource === 'infer' ? 'inference' : '{% generation %} tags'}` : '',
  ].filter(Boolean);
  const warnings = meta.warnings.map((w) => `<p class="note" style="color:var(--fail)">${escapeHtml(w)}</p>`).join('');
  const lengthNote =
    stats.atMaxLength !== undefined
      ? card(
          num(stats.atMaxLength),
          'rows at --max-length',
          'Rows whose length reached --max-length: truncated, or exactly that long (a dataset does not record which).',
        )
      : '';
  const summary = meta.summary
    ? card(num(meta.summary.rows_in), 'input rows (summary.json)') +
      card(num(meta.summary.rows_rejected), 'rows dropped')
    : card(num(stats.rejected.total), 'rows dropped');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title><style>${CSS}</style></head>
<body>
<header><h1>chatshard inspect</h1><p class="meta">${info.map(escapeHtml).join(' · ')}</p>${warnings}
<nav><a href="#dataset">Dataset</a><a href="#checks">Checks (${failing} failing)</a><a href="#rows">Rows ${escapeHtml(meta.range)}</a></nav></header>
<main>
<section id="dataset"><h2>Dataset (${escapeHtml(scope)})</h2><div class="cards">
${card(num(stats.rows), 'rows')}${card(num(stats.tokens), 'tokens (without padding)')}${card(num(stats.trained), 'trained tokens')}${card(pct(stats.trained, stats.tokens), 'trained share')}${stats.storedTokens !== stats.tokens ? card(num(stats.storedTokens - stats.tokens), 'padding tokens') : ''}${summary}${lengthNote}
</div>
<h2 id="checks">Template checks</h2>${checksHtml(stats.checks, shown, stats, tokenName)}
<h2>Row lengths (tokens without padding; ${num(stats.minLength)} – ${num(stats.maxLength)})</h2>${barChart(lengthBars(stats.lengths), { yLabel: 'rows' })}
<h2>Trained tokens by role</h2>${rolesHtml(stats)}
<h2>Dropped rows</h2>${rejectedHtml(stats, meta)}
${packingHtml(stats, meta.packing)}
</section>
<section id="rows"><h2>Rows ${escapeHtml(meta.range)} (${num(rows.length)} shown)</h2>
<p class="legend"><span data-k class="m">trained</span> <span data-k>not trained</span> <span data-k class="s">special token</span> <span data-k class="p">padding</span> <span data-k class="x">end of turn left untrained</span> <span class="rb" data-role="assistant">role</span> header. Hover a token for its id, mask, label and role.</p>
<div class="controls"><label><input type="checkbox" id="show-ids"> show token ids</label><label><input type="checkbox" id="only-failing"> only rows failing a check</label></div>
${rows.join('')}</section>
</main>
<div id="tip" hidden></div>
<script>${JS}</script>
</body></html>
`;
}
