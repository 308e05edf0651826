/** Small filesystem helpers shared by the write, merge and resume code. */
import { open, rename, rm, stat, writeFile } from 'node:fs/promises';

/** Wrap a filesystem error with what we were doing, keeping the errno code visible. */
export function fsError(what: string, path: string, cause: unknown): Error {
  const e = cause as NodeJS.ErrnoException;
  const hint =
    e?.code === 'ENOSPC' ? ' (disk full)' : e?.code === 'EACCES' || e?.code === 'EPERM' ? ' (permission denied)' : e?.code === 'EROFS' ? ' (read-only filesystem)' : '';
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
