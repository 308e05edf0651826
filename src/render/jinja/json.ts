/**
 * JSON at the Python boundary.
 *
 * - `pyJsonDumps` is transformers' `tojson`: `json.dumps(x, ensure_ascii=False,
 *   indent=None, separators=None, sort_keys=False)` — Python separators (", ", ": "),
 *   floats printed with Python repr, insertion order kept.
 * - `parsePyJson` parses JSON like Python's `json.loads` would, keeping numbers written
 *   with a fraction or exponent as floats (`2.0` stays a float and prints "2.0").
 */
import { pyError } from '../errors.js';
import { Markup, PyFloat, SpannedStr, floatRepr, isDict, isPlainObject, pyCompare, typeName } from './values.js';

export interface DumpsOptions {
  indent?: number | string | null;
  separators?: [string, string] | null;
  sortKeys?: boolean;
  ensureAscii?: boolean;
}

function jsonStr(s: string, ensureAscii: boolean): string {
  const q = JSON.stringify(s);
  if (!ensureAscii) return q;
  return q.replace(/[\u007f-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

function floatJson(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  return floatRepr(x);
}

function keyStr(k: unknown): string {
  if (typeof k === 'string') return k;
  if (k instanceof Markup) return k.s;
  if (typeof k === 'boolean') return k ? 'true' : 'false';
  if (k === null) return 'null';
  if (typeof k === 'number') return Number.isInteger(k) ? String(k) : floatJson(k);
  if (k instanceof PyFloat) return floatJson(k.v);
  throw pyError('TypeError', `keys must be str, int, float, bool or None, not ${typeName(k)}`);
}

export function pyJsonDumps(value: unknown, opts: DumpsOptions = {}): string {
  const indent =
    opts.indent === undefined || opts.indent === null
      ? null
      : typeof opts.indent === 'number'
        ? ' '.repeat(Math.max(0, opts.indent))
        : opts.indent;
  const [itemSep, keySep] = opts.separators ?? (indent === null ? [', ', ': '] : [',', ': ']);
  const ensureAscii = opts.ensureAscii ?? false;
  const sortKeys = opts.sortKeys ?? false;
  const stack = new Set<unknown>();

  const enc = (v: unknown, level: number): string => {
    if (typeof v === 'string') return jsonStr(v, ensureAscii);
    if (v === null) return 'null';
    if (typeof v === 'boolean') return v ? 'true' : 'false';
    if (typeof v === 'number') return Number.isInteger(v) ? String(v) : floatJson(v);
    if (v instanceof PyFloat) return floatJson(v.v);
    if (v instanceof Markup) return jsonStr(v.s, ensureAscii);
    if (v instanceof SpannedStr) return jsonStr(v.s, ensureAscii);
    const isArr = Array.isArray(v);
    if (!isArr && !isDict(v)) {
      throw pyError('TypeError', `Object of type ${typeName(v)} is not JSON serializable`);
    }
    if (stack.has(v)) throw pyError('ValueError', 'Circular reference detected');
    stack.add(v);
    let parts: string[];
    if (isArr) {
      if (v.length === 0) {
        stack.delete(v);
        return '[]';
      }
      parts = v.map((x) => enc(x, level + 1));
    } else {
      let entries: [unknown, unknown][] =
        v instanceof Map ? [...v.entries()] : Object.keys(v).map((k) => [k, (v as Record<string, unknown>)[k]]);
      if (entries.length === 0) {
        stack.delete(v);
        return '{}';
      }
      if (sortKeys) entries = entries.slice().sort((a, b) => pyCompare(a[0], b[0]));
      parts = entries.map(([k, x]) => jsonStr(keyStr(k), ensureAscii) + keySep + enc(x, level + 1));
    }
    stack.delete(v);
    const [open, close] = isArr ? ['[', ']'] : ['{', '}'];
    if (indent === null) return open + parts.join(itemSep) + close;
    const inner = '\n' + indent.repeat(level + 1);
    return open + inner + parts.join(itemSep + inner) + '\n' + indent.repeat(level) + close;
  };
  return enc(value, 0);
}

// ---- parsing ---------------------------------------------------------------

const MAYBE_FLOAT_RE = /\d[.eE]|NaN|Infinity/;

/**
 * Parse JSON text the way Python's json.loads types it: numbers with a fraction or an
 * exponent become floats (PyFloat when integral, e.g. `2.0`), `NaN`/`Infinity` accepted.
 * Objects are plain objects (own `__proto__` keys stay data, as with JSON.parse).
 */
export function parsePyJson(text: string): unknown {
  if (!MAYBE_FLOAT_RE.test(text)) return JSON.parse(text);
  let fast: unknown;
  try {
    fast = JSON.parse(text);
  } catch {
    return new PyJsonParser(text).parseTop(); // NaN / Infinity, which Python accepts
  }
  // Only integral values can hide a float written as `2.0`; without any, JSON.parse is exact
  // (the common case: chat rows whose digits are inside strings).
  return hasIntegralNumber(fast) ? new PyJsonParser(text).parseTop() : fast;
}

function hasIntegralNumber(v: unknown): boolean {
  if (typeof v === 'number') return Number.isInteger(v);
  if (v === null || typeof v !== 'object') return false;
  if (Array.isArray(v)) return v.some(hasIntegralNumber);
  for (const k in v as Record<string, unknown>) if (hasIntegralNumber((v as Record<string, unknown>)[k])) return true;
  return false;
}

class PyJsonParser {
  private i = 0;
  constructor(private readonly s: string) {}

  parseTop(): unknown {
    this.ws();
    const v = this.value();
    this.ws();
    if (this.i < this.s.length) this.fail('Unexpected non-whitespace character after JSON');
    return v;
  }

  private fail(msg: string): never {
    throw new SyntaxError(`${msg} at position ${this.i}`);
  }

  private ws(): void {
    const s = this.s;
    while (this.i < s.length) {
      const c = s.charCodeAt(this.i);
      if (c === 32 || c === 9 || c === 10 || c === 13) this.i++;
      else break;
    }
  }

  private value(): unknown {
    const s = this.s;
    const c = s[this.i];
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') return this.string();
    if (c === 't' && s.startsWith('true', this.i)) return ((this.i += 4), true);
    if (c === 'f' && s.startsWith('false', this.i)) return ((this.i += 5), false);
    if (c === 'n' && s.startsWith('null', this.i)) return ((this.i += 4), null);
    if (c === 'N' && s.startsWith('NaN', this.i)) return ((this.i += 3), NaN);
    if (c === 'I' && s.startsWith('Infinity', this.i)) return ((this.i += 8), Infinity);
    if (c === '-' && s.startsWith('-Infinity', this.i)) return ((this.i += 9), -Infinity);
    return this.number();
  }

  private number(): unknown {
    const re = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
    re.lastIndex = this.i;
    const m = re.exec(this.s);
    if (!m) this.fail('Unexpected token');
    this.i += m[0].length;
    const x = Number(m[0]);
    if (m[1] === undefined && m[2] === undefined) return x;
    return Number.isInteger(x) ? new PyFloat(x) : x;
  }

  private string(): string {
    const s = this.s;
    const start = this.i;
    let j = start + 1;
    for (;;) {
      const c = s.charCodeAt(j);
      if (Number.isNaN(c)) this.fail('Unterminated string');
      if (c === 34) break;
      if (c === 92) j += 2;
      else j++;
    }
    this.i = j + 1;
    return JSON.parse(s.slice(start, j + 1)) as string;
  }

  private array(): unknown[] {
    this.i++;
    const out: unknown[] = [];
    this.ws();
    if (this.s[this.i] === ']') return (this.i++, out);
    for (;;) {
      this.ws();
      out.push(this.value());
      this.ws();
      const c = this.s[this.i++];
      if (c === ']') return out;
      if (c !== ',') this.fail("Expected ',' or ']'");
    }
  }

  private object(): Record<string, unknown> {
    this.i++;
    const out: Record<string, unknown> = {};
    this.ws();
    if (this.s[this.i] === '}') return (this.i++, out);
    for (;;) {
      this.ws();
      if (this.s[this.i] !== '"') this.fail('Expected property name');
      const k = this.string();
      this.ws();
      if (this.s[this.i++] !== ':') this.fail("Expected ':'");
      this.ws();
      const v = this.value();
      if (k === '__proto__')
        Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
      else out[k] = v;
      this.ws();
      const c = this.s[this.i++];
      if (c === '}') return out;
      if (c !== ',') this.fail("Expected ',' or '}'");
    }
  }
}

/** Deep-convert PyFloat wrappers back to plain numbers (for consumers outside the renderer). */
export function stripPyFloats(v: unknown): unknown {
  if (v instanceof PyFloat) return v.v;
  if (Array.isArray(v)) return v.map(stripPyFloats);
  if (isPlainObject(v)) {
    const o: Record<string, unknown> = {};
    for (const k of Object.keys(v))
      Object.defineProperty(o, k, { value: stripPyFloats(v[k]), enumerable: true, writable: true, configurable: true });
    return o;
  }
  return v;
}
