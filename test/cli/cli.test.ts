/**
 * The CLI end to end, as a user runs it (compiled dist/, built by `pretest`): the sample pipeline,
 * exit codes, rejects and summaries, and an Arrow read-back of the written dataset.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { tableFromIPC } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { loadTokenizer } from '../../src/tokenize/index.js';
import { verifyDataset } from '../../src/verify/index.js';
import { ROOT } from '../helpers.js';

const run = promisify(execFile);
const BIN = join(ROOT, 'dist/cli/main.js');

async function cli(
  args: string[],
  input?: string,
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const p = run(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    maxBuffer: 1 << 26,
    env: { ...process.env, CI: 'true', ...env },
  });
  if (input !== undefined) {
    p.child.stdin!.end(input);
  }
  try {
    const { stdout, stderr } = await p;
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

const tmp = mkdtempSync(join(tmpdir(), 'chatshard-cli-'));
const sampleFlags = [
  '--tokenizer',
  'samples/tokenizer',
  '--chat-template',
  'samples/qwen2_5_training.jinja',
  '--now',
  '2025-03-14T09:26:53',
];

describe('chatshard run', () => {
  it('runs the default pipeline on the samples: dataset, summary, every row accounted for', async () => {
    const out = join(tmp, 'sample');
    const r = await cli(['run', 'pipeline/default.json', '--output', out, '--workers', '1', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary.rows_in).toBe(300);
    expect(summary.rows_written + summary.rows_rejected).toBe(300);
    expect(summary.rows_written).toBe(300);
    expect(summary.rows_rejected).toBe(0);
    expect(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).rows_in).toBe(300);
    const state = JSON.parse(readFileSync(join(out, 'state.json'), 'utf8'));
    expect(Object.keys(state).sort()).toEqual([
      '_data_files',
      '_fingerprint',
      '_format_columns',
      '_format_kwargs',
      '_format_type',
      '_output_all_columns',
      '_split',
    ]);
    const table = tableFromIPC(readFileSync(join(out, state._data_files[0].filename)));
    expect(table.schema.fields.map((f) => `${f.name}:${f.type}`)).toEqual([
      'input_ids:List<Int32>',
      'attention_mask:List<Int8>',
      'assistant_masks:List<Int8>',
      'labels:List<Int32>',
    ]);
    expect(table.numRows).toBe(summary.rows_written);
    // Row 0 of the samples is known text: it must start with the Qwen system header.
    const ids = Array.from(table.getChild('input_ids')!.get(0)!.toArray() as Int32Array);
    expect(ids[0]).toBe(151644); // <|im_start|>
    const report = await verifyDataset(out);
    expect(report.errors).toEqual([]);
    expect(report.ok).toBe(true);
  });

  // An existing output (refused without --overwrite, replaced with it): test/reliability/faults.test.ts.

  it('rejects bad rows with file:line and reason, keeps going, and fails fast under --on-error fail', async () => {
    const input = join(tmp, 'bad.jsonl');
    writeFileSync(
      input,
      [
        '{"id":"a","messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"hello"}]}',
        '{not json',
        '{"id":"c","text":"no messages"}',
        '{"id":"d","messages":[{"role":"user","content":"x"},{"role":"assistant","content":"y"}],"chat_template_kwargs":{"boom":true}}',
        '{"id":"e","messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"again"}]}',
      ].join('\n'),
    );
    const template = join(tmp, 'raising.jinja');
    writeFileSync(
      template,
      "{% if boom %}{{ raise_exception('boom requested') }}{% endif %}{% for m in messages %}{{ m.role }}: {% if m.role == 'assistant' %}{% generation %}{{ m.content }}{% endgeneration %}{% else %}{{ m.content }}{% endif %}\n{% endfor %}",
    );
    const out = join(tmp, 'bad');
    const r = await cli([
      'run',
      '-i',
      input,
      '-o',
      out,
      '--tokenizer',
      'samples/tokenizer',
      '--chat-template',
      template,
      '--json',
      '--max-reject-ratio',
      '0.8',
      '--keep-columns',
      'id',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({ rows_in: 5, rows_written: 2, rows_rejected: 3 });
    expect(summary.rejected_by_reason).toEqual({ invalid_json: 1, no_messages: 1, template_error: 1 });
    const rejects = readFileSync(join(out, 'rejects.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rejects.map((x) => [x.line, x.reason])).toEqual([
      [2, 'invalid_json'],
      [3, 'no_messages'],
      [4, 'template_error'],
    ]);
    expect(rejects[2].message).toMatch(/boom requested/);
    expect(rejects[0].file).toBe(input);
    // --keep-columns id: written rows and parsed rejects carry their id.
    expect(rejects.map((x) => x.columns)).toEqual([undefined, { id: 'c' }, { id: 'd' }]);
    const state = JSON.parse(readFileSync(join(out, 'state.json'), 'utf8'));
    const table = tableFromIPC(readFileSync(join(out, state._data_files[0].filename)));
    expect(table.schema.fields.map((f) => `${f.name}:${f.type}`).slice(3)).toEqual(['labels:List<Int32>', 'id:Utf8']);
    expect(table.getChild('id')!.toArray()).toEqual(['a', 'e']);
    expect(JSON.parse(readFileSync(join(out, 'dataset_info.json'), 'utf8')).features.id).toEqual({
      dtype: 'string',
      _type: 'Value',
    });

    const strict = await cli([
      'run',
      '-i',
      input,
      '-o',
      join(tmp, 'strict'),
      '--tokenizer',
      'samples/tokenizer',
      '--chat-template',
      template,
      '--strict',
    ]);
    expect(strict.code).toBe(1);
    const fail = await cli([
      'run',
      '-i',
      input,
      '-o',
      join(tmp, 'fail'),
      '--tokenizer',
      'samples/tokenizer',
      '--chat-template',
      template,
      '--on-error',
      'fail',
    ]);
    expect(fail.code).toBe(1);
    expect(fail.stderr).toContain(`${input}:2: invalid_json`);
    expect(existsSync(join(tmp, 'fail', 'state.json'))).toBe(false);
  });

  it('exits 2 on usage errors with a clear message', async () => {
    const r = await cli(['run', '--input', 'x.jsonl', '--tokenizer', 'samples/tokenizer']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--output/);
    const bad = await cli(['run', '-i', 'x', '-t', 'samples/tokenizer', '-o', join(tmp, 'u'), '--padding', 'sideways']);
    expect(bad.code).toBe(2);
  });

  it('reports a tokenizer that fails to load as one clear line, exit 1', async () => {
    // Workers start before the tokenizer loads: they must not keep the failed run alive.
    const r = await cli([
      'run',
      '-i',
      'samples/data',
      '-t',
      join(tmp, 'no-such-tokenizer'),
      '-o',
      join(tmp, 'nt'),
      '--workers',
      '2',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot load tokenizer/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('reads stdin with --input -', async () => {
    const out = join(tmp, 'stdin');
    const r = await cli(
      ['run', '-i', '-', '-o', out, ...sampleFlags, '--json'],
      '{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"hello"}]}\n',
    );
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).rows_written).toBe(1);
  });

  it('keeps tokenizer tables in --cache-dir, even with CHATSHARD_NO_CACHE set, and writes the same rows', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'chatshard-cli-cache-'));
    const row = '{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"hello 你好"}]}\n';
    const flags = [...sampleFlags, '--engine', 'js', '--json'];
    const off = { CHATSHARD_NO_CACHE: '1' };
    const a = await cli(['run', '-i', '-', '-o', join(tmp, 'cache-a'), ...flags, '--cache-dir', cache], row, off);
    expect(a.code, a.stderr).toBe(0);
    expect(readdirSync(cache).filter((f) => f.endsWith('.bin')).length).toBeGreaterThan(0);
    const b = await cli(['run', '-i', '-', '-o', join(tmp, 'cache-b'), ...flags], row, off);
    expect(b.code, b.stderr).toBe(0);
    const state = (dir: string) => JSON.parse(readFileSync(join(tmp, dir, 'state.json'), 'utf8'));
    expect(state('cache-a')._fingerprint).toBe(state('cache-b')._fingerprint);
  });

  it('prints help with examples', async () => {
    const r = await cli(['run', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/--max-length/);
    expect(r.stdout).toMatch(/Examples:/);
    expect(r.stdout).toMatch(/CHATSHARD_CACHE_DIR/);
  });
});

describe('training controls from the CLI', () => {
  const rows = [
    {
      messages: [
        { role: 'user', content: 'a' },
        { role: 'assistant', content: 'first answer' },
        { role: 'user', content: 'b' },
        { role: 'assistant', content: 'second answer' },
      ],
    },
    {
      messages: [
        { role: 'user', content: 'a' },
        { role: 'assistant', content: 'skip me', train: false },
        { role: 'user', content: 'b' },
        { role: 'assistant', content: 'keep me' },
      ],
    },
  ];
  const input = join(tmp, 'controls.jsonl');
  writeFileSync(input, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');

  const sampleTokenizer = loadTokenizer(join(ROOT, 'samples/tokenizer'));

  /** Decoded text of the masked tokens of each row. */
  async function masked(flags: string[], from = input, masks = ['--masks', 'infer']): Promise<string[]> {
    const out = join(tmp, `controls-${[from, ...flags].join('_').replace(/[^a-z0-9]/gi, '')}`);
    const r = await cli(['run', '-i', from, '-o', out, '-t', 'samples/tokenizer', ...masks, '--overwrite', ...flags]);
    expect(r.code, r.stderr).toBe(0);
    const tk = await sampleTokenizer;
    const state = JSON.parse(readFileSync(join(out, 'state.json'), 'utf8'));
    const table = tableFromIPC(readFileSync(join(out, state._data_files[0].filename)));
    const texts: string[] = [];
    for (let i = 0; i < table.numRows; i++) {
      const ids = table.getChild('input_ids')!.get(i)!.toArray() as Int32Array;
      const mask = table.getChild('assistant_masks')!.get(i)!.toArray() as Int8Array;
      texts.push(tk.engine.decode(Array.from(ids).filter((_, k) => mask[k] === 1)));
    }
    expect((await verifyDataset(out)).ok).toBe(true);
    return texts;
  }

  it('infers masks for the stock template (no generation tags) and honours train: false', async () => {
    expect(await masked([])).toEqual(['first answer<|im_end|>second answer<|im_end|>', 'keep me<|im_end|>']);
  });

  it('with generation tags, train: false applies to its own message even after a turn that rendered empty', async () => {
    // Blocks wrap the content only, so the empty tool-call turn gives an empty block.
    const template = join(tmp, 'content-only-generation.jinja');
    writeFileSync(
      template,
      "{% for m in messages %}{{ '<|im_start|>' + m.role + '\\n' }}{% if m.role == 'assistant' %}" +
        "{% generation %}{{ m.content }}{% endgeneration %}{% else %}{{ m.content }}{% endif %}{{ '<|im_end|>\\n' }}{% endfor %}",
    );
    const rows = [
      [{}, { train: false }],
      [{}, { weight: 0 }],
    ].map(([first, second]) => ({
      messages: [
        { role: 'user', content: 'q1' },
        { role: 'assistant', content: '', ...first },
        { role: 'user', content: 'q2' },
        { role: 'assistant', content: 'SECRET', ...second },
        { role: 'user', content: 'q3' },
        { role: 'assistant', content: 'a3' },
      ],
    }));
    const path = join(tmp, 'tagged-controls.jsonl');
    writeFileSync(path, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    // The template's own tags decide the masks (no --masks infer).
    expect(await masked(['--chat-template', template], path, [])).toEqual(['a3', 'a3']);
  });

  it('refuses --roles-to-train other than assistant with generation tags, and a pad token not in the vocabulary (exit 2)', async () => {
    const base = ['run', '-i', input, '-o', join(tmp, 'refused'), '-t', 'samples/tokenizer', '--overwrite'];
    const tagged = await cli([
      ...base,
      '--chat-template',
      'samples/qwen2_5_training.jinja',
      '--roles-to-train',
      'user',
    ]);
    expect(tagged.code).toBe(2);
    expect(tagged.stderr).toMatch(/`roles_to_train` \[user\] needs masks infer/);
    const pad = await cli([...base, '--pad-token', '<nope>', '--padding', 'longest']);
    expect(pad.code).toBe(2);
    expect(pad.stderr).toMatch(/"<nope>" is not in the tokenizer's vocabulary/);
  });

  it('usage errors show what was typed: a number flag given text, a flag given twice (exit 2)', async () => {
    const base = ['run', '-i', input, '-o', join(tmp, 'typed'), '-t', 'samples/tokenizer', '--overwrite'];
    const text = await cli([...base, '--max-length', 'abc']);
    expect(text.code).toBe(2);
    expect(text.stderr).toMatch(/--max-length must be a number, got "abc"/);
    const twice = await cli([...base, '--max-length', '512', '--max-length', '256']);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toMatch(/--max-length was given 2 times \("512", "256"\); give it once/);
  });

  it('--last-turn-only, --train-on-eot none, --roles-to-train user', async () => {
    expect(await masked(['--last-turn-only'])).toEqual(['second answer<|im_end|>', 'keep me<|im_end|>']);
    expect(await masked(['--train-on-eot', 'none'])).toEqual(['first answersecond answer', 'keep me']);
    expect(await masked(['--roles-to-train', 'user'])).toEqual(['a<|im_end|>b<|im_end|>', 'a<|im_end|>b<|im_end|>']);
  });
});

describe('chatshard render', () => {
  it('writes {rendered, generation_spans, error} per row with UTF-16 spans', async () => {
    const rows = [
      {
        messages: [
          { role: 'user', content: 'hi 😀' },
          { role: 'assistant', content: 'hello 😀' },
        ],
      },
      { messages: [{ role: 'user', content: 'q' }], add_generation_prompt: true },
    ];
    const r = await cli(['render', ...sampleFlags], rows.map((x) => JSON.stringify(x)).join('\n') + '\n');
    expect(r.code, r.stderr).toBe(0);
    const [a, b] = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(a.error).toBeNull();
    const [s, e] = a.generation_spans[0];
    expect(a.rendered.slice(s, e)).toBe('\nhello 😀<|im_end|>\n');
    expect(b.rendered.endsWith('<|im_start|>assistant\n')).toBe(true);
  });
  it('--text prints the rendered text as print() does, errors on stderr with file:line, exit 1', async () => {
    const good = {
      messages: [
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: 'hello' },
      ],
    };
    const input = JSON.stringify(good) + '\n{"messages": 3}\n' + JSON.stringify(good) + '\n';
    const json = await cli(['render', ...sampleFlags], input);
    const rendered = JSON.parse(json.stdout.split('\n')[0]!).rendered as string;
    expect(rendered.startsWith('<|im_start|>')).toBe(true);
    const r = await cli(['render', ...sampleFlags, '--text'], input);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(rendered + '\n' + rendered + '\n');
    expect(r.stderr).toMatch(/^<stdin>:2: no_messages: "messages" must be a list$/m);
  });
});
