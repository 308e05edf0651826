/** Untrusted templates: no host access, runaway renders stop with RenderLimitError. */
import { describe, expect, it } from 'vitest';
import { RenderLimitError, TemplateError, compileTemplate } from '../../src/render/index.js';

const vars = { messages: [{ role: 'user', content: 'hi' }], s: 'x' };

function attempt(src: string, limits = { timeoutMs: 2000, maxOutputChars: 1_000_000 }) {
  try {
    return { text: compileTemplate(src).render(vars, { limits }).text };
  } catch (e) {
    return { error: e as Error };
  }
}

describe('sandbox', () => {
  it.each([
    "{{ ''.constructor }}",
    "{{ ''.constructor.constructor('return process')() }}",
    '{{ s.constructor.constructor }}',
    '{{ messages.__proto__ }}',
    '{{ messages[0].__proto__ }}',
    "{{ messages['__proto__'] }}",
    "{{ messages[0]['constructor'] }}",
    '{{ messages.constructor }}',
    '{{ cycler.__init__.__globals__ }}',
    '{{ cycler.__init__.__globals__.os }}',
    '{{ joiner.__init__.__globals__ }}',
    '{{ namespace.__init__.__globals__ }}',
    '{{ namespace().__class__ }}',
    '{{ range.__self__ }}',
    '{{ raise_exception.__globals__ }}',
    '{{ lipsum.__globals__ }}',
    '{{ self }}',
    '{{ process }}{{ globalThis }}{{ require }}{{ global }}',
    '{{ (1).constructor }}',
    '{{ messages.toString }}',
    '{{ messages[0].hasOwnProperty }}',
    '{{ messages.map }}',
    '{% set x = messages.push %}{{ x }}',
    '{{ loop.__class__ }}',
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
  ])('%s leaks nothing', (src) => {
    const r = attempt(src);
    if ('error' in r) expect(r.error).toBeInstanceOf(TemplateError);
    else {
      expect(r.text).not.toMatch(/function|native code|process|Object|\[object/);
    }
  });

  it('blocks list/dict mutation like ImmutableSandboxedEnvironment', () => {
    for (const src of [
      '{{ messages.append(1) }}',
      '{% set _ = messages.pop() %}',
      "{{ messages[0].update({'a': 1}) }}",
      '{{ messages[0].clear() }}',
    ]) {
      const r = attempt(src);
      expect('error' in r && (r.error as TemplateError).pyType).toBe('SecurityError');
    }
    expect(vars.messages).toEqual([{ role: 'user', content: 'hi' }]);
  });

  it('namespace attributes stay data', () => {
    expect(
      attempt('{% set ns = namespace() %}{% set ns.__proto__ = 1 %}{{ ns.__proto__ }}|{{ {}.__proto__ }}').text,
    ).toBe('|');
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('range is capped like the Jinja sandbox', () => {
    const r = attempt('{% for i in range(10**9) %}{% endfor %}');
    expect('error' in r && (r.error as TemplateError).pyType).toBe('OverflowError');
  });
});

describe('render limits', () => {
  it('stops long loops on the clock', () => {
    const t0 = Date.now();
    const r = attempt('{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}', {
      timeoutMs: 150,
      maxOutputChars: 1e6,
    });
    expect('error' in r && r.error).toBeInstanceOf(RenderLimitError);
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('stops exponential recursion on the clock', () => {
    const r = attempt('{% macro f(n) %}{% if n > 0 %}{{ f(n-1) }}{{ f(n-1) }}{% endif %}{% endmacro %}{{ f(60) }}', {
      timeoutMs: 150,
      maxOutputChars: 1e6,
    });
    expect('error' in r && r.error).toBeInstanceOf(RenderLimitError);
  });

  it.each([
    "{% set ns = namespace(s='ab') %}{% for i in range(100) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
    "{% set ns = namespace(s='ab') %}{% for i in range(100) %}{% set ns.s = ns.s + ns.s %}{% endfor %}",
    "{% set ns = namespace(s=['a']) %}{% for i in range(100) %}{% set ns.s = ns.s + ns.s %}{% endfor %}",
    "{{ 'a' * 10**9 }}",
    "{{ ['a'] * 10**9 }}",
    "{% for i in range(100000) %}{{ 'x' * 100 }}{% endfor %}",
    "{% set x %}{% for i in range(100000) %}{{ 'x' * 100 }}{% endfor %}{% endset %}",
    "{{ '%s' % ('x' * 999999) ~ 'yy' }}",
    "{{ range(90000)|join('abcdefghijklmnop') }}",
  ])('caps output / string growth: %s', (src) => {
    const r = attempt(src, { timeoutMs: 5000, maxOutputChars: 1_000_000 });
    expect('error' in r && r.error).toBeInstanceOf(RenderLimitError);
  });

  it('turns unbounded recursion into a TemplateError', () => {
    const r = attempt('{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}');
    expect('error' in r && (r.error as TemplateError).pyType).toBe('RecursionError');
  });
});
