import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers.js';

const SRC = join(ROOT, 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** Relative imports of every src file (type-only ones included: they couple modules too), as src-relative paths. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles(SRC)) {
    const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const deps = info.importedFiles
      .map((f) => f.fileName)
      .filter((f) => f.startsWith('.'))
      .map((f) => relative(SRC, resolve(dirname(file), f.replace(/\.js$/, '.ts'))));
    graph.set(relative(SRC, file), deps);
  }
  return graph;
}

/** One cycle of a directed graph, or undefined (iterative-colouring DFS). */
function findCycle(graph: Map<string, Set<string>>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (n: string): string[] | undefined => {
    state.set(n, 'open');
    stack.push(n);
    for (const m of graph.get(n) ?? []) {
      if (state.get(m) === 'open') return [...stack.slice(stack.indexOf(m)), m];
      if (!state.has(m)) {
        const c = visit(m);
        if (c) return c;
      }
    }
    stack.pop();
    state.set(n, 'done');
    return undefined;
  };
  for (const n of graph.keys()) {
    if (state.has(n)) continue;
    const c = visit(n);
    if (c) return c;
  }
  return undefined;
}

const folderOf = (f: string) => (f.includes('/') ? f.slice(0, f.indexOf('/')) : '.');

describe('module structure', () => {
  const graph = importGraph();

  it('finds the imports it checks', () => {
    expect(graph.get('pipeline/process.ts')).toContain('shape/index.ts');
  });

  it('has no import cycle between files', () => {
    const g = new Map([...graph].map(([k, v]) => [k, new Set(v)]));
    expect(findCycle(g)).toBeUndefined();
  });

  it('has no import cycle between src/ folders', () => {
    const g = new Map<string, Set<string>>();
    for (const [file, deps] of graph) {
      const from = folderOf(file);
      if (from === '.') continue; // index.ts / types.ts: the package root and the shared row types
      for (const d of deps) {
        const to = folderOf(d);
        if (to !== from && to !== '.') (g.get(from) ?? g.set(from, new Set()).get(from)!).add(to);
      }
    }
    expect(findCycle(g)).toBeUndefined();
  });

  it('keeps mask and shape code, and the Rust binding, out of the render worker', () => {
    const reached = new Set<string>();
    const walk = (f: string) => {
      if (reached.has(f)) return;
      reached.add(f);
      for (const d of graph.get(f) ?? []) walk(d);
    };
    walk('pipeline/render-worker.ts');
    expect(
      [...reached].filter(
        (f) =>
          f.startsWith('shape/') || f === 'mask/locate.ts' || f === 'tokenize/index.ts' || f === 'tokenize/native.ts',
      ),
    ).toEqual([]);
  });

  it('detects a cycle when there is one', () => {
    const g = new Map([
      ['a', new Set(['b'])],
      ['b', new Set(['c'])],
      ['c', new Set(['a'])],
    ]);
    expect(findCycle(g)).toEqual(['a', 'b', 'c', 'a']);
  });
});
