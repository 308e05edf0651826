/**
 * Global setup of the `e2e` project: end-to-end tests run dist/, so a dist/ older than src/ would
 * test code that no longer exists. Fail before any test runs, naming the stale file.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ROOT } from './helpers.js';

/** Source files whose compiled output is missing or older than the source. */
export function staleOutputs(root: string): string[] {
  const stale: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, e.name);
      if (e.isDirectory()) walk(path);
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) {
        const out = join(root, 'dist', relative(join(root, 'src'), path)).replace(/\.ts$/, '.js');
        if (!existsSync(out) || statSync(out).mtimeMs < statSync(path).mtimeMs) stale.push(relative(root, path));
      }
    }
  };
  walk(join(root, 'src'));
  return stale;
}

export default function setup(): void {
  const stale = staleOutputs(ROOT);
  if (stale.length > 0) {
    throw new Error(
      `dist/ is older than src/ (${stale.slice(0, 5).join(', ')}${stale.length > 5 ? ', …' : ''}): ` +
        'run `npm run build` (npm test does it in pretest) before the e2e tests',
    );
  }
}
