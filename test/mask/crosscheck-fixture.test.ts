/**
 * The TRL cross-check fixture (scripts/infer-crosscheck.mjs --fixture test/fixtures/infer) recomputed
 * with the current code: for every stock ↔ TRL-training pair whose templates are committed, each
 * committed real row's generation spans (training template), inferred spans (stock template) and
 * their per-character comparison must be what the fixture recorded. A change to rendering or to
 * mask inference that moves any span fails here; regenerate the fixture when the change is meant.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inferSpans, MaskInferenceError } from '../../src/mask/infer.js';
import type { SelectOptions } from '../../src/mask/select.js';
import { compileTemplate, renderConversation, type RenderOptions } from '../../src/render/index.js';
import type { Conversation, Span } from '../../src/types.js';
import { ROOT, spanTexts } from '../helpers.js';

const FIX = join(ROOT, 'test', 'fixtures', 'infer');

interface Result {
  source: string;
  kind: string;
  detail?: string;
  trainSpans?: Span[];
  inferSpans?: Span[];
}
interface Pair {
  family: string;
  training: string;
  stock: string;
  specialTokens: Record<string, string>;
  results: Result[];
}
const { fixture } = JSON.parse(readFileSync(join(FIX, 'crosscheck.json'), 'utf8')) as {
  fixture: { rows: string; now: string; pairs: Pair[] };
};
const rows = readFileSync(join(FIX, fixture.rows), 'utf8')
  .split('\n')
  .filter((l) => l !== '')
  .map((l) => JSON.parse(l) as { source: string } & Omit<Conversation, 'ref' | 'index'>);
const template = (name: string) => compileTemplate(readFileSync(join(FIX, 'templates', `${name}.jinja`), 'utf8'));
const SELECT: SelectOptions = { rolesToTrain: new Set(['assistant']), trainOnEot: 'turn', lastTurnOnly: false };

/** The fixture's per-character comparison of the two span sets. */
function charKind(trainText: string, trainSpans: Span[], stockText: string, stockSpans: Span[]): string {
  if (trainText !== stockText) {
    const a = spanTexts(trainText, trainSpans);
    const b = spanTexts(stockText, stockSpans);
    return a.length === b.length && a.every((t, k) => t.endsWith(b[k]!) && b[k] !== '')
      ? 'text_differs_spans_agree'
      : 'text_differs';
  }
  const mask = (spans: Span[]) => {
    const m = new Uint8Array(trainText.length);
    for (const [x, y] of spans) m.fill(1, x, y);
    return m;
  };
  const x = mask(trainSpans);
  const y = mask(stockSpans);
  let ws = false;
  for (let i = 0; i < x.length; i++) {
    if (x[i] === y[i]) continue;
    if (!/\s/.test(trainText[i]!)) return 'differs';
    ws = true;
  }
  return ws ? 'whitespace_only' : 'identical';
}

function recompute(conv: Conversation, train: RenderOptions, stock: RenderOptions): Omit<Result, 'source'> {
  let trained;
  try {
    trained = renderConversation(conv, train);
  } catch (e) {
    return { kind: 'training_error', detail: `${(e as Error).name}: ${(e as Error).message.split('\n')[0]}` };
  }
  let inferred;
  try {
    inferred = inferSpans(conv, stock, SELECT);
  } catch (e) {
    if (e instanceof MaskInferenceError) return { kind: 'rejected', detail: e.message };
    return { kind: 'stock_error', detail: `${(e as Error).name}: ${(e as Error).message.split('\n')[0]}` };
  }
  return {
    kind: charKind(trained.text, trained.spans, inferred.text, inferred.spans),
    trainSpans: trained.spans,
    inferSpans: inferred.spans,
  };
}

describe('TRL cross-check fixture, recomputed', () => {
  it('covers several committed pairs, each with compared rows', () => {
    expect(fixture.pairs.length).toBeGreaterThanOrEqual(6);
    expect(rows.length).toBeGreaterThanOrEqual(10);
    for (const p of fixture.pairs) {
      expect(p.results.map((r) => r.source)).toEqual(rows.map((r) => r.source));
      // Not a fixture of errors: most rows of every pair are compared span by span.
      const compared = p.results.filter((r) => r.inferSpans !== undefined);
      expect(compared.length, p.stock).toBeGreaterThan(rows.length / 2);
    }
  });

  it.each(fixture.pairs.map((p) => [`${p.stock} vs ${p.training}`, p] as const))('%s', (_name, p) => {
    const train: RenderOptions = { template: template(p.training), specialTokens: p.specialTokens, now: fixture.now };
    const stock: RenderOptions = { template: template(p.stock), specialTokens: p.specialTokens, now: fixture.now };
    rows.forEach((row, k) => {
      const { source, ...rest } = row;
      const conv: Conversation = { ref: { file: 'fixture', line: 1 }, index: 0, ...rest };
      expect({ source, ...recompute(conv, train, stock) }, source).toEqual(p.results[k]);
    });
  });
});
