import { createHash } from 'node:crypto';
import { endianness } from 'node:os';
import { readCacheFile, writeCacheFile, type CacheKind } from '../cache-files.js';
import { unparsedBytes } from '../json-outline.js';
import { MergeTable } from './merges.js';
import { Vocab, type SharedVocab } from './vocab.js';
import { joinSetHas, type SharedWholeChars } from './whole-chars.js';

/**
 * Layout version of the cache files. Bump it whenever the bytes a tokenizer.json gives change: the
 * layout below, `Vocab`'s or `MergeTable`'s hashing, or how they are built (test/tokenize/
 * table-cache.test.ts pins the bytes of a small tokenizer's tables to catch a change made without a bump).
 */
export const TABLE_FORMAT = 2;
const MAGIC = 0x54425343; // "CSBT" little-endian
const HEADER_INTS = 8;
/** 16 files kept (~13 MB each for a 150K-token vocabulary). */
const KIND: CacheKind = { family: 'bpe', format: TABLE_FORMAT, ext: 'bin', keep: 16 };

/** A built vocabulary and merge table, and the whole-char tables if any, as stored (see `BpeModel.tables`). */
export interface ModelTables {
  vocab: SharedVocab;
  merges: Int32Array;
  wholeChars?: SharedWholeChars;
}

/** Where and under which key to cache one tokenizer.json's tables. */
export interface TableCache {
  dir: string;
  /** sha256 (hex) of the text the tables are built from (see `tableKey`). */
  key: string;
}

/**
 * The cache key of a tokenizer.json `model` section: sha256 of its vocab and merges JSON text,
 * which is all the tables are built from (~5 ms for Qwen's 7 MB). Undefined when either was
 * already parsed or replaced (an edited tokenizer): such tables are built, not cached.
 *
 * @example
 * tableKey(parseTokenizerOutline(bytes, path)!.model); // '9f2c…'
 */
export function tableKey(model: object): string | undefined {
  const vocab = unparsedBytes(model, 'vocab');
  const merges = unparsedBytes(model, 'merges');
  if (!vocab || !merges) return undefined;
  return createHash('sha256').update(vocab).update('\0').update(merges).digest('hex');
}

/**
 * The tables as one file: header, ids, key lengths, hash slots, merge slots, whole-char section
 * (Int32; empty when the model has none), key text (UTF-16).
 */
export function encodeTables(t: ModelTables): Uint8Array {
  const { keys, ids, slots, mask } = t.vocab;
  const n = keys.length;
  let units = 0;
  for (const k of keys) units += k.length;
  const whole = t.wholeChars ? wholeSection(t.wholeChars) : new Int32Array(0);
  const ints = HEADER_INTS + 2 * n + slots.length + t.merges.length + whole.length;
  const out = new Uint8Array(4 * ints + 2 * units);
  const i32 = new Int32Array(out.buffer, 0, ints);
  i32.set([MAGIC, TABLE_FORMAT, n, units, slots.length, t.merges.length, mask, whole.length]);
  let at = HEADER_INTS;
  i32.set(ids, at);
  at += n;
  for (let k = 0; k < n; k++) i32[at + k] = keys[k]!.length;
  at += n;
  i32.set(slots, at);
  at += slots.length;
  i32.set(t.merges, at);
  at += t.merges.length;
  i32.set(whole, at);
  Buffer.from(out.buffer, 4 * ints).write(keys.join(''), 'utf16le');
  return out;
}

/**
 * Whole-char tables as Int32: the lengths of minUse and of the join keys, the join set's U+FFFF
 * flag, the length of the partner maps; then minUse, the join keys, and each partner map as its
 * entry count and per entry the token id, its partner count and each partner's length and bytes.
 */
function wholeSection(w: SharedWholeChars): Int32Array {
  const maps: number[] = [];
  for (const map of [w.leftOf, w.rightOf]) {
    maps.push(map.size);
    for (const [id, list] of map) {
      maps.push(id, list.length);
      for (const bytes of list) maps.push(bytes.length, ...bytes);
    }
  }
  const out = new Int32Array(4 + w.minUse.length + w.joins.keys.length + maps.length);
  out.set([w.minUse.length, w.joins.keys.length, w.joins.ffff ? 1 : 0, maps.length]);
  out.set(w.minUse, 4);
  out.set(w.joins.keys, 4 + w.minUse.length);
  out.set(maps, 4 + w.minUse.length + w.joins.keys.length);
  return out;
}

/** `wholeSection` read back, or undefined when its lengths do not add up. */
function readWholeSection(a: Int32Array): SharedWholeChars | undefined {
  if (a.length < 4) return undefined;
  const [nUse, nKeys, ffff, nMaps] = a as unknown as number[];
  if (nUse! < 0 || nKeys! < 1 || (nKeys! & (nKeys! - 1)) !== 0 || nMaps! < 2) return undefined;
  if (4 + nUse! + nKeys! + nMaps! !== a.length) return undefined;
  const minUse = a.subarray(4, 4 + nUse!);
  const keys = a.subarray(4 + nUse!, 4 + nUse! + nKeys!);
  let at = 4 + nUse! + nKeys!;
  const maps: Map<number, Uint8Array[]>[] = [];
  for (let m = 0; m < 2; m++) {
    const map = new Map<number, Uint8Array[]>();
    let count = a[at++]!;
    for (; count > 0; count--) {
      const id = a[at++]!;
      const list: Uint8Array[] = [];
      for (let k = a[at++]!; k > 0; k--) {
        const len = a[at++]!;
        if (!(len >= 0 && at + len <= a.length)) return undefined;
        list.push(Uint8Array.from(a.subarray(at, at + len)));
        at += len;
      }
      map.set(id, list);
    }
    maps.push(map);
  }
  if (at !== a.length) return undefined;
  return { minUse, leftOf: maps[0]!, rightOf: maps[1]!, joins: { keys, ffff: ffff === 1 } };
}

/**
 * Tables from a cache file's bytes, or undefined when they are not a complete, consistent file of
 * this format. Besides the sizes, sampled entries must be found through this build's hashing, so a
 * file whose layout is right but whose hashing is another build's is refused, not misread.
 */
export function decodeTables(bytes: Uint8Array): ModelTables | undefined {
  if (bytes.byteOffset % 4 !== 0 || bytes.length < 4 * HEADER_INTS) return undefined;
  const head = new Int32Array(bytes.buffer, bytes.byteOffset, HEADER_INTS);
  const [magic, format, n, units, nSlots, nMerges, mask, nWhole] = head as unknown as number[];
  if (magic !== MAGIC || format !== TABLE_FORMAT) return undefined;
  if (!(n! >= 0 && units! >= 0 && nSlots! > n! && nMerges! >= 4 && mask === nSlots! - 1)) return undefined;
  if ((nSlots! & mask!) !== 0 || ((nMerges! / 4) & (nMerges! / 4 - 1)) !== 0 || nWhole! < 0) return undefined;
  const ints = HEADER_INTS + 2 * n! + nSlots! + nMerges! + nWhole!;
  if (bytes.length !== 4 * ints + 2 * units!) return undefined;
  const all = new Int32Array(bytes.buffer, bytes.byteOffset, ints);
  let at = HEADER_INTS;
  const ids = all.subarray(at, (at += n!));
  const lens = all.subarray(at, (at += n!));
  const slots = all.subarray(at, (at += nSlots!));
  const merges = all.subarray(at, (at += nMerges!));
  const wholeChars = nWhole! > 0 ? readWholeSection(all.subarray(at, (at += nWhole!))) : undefined;
  if (nWhole! > 0 && !wholeChars) return undefined;
  const text = Buffer.from(bytes.buffer, bytes.byteOffset + 4 * ints, 2 * units!).toString('utf16le');
  const keys: string[] = new Array<string>(n!);
  let pos = 0;
  for (let k = 0; k < n!; k++) {
    const len = lens[k]!;
    if (len < 0 || pos + len > units! || ids[k]! < 0) return undefined;
    keys[k] = text.slice(pos, pos + len);
    pos += len;
  }
  if (pos !== units) return undefined;
  const tables: ModelTables = { vocab: { shared: true, keys, ids, slots, mask: mask! }, merges, wholeChars };
  return sampledEntriesFound(tables) ? tables : undefined;
}

/** Whether ~64 spread keys and filled merge slots are found where this build's hashing looks. */
function sampledEntriesFound(t: ModelTables): boolean {
  const vocab = new Vocab(t.vocab);
  const n = t.vocab.keys.length;
  const step = Math.max(1, Math.floor(n / 64));
  for (let k = 0; k < n; k += step) if (vocab.get(t.vocab.keys[k]!) !== t.vocab.ids[k]) return false;
  const table = new MergeTable(t.merges);
  const slotsN = t.merges.length / 4;
  const mStep = Math.max(1, Math.floor(slotsN / 256));
  for (let s = 0; s < slotsN; s += mStep) {
    const a = t.merges[4 * s]!;
    if (a === -1) continue;
    const b = t.merges[4 * s + 1]!;
    if (table.lookup(a, b) !== t.merges[4 * s + 2] || table.merged !== t.merges[4 * s + 3]) return false;
  }
  const joins = t.wholeChars?.joins;
  if (joins) {
    const jStep = Math.max(1, Math.floor(joins.keys.length / 256));
    for (let s = 0; s < joins.keys.length; s += jStep) {
      const key = joins.keys[s]!;
      if (key !== -1 && !joinSetHas(joins, key)) return false;
    }
  }
  return true;
}

/**
 * The cached tables of `cache.key`, or undefined (no file, unreadable, or not a valid file of this
 * format: the caller builds them from tokenizer.json as without a cache).
 *
 * @example
 * const cache = { dir: cacheDir()!, key: tableKey(json.model)! };
 * const tables = readTables(cache) ?? build();
 */
export function readTables(cache: TableCache): ModelTables | undefined {
  if (endianness() !== 'LE') return undefined;
  const bytes = readCacheFile(cache.dir, KIND, cache.key);
  return bytes && decodeTables(bytes);
}

/** Store `tables` under `cache.key` (best effort, see `writeCacheFile`). */
export function writeTables(cache: TableCache, tables: ModelTables): void {
  if (endianness() === 'LE') writeCacheFile(cache.dir, KIND, cache.key, encodeTables(tables));
}
