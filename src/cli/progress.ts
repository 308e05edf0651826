import cliProgress from 'cli-progress';
import type { RunStats } from '../pipeline/summary.js';
import type { Summary } from '../pipeline/summary.js';

export interface ProgressTotal {
  rows?: number;
  bytes?: number;
}

/** Numbers one progress update shows (pure, for tests). */
export interface ProgressFigures {
  /** 0..1 of the input, undefined when the size is unknown (stdin). */
  fraction?: number;
  rowsPerSec: number;
  tokensPerSec: number;
  /** Seconds left at the current rate, undefined when unknown. */
  etaSec?: number;
}

/**
 * Progress of a run: by input bytes (files), by rows (sharded runs know their row range), or
 * rates only (stdin).
 *
 * @example
 *   progressFigures({ rowsIn: 50, tokens: 5000, bytesRead: 500 }, { bytes: 1000 }, 10)
 *   // → { fraction: 0.5, rowsPerSec: 5, tokensPerSec: 500, etaSec: 10 }
 */
export function progressFigures(
  s: Pick<RunStats, 'rowsIn' | 'tokens' | 'bytesRead'>,
  total: ProgressTotal | undefined,
  elapsedSec: number,
): ProgressFigures {
  const t = Math.max(elapsedSec, 1e-3);
  let fraction: number | undefined;
  if (total?.rows !== undefined) fraction = total.rows > 0 ? Math.min(1, s.rowsIn / total.rows) : 1;
  else if (total?.bytes !== undefined) fraction = total.bytes > 0 ? Math.min(1, s.bytesRead / total.bytes) : 1;
  const etaSec = fraction !== undefined && fraction > 0 ? Math.round((t * (1 - fraction)) / fraction) : undefined;
  return { fraction, rowsPerSec: Math.round(s.rowsIn / t), tokensPerSec: Math.round(s.tokens / t), etaSec };
}

/** 1234567 → "1.23M". */
export function compact(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)}G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  return String(n);
}

/** 125 → "2m05s". */
export function duration(sec: number): string {
  const s = Math.max(0, Math.round(sec));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** One plain progress line (logs, CI). */
export function progressLine(s: RunStats, f: ProgressFigures): string {
  const pct = f.fraction !== undefined ? `${(f.fraction * 100).toFixed(1)}% ` : '';
  const eta = f.etaSec !== undefined ? `, ETA ${duration(f.etaSec)}` : '';
  return (
    `chatshard: progress ${pct}${s.rowsIn} rows (${s.rowsRejected} rejected), ` +
    `${compact(f.rowsPerSec)} rows/s, ${compact(f.tokensPerSec)} tok/s${eta}`
  );
}

export interface Progress {
  update(s: RunStats, total?: ProgressTotal): void;
  done(): void;
}

/** Lines every this many ms when stderr is not a terminal. */
const PLAIN_INTERVAL_MS = 15_000;

/**
 * Progress on stderr: a bar (cli-progress) on a terminal with percent of input, rows/s, tokens/s
 * and ETA; plain periodic lines under pipes and CI; nothing when disabled.
 */
export function progressReporter(enabled: boolean, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!enabled) return { update() {}, done() {} };
  const start = performance.now();
  const elapsed = () => (performance.now() - start) / 1000;
  if (!stream.isTTY || process.env.CI) {
    let last = performance.now();
    return {
      update(s, total) {
        const now = performance.now();
        if (now - last < PLAIN_INTERVAL_MS) return;
        last = now;
        stream.write(progressLine(s, progressFigures(s, total, elapsed())) + '\n');
      },
      done() {},
    };
  }
  let bar: cliProgress.SingleBar | null = null;
  return {
    update(s, total) {
      const f = progressFigures(s, total, elapsed());
      const payload = {
        rows: String(s.rowsIn),
        rejected: String(s.rowsRejected),
        rps: compact(f.rowsPerSec),
        tps: compact(f.tokensPerSec),
        eta: f.etaSec !== undefined ? duration(f.etaSec) : '?',
        pct: f.fraction !== undefined ? (f.fraction * 100).toFixed(1) : '?',
      };
      if (!bar) {
        const format =
          f.fraction !== undefined
            ? '{bar} {pct}% | {rows} rows ({rejected} rejected) | {rps} rows/s | {tps} tok/s | ETA {eta}'
            : '{rows} rows ({rejected} rejected) | {rps} rows/s | {tps} tok/s';
        bar = new cliProgress.SingleBar(
          { format, stream, hideCursor: true, barsize: 24, fps: 5, clearOnComplete: true },
          cliProgress.Presets.shades_classic,
        );
        bar.start(1000, 0, payload);
      }
      bar.update(Math.round((f.fraction ?? 0) * 1000), payload);
    },
    done() {
      bar?.stop();
      bar = null;
    },
  };
}

/**
 * The short human summary printed at the end of a run (the full JSON is in summary.json).
 *
 * @example
 *   humanSummary(summary) // → ['wrote 297 rows (3 rejected: invalid_json 2, empty_mask 1) to out/ds in 4.2s', ...]
 */
export function humanSummary(s: Summary): string[] {
  const reasons = Object.entries(s.rejected_by_reason)
    .sort((a, b) => b[1] - a[1])
    .map(([r, n]) => `${r} ${n}`)
    .join(', ');
  const trained = s.tokens > 0 ? ((100 * s.trainable_tokens) / s.tokens).toFixed(1) : '0.0';
  const lines = [
    `wrote ${s.rows_written} of ${s.rows_in} rows to ${s.output} in ${duration(s.seconds)}` +
      (s.rows_rejected > 0 ? `; ${s.rows_rejected} rejected (${reasons}), see rejects.jsonl` : ''),
    `${s.tokens} tokens (${trained}% trained), ${s.shards} shard(s), ${compact(s.tokens_per_second)} tok/s`,
  ];
  const t = s.truncation;
  if (t.rows_truncated > 0 || t.rows_emptied > 0) {
    lines.push(
      `truncation: ${t.rows_truncated} rows truncated, ${t.tokens_cut} tokens cut, ${t.rows_emptied} rows emptied (dropped)`,
    );
  }
  if (s.resumed_rows) lines.push(`resumed: ${s.resumed_rows} rows kept from the interrupted run`);
  for (const w of s.warnings) lines.push(`warning: ${w}`);
  if (s.failure) lines.push(`failed: ${s.failure}`);
  return lines;
}
