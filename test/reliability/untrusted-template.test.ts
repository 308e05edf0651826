/**
 * Untrusted templates through the CLI: sandbox escapes (Python and JavaScript style), prototype
 * pollution, and runaway templates (huge ranges, nested loops, doubling strings, deep recursion)
 * under a small --render-timeout-ms / --max-render-chars. Offending rows are rejected with a
 * reason (template_error / render_limit), the rows after them are still written, the run exits 0
 * under --on-error skip, and nothing from the JavaScript host reaches the rendered text or tokens.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readDataset } from '../../src/verify/index.js';
import { loadTokenizer } from '../../src/tokenize/index.js';
import {
  TOKENIZER,
  cli,
  expectAccounted,
  expectVerified,
  rejectsOf,
  summaryOf,
  tempDir,
  type CliResult,
} from './helpers.js';

type Outcome = 'template_error' | 'render_limit' | 'written';

/** [name, template code run before the conversation, expected outcome of the row]. */
const ATTACKS: [string, string, Outcome][] = [
  // Python-style sandbox escapes: the attribute rules refuse them.
  ['str.__class__.__mro__', "{{ ''.__class__.__mro__ }}", 'template_error'],
  ['cycler.__init__.__globals__', '{{ cycler.__init__.__globals__ }}', 'template_error'],
  ['namespace.__init__.__globals__', '{{ namespace.__init__.__globals__ }}', 'template_error'],
  ['list.__class__.__base__.__subclasses__()', '{{ messages.__class__.__base__.__subclasses__() }}', 'template_error'],
  ['mutating list.pop()', '{{ messages.pop() }}', 'template_error'],
  // JavaScript-style escapes: no JS property is reachable.
  [
    "str.constructor.constructor('return process')()",
    "{{ ''.constructor.constructor('return process')() }}",
    'template_error',
  ],
  [
    "list.constructor.constructor('return process')()",
    "{{ messages.constructor.constructor('return process')() }}",
    'template_error',
  ],
  [
    "dict.constructor.constructor('return process')()",
    "{{ (messages|first).constructor.constructor('return process')() }}",
    'template_error',
  ],
  [
    "raise_exception.constructor('return process')()",
    "{{ raise_exception.constructor('return process')() }}",
    'template_error',
  ],
  [
    "strftime_now.constructor('return process')()",
    "{{ strftime_now.constructor('return process')() }}",
    'template_error',
  ],
  // Swallowed: undefined in Jinja, so they render as nothing (and must not render anything else).
  ['messages.__proto__', '[{{ messages.__proto__ }}]', 'written'],
  ['{}.constructor', '[{{ {}.constructor }}]', 'written'],
  ["''['constructor']", "[{{ ''['constructor'] }}]", 'written'],
  ["messages[0]['__proto__']", "[{{ messages[0]['__proto__'] }}]", 'written'],
  ['range.constructor', '[{{ range.constructor }}]', 'written'],
  ['messages.toString', '[{{ messages.toString }}]', 'written'],
  ['lipsum.__globals__', '[{{ lipsum.__globals__ }}]', 'written'],
  ['host globals', '[{{ process }}{{ globalThis }}{{ require }}{{ __builtins__ }}{{ config }}]', 'written'],
  ["'{0.__class__}'.format('')", "[{{ '{0.__class__}'.format('') }}]", 'written'],
  // Prototype pollution: stays inside the row's own value, never reaches later rows.
  [
    'namespace __proto__ assignment',
    "{% set ns = namespace() %}{% set ns.__proto__ = dict(polluted='POLLUTED') %}[{{ ns.polluted }}]",
    'written',
  ],
  ['dict(__proto__=…)', "{% set d = dict(__proto__=dict(polluted='POLLUTED')) %}[{{ d.polluted }}]", 'written'],
  // Runaway templates.
  ['range(10**9)', '{% for i in range(10**9) %}x{% endfor %}', 'template_error'], // Jinja's sandbox range cap
  [
    'nested loops, no output (time limit)',
    '{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}',
    'render_limit',
  ],
  [
    'nested loops with output (size limit)',
    '{% for i in range(100000) %}{% for j in range(100000) %}y{% endfor %}{% endfor %}',
    'render_limit',
  ],
  [
    'doubling a string',
    "{% set ns = namespace(s='x') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s|length }}",
    'render_limit',
  ],
  ["'x' * 10**9", "{{ ('x' * 10**9)|length }}", 'render_limit'],
  ['list * 10**8', '{{ (messages * 100000000)|length }}', 'render_limit'],
  [
    'replace blow-up',
    "{{ ('x' * 100000)|replace('x', 'xxxxxxxxxx')|replace('x', 'xxxxxxxxxx')|length }}",
    'render_limit',
  ],
  ['infinite macro recursion', '{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}', 'template_error'],
];

/** Anything that would show the JavaScript host rather than template data. */
const LEAK =
  /process|POLLUTED|\[native code\]|function\s*\w*\s*\(|=>|\[object |constructor|prototype|globalThis|require|__proto__|Symbol\(|env/;

const dir = tempDir('untrusted-template');
const templatePath = join(dir, 'hostile.jinja');
const inputPath = join(dir, 'rows.jsonl');
const LIMIT_FLAGS = ['--render-timeout-ms', '300', '--max-render-chars', '100000'];

/** Row i: a benign row at even i, ATTACKS[(i-1)/2] at odd i; the last rows check pollution did not spread. */
const rows: { attack: number; expect: Outcome }[] = [];
function build(): void {
  let t = '{%- if attack == -1 %}';
  ATTACKS.forEach(([, code], i) => (t += `{% elif attack == ${i} %}${code}`));
  // A later row reading what pollution would have added to fresh objects.
  t +=
    '{% elif attack == -2 %}[{{ {}.polluted }}{{ namespace().polluted }}{{ dict().polluted }}{{ messages.polluted }}]';
  t += '{% endif %}\n';
  t +=
    "{%- for m in messages %}<|im_start|>{{ m.role }}\n{% if m.role == 'assistant' %}{% generation %}{{ m.content }}<|im_end|>{% endgeneration %}{% else %}{{ m.content }}<|im_end|>{% endif %}\n{% endfor %}";
  writeFileSync(templatePath, t);
  const row = (attack: number, i: number) =>
    JSON.stringify({
      messages: [
        { role: 'user', content: `question ${i}` },
        { role: 'assistant', content: `answer ${i}` },
      ],
      chat_template_kwargs: { attack },
    });
  const lines: string[] = [];
  const push = (attack: number, expect: Outcome) => {
    lines.push(row(attack, lines.length));
    rows.push({ attack, expect });
  };
  push(-1, 'written');
  ATTACKS.forEach(([, , outcome], i) => {
    push(i, outcome);
    push(-1, 'written');
  });
  push(-2, 'written');
  writeFileSync(inputPath, lines.join('\n') + '\n');
}
build();

const runs: Record<string, CliResult> = {};
const outOf = (name: string) => join(dir, name);

beforeAll(async () => {
  for (const workers of ['0', '1']) {
    const started = Date.now();
    runs[workers] = await cli([
      'run',
      '-i',
      inputPath,
      '-t',
      TOKENIZER,
      '--chat-template',
      templatePath,
      ...LIMIT_FLAGS,
      '--workers',
      workers,
      '-o',
      outOf(`workers-${workers}`),
    ]);
    // A handful of 300 ms time-outs, not 10 s defaults or a hang.
    expect(Date.now() - started).toBeLessThan(30_000);
  }
}, 90_000);

describe.each(['0', '1'])('hostile template, --workers %s', (workers) => {
  const out = () => outOf(`workers-${workers}`);

  it('exits 0 under --on-error skip, every row accounted for', async () => {
    const r = runs[workers]!;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/; \d+ rejected \((template_error|render_limit) \d+/);
    const s = expectAccounted(out(), rows.length);
    expect(s.rows_written).toBe(rows.filter((x) => x.expect === 'written').length);
    await expectVerified(out(), s.rows_written);
  });

  it('rejects each offending row with its reason, and only those', () => {
    const got = rejectsOf(out()).map((r) => [r.line, r.reason]);
    const want = rows.flatMap((x, i) => (x.expect === 'written' ? [] : [[i + 1, x.expect]]));
    expect(got).toEqual(want);
    for (const r of rejectsOf(out())) {
      expect(r.message.length).toBeGreaterThan(0);
      expect(r.message).not.toMatch(/\n\s+at /); // no stack traces in rejects.jsonl
    }
  });

  it('nothing from the host leaks into the written tokens', async () => {
    const tok = await loadTokenizer(TOKENIZER);
    let n = 0;
    for await (const row of readDataset(out())) {
      const text = tok.engine.decode(row.inputIds);
      expect(text).not.toMatch(LEAK);
      expect(text).toMatch(
        /^(\[\])?<\|im_start\|>user\nquestion \d+<\|im_end\|><\|im_start\|>assistant\nanswer \d+<\|im_end\|>$/,
      );
      n++;
    }
    expect(n).toBe(summaryOf(out()).rows_written);
  });
});

describe('chatshard render with the same template', () => {
  it('shows the swallowed attacks render as nothing, and the others as errors', async () => {
    const r = await cli(['render', '--tokenizer', TOKENIZER, '--chat-template', templatePath, ...LIMIT_FLAGS], {
      input: readFileSync(inputPath, 'utf8'),
    });
    const out = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { rendered: string | null; error: string | null });
    expect(out).toHaveLength(rows.length);
    out.forEach((o, i) => {
      const name = rows[i]!.attack >= 0 ? ATTACKS[rows[i]!.attack]![0] : 'benign';
      if (rows[i]!.expect === 'written') {
        expect(o.error, name).toBeNull();
        expect(o.rendered, name).not.toMatch(LEAK);
        expect(o.rendered!.startsWith('[]') || o.rendered!.startsWith('<|im_start|>'), `${name}: ${o.rendered}`).toBe(
          true,
        );
      } else {
        expect(o.rendered, name).toBeNull();
        // Template errors carry the Python exception class Jinja2 raises for the same attack.
        expect(o.error, name).toMatch(
          rows[i]!.expect === 'render_limit'
            ? /^render_limit: /
            : /^(SecurityError|UndefinedError|OverflowError|RecursionError): /,
        );
        expect(o.error, name).not.toMatch(/\n\s+at /);
      }
    });
  });
});

describe('--on-error fail', () => {
  it('stops at the first offending row with file:line and reason, exit 1, nothing loadable', async () => {
    const out = outOf('fail');
    const r = await cli([
      'run',
      '-i',
      inputPath,
      '-t',
      TOKENIZER,
      '--chat-template',
      templatePath,
      ...LIMIT_FLAGS,
      '--workers',
      '1',
      '--on-error',
      'fail',
      '-o',
      out,
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${inputPath}:2: template_error: SecurityError: `);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(join(out, 'state.json'))).toBe(false);
  });
});
