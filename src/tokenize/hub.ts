/**
 * Hub ids resolve through the standard Hugging Face cache, so snapshots are shared with Python:
 * `$HF_HUB_CACHE` (else `$HF_HOME/hub`, else `~/.cache/huggingface/hub`) holding
 * `models--<org>--<name>/{refs/<revision>, snapshots/<commit>/<file>, blobs/}`. Downloads go through
 * `@huggingface/hub`; `HF_TOKEN` authenticates, `HF_ENDPOINT` picks the server, `HF_HUB_OFFLINE=1`
 * reads the cache only (as Python does, an unreachable Hub also falls back to the cache).
 */
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { downloadFileToCacheDir, getHFHubCachePath, listFiles, modelInfo, pathsInfo } from '@huggingface/hub';

/** Tokenizer files fetched for a hub id; only tokenizer.json is required. */
const HUB_FILES = [
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'chat_template.jinja',
  'chat_template.json',
];
const TEMPLATES_DIR = 'additional_chat_templates';
const COMMIT = /^[0-9a-f]{40}$/;

/** `owner/name` (or a bare legacy name) without path-like prefixes. */
export function looksLikeHubId(source: string): boolean {
  return (
    /^[A-Za-z0-9][\w.-]*(\/[A-Za-z0-9][\w.-]*)?$/.test(source) && !source.endsWith('.json') && !source.includes('..')
  );
}

/** The hub cache folder Python's huggingface_hub uses (same environment variables). */
export function hubCacheDir(): string {
  return getHFHubCachePath();
}

function offline(): boolean {
  const v = (process.env.HF_HUB_OFFLINE ?? '').toLowerCase();
  return v === '1' || v === 'true' || v === 'yes' || v === 'on';
}

/** `models--org--name`, as huggingface_hub names repo folders. */
function repoFolder(id: string): string {
  return ['models', ...id.split('/')].join('--');
}

async function isDir(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() ?? false;
}

/** Snapshot folder of `revision` in the cache (a commit hash, or a ref recorded in `refs/`), if present. */
export async function cachedSnapshot(
  id: string,
  revision = 'main',
  cacheDir = hubCacheDir(),
): Promise<string | undefined> {
  const repo = join(cacheDir, repoFolder(id));
  let commit = COMMIT.test(revision) ? revision : undefined;
  if (!commit) {
    try {
      commit = (await readFile(join(repo, 'refs', revision), 'utf8')).trim();
    } catch {
      return undefined;
    }
  }
  const dir = join(repo, 'snapshots', commit);
  if (!(await isDir(dir))) return undefined;
  // A snapshot without tokenizer.json (e.g. Python fetched only config.json) cannot serve a tokenizer.
  return (await stat(join(dir, 'tokenizer.json')).catch(() => undefined)) ? dir : undefined;
}

/** Download the tokenizer files of `id` at `revision` into the cache; returns the snapshot folder. */
async function download(id: string, revision: string, cacheDir: string): Promise<string> {
  const creds = {
    ...(process.env.HF_TOKEN ? { accessToken: process.env.HF_TOKEN } : {}),
    ...(process.env.HF_ENDPOINT ? { hubUrl: process.env.HF_ENDPOINT.replace(/\/+$/, '') } : {}),
  };
  const repo = { type: 'model' as const, name: id };
  // Pin the commit first: @huggingface/hub would otherwise file each blob under the last commit that
  // touched it, scattering one revision over several snapshot folders.
  const commit = COMMIT.test(revision)
    ? revision
    : (await modelInfo({ name: id, revision, additionalFields: ['sha'], ...creds })).sha;
  const present = await pathsInfo({ repo, paths: [...HUB_FILES, TEMPLATES_DIR], revision: commit, ...creds });
  const names = new Set(present.map((p) => p.path));
  if (!names.has('tokenizer.json')) {
    throw new Error(`"${id}" is a Hub repo without tokenizer.json: only fast-tokenizer repos are supported`);
  }
  const files = HUB_FILES.filter((f) => names.has(f));
  if (present.some((p) => p.path === TEMPLATES_DIR && p.type === 'directory')) {
    for await (const f of listFiles({ repo, path: TEMPLATES_DIR, revision: commit, ...creds })) {
      if (f.type === 'file' && f.path.endsWith('.jinja')) files.push(f.path);
    }
  }
  let snapshot = '';
  for (const path of files) {
    const pointer = await downloadFileToCacheDir({ repo, path, revision: commit, cacheDir, ...creds });
    if (path === 'tokenizer.json') snapshot = dirname(pointer);
  }
  if (!COMMIT.test(revision)) {
    // Python records which commit a branch/tag pointed to; offline loads read it back.
    const refs = join(cacheDir, repoFolder(id), 'refs');
    await mkdir(refs, { recursive: true });
    await writeFile(join(refs, revision), commit);
  }
  return snapshot;
}

function describe(err: unknown): string {
  const e = err as { message?: string; cause?: { message?: string }; statusCode?: number };
  return e.cause?.message ?? e.message ?? String(err);
}

/**
 * Folder holding the tokenizer files of a hub id (`org/name`), downloading them into the shared
 * cache when needed. With `HF_HUB_OFFLINE=1`, or when the Hub cannot be reached, a cached snapshot
 * of the revision is used.
 *
 * @example
 *   const dir = await ensureHubSnapshot('Qwen/Qwen2.5-0.5B-Instruct');
 *   // ~/.cache/huggingface/hub/models--Qwen--Qwen2.5-0.5B-Instruct/snapshots/<commit>
 */
export async function ensureHubSnapshot(id: string, revision = 'main'): Promise<string> {
  const cacheDir = hubCacheDir();
  if (offline()) {
    const dir = await cachedSnapshot(id, revision, cacheDir);
    if (dir) return dir;
    throw new Error(
      `"${id}" (revision ${revision}) is not in the Hugging Face cache ${cacheDir} and HF_HUB_OFFLINE is set; ` +
        'download it once online (here or with Python), or pass a local tokenizer folder.',
    );
  }
  try {
    return await download(id, revision, cacheDir);
  } catch (err) {
    const status = (err as { statusCode?: number }).statusCode;
    if (status === 401 || status === 403) {
      throw new Error(`access to "${id}" denied (${status}); gated or private repos need HF_TOKEN set`);
    }
    if (status === 404) {
      throw new Error(`"${id}" is neither a local folder nor a Hub repo (revision ${revision}): ${describe(err)}`);
    }
    // Unreachable Hub: fall back to the cache, as Python does.
    const dir = await cachedSnapshot(id, revision, cacheDir);
    if (dir) return dir;
    throw new Error(
      `cannot download tokenizer "${id}": ${describe(err)}. It is not in the Hugging Face cache ${cacheDir} either; ` +
        'pass a local tokenizer folder when offline.',
    );
  }
}
