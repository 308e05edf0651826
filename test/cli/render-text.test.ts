import { describe, expect, it } from 'vitest';
import { errorLine, textLine } from '../../src/cli/render.js';

describe('render --text output', () => {
  it('prints the text verbatim plus one newline, as print(text)', () => {
    expect(textLine('<|im_start|>user\nhi<|im_end|>\n')).toBe('<|im_start|>user\nhi<|im_end|>\n\n');
    expect(textLine('')).toBe('\n');
  });
  it('names file and line in error lines', () => {
    expect(errorLine({ file: 'rows.jsonl', line: 3 }, 'TypeError: boom')).toBe('rows.jsonl:3: TypeError: boom\n');
  });
});
