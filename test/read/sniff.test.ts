import { describe, expect, it } from 'vitest';
import { formatOf } from '../../src/read/sniff.js';

const b = (s: string) => Buffer.from(s);

describe('formatOf', () => {
  it('tells JSONL from JSON arrays, pretty-printed JSON, Parquet, Arrow, gzip and zstd', () => {
    expect(formatOf(b('{"messages": []}\n{"messages": []}\n'))).toBe('jsonl');
    expect(formatOf(b('\ufeff{"messages": []}\n'))).toBe('jsonl');
    expect(formatOf(b('[1,2,3]\n"text"\n'))).toBe('jsonl'); // bad rows, reported one by one
    expect(formatOf(b('[{"messages": []}, {"messages": []}]'))).toBe('json-array');
    expect(formatOf(b('[\n  {\n    "messages": []\n  }\n]\n'))).toBe('json-array');
    expect(formatOf(b('{\n  "messages": [\n'))).toBe('json-pretty');
    expect(formatOf(b('{"messages": [\n  {"role": "user"}\n'))).toBe('json-pretty');
    expect(formatOf(b('PAR1\x00\x00'))).toBe('parquet');
    expect(formatOf(b('ARROW1\x00\x00'))).toBe('arrow');
    expect(formatOf(Buffer.from([0x1f, 0x8b, 8, 0]))).toBe('gzip');
    expect(formatOf(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]))).toBe('zstd'); // read as zstd
    expect(formatOf(b('  \n'))).toBe('empty');
  });
});
