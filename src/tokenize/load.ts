import { stat } from 'node:fs/promises';
import { dirname, basename, resolve } from 'node:path';
import type { EngineChoice, LoadedTokenizer, TokenizerEngine } from './engine.js';
import { readTokenizerFiles, type TokenizerFiles } from './files.js';
import { isUnparsed } from './json-outline.js';
import { NativeEngine } from './native.js';
import { createBpeEngine } from './bpe/index.js';
import { cacheDir } from './cache-files.js';
import { UnsupportedEngineError } from './errors.js';
import { collectSpecialTokens, tokenContent } from './special-tokens.js';
import { classDefaults } from './class-defaults.js';

/** transformers stores "no limit" as int(1e30); anything this large means unset. */
const HUGE_MAX_LENGTH = 1e18;

export interface LoadOptions {
  /** Default `auto`: chatshard's own exact BPE engine when it supports the tokenizer, else native. */
  engine?: EngineChoice;
  /** Hub revision (branch, tag or commit) when `source` is a Hub id; default `main`. */
  revision?: string;
  /**
   * Folder caching what loads derive from a tokenizer.json: the own engine's built vocabulary,
   * merge and whole-char tables (~0.4 s for a 150K-token vocabulary) and where vocab / merges lie
   * in the file; or false for none. Default `cacheDir()`: `$CHATSHARD_CACHE_DIR`, else
   * `$XDG_CACHE_HOME/chatshard` or `~/.cache/chatshard`; `CHATSHARD_NO_CACHE=1` turns it off.
   */
  cacheDir?: string | false;
}

/** Local folder for `source`: a folder, a path to tokenizer.json(.gz), or a downloaded hub id. */
async function resolveDir(source: string, revision?: string): Promise<string> {
  let info;
  try {
    info = await stat(source);
  } catch {
    info = undefined;
  }
  if (info?.isDirectory()) return resolve(source);
  if (info?.isFile() && /^tokenizer\.json(\.gz)?$/.test(basename(source))) return resolve(dirname(source));
  if (info) throw new Error(`tokenizer source ${source} is neither a folder nor a tokenizer.json file`);
  // The Hub client (and its hashing wasm) loads only for sources that are not local paths.
  const hub = await import('./hub.js');
  if (hub.looksLikeHubId(source)) return hub.ensureHubSnapshot(source, revision);
  throw new Error(`tokenizer folder not found: ${source}`);
}

function side(
  config: Record<string, unknown>,
  key: string,
  path: string,
  fallback: 'left' | 'right',
): 'left' | 'right' {
  const v = config[key];
  if (v === undefined || v === null) return fallback;
  if (v === 'left' || v === 'right') return v;
  throw new Error(`${path}: ${key} must be "left" or "right", got ${JSON.stringify(v)}`);
}

function maxLength(config: Record<string, unknown>): number | undefined {
  const v = config.model_max_length;
  return typeof v === 'number' && Number.isFinite(v) && v > 0 && v < HUGE_MAX_LENGTH ? v : undefined;
}

/**
 * The engine for `kind`. `js` and `auto` use chatshard's own BPE engine when the capability check
 * accepts tokenizer.json (texts it cannot mirror go to a lazily created native engine); otherwise
 * `auto` is native and `js` throws `UnsupportedEngineError` naming what it lacks.
 *
 * @example
 * createEngine(files, 'auto').kind; // 'js' for Qwen / Llama / Gemma / Mistral, 'native' for a Unigram model
 */
export function createEngine(
  files: TokenizerFiles,
  kind: EngineChoice = 'auto',
  cache: string | false | undefined = cacheDir(),
): TokenizerEngine {
  if (kind === 'native') return new NativeEngine(files.tokenizerText, files.tokenizerPath, () => files.tokenizerJson);
  // The own engine's fallback must not keep a parsed vocabulary alive (tens of MB of heap). While the
  // model's vocab and merges stay unparsed (the own engine read them from the text), `files` is
  // small and keeps only the file's bytes: the text is decoded if the fallback is ever made.
  // Otherwise the fallback holds the decoded text, and parses it again if it needs the JSON.
  const { tokenizerPath } = files;
  let source: TokenizerFiles | undefined = files;
  let text: string | undefined;
  const textOf = () => (text ??= source!.tokenizerText);
  const native = () =>
    new NativeEngine(textOf(), tokenizerPath, () => (source ? source.tokenizerJson : JSON.parse(textOf())));
  const own = createBpeEngine(files.tokenizerJson, { fallback: native, tableCacheDir: cache || undefined });
  const model = files.tokenizerJson.model as Record<string, unknown>;
  if (!isUnparsed(model, 'vocab') || !isUnparsed(model, 'merges')) {
    textOf();
    source = undefined;
  }
  if (typeof own !== 'string') return own;
  if (kind !== 'js') return native();
  // A file Rust cannot load either is broken, not unsupported: its own load error says why.
  native();
  throw new UnsupportedEngineError(files.tokenizerPath, own);
}

export async function loadTokenizer(source: string, opts: LoadOptions = {}): Promise<LoadedTokenizer> {
  const dir = await resolveDir(source, opts.revision);
  const cache = opts.cacheDir ?? cacheDir();
  const files = await readTokenizerFiles(dir, cache || undefined);
  const engine = createEngine(files, opts.engine ?? 'auto', cache);
  const defaults = classDefaults(files.config);
  const specialTokens = collectSpecialTokens(files.config, files.specialTokensMap, defaults.specialTokens);
  const configPath = `${dir}/tokenizer_config.json`;

  const padToken = tokenContent(specialTokens.pad_token);
  const padTokenId = padToken === undefined ? undefined : engine.tokenToId(padToken);

  const out: LoadedTokenizer = {
    source,
    dir,
    config: files.config,
    sha256: files.sha256,
    specialTokens,
    paddingSide: side(files.config, 'padding_side', configPath, defaults.paddingSide ?? 'right'),
    truncationSide: side(files.config, 'truncation_side', configPath, 'right'),
    engine,
  };
  if (padToken !== undefined) out.padToken = padToken;
  if (padTokenId !== undefined) out.padTokenId = padTokenId;
  const mml = maxLength(files.config);
  if (mml !== undefined) out.modelMaxLength = mml;
  return out;
}
