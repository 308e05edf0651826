/**
 * Whitelisted Python methods of str / dict / list values (bound on attribute access).
 * Mutating list/dict methods exist but raise SecurityError when called, as in Jinja's
 * ImmutableSandboxedEnvironment.
 */
import { pyError } from '../errors.js';
import { strFormat } from './format.js';
import type { Runtime } from './runtime.js';
import {
  pyCapitalize,
  pyCenter,
  pyReplace,
  pyRsplit,
  pySplit,
  pySplitlines,
  pyStrip,
  pyTitle,
  sliceIndices,
} from './pystr.js';
import {
  Kwargs,
  MISSING,
  Markup,
  PyCallable,
  PyIter,
  cpArray,
  cpLen,
  dictGet,
  dictItems,
  dictKeys,
  dictValues,
  escapeToMarkup,
  hasSurrogates,
  isDict,
  isNumber,
  isTuple,
  iterate,
  numVal,
  pyEq,
  pyStr,
  strOf,
  tuple,
  typeName,
} from './values.js';

type Method = (it: Runtime, self: unknown, args: unknown[], kw: Kwargs | null) => unknown;

const REQUIRED: unique symbol = Symbol('required');

function arg(args: unknown[], kw: Kwargs | null, i: number, name: string, dflt: unknown = REQUIRED): unknown {
  if (i < args.length) return args[i];
  if (kw && name in kw) return kw[name];
  if (dflt === REQUIRED) throw pyError('TypeError', `missing required argument '${name}'`);
  return dflt;
}

function needStr(v: unknown, what: string): string {
  const s = strOf(v);
  if (s === null) throw pyError('TypeError', `${what} arg must be None or str`);
  return s;
}

function optChars(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  return needStr(v, 'strip');
}

function optInt(v: unknown, dflt: number): number {
  if (v === null || v === undefined || v === MISSING) return dflt;
  if (!isNumber(v)) throw pyError('TypeError', `'${typeName(v)}' object cannot be interpreted as an integer`);
  return Math.trunc(numVal(v));
}

/** Resolve optional start/end into a code-unit substring window for find/count/startswith. */
function window(s: string, start: unknown, end: unknown): [string, number] {
  if ((start === MISSING || start === null) && (end === MISSING || end === null)) return [s, 0];
  const cps = hasSurrogates(s) ? cpArray(s) : null;
  const n = cps ? cps.length : s.length;
  const [a, b] = sliceIndices(
    n,
    start === MISSING ? null : optInt(start, 0),
    end === MISSING ? null : optInt(end, n),
    1,
  );
  const sub = cps ? cps.slice(a, Math.max(a, b)).join('') : s.slice(a, Math.max(a, b));
  return [sub, a];
}

function affixTest(self: string, args: unknown[], kw: Kwargs | null, fn: (s: string, p: string) => boolean): boolean {
  const p = arg(args, kw, 0, 'prefix');
  const [s] = window(self, arg(args, kw, 1, 'start', MISSING), arg(args, kw, 2, 'end', MISSING));
  if (isTuple(p)) return (p as unknown[]).some((x) => fn(s, needStr(x, 'startswith')));
  const ps = strOf(p);
  if (ps === null) throw pyError('TypeError', `startswith first arg must be str or a tuple of str, not ${typeName(p)}`);
  return fn(s, ps);
}

/** Wrap str results so methods on Markup return Markup like markupsafe does. */
function same(self: unknown, s: string): string | Markup {
  return self instanceof Markup ? new Markup(s) : s;
}

const STR_METHODS: Record<string, Method> = {
  strip: (_i, s, a, k) => same(s, pyStrip(strOf(s)!, optChars(arg(a, k, 0, 'chars', null)), true, true)),
  lstrip: (_i, s, a, k) => same(s, pyStrip(strOf(s)!, optChars(arg(a, k, 0, 'chars', null)), true, false)),
  rstrip: (_i, s, a, k) => same(s, pyStrip(strOf(s)!, optChars(arg(a, k, 0, 'chars', null)), false, true)),
  split: (_i, s, a, k) =>
    pySplit(strOf(s)!, optChars(arg(a, k, 0, 'sep', null)), optInt(arg(a, k, 1, 'maxsplit', -1), -1)),
  rsplit: (_i, s, a, k) =>
    pyRsplit(strOf(s)!, optChars(arg(a, k, 0, 'sep', null)), optInt(arg(a, k, 1, 'maxsplit', -1), -1)),
  splitlines: (_i, s, a, k) => pySplitlines(strOf(s)!, !!arg(a, k, 0, 'keepends', false)),
  startswith: (_i, s, a, k) => affixTest(strOf(s)!, a, k, (x, p) => x.startsWith(p)),
  endswith: (_i, s, a, k) => affixTest(strOf(s)!, a, k, (x, p) => x.endsWith(p)),
  replace: (it, s, a, k) => {
    const str = strOf(s)!;
    const old = needStr(arg(a, k, 0, 'old'), 'replace');
    const nw = needStr(arg(a, k, 1, 'new'), 'replace');
    const count = optInt(arg(a, k, 2, 'count', -1), -1);
    const r = pyReplace(str, old, nw, count);
    it.checkLen(r.length);
    return same(s, r);
  },
  upper: (_i, s) => same(s, strOf(s)!.toUpperCase()),
  lower: (_i, s) => same(s, strOf(s)!.toLowerCase()),
  casefold: (_i, s) => strOf(s)!.toLowerCase(),
  swapcase: (_i, s) =>
    same(s, [...strOf(s)!].map((c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())).join('')),
  title: (_i, s) => same(s, pyTitle(strOf(s)!)),
  capitalize: (_i, s) => same(s, pyCapitalize(strOf(s)!)),
  find: (_i, s, a, k) => findImpl(strOf(s)!, a, k, false, false),
  rfind: (_i, s, a, k) => findImpl(strOf(s)!, a, k, true, false),
  index: (_i, s, a, k) => findImpl(strOf(s)!, a, k, false, true),
  rindex: (_i, s, a, k) => findImpl(strOf(s)!, a, k, true, true),
  count: (_i, s, a, k) => {
    const sub = needStr(arg(a, k, 0, 'sub'), 'count');
    const [w] = window(strOf(s)!, arg(a, k, 1, 'start', MISSING), arg(a, k, 2, 'end', MISSING));
    if (sub === '') return cpLen(w) + 1;
    return w.split(sub).length - 1;
  },
  join: (it, s, a, k) => {
    const sep = strOf(s)!;
    const items = iterate(arg(a, k, 0, 'iterable'));
    const parts = items.map((x, i) => {
      const xs = strOf(x);
      if (xs === null) throw pyError('TypeError', `sequence item ${i}: expected str instance, ${typeName(x)} found`);
      return s instanceof Markup ? escapeToMarkup(x).s : xs;
    });
    const r = parts.join(sep);
    it.checkLen(r.length);
    return same(s, r);
  },
  format: (it, s, a, k) => {
    const r = strFormat(strOf(s)!, s instanceof Markup ? a.map(escapeToMarkup) : a, k, (o, key, isAttr) =>
      isAttr ? it.getAttr(o, String(key)) : it.getItem(o, key),
    );
    it.checkLen(r.length);
    return same(s, r);
  },
  isdigit: (_i, s) => /^\p{Nd}+$/u.test(strOf(s)!),
  isdecimal: (_i, s) => /^\p{Nd}+$/u.test(strOf(s)!),
  isnumeric: (_i, s) => /^\p{N}+$/u.test(strOf(s)!),
  isalpha: (_i, s) => /^\p{L}+$/u.test(strOf(s)!),
  isalnum: (_i, s) => /^[\p{L}\p{N}]+$/u.test(strOf(s)!),
  isspace: (_i, s) =>
    /^[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/.test(strOf(s)!),
  isupper: (_i, s) => {
    const x = strOf(s)!;
    return /\p{Lu}|\p{Lt}/u.test(x) && x === x.toUpperCase() && !/\p{Ll}/u.test(x);
  },
  islower: (_i, s) => {
    const x = strOf(s)!;
    return /\p{Ll}/u.test(x) && !/[\p{Lu}\p{Lt}]/u.test(x);
  },
  istitle: (_i, s) => {
    const x = strOf(s)!;
    return /[\p{Lu}\p{Lt}]/u.test(x) && pyTitle(x) === x;
  },
  zfill: (_i, s, a, k) => {
    const x = strOf(s)!;
    const w = optInt(arg(a, k, 0, 'width'), 0);
    const n = cpLen(x);
    if (n >= w) return x;
    const sign = x[0] === '+' || x[0] === '-' ? x[0] : '';
    return sign + '0'.repeat(w - n) + x.slice(sign.length);
  },
  center: (_i, s, a, k) => pyCenter(strOf(s)!, optInt(arg(a, k, 0, 'width'), 0), pyStr(arg(a, k, 1, 'fillchar', ' '))),
  ljust: (_i, s, a, k) => {
    const x = strOf(s)!;
    const w = optInt(arg(a, k, 0, 'width'), 0);
    return x + pyStr(arg(a, k, 1, 'fillchar', ' ')).repeat(Math.max(0, w - cpLen(x)));
  },
  rjust: (_i, s, a, k) => {
    const x = strOf(s)!;
    const w = optInt(arg(a, k, 0, 'width'), 0);
    return pyStr(arg(a, k, 1, 'fillchar', ' ')).repeat(Math.max(0, w - cpLen(x))) + x;
  },
  partition: (_i, s, a, k) => {
    const x = strOf(s)!;
    const sep = needStr(arg(a, k, 0, 'sep'), 'partition');
    const i = x.indexOf(sep);
    return i === -1 ? tuple([x, '', '']) : tuple([x.slice(0, i), sep, x.slice(i + sep.length)]);
  },
  rpartition: (_i, s, a, k) => {
    const x = strOf(s)!;
    const sep = needStr(arg(a, k, 0, 'sep'), 'rpartition');
    const i = x.lastIndexOf(sep);
    return i === -1 ? tuple(['', '', x]) : tuple([x.slice(0, i), sep, x.slice(i + sep.length)]);
  },
  removeprefix: (_i, s, a, k) => {
    const x = strOf(s)!;
    const p = needStr(arg(a, k, 0, 'prefix'), 'removeprefix');
    return p && x.startsWith(p) ? x.slice(p.length) : x;
  },
  removesuffix: (_i, s, a, k) => {
    const x = strOf(s)!;
    const p = needStr(arg(a, k, 0, 'suffix'), 'removesuffix');
    return p && x.endsWith(p) ? x.slice(0, x.length - p.length) : x;
  },
  expandtabs: (_i, s, a, k) => {
    const size = optInt(arg(a, k, 0, 'tabsize', 8), 8);
    let col = 0;
    let out = '';
    for (const c of strOf(s)!) {
      if (c === '\t') {
        const n = size > 0 ? size - (col % size) : 0;
        out += ' '.repeat(n);
        col += n;
      } else {
        out += c;
        col = c === '\n' || c === '\r' ? 0 : col + 1;
      }
    }
    return out;
  },
};

function findImpl(s: string, a: unknown[], k: Kwargs | null, rev: boolean, raise: boolean): number {
  const sub = needStr(arg(a, k, 0, 'sub'), 'find');
  const [w, off] = window(s, arg(a, k, 1, 'start', MISSING), arg(a, k, 2, 'end', MISSING));
  const i = rev ? w.lastIndexOf(sub) : w.indexOf(sub);
  if (i === -1) {
    if (raise) throw pyError('ValueError', 'substring not found');
    return -1;
  }
  return off + (hasSurrogates(w) ? cpLen(w.slice(0, i)) : i);
}

const MUTATING_LIST = new Set(['append', 'extend', 'insert', 'pop', 'remove', 'clear', 'sort', 'reverse']);
const MUTATING_DICT = new Set(['pop', 'popitem', 'setdefault', 'update', 'clear']);

function unsafe(obj: unknown, name: string): PyCallable {
  return new PyCallable(
    name,
    () => {
      throw pyError('SecurityError', `access to attribute '${name}' of '${typeName(obj)}' object is unsafe.`);
    },
    'method',
  );
}

const DICT_METHODS: Record<string, Method> = {
  get: (_i, d, a, k) => {
    const v = dictGet(d as Record<string, unknown>, arg(a, k, 0, 'key'));
    return v === MISSING || v === undefined ? arg(a, k, 1, 'default', null) : v;
  },
  items: (_i, d) => new PyIter('dict_items', dictItems(d as Record<string, unknown>)),
  keys: (_i, d) => new PyIter('dict_keys', dictKeys(d as Record<string, unknown>)),
  values: (_i, d) => new PyIter('dict_values', dictValues(d as Record<string, unknown>)),
  copy: (_i, d) => (d instanceof Map ? new Map(d) : { ...(d as Record<string, unknown>) }),
};

const LIST_METHODS: Record<string, Method> = {
  index: (_i, l, a, k) => {
    const x = arg(a, k, 0, 'value');
    const i = (l as unknown[]).findIndex((y) => pyEq(x, y));
    if (i === -1) throw pyError('ValueError', `${pyStr(x)} is not in list`);
    return i;
  },
  count: (_i, l, a, k) => {
    const x = arg(a, k, 0, 'value');
    return (l as unknown[]).filter((y) => pyEq(x, y)).length;
  },
  copy: (_i, l) => (l as unknown[]).slice(),
};

/** Whether `name` is an attribute of every dict (a method, or a mutating one the sandbox blocks). */
export function isDictAttr(name: string): boolean {
  return DICT_ATTRS.has(name);
}
const DICT_ATTRS = new Set([...MUTATING_DICT, ...Object.keys(DICT_METHODS)]);

/** A bound method for `obj.name`, or null when the type has no such (safe) attribute. */
export function getMethod(it: Runtime, obj: unknown, name: string): PyCallable | null {
  let table: Record<string, Method> | null = null;
  if (typeof obj === 'string' || obj instanceof Markup) table = STR_METHODS;
  else if (Array.isArray(obj)) {
    if (MUTATING_LIST.has(name) && !isTuple(obj)) return unsafe(obj, name);
    table = LIST_METHODS;
    if (isTuple(obj) && name === 'copy') return null;
  } else if (isDict(obj)) {
    if (MUTATING_DICT.has(name)) return unsafe(obj, name);
    table = DICT_METHODS;
  }
  if (!table || !Object.prototype.hasOwnProperty.call(table, name)) return null;
  const m = table[name]!;
  return new PyCallable(name, (args, kw) => m(it, obj, args, kw), 'method');
}
