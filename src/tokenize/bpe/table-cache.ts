import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { endianness } from 'node:os';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cacheWritable, readCacheFile, writeCacheFile, type CacheKind } from '../cache-files.js';
import { unparsedBytes } from '../json-outline.js';
import { MergeTable } from './merges.js';
import { Vocab, type SharedVocab } from './vocab.js';
import { joinSetHas, type SharedWholeChars } from './whole-chars.js';

/**
 * Layout version of the cache files; bump it when the layout below changes (test/tokenize/
 * table-cache.test.ts pins the bytes of a small tokenizer's tables). A change to the code that
 * builds the tables needs no bump: the key covers that code (see `tableKey`).
 */
export const TABLE_FORMAT = 3;
const MAGIC = 0x54425343; // "CSBT" little-endian
/** Magic, format, 6 sizes, then the sha256 of everything after the header (8 ints). */
const HEADER_INTS = 16;
const SIZE_INTS = 8;
/** 16 files kept (~16 MB each for a 150K-token vocabulary). */
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

/** The modules whose code decides the tables' bytes, next to this one. */
const BUILDERS = ['table-cache', 'model', 'model-json', 'vocab', 'merges', 'whole-chars', 'byte-level'];
let builders: string | null | undefined;

/**
 * sha256 of the table-building modules' own files (`.js` in dist, `.ts` under vitest), so tables
 * built by other code are never read back; null when they cannot be read (a bundled chatshard):
 * then nothing is cached.
 */
function buildersHash(): string | null {
  if (builders !== undefined) return builders;
  try {
    const here = fileURLToPath(import.meta.url);
    const h = createHash('sha256');
    for (const name of BUILDERS) h.update(readFileSync(join(dirname(here), name + extname(here))));
    builders = h.digest('hex');
  } catch {
    builders = null;
  }
  return builders;
}

/**
 * The cache key of a tokenizer.json `model` section: sha256 of the code that builds the tables
 * and of the vocab and merges JSON text, which is all they are built from (~5 ms for Qwen's 7 MB).
 * Undefined when either was already parsed or replaced (an edited tokenizer), or the code cannot
 * be read: such tables are built, not cached.
 *
 * @example
 * tableKey(parseTokenizerOutline(bytes, path)!.model); // '9f2c…'
 */
export function tableKey(model: object): string | undefined {
  const vocab = unparsedBytes(model, 'vocab');
  const merges = unparsedBytes(model, 'merges');
  const code = buildersHash();
  if (!vocab || !merges || !code) return undefined;
  return createHash('sha256').update(code).update(vocab).update('\0').update(merges).digest('hex');
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
  out.set(payloadDigest(out), 4 * SIZE_INTS);
  return out;
}

/** sha256 of a file's bytes after the header: a file changed in any way after writing is refused. */
function payloadDigest(file: Uint8Array): Uint8Array {
  return createHash('sha256')
    .update(file.subarray(4 * HEADER_INTS))
    .digest();
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
  if ((nSlots! & mask!) !== 0 || nMerges! % 4 !== 0 || ((nMerges! / 4) & (nMerges! / 4 - 1)) !== 0) return undefined;
  if (nWhole! < 0) return undefined;
  const ints = HEADER_INTS + 2 * n! + nSlots! + nMerges! + nWhole!;
  if (bytes.length !== 4 * ints + 2 * units!) return undefined;
  const digest = payloadDigest(bytes);
  for (let i = 0; i < 32; i++) if (bytes[4 * SIZE_INTS + i] !== digest[i]) return undefined;
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
  // Every slot empty or a key, with an empty one to end each probe (the digest vouches for the
  // bytes, not for what wrote them).
  let empty = false;
  for (let i = 0; i < nSlots!; i++) {
    const k = slots[i]!;
    if (k < -1 || k >= n!) return undefined;
    if (k === -1) empty = true;
  }
  let emptyMerge = false;
  for (let i = 0; i < nMerges! && !emptyMerge; i += 4) emptyMerge = merges[i] === -1;
  if (!empty || !emptyMerge) return undefined;
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
  try {
    return bytes && decodeTables(bytes);
  } catch {
    return undefined;
  }
}

/**
 * Store the tables of `model()` under `cache.key` (best effort, see `writeCacheFile`). They are
 * only gathered (which builds the whole-char tables) when the folder can be written.
 */
export function writeTables(cache: TableCache, model: () => ModelTables): void {
  if (endianness() !== 'LE' || !cacheWritable(cache.dir)) return;
  writeCacheFile(cache.dir, KIND, cache.key, encodeTables(model()));
}
