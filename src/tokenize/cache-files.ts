import {
  accessSync,
  closeSync,
  constants,
  fstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  renameSync,
  statSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * One kind of file in chatshard's cache folder, named `<family>-f<format>-<sha256 hex>.<ext>`.
 * Bumping `format` makes the old files unreadable; they are pruned with the least recently used.
 */
export interface CacheKind {
  family: string;
  format: number;
  ext: string;
  /** Files of this kind kept; the least recently used go first. */
  keep: number;
}

/** A writer's temporary file; one left by a killed process is removed after an hour. */
const STALE_TMP_MS = 3_600_000;

/**
 * chatshard's cache folder: `$CHATSHARD_CACHE_DIR`, else `$XDG_CACHE_HOME/chatshard`, else
 * `~/.cache/chatshard`; undefined when `CHATSHARD_NO_CACHE` is set to anything but "", "0" or
 * "false", or when there is no home folder to put it in.
 *
 * @example
 * cacheDir({ HOME: '/home/me' }); // '/home/me/.cache/chatshard'
 */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const off = env.CHATSHARD_NO_CACHE;
  if (off !== undefined && !['', '0', 'false'].includes(off.toLowerCase())) return undefined;
  if (env.CHATSHARD_CACHE_DIR) return env.CHATSHARD_CACHE_DIR;
  if (env.XDG_CACHE_HOME) return join(env.XDG_CACHE_HOME, 'chatshard');
  let home = env.HOME;
  try {
    home ||= homedir();
  } catch {
    // No home folder (a uid without a passwd entry): no cache.
  }
  return home ? join(home, '.cache', 'chatshard') : undefined;
}

/**
 * Whether files can be written into `dir` (created if missing). Callers check before building
 * what they would write, so a read-only cache costs nothing per run.
 */
export function cacheWritable(dir: string): boolean {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

function nameOf(kind: CacheKind, key: string): string {
  return `${kind.family}-f${kind.format}-${key}.${kind.ext}`;
}

/**
 * The bytes of the cache file of `kind` and `key` in a fresh buffer (so typed-array views of it are
 * aligned), or undefined when there is none or it cannot be read. A file read is marked used.
 *
 * @example
 * const bytes = readCacheFile(dir, { family: 'bpe', format: 2, ext: 'bin', keep: 16 }, key);
 */
export function readCacheFile(dir: string, kind: CacheKind, key: string): Uint8Array | undefined {
  const file = join(dir, nameOf(kind, key));
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return undefined;
  }
  try {
    const size = fstatSync(fd).size;
    const bytes = new Uint8Array(size);
    for (let got = 0; got < size;) {
      const r = readSync(fd, bytes, got, size - got, got);
      if (r === 0) return undefined;
      got += r;
    }
    const now = new Date();
    try {
      utimesSync(file, now, now);
    } catch {
      // A read-only cache is still usable.
    }
    return bytes;
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/**
 * Store `bytes` as the cache file of `kind` and `key`: written to a temporary file and renamed, so
 * readers only ever see whole files. Best effort: a cache that cannot be written (read-only home,
 * full disk) is skipped. Only this kind's own files are ever deleted: the least recently used
 * beyond `kind.keep` (any format), and temporary files a killed writer left.
 */
export function writeCacheFile(dir: string, kind: CacheKind, key: string, bytes: Uint8Array): void {
  const file = join(dir, nameOf(kind, key));
  // Random as well as the pid: containers sharing a folder reuse pids. 'wx' never follows a planted file.
  const tmp = `${file}.${process.pid}${randomBytes(4).toString('hex')}.tmp`;
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(tmp, bytes, { flag: 'wx' });
    renameSync(tmp, file);
    prune(dir, kind);
  } catch {
    try {
      unlinkSync(tmp);
    } catch {
      // Never created.
    }
  }
}

function prune(dir: string, kind: CacheKind): void {
  const mine = new RegExp(`^${kind.family}-f(\\d+)-[0-9a-f]{64}\\.${kind.ext}(\\.[0-9a-f]+\\.tmp)?$`);
  const files = readdirSync(dir)
    .map((f) => ({ f, m: mine.exec(f) }))
    .filter((x) => x.m !== null)
    .map(({ f, m }) => ({ f, tmp: m![2] !== undefined, t: statSync(join(dir, f)).mtimeMs }))
    .sort((a, b) => b.t - a.t);
  const now = Date.now();
  let kept = 0;
  for (const { f, tmp, t } of files) {
    // Least recently used first, whatever the format: two chatshard versions may share the folder.
    const drop = tmp ? now - t > STALE_TMP_MS : ++kept > kind.keep;
    if (drop) unlinkSync(join(dir, f));
  }
}
