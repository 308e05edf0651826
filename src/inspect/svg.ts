/** Small inline SVG bar charts for the HTML report (no script, no external resources). */
import { escapeHtml } from './escape.js';

export interface Bar {
  /** Axis label under the bar (shown for the first, last and a few bars between). */
  label: string;
  value: number;
  /** Hover text. */
  title: string;
}

/**
 * A bar chart as an `<svg>` string; bar heights are proportional to `value`.
 *
 * @example
 * barChart([{ label: '1', value: 3, title: '1 sequence: 3 bins' }], { yLabel: 'bins' });
 */
export function barChart(bars: readonly Bar[], opts: { yLabel: string; width?: number; height?: number }): string {
  const W = opts.width ?? 720;
  const H = opts.height ?? 200;
  const left = 48;
  const bottom = 28;
  const top = 12;
  const plotW = W - left - 8;
  const plotH = H - bottom - top;
  const max = Math.max(1, ...bars.map((b) => b.value));
  const bw = bars.length > 0 ? plotW / bars.length : plotW;
  const every = Math.max(1, Math.ceil(bars.length / 8));
  const parts: string[] = [];
  parts.push(
    `<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img">`,
    `<line x1="${left}" y1="${top + plotH}" x2="${W - 8}" y2="${top + plotH}" class="axis"/>`,
    `<text x="${left - 6}" y="${top + 8}" text-anchor="end" class="tick">${max}</text>`,
    `<text x="${left - 6}" y="${top + plotH}" text-anchor="end" class="tick">0</text>`,
    `<text x="10" y="${top + plotH / 2}" transform="rotate(-90 10 ${top + plotH / 2})" text-anchor="middle" class="tick">${escapeHtml(opts.yLabel)}</text>`,
  );
  bars.forEach((b, i) => {
    const h = b.value === 0 ? 0 : Math.max(1, (b.value / max) * plotH);
    const x = left + i * bw;
    parts.push(
      `<rect x="${(x + 0.5).toFixed(1)}" y="${(top + plotH - h).toFixed(1)}" width="${Math.max(1, bw - 1).toFixed(1)}" height="${h.toFixed(1)}" class="bar"><title>${escapeHtml(b.title)}</title></rect>`,
    );
    if (i % every === 0 || i === bars.length - 1) {
      parts.push(
        `<text x="${(x + bw / 2).toFixed(1)}" y="${H - 10}" text-anchor="middle" class="tick">${escapeHtml(b.label)}</text>`,
      );
    }
  });
  parts.push('</svg>');
  return parts.join('');
}

/**
 * Histogram bars of row lengths: at most `maxBars` equal-width bins between the shortest and longest.
 *
 * @example
 * lengthBars([[10, 2], [20, 1]], 40); // 11 bins of width 1 … (10: 2 rows, 20: 1 row)
 */
export function lengthBars(lengths: readonly [number, number][], maxBars = 40): Bar[] {
  if (lengths.length === 0) return [];
  const min = lengths[0]![0];
  const max = lengths[lengths.length - 1]![0];
  const width = Math.max(1, Math.ceil((max - min + 1) / maxBars));
  const n = Math.ceil((max - min + 1) / width);
  const counts = new Array<number>(n).fill(0);
  for (const [len, rows] of lengths) counts[Math.floor((len - min) / width)]! += rows;
  return counts.map((value, k) => {
    const a = min + k * width;
    const b = a + width - 1;
    const range = width === 1 ? `${a}` : `${a}–${b}`;
    return { label: `${a}`, value, title: `${range} tokens: ${value} row${value === 1 ? '' : 's'}` };
  });
}
