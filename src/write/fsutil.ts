/** Small filesystem helpers shared by the write, merge and resume code. */
import { mkdir, open, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

/** Wrap a filesystem error with what we were doing, keeping the errno code visible. */
export function fsError(what: string, path: string, cause: unknown): Error {
  const e = cause as NodeJS.ErrnoException;
  const hint =
    e?.code === 'ENOSPC'
      ? ' (disk full)'
      : e?.code === 'EACCES' || e?.code === 'EPERM'
        ? ' (permission denied)'
        : e?.code === 'EROFS'
          ? ' (read-only filesystem)'
          : '';
  const err = new Error(`chatshard write: ${what} ${path}: ${e?.message ?? String(cause)}${hint}`, { cause });
  (err as NodeJS.ErrnoException).code = e?.code;
  return err;
}

export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Write a small file atomically: temp file, fsync, rename. */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  const tmp = path + '.tmp';
  try {
    await writeFile(tmp, text);
    const fh = await open(tmp, 'r+');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw fsError('cannot write', path, e);
  }
}

/** Persist directory entries (renames) where the platform allows it. */
export async function syncDir(dir: string): Promise<void> {
  try {
    const fh = await open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    // Not supported everywhere (e.g. Windows); renames are still atomic.
  }
}

/**
 * Create the output folder one level at a time. Node's `mkdir(recursive)` never returns for paths
 * where mkdir answers ENOENT although the parent exists (e.g. under /proc); walking up ourselves
 * turns that into an error. Errors name the folder and say what is wrong.
 */
export async function ensureOutputDir(dir: string): Promise<void> {
  const fail = (e: unknown): never => {
    const err = e as NodeJS.ErrnoException;
    const why =
      err.code === 'ENOTDIR'
        ? ' (a parent is a file, not a folder)'
        : err.code === 'EACCES' || err.code === 'EPERM' || err.code === 'EROFS'
          ? ' (not writable)'
          : '';
    throw Object.assign(new Error(`cannot create output folder ${dir}: ${err.message}${why}`, { cause: e }), {
      code: err.code,
    });
  };
  const missing: string[] = [];
  for (let d = resolve(dir); ; d = dirname(d)) {
    const st = await stat(d).catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? null : fail(e)));
    if (st) {
      if (!st.isDirectory()) fail(new Error(`${d} exists and is not a folder`));
      break;
    }
    missing.push(d);
    if (dirname(d) === d) break;
  }
  for (const d of missing.reverse()) {
    await mkdir(d).catch((e: NodeJS.ErrnoException) => (e.code === 'EEXIST' ? undefined : fail(e)));
  }
}
