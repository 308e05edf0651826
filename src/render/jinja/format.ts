/** Python string formatting: `str % args` (printf style) and `str.format(...)`. */
import { pyError } from '../errors.js';
import {
  Markup,
  MISSING,
  PyFloat,
  dictGet,
  escapeToMarkup,
  floatRepr,
  isDict,
  isFloat,
  isNumber,
  isTuple,
  numVal,
  pyRepr,
  pyStr,
  toFixedPy,
  typeName,
} from './values.js';

function toInt(v: unknown, conv: string): number {
  if (!isNumber(v)) throw pyError('TypeError', `%${conv} format: a real number is required, not ${typeName(v)}`);
  return Math.trunc(numVal(v));
}
function toNum(v: unknown, conv: string): number {
  if (!isNumber(v)) throw pyError('TypeError', `must be real number, not ${typeName(v)}`);
  void conv;
  return numVal(v);
}

/** Python's %e / format 'e' exponent has at least two digits. */
function pyExp(s: string): string {
  return s.replace(/e([+-])(\d)$/, 'e$10$2');
}

function fmtFloat(x: number, conv: string, prec: number | null, alt: boolean): string {
  if (!Number.isFinite(x)) {
    const s = Number.isNaN(x) ? 'nan' : x > 0 ? 'inf' : '-inf';
    return conv === conv.toUpperCase() ? s.toUpperCase() : s;
  }
  const p = prec ?? 6;
  switch (conv) {
    case 'f':
    case 'F':
      return toFixedPy(x, p);
    case 'e':
    case 'E': {
      const s = pyExp(x.toExponential(p));
      return conv === 'E' ? s.toUpperCase() : s;
    }
    default: {
      // g / G
      const P = p === 0 ? 1 : p;
      if (x === 0) return alt ? (0).toFixed(P - 1) : '0';
      const exp = Math.floor(Math.log10(Math.abs(Number(x.toExponential(P - 1)))));
      let s: string;
      if (exp < -4 || exp >= P) {
        s = x.toExponential(P - 1);
        if (!alt) s = s.replace(/\.?0+e/, 'e');
        s = pyExp(s);
      } else {
        s = toFixedPy(x, Math.max(0, P - 1 - exp));
        if (!alt && s.includes('.')) s = s.replace(/\.?0+$/, '');
      }
      return conv === 'G' ? s.toUpperCase() : s;
    }
  }
}

function pad(s: string, width: number, left: boolean, zero: boolean): string {
  if (s.length >= width) return s;
  if (left) return s + ' '.repeat(width - s.length);
  if (zero) {
    const sign = /^[+\- ]/.test(s) ? s[0]! : '';
    return sign + '0'.repeat(width - s.length) + s.slice(sign.length);
  }
  return ' '.repeat(width - s.length) + s;
}

/** `fmt % args` for str (and Markup, whose arguments get escaped). */
export function percentFormat(fmt: string, args: unknown, markup: boolean): string {
  let positional: unknown[];
  let mapping: unknown = null;
  if (isTuple(args)) positional = args as unknown[];
  else {
    positional = [args];
    if (isDict(args)) mapping = args;
  }
  let ai = 0;
  let usedMapping = false;
  const next = (): unknown => {
    if (ai >= positional.length) throw pyError('TypeError', 'not enough arguments for format string');
    return positional[ai++];
  };
  const re = /%(?:\(([^)]*)\))?([-+ #0]*)(\*|\d+)?(?:\.(\*|\d+))?[hlL]?([diouxXeEfFgGcrsa%])/g;
  let out = '';
  let last = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(fmt))) {
    out += fmt.slice(last, m.index);
    last = re.lastIndex;
    const [, key, flags = '', w, pr, conv] = m as unknown as [
      string,
      string | undefined,
      string,
      string | undefined,
      string | undefined,
      string,
    ];
    if (conv === '%' && key === undefined) {
      out += '%';
      continue;
    }
    let v: unknown;
    const width = w === '*' ? toInt(next(), 'd') : w ? Number(w) : 0;
    const prec = pr === '*' ? toInt(next(), 'd') : pr !== undefined ? Number(pr) : null;
    if (key !== undefined) {
      if (mapping === null) throw pyError('TypeError', 'format requires a mapping');
      usedMapping = true;
      v = dictGet(mapping as Record<string, unknown>, key);
      if (v === MISSING) throw pyError('KeyError', `'${key}'`);
    } else v = next();
    if (markup && (conv === 's' || conv === 'r' || conv === 'a')) v = escapeToMarkup(conv === 's' ? v : pyRepr(v));
    let s: string;
    switch (conv) {
      case 's':
        s = pyStr(v);
        if (prec !== null) s = [...s].slice(0, prec).join('');
        break;
      case 'r':
      case 'a':
        s = v instanceof Markup && markup ? v.s : pyRepr(v);
        if (prec !== null) s = [...s].slice(0, prec).join('');
        break;
      case 'c':
        s = typeof v === 'string' ? v : String.fromCodePoint(toInt(v, 'c'));
        break;
      case 'd':
      case 'i':
      case 'u': {
        const n = toInt(v, conv);
        s = String(Math.abs(n));
        if (prec !== null) s = s.padStart(prec, '0');
        s = (n < 0 ? '-' : flags.includes('+') ? '+' : flags.includes(' ') ? ' ' : '') + s;
        break;
      }
      case 'x':
      case 'X':
      case 'o': {
        const n = toInt(v, conv);
        s = Math.abs(n).toString(conv === 'o' ? 8 : 16);
        if (conv === 'X') s = s.toUpperCase();
        if (flags.includes('#')) s = (conv === 'o' ? '0o' : conv === 'x' ? '0x' : '0X') + s;
        s = (n < 0 ? '-' : flags.includes('+') ? '+' : '') + s;
        break;
      }
      default: {
        const x = toNum(v, conv);
        s = fmtFloat(Math.abs(x), conv, prec, flags.includes('#'));
        s = (x < 0 || Object.is(x, -0) ? '-' : flags.includes('+') ? '+' : flags.includes(' ') ? ' ' : '') + s;
      }
    }
    out += pad(s, width, flags.includes('-'), flags.includes('0') && conv !== 's' && conv !== 'r');
  }
  out += fmt.slice(last);
  if (!usedMapping && mapping === null && ai < positional.length) {
    throw pyError('TypeError', 'not all arguments converted during string formatting');
  }
  return out;
}

/** Python format-spec mini language for one value. */
export function formatSpec(v: unknown, spec: string): string {
  if (spec === '') return pyStr(v);
  const m = /^(?:(.)?([<>=^]))?([-+ ])?(#)?(0)?(\d+)?([,_])?(?:\.(\d+))?([bcdeEfFgGnosxX%])?$/su.exec(spec);
  if (!m) throw pyError('ValueError', `Invalid format specifier '${spec}' for object of type '${typeName(v)}'`);
  const [, fillCh, alignCh, sign = '-', alt, zero, widthS, group, precS, typeCh] = m;
  let fill = fillCh ?? (zero && !alignCh ? '0' : ' ');
  let align = alignCh ?? (zero && isNumber(v) ? '=' : typeof v === 'string' || !isNumber(v) ? '<' : '>');
  const width = widthS ? Number(widthS) : 0;
  const prec = precS !== undefined ? Number(precS) : null;
  let body: string;
  let signStr = '';
  if (isNumber(v) && typeof v !== 'string') {
    const x = numVal(v);
    const floaty = isFloat(v) || v instanceof PyFloat;
    let t = typeCh ?? (floaty ? '' : 'd');
    const ax = Math.abs(x);
    if (t === 'd' || t === 'n') body = String(Math.trunc(ax));
    else if (t === 'x' || t === 'X') body = (alt ? '0x' : '') + Math.trunc(ax).toString(16);
    else if (t === 'o') body = (alt ? '0o' : '') + Math.trunc(ax).toString(8);
    else if (t === 'b') body = (alt ? '0b' : '') + Math.trunc(ax).toString(2);
    else if (t === 'c') body = String.fromCodePoint(Math.trunc(x));
    else if (t === '%') body = fmtFloat(ax * 100, 'f', prec, !!alt) + '%';
    else if (t === '') body = prec === null ? floatRepr(ax) : fmtFloat(ax, 'g', prec, !!alt);
    else body = fmtFloat(ax, t, prec, !!alt);
    if (t === 'X') body = body.toUpperCase();
    if (group) {
      const [ip, fp] = body.split('.') as [string, string | undefined];
      body = ip.replace(/\B(?=(\d{3})+(?!\d))/g, group) + (fp !== undefined ? '.' + fp : '');
    }
    signStr = x < 0 || Object.is(x, -0) ? '-' : sign === '+' ? '+' : sign === ' ' ? ' ' : '';
    t = '';
  } else {
    body = pyStr(v);
    if (prec !== null) body = [...body].slice(0, prec).join('');
  }
  const len = [...body].length + signStr.length;
  if (len >= width) return signStr + body;
  const padN = width - len;
  if (align === '<') return signStr + body + fill.repeat(padN);
  if (align === '>') return fill.repeat(padN) + signStr + body;
  if (align === '=') return signStr + fill.repeat(padN) + body;
  const l = Math.floor(padN / 2);
  fill = fill || ' ';
  align = '^';
  return fill.repeat(l) + signStr + body + fill.repeat(padN - l);
}

/**
 * `str.format(*args, **kwargs)`; `lookup` resolves `.attr` / `[key]` field parts with the
 * sandboxed attribute rules.
 */
export function strFormat(
  fmt: string,
  args: unknown[],
  kwargs: Record<string, unknown> | null,
  lookup: (obj: unknown, key: string | number, isAttr: boolean) => unknown,
): string {
  let out = '';
  let auto = 0;
  let i = 0;
  while (i < fmt.length) {
    const c = fmt[i]!;
    if (c === '{') {
      if (fmt[i + 1] === '{') {
        out += '{';
        i += 2;
        continue;
      }
      const end = fmt.indexOf('}', i);
      if (end === -1) throw pyError('ValueError', "Single '{' encountered in format string");
      const field = fmt.slice(i + 1, end);
      i = end + 1;
      const m = /^([^.[!:]*)((?:\.[^.[!:]+|\[[^\]]*\])*)(?:!([rsa]))?(?::(.*))?$/s.exec(field);
      if (!m) throw pyError('ValueError', 'bad format field');
      const [, head = '', path = '', conv, spec = ''] = m;
      let v: unknown;
      if (head === '') {
        if (auto >= args.length) throw pyError('IndexError', 'tuple index out of range'); // the sandbox formats with string.Formatter
        v = args[auto++];
      } else if (/^\d+$/.test(head)) {
        const n = Number(head);
        if (n >= args.length) throw pyError('IndexError', 'tuple index out of range');
        v = args[n];
      } else {
        if (!kwargs || !(head in kwargs)) throw pyError('KeyError', `'${head}'`);
        v = kwargs[head];
      }
      const partRe = /\.([^.[]+)|\[([^\]]*)\]/g;
      let pm: RegExpExecArray | null;
      while ((pm = partRe.exec(path))) {
        if (pm[1] !== undefined) v = lookup(v, pm[1], true);
        else v = lookup(v, /^\d+$/.test(pm[2]!) ? Number(pm[2]) : pm[2]!, false);
      }
      if (conv === 'r' || conv === 'a') v = pyRepr(v);
      else if (conv === 's') v = pyStr(v);
      out += formatSpec(v, spec);
    } else if (c === '}') {
      if (fmt[i + 1] !== '}') throw pyError('ValueError', "Single '}' encountered in format string");
      out += '}';
      i += 2;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}
