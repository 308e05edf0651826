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
  /** Back to positions in the normalized text. */
  leave(): void;
}

export interface PreTokenizerPlan {
  /** Builds the stage chain ending in `emit`. */
  build(emit: Emit, hooks: PrefixHooks): Stage;
  /** The model sees UTF-8 bytes through the GPT-2 byte alphabet (a trailing ByteLevel step). */
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

type StepSpec = { split: SplitSpec } | { prefix: PrefixSpec };

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
  for (const s of steps) {
    if (byteLevel) return 'a pre-tokenizer after ByteLevel';
    if (s.type === 'Split') {
      const spec = splitSpec(s);
      if (typeof spec === 'string') return spec;
      specs.push({ split: spec });
    } else if (s.type === 'Digits') {
      const re = s.individual_digits === true ? /\p{N}/gu : /\p{N}+/gu;
      specs.push({ split: { re, behavior: 'Isolated', invert: false } });
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
    byteLevel,
    startSensitive: specs.some((x) => 'prefix' in x && x.prefix.prepend === 'first'),
    build(emit, hooks) {
      let stage: Stage = emit;
      for (let i = specs.length - 1; i >= 0; i--) {
        const spec = specs[i]!;
        if ('prefix' in spec) stage = prefixStage(spec.prefix, hooks, stage);
        // Each stage gets its own regex: stages are re-entered while an outer one is mid-scan.
        else stage = splitStage({ ...spec.split, re: new RegExp(spec.split.re.source, spec.split.re.flags) }, stage);
      }
      return stage;
    },
  };
}
