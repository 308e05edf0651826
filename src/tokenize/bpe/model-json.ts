/**
 * A BPE model's vocabulary and merge table read straight from their tokenizer.json text (see
 * ../json-outline.ts), instead of from `JSON.parse` objects: no 150k-key object, no merge strings,
 * and token strings are slices of the text. Both readers accept only the plain layout Hugging Face
 * writes (string keys with non-negative integer ids; merges as "a b" strings or ["a", "b"] pairs)
 * and return undefined on anything else, so the caller parses the value and reports errors as before.
 */
import { MergeTable } from './merges.js';
import { Vocab } from './vocab.js';

const QUOTE = 34;
const BACKSLASH = 92;

function skipSpace(s: string, i: number): number {
  for (;;) {
    const c = s.charCodeAt(i);
    if (c === 32 || c === 10 || c === 13 || c === 9) i++;
    else return i;
  }
}

/**
 * Scan the string literal opening at `i`: its closing quote index, -1 when malformed (unclosed or a
 * raw control character), or -2 - closing index when it holds escapes (then JSON.parse decodes it).
 */
function literal(s: string, i: number): number {
  let escaped = false;
  for (let j = i + 1; j < s.length; j++) {
    const c = s.charCodeAt(j);
    if (c === QUOTE) return escaped ? -2 - j : j;
    if (c === BACKSLASH) {
      escaped = true;
      j++;
    } else if (c < 32) return -1;
  }
  return -1;
}

/** `Object.keys` lists canonical array-index keys ("0", "17") first, in numeric order. */
const INDEX_KEY = /^(?:0|[1-9]\d{0,9})$/;

/**
 * The vocabulary of a `model.vocab` object's JSON text, with the key order and duplicate handling
 * of `JSON.parse` + `Object.keys` (so `tokens()` agrees), or undefined when the text is not a plain
 * string → non-negative integer object.
 *
 * @example
 * vocabFromJson('{"a": 0, "b": 1}')?.get('b'); // 1
 */
export function vocabFromJson(s: string): Vocab | undefined {
  const keys: string[] = [];
  let ids = new Int32Array(1024);
  let indexKeys = false;
  let i = skipSpace(s, 0);
  if (s.charCodeAt(i) !== 123) return undefined;
  i = skipSpace(s, i + 1);
  if (s.charCodeAt(i) === 125) return skipSpace(s, i + 1) === s.length ? Vocab.fromEntries([], ids) : undefined;
  for (;;) {
    if (s.charCodeAt(i) !== QUOTE) return undefined;
    let end = literal(s, i);
    if (end === -1) return undefined;
    let key: string;
    if (end < -1) {
      end = -2 - end;
      key = JSON.parse(s.slice(i, end + 1)) as string;
    } else key = s.slice(i + 1, end);
    i = skipSpace(s, end + 1);
    if (s.charCodeAt(i) !== 58) return undefined;
    i = skipSpace(s, i + 1);
    // A non-negative integer in plain digits; anything else (1.0, 1e3, -1) takes the JSON.parse path.
    let c = s.charCodeAt(i);
    if (c < 48 || c > 57) return undefined;
    const start = i;
    let id = 0;
    for (; c >= 48 && c <= 57; c = s.charCodeAt(++i)) id = id * 10 + (c - 48);
    if (i - start > 9 || (s.charCodeAt(start) === 48 && i - start > 1) || c === 46 || c === 101 || c === 69)
      return undefined;
    if (keys.length === ids.length) {
      const grown = new Int32Array(ids.length * 2);
      grown.set(ids);
      ids = grown;
    }
    ids[keys.length] = id;
    keys.push(key);
    if (!indexKeys && isIndexKey(key)) indexKeys = true;
    i = skipSpace(s, i);
    c = s.charCodeAt(i);
    if (c === 125) break;
    if (c !== 44) return undefined;
    i = skipSpace(s, i + 1);
  }
  if (skipSpace(s, i + 1) !== s.length) return undefined;
  ids = ids.subarray(0, keys.length);
  return indexKeys ? Vocab.fromEntries(...indexKeysFirst(keys, ids)) : Vocab.fromEntries(keys, ids);
}

/** Whether `key` is a canonical array index, which `Object.keys` lists before other keys. */
function isIndexKey(key: string): boolean {
  const c = key.charCodeAt(0);
  return c >= 48 && c <= 57 && key.length <= 10 && INDEX_KEY.test(key) && Number(key) < 2 ** 32 - 1;
}

/** Entries reordered as `Object.keys` orders an object: array-index keys first, ascending (stable). */
function indexKeysFirst(keys: string[], ids: Int32Array): [string[], Int32Array] {
  const first: number[] = [];
  const moved = new Uint8Array(keys.length);
  for (let k = 0; k < keys.length; k++) {
    if (isIndexKey(keys[k]!)) {
      first.push(k);
      moved[k] = 1;
    }
  }
  first.sort((a, b) => Number(keys[a]) - Number(keys[b]) || a - b);
  const outKeys: string[] = [];
  const outIds = new Int32Array(keys.length);
  for (const k of first) {
    outIds[outKeys.length] = ids[k]!;
    outKeys.push(keys[k]!);
  }
  for (let k = 0; k < keys.length; k++) {
    if (moved[k]) continue;
    outIds[outKeys.length] = ids[k]!;
    outKeys.push(keys[k]!);
  }
  return [outKeys, outIds];
}

/**
 * The merge table of a `model.merges` array's JSON text over `vocab`, or undefined when the text is
 * not a plain list of "a b" strings / ["a", "b"] pairs whose tokens are all in the vocabulary (the
 * caller's own loop then reports the offending merge).
 *
 * @example
 * mergesFromJson('["a b"]', vocabFromJson('{"a": 0, "b": 1, "ab": 2}')!); // one merge: (0, 1) → 2
 */
export function mergesFromJson(s: string, vocab: Vocab): MergeTable | undefined {
  // Per merge: left id, right id, merged id.
  let found = new Int32Array(3 * 4096);
  const ids = new Int32Array(3);
  let n = 0;
  let i = skipSpace(s, 0);
  if (s.charCodeAt(i) !== 91) return undefined;
  i = skipSpace(s, i + 1);
  const empty = s.charCodeAt(i) === 93;
  while (!empty) {
    const c = s.charCodeAt(i);
    if (c === QUOTE) {
      // "a b": exactly one space.
      let end = literal(s, i);
      if (end === -1) return undefined;
      let t = s;
      let from = i + 1;
      if (end < -1) {
        t = JSON.parse(s.slice(i, -2 - end + 1)) as string;
        from = 0;
        i = -2 - end;
        end = t.length;
      } else i = end;
      const sp = t.indexOf(' ', from);
      if (sp < 0 || sp >= end || (t.indexOf(' ', sp + 1) >= 0 && t.indexOf(' ', sp + 1) < end)) return undefined;
      vocab.mergeIds(t, from, sp, sp + 1, end, ids);
      i = skipSpace(s, i + 1);
    } else if (c === 91) {
      // ["a", "b"]
      const a = skipSpace(s, i + 1);
      if (s.charCodeAt(a) !== QUOTE) return undefined;
      const aEnd = literal(s, a);
      if (aEnd === -1) return undefined;
      let j = skipSpace(s, aEnd < -1 ? -2 - aEnd + 1 : aEnd + 1);
      if (s.charCodeAt(j) !== 44) return undefined;
      const b = skipSpace(s, j + 1);
      if (s.charCodeAt(b) !== QUOTE) return undefined;
      const bEnd = literal(s, b);
      if (bEnd === -1) return undefined;
      j = skipSpace(s, bEnd < -1 ? -2 - bEnd + 1 : bEnd + 1);
      if (s.charCodeAt(j) !== 93) return undefined;
      if (aEnd < -1 || bEnd < -1) {
        const ta = JSON.parse(s.slice(a, aEnd < -1 ? -2 - aEnd + 1 : aEnd + 1)) as string;
        const tb = JSON.parse(s.slice(b, bEnd < -1 ? -2 - bEnd + 1 : bEnd + 1)) as string;
        const t = ta + tb;
        vocab.mergeIds(t, 0, ta.length, ta.length, t.length, ids);
      } else {
        vocab.mergeIds(s, a + 1, aEnd, b + 1, bEnd, ids);
      }
      i = skipSpace(s, j + 1);
    } else return undefined;
    const ia = ids[0]!;
    const ib = ids[1]!;
    const im = ids[2]!;
    if (ia < 0 || ib < 0 || im < 0) return undefined;
    if (3 * n === found.length) {
      const grown = new Int32Array(found.length * 2);
      grown.set(found);
      found = grown;
    }
    found[3 * n] = ia;
    found[3 * n + 1] = ib;
    found[3 * n + 2] = im;
    n++;
    const d = s.charCodeAt(i);
    if (d === 93) break;
    if (d !== 44) return undefined;
    i = skipSpace(s, i + 1);
  }
  if (skipSpace(s, i + 1) !== s.length) return undefined;
  const table = new MergeTable(n);
  for (let r = 0; r < n; r++) table.set(found[3 * r]!, found[3 * r + 1]!, r, found[3 * r + 2]!);
  return table;
}
