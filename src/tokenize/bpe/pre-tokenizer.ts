import { BYTE_CHAR } from './byte-level.js';
import { compileOnig, literalRegex } from './regex.js';

/**
 * Receives one pre-tokenized word `text[start, end)`. `text` is the normalized text, or, below a
 * prefixing step (Metaspace, ByteLevel `add_prefix_space`), the piece that step derived from it
 * (see `PrefixHooks`).
 */
export type Emit = (text: string, start: number, end: number) => void;
/** Splits `text[from, to)` into words, passing each to the next stage. */
export type Stage = (text: string, from: number, to: number) => void;

/**
 * How a prefixing step tells the engine where its derived piece came from. Rust's `prepend` gives
 * the added units the alignment of the piece's first char; every other unit keeps its own (a
 * Metaspace space → `▁` replacement is one unit for one unit).
 */
export interface PrefixHooks {
  /** Normalized unit `from` stems from original position 0 (Metaspace `prepend_scheme: first`). */
  atTextStart(from: number): boolean;
  /**
   * Positions below now index a derived piece of normalized `[from, …)`: its first `shift` units
   * stand for normalized `[from, from + firstWidth)`, unit `p ≥ shift` for normalized `from + p - shift`.
   */
  enter(from: number, shift: number, firstWidth: number): void;
  /**
   * Positions below now index the byte-level string of a piece (one char per UTF-8 byte): unit `p`
   * stands for normalized `[starts[p], ends[p])`, the whole char the byte belongs to.
   */
  enterBytes(starts: Int32Array, ends: Int32Array): void;
  /** Back to positions in the normalized text. */
  leave(): void;
}

export interface PreTokenizerPlan {
  /** Builds the stage chain ending in `emit`. */
  build(emit: Emit, hooks: PrefixHooks): Stage;
  /**
   * The model sees UTF-8 bytes through the GPT-2 byte alphabet (a trailing ByteLevel step), and
   * converts the words itself. False when the chain converts them (steps after ByteLevel).
   */
  byteLevel: boolean;
  /** Tokens of a piece depend on whether it starts the whole text (Metaspace `prepend_scheme: first`). */
  startSensitive: boolean;
}

type Cfg = Record<string, unknown> & { type?: string };
type Behavior = 'Isolated' | 'Removed' | 'MergedWithPrevious' | 'MergedWithNext' | 'Contiguous';
const BEHAVIORS = new Set(['Isolated', 'Removed', 'MergedWithPrevious', 'MergedWithNext', 'Contiguous']);

/** The GPT-2 pattern Rust's ByteLevel pre-tokenizer uses when `use_regex` is on. */
const GPT2 = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

interface SplitSpec {
  re: RegExp;
  behavior: Behavior;
  invert: boolean;
}

/**
 * Rust `NormalizedString::split`: pieces are the matches and the gaps between them, then merged or
 * dropped according to the behaviour; empty pieces vanish.
 */
function splitStage(spec: SplitSpec, next: Stage): Stage {
  const { re, behavior, invert } = spec;
  if (behavior === 'Isolated') {
    return (text, from, to) => {
      const piece = from === 0 && to === text.length ? text : text.slice(from, to);
      re.lastIndex = 0;
      let prev = 0;
      let m: RegExpExecArray | null;
      while ((m = re.exec(piece)) !== null) {
        const s = m.index;
        const e = s + m[0].length;
        if (s > prev) next(text, from + prev, from + s);
        next(text, from + s, from + e);
        prev = e;
      }
      if (prev < piece.length) next(text, from + prev, to);
    };
  }
  return (text, from, to) => {
    const piece = text.slice(from, to);
    const parts: [number, number, boolean][] = [];
    re.lastIndex = 0;
    let prev = 0;
    let m: RegExpExecArray | null;
    while ((m = re.exec(piece)) !== null) {
      const s = m.index;
      const e = s + m[0].length;
      if (s > prev) parts.push([prev, s, invert]);
      parts.push([s, e, !invert]);
      prev = e;
    }
    if (prev < piece.length) parts.push([prev, piece.length, invert]);
    let out: [number, number, boolean][];
    if (behavior === 'Removed') out = parts;
    else if (behavior === 'Contiguous') {
      out = [];
      let prevMatch = false;
      for (const [s, e, isMatch] of parts) {
        if (isMatch === prevMatch && out.length > 0) out[out.length - 1]![1] = e;
        else out.push([s, e, false]);
        prevMatch = isMatch;
      }
    } else if (behavior === 'MergedWithPrevious') {
      out = [];
      let prevMatch = false;
      for (const [s, e, isMatch] of parts) {
        if (isMatch && !prevMatch && out.length > 0) out[out.length - 1]![1] = e;
        else out.push([s, e, false]);
        prevMatch = isMatch;
      }
    } else {
      out = [];
      let prevMatch = false;
      for (let i = parts.length - 1; i >= 0; i--) {
        const [s, e, isMatch] = parts[i]!;
        if (isMatch && !prevMatch && out.length > 0) out[out.length - 1]![0] = s;
        else out.push([s, e, false]);
        prevMatch = isMatch;
      }
      out.reverse();
    }
    for (const [s, e, removed] of out) if (!removed && e > s) next(text, from + s, from + e);
  };
}

function splitSpec(c: Cfg): SplitSpec | string {
  const pattern = c.pattern as { String?: unknown; Regex?: unknown } | undefined;
  const behavior = c.behavior as string;
  if (!BEHAVIORS.has(behavior)) return `Split behavior ${behavior}`;
  let re: RegExp | undefined;
  if (typeof pattern?.String === 'string') {
    if (pattern.String === '') return 'Split with an empty pattern';
    re = literalRegex(pattern.String);
  } else if (typeof pattern?.Regex === 'string') {
    re = compileOnig(pattern.Regex);
    if (!re) return `Split regex ${JSON.stringify(pattern.Regex)}`;
  } else return 'Split without a pattern';
  return { re, behavior: behavior as Behavior, invert: c.invert === true };
}

/**
 * A step that rewrites each piece before splitting it: Rust Metaspace (spaces → `replacement`, then
 * the replacement prepended per `prepend`) or ByteLevel `add_prefix_space` (a space prepended).
 * Rust only prepends to a piece that does not already start with the prefix.
 */
interface PrefixSpec {
  prefix: string;
  /** Replace every space with `prefix` first (Metaspace). */
  replaceSpaces: boolean;
  prepend: 'always' | 'first' | 'never';
}

function prefixStage(spec: PrefixSpec, hooks: PrefixHooks, next: Stage): Stage {
  const { prefix, replaceSpaces, prepend } = spec;
  return (text, from, to) => {
    let piece = text.slice(from, to);
    if (replaceSpaces && piece.includes(' ')) piece = piece.replaceAll(' ', prefix);
    let shift = 0;
    if (
      piece.length > 0 &&
      !piece.startsWith(prefix) &&
      (prepend === 'always' || (prepend === 'first' && hooks.atTextStart(from)))
    ) {
      piece = prefix + piece;
      shift = prefix.length;
    }
    const c = text.charCodeAt(from);
    const pair = (c & 0xfc00) === 0xd800 && from + 1 < to && (text.charCodeAt(from + 1) & 0xfc00) === 0xdc00;
    hooks.enter(from, shift, pair ? 2 : 1);
    try {
      next(piece, 0, piece.length);
    } finally {
      hooks.leave();
    }
  };
}

/** Rust `Metaspace` fields (`prepend_scheme` defaults to always, `split` to true). */
function metaspaceSpec(c: Cfg): { prefix: PrefixSpec; split: boolean } | string {
  const rep = c.replacement;
  // One UTF-16 unit for one space keeps the replacement 1:1 in offsets (Rust's is one char).
  if (typeof rep !== 'string' || rep.length !== 1 || (rep.charCodeAt(0) & 0xf800) === 0xd800) {
    return `Metaspace replacement ${JSON.stringify(rep)}`;
  }
  const scheme = c.prepend_scheme ?? 'always';
  if (scheme !== 'always' && scheme !== 'first' && scheme !== 'never') {
    return `Metaspace prepend_scheme ${JSON.stringify(scheme)}`;
  }
  // Rust refuses to load the older `add_prefix_space: false` unless the scheme says `never` too.
  if (c.add_prefix_space === false && scheme !== 'never')
    return 'Metaspace add_prefix_space contradicts prepend_scheme';
  const prepend: PrefixSpec['prepend'] = scheme;
  return { prefix: { prefix: rep, replaceSpaces: true, prepend }, split: c.split !== false };
}

/**
 * Rust ByteLevel's last act when more pre-tokenizers follow it: each piece becomes its byte-level
 * string (one alphabet char per UTF-8 byte, each aligned to the char it came from), which those
 * steps then split.
 */
function bytesStage(hooks: PrefixHooks, next: Stage): Stage {
  const utf8 = new TextEncoder();
  return (text, from, to) => {
    const bytes = utf8.encode(text.slice(from, to));
    const starts = new Int32Array(bytes.length);
    const ends = new Int32Array(bytes.length);
    let out = '';
    let b = 0;
    for (let u = from; u < to;) {
      const c = text.charCodeAt(u);
      const w = (c & 0xfc00) === 0xd800 && u + 1 < to && (text.charCodeAt(u + 1) & 0xfc00) === 0xdc00 ? 2 : 1;
      const cp = w === 2 ? text.codePointAt(u)! : c;
      const k = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
      for (let j = 0; j < k; j++, b++) {
        starts[b] = u;
        ends[b] = u + w;
        out += String.fromCharCode(BYTE_CHAR[bytes[b]!]!);
      }
      u += w;
    }
    hooks.enterBytes(starts, ends);
    try {
      next(out, 0, out.length);
    } finally {
      hooks.leave();
    }
  };
}

/**
 * Rust `Punctuation`: `char::is_ascii_punctuation` or a P* category in the `unicode_categories`
 * crate, whose tables are older than V8's (so `\p{P}` would split chars Rust keeps, e.g. U+2E43).
 * The exact set, read off the Rust binding char by char (scripts/goldens/unicode-tables.mjs).
 */
export const PUNCTUATION = new RegExp(
  `[${[
    '\\u0021-\\u002f\\u003a-\\u0040\\u005b-\\u0060\\u007b-\\u007e\\u00a1\\u00a7\\u00ab\\u00b6-\\u00b7\\u00bb\\u00bf',
    '\\u037e\\u0387\\u055a-\\u055f\\u0589-\\u058a\\u05be\\u05c0\\u05c3\\u05c6\\u05f3-\\u05f4\\u0609-\\u060a',
    '\\u060c-\\u060d\\u061b\\u061e-\\u061f\\u066a-\\u066d\\u06d4\\u0700-\\u070d\\u07f7-\\u07f9\\u0830-\\u083e\\u085e',
    '\\u0964-\\u0965\\u0970\\u0af0\\u0df4\\u0e4f\\u0e5a-\\u0e5b\\u0f04-\\u0f12\\u0f14\\u0f3a-\\u0f3d\\u0f85',
    '\\u0fd0-\\u0fd4\\u0fd9-\\u0fda\\u104a-\\u104f\\u10fb\\u1360-\\u1368\\u1400\\u166d-\\u166e\\u169b-\\u169c',
    '\\u16eb-\\u16ed\\u1735-\\u1736\\u17d4-\\u17d6\\u17d8-\\u17da\\u1800-\\u180a\\u1944-\\u1945\\u1a1e-\\u1a1f',
    '\\u1aa0-\\u1aa6\\u1aa8-\\u1aad\\u1b5a-\\u1b60\\u1bfc-\\u1bff\\u1c3b-\\u1c3f\\u1c7e-\\u1c7f\\u1cc0-\\u1cc7\\u1cd3',
    '\\u2010-\\u2027\\u2030-\\u2043\\u2045-\\u2051\\u2053-\\u205e\\u207d-\\u207e\\u208d-\\u208e\\u2308-\\u230b',
    '\\u2329-\\u232a\\u2768-\\u2775\\u27c5-\\u27c6\\u27e6-\\u27ef\\u2983-\\u2998\\u29d8-\\u29db\\u29fc-\\u29fd',
    '\\u2cf9-\\u2cfc\\u2cfe-\\u2cff\\u2d70\\u2e00-\\u2e2e\\u2e30-\\u2e42\\u3001-\\u3003\\u3008-\\u3011\\u3014-\\u301f',
    '\\u3030\\u303d\\u30a0\\u30fb\\ua4fe-\\ua4ff\\ua60d-\\ua60f\\ua673\\ua67e\\ua6f2-\\ua6f7\\ua874-\\ua877',
    '\\ua8ce-\\ua8cf\\ua8f8-\\ua8fa\\ua8fc\\ua92e-\\ua92f\\ua95f\\ua9c1-\\ua9cd\\ua9de-\\ua9df\\uaa5c-\\uaa5f',
    '\\uaade-\\uaadf\\uaaf0-\\uaaf1\\uabeb\\ufd3e-\\ufd3f\\ufe10-\\ufe19\\ufe30-\\ufe52\\ufe54-\\ufe61\\ufe63\\ufe68',
    '\\ufe6a-\\ufe6b\\uff01-\\uff03\\uff05-\\uff0a\\uff0c-\\uff0f\\uff1a-\\uff1b\\uff1f-\\uff20\\uff3b-\\uff3d\\uff3f',
    '\\uff5b\\uff5d\\uff5f-\\uff65\\u{10100}-\\u{10102}\\u{1039f}\\u{103d0}\\u{1056f}\\u{10857}\\u{1091f}\\u{1093f}',
    '\\u{10a50}-\\u{10a58}\\u{10a7f}\\u{10af0}-\\u{10af6}\\u{10b39}-\\u{10b3f}\\u{10b99}-\\u{10b9c}',
    '\\u{11047}-\\u{1104d}\\u{110bb}-\\u{110bc}\\u{110be}-\\u{110c1}\\u{11140}-\\u{11143}\\u{11174}-\\u{11175}',
    '\\u{111c5}-\\u{111c9}\\u{111cd}\\u{111db}\\u{111dd}-\\u{111df}\\u{11238}-\\u{1123d}\\u{112a9}\\u{114c6}',
    '\\u{115c1}-\\u{115d7}\\u{11641}-\\u{11643}\\u{1173c}-\\u{1173e}\\u{12470}-\\u{12474}\\u{16a6e}-\\u{16a6f}',
    '\\u{16af5}\\u{16b37}-\\u{16b3b}\\u{16b44}\\u{1bc9f}\\u{1da87}-\\u{1da8b}',
  ].join('')}]`,
  'gu',
);

type StepSpec = { split: SplitSpec } | { prefix: PrefixSpec } | { bytes: true };

/** A plan for a tokenizer.json pre_tokenizer, or a reason it is not supported. */
export function planPreTokenizer(cfg: unknown): PreTokenizerPlan | string {
  const steps: Cfg[] = [];
  const c = cfg as Cfg | null | undefined;
  if (c) {
    if (c.type === 'Sequence') steps.push(...((c.pretokenizers as Cfg[]) ?? []));
    else steps.push(c);
  }
  const specs: StepSpec[] = [];
  let byteLevel = false;
  let prefixed = false;
  const addPrefix = (prefix: PrefixSpec): string | undefined => {
    // One derived piece at a time: the engine maps positions through a single prefix.
    if (prefixed) return 'two prefixing pre-tokenizers (Metaspace / ByteLevel add_prefix_space)';
    prefixed = true;
    specs.push({ prefix });
    return undefined;
  };
  let afterByteLevel = false;
  for (const s of steps) {
    if (byteLevel && !afterByteLevel) {
      // More steps follow ByteLevel: they split its byte-level string, so convert each piece here.
      if (prefixed) return 'ByteLevel add_prefix_space before more pre-tokenizers';
      specs.push({ bytes: true });
      afterByteLevel = true;
    }
    if (afterByteLevel && s.type !== 'Split' && s.type !== 'Digits' && s.type !== 'Punctuation') {
      return `${String(s.type)} pre-tokenizer after ByteLevel`;
    }
    if (s.type === 'Split') {
      const spec = splitSpec(s);
      if (typeof spec === 'string') return spec;
      specs.push({ split: spec });
    } else if (s.type === 'Digits') {
      const re = s.individual_digits === true ? /\p{N}/gu : /\p{N}+/gu;
      specs.push({ split: { re, behavior: 'Isolated', invert: false } });
    } else if (s.type === 'Punctuation') {
      const behavior = (s.behavior as string | undefined) ?? 'Isolated';
      if (!BEHAVIORS.has(behavior)) return `Punctuation behavior ${behavior}`;
      specs.push({ split: { re: PUNCTUATION, behavior: behavior as Behavior, invert: false } });
    } else if (s.type === 'Metaspace') {
      const m = metaspaceSpec(s);
      if (typeof m === 'string') return m;
      const why = addPrefix(m.prefix);
      if (why) return why;
      if (m.split)
        specs.push({ split: { re: literalRegex(m.prefix.prefix), behavior: 'MergedWithNext', invert: false } });
    } else if (s.type === 'ByteLevel') {
      // Rust's default is add_prefix_space: true.
      if (s.add_prefix_space !== false) {
        const why = addPrefix({ prefix: ' ', replaceSpaces: false, prepend: 'always' });
        if (why) return why;
      }
      if (s.use_regex !== false) specs.push({ split: { re: compileOnig(GPT2)!, behavior: 'Isolated', invert: false } });
      byteLevel = true;
    } else {
      return `pre-tokenizer ${String(s.type)}`;
    }
  }
  return {
    byteLevel: byteLevel && !afterByteLevel,
    startSensitive: specs.some((x) => 'prefix' in x && x.prefix.prepend === 'first'),
    build(emit, hooks) {
      let stage: Stage = emit;
      for (let i = specs.length - 1; i >= 0; i--) {
        const spec = specs[i]!;
        if ('prefix' in spec) stage = prefixStage(spec.prefix, hooks, stage);
        else if ('bytes' in spec) stage = bytesStage(hooks, stage);
        // Each stage gets its own regex: stages are re-entered while an outer one is mid-scan.
        else stage = splitStage({ ...spec.split, re: new RegExp(spec.split.re.source, spec.split.re.flags) }, stage);
      }
      return stage;
    },
  };
}
