/**
 * Jinja2 3.1 builtin filters with autoescape off, plus transformers' `tojson`.
 * Semantics follow jinja2/filters.py: `soft_str` (Python str()) on inputs, generators
 * returned by select/map/... (so `|length` on them fails like Python), Markup kept by the
 * string filters that keep it.
 */
import { pyError } from '../errors.js';
import { percentFormat } from './format.js';
import { pyJsonDumps } from './json.js';
import { pyCapitalize, pyCenter, pyReplace, pySplitlines, pyStrip } from './pystr.js';
import { GROUP } from './ops.js';
import type { FilterFn, Runtime } from './runtime.js';
import {
  Kwargs,
  MISSING,
  Markup,
  PyFloat,
  PyIter,
  Undef,
  cpArray,
  dictItems,
  escapeToMarkup,
  htmlEscape,
  isDict,
  isFloat,
  isNumber,
  iterate,
  mkFloat,
  numVal,
  pyCompare,
  pyEq,
  pyLen,
  pyRepr,
  pyStr,
  strOf,
  truthy,
  toFixedPy,
  tuple,
  typeName,
} from './values.js';

export type { FilterFn } from './runtime.js';

function arg(args: unknown[], kw: Kwargs | null, i: number, name: string, dflt: unknown): unknown {
  if (i < args.length) return args[i];
  if (kw && name in kw) return kw[name];
  return dflt;
}

/** Python str() keeping Markup (jinja2 soft_str). */
function softStr(v: unknown): string {
  return pyStr(v);
}
function keepMarkup(v: unknown, s: string): string | Markup {
  return v instanceof Markup ? new Markup(s) : s;
}

/** environment.getitem-based attribute getter used by map/sort/selectattr (`a.b.0` paths). */
function attrGetter(it: Runtime, attribute: unknown, dflt: unknown = MISSING): (x: unknown) => unknown {
  const parts =
    typeof attribute === 'string' ? attribute.split('.').map((p) => (/^\d+$/.test(p) ? Number(p) : p)) : [attribute];
  return (x: unknown) => {
    let v = x;
    for (const p of parts) v = it.getItem(v, p);
    if (dflt !== MISSING && v instanceof Undef) return dflt;
    return v;
  };
}

function sortKey(v: unknown, caseSensitive: boolean): unknown {
  if (!caseSensitive && typeof v === 'string') return v.toLowerCase();
  if (!caseSensitive && v instanceof Markup) return v.s.toLowerCase();
  return v;
}

/** Python's stable sorted() with a key function. */
/**
 * Python's sorted(): like CPython, a reverse sort reverses, sorts forward (stable) and reverses back,
 * so equal keys keep their order and a mixed-type TypeError names the operands Python names
 * (both engines' timsorts compare the later element against the earlier one first).
 */
function pySorted<T>(items: T[], key: (x: T) => unknown, reverse: boolean): T[] {
  const decorated = items.map((x) => ({ k: key(x), x }));
  if (reverse) decorated.reverse();
  decorated.sort((a, b) => pyCompare(a.k, b.k));
  if (reverse) decorated.reverse();
  return decorated.map((d) => d.x);
}

function selectOrReject(
  it: Runtime,
  v: unknown,
  args: unknown[],
  kw: Kwargs | null,
  attr: boolean,
  want: boolean,
): PyIter {
  // jinja2 guards with `if value:` — None / empty input yields nothing without touching the test.
  if (!truthy(v)) return new PyIter('generator', []);
  let get: (x: unknown) => unknown = (x) => x;
  let rest = args;
  if (attr) {
    if (!args.length) throw pyError('TypeError', 'Missing parameter for attribute name');
    get = attrGetter(it, args[0]);
    rest = args.slice(1);
  }
  let test: (x: unknown) => boolean;
  if (rest.length) {
    const name = pyStr(rest[0]);
    const fn = it.tests.get(name);
    if (!fn) throw pyError('TemplateRuntimeError', `No test named '${name}'.`);
    const targs = rest.slice(1);
    if (kw) for (const k of Object.keys(kw)) targs.push(kw[k]);
    test = (x) => truthy(fn(it, x, targs));
  } else test = truthy;
  const out: unknown[] = [];
  for (const x of iterate(v)) {
    it.tick();
    if (test(get(x)) === want) out.push(x);
  }
  return new PyIter('generator', out);
}

function toFloat(v: unknown): number | null {
  if (isNumber(v)) return numVal(v);
  const s = strOf(v);
  if (s === null) return null;
  const t = s.trim().replace(/_/g, '');
  if (/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t)) return Number(t);
  if (/^[+-]?(inf|infinity)$/i.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  if (/^[+-]?nan$/i.test(t)) return NaN;
  return null;
}

function doInt(v: unknown, dflt: unknown, base: number): unknown {
  if (v instanceof Undef) v.fail();
  const s = strOf(v);
  if (s !== null) {
    const t = s.trim().replace(/_/g, '').toLowerCase();
    const body = t.replace(/^[+-]/, '');
    const neg = t.startsWith('-');
    let b = base;
    let digits = body;
    if (b === 16 && digits.startsWith('0x')) digits = digits.slice(2);
    else if (b === 8 && digits.startsWith('0o')) digits = digits.slice(2);
    else if (b === 2 && digits.startsWith('0b')) digits = digits.slice(2);
    else if (b === 0) {
      const prefixed = ({ '0x': 16, '0o': 8, '0b': 2 } as Record<string, number>)[digits.slice(0, 2)];
      b = prefixed ?? 10;
      if (prefixed !== undefined) digits = digits.slice(2);
    }
    const valid =
      digits.length > 0 &&
      [...digits].every((c) => {
        const d = parseInt(c, 36);
        return !Number.isNaN(d) && d < b;
      });
    if (valid) return (neg ? -1 : 1) * parseInt(digits, b);
    const f = toFloat(s);
    if (f !== null && Number.isFinite(f)) return Math.trunc(f);
    return dflt;
  }
  if (isNumber(v)) {
    const x = numVal(v);
    return Number.isFinite(x) ? Math.trunc(x) : dflt;
  }
  return dflt;
}

function pyRound(x: number, prec: number): number {
  if (prec >= 0) return Number(toFixedPy(x, prec));
  const m = 10 ** -prec;
  return Math.round(x / m) * m;
}

function indent(s: string, width: unknown, first: boolean, blank: boolean, markup: boolean): string | Markup {
  const ind = typeof width === 'string' ? width : ' '.repeat(Math.max(0, numVal(width)));
  const text = s + '\n';
  let rv: string;
  if (blank) rv = pySplitlines(text).join('\n' + ind);
  else {
    const lines = pySplitlines(text);
    rv = lines.shift() ?? '';
    if (lines.length) rv += '\n' + lines.map((l) => (l ? ind + l : l)).join('\n');
  }
  if (first) rv = ind + rv;
  return markup ? new Markup(rv) : rv;
}

function jinjaTitle(s: string): string {
  return s
    .split(/([-\s({[<]+)/u)
    .filter((x) => x)
    .map((item) => {
      const cps = cpArray(item);
      return (cps[0] ?? '').toUpperCase() + cps.slice(1).join('').toLowerCase();
    })
    .join('');
}

function doTruncate(s: string, length: number, killwords: boolean, end: string, leeway: number): string {
  const cps = cpArray(s);
  if (cps.length <= length + leeway) return s;
  if (killwords) return cps.slice(0, length - end.length).join('') + end;
  const cut = cps.slice(0, length - end.length).join('');
  const i = cut.lastIndexOf(' ');
  return (i === -1 ? cut : cut.slice(0, i)) + end;
}

function wordwrap(s: string, width: number, breakLong: boolean, wrapstring: string, breakOnHyphens: boolean): string {
  void breakOnHyphens;
  return pySplitlines(s)
    .map((para) => {
      const words = para.split(/\s+/).filter(Boolean);
      const lines: string[] = [];
      let cur = '';
      for (let w of words) {
        while (breakLong && w.length > width) {
          if (cur) {
            lines.push(cur);
            cur = '';
          }
          lines.push(w.slice(0, width));
          w = w.slice(width);
        }
        if (!cur) cur = w;
        else if (cur.length + 1 + w.length <= width) cur += ' ' + w;
        else {
          lines.push(cur);
          cur = w;
        }
      }
      if (cur) lines.push(cur);
      return lines.join(wrapstring);
    })
    .join(wrapstring);
}

function minmax(it: Runtime, v: unknown, args: unknown[], kw: Kwargs | null, max: boolean): unknown {
  const cs = truthy(arg(args, kw, 0, 'case_sensitive', false));
  const attribute = arg(args, kw, 1, 'attribute', null);
  const items = iterate(v);
  if (!items.length) return new Undef('No aggregated item, sequence was empty.');
  const get = attribute !== null ? attrGetter(it, attribute) : (x: unknown) => x;
  let best = items[0];
  let bk = sortKey(get(best), cs);
  for (const x of items.slice(1)) {
    const k = sortKey(get(x), cs);
    const c = pyCompare(k, bk);
    if (max ? c > 0 : c < 0) {
      best = x;
      bk = k;
    }
  }
  return best;
}

const table: Record<string, FilterFn> = {
  abs: (_i, v) => {
    if (!isNumber(v)) throw pyError('TypeError', `bad operand type for abs(): '${typeName(v)}'`);
    const x = Math.abs(numVal(v));
    return isFloat(v) ? mkFloat(x) : x;
  },
  // Jinja's sandboxed attr(): getattr only (dict keys are not attributes), no JS internals reachable.
  attr: (it, v, a, k) => it.getAttrStrict(v, softStr(arg(a, k, 0, 'name', ''))),
  batch: (_i, v, a, k) => {
    const n = numVal(arg(a, k, 0, 'linecount', 1));
    const fill = arg(a, k, 1, 'fill_with', null);
    const items = iterate(v);
    const out: unknown[][] = [];
    for (let i = 0; i < items.length; i += n) out.push(items.slice(i, i + n));
    const last = out[out.length - 1];
    if (fill !== null && last && last.length < n) while (last.length < n) last.push(fill);
    return new PyIter('generator', out);
  },
  capitalize: (_i, v) => keepMarkup(v, pyCapitalize(softStr(v))),
  center: (_i, v, a, k) => pyCenter(softStr(v), numVal(arg(a, k, 0, 'width', 80))),
  default: (_i, v, a, k) => {
    const d = arg(a, k, 0, 'default_value', '');
    const boolean = truthy(arg(a, k, 1, 'boolean', false));
    if (v instanceof Undef || v === undefined || (boolean && !truthy(v))) return d;
    return v;
  },
  dictsort: (it, v, a, k) => {
    const cs = truthy(arg(a, k, 0, 'case_sensitive', false));
    const by = pyStr(arg(a, k, 1, 'by', 'key'));
    const reverse = truthy(arg(a, k, 2, 'reverse', false));
    if (v instanceof Undef) v.fail();
    if (!isDict(v)) throw pyError('AttributeError', `'${typeName(v)}' object has no attribute 'items'`);
    const pos = by === 'key' ? 0 : by === 'value' ? 1 : -1;
    if (pos < 0) throw pyError('FilterArgumentError', 'You can only sort by either "key" or "value"');
    void it;
    return pySorted(dictItems(v), (x) => sortKey(x[pos], cs), reverse);
  },
  escape: (_i, v) => escapeToMarkup(v),
  forceescape: (_i, v) => new Markup(htmlEscape(pyStr(v))),
  filesizeformat: (_i, v, a, k) => {
    const bytes = numVal(toFloat(v) ?? 0);
    const binary = truthy(arg(a, k, 0, 'binary', false));
    const base = binary ? 1024 : 1000;
    const prefixes = binary
      ? ['KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB']
      : ['kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];
    if (bytes === 1) return '1 Byte';
    if (bytes < base) return `${Math.trunc(bytes)} Bytes`;
    let unit = base;
    let pfx = prefixes[0]!;
    for (let i = 0; i < prefixes.length; i++) {
      unit = base ** (i + 2);
      pfx = prefixes[i]!;
      if (bytes < unit) break;
    }
    return `${((base * bytes) / unit).toFixed(1)} ${pfx}`;
  },
  first: (_i, v) => {
    if (v instanceof PyIter) {
      const items = v.take();
      return items.length ? items[0] : new Undef('No first item, sequence was empty.');
    }
    const items = iterate(v);
    return items.length ? items[0] : new Undef('No first item, sequence was empty.');
  },
  float: (_i, v, a, k) => {
    if (v instanceof Undef) v.fail();
    const f = toFloat(v);
    return f === null ? arg(a, k, 0, 'default', new PyFloat(0)) : mkFloat(f);
  },
  format: (it, v, a, k) => {
    const s = softStr(v);
    if (a.length && k && Object.keys(k).length)
      throw pyError('FilterArgumentError', "can't handle positional and keyword arguments at the same time");
    const r = percentFormat(s, k && Object.keys(k).length ? new Map(Object.entries(k)) : tuple(a.slice()), false);
    it.checkLen(r.length);
    return r;
  },
  groupby: (it, v, a, k) => {
    const attribute = arg(a, k, 0, 'attribute', null);
    const dflt = arg(a, k, 1, 'default', MISSING);
    const cs = truthy(arg(a, k, 2, 'case_sensitive', false));
    const get = attrGetter(it, attribute, dflt);
    const sorted = pySorted(iterate(v), (x) => sortKey(get(x), cs), false);
    const out: unknown[] = [];
    let cur: unknown[] | null = null;
    let curKey: unknown = MISSING;
    for (const x of sorted) {
      const key = get(x);
      const kk = sortKey(key, cs);
      if (cur === null || !pyEq(kk, curKey)) {
        cur = [];
        curKey = kk;
        const g = tuple([key, cur]);
        (g as unknown as Record<symbol, boolean>)[GROUP] = true;
        out.push(g);
      }
      cur.push(x);
    }
    return out;
  },
  indent: (_i, v, a, k) =>
    indent(
      softStr(v),
      arg(a, k, 0, 'width', 4),
      truthy(arg(a, k, 1, 'first', false)),
      truthy(arg(a, k, 2, 'blank', false)),
      v instanceof Markup,
    ),
  int: (_i, v, a, k) => doInt(v, arg(a, k, 0, 'default', 0), numVal(arg(a, k, 1, 'base', 10))),
  items: (_i, v) => {
    if (v instanceof Undef) return new PyIter('generator', []);
    if (!isDict(v)) throw pyError('TypeError', 'Can only get item pairs from a mapping.');
    return new PyIter('generator', dictItems(v));
  },
  join: (it, v, a, k) => {
    const d = softStr(arg(a, k, 0, 'd', ''));
    const attribute = arg(a, k, 1, 'attribute', null);
    let items = iterate(v);
    if (attribute !== null) items = items.map(attrGetter(it, attribute));
    const r = items.map(softStr).join(d);
    it.checkLen(r.length);
    return r;
  },
  last: (_i, v) => {
    if (v instanceof PyIter && !v.isView) throw pyError('TypeError', `'${v.kind}' object is not reversible`);
    const items = iterate(v);
    return items.length ? items[items.length - 1] : new Undef('No last item, sequence was empty.');
  },
  length: (_i, v) => pyLen(v),
  list: (_i, v) => iterate(v).slice(),
  lower: (_i, v) => keepMarkup(v, softStr(v).toLowerCase()),
  map: (it, v, a, k) => {
    if (!truthy(v)) return new PyIter('generator', []);
    const items = iterate(v);
    let fn: (x: unknown) => unknown;
    if (k && 'attribute' in k) {
      fn = attrGetter(it, k['attribute'], k && 'default' in k ? k['default'] : MISSING);
    } else {
      if (!a.length) throw pyError('FilterArgumentError', 'map requires a filter argument');
      const name = pyStr(a[0]);
      const f = FILTERS.get(name);
      if (!f) throw pyError('TemplateRuntimeError', `No filter named '${name}'.`);
      const fa = a.slice(1);
      fn = (x) => f(it, x, fa, k);
    }
    const out: unknown[] = [];
    for (const x of items) {
      it.tick();
      out.push(fn(x));
    }
    return new PyIter('generator', out);
  },
  max: (it, v, a, k) => minmax(it, v, a, k, true),
  min: (it, v, a, k) => minmax(it, v, a, k, false),
  pprint: (_i, v) => pyRepr(v),
  random: (_i, v) => {
    const items = iterate(v);
    if (!items.length) throw pyError('IndexError', 'Cannot choose from an empty sequence');
    return items[Math.floor(Math.random() * items.length)];
  },
  reject: (it, v, a, k) => selectOrReject(it, v, a, k, false, false),
  rejectattr: (it, v, a, k) => selectOrReject(it, v, a, k, true, false),
  replace: (it, v, a, k) => {
    const s = softStr(v);
    const old = softStr(arg(a, k, 0, 'old', ''));
    const nw = softStr(arg(a, k, 1, 'new', ''));
    const count = arg(a, k, 2, 'count', null);
    const r = pyReplace(s, old, nw, count === null ? -1 : numVal(count));
    it.checkLen(r.length);
    return r;
  },
  reverse: (_i, v) => {
    const s = strOf(v);
    if (s !== null) return keepMarkup(v, cpArray(s).reverse().join(''));
    if (Array.isArray(v)) return new PyIter('list_reverseiterator', v.slice().reverse());
    if (v instanceof Undef) return [];
    return iterate(v).slice().reverse();
  },
  round: (_i, v, a, k) => {
    const prec = numVal(arg(a, k, 0, 'precision', 0));
    const method = pyStr(arg(a, k, 1, 'method', 'common'));
    // Python's round() on an Undefined finds no __round__ (a TypeError, not an UndefinedError).
    if (!isNumber(v)) throw pyError('TypeError', `type ${typeName(v)} doesn't define __round__ method`);
    const x = numVal(v);
    if (method === 'common') return isFloat(v) ? mkFloat(pyRound(x, prec)) : x;
    if (method !== 'ceil' && method !== 'floor')
      throw pyError('FilterArgumentError', 'method must be common, ceil or floor');
    const m = 10 ** prec;
    return mkFloat((method === 'ceil' ? Math.ceil(x * m) : Math.floor(x * m)) / m);
  },
  safe: (_i, v) => (v instanceof Markup ? v : new Markup(pyStr(v))),
  select: (it, v, a, k) => selectOrReject(it, v, a, k, false, true),
  selectattr: (it, v, a, k) => selectOrReject(it, v, a, k, true, true),
  slice: (_i, v, a, k) => {
    const n = numVal(arg(a, k, 0, 'slices', 1));
    const fill = arg(a, k, 1, 'fill_with', null);
    const seq = iterate(v);
    const per = Math.floor(seq.length / n);
    const extra = seq.length % n;
    const out: unknown[] = [];
    let offset = 0;
    for (let i = 0; i < n; i++) {
      const start = offset + i * per;
      if (i < extra) offset++;
      const end = offset + (i + 1) * per;
      const part = seq.slice(start, end);
      if (fill !== null && i >= extra) part.push(fill);
      out.push(part);
    }
    return new PyIter('generator', out);
  },
  sort: (it, v, a, k) => {
    const reverse = truthy(arg(a, k, 0, 'reverse', false));
    const cs = truthy(arg(a, k, 1, 'case_sensitive', false));
    const attribute = arg(a, k, 2, 'attribute', null);
    const get = attribute !== null ? attrGetter(it, attribute) : (x: unknown) => x;
    return pySorted(iterate(v).slice(), (x) => sortKey(get(x), cs), reverse);
  },
  string: (_i, v) => (v instanceof Markup ? v : softStr(v)),
  striptags: (_i, v) =>
    softStr(v)
      .replace(/<!--.*?-->|<[^>]*>/gs, '')
      .split(/\s+/)
      .filter(Boolean)
      .join(' '),
  sum: (it, v, a, k) => {
    const attribute = arg(a, k, 0, 'attribute', null);
    let acc: unknown = arg(a, k, 1, 'start', 0);
    let items = iterate(v);
    if (attribute !== null) items = items.map(attrGetter(it, attribute));
    for (const x of items) acc = it.binop('+', acc, x);
    return acc;
  },
  title: (_i, v) => keepMarkup(v, jinjaTitle(softStr(v))),
  tojson: (it, v, a, k) => {
    const ensureAscii = truthy(arg(a, k, 0, 'ensure_ascii', false));
    const ind = arg(a, k, 1, 'indent', null);
    const seps = arg(a, k, 2, 'separators', null);
    const sortKeys = truthy(arg(a, k, 3, 'sort_keys', false));
    const indentOpt = ind === null ? null : typeof ind === 'string' ? ind : numVal(ind);
    let separators: [string, string] | null = null;
    if (seps !== null) {
      const s = iterate(seps);
      separators = [pyStr(s[0]), pyStr(s[1])];
    }
    const r = pyJsonDumps(v, { ensureAscii, indent: indentOpt, separators, sortKeys });
    it.checkLen(r.length);
    return r;
  },
  trim: (_i, v, a, k) => {
    const chars = arg(a, k, 0, 'chars', null);
    return keepMarkup(v, pyStrip(softStr(v), chars === null ? null : softStr(chars), true, true));
  },
  truncate: (_i, v, a, k) =>
    doTruncate(
      softStr(v),
      numVal(arg(a, k, 0, 'length', 255)),
      truthy(arg(a, k, 1, 'killwords', false)),
      softStr(arg(a, k, 2, 'end', '...')),
      numVal(arg(a, k, 3, 'leeway', 5)),
    ),
  unique: (it, v, a, k) => {
    const cs = truthy(arg(a, k, 0, 'case_sensitive', false));
    const attribute = arg(a, k, 1, 'attribute', null);
    const get = attribute !== null ? attrGetter(it, attribute) : (x: unknown) => x;
    const seen: unknown[] = [];
    const out: unknown[] = [];
    for (const x of iterate(v)) {
      const key = sortKey(get(x), cs);
      if (!seen.some((s) => pyEq(s, key))) {
        seen.push(key);
        out.push(x);
      }
    }
    return new PyIter('generator', out);
  },
  upper: (_i, v) => keepMarkup(v, softStr(v).toUpperCase()),
  urlencode: (_i, v) => {
    // jinja2.utils.url_quote: urllib quote (safe "/" for strings; none + "+" for query pairs).
    const enc = (s: string) =>
      encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
    if (typeof v === 'string' || v instanceof Markup) return enc(pyStr(v)).replace(/%2F/g, '/');
    const pairs = isDict(v) ? dictItems(v) : iterate(v).map((p) => iterate(p));
    return pairs
      .map(([a, b]) => `${enc(pyStr(a)).replace(/%20/g, '+')}=${enc(pyStr(b)).replace(/%20/g, '+')}`)
      .join('&');
  },
  wordcount: (_i, v) => (softStr(v).match(/[\p{L}\p{N}\p{M}_]+/gu) ?? []).length,
  wordwrap: (_i, v, a, k) =>
    wordwrap(
      softStr(v),
      numVal(arg(a, k, 0, 'width', 79)),
      truthy(arg(a, k, 1, 'break_long_words', true)),
      softStr(arg(a, k, 2, 'wrapstring', '\n')),
      truthy(arg(a, k, 3, 'break_on_hyphens', true)),
    ),
  xmlattr: (_i, v, a, k) => {
    const autospace = truthy(arg(a, k, 0, 'autospace', true));
    if (!isDict(v)) throw pyError('AttributeError', `'${typeName(v)}' object has no attribute 'items'`);
    const parts: string[] = [];
    for (const [key, val] of dictItems(v)) {
      if (val === null || val instanceof Undef) continue;
      parts.push(`${htmlEscape(pyStr(key))}="${htmlEscape(pyStr(val))}"`);
    }
    const r = parts.join(' ');
    return new Markup(r && autospace ? ' ' + r : r);
  },
};
table['d'] = table['default']!;
table['e'] = table['escape']!;
table['count'] = table['length']!;

export const FILTERS = new Map<string, FilterFn>(Object.entries(table));
