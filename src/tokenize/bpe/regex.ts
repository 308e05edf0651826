/**
 * Translate the Oniguruma patterns of tokenizer.json (`Split`, `ByteLevel`) into V8 regexes with
 * the same matches. Rust compiles them with Oniguruma's default syntax over UTF-8, where `\s`,
 * `\d`, `\w` are Unicode-aware and `.` excludes only `\n`; JS differs on each, so they are spelled
 * out. Anything not understood yields `undefined` and the caller falls back to the Rust binding.
 */

/** Oniguruma `\s` (Unicode White_Space); JS `\s` adds U+FEFF and misses U+0085. */
export const WS_BODY = '\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
/**
 * Oniguruma `\w` as the Rust binding matches it (checked code point by code point): Alphabetic,
 * marks, decimal digits, connector punctuation, and the Latin-1 numbers `² ³ ¹ ¼ ½ ¾`.
 */
const WORD_BODY = '\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}\\u00b2\\u00b3\\u00b9\\u00bc-\\u00be';

const GENERAL_CATEGORIES = new Set(
  'L Lu Ll Lt Lm Lo LC M Mn Mc Me N Nd Nl No P Pc Pd Ps Pe Pi Pf Po S Sm Sc Sk So Z Zs Zl Zp C Cc Cf Co Cn'.split(' '),
);

/** `\p{Name}` of Oniguruma as a JS property escape body (general categories and scripts). */
function property(name: string): string | undefined {
  if (GENERAL_CATEGORIES.has(name)) return name;
  try {
    new RegExp(`\\p{Script=${name}}`, 'u');
    return `Script=${name}`;
  } catch {
    return undefined;
  }
}

/** Extra simple case folds of ASCII letters (long s, Kelvin sign) that Oniguruma's (?i) applies. */
const FOLD_EXTRA: Record<string, string> = { s: '\u017f', k: '\u212a' };

function caseless(ch: string): string {
  const lo = ch.toLowerCase();
  const up = ch.toUpperCase();
  if (lo === up || lo.length !== 1 || up.length !== 1) return escapeLiteral(ch);
  return `[${lo}${up}${FOLD_EXTRA[lo] ?? ''}]`;
}

function escapeLiteral(ch: string): string {
  return /[A-Za-z0-9 _'"<>,;:=!@#%&~`-]/.test(ch) && ch !== '-' ? ch : `\\u{${ch.codePointAt(0)!.toString(16)}}`;
}

/**
 * JS source for an Oniguruma pattern, or undefined when it uses a construct we do not translate.
 * Supported: literals, classes (not nested), `\s \S \d \D \w \W \p{..} \P{..} \r \n \t \f \v \xHH \uHHHH`,
 * escaped punctuation, groups `(?: (?= (?! (?<= (?<!`, `(?i:...)` over literal alternatives,
 * greedy and lazy quantifiers.
 */
export function translateOnig(src: string): string | undefined {
  let out = '';
  let inClass = false;
  let classStart = false;
  const chars = Array.from(src);
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    const atClassStart = classStart;
    classStart = false;
    if (c === '\\') {
      const n = chars[++i];
      if (n === undefined) return undefined;
      switch (n) {
        case 's':
          out += inClass ? WS_BODY : `[${WS_BODY}]`;
          break;
        case 'S':
          if (inClass) return undefined;
          out += `[^${WS_BODY}]`;
          break;
        case 'w':
          out += inClass ? WORD_BODY : `[${WORD_BODY}]`;
          break;
        case 'W':
          if (inClass) return undefined;
          out += `[^${WORD_BODY}]`;
          break;
        case 'd':
          out += '\\p{Nd}';
          break;
        case 'D':
          out += '\\P{Nd}';
          break;
        case 'p':
        case 'P': {
          if (chars[i + 1] !== '{') return undefined;
          const close = chars.indexOf('}', i + 2);
          if (close < 0) return undefined;
          let name = chars.slice(i + 2, close).join('');
          let neg = n === 'P';
          if (name.startsWith('^')) {
            neg = !neg;
            name = name.slice(1);
          }
          const body = property(name);
          if (!body) return undefined;
          out += `\\${neg ? 'P' : 'p'}{${body}}`;
          i = close;
          break;
        }
        case 'r':
        case 'n':
        case 't':
        case 'f':
        case 'v':
          out += `\\${n}`;
          break;
        case 'x': {
          if (chars[i + 1] === '{') {
            const close = chars.indexOf('}', i + 2);
            const hex = chars.slice(i + 2, close).join('');
            if (close < 0 || !/^[0-9a-fA-F]{1,6}$/.test(hex)) return undefined;
            out += `\\u{${hex}}`;
            i = close;
          } else {
            const hex = chars.slice(i + 1, i + 3).join('');
            if (!/^[0-9a-fA-F]{2}$/.test(hex)) return undefined;
            out += `\\x${hex}`;
            i += 2;
          }
          break;
        }
        case 'u': {
          const hex = chars.slice(i + 1, i + 5).join('');
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) return undefined;
          out += `\\u${hex}`;
          i += 4;
          break;
        }
        default:
          // Escaped punctuation is a literal; escaped letters/digits are anchors or classes we don't map.
          if (/[\p{L}\p{N}]/u.test(n)) return undefined;
          out += `\\u{${n.codePointAt(0)!.toString(16)}}`;
      }
      continue;
    }
    if (inClass) {
      if (c === ']' && !atClassStart) {
        inClass = false;
        out += ']';
      } else if (c === ']') {
        out += '\\]';
      } else if (c === '[' || (c === '&' && chars[i + 1] === '&')) {
        return undefined; // nested classes / intersections
      } else if (c === '^' && out.endsWith('[')) {
        out += '^';
        classStart = true;
      } else if (c === '-' || c === '^') {
        out += c;
      } else {
        out += escapeLiteral(c);
      }
      continue;
    }
    switch (c) {
      case '[':
        inClass = true;
        classStart = true;
        out += '[';
        break;
      case ']':
      case '}':
        out += `\\${c}`;
        break;
      case '.':
        out += '[^\\n]';
        break;
      case '^':
      case '$':
        return undefined; // line anchors in Oniguruma, string anchors in JS
      case '(': {
        if (chars[i + 1] !== '?') {
          out += '(';
          break;
        }
        const head = chars.slice(i + 1, i + 4).join('');
        if (head.startsWith('?:') || head.startsWith('?=') || head.startsWith('?!')) {
          out += `(${head.slice(0, 2)}`;
          i += 2;
        } else if (head === '?<=' || head === '?<!') {
          out += `(${head}`;
          i += 3;
        } else if (head.startsWith('?i:')) {
          const close = chars.indexOf(')', i);
          if (close < 0) return undefined;
          const body = chars.slice(i + 4, close);
          let t = '(?:';
          for (const ch of body) {
            if (ch === '|') t += '|';
            else if (/[\\()[\]{}*+?.^$]/.test(ch)) return undefined;
            else t += caseless(ch);
          }
          out += t + ')';
          i = close;
        } else {
          return undefined;
        }
        break;
      }
      case '+':
      case '*':
      case '?':
        // Possessive quantifiers (x++, x*+, x?+) have no JS equivalent.
        if (chars[i + 1] === '+') return undefined;
        out += c;
        break;
      case '{': {
        const m = /^\{\d+(,\d*)?\}/.exec(chars.slice(i, i + 16).join(''));
        if (!m) {
          out += '\\{';
          break;
        }
        out += m[0];
        i += m[0].length - 1;
        if (chars[i + 1] === '+') return undefined;
        break;
      }
      case ')':
      case '|':
        out += c;
        break;
      default:
        out += escapeLiteral(c);
    }
  }
  if (inClass) return undefined;
  return out;
}

/** A global V8 regex for an Oniguruma pattern; undefined if untranslatable or able to match ''. */
export function compileOnig(src: string): RegExp | undefined {
  const js = translateOnig(src);
  if (js === undefined) return undefined;
  try {
    // Empty matches would need Oniguruma's exact advance rules: refuse those patterns.
    if (new RegExp(`^(?:${js})$`, 'u').test('')) return undefined;
    return new RegExp(js, 'gu');
  } catch {
    return undefined;
  }
}

/** A global regex matching `literal` exactly. */
export function literalRegex(literal: string): RegExp {
  return new RegExp(literal.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'), 'gu');
}
