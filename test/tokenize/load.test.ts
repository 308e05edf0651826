import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, writeFileSync, readFileSync, mkdirSync, rmSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { loadTokenizer } from '../../src/tokenize/index.js';
import { collectSpecialTokens } from '../../src/tokenize/special-tokens.js';
import { codePointToUtf16Table, flattenOffsets } from '../../src/tokenize/offsets.js';
import { tokenizerDir } from './fixtures.js';

// llama2 is the smallest shipped tokenizer (1.8 MB), so the file tests use it.
const SRC = tokenizerDir('llama2');
let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'chatshard-tok-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function folder(name: string, files: Record<string, string | Buffer>): string {
  const dir = join(tmp, name);
  mkdirSync(dir, { recursive: true });
  for (const [f, body] of Object.entries(files)) writeFileSync(join(dir, f), body);
  return dir;
}

describe('loadTokenizer: files', () => {
  it('loads tokenizer.json.gz with the sha256 of the uncompressed bytes', async () => {
    const raw = readFileSync(join(SRC, 'tokenizer.json'));
    const dir = folder('gz', {
      'tokenizer.json.gz': gzipSync(raw),
      'tokenizer_config.json': readFileSync(join(SRC, 'tokenizer_config.json')),
    });
    for (const engine of ['native', 'js'] as const) {
      const tok = await loadTokenizer(dir, { engine });
      expect(tok.sha256).toBe(createHash('sha256').update(raw).digest('hex'));
      expect(tok.dir).toBe(dir);
      expect(Array.from((await tok.engine.encode('<s>Hi')).ids)[0]).toBe(1);
    }
  });

  it('accepts a path to tokenizer.json itself', async () => {
    const tok = await loadTokenizer(join(SRC, 'tokenizer.json'));
    expect(tok.dir).toBe(SRC);
  });

  it('works without tokenizer_config.json (defaults)', async () => {
    const dir = folder('noconfig', { 'tokenizer.json': readFileSync(join(SRC, 'tokenizer.json')) });
    const tok = await loadTokenizer(dir);
    expect(tok.config).toEqual({});
    expect(tok.paddingSide).toBe('right');
    expect(tok.specialTokens).toEqual({});
  });

  it('names the path and reason on errors', async () => {
    await expect(loadTokenizer(join(tmp, 'nope', 'dir'))).rejects.toThrow(/tokenizer folder not found: .*nope/);
    const empty = folder('empty', {});
    await expect(loadTokenizer(empty)).rejects.toThrow(/no tokenizer\.json .*empty/);
    const broken = folder('broken', { 'tokenizer.json': '{"model": ' });
    await expect(loadTokenizer(broken, { engine: 'js' })).rejects.toThrow(/broken.tokenizer\.json is not valid JSON/);
    await expect(loadTokenizer(broken, { engine: 'native' })).rejects.toThrow(/broken.tokenizer\.json/);
    const notJson = folder('notjson', { 'tokenizer.json': 'hello' });
    await expect(loadTokenizer(notJson)).rejects.toThrow(/notjson.tokenizer\.json is not valid JSON/);
    const badGz = folder('badgz', { 'tokenizer.json.gz': 'not gzip' });
    await expect(loadTokenizer(badGz)).rejects.toThrow(/cannot decompress .*badgz/);
    const badCfg = folder('badcfg', {
      'tokenizer.json': readFileSync(join(SRC, 'tokenizer.json')),
      'tokenizer_config.json': '[1,2',
    });
    await expect(loadTokenizer(badCfg)).rejects.toThrow(/badcfg.tokenizer_config\.json is not valid JSON/);
    const badSide = folder('badside', {
      'tokenizer.json': readFileSync(join(SRC, 'tokenizer.json')),
      'tokenizer_config.json': '{"padding_side": "middle"}',
    });
    await expect(loadTokenizer(badSide)).rejects.toThrow(/padding_side must be "left" or "right"/);
  });
});

describe('loadTokenizer: hub ids', () => {
  const saved = { ...process.env };
  afterAll(() => {
    process.env = saved;
  });

  it('gives a clear error when the Hub is unreachable', async () => {
    process.env.CHATSHARD_CACHE = join(tmp, 'cache-offline');
    process.env.HF_ENDPOINT = 'http://127.0.0.1:9';
    await expect(loadTokenizer('some-org/some-model')).rejects.toThrow(
      /cannot download tokenizer "some-org\/some-model".*offline/i,
    );
  });

  it('uses a complete cached snapshot without network', async () => {
    const cache = join(tmp, 'cache-hit');
    process.env.CHATSHARD_CACHE = cache;
    process.env.HF_ENDPOINT = 'http://127.0.0.1:9';
    const dir = join(cache, 'org', 'model');
    mkdirSync(dir, { recursive: true });
    copyFileSync(join(SRC, 'tokenizer.json'), join(dir, 'tokenizer.json'));
    copyFileSync(join(SRC, 'tokenizer_config.json'), join(dir, 'tokenizer_config.json'));
    writeFileSync(join(dir, '.chatshard-complete'), 'x');
    const tok = await loadTokenizer('org/model');
    expect(tok.source).toBe('org/model');
    expect(tok.dir).toBe(dir);
    expect(tok.specialTokens.bos_token).toBe('<s>');
  });
});

describe('special tokens', () => {
  it('normalises {content} objects, drops nulls, keeps named extras, skips the unnamed list', () => {
    const st = collectSpecialTokens(
      {
        bos_token: { __type: 'AddedToken', content: '<s>', lstrip: false },
        eos_token: '</s>',
        pad_token: null,
        additional_special_tokens: ['<a>', '<b>'],
        extra_special_tokens: { image_token: '<img>' },
      },
      undefined,
      { unk_token: '<unk>', pad_token: '<pad>' },
    );
    expect(st).toEqual({ bos_token: '<s>', eos_token: '</s>', unk_token: '<unk>', image_token: '<img>' });
  });

  it('special_tokens_map.json only applies on the legacy path (no added_tokens_decoder)', () => {
    expect(collectSpecialTokens({ eos_token: 'a' }, { eos_token: { content: 'b' } })).toEqual({ eos_token: 'b' });
    expect(collectSpecialTokens({ eos_token: 'a', added_tokens_decoder: {} }, { eos_token: 'b' })).toEqual({
      eos_token: 'a',
    });
  });
});

describe('offsets', () => {
  it('maps code points to UTF-16, lone surrogates count once', () => {
    const text = 'a😀b\uD800c';
    expect(Array.from(codePointToUtf16Table(text))).toEqual([0, 1, 3, 4, 5, 6]);
    expect(
      Array.from(
        flattenOffsets(text, [
          [1, 2],
          [2, 3],
          [3, 4],
        ]),
      ),
    ).toEqual([1, 3, 3, 4, 4, 5]);
    expect(Array.from(flattenOffsets('abc', [[0, 3]]))).toEqual([0, 3]);
  });
});
