/**
 * Row facts, streaming statistics, template checks and HTML fragments, on rows made by the pipeline's
 * own functions (Qwen2.5 tokenizer, TRL's training template and a copy with the end of turn left out).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { addedTokens } from '../../src/inspect/added.js';
import { analyzeRow } from '../../src/inspect/analyze.js';
import { reportHtml, rowFailures, rowHtml } from '../../src/inspect/html.js';
import { RoleReader } from '../../src/inspect/roles.js';
import type { InspectRow } from '../../src/inspect/source.js';
import { StatsAccumulator } from '../../src/inspect/stats.js';
import { lengthBars } from '../../src/inspect/svg.js';
import { rowView } from '../../src/inspect/view.js';
import { processBatch, type ProcessContext } from '../../src/pipeline/process.js';
import { compileTemplate } from '../../src/render/index.js';
import type { LoadedTokenizer } from '../../src/tokenize/index.js';
import type { ShapedRow } from '../../src/types.js';
import { conv, ROOT, testOptions } from '../helpers.js';
import { sharedTokenizer } from '../shared-tokenizer.js';

const IM_START = 151644;
const IM_END = 151645;
const ENDOFTEXT = 151643;

const CHAT = {
  messages: [
    { role: 'user', content: 'What is 2+2?' },
    { role: 'assistant', content: 'It is 4.' },
    { role: 'user', content: 'And 3+3?' },
    { role: 'assistant', content: '6.' },
  ],
};

let tk: LoadedTokenizer;
let special: Map<number, string>;
let roles: RoleReader;

async function shaped(templateFile: string, over: Parameters<typeof testOptions>[0] = {}): Promise<ShapedRow> {
  const ctx: ProcessContext = {
    tokenizer: tk,
    template: compileTemplate(readFileSync(join(ROOT, templateFile), 'utf8')),
    options: testOptions({ masks: 'generation', ...over }),
  };
  const [r] = await processBatch([conv(CHAT)], ctx);
  if (!r!.ok) throw new Error(r!.reject.message);
  return r!.row;
}

const asRow = (r: ShapedRow, index = 0): InspectRow => ({
  index,
  inputIds: r.inputIds,
  attentionMask: r.attentionMask,
  assistantMasks: r.assistantMasks,
  labels: r.labels,
});

const facts = (row: InspectRow, trainedRoles = ['assistant']) => analyzeRow(row, roles, special, new Set(trainedRoles));

beforeAll(async () => {
  tk = await sharedTokenizer(join(ROOT, 'samples/tokenizer'));
  const added = await addedTokens(tk);
  special = added.special;
  roles = new RoleReader(special, tk.engine, added.all);
});

describe('row facts', () => {
  it('a good template: end of turn trained, only assistant text trained, roles from the headers', async () => {
    const row = asRow(await shaped('samples/qwen2_5_training.jinja'));
    const f = facts(row);
    expect(f.untrainedTurnEnd).toBeUndefined();
    expect(f.trainedHeader).toBe(false);
    expect(f.trainedOutsideRoles).toBe(0);
    expect(f.labelMismatches).toBe(0);
    expect(f.marks.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user', 'assistant']);
    // every assistant turn trains "\n" + content + <|im_end|> + "\n"
    const trainedText = Array.from(row.inputIds)
      .filter((_, i) => row.assistantMasks[i] === 1)
      .map((id) => tk.engine.decode([id]))
      .join('');
    expect(trainedText).toBe('\nIt is 4.<|im_end|>\n\n6.<|im_end|>\n');
    expect(f.byRole.get('assistant')!.trained).toBe(f.trained);
    expect(f.byRole.get('user')!.trained).toBe(0);
    expect(f.tokens).toBe(row.inputIds.length);
  });

  it('a broken template: the end-of-turn token after the trained text is not trained', async () => {
    const f = facts(asRow(await shaped('test/fixtures/inspect/qwen2_5_eot_untrained.jinja')));
    expect(f.untrainedTurnEnd).toBe(IM_END);
  });

  it('finds a trained role header and trained user text', async () => {
    const r = await shaped('samples/qwen2_5_training.jinja');
    const ids = Array.from(r.inputIds);
    const header = ids.lastIndexOf(IM_START); // the last assistant turn's header
    r.assistantMasks[header] = 1;
    r.labels[header] = IM_START;
    expect(facts(asRow(r)).trainedHeader).toBe(true);
    const userText = ids.indexOf(IM_START, ids.indexOf(IM_START) + 1) + 3; // first token of the user's text
    r.assistantMasks[userText] = 1;
    r.labels[userText] = ids[userText]!;
    expect(facts(asRow(r)).trainedOutsideRoles).toBe(1);
    expect(facts(asRow(r), ['assistant', 'user']).trainedOutsideRoles).toBe(0);
  });

  it('a trained run cut short and followed by padding is no missing end of turn', async () => {
    const r = await shaped('samples/qwen2_5_training.jinja');
    const ids = Array.from(r.inputIds);
    const cut = ids.lastIndexOf(IM_END) - 1; // inside the last assistant turn's text: trained
    expect(r.assistantMasks[cut - 1]).toBe(1);
    const row = (attended: number): InspectRow => {
      const inputIds = Int32Array.from([...ids.slice(0, cut), ENDOFTEXT, ENDOFTEXT]);
      const attentionMask = new Uint8Array(cut + 2).fill(1, 0, cut + attended);
      const assistantMasks = Uint8Array.from([...r.assistantMasks.slice(0, cut), 0, 0]);
      return { index: 0, inputIds, attentionMask, assistantMasks };
    };
    expect(facts(row(0)).untrainedTurnEnd).toBeUndefined(); // padding ends no turn
    expect(facts(row(0)).tokens).toBe(cut);
    expect(facts(row(1)).untrainedTurnEnd).toBe(ENDOFTEXT); // the same token attended does
  });

  it('counts labels that disagree with the mask', async () => {
    const r = await shaped('samples/qwen2_5_training.jinja');
    r.labels[0] = r.inputIds[0]!;
    expect(facts(asRow(r)).labelMismatches).toBe(1);
  });
});

describe('statistics', () => {
  it('aggregates rows, rejects and checks in one pass', async () => {
    const good = await shaped('samples/qwen2_5_training.jinja');
    const bad = await shaped('test/fixtures/inspect/qwen2_5_eot_untrained.jinja');
    const empty = await shaped('samples/qwen2_5_training.jinja');
    empty.assistantMasks.fill(0);
    empty.labels.fill(-100);
    const acc = new StatsAccumulator({ inferred: false, summaryRejected: { invalid_json: 3, empty_mask: 1 } });
    const rows = [asRow(good, 0), asRow(bad, 1), asRow(empty, 2)];
    for (const row of rows) acc.row(row, facts(row));
    acc.reject({ ref: { file: 'a.jsonl', line: 4 }, index: 3, reason: 'invalid_json', message: 'x' });
    const s = acc.finish();
    expect(s.rows).toBe(3);
    expect(s.tokens).toBe(good.inputIds.length + bad.inputIds.length + empty.inputIds.length);
    const trained = (m: Uint8Array) => m.reduce((a, b) => a + b, 0);
    expect(s.trained).toBe(trained(good.assistantMasks) + trained(bad.assistantMasks));
    // the broken template trains 2 tokens fewer: <|im_end|> of each turn ("\n" after it is trained by neither)
    expect(trained(good.assistantMasks) - trained(bad.assistantMasks)).toBe(4);
    const byId = Object.fromEntries(s.checks.map((c) => [c.id, c]));
    expect(byId.eot).toMatchObject({ status: 'fail', count: 1, examples: [1] });
    expect(byId.empty).toMatchObject({ status: 'fail', count: 1, examples: [2] });
    expect(byId.empty!.note).toBe('1 more row(s) had no trained token and were dropped (empty_mask)');
    expect(byId.infer!.status).toBe('na');
    expect(byId.header!.status).toBe('pass');
    expect(byId.roles!.status).toBe('pass');
    expect(byId.labels!.status).toBe('pass');
    expect(s.untrainedTurnEnds).toEqual([[IM_END, 1]]);
    // summary counts win where rejects.jsonl has fewer lines
    expect(s.rejected.byReason).toEqual([
      ['invalid_json', 3],
      ['empty_mask', 1],
    ]);
    expect(s.rejected.total).toBe(4);
    expect(s.rejected.examples.map((e) => e.index)).toEqual([3]);
    expect(s.roles.find((r) => r.role === 'assistant')!.trained).toBe(s.trained);
    expect(s.lengths.reduce((a, [, n]) => a + n, 0)).toBe(3);
    expect(s.atMaxLength).toBeUndefined();
    expect(s.packing).toBeUndefined();
  });

  it('inferred masks: spans that failed verification fail the check', () => {
    const acc = new StatsAccumulator({ inferred: true });
    acc.reject({ ref: { file: 'a', line: 9 }, index: 8, reason: 'mask_inference', message: 'no method verified' });
    const infer = acc.finish().checks.find((c) => c.id === 'infer')!;
    expect(infer).toMatchObject({ status: 'fail', count: 1, examples: [8] });
    expect(new StatsAccumulator({ inferred: true }).finish().checks.find((c) => c.id === 'infer')!.status).toBe('pass');
  });

  it('packing: fill ratio and sequences per bin from seq_lengths', () => {
    const acc = new StatsAccumulator({ maxLength: 8 });
    const bin = (index: number, seq: number[]): InspectRow => {
      const n = seq.reduce((a, b) => a + b, 0);
      return {
        index,
        inputIds: new Int32Array(n),
        attentionMask: new Uint8Array(n).fill(1),
        assistantMasks: new Uint8Array(n).fill(1),
        seqLengths: Int32Array.from(seq),
      };
    };
    for (const row of [bin(0, [3, 2, 3]), bin(1, [5]), bin(2, [4, 1])]) acc.row(row, facts(row));
    const p = acc.finish().packing!;
    expect(p).toEqual({
      bins: 3,
      sequences: 6,
      sequenceTokens: 18,
      capacity: 8,
      fill: 18 / 24,
      sequencesPerBin: [
        [1, 1],
        [2, 1],
        [3, 1],
      ],
    });
  });

  it('bins row lengths for the histogram', () => {
    expect(
      lengthBars(
        [
          [10, 2],
          [12, 1],
        ],
        40,
      ).map((b) => b.value),
    ).toEqual([2, 0, 1]);
    const wide = lengthBars(
      [
        [0, 1],
        [99, 1],
        [100, 5],
      ],
      10,
    );
    expect(wide.length).toBe(10);
    expect(wide[0]!.title).toBe('0–10 tokens: 1 row');
    expect(wide.at(-1)!.value).toBe(6);
  });
});

describe('HTML', () => {
  it('a row: data-row, one element per token with id and mask, role badges, the untrained end of turn marked', async () => {
    const bad = asRow(await shaped('test/fixtures/inspect/qwen2_5_eot_untrained.jinja'), 7);
    const f = facts(bad);
    const view = rowView(bad, f, tk.engine, special);
    const html = rowHtml(view, rowFailures(view, new StatsAccumulator({}).finish().checks));
    expect(html.startsWith('<article class="row" data-row="7" id="row-7" data-fail="eot">')).toBe(true);
    const tokens = [
      ...html.matchAll(/<span data-id="(\d+)" data-mask="([01])"( data-label="[^"]*")?( class="([^"]*)")?>/g),
    ];
    expect(tokens.map((m) => Number(m[1]))).toEqual(Array.from(bad.inputIds));
    expect(tokens.map((m) => Number(m[2]))).toEqual(Array.from(bad.assistantMasks));
    expect(tokens.some((m) => m[3])).toBe(false); // labels follow the mask: none written
    const marked = tokens.filter((m) => (m[5] ?? '').split(' ').includes('x')).map((m) => Number(m[1]));
    expect(marked).toEqual([IM_END, IM_END]); // one per assistant turn
    expect([...html.matchAll(/class="rb" data-role="(\w+)"/g)].map((m) => m[1])).toEqual([
      'system',
      'user',
      'assistant',
      'user',
      'assistant',
    ]);
  });

  it('escapes token text and writes a page that loads nothing', async () => {
    const row: InspectRow = {
      index: 0,
      inputIds: Int32Array.from([1, 2]),
      attentionMask: Uint8Array.from([1, 1]),
      assistantMasks: Uint8Array.from([0, 1]),
    };
    const engine = {
      decode: (ids: ArrayLike<number>) =>
        Array.from(ids, (i) => (i === 1 ? '<script>alert(1)</script>' : '"\n&')).join(''),
      idToToken: () => undefined,
    };
    const f = analyzeRow(row, new RoleReader(new Map(), engine), new Map(), new Set(['assistant']));
    const html = rowHtml(rowView(row, f, engine, new Map()), []);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('<span data-id="2" data-mask="1" class="m">&quot;<i></i>\n&amp;</span>');
    const acc = new StatsAccumulator({});
    acc.row(row, f);
    const page = reportHtml(
      { source: 'x', mode: 'dataset', tokenizer: 't', range: '0:1', warnings: [] },
      acc.finish(),
      [html],
      new Set([0]),
      String,
    );
    expect(page).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none';`);
    // the only URL is the SVG namespace (an identifier, never fetched)
    const urls = [...page.matchAll(/(https?:)?\/\/[\w.-]+/g)].map((m) => m[0]);
    expect(urls.length).toBeGreaterThan(0);
    expect(new Set(urls)).toEqual(new Set(['http://www.w3.org']));
    expect(page).not.toMatch(/<(link|img|iframe)\b|src=|@import|url\(/);
  });
});
