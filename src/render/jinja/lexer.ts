/**
 * Jinja2 lexer with the whitespace rules of Python Jinja2 3.1 under
 * `trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False`.
 *
 * It follows Jinja's state machine (root / block / variable / comment / raw)
 * rather than regex-rewriting the source, because the rewriting approach gets
 * `{%+`, `+%}`, `{% raw %}`, `-%}` followed by text and tags inside string
 * literals wrong.
 */
import { TemplateError } from '../errors.js';

export type TokType =
  'data' | 'block_begin' | 'block_end' | 'var_begin' | 'var_end' | 'name' | 'string' | 'int' | 'float' | 'op' | 'eof';

export interface Token {
  t: TokType;
  /** Text for data/name/string/op; numeric value for int/float. */
  v: string | number;
  line: number;
}

// Root: the earliest tag opener; `raw` is tried first at a given position, like Jinja.
const ROOT_RE = /\{%(-|\+|)\s*raw\s*(?:-%\}\s*|%\})|\{#(-|\+|)|\{%(-|\+|)|\{\{(-|\+|)/g;
const COMMENT_END_RE = /\+#\}|-#\}\s*|#\}\n?/g;
const BLOCK_END_RE = /\+%\}|-%\}\s*|%\}\n?/y;
const VAR_END_RE = /-\}\}\s*|\}\}/y;
const RAW_END_RE = /\{%(-|\+|)\s*endraw\s*(?:\+%\}|-%\}\s*|%\}\n?)/g;
const WS_RE = /\s+/y;
const FLOAT_RE = /(?:\d+_)*\d+(?:(?:\.(?:\d+_)*\d+)?e[+-]?(?:\d+_)*\d+|\.(?:\d+_)*\d+)/iy;
const INT_RE = /0b(?:_?[01])+|0o(?:_?[0-7])+|0x(?:_?[\da-f])+|[1-9](?:_?\d)*|0(?:_?0)*/iy;
const NAME_RE = /[\p{L}\p{Nl}_][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}]*/uy;
const STRING_RE = /'([^'\\]*(?:\\.[^'\\]*)*)'|"([^"\\]*(?:\\.[^"\\]*)*)"/sy;
const OP_RE = /\/\/|\*\*|==|!=|>=|<=|[+\-/*%~[\](){}<>=.:|,;]/y;
const ONLY_WS_RE = /^\s+$/;

const OPEN_FOR: Record<string, string> = { '(': ')', '[': ']', '{': '}' };

function syntaxError(msg: string, line: number): TemplateError {
  return new TemplateError(msg, 'TemplateSyntaxError', line);
}

function countNl(s: string): number {
  let n = 0;
  for (let i = s.indexOf('\n'); i !== -1; i = s.indexOf('\n', i + 1)) n++;
  return n;
}

/** Python's str.rstrip() whitespace set is close enough to JS \s for templates. */
function rstripWs(s: string): string {
  return s.replace(/\s+$/, '');
}

/** Python `unicode-escape` decoding of a Jinja string literal body. */
export function unescapeString(body: string, line: number): string {
  if (body.indexOf('\\') === -1) return body;
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const n = body[++i];
    if (n === undefined) throw syntaxError('\\ at end of string', line);
    switch (n) {
      case 'n':
        out += '\n';
        break;
      case 't':
        out += '\t';
        break;
      case 'r':
        out += '\r';
        break;
      case '\\':
        out += '\\';
        break;
      case "'":
        out += "'";
        break;
      case '"':
        out += '"';
        break;
      case 'a':
        out += '\x07';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'v':
        out += '\v';
        break;
      case '\n':
        break; // line continuation
      case 'x':
      case 'u':
      case 'U': {
        const len = n === 'x' ? 2 : n === 'u' ? 4 : 8;
        const hex = body.slice(i + 1, i + 1 + len);
        if (hex.length !== len || !/^[0-9a-fA-F]+$/.test(hex)) {
          throw syntaxError(`truncated \\${n} escape`, line);
        }
        out += String.fromCodePoint(parseInt(hex, 16));
        i += len;
        break;
      }
      default:
        if (n >= '0' && n <= '7') {
          let j = i;
          let oct = '';
          while (j < body.length && oct.length < 3 && body[j]! >= '0' && body[j]! <= '7') oct += body[j++];
          out += String.fromCharCode(parseInt(oct, 8));
          i = j - 1;
        } else {
          // Python keeps unknown escapes verbatim.
          out += '\\' + n;
        }
    }
  }
  return out;
}

export function tokenize(input: string): Token[] {
  // Jinja splits on \r\n|\r|\n, drops one trailing newline, rejoins with \n.
  let src = input.replace(/\r\n?/g, '\n');
  if (src.endsWith('\n')) src = src.slice(0, -1);

  const toks: Token[] = [];
  let pos = 0;
  let line = 1;
  let lineStarting = true;
  const n = src.length;

  const pushData = (text: string) => {
    if (text.length) toks.push({ t: 'data', v: text, line });
    line += countNl(text);
  };

  /** Apply `-` / lstrip_blocks to text preceding a tag (Jinja's OptionalLStrip). */
  const stripBefore = (text: string, sign: string, isVar: boolean): string => {
    if (sign === '-') return rstripWs(text);
    if (sign !== '+' && !isVar) {
      const lpos = text.lastIndexOf('\n') + 1;
      if ((lpos > 0 || lineStarting) && ONLY_WS_RE.test(text.slice(lpos))) return text.slice(0, lpos);
    }
    return text;
  };

  while (pos < n) {
    ROOT_RE.lastIndex = pos;
    const m = ROOT_RE.exec(src);
    if (!m) {
      pushData(src.slice(pos));
      break;
    }
    const raw = m[0];
    const text = src.slice(pos, m.index);
    if (m[1] !== undefined) {
      // {% raw %} ... {% endraw %}
      pushData(stripBefore(text, m[1], false));
      line += countNl(raw);
      const p = m.index + raw.length;
      RAW_END_RE.lastIndex = p;
      const e = RAW_END_RE.exec(src);
      if (!e) throw syntaxError('Missing end of raw directive', line);
      lineStarting = raw.endsWith('\n');
      pushData(stripBefore(src.slice(p, e.index), e[1]!, false));
      line += countNl(e[0]);
      lineStarting = e[0].endsWith('\n');
      pos = e.index + e[0].length;
      continue;
    }
    if (m[2] !== undefined) {
      // comment
      pushData(stripBefore(text, m[2], false));
      COMMENT_END_RE.lastIndex = m.index + raw.length;
      const e = COMMENT_END_RE.exec(src);
      if (!e) throw syntaxError('Missing end of comment tag', line);
      line += countNl(src.slice(m.index, e.index + e[0].length));
      lineStarting = e[0].endsWith('\n');
      pos = e.index + e[0].length;
      continue;
    }
    const isVar = m[4] !== undefined;
    pushData(stripBefore(text, isVar ? m[4]! : m[3]!, isVar));
    toks.push({ t: isVar ? 'var_begin' : 'block_begin', v: '', line });
    pos = m.index + raw.length;
    lineStarting = false;
    pos = lexTag(src, pos, isVar);
  }
  toks.push({ t: 'eof', v: '', line });
  return toks;

  /** Tokens inside `{% %}` or `{{ }}`; returns the position after the closing tag. */
  function lexTag(s: string, p: number, isVar: boolean): number {
    const balance: string[] = [];
    const endRe = isVar ? VAR_END_RE : BLOCK_END_RE;
    for (;;) {
      if (p >= s.length) throw syntaxError(`unexpected end of template, expected '${isVar ? '}}' : '%}'}'`, line);
      if (balance.length === 0) {
        endRe.lastIndex = p;
        const e = endRe.exec(s);
        if (e) {
          toks.push({ t: isVar ? 'var_end' : 'block_end', v: '', line });
          line += countNl(e[0]);
          lineStarting = e[0].endsWith('\n');
          return p + e[0].length;
        }
      }
      let mm: RegExpExecArray | null;
      WS_RE.lastIndex = p;
      if ((mm = WS_RE.exec(s))) {
        line += countNl(mm[0]);
        p += mm[0].length;
        continue;
      }
      FLOAT_RE.lastIndex = p;
      if (s[p - 1] !== '.' && (mm = FLOAT_RE.exec(s))) {
        toks.push({ t: 'float', v: Number(mm[0].replace(/_/g, '')), line });
        p += mm[0].length;
        continue;
      }
      INT_RE.lastIndex = p;
      if ((mm = INT_RE.exec(s))) {
        const txt = mm[0].replace(/_/g, '').toLowerCase();
        const v = txt.startsWith('0b')
          ? parseInt(txt.slice(2), 2)
          : txt.startsWith('0o')
            ? parseInt(txt.slice(2), 8)
            : Number(txt);
        toks.push({ t: 'int', v, line });
        p += mm[0].length;
        continue;
      }
      NAME_RE.lastIndex = p;
      if ((mm = NAME_RE.exec(s))) {
        toks.push({ t: 'name', v: mm[0], line });
        p += mm[0].length;
        continue;
      }
      STRING_RE.lastIndex = p;
      if ((mm = STRING_RE.exec(s))) {
        const body = mm[1] ?? mm[2] ?? '';
        toks.push({ t: 'string', v: unescapeString(body, line), line });
        line += countNl(mm[0]);
        p += mm[0].length;
        continue;
      }
      OP_RE.lastIndex = p;
      if ((mm = OP_RE.exec(s))) {
        const op = mm[0];
        if (op in OPEN_FOR) balance.push(OPEN_FOR[op]!);
        else if (op === ')' || op === ']' || op === '}') {
          const want = balance.pop();
          if (want === undefined) throw syntaxError(`unexpected '${op}'`, line);
          if (want !== op) throw syntaxError(`unexpected '${op}', expected '${want}'`, line);
        }
        toks.push({ t: 'op', v: op, line });
        p += op.length;
        continue;
      }
      throw syntaxError(`unexpected char ${JSON.stringify(s[p])} at ${p}`, line);
    }
  }
}
