import { alignNormalize } from './align-normalize.js';

/**
 * A normalized segment and how each of its UTF-16 units maps back to the input. Without tables the
 * mapping is "shifted identity": the first `prefix` units (a Prepend) stand for the first input char
 * `[0, firstEnd)`, unit `u ≥ prefix` for input unit `u - prefix`.
 */
export interface Normalized {
  text: string;
  prefix: number;
  firstEnd: number;
  starts?: Int32Array;
  ends?: Int32Array;
}

/** Input start of normalized unit `u`. */
export function startOf(n: Normalized, u: number): number {
  if (n.starts) return n.starts[u]!;
  return u < n.prefix ? 0 : u - n.prefix;
}

/** Input end of normalized unit `u`. */
export function endOf(n: Normalized, u: number): number {
  if (n.ends) return n.ends[u]!;
  return u < n.prefix ? n.firstEnd : u - n.prefix + 1;
}

export type NormalizeFn = (text: string) => Normalized | undefined;

type Cfg = Record<string, unknown> & { type?: string };

const FORMS = new Set(['NFC', 'NFD', 'NFKC', 'NFKD']);
const NON_ASCII = /[^\x00-\x7f]/;
/**
 * Canonical reordering of two or more combining marks depends on their combining classes, and a
 * mark newer than the Unicode tables of Rust's `unicode-normalization` orders differently there
 * than in V8's ICU (seen: U+1DF7 U+1DF0). Such texts go to the Rust binding instead, unless ICU
 * leaves the text unchanged: Rust sees a mark it does not know as a starter (class 0), which only
 * cuts a run ICU finds in order into shorter runs that are in order too, and classes never change
 * once assigned, so Rust leaves it unchanged as well (Thai and Indic text often stacks two marks).
 */
const MARK_RUN = /\p{M}{2}/u;

/** Steps the fast path handles without alignment tables. */
type Step =
  | { kind: 'form'; form: 'NFC' | 'NFD' | 'NFKC' | 'NFKD' }
  | { kind: 'replace'; from: string; to: string }
  | { kind: 'prepend'; text: string };

function flatten(cfg: unknown, out: Cfg[]): void {
  const c = cfg as Cfg | null | undefined;
  if (!c) return;
  if (c.type === 'Sequence') for (const sub of (c.normalizers as unknown[]) ?? []) flatten(sub, out);
  else out.push(c);
}

function single(s: unknown): s is string {
  return typeof s === 'string' && s.length === 1 && (s.charCodeAt(0) & 0xf800) !== 0xd800;
}

/** Reason a normalizer config is not supported, or undefined when it is. */
export function normalizerUnsupported(cfg: unknown): string | undefined {
  const steps: Cfg[] = [];
  flatten(cfg, steps);
  for (const s of steps) {
    if (FORMS.has(s.type!) || s.type === 'Prepend' || s.type === 'Lowercase' || s.type === 'Strip') continue;
    if (s.type === 'StripAccents') continue;
    if (s.type === 'Replace') {
      const p = s.pattern as { String?: unknown } | undefined;
      if (typeof p?.String === 'string' && typeof s.content === 'string') continue;
      return 'Replace normalizer with a regex pattern';
    }
    return `normalizer ${String(s.type)}`;
  }
  return undefined;
}

/**
 * Compile a tokenizer.json normalizer. Common chains (Unicode forms that leave the text unchanged,
 * one-char replacements, a leading Prepend) run without tables; anything else goes through
 * `alignNormalize`, which mirrors Rust's alignment rules char by char. Returns undefined for a
 * text the mirror cannot handle (the caller then falls back to the Rust binding).
 */
export function compileNormalizer(cfg: unknown): NormalizeFn {
  const raw: Cfg[] = [];
  flatten(cfg, raw);
  if (raw.length === 0) return (text) => ({ text, prefix: 0, firstEnd: 0 });
  const steps: Step[] = [];
  let fast = true;
  for (const s of raw) {
    if (FORMS.has(s.type!)) steps.push({ kind: 'form', form: s.type as 'NFC' });
    else if (s.type === 'Replace' && single((s.pattern as { String?: unknown }).String) && single(s.content)) {
      steps.push({ kind: 'replace', from: (s.pattern as { String: string }).String, to: s.content as string });
    } else if (s.type === 'Prepend' && typeof s.prepend === 'string') steps.push({ kind: 'prepend', text: s.prepend });
    else fast = false;
  }
  const hasForm = raw.some((s) => FORMS.has(s.type!));
  const slow: NormalizeFn = (text) => {
    if (hasForm && MARK_RUN.test(text)) return undefined;
    const a = alignNormalize(cfg, text);
    return a && { text: a.text, prefix: 0, firstEnd: 0, starts: a.starts, ends: a.ends };
  };
  if (!fast) return slow;
  return (input) => {
    let text = input;
    let prefix = 0;
    for (const st of steps) {
      if (st.kind === 'form') {
        if (!NON_ASCII.test(text)) continue;
        if (text.normalize(st.form) !== text) return slow(input);
      } else if (st.kind === 'replace') {
        if (text.includes(st.from)) text = text.replaceAll(st.from, st.to);
      } else if (text.length > 0 && st.text.length > 0) {
        if (prefix > 0) return slow(input);
        text = st.text + text;
        prefix = st.text.length;
      }
    }
    const c = input.charCodeAt(0);
    const firstEnd = (c & 0xfc00) === 0xd800 && (input.charCodeAt(1) & 0xfc00) === 0xdc00 ? 2 : 1;
    return { text, prefix, firstEnd };
  };
}
