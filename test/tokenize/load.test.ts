import { describe, expect, it, beforeAll, afterAll, afterEach } from 'vitest';
import { mkdtempSync, writeFileSync, readFileSync, mkdirSync, rmSync, copyFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { loadTokenizer, UnsupportedEngineError } from '../../src/tokenize/index.js';
import { setupRun, SetupError } from '../../src/pipeline/setup.js';
import type { PipelineOptions } from '../../src/pipeline/options.js';
import { collectSpecialTokens } from '../../src/tokenize/special-tokens.js';
import { ensureHubSnapshot, hubCacheDir } from '../../src/tokenize/hub.js';
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

/** A small valid Unigram tokenizer.json: Rust loads it, the own (BPE) engine does not. */
const UNIGRAM = JSON.stringify({
  version: '1.0',
  added_tokens: [],
  normalizer: null,
  pre_tokenizer: { type: 'Metaspace', replacement: '\u2581', prepend_scheme: 'always', split: true },
  post_processor: null,
  decoder: null,
  model: {
    type: 'Unigram',
    unk_id: 0,
    vocab: [
      ['<unk>', 0],
      ['\u2581', -1],
      ['a', -2],
      ['b', -2],
    ],
    byte_fallback: false,
  },
});

describe('engine js on a tokenizer it does not support', () => {
  it('is a typed error naming the file and the reason; auto and native load it', async () => {
    const dir = folder('unigram', { 'tokenizer.json': UNIGRAM });
    const err = await loadTokenizer(dir, { engine: 'js' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UnsupportedEngineError);
    expect((err as UnsupportedEngineError).reason).toBe('model Unigram');
    expect((err as Error).message).toBe(
      `\`engine\` js cannot reproduce ${join(dir, 'tokenizer.json')} exactly (model Unigram); use \`engine\` native or auto`,
    );
    for (const engine of ['auto', 'native'] as const) {
      const tok = await loadTokenizer(dir, { engine });
      expect(tok.engine.kind).toBe('native');
      expect(Array.from((await tok.engine.encode('ab')).ids)).toEqual([1, 2, 3]);
    }
  });

  it('is a usage problem for a run (the CLI exits 2), with the key spelled for the CLI to rewrite', async () => {
    const dir = folder('unigram-run', { 'tokenizer.json': UNIGRAM });
    // Only the tokenizer options matter: loading fails before anything else is looked at.
    const opts = { tokenizer: dir, engine: 'js' } as PipelineOptions;
    const err = await setupRun(opts).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SetupError);
    expect((err as SetupError).usage).toBe(true);
    expect((err as Error).message).toMatch(
      /^cannot load tokenizer .*unigram-run: `engine` js cannot reproduce .*\(model Unigram\)/,
    );
  });

  it('a file Rust cannot load either is reported as broken, not as unsupported', async () => {
    const dir = folder('shapeless', { 'tokenizer.json': '{"model": {"type": "BPE"}}' });
    const err = await loadTokenizer(dir, { engine: 'js' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).not.toBeInstanceOf(UnsupportedEngineError);
    expect((err as Error).message).toMatch(
      /cannot load .*shapeless.tokenizer\.json with the native tokenizers binding/,
    );
  });
});

describe('loadTokenizer: hub ids (Hugging Face cache layout, no network)', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });
  const COMMIT = 'a'.repeat(40);

  /** A cache laid out as Python's huggingface_hub writes it: refs/main -> snapshots/<commit>/ -> blobs. */
  function fakeCache(name: string): string {
    const home = join(tmp, name);
    const repo = join(home, 'hub', 'models--org--model');
    mkdirSync(join(repo, 'refs'), { recursive: true });
    mkdirSync(join(repo, 'blobs'), { recursive: true });
    mkdirSync(join(repo, 'snapshots', COMMIT), { recursive: true });
    writeFileSync(join(repo, 'refs', 'main'), COMMIT);
    for (const f of ['tokenizer.json', 'tokenizer_config.json']) {
      const blob = join(repo, 'blobs', createHash('sha256').update(f).digest('hex'));
      copyFileSync(join(SRC, f), blob);
      symlinkSync(blob, join(repo, 'snapshots', COMMIT, f));
    }
    return home;
  }

  it('reads a snapshot from HF_HOME/hub with HF_HUB_OFFLINE=1 (refs/main and a commit hash)', async () => {
    const home = fakeCache('hf-home');
    process.env.HF_HOME = home;
    delete process.env.HF_HUB_CACHE;
    delete process.env.HUGGINGFACE_HUB_CACHE;
    process.env.HF_HUB_OFFLINE = '1';
    const dir = join(home, 'hub', 'models--org--model', 'snapshots', COMMIT);
    const tok = await loadTokenizer('org/model');
    expect(tok.source).toBe('org/model');
    expect(tok.dir).toBe(dir);
    expect(tok.specialTokens.bos_token).toBe('<s>');
    expect(await ensureHubSnapshot('org/model', COMMIT)).toBe(dir);
  });

  it('HF_HUB_CACHE overrides HF_HOME', async () => {
    const home = fakeCache('hf-cache');
    process.env.HF_HOME = join(tmp, 'elsewhere');
    process.env.HF_HUB_CACHE = join(home, 'hub');
    process.env.HF_HUB_OFFLINE = 'true';
    expect(hubCacheDir()).toBe(join(home, 'hub'));
    expect(await ensureHubSnapshot('org/model')).toBe(join(home, 'hub', 'models--org--model', 'snapshots', COMMIT));
  });

  it('offline and not cached: names the cache and the id', async () => {
    process.env.HF_HOME = join(tmp, 'empty-home');
    delete process.env.HF_HUB_CACHE;
    process.env.HF_HUB_OFFLINE = '1';
    await expect(loadTokenizer('org/missing')).rejects.toThrow(
      /"org\/missing" \(revision main\) is not in the Hugging Face cache .*empty-home.hub and HF_HUB_OFFLINE is set/,
    );
  });

  it('an unreachable Hub falls back to the cache, else says so', async () => {
    const home = fakeCache('hf-fallback');
    process.env.HF_HOME = home;
    delete process.env.HF_HUB_CACHE;
    delete process.env.HF_HUB_OFFLINE;
    process.env.HF_ENDPOINT = 'http://127.0.0.1:9';
    expect(await ensureHubSnapshot('org/model')).toBe(join(home, 'hub', 'models--org--model', 'snapshots', COMMIT));
    await expect(loadTokenizer('some-org/some-model')).rejects.toThrow(
      /cannot download tokenizer "some-org\/some-model".*not in the Hugging Face cache.*offline/,
    );
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
