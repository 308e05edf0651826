import { createWriteStream, type WriteStream } from 'node:fs';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import type { KeptCell, RejectedRow } from '../types.js';

/**
 * Append-only `rejects.jsonl`: one line per rejected row with file, line, index, reason and message.
 * Written to `<path>.partial` and renamed when the run completes.
 */
export class RejectsFile {
  private stream: WriteStream;
  private constructor(readonly path: string) {
    this.stream = createWriteStream(`${path}.partial`, { flags: 'a' });
  }

  /**
   * Open for a run. On resume, keep only the rejects of rows before `keepBelow` (those after it are
   * replayed), and return them so the summary counts stay exact.
   */
  static async open(path: string, keepBelow?: number): Promise<{ file: RejectsFile; kept: RejectedRow[] }> {
    let kept: RejectedRow[] = [];
    if (keepBelow !== undefined) {
      const old = await readFile(`${path}.partial`, 'utf8').catch(() => '');
      kept = old
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map(parseLine)
        .filter((r): r is NonNullable<typeof r> => r !== null && r.index < keepBelow)
        .map((r) => ({
          ref: { file: r.file, line: r.line },
          index: r.index,
          reason: r.reason,
          message: r.message,
          ...(r.truncated_tokens ? { truncatedTokens: r.truncated_tokens } : {}),
          ...(r.columns ? { columns: r.columns } : {}),
        }));
      await writeFile(`${path}.partial`, kept.map(line).join(''));
    } else {
      await rm(`${path}.partial`, { force: true });
    }
    return { file: new RejectsFile(path), kept };
  }

  async add(r: RejectedRow): Promise<void> {
    if (!this.stream.write(line(r))) await once(this.stream, 'drain');
  }

  async close(): Promise<void> {
    this.stream.end();
    await once(this.stream, 'finish');
    await rename(`${this.path}.partial`, this.path);
  }

  async abort(): Promise<void> {
    this.stream.end();
    await once(this.stream, 'close').catch(() => undefined);
  }
}

/** A line of an interrupted run's file, or null for a line torn by the interruption (never fatal to resume). */
interface RejectLine {
  file: string;
  line: number;
  index: number;
  reason: string;
  message: string;
  /** Present on empty_mask rows that truncation emptied. */
  truncated_tokens?: number;
  /** The row's kept input values (`keepColumns`), when the row could be parsed. */
  columns?: Record<string, KeptCell>;
}

function parseLine(l: string): RejectLine | null {
  try {
    const r = JSON.parse(l) as RejectLine;
    return typeof r?.index === 'number' ? r : null;
  } catch {
    return null;
  }
}

function line(r: RejectedRow): string {
  const out: RejectLine = { file: r.ref.file, line: r.ref.line, index: r.index, reason: r.reason, message: r.message };
  if (r.truncatedTokens) out.truncated_tokens = r.truncatedTokens;
  if (r.columns) out.columns = r.columns;
  return JSON.stringify(out) + '\n';
}
