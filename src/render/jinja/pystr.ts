/** Python `str` operations that differ from their JS look-alikes (whitespace set, code points, casing). */
import { pyError } from '../errors.js';
import { cpArray, hasSurrogates } from './values.js';

/** Characters for which Python's str.isspace() is true. */
export const PY_WS = '\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const WS_CLASS = new RegExp(`[${PY_WS}]`);
const LEAD_WS = new RegExp(`^[${PY_WS}]+`);
const TRAIL_WS = new RegExp(`[${PY_WS}]+$`);
const WS_RUN = new RegExp(`[${PY_WS}]+`);

export function isPySpace(ch: string): boolean {
  return WS_CLASS.test(ch);
}

function charSet(chars: string): Set<string> {
  return new Set(cpArray(chars));
}

export function pyStrip(s: string, chars: string | null, left: boolean, right: boolean): string {
  if (chars === null) {
    if (left) s = s.replace(LEAD_WS, '');
    if (right) s = s.replace(TRAIL_WS, '');
    return s;
  }
  const set = charSet(chars);
  const cps = hasSurrogates(s) ? cpArray(s) : null;
  if (cps) {
    let a = 0;
    let b = cps.length;
    if (left) while (a < b && set.has(cps[a]!)) a++;
    if (right) while (b > a && set.has(cps[b - 1]!)) b--;
    return cps.slice(a, b).join('');
  }
  let a = 0;
  let b = s.length;
  if (left) while (a < b && set.has(s[a]!)) a++;
  if (right) while (b > a && set.has(s[b - 1]!)) b--;
  return s.slice(a, b);
}

export function pySplit(s: string, sep: string | null, maxsplit: number): string[] {
  if (sep === null) {
    const out: string[] = [];
    let rest = s.replace(LEAD_WS, '');
    while (rest.length) {
      if (maxsplit >= 0 && out.length >= maxsplit) {
        out.push(rest); // CPython keeps the remainder's trailing whitespace
        return out;
      }
      const m = WS_RUN.exec(rest);
      if (!m) {
        out.push(rest);
        break;
      }
      out.push(rest.slice(0, m.index));
      rest = rest.slice(m.index + m[0].length);
    }
    return out;
  }
  if (sep === '') throw pyError('ValueError', 'empty separator');
  if (maxsplit < 0) return s.split(sep);
  const out: string[] = [];
  let pos = 0;
  while (out.length < maxsplit) {
    const i = s.indexOf(sep, pos);
    if (i === -1) break;
    out.push(s.slice(pos, i));
    pos = i + sep.length;
  }
  out.push(s.slice(pos));
  return out;
}

export function pyRsplit(s: string, sep: string | null, maxsplit: number): string[] {
  if (maxsplit < 0) return pySplit(s, sep, -1);
  if (sep === null) {
    const out: string[] = [];
    let rest = s.replace(TRAIL_WS, '');
    const trail = new RegExp(`[${PY_WS}]+(?=[^${PY_WS}]*$)`);
    while (rest.length) {
      if (out.length >= maxsplit) {
        out.unshift(rest); // remainder keeps its leading whitespace
        return out;
      }
      const m = trail.exec(rest);
      if (!m) {
        out.unshift(rest);
        break;
      }
      out.unshift(rest.slice(m.index + m[0].length));
      rest = rest.slice(0, m.index);
    }
    return out;
  }
  if (sep === '') throw pyError('ValueError', 'empty separator');
  const out: string[] = [];
  let end = s.length;
  while (out.length < maxsplit) {
    const i = s.lastIndexOf(sep, end - sep.length);
    if (i === -1 || end - sep.length < 0) break;
    out.unshift(s.slice(i + sep.length, end));
    end = i;
  }
  out.unshift(s.slice(0, end));
  return out;
}

const LINE_BREAK = /\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/g;
export function pySplitlines(s: string, keepends = false): string[] {
  const out: string[] = [];
  let pos = 0;
  LINE_BREAK.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = LINE_BREAK.exec(s))) {
    out.push(s.slice(pos, keepends ? m.index + m[0].length : m.index));
    pos = m.index + m[0].length;
  }
  if (pos < s.length) out.push(s.slice(pos));
  return out;
}

const CASED = /[\p{Lu}\p{Ll}\p{Lt}]/u;
export function pyTitle(s: string): string {
  let out = '';
  let prevCased = false;
  for (const ch of s) {
    if (prevCased) out += ch.toLowerCase();
    else out += ch.toUpperCase();
    prevCased = CASED.test(ch);
  }
  return out;
}

export function pyCapitalize(s: string): string {
  if (!s) return s;
  const first = String.fromCodePoint(s.codePointAt(0)!);
  return first.toUpperCase() + s.slice(first.length).toLowerCase();
}

export function pyCenter(s: string, width: number, fill = ' '): string {
  const n = [...s].length;
  if (width <= n) return s;
  const marg = width - n;
  const left = Math.floor(marg / 2) + (marg & width & 1);
  return fill.repeat(left) + s + fill.repeat(marg - left);
}

/** Python-style slice index normalisation (start/stop/step may be null). */
export function sliceIndices(
  len: number,
  start: number | null,
  stop: number | null,
  step: number | null,
): [number, number, number] {
  const st = step ?? 1;
  if (st === 0) throw pyError('ValueError', 'slice step cannot be zero');
  let a: number;
  let b: number;
  if (st > 0) {
    a = start === null ? 0 : start < 0 ? Math.max(0, len + start) : Math.min(start, len);
    b = stop === null ? len : stop < 0 ? Math.max(0, len + stop) : Math.min(stop, len);
  } else {
    a = start === null ? len - 1 : start < 0 ? Math.max(-1, len + start) : Math.min(start, len - 1);
    b = stop === null ? -1 : stop < 0 ? Math.max(-1, len + stop) : Math.min(stop, len - 1);
  }
  return [a, b, st];
}

export function sliceArray<T>(arr: readonly T[], start: number | null, stop: number | null, step: number | null): T[] {
  const [a, b, st] = sliceIndices(arr.length, start, stop, step);
  if (st === 1) return arr.slice(a, Math.max(a, b));
  const out: T[] = [];
  if (st > 0) for (let i = a; i < b; i += st) out.push(arr[i]!);
  else for (let i = a; i > b; i += st) out.push(arr[i]!);
  return out;
}

export function sliceString(s: string, start: number | null, stop: number | null, step: number | null): string {
  if (!hasSurrogates(s) && (step === null || step === 1)) {
    const [a, b] = sliceIndices(s.length, start, stop, 1);
    return s.slice(a, Math.max(a, b));
  }
  return sliceArray(hasSurrogates(s) ? cpArray(s) : s.split(''), start, stop, step).join('');
}

export { WS_CLASS };

/** Python `str.replace(old, new, count)`: `count < 0` replaces all; an empty `old` inserts between code points. */
export function pyReplace(s: string, old: string, nw: string, count: number): string {
  if (old === '') {
    const cps = cpArray(s);
    let out = '';
    let n = 0;
    for (let i = 0; i <= cps.length; i++) {
      if (count < 0 || n < count) {
        out += nw;
        n++;
      }
      if (i < cps.length) out += cps[i];
    }
    return out;
  }
  const parts = s.split(old);
  if (count < 0 || parts.length <= count + 1) return parts.join(nw);
  return parts.slice(0, count + 1).join(nw) + old + parts.slice(count + 1).join(old);
}
