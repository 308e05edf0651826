/**
 * The own engine's table cache: a tokenizer's built vocabulary and merge tables are stored once per
 * tokenizer.json and read back on later loads. An engine over cached tables tokenizes exactly as
 * one that built them; a file that is incomplete, of another format, or hashed by another build is
 * refused (the engine then builds as without a cache), and a cache that cannot be written is skipped.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BYTE_CHAR } from '../../src/tokenize/bpe/byte-level.js';
import { BpeModel } from '../../src/tokenize/bpe/model.js';
import {
  decodeTables,
  encodeTables,
  readTables,
  TABLE_FORMAT,
  tableKey,
  writeTables,
} from '../../src/tokenize/bpe/table-cache.js';
import { fileURLToPath } from 'node:url';
import { ChatTokenizer } from '../../src/api/index.js';
import { cacheDir } from '../../src/tokenize/cache-files.js';
import { unparsedBytes } from '../../src/tokenize/json-outline.js';
import { BpeEngine, createEngine, loadTokenizer, readTokenizerFiles } from '../../src/tokenize/index.js';
import { TEXTS, tokenizerDir } from './fixtures.js';

const made: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'chatshard-table-cache-'));
  made.push(d);
  return d;
}
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

const EXTRA = ['你好世界，今天天气很好。我们去公园散步吧', 'Привет, как дела? Всё хорошо', '  x\n\n\t 12345 😀'];

describe.each(['qwen2_5', 'llama2'] as const)('%s: tables from the cache', (name) => {
  it('are written on the first load and give the same ids and offsets on the next', async () => {
    const dir = tempDir();
    const built = await loadTokenizer(tokenizerDir(name), { engine: 'js', cacheDir: dir });
    // The tables, and where vocab and merges lie in tokenizer.json.
    const files = readdirSync(dir).filter((f) => f.endsWith('.bin'));
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(new RegExp(`^bpe-f${TABLE_FORMAT}-[0-9a-f]{64}\\.bin$`));
    const outline = readdirSync(dir).filter((f) => f.endsWith('.json'));
    expect(outline).toHaveLength(1);
    expect(outline[0]).toMatch(/^outline-f1-[0-9a-f]{64}\.json$/);
    const key = files[0]!.slice(`bpe-f${TABLE_FORMAT}-`.length, -'.bin'.length);
    expect(readTables({ dir, key })).toBeDefined();

    const cached = await loadTokenizer(tokenizerDir(name), { engine: 'js', cacheDir: dir });
    const a = built.engine as BpeEngine;
    const b = cached.engine as BpeEngine;
    expect(b).toBeInstanceOf(BpeEngine);
    let compared = 0;
    for (const t of [...TEXTS, ...EXTRA]) {
      const want = a.encodeSync(t);
      const got = b.encodeSync(t);
      expect(got === undefined, t).toBe(want === undefined);
      if (!want || !got) continue;
      expect(Array.from(got.ids), t).toEqual(Array.from(want.ids));
      expect(Array.from(got.offsets), t).toEqual(Array.from(want.offsets));
      compared++;
    }
    expect(compared).toBeGreaterThan(TEXTS.length / 2);
    expect(b.tokenToId(a.idToToken(100)!)).toBe(100);
    for (const id of [0, 1, 259, 5000, 31999]) {
      expect(a.idToToken(id)).toBeDefined();
      expect(b.idToToken(id), `token ${id}`).toBe(a.idToToken(id));
    }
    // Nothing new was written by the second load.
    expect(readdirSync(dir).sort()).toEqual([...files, ...outline].sort());

    // Damaged files are refused: the next load scans and builds again, and replaces them.
    const file = join(dir, files[0]!);
    writeFileSync(file, readFileSync(file).subarray(0, 1000));
    writeFileSync(join(dir, outline[0]!), JSON.stringify([{ key: 'vocab', from: 1, to: 5 }]));
    expect(readTables({ dir, key })).toBeUndefined();
    const rebuilt = (await loadTokenizer(tokenizerDir(name), { engine: 'js', cacheDir: dir })).engine as BpeEngine;
    expect(Array.from(rebuilt.encodeSync(EXTRA[0]!)!.ids)).toEqual(Array.from(a.encodeSync(EXTRA[0]!)!.ids));
    expect(readTables({ dir, key })).toBeDefined();
    expect(JSON.parse(readFileSync(join(dir, outline[0]!), 'utf8'))).toHaveLength(2);
  });
});

describe('library option', () => {
  it('ChatTokenizer.from_pretrained takes cacheDir: a folder, or false for none', async () => {
    const dir = tempDir();
    await ChatTokenizer.from_pretrained(tokenizerDir('llama2'), { engine: 'js', cacheDir: dir });
    expect(readdirSync(dir).filter((f) => f.endsWith('.bin'))).toHaveLength(1);
    const envDir = tempDir();
    const before = process.env.CHATSHARD_CACHE_DIR;
    process.env.CHATSHARD_CACHE_DIR = envDir;
    try {
      await ChatTokenizer.from_pretrained(tokenizerDir('llama2'), { engine: 'js', cacheDir: false });
    } finally {
      if (before === undefined) delete process.env.CHATSHARD_CACHE_DIR;
      else process.env.CHATSHARD_CACHE_DIR = before;
    }
    expect(readdirSync(envDir)).toEqual([]);
  });
});

describe('the cache key', () => {
  it('is the vocab and merges text: an edited (parsed) vocabulary is built, never cached', async () => {
    const dir = tempDir();
    const files = await readTokenizerFiles(tokenizerDir('qwen2_5'));
    const model = files.tokenizerJson.model as Record<string, unknown>;
    const key = tableKey(model);
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    // The code that builds the tables is part of the key: tables of other code are never read.
    const bpe = join(fileURLToPath(new URL('.', import.meta.url)), '../../src/tokenize/bpe');
    const code = createHash('sha256');
    for (const f of ['table-cache', 'model', 'model-json', 'vocab', 'merges', 'whole-chars', 'byte-level'])
      code.update(readFileSync(join(bpe, `${f}.ts`)));
    const text = (k: string) => unparsedBytes(model, k)!;
    expect(key).toBe(
      createHash('sha256')
        .update(code.digest('hex'))
        .update(text('vocab'))
        .update('\0')
        .update(text('merges'))
        .digest('hex'),
    );
    // Another file with the same vocab and merges (e.g. an edited normalizer) shares the key.
    const again = await readTokenizerFiles(tokenizerDir('qwen2_5'));
    (again.tokenizerJson as Record<string, unknown>).normalizer = null;
    expect(tableKey(again.tokenizerJson.model as object)).toBe(key);
    // Reading the vocabulary parses it: from then on the object is the caller's, so no key.
    (model.vocab as Record<string, number>)['Ġextra'] = 999_999;
    expect(tableKey(model)).toBeUndefined();
    createEngine(files, 'js', dir);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('the outline cache', () => {
  it('is used only where the stored spans are the "vocab" and "merges" values of this very file', async () => {
    const dir = tempDir();
    const first = await readTokenizerFiles(tokenizerDir('llama2'), dir);
    const vocab = Object.keys(first.tokenizerJson.model as object);
    const [file] = readdirSync(dir);
    const stored = JSON.parse(readFileSync(join(dir, file!), 'utf8')) as { key: string; from: number; to: number }[];
    expect(stored.map((m) => m.key).sort()).toEqual(['merges', 'vocab']);
    // Keys swapped: each span still starts and ends with brackets, but not after its own key.
    writeFileSync(join(dir, file!), JSON.stringify(stored.map((m, i) => ({ ...m, key: stored[1 - i]!.key }))));
    const again = await readTokenizerFiles(tokenizerDir('llama2'), dir);
    const model = again.tokenizerJson.model as { vocab: object; merges: unknown[] };
    expect(Object.keys(model)).toEqual(vocab);
    expect(Array.isArray(model.merges)).toBe(true);
    expect(Array.isArray(model.vocab)).toBe(false);
    expect(JSON.parse(readFileSync(join(dir, file!), 'utf8'))).toEqual(stored);
  });
});

describe('cache files', () => {
  // Byte-level (so the whole-char tables are stored too): the 256 byte chars, é ü ñ (Ã© Ã¼ Ã±)
  // and tokens joining them, a merge repeated (the last rank wins), a quote and a NUL in keys.
  const model = () => {
    const vocab: Record<string, number> = Object.fromEntries([...BYTE_CHAR].map((c, i) => [String.fromCharCode(c), i]));
    for (const t of ['Ã©', 'Ã¼', 'Ã±', 'Ã©Ã¼', 'Ã©Ã¼Ã±', 'x"y', 'b\u0000']) vocab[t] = Object.keys(vocab).length;
    const merges = ['Ã ©', 'Ã ¼', 'Ã ±', 'Ã© Ã¼', 'Ã©Ã¼ Ã±', 'Ã ©'];
    const m = new BpeModel({ type: 'BPE', vocab, merges }, true);
    m.word('éüñ', 0, 3);
    return m;
  };

  it('pins the bytes of a small tokenizer: a layout change needs a TABLE_FORMAT bump', () => {
    const bytes = encodeTables(model().tables());
    const digest = createHash('sha256').update(bytes).digest('hex');
    // If this fails because the file layout changed on purpose, bump TABLE_FORMAT in
    // src/tokenize/bpe/table-cache.ts and update both lines. (Changed building or hashing code
    // changes the cache key instead, see the next test.)
    expect(TABLE_FORMAT).toBe(3);
    expect(digest).toBe('d1c3653380a4e0fd65988c0b71919ff2ba2a60b111f9a98431fe76a0c372b67e');
  });

  it('round-trips through encode / decode, whole-char tables included', () => {
    const t = model().tables();
    expect(t.wholeChars).toBeDefined();
    const back = decodeTables(encodeTables(t))!;
    expect(back.vocab.keys).toEqual(t.vocab.keys);
    expect(Array.from(back.vocab.ids)).toEqual(Array.from(t.vocab.ids));
    expect(Array.from(back.vocab.slots)).toEqual(Array.from(t.vocab.slots));
    expect(Array.from(back.merges)).toEqual(Array.from(t.merges));
    expect(Array.from(back.wholeChars!.minUse)).toEqual(Array.from(t.wholeChars!.minUse));
    expect(Array.from(back.wholeChars!.joins.keys)).toEqual(Array.from(t.wholeChars!.joins.keys));
    expect(back.wholeChars!.leftOf).toEqual(t.wholeChars!.leftOf);
    expect(back.wholeChars!.rightOf).toEqual(t.wholeChars!.rightOf);
    const m = new BpeModel({ type: 'BPE' }, true, back);
    expect(m.vocab.get('x"y')).toBe(261);
    expect(m.vocab.get('b\u0000')).toBe(262);
    // The merges and the whole-char start work from the read-back tables.
    expect(Array.from(m.word('éüñéü', 0, 5))).toEqual(Array.from(model().word('éüñéü', 0, 5)));
    expect(Array.from(m.word('éüñéü', 0, 5))).toEqual([260, 0, 3, 259, 3, 5]);
  });

  it('refuses files that are cut, changed, of another format or hashed differently', () => {
    const good = encodeTables(model().tables());
    expect(decodeTables(good)).toBeDefined();
    const n = new Int32Array(good.buffer, 0, 8)[2]!;
    // Changes the digest catches; then, with the digest recomputed (`resigned`), what the layout
    // and sampling checks catch on their own.
    const variants: [string, (b: Uint8Array) => Uint8Array][] = [
      ['cut short', (b) => b.slice(0, b.length - 2)],
      ['one byte more', (b) => Uint8Array.of(...b, 0, 0)],
      ['empty', () => new Uint8Array(0)],
      ['a key char changed', (b) => ((b[b.length - 1]! ^= 1), b)],
      ['a merge id changed', (b) => withInt(b, 16 + 2 * n + slotCount(b) + 3, 999_999)],
      ['other magic', (b) => resigned(withInt(b, 0, 0x12345678))],
      ['other format', (b) => resigned(withInt(b, 1, TABLE_FORMAT + 1))],
      ['key lengths past the text', (b) => resigned(withInt(b, 16 + n, 1 << 20))],
      ['whole-char section cut short', (b) => resigned(withInt(b, 7, new Int32Array(b.buffer, 0, 8)[7]! - 1))],
      ['slots not a power of two', (b) => resigned(withInt(b, 4, slotCount(b) + 1))],
      ['a slot past the keys', (b) => resigned(fillSlots(b, (s) => (s === -1 ? n + 7 : s)))],
      ['no empty slot', (b) => resigned(fillSlots(b, (s) => (s === -1 ? 0 : s)))],
      // Every vocabulary slot emptied: the layout is right, but no key is where hashing looks.
      ['slots hashed by another build', (b) => resigned(fillSlots(b, () => -1))],
    ];
    for (const [what, change] of variants) expect(decodeTables(change(good.slice())), what).toBeUndefined();
  });

  it('are skipped, never thrown, when the folder cannot be written; stale ones are pruned', () => {
    const dir = tempDir();
    const blocker = join(dir, 'file');
    writeFileSync(blocker, 'x');
    const built = model().tables();
    const tables = () => built;
    // A folder under a regular file cannot exist.
    expect(() => writeTables({ dir: join(blocker, 'cache'), key: 'a'.repeat(64) }, tables)).not.toThrow();
    expect(readTables({ dir: join(blocker, 'cache'), key: 'a'.repeat(64) })).toBeUndefined();

    // 17 files: the least recently used goes, files that are not the cache's stay.
    for (let i = 0; i < 17; i++) {
      const key = i.toString(16).padStart(64, '0');
      writeTables({ dir, key }, tables);
      const t = new Date(Date.now() - (20 - i) * 60_000);
      utimesSync(join(dir, `bpe-f${TABLE_FORMAT}-${key}.bin`), t, t);
    }
    // Another format (another chatshard version) counts with the rest, by its last use.
    const otherFormat = `bpe-f${TABLE_FORMAT + 1}-${'e'.repeat(64)}.bin`;
    writeFileSync(join(dir, otherFormat), 'x');
    const stale = `bpe-f${TABLE_FORMAT}-${'d'.repeat(64)}.bin.123abc.tmp`;
    writeFileSync(join(dir, stale), 'x');
    const old = new Date(Date.now() - 2 * 3_600_000);
    utimesSync(join(dir, stale), old, old);
    writeTables({ dir, key: 'f'.repeat(64) }, tables);
    const left = readdirSync(dir);
    expect(left).toContain(otherFormat);
    expect(left).not.toContain(stale);
    expect(left).toContain('file');
    expect(left.filter((f) => f.endsWith('.bin'))).toHaveLength(16);
    for (const i of [0, 1, 2]) expect(left).not.toContain(`bpe-f${TABLE_FORMAT}-${String(i).padStart(64, '0')}.bin`);
    expect(left).toContain(`bpe-f${TABLE_FORMAT}-${'3'.padStart(64, '0')}.bin`);
    expect(readFileSync(blocker, 'utf8')).toBe('x');
  });

  it('live in CHATSHARD_CACHE_DIR, else the XDG cache, and CHATSHARD_NO_CACHE turns them off', () => {
    expect(cacheDir({ HOME: '/home/me' })).toBe('/home/me/.cache/chatshard');
    expect(cacheDir({ HOME: '/home/me', XDG_CACHE_HOME: '/xdg' })).toBe('/xdg/chatshard');
    expect(cacheDir({ HOME: '/home/me', CHATSHARD_CACHE_DIR: '/c' })).toBe('/c');
    expect(cacheDir({ HOME: '/home/me', CHATSHARD_NO_CACHE: '1' })).toBeUndefined();
    expect(cacheDir({ HOME: '/home/me', CHATSHARD_NO_CACHE: '0' })).toBe('/home/me/.cache/chatshard');
    expect(cacheDir({ HOME: '/home/me', CHATSHARD_NO_CACHE: 'false' })).toBe('/home/me/.cache/chatshard');
    // XDG first: no home folder is looked up when it is set.
    expect(cacheDir({ XDG_CACHE_HOME: '/xdg' })).toBe('/xdg/chatshard');
  });
});

function withInt(b: Uint8Array, index: number, value: number): Uint8Array {
  new Int32Array(b.buffer, b.byteOffset, index + 1)[index] = value;
  return b;
}

function slotCount(b: Uint8Array): number {
  return new Int32Array(b.buffer, b.byteOffset, 8)[4]!;
}

/** Each vocabulary hash slot replaced by `f(slot)`. */
function fillSlots(b: Uint8Array, f: (slot: number) => number): Uint8Array {
  const n = new Int32Array(b.buffer, b.byteOffset, 8)[2]!;
  const slots = new Int32Array(b.buffer, b.byteOffset + 4 * (16 + 2 * n), slotCount(b));
  slots.forEach((v, i) => (slots[i] = f(v)));
  return b;
}

/** The file with its payload digest recomputed, as a writer of these bytes would have stored it. */
function resigned(b: Uint8Array): Uint8Array {
  b.set(createHash('sha256').update(b.subarray(64)).digest(), 32);
  return b;
}
