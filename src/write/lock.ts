/**
 * One writer per output folder. The lock file (`OUT/.chatshard.lock`) names its holder (pid, host,
 * start time) so a refused second writer can say who holds it; a lock whose holder is gone (killed
 * with SIGKILL, machine rebooted) is taken over.
 */
import { link, open, readFile, rename, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { fsError } from './fsutil.js';
import { LOCK_FILE } from '../dataset/layout.js';

export interface LockHolder {
  pid: number;
  host: string;
  /** ISO time the holder took the lock. */
  started: string;
  /** Linux process start time (clock ticks since boot): tells a live holder from a reused pid. */
  procStart?: number;
  /** Random per-acquisition token: the lock is only ever released by its own holder. */
  token: string;
}

/** Raised when another live process holds the output folder. */
export class OutputLockedError extends Error {
  override name = 'OutputLockedError';
  constructor(
    readonly outDir: string,
    readonly holder: LockHolder | null,
  ) {
    super(
      holder
        ? `chatshard write: ${outDir} is in use by another chatshard process (pid ${holder.pid} on ${holder.host}, ` +
            `started ${holder.started}); wait for it to finish` +
            (holder.host === hostname() ? '' : `, or delete ${join(outDir, LOCK_FILE)} if that process is gone`)
        : `chatshard write: ${outDir} is being locked by another chatshard process; try again`,
    );
  }
}

export interface OutputLock {
  readonly path: string;
  readonly holder: LockHolder;
  /** Throws unless the lock file still names this holder (checked before making a dataset visible). */
  check(): Promise<void>;
  /** Remove the lock if it is still ours. Never throws. */
  release(): Promise<void>;
}

/** Start time of a process from /proc (Linux), or undefined elsewhere / when it is gone. */
export function procStartOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22; the command name (field 2) may hold spaces, so count from the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const v = Number(fields[19]);
    return Number.isFinite(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether the holder still runs. Only decidable on the same host: another host's holder counts as
 * alive (the user is told which file to delete if it is not).
 */
export function holderAlive(h: LockHolder): boolean {
  if (h.host !== hostname()) return true;
  try {
    process.kill(h.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  // Same pid, different process start: the pid was reused after the holder died.
  if (h.procStart !== undefined) {
    const now = procStartOf(h.pid);
    if (now !== undefined && now !== h.procStart) return false;
  }
  return true;
}

function parseHolder(text: string): LockHolder | null {
  try {
    const h = JSON.parse(text) as LockHolder;
    return typeof h?.pid === 'number' && typeof h.host === 'string' && typeof h.token === 'string' ? h : null;
  } catch {
    return null;
  }
}

async function readHolder(path: string): Promise<{ text: string; holder: LockHolder | null } | null> {
  try {
    const text = await readFile(path, 'utf8');
    return { text, holder: parseHolder(text) };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/**
 * Remove a stale lock whose text we read. The rename is atomic, so of two processes taking over
 * the same stale lock only one moves it; if what we moved is not the stale text (the other process
 * already replaced it with its own live lock), it is linked back untouched.
 */
async function removeStale(path: string, staleText: string): Promise<void> {
  const aside = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
  try {
    await rename(path, aside);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  const moved = await readFile(aside, 'utf8').catch(() => staleText);
  if (moved !== staleText) await link(aside, path).catch(() => undefined);
  await rm(aside, { force: true });
}

/**
 * Take the output folder's lock (the folder must exist). Throws OutputLockedError naming the
 * holder when a live process has it.
 *
 * @example
 *   const lock = await acquireOutputLock('out/ds');
 *   try { ...write... } finally { await lock.release(); }
 */
export async function acquireOutputLock(outDir: string): Promise<OutputLock> {
  const path = join(outDir, LOCK_FILE);
  const holder: LockHolder = {
    pid: process.pid,
    host: hostname(),
    started: new Date().toISOString(),
    procStart: procStartOf(process.pid),
    token: randomBytes(8).toString('hex'),
  };
  const text = JSON.stringify(holder) + '\n';
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const fh = await open(path, 'wx');
      try {
        await fh.writeFile(text);
        await fh.sync();
      } finally {
        await fh.close();
      }
      return lockHandle(outDir, path, holder, text);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw fsError('cannot create lock file', path, e);
    }
    const cur = await readHolder(path);
    if (!cur) continue; // released meanwhile
    // An unreadable lock is a holder that died between creating and writing it (or a torn write).
    if (cur.holder && holderAlive(cur.holder)) throw new OutputLockedError(outDir, cur.holder);
    if (!cur.holder && cur.text.length > 0) throw new OutputLockedError(outDir, null);
    await removeStale(path, cur.text);
  }
  throw new OutputLockedError(outDir, (await readHolder(path))?.holder ?? null);
}

function lockHandle(outDir: string, path: string, holder: LockHolder, text: string): OutputLock {
  let released = false;
  return {
    path,
    holder,
    async check() {
      const cur = await readHolder(path);
      if (cur?.text !== text) {
        throw new Error(
          `chatshard write: lost the lock on ${outDir} to ` +
            (cur?.holder ? `pid ${cur.holder.pid} on ${cur.holder.host}` : 'another process') +
            '; not finishing this run',
        );
      }
    },
    async release() {
      if (released) return;
      released = true;
      const cur = await readHolder(path).catch(() => null);
      if (cur?.text === text) await rm(path, { force: true }).catch(() => undefined);
    },
  };
}
