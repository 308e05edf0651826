/** Python-typed JSON at the boundary: floats written with a decimal point stay floats. */
import { describe, expect, it } from 'vitest';
import { PyFloat, compileTemplate, parsePyJson, pyJsonDumps, stripPyFloats } from '../../src/render/index.js';

describe('parsePyJson', () => {
  it('keeps 2.0 a float and 2 an int', () => {
    const v = parsePyJson('{"a": 2.0, "b": 2, "c": 1e2, "d": [0.5, -0.0], "e": "2.0"}') as Record<string, unknown>;
    expect(v['a']).toBeInstanceOf(PyFloat);
    const t = compileTemplate(
      "{{ a }} {{ b }} {{ c }} {{ d }} {{ e }} {{ a is float }} {{ b is integer }} {{ {'a': a}|tojson }}",
    );
    expect(t.render(v).text).toBe('2.0 2 100.0 [0.5, -0.0] 2.0 True True {"a": 2.0}');
    expect(stripPyFloats(v)).toEqual({ a: 2, b: 2, c: 100, d: [0.5, -0], e: '2.0' });
  });

  it('matches JSON.parse otherwise, keeping __proto__ as data', () => {
    const text = '{"__proto__": {"x": 1}, "s": "é\\n", "n": null, "t": true, "l": [1.5e3]}';
    const v = parsePyJson(text) as Record<string, unknown>;
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(Object.keys(v)).toEqual(['__proto__', 's', 'n', 't', 'l']);
    expect(stripPyFloats(v)).toEqual(JSON.parse(text));
    expect(() => parsePyJson('{1.0}')).toThrow(SyntaxError);
  });
});

describe('pyJsonDumps (transformers tojson)', () => {
  it.each([
    [{ b: 1, a: [1, 'é', null, true] }, {}, '{"b": 1, "a": [1, "é", null, true]}'],
    [{ b: 1, a: { d: [] } }, { indent: 2 }, '{\n  "b": 1,\n  "a": {\n    "d": []\n  }\n}'],
    [{ b: 1, a: 2 }, { sortKeys: true }, '{"a": 2, "b": 1}'],
    [['é\u2028'], { ensureAscii: true }, '["\\u00e9\\u2028"]'],
    [[new PyFloat(1), 0.1, 1e22, NaN], {}, '[1.0, 0.1, 1e+22, NaN]'],
  ])('%j %j', (v, o, want) => {
    expect(pyJsonDumps(v, o)).toBe(want);
  });
});
