/**
 * Chat-template conformance against Python Jinja2 / transformers goldens.
 * - Curated subset committed in test/fixtures/conformance (always runs).
 * - Full shared corpus (../shared/conformance) when present: must stay ≥ 99.5 %.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as api from '../../src/render/index.js';
// @ts-expect-error plain ESM script without type declarations
import { loadTrueSpans, runCase, runCorpus } from '../../scripts/conformance.mjs';

const FIX = resolve(__dirname, '../fixtures/conformance');
const CORPUS = resolve(__dirname, '../../../shared/conformance');

interface Golden {
  template: string;
  context: string;
  rendered: string | null;
  error: string | null;
  generation_spans_utf16: [number, number][] | null;
}

const goldens = JSON.parse(readFileSync(join(FIX, 'goldens.json'), 'utf8')) as Golden[];
const trueSpans = loadTrueSpans() as Record<string, [number, number][]>;
const templates = new Map<string, string>();
const contexts = new Map<string, unknown>();
const byTemplate = new Map<string, Golden[]>();
for (const g of goldens) {
  if (!templates.has(g.template))
    templates.set(g.template, readFileSync(join(FIX, 'templates', `${g.template}.jinja`), 'utf8'));
  if (!contexts.has(g.context))
    contexts.set(g.context, JSON.parse(readFileSync(join(FIX, 'contexts', `${g.context}.json`), 'utf8')));
  if (!byTemplate.has(g.template)) byTemplate.set(g.template, []);
  byTemplate.get(g.template)!.push(g);
}

describe('conformance fixtures (curated families)', () => {
  it('covers the required families', () => {
    const names = [...byTemplate.keys()].join(' ');
    for (const fam of [
      'Llama-2',
      'Llama-3.1',
      'Llama-4',
      'Qwen2.5',
      'Qwen3',
      'Mistral-7B-Instruct-v0.1',
      'v0.3',
      '2411',
      'gemma-2',
      'gemma3',
      'gemma-4',
      'DeepSeek-R1',
      'deepseekv3',
      'Phi-3',
      'phi-4',
      'command-r-rag',
      'tool_use',
      'chatml',
      'SmolLM3',
      'seed-',
      'synthetic-gen-',
    ]) {
      expect(names, fam).toContain(fam);
    }
  });

  for (const [template, cases] of byTemplate) {
    it(template, () => {
      const failures: string[] = [];
      for (const g of cases) {
        const r = runCase(
          api,
          templates.get(template),
          contexts.get(g.context),
          g,
          trueSpans[`${g.template}__${g.context}`],
        );
        if (!r.ok) failures.push(`${g.context}: ${r.cause}`);
      }
      expect(failures).toEqual([]);
    });
  }
});

describe.skipIf(!existsSync(join(CORPUS, 'golden')))('full shared corpus', () => {
  it('matches ≥ 99.5 % of goldens', async () => {
    const { total, matched, mismatches, errors } = await runCorpus(CORPUS, { api });
    const rate = (100 * matched) / total;
    if (mismatches.length) console.log(mismatches.slice(0, 20));
    expect(total).toBeGreaterThan(4000);
    expect(rate).toBeGreaterThanOrEqual(99.5);
    // Every error golden: Python's exception type and message exactly, or a listed, explained difference.
    expect(errors.total).toBeGreaterThan(500);
    expect(errors.exact + errors.known).toBe(errors.total);
  });
});
