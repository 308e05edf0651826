/**
 * Python value model for the interpreter.
 *
 *   None → null        bool → boolean         int → integral JS number
 *   float → non-integral JS number, or PyFloat (keeps `2.0` a float so it prints "2.0")
 *   str → string       Markup → Markup (|safe; `+` escapes the other side like markupsafe)
 *   list → Array       tuple → Array tagged with TUPLE
 *   dict → plain object (input data) or Map (dict literals / dict()) — both supported everywhere
 *   Jinja Undefined → Undef      generators and dict views → PyIter
 *
 * Only these shapes are ever inspected; JS properties of values are never
 * reached generically, which is what keeps templates out of the host (see sandbox notes
 * in interpreter.ts).
 */
import { pyError } from '../errors.js';

export class PyFloat {
  constructor(readonly v: number) {}
  /** Other stages may JSON.stringify rows read with parsePyJson: serialise as the plain number. */
  toJSON(): number {
    return this.v;
  }
}

export class Markup {
  constructor(readonly s: string) {}
}

/** Jinja2's default `Undefined`: prints empty, iterates empty, fails on most other use. */
export class Undef {
  constructor(
    readonly msg: string | null = null,
    readonly pyType: string = 'UndefinedError',
  ) {}
  fail(): never {
    throw pyError(this.pyType, this.msg ?? 'value is undefined');
  }
}
export const UNDEF = new Undef(null);

/** A generator / iterator / dict view; generators are single-use like in Python. */
export class PyIter {
  consumed = false;
  constructor(
    readonly kind: 'generator' | 'dict_keys' | 'dict_values' | 'dict_items' | 'list_reverseiterator' | 'iterator',
    readonly items: unknown[],
  ) {}
  get isView(): boolean {
    return this.kind === 'dict_keys' || this.kind === 'dict_values' || this.kind === 'dict_items';
  }
  take(): unknown[] {
    if (this.isView) return this.items;
    if (this.consumed) return [];
    this.consumed = true;
    return this.items;
  }
}

export class Namespace {
  readonly vars = new Map<string, unknown>();
}

export type Kwargs = Record<string, unknown>;

/** Anything callable from a template: globals, bound methods, macros, caller. */
export class PyCallable {
  constructor(
    readonly name: string,
    readonly fn: (args: unknown[], kwargs: Kwargs | null) => unknown,
    /** `class`: a Jinja global that is a Python class (range, dict, cycler, joiner, namespace); `name` is its qualname. */
    readonly kind: 'function' | 'method' | 'macro' | 'class' = 'function',
  ) {}
}

/** Rendered buffer text that still carries generation spans (relative to its start). */
export class SpannedStr {
  constructor(
    readonly s: string,
    readonly spans: [number, number][],
  ) {}
}

export const TUPLE: unique symbol = Symbol('tuple');
export function tuple<T extends unknown[]>(items: T): T {
  (items as unknown as Record<symbol, boolean>)[TUPLE] = true;
  return items;
}
export function isTuple(v: unknown): boolean {
  return Array.isArray(v) && (v as unknown as Record<symbol, unknown>)[TUPLE] === true;
}

/** Arrays produced by range() remember their arguments so they print like Python's range objects. */
export const RANGE: unique symbol = Symbol('range');

/** Sentinel for "key absent" in dict lookups. */
export const MISSING: unique symbol = Symbol('missing');

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false;
  const p = Object.getPrototypeOf(v);
  return p === Object.prototype || p === null;
}
export function isDict(v: unknown): v is Record<string, unknown> | Map<unknown, unknown> {
  return v instanceof Map || isPlainObject(v);
}

const hasOwn = Object.prototype.hasOwnProperty;

export function normKey(k: unknown): unknown {
  if (k instanceof PyFloat) return k.v;
  if (k instanceof Markup) return k.s;
  if (typeof k === 'boolean') return k ? 1 : 0;
  return k;
}

export function dictGet(d: Record<string, unknown> | Map<unknown, unknown>, key: unknown): unknown {
  if (d instanceof Map) {
    const k = normKey(key);
    return d.has(k) ? d.get(k) : MISSING;
  }
  const k = key instanceof Markup ? key.s : key;
  if (typeof k !== 'string') return MISSING;
  return hasOwn.call(d, k) ? d[k] : MISSING;
}

export function dictKeys(d: Record<string, unknown> | Map<unknown, unknown>): unknown[] {
  return d instanceof Map ? [...d.keys()] : Object.keys(d);
}
export function dictValues(d: Record<string, unknown> | Map<unknown, unknown>): unknown[] {
  return d instanceof Map ? [...d.values()] : Object.values(d);
}
export function dictItems(d: Record<string, unknown> | Map<unknown, unknown>): unknown[][] {
  const out: unknown[][] = [];
  if (d instanceof Map) for (const [k, v] of d) out.push(tuple([k, v]));
  else for (const k of Object.keys(d)) out.push(tuple([k, d[k]]));
  return out;
}
export function dictSize(d: Record<string, unknown> | Map<unknown, unknown>): number {
  return d instanceof Map ? d.size : Object.keys(d).length;
}

// ---- numbers --------------------------------------------------------------

export function isNumber(v: unknown): boolean {
  return typeof v === 'number' || typeof v === 'boolean' || v instanceof PyFloat;
}
export function numVal(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  return (v as PyFloat).v;
}
export function isFloat(v: unknown): boolean {
  return v instanceof PyFloat || (typeof v === 'number' && !Number.isInteger(v));
}
export function isInt(v: unknown): boolean {
  return typeof v === 'number' && Number.isInteger(v);
}
export function mkFloat(x: number): number | PyFloat {
  return Number.isInteger(x) ? new PyFloat(x) : x;
}

/** Python repr() of a float. */
export function floatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mant, expStr] = x.toExponential().split('e') as [string, string];
  const exp = Number(expStr);
  if (exp < -4 || exp >= 16) {
    const m = mant.includes('.') ? mant : mant;
    const sign = exp < 0 ? '-' : '+';
    const a = Math.abs(exp);
    return `${m}e${sign}${a < 10 ? '0' + a : a}`;
  }
  const neg = mant.startsWith('-');
  const digits = mant.replace('-', '').replace('.', '');
  let s: string;
  if (exp >= 0) {
    s =
      digits.length > exp + 1
        ? `${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`
        : `${digits.padEnd(exp + 1, '0')}.0`;
  } else {
    s = `0.${'0'.repeat(-exp - 1)}${digits}`;
  }
  return neg ? '-' + s : s;
}

/**
 * Python's correctly rounded fixed-point formatting (`'%.2f' % x`, `round(x, 2)`):
 * like toFixed, but exact ties go to the even digit instead of away from zero.
 */
export function toFixedPy(x: number, digits: number): string {
  const d = Math.max(0, Math.min(100, digits));
  const plain = x.toFixed(d);
  if (!Number.isFinite(x) || d + 25 > 100) return plain;
  const ext = Math.abs(x).toFixed(d + 25);
  const tail = ext.slice(ext.length - 25);
  if (tail !== '5' + '0'.repeat(24)) return plain;
  // Exact tie: round the truncated digits half-to-even.
  const trunc = ext.slice(0, ext.length - 25);
  const lastDigit = Number(trunc.replace('.', '').slice(-1));
  if (lastDigit % 2 === 0) return (x < 0 ? '-' : '') + trunc.replace(/\.$/, '');
  return plain;
}

// ---- strings (Python indexes by code point) -------------------------------

const SURROGATE_RE = /[\uD800-\uDFFF]/;
export function hasSurrogates(s: string): boolean {
  return SURROGATE_RE.test(s);
}
export function cpLen(s: string): number {
  if (!SURROGATE_RE.test(s)) return s.length;
  let n = 0;
  for (const _ of s) n++;
  return n;
}
export function cpArray(s: string): string[] {
  return Array.from(s);
}

// ---- type names and printing ---------------------------------------------

export function typeName(v: unknown): string {
  if (v === null) return 'NoneType';
  switch (typeof v) {
    case 'boolean':
      return 'bool';
    case 'number':
      return Number.isInteger(v) ? 'int' : 'float';
    case 'string':
      return 'str';
    case 'undefined':
      return 'Undefined';
  }
  if (v instanceof PyFloat) return 'float';
  if (v instanceof Markup) return 'Markup';
  if (Array.isArray(v)) return isTuple(v) ? 'tuple' : 'list';
  if (isDict(v)) return 'dict';
  if (v instanceof Undef) return 'Undefined';
  if (v instanceof PyIter) return v.kind;
  if (v instanceof Namespace) return 'Namespace';
  if (v instanceof PyCallable)
    return v.kind === 'macro'
      ? 'Macro'
      : v.kind === 'method'
        ? 'builtin_function_or_method'
        : v.kind === 'class'
          ? 'type'
          : 'function';
  return 'object';
}

/** Python str(). */
export function pyStr(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === null) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return Number.isInteger(v) ? (Object.is(v, -0) ? '0' : String(v)) : floatRepr(v);
  if (v === undefined || v instanceof Undef) return '';
  if (v instanceof Markup) return v.s;
  if (v instanceof SpannedStr) return v.s;
  return pyRepr(v);
}

const NONPRINTABLE_RE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]/u;

/** Python repr() of a str. */
export function strRepr(s: string): string {
  const q = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = q;
  for (const ch of s) {
    if (ch === q || ch === '\\') out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (NONPRINTABLE_RE.test(ch)) {
      const cp = ch.codePointAt(0)!;
      out +=
        cp < 0x100
          ? '\\x' + cp.toString(16).padStart(2, '0')
          : cp < 0x10000
            ? '\\u' + cp.toString(16).padStart(4, '0')
            : '\\U' + cp.toString(16).padStart(8, '0');
    } else out += ch;
  }
  return out + q;
}

/** Python repr(). */
export function pyRepr(v: unknown, depth = 0): string {
  if (depth > 100)
    throw pyError('RecursionError', 'maximum recursion depth exceeded while getting the repr of an object');
  if (typeof v === 'string') return strRepr(v);
  if (v instanceof PyFloat) return floatRepr(v.v);
  if (v instanceof Markup) return `Markup(${strRepr(v.s)})`;
  if (v instanceof Undef || v === undefined) return 'Undefined';
  if (Array.isArray(v)) {
    const r = (v as unknown as Record<symbol, number[] | undefined>)[RANGE];
    if (r) return r[2] === 1 ? `range(${r[0]}, ${r[1]})` : `range(${r[0]}, ${r[1]}, ${r[2]})`;
    const inner = v.map((x) => pyRepr(x, depth + 1)).join(', ');
    if (isTuple(v)) return v.length === 1 ? `(${inner},)` : `(${inner})`;
    return `[${inner}]`;
  }
  if (isDict(v)) {
    const parts: string[] = [];
    if (v instanceof Map) for (const [k, x] of v) parts.push(`${pyRepr(k, depth + 1)}: ${pyRepr(x, depth + 1)}`);
    else for (const k of Object.keys(v)) parts.push(`${strRepr(k)}: ${pyRepr(v[k], depth + 1)}`);
    return `{${parts.join(', ')}}`;
  }
  if (v instanceof PyIter) {
    if (v.isView) return `${v.kind}(${pyRepr(v.items, depth + 1)})`;
    return `<${v.kind} object at 0x7f0000000000>`;
  }
  if (v instanceof Namespace) {
    const parts: string[] = [];
    for (const [k, x] of v.vars) parts.push(`${strRepr(k)}: ${pyRepr(x, depth + 1)}`);
    return `<Namespace {${parts.join(', ')}}>`;
  }
  if (v instanceof PyCallable) {
    if (v.kind === 'class') return `<class '${v.name}'>`;
    return v.kind === 'macro' ? `<Macro '${v.name}'>` : `<function ${v.name} at 0x7f0000000000>`;
  }
  if (v instanceof SpannedStr) return strRepr(v.s);
  if (v === null || typeof v === 'boolean' || typeof v === 'number') return pyStr(v);
  return `<${typeName(v)} object>`;
}

// ---- truthiness, equality, ordering --------------------------------------

export function truthy(v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') return v.length > 0;
  if (v === null || v === undefined) return false;
  if (typeof v === 'number') return v !== 0;
  if (Array.isArray(v)) return v.length > 0;
  if (v instanceof Undef) return false;
  if (v instanceof PyFloat) return v.v !== 0;
  if (v instanceof Markup) return v.s.length > 0;
  if (v instanceof Map) return v.size > 0;
  if (v instanceof PyIter) return v.isView ? v.items.length > 0 : true;
  if (v instanceof SpannedStr) return v.s.length > 0;
  if (isPlainObject(v)) {
    for (const k in v) if (hasOwn.call(v, k)) return true;
    return false;
  }
  return true;
}

export function strOf(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (v instanceof Markup) return v.s;
  return null;
}

export function pyEq(a: unknown, b: unknown): boolean {
  if (a === b) return a === a || !(typeof a === 'number'); // NaN != NaN
  if (typeof a === 'string') return b instanceof Markup ? a === b.s : false;
  if (isNumber(a)) return isNumber(b) && numVal(a) === numVal(b);
  if (a instanceof Markup) return strOf(b) === a.s;
  if (a === null || b === null) return false;
  if (a instanceof Undef || a === undefined) return b instanceof Undef || b === undefined;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || isTuple(a) !== isTuple(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!pyEq(a[i], b[i])) return false;
    return true;
  }
  if (isDict(a)) {
    if (!isDict(b)) return false;
    const ka = dictKeys(a);
    if (ka.length !== dictSize(b)) return false;
    for (const k of ka) {
      const vb = dictGet(b, k);
      if (vb === MISSING || !pyEq(dictGet(a, k), vb)) return false;
    }
    return true;
  }
  return false;
}

const OP_SYM: Record<string, string> = { lt: '<', lteq: '<=', gt: '>', gteq: '>=' };

/** Python ordering; returns negative / 0 / positive or throws TypeError for unorderable types. */
export function pyCompare(a: unknown, b: unknown, op = 'lt'): number {
  if (a instanceof Undef) a.fail();
  if (b instanceof Undef) b.fail();
  if (isNumber(a) && isNumber(b)) {
    const x = numVal(a);
    const y = numVal(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  const sa = strOf(a);
  const sb = strOf(b);
  if (sa !== null && sb !== null) return sa < sb ? -1 : sa > sb ? 1 : 0;
  if (Array.isArray(a) && Array.isArray(b) && isTuple(a) === isTuple(b)) {
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) {
      if (!pyEq(a[i], b[i])) return pyCompare(a[i], b[i], op);
    }
    return a.length - b.length;
  }
  throw pyError(
    'TypeError',
    `'${OP_SYM[op] ?? '<'}' not supported between instances of '${typeName(a)}' and '${typeName(b)}'`,
  );
}

// ---- iteration and length ------------------------------------------------

/** Python iter() materialised as an array (callers must not mutate the result). */
export function iterate(v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  if (typeof v === 'string') return hasSurrogates(v) ? Array.from(v) : v.split('');
  if (v instanceof Undef || v === undefined) return [];
  if (v instanceof Map) return [...v.keys()];
  if (v instanceof PyIter) return v.take();
  if (v instanceof Markup) return iterate(v.s);
  if (isPlainObject(v)) return Object.keys(v);
  if (v instanceof SpannedStr) return iterate(v.s);
  throw pyError('TypeError', `'${typeName(v)}' object is not iterable`);
}

export function pyLen(v: unknown): number {
  if (typeof v === 'string') return cpLen(v);
  if (Array.isArray(v)) return v.length;
  if (isDict(v)) return dictSize(v);
  if (v instanceof Undef) return 0;
  if (v instanceof Markup) return cpLen(v.s);
  if (v instanceof PyIter && v.isView) return v.items.length;
  if (v instanceof SpannedStr) return cpLen(v.s);
  throw pyError('TypeError', `object of type '${typeName(v)}' has no len()`);
}

/** HTML escaping as markupsafe.escape does it. */
export function htmlEscape(s: string): string {
  return s.replace(/[&<>"']/g, (c) =>
    c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&#34;' : '&#39;',
  );
}

/** markupsafe.escape(): Markup passes through, everything else is str()'d and escaped. */
export function escapeToMarkup(v: unknown): Markup {
  if (v instanceof Markup) return v;
  return new Markup(htmlEscape(pyStr(v)));
}
