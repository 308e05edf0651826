import { compileOnig, literalRegex } from './regex.js';

/** Receives one pre-tokenized word as `[start, end)` UTF-16 units of the normalized text. */
export type Emit = (start: number, end: number) => void;
/** Splits `text[from, to)` into words, passing each to the next stage. */
export type Stage = (text: string, from: number, to: number) => void;

export interface PreTokenizerPlan {
  /** Builds the stage chain ending in `emit`. */
  build(emit: Emit): Stage;
  /** The model sees UTF-8 bytes through the GPT-2 byte alphabet (a trailing ByteLevel step). */
  byteLevel: boolean;
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

/** A plan for a tokenizer.json pre_tokenizer, or a reason it is not supported. */
export function planPreTokenizer(cfg: unknown): PreTokenizerPlan | string {
  const steps: Cfg[] = [];
  const c = cfg as Cfg | null | undefined;
  if (c) {
    if (c.type === 'Sequence') steps.push(...((c.pretokenizers as Cfg[]) ?? []));
    else steps.push(c);
  }
  const specs: SplitSpec[] = [];
  let byteLevel = false;
  for (const s of steps) {
    if (byteLevel) return 'a pre-tokenizer after ByteLevel';
    if (s.type === 'Split') {
      const spec = splitSpec(s);
      if (typeof spec === 'string') return spec;
      specs.push(spec);
    } else if (s.type === 'Digits') {
      const re = s.individual_digits === true ? /\p{N}/gu : /\p{N}+/gu;
      specs.push({ re, behavior: 'Isolated', invert: false });
    } else if (s.type === 'ByteLevel') {
      if (s.add_prefix_space !== false) return 'ByteLevel pre-tokenizer with add_prefix_space';
      if (s.use_regex !== false) specs.push({ re: compileOnig(GPT2)!, behavior: 'Isolated', invert: false });
      byteLevel = true;
    } else {
      return `pre-tokenizer ${String(s.type)}`;
    }
  }
  return {
    byteLevel,
    build(emit) {
      let stage: Stage = (_text, from, to) => emit(from, to);
      for (let i = specs.length - 1; i >= 0; i--) {
        // Each stage gets its own regex: stages are re-entered while an outer one is mid-scan.
        const spec = { ...specs[i]!, re: new RegExp(specs[i]!.re.source, specs[i]!.re.flags) };
        stage = splitStage(spec, stage);
      }
      return stage;
    },
  };
}
