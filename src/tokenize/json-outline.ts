/**
 * tokenizer.json parsed without its two big values, `model.vocab` and `model.merges` (most of a
 * 7–30 MB file). `JSON.parse` of a 150k-key vocabulary object costs more than everything else about
 * loading a tokenizer, and most readers never look at it: the native engine's segment plan reads
 * only the added tokens, normalizer and pre-tokenizer, and chatshard's own BPE model reads both
 * values straight from their text (see bpe/model-json.ts). The two values stay properties of the
 * model object, parsed on first access, so the object reads exactly as `JSON.parse(text)` would.
 *
 * The outline is found on the UTF-8 bytes (a byte loop is several times faster than walking a
 * JavaScript string), and only the parts needed are decoded.
 */

/** Per model object: its lazily parsed values, with the getter that proves a value is still unparsed. */
const LAZY = new WeakMap<object, Map<string, Lazy>>();

interface Lazy {
  text: () => string;
  bytes: () => Uint8Array;
  get: () => unknown;
  kind: 'object' | 'array';
}

const UTF8 = new TextDecoder();
const QUOTE = 34;
const BACKSLASH = 92;

/** Whether `c` is JSON whitespace. */
function isSpace(c: number | undefined): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9;
}

/** Index of the first non-whitespace byte at or after `i`. */
function skipSpace(b: Uint8Array, i: number): number {
  while (isSpace(b[i])) i++;
  return i;
}

/** Index just past the string literal whose opening quote is at `i`, or -1 when it does not close. */
function stringEnd(b: Uint8Array, i: number): number {
  const n = b.length;
  for (let j = i + 1; j < n; j++) {
    const c = b[j];
    if (c === QUOTE) return j + 1;
    if (c === BACKSLASH) j++;
  }
  return -1;
}

/** Index just past the JSON value starting at `i` (structure only: JSON.parse validates), or -1. */
function valueEnd(b: Uint8Array, i: number): number {
  const n = b.length;
  const c = b[i];
  if (c === QUOTE) return stringEnd(b, i);
  if (c !== 123 && c !== 91) {
    // Number or literal: up to the next delimiter.
    let j = i;
    for (; j < n; j++) {
      const d = b[j];
      if (d === 44 || d === 125 || d === 93 || d === 32 || d === 10 || d === 13 || d === 9) break;
    }
    return j > i ? j : -1;
  }
  let depth = 0;
  for (let j = i; j < n; j++) {
    const d = b[j];
    if (d === QUOTE) {
      // Skip the string in place (a call per string costs more than the loop).
      for (j++; j < n; j++) {
        const e = b[j];
        if (e === QUOTE) break;
        if (e === BACKSLASH) j++;
      }
    } else if (d === 123 || d === 91) depth++;
    else if ((d === 125 || d === 93) && --depth === 0) return j + 1;
  }
  return -1;
}

/** One member of a JSON object: its key and where its value lies (byte offsets). */
export interface Member {
  key: string;
  from: number;
  to: number;
}

/**
 * The members of the object starting at `i` and the index past its closing brace, or undefined when
 * the bytes are not shaped like a JSON object there.
 */
function members(b: Uint8Array, i: number): { list: Member[]; end: number } | undefined {
  if (b[i] !== 123) return undefined;
  const list: Member[] = [];
  i = skipSpace(b, i + 1);
  if (b[i] === 125) return { list, end: i + 1 };
  for (;;) {
    if (b[i] !== QUOTE) return undefined;
    const kEnd = stringEnd(b, i);
    if (kEnd < 0) return undefined;
    let key: string;
    try {
      key = JSON.parse(UTF8.decode(b.subarray(i, kEnd))) as string;
    } catch {
      return undefined;
    }
    i = skipSpace(b, kEnd);
    if (b[i] !== 58) return undefined;
    const from = skipSpace(b, i + 1);
    const to = valueEnd(b, from);
    if (to < 0) return undefined;
    list.push({ key, from, to });
    i = skipSpace(b, to);
    if (b[i] === 125) return { list, end: i + 1 };
    if (b[i] !== 44) return undefined;
    i = skipSpace(b, i + 1);
  }
}

/** The one member named `key`, undefined when absent, null when repeated (JSON.parse keeps the last). */
function only(list: Member[], key: string): Member | undefined | null {
  const found = list.filter((m) => m.key === key);
  return found.length > 1 ? null : found[0];
}

/**
 * Spans of model.vocab / model.merges (objects or arrays) in file order, or undefined when the
 * bytes are not laid out as an object with a model object. Scanning finds them (~30-80 ms for a
 * 7 MB file); the same bytes always give the same spans, so callers may cache them by content hash.
 */
export function outlineSpans(b: Uint8Array): Member[] | undefined {
  const top = members(b, skipSpace(b, 0));
  if (!top || skipSpace(b, top.end) !== b.length) return undefined;
  const model = only(top.list, 'model');
  if (!model) return undefined;
  const inner = members(b, model.from);
  if (!inner) return undefined;
  const spans: Member[] = [];
  for (const key of ['vocab', 'merges']) {
    const m = only(inner.list, key);
    if (m === null) return undefined;
    if (m && (b[m.from] === 123 || b[m.from] === 91)) spans.push(m);
  }
  return spans.length > 0 ? spans.sort((x, y) => x.from - y.from) : undefined;
}

/**
 * Whether `spans` (stored `outlineSpans` of a file with the same hash, say) are where they claim in
 * `b`: distinct, in file order, each an object or array right after its own `"vocab":` /
 * `"merges":` key.
 *
 * @example
 * outlineSpansFit(bytes, JSON.parse(stored)) ? parseTokenizerOutline(bytes, path, spans) : scan();
 */
export function outlineSpansFit(b: Uint8Array, spans: unknown): spans is Member[] {
  if (!Array.isArray(spans) || spans.length === 0) return false;
  return spans.every((m: Member | null, i) => {
    if (typeof m !== 'object' || m === null || (m.key !== 'vocab' && m.key !== 'merges')) return false;
    if (i > 0 && (spans[i - 1].to > m.from || spans[i - 1].key === m.key)) return false;
    if (!Number.isInteger(m.from) || !Number.isInteger(m.to) || m.from < 0 || m.to > b.length || m.to <= m.from)
      return false;
    if (!((b[m.from] === 123 && b[m.to - 1] === 125) || (b[m.from] === 91 && b[m.to - 1] === 93))) return false;
    let j = m.from - 1;
    while (isSpace(b[j])) j--;
    if (b[j] !== 58) return false;
    j--;
    while (isSpace(b[j])) j--;
    const quoted = `"${m.key}"`;
    for (let k = quoted.length - 1; k >= 0; k--, j--) if (b[j] !== quoted.charCodeAt(k)) return false;
    return true;
  });
}

/**
 * tokenizer.json (UTF-8 bytes) parsed as `JSON.parse` would, except that `model.vocab` and
 * `model.merges` are parsed when first read; their parse errors name `path`. Undefined when the
 * bytes are not laid out as an object with a model object (the caller then parses the whole text,
 * so errors are JSON.parse's own). `spans` are `outlineSpans(bytes)`, computed when not given.
 *
 * @example
 * const json = parseTokenizerOutline(bytes, 'tokenizer.json');
 * json.added_tokens; // parsed
 * unparsedText(json.model, 'vocab'); // the vocab's JSON text, until json.model.vocab is read
 */
export function parseTokenizerOutline(
  bytes: Buffer,
  path: string,
  // A plain Uint8Array view: indexing a Buffer in the scanning loops is about twice as slow.
  spans = outlineSpans(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length)),
): Record<string, unknown> | undefined {
  if (!spans) return undefined;
  let cut = '';
  let at = 0;
  for (const sp of spans) {
    cut += bytes.toString('utf8', at, sp.from) + 'null';
    at = sp.to;
  }
  let json: { model: Record<string, unknown> };
  try {
    json = JSON.parse(cut + bytes.toString('utf8', at)) as typeof json;
  } catch {
    return undefined;
  }
  const model = json.model;
  const lazy = new Map<string, Lazy>();
  for (const sp of spans) {
    const text = () => bytes.toString('utf8', sp.from, sp.to);
    const settle = (value: unknown) =>
      Object.defineProperty(model, sp.key, { value, writable: true, enumerable: true, configurable: true });
    const get = () => {
      let value: unknown;
      try {
        value = JSON.parse(text());
      } catch (err) {
        throw new Error(`${path} is not valid JSON: ${(err as Error).message} (in model.${sp.key})`);
      }
      settle(value);
      return value;
    };
    Object.defineProperty(model, sp.key, { get, set: settle, enumerable: true, configurable: true });
    const raw = () => bytes.subarray(sp.from, sp.to);
    lazy.set(sp.key, { text, bytes: raw, get, kind: bytes[sp.from] === 91 ? 'array' : 'object' });
  }
  LAZY.set(model, lazy);
  return json;
}

/** Whether `obj[key]` is still unparsed, as `parseTokenizerOutline` left it (not read, not replaced). */
export function isUnparsed(obj: object, key: string): boolean {
  const lazy = LAZY.get(obj)?.get(key);
  return lazy !== undefined && Object.getOwnPropertyDescriptor(obj, key)?.get === lazy.get;
}

/**
 * The JSON text of `obj[key]` while it is still unparsed, else undefined: a value that was read,
 * replaced or never lazy is the object's own business.
 */
export function unparsedText(obj: object, key: string): string | undefined {
  return isUnparsed(obj, key) ? LAZY.get(obj)!.get(key)!.text() : undefined;
}

/** The UTF-8 bytes of `obj[key]`'s JSON text while it is still unparsed, else undefined (see `unparsedText`). */
export function unparsedBytes(obj: object, key: string): Uint8Array | undefined {
  return isUnparsed(obj, key) ? LAZY.get(obj)!.get(key)!.bytes() : undefined;
}

/**
 * `typeof obj[key]`, with 'array' and 'null' told apart, without parsing an unparsed value.
 *
 * @example
 * valueKind({ merges: [] }, 'merges'); // 'array'
 */
export function valueKind(obj: Record<string, unknown>, key: string): string {
  if (isUnparsed(obj, key)) return LAZY.get(obj)!.get(key)!.kind;
  const v = obj[key];
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}
