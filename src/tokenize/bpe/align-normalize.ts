/**
 * Re-run a tokenizer.json normalizer in JS while tracking, for every UTF-16 unit of the output,
 * which input range it came from. Mirrors the Rust `NormalizedString` rules the offsets depend on:
 * a composed/replaced char maps to the first input char it replaces, extra output chars
 * (expansions, prepends) map to the input char they stem from, dropped chars vanish.
 */

export interface Aligned {
  text: string;
  /** Per output UTF-16 unit: input range [starts[i], ends[i]). */
  starts: Int32Array;
  ends: Int32Array;
}

type Cfg = Record<string, unknown> & { type?: string };

/** Collect `(outChunk, inStart, inEnd)` pieces into an `Aligned`. */
class Builder {
  private parts: string[] = [];
  private s: number[] = [];
  private e: number[] = [];
  push(out: string, start: number, end: number): void {
    this.parts.push(out);
    for (let i = 0; i < out.length; i++) {
      this.s.push(start);
      this.e.push(end);
    }
  }
  done(): Aligned {
    return { text: this.parts.join(''), starts: Int32Array.from(this.s), ends: Int32Array.from(this.e) };
  }
}

export function identity(text: string): Aligned {
  const starts = new Int32Array(text.length);
  const ends = new Int32Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const pairHigh = i + 1 < text.length && (text.charCodeAt(i) & 0xfc00) === 0xd800;
    if (pairHigh) {
      starts[i] = starts[i + 1] = i;
      ends[i] = ends[i + 1] = i + 2;
      i++;
    } else {
      starts[i] = i;
      ends[i] = i + 1;
    }
  }
  return { text, starts, ends };
}

/** Replace input chunk `[start,end)` by `out`: out char k stems from input char min(k, last). */
function pushReplaced(b: Builder, input: string, start: number, end: number, out: string): void {
  const inChars: [number, number][] = [];
  for (let i = start; i < end;) {
    const w = input.codePointAt(i)! > 0xffff ? 2 : 1;
    inChars.push([i, i + w]);
    i += w;
  }
  if (inChars.length === 0) return;
  let k = 0;
  for (const ch of out) {
    const [s, e] = inChars[Math.min(k, inChars.length - 1)]!;
    b.push(ch, s, e);
    k++;
  }
}

/** Marks and conjoining Hangul jamo (V/T) continue a composition chunk. */
const CHUNK =
  /[^\p{M}\u1160-\u11FF\uD7B0-\uD7FF][\p{M}\u1160-\u11FF\uD7B0-\uD7FF]*|[\p{M}\u1160-\u11FF\uD7B0-\uD7FF]+/gu;

/**
 * A chunk changed by Unicode normalisation: chars equal at both ends keep their own range
 * (a trailing mark that did not compose); the middle follows the first-char rule.
 */
function pushNormalizedChunk(b: Builder, text: string, start: number, chunk: string, out: string): void {
  const ic = Array.from(chunk);
  const oc = Array.from(out);
  let pre = 0;
  while (pre < ic.length && pre < oc.length && ic[pre] === oc[pre]) pre++;
  let suf = 0;
  while (suf < ic.length - pre && suf < oc.length - pre && ic[ic.length - 1 - suf] === oc[oc.length - 1 - suf]) suf++;
  const unitLen = (cs: string[]) => cs.reduce((n, c) => n + c.length, 0);
  const midStart = start + unitLen(ic.slice(0, pre));
  const midEnd = start + chunk.length - unitLen(ic.slice(ic.length - suf));
  pushSlice(b, text, start, midStart);
  const mid = oc.slice(pre, oc.length - suf).join('');
  if (midEnd > midStart) pushReplaced(b, text, midStart, midEnd, mid);
  else if (mid.length > 0) {
    // Pure insertion (does not occur for NFC/NFKC in practice): borrow the chunk's first char.
    pushReplaced(b, text, start, start + (text.codePointAt(start)! > 0xffff ? 2 : 1), mid);
  }
  pushSlice(b, text, midEnd, start + chunk.length);
}

function unicodeForm(text: string, form: 'NFC' | 'NFD' | 'NFKC' | 'NFKD'): Aligned | undefined {
  const whole = text.normalize(form);
  if (whole === text) return identity(text);
  const b = new Builder();
  // Chunks of base char + marks normalise independently in all but exotic cases (checked below).
  for (const m of text.matchAll(CHUNK)) {
    const start = m.index!;
    const chunk = m[0];
    const out = chunk.normalize(form);
    if (out === chunk) pushSlice(b, text, start, start + chunk.length);
    else pushNormalizedChunk(b, text, start, chunk, out);
  }
  const res = b.done();
  return res.text === whole ? res : undefined;
}

function replace(text: string, cfg: Cfg): Aligned | undefined {
  const pattern = cfg.pattern as { String?: string; Regex?: string } | undefined;
  const content = typeof cfg.content === 'string' ? cfg.content : '';
  let re: RegExp;
  if (typeof pattern?.String === 'string') {
    if (pattern.String === '') return identity(text);
    re = new RegExp(pattern.String.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'gu');
  } else if (typeof pattern?.Regex === 'string') {
    try {
      re = new RegExp(pattern.Regex, 'gu');
    } catch {
      return undefined;
    }
  } else {
    return undefined;
  }
  const b = new Builder();
  let last = 0;
  for (const m of text.matchAll(re)) {
    if (m[0].length === 0) continue;
    const start = m.index!;
    pushSlice(b, text, last, start);
    if (content.length > 0) pushReplaced(b, text, start, start + m[0].length, content);
    last = start + m[0].length;
  }
  pushSlice(b, text, last, text.length);
  return b.done();
}

function pushSlice(b: Builder, text: string, from: number, to: number): void {
  for (let i = from; i < to;) {
    const w = text.codePointAt(i)! > 0xffff ? 2 : 1;
    b.push(text.slice(i, i + w), i, i + w);
    i += w;
  }
}

/** Char-wise mapping (`f` returns the replacement of one code point, '' to drop it). */
function perChar(text: string, f: (ch: string) => string): Aligned {
  const b = new Builder();
  for (let i = 0; i < text.length;) {
    const w = text.codePointAt(i)! > 0xffff ? 2 : 1;
    const out = f(text.slice(i, i + w));
    for (const ch of out) b.push(ch, i, i + w);
    i += w;
  }
  return b.done();
}

function prepend(text: string, cfg: Cfg): Aligned {
  const p = typeof cfg.prepend === 'string' ? cfg.prepend : '';
  if (text.length === 0 || p.length === 0) return identity(text);
  const w = text.codePointAt(0)! > 0xffff ? 2 : 1;
  const b = new Builder();
  for (const ch of p) b.push(ch, 0, w); // prepended chars borrow the first char's range
  pushSlice(b, text, 0, text.length);
  return b.done();
}

function strip(text: string, cfg: Cfg): Aligned {
  let from = 0;
  let to = text.length;
  if (cfg.strip_left !== false) from = text.length - text.trimStart().length;
  if (cfg.strip_right !== false) to = from + text.slice(from).trimEnd().length;
  const b = new Builder();
  pushSlice(b, text, from, to);
  return b.done();
}

/** Compose: `outer` aligned against `inner.text`, re-expressed against inner's input. */
function compose(inner: Aligned, outer: Aligned): Aligned {
  const n = outer.text.length;
  const starts = new Int32Array(n);
  const ends = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    starts[i] = inner.starts[outer.starts[i]!]!;
    ends[i] = inner.ends[Math.max(outer.ends[i]! - 1, outer.starts[i]!)]!;
  }
  return { text: outer.text, starts, ends };
}

/** Aligned normalisation of `text`, or undefined when the normalizer type is not mirrored. */
export function alignNormalize(cfg: unknown, text: string): Aligned | undefined {
  if (cfg === null || cfg === undefined) return identity(text);
  const c = cfg as Cfg;
  switch (c.type) {
    case 'Sequence': {
      let acc = identity(text);
      for (const sub of (c.normalizers as unknown[]) ?? []) {
        const step = alignNormalize(sub, acc.text);
        if (!step) return undefined;
        acc = acc.text.length === 0 ? step : compose(acc, step);
      }
      return acc;
    }
    case 'NFC':
    case 'NFD':
    case 'NFKC':
    case 'NFKD':
      return unicodeForm(text, c.type);
    case 'Prepend':
      return prepend(text, c);
    case 'Replace':
      return replace(text, c);
    case 'Lowercase':
      return perChar(text, (ch) => ch.toLowerCase());
    case 'Strip':
      return strip(text, c);
    case 'StripAccents':
      return perChar(text, (ch) => (/\p{Mn}/u.test(ch) ? '' : ch));
    default:
      return undefined;
  }
}
