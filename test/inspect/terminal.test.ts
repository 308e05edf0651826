/**
 * The terminal view: exact text with and without colour, terminal conventions (TTY, FORCE_COLOR,
 * NO_COLOR, pipes) through the real CLI, and direct input inspection equal to inspecting what `run` wrote.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { colorEnabled, formatRow } from '../../src/inspect/terminal.js';
import type { RowView } from '../../src/inspect/view.js';
import { inspectDataset, inspectInput } from '../../src/inspect/index.js';
import { runPipeline } from '../../src/pipeline/run.js';
import { ROOT, testOptions } from '../helpers.js';

const exec = promisify(execFile);
const BIN = join(ROOT, 'dist/cli/main.js');
const ESC = '\x1b[';

describe('colour conventions', () => {
  it('colours on a terminal, never with NO_COLOR, always with FORCE_COLOR', () => {
    expect(colorEnabled({}, true)).toBe(true);
    expect(colorEnabled({}, false)).toBe(false);
    expect(colorEnabled({ NO_COLOR: '1' }, true)).toBe(false);
    expect(colorEnabled({ NO_COLOR: '' }, true)).toBe(true); // NO_COLOR counts only when non-empty
    expect(colorEnabled({ TERM: 'dumb' }, true)).toBe(false);
    expect(colorEnabled({ FORCE_COLOR: '1' }, false)).toBe(true);
    expect(colorEnabled({ FORCE_COLOR: '0' }, true)).toBe(false);
    expect(colorEnabled({ FORCE_COLOR: 'false' }, true)).toBe(false);
    expect(colorEnabled({ FORCE_COLOR: '1', NO_COLOR: '1' }, false)).toBe(true); // as in Node
  });
});

describe('formatRow', () => {
  const tok = (id: number, text: string, mask: number, special = false, pad = false) => ({
    id,
    text,
    mask,
    special,
    pad,
  });
  const view = {
    index: 4,
    tokens: [
      tok(151644, '<|im_start|>', 0, true),
      tok(77091, 'assistant', 0),
      tok(198, '\n', 1),
      tok(6023, 'hi\u001b', 1),
      tok(151645, '<|im_end|>', 1, true),
      tok(151643, '<|endoftext|>', 0, true, true),
      tok(151643, '<|endoftext|>', 0, true, true),
    ],
    marks: [],
    facts: { tokens: 5, trained: 3 },
  } as unknown as RowView;

  it('without colour: trained runs in ⟦ ⟧, padding collapsed, controls visible', () => {
    expect(formatRow(view, { color: false, ids: false })).toBe(
      '── row 4 · 5 tokens · 3 trained (60.0%) ──\n<|im_start|>assistant⟦↵\nhi␛<|im_end|>⟧⟨pad <|endoftext|> ×2⟩\n',
    );
  });

  it('with colour: trained green, special tokens inverse, padding dim, no brackets', () => {
    expect(formatRow(view, { color: true, ids: false })).toBe(
      `${ESC}1m── row 4 · 5 tokens · 3 trained (60.0%) ──${ESC}0m\n` +
        `${ESC}7m<|im_start|>${ESC}0massistant${ESC}32m↵\n${ESC}0m${ESC}32mhi␛${ESC}0m${ESC}32;7m<|im_end|>${ESC}0m` +
        `${ESC}2m⟨pad <|endoftext|> ×2⟩${ESC}0m\n`,
    );
  });

  it('--ids: (id, label) after each token, the line break after it', () => {
    expect(formatRow(view, { color: false, ids: true })).toBe(
      '── row 4 · 5 tokens · 3 trained (60.0%) ──\n' +
        '<|im_start|>(151644, -100)assistant(77091, -100)⟦↵(198, 198)\nhi␛(6023, 6023)<|im_end|>(151645, 151645)⟧' +
        '⟨pad <|endoftext|> ×2 (151643, -100)⟩\n',
    );
  });
});

describe('chatshard inspect in a terminal and through pipes', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'chatshard-inspect-'));
  const ds = join(tmp, 'gsm8k');
  const input = join(ROOT, 'samples/data/gsm8k.messages.jsonl');
  const common = {
    tokenizer: join(ROOT, 'samples/tokenizer'),
    chatTemplate: join(ROOT, 'samples/qwen2_5_training.jinja'),
    maxLength: 256,
  };
  // The environment of a user without colour preferences.
  const env = (extra: Record<string, string> = {}) => {
    const e: Record<string, string> = { ...(process.env as Record<string, string>), ...extra };
    for (const k of ['FORCE_COLOR', 'NO_COLOR', 'CI']) if (!(k in extra)) delete e[k];
    return e;
  };
  const cli = (args: string[], extra?: Record<string, string>) =>
    exec(process.execPath, [BIN, ...args], { cwd: ROOT, env: env(extra), maxBuffer: 1 << 26 });
  const hasScript = (() => {
    try {
      execFileSync('script', ['--version'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();
  /** Run under a pseudo-terminal (util-linux `script`), as a user at a terminal would. */
  const tty = (args: string[], extra?: Record<string, string>) =>
    exec('script', ['-qec', [process.execPath, BIN, ...args].map((a) => `'${a}'`).join(' '), '/dev/null'], {
      cwd: ROOT,
      env: env({ TERM: 'xterm-256color', ...extra }),
      maxBuffer: 1 << 26,
    });

  beforeAll(async () => {
    await runPipeline(testOptions({ ...common, input: [input], output: ds }));
  });

  it('through a pipe: no escape codes, trained text bracketed', async () => {
    const { stdout, stderr } = await cli(['inspect', ds, '--rows', '1']);
    expect(stderr).toBe('');
    expect(stdout).not.toContain('\x1b');
    expect(stdout.startsWith('── row 0 · ')).toBe(true);
    expect(stdout).toContain('<|im_start|>assistant⟦↵\nNatalia sold 48/2 = <<48/2=24>>24 clips in May.');
    expect(stdout.trimEnd().endsWith('#### 72<|im_end|>↵\n⟧')).toBe(true);
  });

  it('FORCE_COLOR colours through a pipe', async () => {
    const { stdout } = await cli(['inspect', ds, '--rows', '1'], { FORCE_COLOR: '1' });
    expect(stdout).toContain(`${ESC}32m`);
    expect(stdout).not.toContain('⟦');
  });

  it.skipIf(!hasScript)('colours on a terminal, and not under NO_COLOR', async () => {
    const colour = await tty(['inspect', ds, '--rows', '1']);
    expect(colour.stdout).toContain(`${ESC}32m`);
    expect(colour.stdout).toContain(`${ESC}32;7m<|im_end|>`);
    const plain = await tty(['inspect', ds, '--rows', '1'], { NO_COLOR: '1' });
    expect(plain.stdout).not.toContain('\x1b');
    expect(plain.stdout).toContain('⟦');
  });

  it('a pipe closed early (| head) ends quietly with exit 0', async () => {
    const { stdout, stderr } = await exec(
      'bash',
      ['-c', `set -o pipefail; "${process.execPath}" "${BIN}" inspect "${ds}" --rows 0:50 --ids | head -c 100`],
      { cwd: ROOT, env: env() },
    );
    expect(Buffer.byteLength(stdout)).toBe(100);
    expect(stderr).toBe('');
  });

  it('--input runs the rows through run’s own path: the same tokens, masks and labels as the written dataset', async () => {
    const fromDataset = await cli(['inspect', ds, '--rows', '0:4', '--ids']);
    const direct = await cli([
      'inspect',
      '--input',
      input,
      '--tokenizer',
      common.tokenizer,
      '--chat-template',
      common.chatTemplate,
      '--max-length',
      '256',
      '--rows',
      '4',
      '--ids',
    ]);
    const body = (s: string) => s.split('\n').filter((l) => !l.startsWith('── row '));
    const heads = direct.stdout.split('\n').filter((l) => l.startsWith('── row '));
    expect(heads.length).toBe(4);
    expect(heads[0]).toMatch(/^── row 0 · .*gsm8k\.messages\.jsonl:1 · \d+ tokens/);
    expect(body(direct.stdout)).toEqual(body(fromDataset.stdout));
    expect(body(direct.stdout).join('\n')).toContain('(151645, 151645)');
  });

  it('packing: --input packs the range as run does; the report shows the run’s fill ratio', async () => {
    const packed = join(tmp, 'packed');
    const o = testOptions({ ...common, input: [input], output: packed, maxLength: 512, packing: true });
    const summary = await runPipeline(o);
    const capture = async (f: (write: (s: string) => void) => Promise<unknown>) => {
      let text = '';
      await f((s) => void (text += s));
      return text;
    };
    const style = { color: false, ids: true };
    const fromDataset = await capture((write) => inspectDataset(packed, { range: [0, Infinity], style, write }));
    const direct = await capture((write) =>
      inspectInput({ ...o, output: '-' }, { range: [0, Infinity], style, write }),
    );
    expect(direct).toBe(fromDataset);
    expect(fromDataset.split('\n').filter((l) => l.startsWith('── row ')).length).toBe(summary.packing!.bins);
    const html = join(tmp, 'packed.html');
    const r = await inspectDataset(packed, { range: [0, 2], style, write: () => undefined, html });
    expect(r.stats!.packing!.fill).toBeCloseTo(summary.packing!.fill_ratio, 5);
    expect(r.stats!.packing!.sequences).toBe(summary.packing!.sequences);
    expect(readFileSync(html, 'utf8')).toContain(
      `${(100 * summary.packing!.fill_ratio).toFixed(1)}%</b><span>fill ratio`,
    );
  });

  it('usage errors exit 2 with a reason', async () => {
    const r = await cli(['inspect', ds, '--rows', '3:1']).catch((e: { code: number; stderr: string }) => e);
    expect((r as { code: number }).code).toBe(2);
    expect((r as { stderr: string }).stderr).toContain('--rows: end 1 is before start 3');
    const both = await cli(['inspect', ds, '--max-length', '5']).catch((e: { code: number; stderr: string }) => e);
    expect((both as { code: number }).code).toBe(2);
    expect((both as { stderr: string }).stderr).toContain('--max-length applies to --input mode only');
    expect(existsSync(ds)).toBe(true);
  });
});
