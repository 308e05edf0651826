import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readRows, splitLines } from '../../src/read/index.js';

async function lines(chunks: (string | Buffer)[]) {
  const out = [];
  for await (const l of splitLines(
    (async function* () {
      for (const c of chunks) yield typeof c === 'string' ? Buffer.from(c) : c;
    })(),
  ))
    out.push(l);
  return out;
}

async function collect(inputs: string[]) {
  const rows = [];
  for await (const r of readRows(inputs)) rows.push(r);
  return rows;
}

describe('splitLines', () => {
  it.each([
    ['plain', ['a\nb\n'], ['a', 'b']],
    ['no trailing newline', ['a\nb'], ['a', 'b']],
    ['CRLF', ['a\r\nb\r\n'], ['a', 'b']],
    ['split across chunks', ['{"x":', '1}\n{"y"', ':2}'], ['{"x":1}', '{"y":2}']],
    ['U+2028 stays inside the line', ['"a\u2028b\u2029c"\n'], ['"a\u2028b\u2029c"']],
    ['lone CR is not a break', ['a\rb\n'], ['a\rb']],
    ['BOM stripped on line 1', ['\ufeffa\n\ufeffb\n'], ['a', '\ufeffb']],
  ])('%s', async (_name, chunks, expected) => {
    expect((await lines(chunks)).map((l) => l.text)).toEqual(expected);
  });

  it('flags invalid UTF-8 with its line number and continues', async () => {
    const out = await lines([Buffer.from('ok\n'), Buffer.from([0x7b, 0xff, 0xfe, 0x7d, 0x0a]), Buffer.from('fine\n')]);
    expect(out).toEqual([
      { line: 1, text: 'ok' },
      { line: 2, error: 'invalid UTF-8 bytes' },
      { line: 3, text: 'fine' },
    ]);
  });

  it('splits a multi-byte character across chunks correctly', async () => {
    const bytes = Buffer.from('"世界"\n');
    const out = await lines([bytes.subarray(0, 2), bytes.subarray(2, 5), bytes.subarray(5)]);
    expect(out[0]!.text).toBe('"世界"');
  });
});

describe('readRows', () => {
  const dir = mkdtempSync(join(tmpdir(), 'chatshard-read-'));
  writeFileSync(join(dir, 'a.jsonl'), '{"n":1}\n\n{"n":2}\nnot json\n[1]\n');
  writeFileSync(join(dir, 'b.jsonl.gz'), gzipSync('{"n":3}\n{"n":4}\n'));
  const cut = gzipSync('{"n":5}\n'.repeat(2000));
  writeFileSync(join(dir, 'cut.jsonl.gz'), cut.subarray(0, cut.length - 20));
  writeFileSync(join(dir, 'empty.jsonl'), '');

  it('keeps file, line and a global index; skips blank lines; reports bad JSON', async () => {
    const rows = await collect([join(dir, 'a.jsonl'), join(dir, 'b.jsonl.gz')]);
    expect(rows.map((r) => [r.ref.line, r.index, r.value ?? r.error?.slice(0, 12)])).toEqual([
      [1, 0, { n: 1 }],
      [3, 1, { n: 2 }],
      [4, 2, 'invalid JSON'],
      [5, 3, [1]],
      [1, 4, { n: 3 }],
      [2, 5, { n: 4 }],
    ]);
    expect(rows[4]!.ref.file).toBe(join(dir, 'b.jsonl.gz'));
  });

  it('reads a folder in sorted order and an empty file as no rows', async () => {
    const rows = await collect([join(dir, 'empty.jsonl')]);
    expect(rows).toEqual([]);
  });

  it('turns a truncated gzip file into a final read-error row instead of crashing', async () => {
    const rows = await collect([join(dir, 'cut.jsonl.gz')]);
    const last = rows[rows.length - 1]!;
    expect(last.error).toMatch(/read error/);
    expect(rows.slice(0, -1).every((r) => (r.value as { n: number }).n === 5)).toBe(true);
  });

  it('expands globs and rejects inputs that match nothing', async () => {
    const rows = await collect([join(dir, 'b.*')]);
    expect(rows).toHaveLength(2);
    await expect(collect([join(dir, 'nope-*.jsonl')])).rejects.toThrow(/no such file/);
  });
});
