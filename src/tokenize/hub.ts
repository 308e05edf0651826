import { mkdir, rename, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Files fetched for a hub id; only tokenizer.json is required. */
const HUB_FILES = [
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'chat_template.jinja',
  'chat_template.json',
];
const REQUIRED = new Set(['tokenizer.json']);
const COMPLETE_MARKER = '.chatshard-complete';

/** `owner/name` (or a bare legacy name) without path-like prefixes. */
export function looksLikeHubId(source: string): boolean {
  return (
    /^[A-Za-z0-9][\w.-]*(\/[A-Za-z0-9][\w.-]*)?$/.test(source) && !source.endsWith('.json') && !source.includes('..')
  );
}

export function cacheRoot(): string {
  if (process.env.CHATSHARD_CACHE) return process.env.CHATSHARD_CACHE;
  const xdg = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(xdg, 'chatshard');
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Folder holding the tokenizer files of a hub id, downloading them on first use.
 * A marker file makes half-finished downloads retry instead of loading broken data.
 */
export async function ensureHubSnapshot(id: string, revision = 'main'): Promise<string> {
  const dir = join(cacheRoot(), ...id.split('/'), revision === 'main' ? '' : `@${revision}`);
  if (await exists(join(dir, COMPLETE_MARKER))) return dir;
  await mkdir(dir, { recursive: true });
  const endpoint = (process.env.HF_ENDPOINT || 'https://huggingface.co').replace(/\/+$/, '');
  const headers: Record<string, string> = {};
  if (process.env.HF_TOKEN) headers.authorization = `Bearer ${process.env.HF_TOKEN}`;
  for (const name of HUB_FILES) {
    const url = `${endpoint}/${id}/resolve/${encodeURIComponent(revision)}/${name}`;
    let res: Response;
    try {
      res = await fetch(url, { headers, redirect: 'follow' });
    } catch (err) {
      const cause = (err as { cause?: { message?: string } }).cause?.message ?? (err as Error).message;
      throw new Error(
        `cannot download tokenizer "${id}" (${url}): ${cause}. ` +
          `No local folder named "${id}" exists and the Hub is unreachable; pass a local tokenizer folder when offline.`,
      );
    }
    if (res.status === 404) {
      if (REQUIRED.has(name)) {
        throw new Error(`"${id}" is neither a local folder nor a Hub repo with ${name} (${url}: HTTP 404)`);
      }
      continue;
    }
    if (res.status === 401 || res.status === 403) {
      throw new Error(`access to "${id}" denied (${res.status}); gated or private repos need HF_TOKEN set`);
    }
    if (!res.ok) throw new Error(`downloading ${url} failed: HTTP ${res.status}`);
    const body = Buffer.from(await res.arrayBuffer());
    const tmp = join(dir, `.${name}.part`);
    await writeFile(tmp, body);
    await rename(tmp, join(dir, name));
  }
  await writeFile(join(dir, COMPLETE_MARKER), new Date().toISOString());
  return dir;
}
