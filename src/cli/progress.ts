import type { RunStats } from '../pipeline/summary.js';

/** A one-line progress display on stderr, only when it is a TTY (never in logs or CI). */
export function progressBar(enabled: boolean): { update: (s: RunStats, total?: number) => void; done: () => void } {
  const tty = enabled && process.stderr.isTTY;
  const start = performance.now();
  let last = 0;
  return {
    update(s, total) {
      if (!tty) return;
      const now = performance.now();
      if (now - last < 200) return;
      last = now;
      const secs = (now - start) / 1000;
      const rate = Math.round(s.tokens / Math.max(secs, 1e-3));
      let bar = '';
      if (total) {
        const frac = Math.min(1, s.rowsIn / total);
        const w = 24;
        bar = `[${'#'.repeat(Math.round(frac * w)).padEnd(w, '.')}] ${(frac * 100).toFixed(1)}% `;
      }
      process.stderr.write(
        `\r${bar}${s.rowsIn} rows (${s.rowsRejected} rejected), ${s.tokens} tokens, ${rate} tok/s, ${secs.toFixed(1)}s `,
      );
    },
    done() {
      if (tty) process.stderr.write('\n');
    },
  };
}
