/**
 * The HTML report in a real browser: Debian's Chromium (`apt-get install -y chromium`) driven by
 * playwright-core, offline. The page's tokens and masks are read back from the DOM and compared with
 * the dataset row by row; a dataset made with a broken template must show its check failing.
 * Screenshots go to test-artifacts/. Skips, saying why, when the browser is not installed.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { datasetRows, inspectDataset } from '../../src/inspect/index.js';
import { readPipelineFile } from '../../src/cli/config.js';
import { buildOptions } from '../../src/cli/config.js';
import { runPipeline } from '../../src/pipeline/run.js';
import { ROOT } from '../helpers.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const HAS_CHROMIUM = existsSync(CHROMIUM);
const ARTIFACTS = join(ROOT, 'test-artifacts');
const title = HAS_CHROMIUM
  ? 'HTML report in headless Chromium'
  : `HTML report in headless Chromium — SKIPPED: ${CHROMIUM} not found (install it with: apt-get install -y chromium)`;
if (!HAS_CHROMIUM) console.warn(`inspect browser test skipped: ${CHROMIUM} not found (apt-get install -y chromium)`);

interface DomRow {
  row: number;
  ids: number[];
  mask: number[];
}

describe.skipIf(!HAS_CHROMIUM)(title, () => {
  const tmp = mkdtempSync(join(tmpdir(), 'chatshard-browser-'));
  const sample = join(tmp, 'sample');
  const broken = join(tmp, 'broken');
  let context: BrowserContext;

  /** Open a report offline; returns the page and what went wrong while loading. */
  async function open(file: string): Promise<{ page: Page; errors: string[]; requests: string[] }> {
    const page = await context.newPage();
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') errors.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    return { page, errors, requests };
  }

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    // The embedded samples exactly as `npm start` writes them (300 real conversations, tools, Chinese).
    const file = readPipelineFile(join(ROOT, 'pipeline/default.json'));
    await runPipeline(buildOptions(file, { output: sample, workers: 0 }));
    await runPipeline(
      buildOptions(file, {
        output: broken,
        workers: 0,
        input: [join(ROOT, 'samples/data/gsm8k.messages.jsonl')],
        chatTemplate: join(ROOT, 'test/fixtures/inspect/qwen2_5_eot_untrained.jinja'),
      }),
    );
    const quiet = { style: { color: false, ids: false }, write: () => undefined };
    await inspectDataset(sample, { ...quiet, range: [0, Infinity], html: join(tmp, 'sample.html') });
    await inspectDataset(broken, { ...quiet, range: [0, 10], html: join(tmp, 'broken.html') });
    context = await chromium.launchPersistentContext(join(tmp, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      offline: true,
      viewport: { width: 1280, height: 900 },
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });

  afterAll(async () => {
    await context?.close();
  });

  it('renders offline with no console errors, and every token and mask equals the dataset, row by row', async () => {
    const file = join(tmp, 'sample.html');
    const { page, errors, requests } = await open(file);
    expect(errors).toEqual([]);
    expect(requests).toEqual([pathToFileURL(file).href]); // nothing but the page itself
    const dom: DomRow[] = await page.$$eval('[data-row]', (rows) =>
      rows.map((r) => {
        const toks = [...r.querySelectorAll<HTMLElement>('[data-id]')];
        return {
          row: Number((r as HTMLElement).dataset.row),
          ids: toks.map((t) => Number(t.dataset.id)),
          mask: toks.map((t) => Number(t.dataset.mask)),
        };
      }),
    );
    let rows = 0;
    let tokens = 0;
    let trained = 0;
    for await (const row of datasetRows(sample)) {
      const d = dom[rows]!;
      expect(d.row).toBe(row.index);
      expect(d.ids).toEqual(Array.from(row.inputIds));
      expect(d.mask).toEqual(Array.from(row.assistantMasks));
      tokens += d.ids.length;
      trained += d.mask.reduce((a, b) => a + b, 0);
      rows++;
    }
    expect(dom.length).toBe(rows);
    const summary = JSON.parse(readFileSync(join(sample, 'summary.json'), 'utf8'));
    expect(rows).toBe(summary.rows_written);
    expect(tokens).toBe(summary.padded_tokens);
    expect(trained).toBe(summary.trainable_tokens);
    console.log(`inspect browser check: ${rows} rows, ${tokens} tokens, ${trained} trained: DOM equals the dataset`);
    // The dataset view agrees with the summary, and every check passes on the training template.
    expect(await page.locator('.card', { hasText: 'trained tokens' }).locator('b').textContent()).toBe(
      summary.trainable_tokens.toLocaleString('en-US'),
    );
    const statuses = await page.$$eval('tr[data-check]', (trs) =>
      Object.fromEntries(trs.map((t) => [(t as HTMLElement).dataset.check, (t as HTMLElement).dataset.status])),
    );
    expect(statuses).toEqual({
      eot: 'pass',
      empty: 'pass',
      infer: 'na',
      header: 'pass',
      roles: 'pass',
      labels: 'pass',
    });
    expect(await page.locator('svg.chart rect').count()).toBeGreaterThan(5);
    // Hovering a token shows its id, mask and label.
    const tok = page.locator('[data-row="0"] [data-mask="1"]').first();
    const id = await tok.getAttribute('data-id');
    await tok.hover();
    await expect.poll(() => page.locator('#tip').textContent()).toContain(`id ${id} · mask 1 · label ${id}`);
    await page.screenshot({ path: join(ARTIFACTS, 'inspect-report.png') });
    await page.locator('#row-1').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(ARTIFACTS, 'inspect-rows.png') });
    expect(errors).toEqual([]);
  });

  it('a template that leaves the end of turn untrained fails that check, with the culprit tokens marked', async () => {
    const { page, errors } = await open(join(tmp, 'broken.html'));
    expect(errors).toEqual([]);
    const eot = page.locator('tr[data-check="eot"]');
    expect(await eot.getAttribute('data-status')).toBe('fail');
    expect(await eot.locator('td.num').textContent()).toBe('50'); // every gsm8k row
    expect(await eot.textContent()).toContain('<|im_end|> (50 rows)');
    expect(await page.locator('tr[data-check][data-status="fail"]').count()).toBe(1);
    // in the row view: each rendered row is flagged, and each untrained <|im_end|> after trained text is marked
    expect(await page.locator('[data-row][data-fail="eot"]').count()).toBe(10);
    const marked = await page.$$eval('[data-row="0"] .x', (xs) =>
      xs.map((x) => [(x as HTMLElement).dataset.id, (x as HTMLElement).dataset.mask]),
    );
    expect(marked).toEqual([['151645', '0']]);
    await page.locator('#checks').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(ARTIFACTS, 'inspect-broken.png') });
  });
});
