#!/usr/bin/env node
/**
 * Screenshot of a `chatshard inspect --html` report in headless Chromium (the README's pictures):
 *   node scripts/inspect-screenshot.mjs REPORT.html OUT.png [--scroll SELECTOR] [--hover SELECTOR] [--height PX]
 * Needs Debian's chromium (`apt-get install -y chromium`) or CHROMIUM_PATH; the page is opened offline.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { scroll: { type: 'string' }, hover: { type: 'string' }, height: { type: 'string', default: '900' } },
});
const [report, out] = positionals;
if (!report || !out) {
  console.error(
    'usage: node scripts/inspect-screenshot.mjs REPORT.html OUT.png [--scroll SELECTOR] [--hover SELECTOR]',
  );
  process.exit(2);
}
const profile = mkdtempSync(join(tmpdir(), 'chatshard-shot-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  headless: true,
  offline: true,
  viewport: { width: 1280, height: Number(values.height) },
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});
try {
  const page = await context.newPage();
  await page.goto(pathToFileURL(resolve(report)).href, { waitUntil: 'load' });
  if (values.scroll)
    await page
      .locator(values.scroll)
      .first()
      .evaluate((e) => e.scrollIntoView({ block: 'start' }));
  if (values.hover) await page.locator(values.hover).first().hover();
  await page.screenshot({ path: out });
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
