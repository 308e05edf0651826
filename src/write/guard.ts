/**
 * Which folders chatshard may write into: a new or empty folder, or one that holds only files
 * chatshard writes (a dataset it made, an interrupted run). Checked before anything is created,
 * so a refused run leaves the folder exactly as it was.
 */
import { readdir, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { acquireOutputLock, type OutputLock } from './lock.js';
import { ensureOutputDir } from './fsutil.js';
import { isOwnedName, PARQUET_DIR, PARQUET_RE } from '../dataset/layout.js';

/** The output folder cannot be used; nothing was written. */
export class OutputFolderError extends Error {
  override name = 'OutputFolderError';
}

/**
 * Throws OutputFolderError when `outDir` exists and holds files chatshard did not create (with or
 * without overwrite: overwrite only ever replaces chatshard's own files).
 *
 * @example
 *   await checkOutputFolder('/');        // throws: the filesystem root
 *   await checkOutputFolder('notes/');   // throws when notes/ holds e.g. todo.txt
 */
export async function checkOutputFolder(outDir: string): Promise<void> {
  const dir = resolve(outDir);
  if (dirname(dir) === dir) {
    throw new OutputFolderError(`chatshard write: refusing to write a dataset into the filesystem root ${dir}`);
  }
  let names: string[];
  try {
    // Missing folders, files and unreadable paths are reported by ensureOutputDir / the lock.
    if (!(await stat(dir)).isDirectory()) return;
    names = await readdir(dir);
  } catch {
    return;
  }
  const foreign = names.filter((n) => !isOwnedName(n));
  // `data/` is chatshard's only when it holds nothing but Parquet shards.
  if (names.includes(PARQUET_DIR)) {
    const inside = await readdir(join(dir, PARQUET_DIR)).catch(() => null);
    if (inside === null) foreign.push(PARQUET_DIR);
    else
      foreign.push(
        ...inside.filter((n) => !PARQUET_RE.test(n.replace(/\.(tmp|partial)$/, ''))).map((n) => join(PARQUET_DIR, n)),
      );
  }
  foreign.sort();
  if (foreign.length > 0) {
    const shown = foreign.slice(0, 3).join(', ') + (foreign.length > 3 ? `, … (${foreign.length} in all)` : '');
    throw new OutputFolderError(
      `chatshard write: ${dir} holds files chatshard did not write (${shown}); ` +
        'choose a new or empty folder (chatshard never writes beside or deletes other files, even with overwrite)',
    );
  }
}

/**
 * Check the folder, create it and take its lock: the one entry point before any write.
 *
 * @example
 *   const lock = await openOutputFolder('out/ds');
 *   try { ... } finally { await lock.release(); }
 */
export async function openOutputFolder(outDir: string): Promise<OutputLock> {
  await checkOutputFolder(outDir);
  await ensureOutputDir(outDir);
  return acquireOutputLock(resolve(outDir));
}
