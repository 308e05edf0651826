import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import { createHash } from 'node:crypto';
import { outlineSpans, outlineSpansFit, parseTokenizerOutline, type Member } from './json-outline.js';
import { readCacheFile, writeCacheFile, type CacheKind } from './cache-files.js';
import { addedContents, configAddedTokens, withConfigAddedTokens } from './config-added-tokens.js';

/** The raw files of a tokenizer folder, parsed but not interpreted. */
export interface TokenizerFiles {
  dir: string;
  /** Path actually read (tokenizer.json or tokenizer.json.gz). */
  tokenizerPath: string;
  /**
   * tokenizer.json text (decompressed), with the added tokens that only tokenizer_config.json declares
   * merged into `added_tokens` as transformers adds them (see config-added-tokens.ts). Decoded on
   * first access.
   */
  tokenizerText: string;
  /** Parsed tokenizer.json, parsed on first access (the native engine never needs it). */
  readonly tokenizerJson: Record<string, unknown>;
  /** sha256 of `tokenizerText` (the file's bytes when the config adds no tokens). */
  sha256: string;
  config: Record<string, unknown>;
  specialTokensMap?: Record<string, unknown>;
}

function reason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'ENOENT') return 'file not found';
  if (e?.code === 'EACCES') return 'permission denied';
  if (e?.code === 'EISDIR') return 'is a directory';
  return e?.message ?? String(err);
}

async function readOptional(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`cannot read ${path}: ${reason(err)}`);
  }
}

function parseObject(path: string, text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new Error(`${path} is not valid JSON: ${(err as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new Error(`${path} must contain a JSON object`);
  }
  return value as Record<string, unknown>;
}

/** tokenizer.json bytes: plain file first, else the gzipped one (the embedded sample ships it gzipped). */
async function readTokenizerBytes(dir: string): Promise<{ path: string; bytes: Buffer }> {
  const plain = join(dir, 'tokenizer.json');
  const bytes = await readOptional(plain);
  if (bytes) return { path: plain, bytes };
  const gz = `${plain}.gz`;
  const packed = await readOptional(gz);
  if (!packed) {
    throw new Error(`no tokenizer.json (or tokenizer.json.gz) in ${dir}: only fast-tokenizer folders are supported`);
  }
  try {
    // On the thread pool: the main thread goes on meanwhile (e.g. loading modules or a template).
    return { path: gz, bytes: await promisify(gunzip)(packed) };
  } catch (err) {
    throw new Error(`cannot decompress ${gz}: ${reason(err)}`);
  }
}

/** Where model.vocab / model.merges lie in a tokenizer.json, by the file's sha256 (see `outlineSpans`). */
const OUTLINE: CacheKind = { family: 'outline', format: 1, ext: 'json', keep: 64 };

/** `outlineSpans(bytes)`, read from the cache folder when this file's were stored there, else stored. */
function cachedSpans(bytes: Uint8Array, sha256: string, cache: string | undefined): Member[] | undefined {
  const stored = cache && readCacheFile(cache, OUTLINE, sha256);
  if (stored) {
    try {
      const spans: unknown = JSON.parse(Buffer.from(stored).toString('utf8'));
      if (outlineSpansFit(bytes, spans)) return spans;
    } catch {
      // Not ours: scan.
    }
  }
  const spans = outlineSpans(bytes);
  if (spans && cache) writeCacheFile(cache, OUTLINE, sha256, Buffer.from(JSON.stringify(spans)));
  return spans;
}

/**
 * The files of a tokenizer folder. `cache` is chatshard's cache folder (see `cacheDir`): where
 * model.vocab / model.merges lie in tokenizer.json is stored there by the file's sha256, which
 * saves scanning 7-30 MB on later loads.
 */
export async function readTokenizerFiles(dir: string, cache?: string): Promise<TokenizerFiles> {
  const { path, bytes } = await readTokenizerBytes(dir);
  if (!/^\s*\{/.test(bytes.toString('utf8', 0, 64)))
    throw new Error(`${path} is not valid JSON: it does not start with "{"`);
  // Decoded on first use: the own engine reads the parts it needs from the bytes.
  let text: string | undefined;
  const tokenizerText = () => (text ??= bytes.toString('utf8'));
  let parsed: Record<string, unknown> | undefined;
  const parseTokenizer = (): Record<string, unknown> => {
    if (parsed) return parsed;
    // The model's vocab and merges are parsed on first read: most readers never look at them.
    const u8 = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
    const spans = cachedSpans(u8, fileSha256, cache);
    const json = (spans && parseTokenizerOutline(bytes, path, spans)) || parseObject(path, tokenizerText());
    if (!json.model || typeof json.model !== 'object') {
      throw new Error(`${path} has no "model" section; is it really a Hugging Face tokenizer.json?`);
    }
    return (parsed = json);
  };
  const fileSha256 = createHash('sha256').update(bytes).digest('hex');
  let sha256 = fileSha256;

  // tokenizer_config.json is optional: transformers also loads folders without it.
  const configPath = join(dir, 'tokenizer_config.json');
  const configBytes = await readOptional(configPath);
  const config = configBytes ? parseObject(configPath, configBytes.toString('utf8')) : {};

  const mapPath = join(dir, 'special_tokens_map.json');
  const mapBytes = await readOptional(mapPath);
  const specialTokensMap = mapBytes ? parseObject(mapPath, mapBytes.toString('utf8')) : undefined;

  // Tokens only the config declares (InternLM2-style): merged in here so every engine loads them.
  if (configAddedTokens(config, specialTokensMap, new Set()).length > 0) {
    const json = parseTokenizer();
    const extra = configAddedTokens(config, specialTokensMap, addedContents(json));
    if (extra.length > 0) {
      parsed = withConfigAddedTokens(json, extra);
      text = JSON.stringify(parsed);
      sha256 = createHash('sha256').update(text).digest('hex');
    }
  }

  return {
    dir,
    tokenizerPath: path,
    get tokenizerText() {
      return tokenizerText();
    },
    set tokenizerText(value: string) {
      text = value;
    },
    get tokenizerJson() {
      return parseTokenizer();
    },
    sha256,
    config,
    specialTokensMap,
  };
}
