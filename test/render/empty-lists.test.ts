/**
 * Empty lists are values: a row with `tools: []` or `documents: []` reaches the template as an
 * empty list, as transformers passes it (Llama 3.x adds "Environment: ipython", Mistral
 * "[AVAILABLE_TOOLS][]", Cohere a tool preamble), and `tools: []` selects a tokenizer's `tool_use`
 * template (transformers tests `tools is not None`). Goldens: transformers' own render_jinja_template
 * (scripts/goldens/make_empty_list_goldens.py), here reached through the row path normalizeRow → render.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { normalizeRow } from '../../src/normalize/index.js';
import { renderOne, type RenderContext } from '../../src/pipeline/render-row.js';
import { compileTemplate, renderConversation, TemplateError } from '../../src/render/index.js';
import { testOptions } from '../helpers.js';

const FIX = resolve(__dirname, '../fixtures/conformance');
const RESERVED = new Set(['messages', 'tools', 'documents', 'add_generation_prompt', 'continue_final_message']);
const goldens = (
  JSON.parse(readFileSync(join(FIX, 'goldens.json'), 'utf8')) as {
    template: string;
    context: string;
    rendered: string | null;
    error: string | null;
  }[]
).filter((g) => g.context === 'tools_empty' || g.context === 'documents_empty');

describe('tools: [] / documents: [] through the row path', () => {
  it('has goldens for the templates that test tools is not none', () => {
    const names = goldens.map((g) => `${g.template}/${g.context}`).join(' ');
    for (const t of [
      'Llama-3.1',
      'Llama-3.2',
      'Mistral-Small-3.2',
      'command-r-plus-tool_use',
      'command-r-rag/documents',
    ])
      expect(names).toContain(t);
  });

  it.each(goldens.map((g) => [`${g.template} / ${g.context}`, g] as const))('%s', (_n, g) => {
    const ctx = JSON.parse(readFileSync(join(FIX, 'contexts', `${g.context}.json`), 'utf8')) as Record<string, unknown>;
    const row = normalizeRow({ ref: { file: 'rows.jsonl', line: 1 }, index: 0, value: ctx });
    expect(row.ok).toBe(true);
    if (!row.ok) return;
    const kwargs = Object.fromEntries(Object.entries(ctx).filter(([k]) => !RESERVED.has(k)));
    const template = compileTemplate(readFileSync(join(FIX, 'templates', `${g.template}.jinja`), 'utf8'));
    let got: string;
    try {
      got = renderConversation(row.row, {
        template,
        addGenerationPrompt: ctx['add_generation_prompt'] as boolean,
        templateKwargs: kwargs,
        now: '2025-03-14T09:26:53',
      }).text;
    } catch (e) {
      if (!(e instanceof TemplateError)) throw e;
      got = `${e.name}: ${e.message}`;
    }
    expect(got).toBe(g.rendered ?? g.error);
  });
});

describe('tool_use template selection', () => {
  const ctx: RenderContext = {
    specialTokens: {},
    template: compileTemplate('default:{{ tools is none }}'),
    toolTemplate: compileTemplate('tool_use:{{ tools|length }}'),
    options: testOptions({ masks: 'none' }),
  };
  const render = (value: Record<string, unknown>) => {
    const row = normalizeRow({ ref: { file: 'rows.jsonl', line: 1 }, index: 0, value });
    if (!row.ok) throw new Error(row.reject.message);
    const out = renderOne(row.row, ctx);
    if ('reject' in out) throw new Error(out.reject.message);
    return out.text;
  };
  const messages = [{ role: 'user', content: 'hi' }];

  it('tools: [] selects tool_use, as transformers does for tools is not None', () => {
    expect(render({ messages, tools: [] })).toBe('tool_use:0');
  });

  it('absent or null tools keep the default template', () => {
    expect(render({ messages })).toBe('default:True');
    expect(render({ messages, tools: null })).toBe('default:True');
  });
});
