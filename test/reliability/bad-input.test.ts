/**
 * Hostile input corpus, built here at test time (the large cases would bloat the repository), run
 * through the CLI: every row is written or rejected with file:line and a reason, the run never
 * crashes, and rows_in = rows_written + rows_rejected.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { verifyDataset } from '../../src/verify/index.js';
import { ROOT } from '../helpers.js';

const run = promisify(execFile);
const BIN = join(ROOT, 'dist/cli/main.js');
const ok = (user: string, assistant: string) =>
  JSON.stringify({
    messages: [
      { role: 'user', content: user },
      { role: 'assistant', content: assistant },
    ],
  });

/** name → [file content, rows the file holds (non-blank lines)] */
function corpus(): Record<string, [Buffer | string, number]> {
  const lines = (...ls: string[]) => ls.join('\n') + '\n';
  const gz = gzipSync(lines(...Array.from({ length: 3000 }, (_, i) => ok(`q${i}`, `a${i}`))));
  return {
    '01-invalid-json.jsonl': [lines(ok('a', 'b'), '{"messages": [}', ok('c', 'd')), 3],
    '02-truncated-last-line.jsonl': [lines(ok('a', 'b')) + '{"messages": [{"role": "user", "con', 2],
    '03-bom.jsonl': ['\ufeff' + lines(ok('bom', 'fine')), 1],
    '04-crlf.jsonl': [ok('crlf', 'one') + '\r\n' + ok('crlf', 'two') + '\r\n', 2],
    '05-u2028.jsonl': [lines(ok('line\u2028sep', 'para\u2029sep')), 1],
    '06-lone-surrogate.jsonl': [
      lines('{"messages":[{"role":"user","content":"x\\ud800y"},{"role":"assistant","content":"z"}]}'),
      1,
    ],
    '07-invalid-utf8.jsonl': [
      Buffer.concat([Buffer.from(ok('a', 'b') + '\n'), Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d, 0x0a])]),
      2,
    ],
    '08-not-object.jsonl': [lines('[1,2,3]', '"text"', '42', 'null'), 4],
    '09-missing-empty-messages.jsonl': [lines('{"id":1}', '{"messages":[]}', '{"messages":"hi"}'), 3],
    '10-content-types.jsonl': [
      lines(
        '{"messages":[{"role":"user","content":null},{"role":"assistant","content":"ok"}]}',
        '{"messages":[{"role":"user","content":42},{"role":"assistant","content":"ok"}]}',
        '{"messages":[{"role":"user","content":[{"type":"text","text":"parts"}]},{"role":"assistant","content":"ok"}]}',
        '{"messages":[{"role":"user","content":"q"},{"role":"assistant","content":null}]}',
      ),
      4,
    ],
    '11-unknown-role.jsonl': [
      lines(
        '{"messages":[{"role":"wizard","content":"spell"},{"role":"user","content":"q"},{"role":"assistant","content":"a"}]}',
      ),
      1,
    ],
    '12-tool-args.jsonl': [
      lines(
        JSON.stringify({
          messages: [
            { role: 'user', content: 'w?' },
            {
              role: 'assistant',
              content: '',
              tool_calls: [{ type: 'function', function: { name: 'f', arguments: '{"c":"P"}' } }],
            },
            { role: 'tool', content: '1' },
            { role: 'assistant', content: 'done' },
          ],
          tools: [{ type: 'function', function: { name: 'f', parameters: {} } }],
        }),
        JSON.stringify({
          messages: [
            { role: 'user', content: 'w?' },
            {
              role: 'assistant',
              content: '',
              tool_calls: [{ type: 'function', function: { name: 'f', arguments: { c: 'P' } } }],
            },
            { role: 'tool', content: '1' },
            { role: 'assistant', content: 'done' },
          ],
          tools: [{ type: 'function', function: { name: 'f', parameters: {} } }],
        }),
      ),
      2,
    ],
    '13-orphan-tool.jsonl': [
      lines(
        '{"messages":[{"role":"user","content":"q"},{"role":"tool","content":"r"},{"role":"assistant","content":"a"}]}',
      ),
      1,
    ],
    '14-ends-on-user.jsonl': [
      lines(
        '{"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"a"},{"role":"user","content":"q2"}]}',
      ),
      1,
    ],
    // A line spanning more than two 1 MB read chunks (src/read/sources.ts), one of them without a newline.
    '15-huge-line.jsonl': [lines(ok('big', 'x'.repeat(3 * 1024 * 1024))), 1],
    '16-many-tiny.jsonl': [Array.from({ length: 20_000 }, (_, i) => ok(String(i), 'y')).join('\n') + '\n', 20_000],
    '17-empty.jsonl': ['', 0],
    '18-cut.jsonl.gz': [gz.subarray(0, Math.floor(gz.length / 2)), -1],
  };
}

describe('bad-input corpus through the CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'chatshard-bad-'));
  const inDir = join(dir, 'in');
  const out = join(dir, 'out');
  let summary: Record<string, any>;
  let rejects: { file: string; line: number; reason: string; message: string }[];

  beforeAll(async () => {
    mkdirSync(inDir);
    for (const [name, [content]] of Object.entries(corpus())) writeFileSync(join(inDir, name), content);
    const { stdout } = await run(
      process.execPath,
      [
        BIN,
        'run',
        '-i',
        inDir,
        '-o',
        out,
        '-t',
        'samples/tokenizer',
        '--chat-template',
        'samples/qwen2_5_training.jinja',
        '--max-length',
        '2048',
        '--json',
      ],
      { cwd: ROOT, maxBuffer: 1 << 26 },
    );
    summary = JSON.parse(stdout);
    rejects = readFileSync(join(out, 'rejects.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
  }, 300_000);

  it('accounts for every row: rows_in = written + rejected, rejects listed with file:line', () => {
    expect(summary.rows_in).toBe(summary.rows_written + summary.rows_rejected);
    expect(rejects).toHaveLength(summary.rows_rejected);
    const byReason = rejects.reduce<Record<string, number>>(
      (m, r) => ({ ...m, [r.reason]: (m[r.reason] ?? 0) + 1 }),
      {},
    );
    expect(byReason).toEqual(summary.rejected_by_reason);
    // All rows of the complete files are counted (the cut gzip contributes what it could read + 1 error row).
    const known = Object.values(corpus()).reduce((n, [, rows]) => n + Math.max(rows, 0), 0);
    expect(summary.rows_in).toBeGreaterThan(known);
    for (const r of rejects) {
      expect(r.file.startsWith(inDir)).toBe(true);
      expect(r.line).toBeGreaterThan(0);
      expect(r.message.length).toBeGreaterThan(0);
    }
  });

  it('rejects each broken row with the expected reason at the right line', () => {
    const at = (file: string, line: number) => rejects.find((r) => r.file.endsWith(file) && r.line === line)?.reason;
    expect(at('01-invalid-json.jsonl', 2)).toBe('invalid_json');
    expect(at('02-truncated-last-line.jsonl', 2)).toBe('invalid_json');
    expect(at('06-lone-surrogate.jsonl', 1)).toBe('invalid_unicode');
    expect(at('07-invalid-utf8.jsonl', 2)).toBe('invalid_utf8');
    for (let l = 1; l <= 4; l++) expect(at('08-not-object.jsonl', l)).toBe('not_an_object');
    for (let l = 1; l <= 3; l++) expect(at('09-missing-empty-messages.jsonl', l)).toBe('no_messages');
    expect(at('14-ends-on-user.jsonl', 1)).toBeUndefined();
    expect(at('18-cut.jsonl.gz', rejects.find((r) => r.file.endsWith('18-cut.jsonl.gz'))!.line)).toBe('read_error');
  });

  it('writes the good rows (BOM, CRLF, U+2028, both tool-argument forms, 20k tiny rows, the 3 MB line)', () => {
    const good = (file: string) => !rejects.some((r) => r.file.endsWith(file));
    for (const f of [
      '03-bom.jsonl',
      '04-crlf.jsonl',
      '05-u2028.jsonl',
      '12-tool-args.jsonl',
      '15-huge-line.jsonl',
      '16-many-tiny.jsonl',
      '13-orphan-tool.jsonl',
      '14-ends-on-user.jsonl',
    ]) {
      expect(good(f), f).toBe(true);
    }
    expect(summary.rows_written).toBeGreaterThan(20_000);
  });

  it('the dataset written from it verifies', async () => {
    const report = await verifyDataset(out);
    expect(report.errors).toEqual([]);
    expect(report.rows).toBe(summary.rows_written);
  });
});
