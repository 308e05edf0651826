/** Dataset statistics and template checks, accumulated in one streaming pass (memory independent of row count). */
import type { RejectedRow } from '../types.js';
import type { RowFacts } from './analyze.js';
import type { InspectRow } from './source.js';

/** Example rows kept per check. */
const EXAMPLES = 20;

export interface Check {
  id: 'eot' | 'empty' | 'infer' | 'header' | 'roles' | 'labels';
  title: string;
  /** What the check looks at, in a sentence (shown in the report). */
  detail: string;
  /** `na` when it does not apply to this dataset (e.g. masks from generation tags for the infer check). */
  status: 'pass' | 'fail' | 'na';
  count: number;
  examples: number[];
  note?: string;
}

export interface RoleStats {
  role: string;
  tokens: number;
  trained: number;
  rows: number;
}

export interface PackingStats {
  bins: number;
  sequences: number;
  sequenceTokens: number;
  /** Tokens a bin holds (`--max-length`), or the longest row when the summary does not say. */
  capacity: number;
  fill: number;
  /** Bins by number of sequences in them. */
  sequencesPerBin: [sequences: number, bins: number][];
}

export interface DatasetStats {
  rows: number;
  tokens: number;
  trained: number;
  /** Row lengths with padding (what is stored). */
  storedTokens: number;
  minLength: number;
  maxLength: number;
  /** Rows by attended length, sorted by length. */
  lengths: [length: number, rows: number][];
  roles: RoleStats[];
  /** Rows whose attended length reached `--max-length` (truncated, or exactly that long); undefined when unknown. */
  atMaxLength?: number;
  rejected: { total: number; byReason: [reason: string, rows: number][]; examples: RejectedRow[] };
  checks: Check[];
  packing?: PackingStats;
  /** Special token ids left untrained after a trained run, with row counts (for naming them). */
  untrainedTurnEnds: [id: number, rows: number][];
}

export interface StatsContext {
  /** `--max-length` of the run that wrote the dataset (or of the direct run), when rows were truncated to it. */
  maxLength?: number;
  /** Packed row length (`--max-length` with `--packing`): the bin capacity of the fill ratio. */
  packLength?: number;
  /** Whether the masks were inferred (mask_source `infer`); undefined when unknown. */
  inferred?: boolean;
  /** Rejections already counted by the run's summary, by reason (rejects.jsonl may be absent). */
  summaryRejected?: Record<string, number>;
}

function bump<K>(m: Map<K, number>, k: K, by = 1) {
  m.set(k, (m.get(k) ?? 0) + by);
}

/**
 * Accumulates statistics row by row; `finish()` returns the report figures.
 *
 * @example
 * const acc = new StatsAccumulator({ maxLength: 4096, inferred: false });
 * for await (const row of datasetRows(dir)) acc.row(row, analyzeRow(row, roles, special, trainedRoles));
 * for await (const r of readRejects(dir)) acc.reject(r);
 * const stats = acc.finish();
 */
export class StatsAccumulator {
  private rows = 0;
  private tokens = 0;
  private trained = 0;
  private stored = 0;
  private readonly lengths = new Map<number, number>();
  private readonly roles = new Map<string, RoleStats>();
  private atMax = 0;
  private readonly rejectCounts = new Map<string, number>();
  private readonly rejectExamples = new Map<string, RejectedRow[]>();
  private readonly fails = new Map<Check['id'], { count: number; examples: number[] }>();
  private readonly eotIds = new Map<number, number>();
  private withLabels = 0;
  private bins = 0;
  private sequences = 0;
  private seqTokens = 0;
  private longestRow = 0;
  private readonly perBin = new Map<number, number>();

  constructor(private readonly ctx: StatsContext) {}

  private fail(id: Check['id'], row: number) {
    let f = this.fails.get(id);
    if (!f) this.fails.set(id, (f = { count: 0, examples: [] }));
    f.count++;
    if (f.examples.length < EXAMPLES) f.examples.push(row);
  }

  row(row: InspectRow, facts: RowFacts): void {
    this.rows++;
    this.tokens += facts.tokens;
    this.trained += facts.trained;
    this.stored += row.inputIds.length;
    this.longestRow = Math.max(this.longestRow, row.inputIds.length);
    bump(this.lengths, facts.tokens);
    if (this.ctx.maxLength !== undefined && facts.tokens >= this.ctx.maxLength) this.atMax++;
    for (const [role, c] of facts.byRole) {
      let e = this.roles.get(role);
      if (!e) this.roles.set(role, (e = { role, tokens: 0, trained: 0, rows: 0 }));
      e.tokens += c.tokens;
      e.trained += c.trained;
      e.rows++;
    }
    if (facts.untrainedTurnEnd !== undefined) {
      this.fail('eot', row.index);
      bump(this.eotIds, facts.untrainedTurnEnd);
    }
    if (facts.trained === 0) this.fail('empty', row.index);
    if (facts.trainedHeader) this.fail('header', row.index);
    if (facts.trainedOutsideRoles > 0) this.fail('roles', row.index);
    if (row.labels) this.withLabels++;
    if (facts.labelMismatches > 0) this.fail('labels', row.index);
    if (row.seqLengths) {
      this.bins++;
      this.sequences += row.seqLengths.length;
      for (let i = 0; i < row.seqLengths.length; i++) this.seqTokens += row.seqLengths[i]!;
      bump(this.perBin, row.seqLengths.length);
    }
  }

  reject(r: RejectedRow): void {
    bump(this.rejectCounts, r.reason);
    if (r.reason === 'mask_inference') this.fail('infer', r.index);
    // A few of each reason, so a rare reason is not crowded out by a common one.
    const kept = this.rejectExamples.get(r.reason) ?? [];
    if (kept.length < 3) this.rejectExamples.set(r.reason, [...kept, r]);
  }

  finish(): DatasetStats {
    // The summary is authoritative for counts when rejects.jsonl is missing or partial.
    const byReason = new Map(this.rejectCounts);
    for (const [k, v] of Object.entries(this.ctx.summaryRejected ?? {})) {
      if ((byReason.get(k) ?? 0) < v) byReason.set(k, v);
    }
    const reasons = [...byReason].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    const lengths = [...this.lengths].sort((a, b) => a[0] - b[0]);
    const inferFails = this.fails.get('infer') ?? { count: 0, examples: [] };
    inferFails.count = Math.max(inferFails.count, byReason.get('mask_inference') ?? 0);
    const check = (
      id: Check['id'],
      title: string,
      detail: string,
      applies = true,
      note?: string,
      f = this.fails.get(id),
    ): Check => ({
      id,
      title,
      detail,
      status: !applies ? 'na' : (f?.count ?? 0) > 0 ? 'fail' : 'pass',
      count: f?.count ?? 0,
      examples: f?.examples ?? [],
      ...(note ? { note } : {}),
    });
    const dropped = byReason.get('empty_mask') ?? 0;
    const out: DatasetStats = {
      rows: this.rows,
      tokens: this.tokens,
      trained: this.trained,
      storedTokens: this.stored,
      minLength: lengths.length > 0 ? lengths[0]![0] : 0,
      maxLength: lengths.length > 0 ? lengths[lengths.length - 1]![0] : 0,
      lengths,
      roles: [...this.roles.values()].sort((a, b) => b.tokens - a.tokens),
      rejected: {
        total: reasons.reduce((s, [, v]) => s + v, 0),
        byReason: reasons,
        examples: reasons.flatMap(([k]) => this.rejectExamples.get(k) ?? []),
      },
      untrainedTurnEnds: [...this.eotIds].sort((a, b) => b[1] - a[1]),
      checks: [
        check(
          'eot',
          'End-of-turn token trained',
          'A trained run is followed by a special token (the end-of-turn marker) that is not trained: a model trained on it never learns to stop.',
        ),
        check(
          'empty',
          'Every row trains something',
          'Rows in the dataset whose assistant mask is all zeros.',
          true,
          dropped > 0 ? `${dropped} more row(s) had no trained token and were dropped (empty_mask)` : undefined,
        ),
        check(
          'infer',
          'Inferred spans verified',
          'With inferred masks, rows whose assistant spans failed verification (rejected as mask_inference).',
          this.ctx.inferred === true,
          this.ctx.inferred === false
            ? 'masks come from {% generation %} tags'
            : this.ctx.inferred === undefined
              ? 'mask source unknown (no summary.json)'
              : undefined,
          inferFails,
        ),
        check(
          'header',
          'Role headers not trained',
          'A role header marker (e.g. <|im_start|> opening a turn) is trained: template scaffolding is in the loss.',
        ),
        check(
          'roles',
          'Only trained roles are trained',
          'Trained tokens inside the turn of a role that is not trained (user, system, tool text in the loss); roles are read from the role headers.',
        ),
        check(
          'labels',
          'Labels follow the mask',
          'labels equal input_ids where assistant_masks is 1 and -100 elsewhere.',
          this.withLabels > 0,
          this.withLabels === 0 ? 'the dataset has no labels column' : undefined,
        ),
      ],
    };
    if (this.atMax > 0 || this.ctx.maxLength !== undefined) out.atMaxLength = this.atMax;
    if (this.bins > 0) {
      const capacity = this.ctx.packLength ?? this.longestRow;
      out.packing = {
        bins: this.bins,
        sequences: this.sequences,
        sequenceTokens: this.seqTokens,
        capacity,
        fill: capacity > 0 ? this.seqTokens / (this.bins * capacity) : 0,
        sequencesPerBin: [...this.perBin].sort((a, b) => a[0] - b[0]),
      };
    }
    return out;
  }
}
