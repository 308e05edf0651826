/**
 * Output folder safety (issue 16 item 2-3): chatshard writes only into a new/empty folder or one
 * holding only its own files, takes a lock naming its holder, and a failed run leaves no trap.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeDataset } from '../../src/write/index.js';
import { mergeDatasets } from '../../src/write/merge.js';
import { checkOutputFolder, OutputFolderError } from '../../src/write/guard.js';
import { acquireOutputLock, holderAlive, OutputLockedError, procStartOf } from '../../src/write/lock.js';
import { isOwnedName } from '../../src/dataset/layout.js';
import { failingRows, removeTempDirs, rowsOf, tempDir } from './helpers.js';

afterAll(removeTempDirs);

/** A pid that no process has any more. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

describe('output folder guard', () => {
  it('refuses the filesystem root, with or without overwrite', async () => {
    await expect(checkOutputFolder('/')).rejects.toThrow(
      'chatshard write: refusing to write a dataset into the filesystem root /',
    );
    await expect(writeDataset(rowsOf(3), { outDir: '/', overwrite: true })).rejects.toBeInstanceOf(OutputFolderError);
  });

  it('refuses a folder of user files even with overwrite, and leaves it untouched', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'notes.txt'), 'mine');
    await mkdir(join(dir, 'drafts'));
    for (const overwrite of [false, true]) {
      await expect(writeDataset(rowsOf(3), { outDir: dir, overwrite })).rejects.toThrow(
        `chatshard write: ${dir} holds files chatshard did not write (drafts, notes.txt); choose a new or empty folder`,
      );
    }
    expect((await readdir(dir)).sort()).toEqual(['drafts', 'notes.txt']);
    await expect(mergeDatasets([await finished()], dir, { overwrite: true })).rejects.toBeInstanceOf(OutputFolderError);
  });

  it('a chatshard dataset folder is replaced with overwrite; a file dropped into it blocks that', async () => {
    const dir = await finished();
    expect((await writeDataset(rowsOf(4), { outDir: dir, overwrite: true })).rows).toBe(4);
    await writeFile(join(dir, 'README.md'), '# my notes');
    await expect(writeDataset(rowsOf(4), { outDir: dir, overwrite: true })).rejects.toThrow(/README\.md/);
    expect(await readFile(join(dir, 'README.md'), 'utf8')).toBe('# my notes');
  });

  it('names chatshard owns', () => {
    for (const n of ['state.json', 'dataset_info.json', 'data-00000-of-00002.arrow', 'summary.json', 'rejects.jsonl'])
      expect(isOwnedName(n), n).toBe(true);
    for (const n of ['rejects.jsonl.partial', 'state.json.tmp', '.chatshard-tmp', '.chatshard.lock'])
      expect(isOwnedName(n), n).toBe(true);
    for (const n of ['notes.txt', 'data.arrow', 'train.jsonl', '.git', 'summary.json.bak'])
      expect(isOwnedName(n), n).toBe(false);
  });

  it('a run that failed before its first complete shard does not block the next run', async () => {
    const dir = await tempDir();
    await expect(writeDataset(failingRows(100, 5), { outDir: dir })).rejects.toThrow('simulated crash');
    expect(existsSync(join(dir, '.chatshard-tmp'))).toBe(true);
    expect((await writeDataset(rowsOf(10), { outDir: dir })).rows).toBe(10);
  });
});

async function finished(): Promise<string> {
  const dir = await tempDir();
  await writeDataset(rowsOf(5), { outDir: dir });
  return dir;
}

describe('output lock', () => {
  it('a second writer is refused with the holder named; released after the write', async () => {
    const dir = await tempDir();
    const lock = await acquireOutputLock(dir);
    const err = await writeDataset(rowsOf(3), { outDir: dir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OutputLockedError);
    expect((err as Error).message).toBe(
      `chatshard write: ${dir} is in use by another chatshard process (pid ${process.pid} on ${hostname()}, ` +
        `started ${lock.holder.started}); wait for it to finish`,
    );
    await lock.release();
    await writeDataset(rowsOf(3), { outDir: dir });
    expect(existsSync(join(dir, '.chatshard.lock'))).toBe(false);
  });

  it('a stale lock (holder killed) is taken over; the old holder then cannot finish', async () => {
    const dir = await tempDir();
    const pid = deadPid();
    const stale = { pid, host: hostname(), started: '2020-01-01T00:00:00.000Z', token: 'old' };
    expect(holderAlive(stale)).toBe(false);
    await writeFile(join(dir, '.chatshard.lock'), JSON.stringify(stale));
    const lock = await acquireOutputLock(dir);
    expect(JSON.parse(await readFile(lock.path, 'utf8'))).toMatchObject({ pid: process.pid, token: lock.holder.token });
    await lock.check();
    // Another process took it over (it thought we were dead): we must not finish.
    await writeFile(lock.path, JSON.stringify({ ...stale, pid: process.pid, token: 'theirs' }));
    await expect(lock.check()).rejects.toThrow(/lost the lock on/);
    await lock.release(); // not ours any more: left alone
    expect(JSON.parse(await readFile(lock.path, 'utf8')).token).toBe('theirs');
  });

  it('a reused pid (same pid, other process start time) counts as gone', () => {
    const me = procStartOf(process.pid);
    if (me === undefined) return; // no /proc on this platform
    const base = { pid: process.pid, host: hostname(), started: '', token: 't' };
    expect(holderAlive({ ...base, procStart: me })).toBe(true);
    expect(holderAlive({ ...base, procStart: me + 1 })).toBe(false);
    expect(holderAlive({ ...base, host: 'another-host', pid: deadPid() })).toBe(true);
  });
});
