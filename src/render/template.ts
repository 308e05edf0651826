/** compileTemplate(): parse once, validate like Jinja's compiler, render with limits. */
import type { Span } from '../types.js';
import { RenderLimitError, TemplateError } from './errors.js';
import type { Expr, Stmt } from './jinja/ast.js';
import { FILTERS } from './jinja/filters.js';
import { Interpreter } from './jinja/interpreter.js';
import { parseTemplate } from './jinja/parser.js';
import { TESTS } from './jinja/tests.js';

export interface RenderLimits {
  /** Wall-clock budget for one render (default 10 000 ms). */
  timeoutMs?: number;
  /** Maximum length of any output buffer / built string, in UTF-16 units (default 50 000 000). */
  maxOutputChars?: number;
}

export const DEFAULT_LIMITS: Required<RenderLimits> = { timeoutMs: 10_000, maxOutputChars: 50_000_000 };

export interface RenderResult {
  text: string;
  /** [start, end) UTF-16 spans of `{% generation %}` output, in completion order (as transformers records them). */
  generationSpans: Span[];
}

export interface CompiledTemplate {
  readonly source: string;
  readonly hasGeneration: boolean;
  render(vars: Record<string, unknown>, opts?: { limits?: RenderLimits; now?: string | Date }): RenderResult;
}

class Compiled implements CompiledTemplate {
  readonly hasGeneration: boolean;
  constructor(
    readonly source: string,
    private readonly body: Stmt[],
  ) {
    this.hasGeneration = containsGeneration(body);
  }

  render(vars: Record<string, unknown>, opts: { limits?: RenderLimits; now?: string | Date } = {}): RenderResult {
    const timeoutMs = opts.limits?.timeoutMs ?? DEFAULT_LIMITS.timeoutMs;
    const maxChars = opts.limits?.maxOutputChars ?? DEFAULT_LIMITS.maxOutputChars;
    const now = opts.now === undefined ? new Date() : typeof opts.now === 'string' ? new Date(opts.now) : opts.now;
    if (Number.isNaN(now.getTime())) throw new TypeError(`invalid 'now': ${String(opts.now)}`);
    const interp = new Interpreter(vars, { limits: { deadline: Date.now() + timeoutMs, maxChars }, now });
    let out;
    try {
      out = interp.run(this.body);
    } catch (e) {
      throw normalizeError(e);
    }
    return { text: out.text(), generationSpans: out.spans ?? [] };
  }
}

/** Map host errors escaping the interpreter onto the public error classes. */
function normalizeError(e: unknown): Error {
  if (e instanceof TemplateError || e instanceof RenderLimitError) return e;
  if (e instanceof RangeError && /call stack/i.test(e.message)) {
    return new TemplateError('maximum recursion depth exceeded', 'RecursionError');
  }
  const msg = e instanceof Error ? e.message : String(e);
  return new TemplateError(`internal renderer error: ${msg}`, 'InternalError');
}

const cache = new Map<string, CompiledTemplate>();
const CACHE_MAX = 256;

/** Compile (or fetch from the cache) a chat template. Throws TemplateError on syntax errors. */
export function compileTemplate(source: string): CompiledTemplate {
  const hit = cache.get(source);
  if (hit) return hit;
  let body: Stmt[];
  try {
    body = parseTemplate(source);
  } catch (e) {
    throw normalizeError(e);
  }
  validate(body, false);
  const t = new Compiled(source, body);
  if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value!);
  cache.set(source, t);
  return t;
}

function containsGeneration(body: Stmt[]): boolean {
  let found = false;
  walkStmts(body, (s) => {
    if (s.k === 'Generation') found = true;
  });
  return found;
}

function walkStmts(body: Stmt[], fn: (s: Stmt) => void): void {
  for (const s of body) {
    fn(s);
    switch (s.k) {
      case 'If':
        walkStmts(s.body, fn);
        walkStmts(s.else, fn);
        break;
      case 'For':
        walkStmts(s.body, fn);
        walkStmts(s.else, fn);
        break;
      case 'SetBlock':
      case 'FilterBlock':
      case 'With':
      case 'Generation':
        walkStmts(s.body, fn);
        break;
      case 'Macro':
      case 'CallBlock':
        walkStmts(s.def.body, fn);
        break;
    }
  }
}

/**
 * Jinja's compiler rejects unknown filters/tests at compile time unless they sit in a
 * "soft" frame (directly inside an `if` or inline-if, where `x is filter` guards are legal).
 */
function validate(body: Stmt[], soft: boolean): void {
  const ex = (e: Expr | null, s: boolean) => e && validateExpr(e, s);
  for (const st of body) {
    switch (st.k) {
      case 'Print':
      case 'Do':
        ex(st.e, soft);
        break;
      case 'If':
        ex(st.test, true);
        validate(st.body, true);
        validate(st.else, true);
        break;
      case 'For':
        ex(st.iter, soft);
        ex(st.filter, false);
        validate(st.body, false);
        validate(st.else, false);
        break;
      case 'Set':
        ex(st.value, soft);
        break;
      case 'SetBlock':
        ex(st.filter, soft);
        validate(st.body, false);
        break;
      case 'Macro':
        st.def.defaults.forEach((d) => ex(d, false));
        validate(st.def.body, false);
        break;
      case 'CallBlock':
        ex(st.call, soft);
        validate(st.def.body, false);
        break;
      case 'FilterBlock':
        ex(st.filter, soft);
        validate(st.body, false);
        break;
      case 'With':
        st.values.forEach((v) => ex(v, soft));
        validate(st.body, false);
        break;
      case 'Generation':
        validate(st.body, false);
        break;
    }
  }
}

function validateExpr(e: Expr, soft: boolean): void {
  const v = (x: Expr | null, s = soft) => x && validateExpr(x, s);
  switch (e.k) {
    case 'Filter':
      if (!soft && !FILTERS.has(e.name))
        throw new TemplateError(`No filter named '${e.name}'.`, 'TemplateAssertionError');
      v(e.node);
      e.args.forEach((a) => v(a));
      e.kwargs.forEach(([, a]) => v(a));
      v(e.star);
      v(e.dstar);
      break;
    case 'Test':
      if (!soft && !TESTS.has(e.name)) throw new TemplateError(`No test named '${e.name}'.`, 'TemplateAssertionError');
      v(e.node);
      e.args.forEach((a) => v(a));
      e.kwargs.forEach(([, a]) => v(a));
      break;
    case 'Cond':
      v(e.test, true);
      v(e.then, true);
      v(e.else, true);
      break;
    case 'List':
    case 'Tuple':
      e.items.forEach((a) => v(a));
      break;
    case 'Dict':
      e.keys.forEach((a) => v(a));
      e.values.forEach((a) => v(a));
      break;
    case 'Getattr':
      v(e.obj);
      break;
    case 'Getitem':
      v(e.obj);
      v(e.index);
      break;
    case 'Slice':
      v(e.start);
      v(e.stop);
      v(e.step);
      break;
    case 'Call':
      v(e.fn);
      e.args.forEach((a) => v(a));
      e.kwargs.forEach(([, a]) => v(a));
      v(e.star);
      v(e.dstar);
      break;
    case 'Bin':
    case 'And':
    case 'Or':
      v(e.left);
      v(e.right);
      break;
    case 'Concat':
      e.items.forEach((a) => v(a));
      break;
    case 'Not':
    case 'Neg':
    case 'Pos':
      v(e.node);
      break;
    case 'Compare':
      v(e.first);
      e.rest.forEach((a) => v(a));
      break;
  }
}
