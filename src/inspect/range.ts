/** Which rows to show: `--rows N` (the first N), `A:B`, `A:` (to the end) or `:B`, half-open like Python slices. */
export type RowRange = [from: number, to: number];

/**
 * Parse a `--rows` value into a half-open range.
 *
 * @example
 * parseRows('5');     // [0, 5]
 * parseRows('10:20'); // [10, 20]
 * parseRows('7:');    // [7, Infinity]
 */
export function parseRows(spec: string): RowRange {
  const int = (s: string, fallback: number): number => {
    if (s === '') return fallback;
    if (!/^\d+$/.test(s)) throw new Error(`--rows: "${spec}" is not N, A:B, A: or :B with non-negative integers`);
    return Number(s);
  };
  const parts = spec.trim().split(':');
  if (parts.length > 2) throw new Error(`--rows: "${spec}" has more than one ":"`);
  const range: RowRange = parts.length === 1 ? [0, int(parts[0]!, NaN)] : [int(parts[0]!, 0), int(parts[1]!, Infinity)];
  if (Number.isNaN(range[1])) throw new Error('--rows: empty value');
  if (range[1] < range[0]) throw new Error(`--rows: end ${range[1]} is before start ${range[0]}`);
  return range;
}

export const inRange = (i: number, r: RowRange) => i >= r[0] && i < r[1];

export const formatRange = (r: RowRange) => `${r[0]}:${Number.isFinite(r[1]) ? r[1] : ''}`;
