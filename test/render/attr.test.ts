import { describe, expect, it } from 'vitest';
import { compileTemplate } from '../../src/render/index.js';

// Expected outputs recorded from Python Jinja2 3.1 ImmutableSandboxedEnvironment.
describe('attr filter (sandboxed getattr)', () => {
  it.each([
    ["{{ m|attr('content') }}", ''],
    ["{{ s|attr('upper')() }}", 'X'],
    ["{{ m|attr('items') is defined }}", 'True'],
    ["{{ s|attr('__class__') }}", ''],
    ["{{ m|attr('constructor') }}", ''],
  ])('%s', (src, expected) => {
    expect(compileTemplate(src).render({ m: { content: 'hi' }, s: 'x' }).text).toBe(expected);
  });
});
