/**
 * ChatTokenizer.apply_chat_template replays every case Python transformers answered in
 * test/fixtures/api/<tokenizer>.json (scripts/goldens/make_api_goldens.py): same result, or the same
 * Python exception class and message.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { ChatTokenizer, PythonError } from '../../src/api/index.js';

const ROOT = resolve(import.meta.dirname, '../..');
const FIXTURES = join(ROOT, 'test/fixtures/api');
/** `CHATSHARD_API_ENGINE=native|js` replays the goldens on that engine (manual check; the suite uses the default). */
const ENGINE = (process.env.CHATSHARD_API_ENGINE ?? 'auto') as 'auto' | 'native' | 'js';

interface Case {
  id: string;
  tokenizer: 'stock' | 'multi';
  setup: Record<string, string | null>;
  conversation: unknown;
  options: Record<string, unknown>;
  result?: unknown;
  error?: { type: string; message?: string; message_suffix?: string };
}
interface Fixture {
  tokenizer: string;
  tokenizer_path: string;
  templates: Record<string, string>;
  folders: Partial<Record<'stock' | 'multi', Record<string, string>>>;
  defaults: Record<
    string,
    { padding_side: 'left' | 'right'; truncation_side: 'left' | 'right'; pad_token: string | null }
  >;
  cases: Case[];
}

const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.json'));
let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'chatshard-api-'));
  // The generator pins Python's clock to this local time (templates such as gpt-oss print strftime_now()).
  vi.useFakeTimers({ toFake: ['Date'], now: new Date(2025, 2, 14, 12, 0, 0) });
});
afterAll(() => {
  vi.useRealTimers();
  rmSync(tmp, { recursive: true, force: true });
});

/** A folder the generator loaded: the tokenizer files plus the recorded template files. */
function folder(fx: Fixture, variant: 'stock' | 'multi'): string {
  const dir = join(tmp, `${fx.tokenizer}-${variant}`);
  for (const f of ['tokenizer.json', 'tokenizer_config.json']) {
    mkdirSync(dir, { recursive: true });
    copyFileSync(join(ROOT, fx.tokenizer_path, f), join(dir, f));
  }
  for (const [rel, text] of Object.entries(fx.folders[variant]!)) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
  return dir;
}

function resolveOptions(o: Record<string, unknown>, templates: Record<string, string>): Record<string, unknown> {
  const ct = o.chat_template as { $template?: string } | undefined;
  if (ct && typeof ct === 'object' && ct.$template) return { ...o, chat_template: templates[ct.$template] };
  return o;
}

describe.each(files)('apply_chat_template goldens: %s', (file) => {
  const fx = JSON.parse(readFileSync(join(FIXTURES, file), 'utf8')) as Fixture;
  const toks: Partial<Record<'stock' | 'multi', ChatTokenizer>> = {};
  beforeAll(async () => {
    const stock = fx.folders.stock ? folder(fx, 'stock') : join(ROOT, fx.tokenizer_path);
    toks.stock = await ChatTokenizer.from_pretrained(stock, { engine: ENGINE });
    if (fx.folders.multi) toks.multi = await ChatTokenizer.from_pretrained(folder(fx, 'multi'), { engine: ENGINE });
  });

  it('loads with the defaults Python has (sides, pad token)', () => {
    for (const [variant, d] of Object.entries(fx.defaults)) {
      const t = toks[variant as 'stock' | 'multi']!;
      expect({ padding_side: t.padding_side, truncation_side: t.truncation_side, pad_token: t.pad_token }).toEqual(d);
    }
  });

  it.each(fx.cases.map((c) => [c.id, c] as const))('%s', async (_id, c) => {
    const tok = toks[c.tokenizer]!;
    const d = fx.defaults[c.tokenizer]!;
    tok.padding_side = d.padding_side;
    tok.truncation_side = d.truncation_side;
    tok.pad_token = d.pad_token;
    for (const [k, v] of Object.entries(c.setup)) {
      if (k === 'pad_token') tok.pad_token = v === '$eos_token' ? tok.eos_token : v;
      else if (k === 'padding_side') tok.padding_side = v as 'left' | 'right';
      else if (k === 'truncation_side') tok.truncation_side = v as 'left' | 'right';
    }
    const call = tok.apply_chat_template(
      c.conversation as never,
      resolveOptions(c.options, fx.templates) as Record<string, never>,
    );
    if (c.error) {
      const err = await call.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(PythonError);
      const e = err as PythonError;
      expect(e.pyType).toBe(c.error.type);
      if (c.error.message !== undefined) expect(e.message).toBe(c.error.message);
      else expect(e.message.endsWith(c.error.message_suffix!)).toBe(true);
    } else {
      expect(await call).toEqual(c.result);
    }
  });
});
