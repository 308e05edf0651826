/**
 * Tree-walking interpreter with Python Jinja2 semantics (as configured by transformers).
 *
 * Output goes to `Out` buffers; `{% generation %}` records [start, end) in the buffer it
 * writes to. Buffered constructs (macros, caller, `{% set %}` blocks) return a SpannedStr
 * when their buffer holds spans, and printing it shifts the spans into the parent buffer,
 * so every span ends up at its true position in the final text.
 *
 * Sandbox: templates only ever see values from values.ts; attribute access goes through
 * getAttr(), which knows dict keys, whitelisted str/list/dict methods, namespaces and loop
 * objects — never JS properties — so `__proto__`, `constructor`, `__globals__` etc. resolve
 * to Undefined like Jinja's sandbox does.
 */
import { RenderLimitError, TemplateError, pyError } from '../errors.js';
import type { CmpOp, Expr, MacroDef, Stmt, Target } from './ast.js';
import { FILTERS, type FilterFn } from './filters.js';
import { LoopCtx } from './loop.js';
import { compareOp, isGroupTuple } from './ops.js';
import { percentFormat } from './format.js';
import { getMethod, isDictAttr } from './methods.js';
import { sliceArray, sliceString } from './pystr.js';
import type { Runtime } from './runtime.js';
import { TESTS, type TestFn } from './tests.js';
import {
  Kwargs,
  MISSING,
  Markup,
  Namespace,
  PyCallable,
  PyFloat,
  PyIter,
  RANGE,
  SpannedStr,
  UNDEF,
  Undef,
  cpArray,
  dictGet,
  escapeToMarkup,
  hasSurrogates,
  isDict,
  isFloat,
  isNumber,
  isTuple,
  iterate,
  mkFloat,
  numVal,
  pyRepr,
  pyStr,
  strOf,
  truthy,
  tuple,
  typeName,
} from './values.js';

export type Span = [number, number];

export interface Limits {
  deadline: number;
  maxChars: number;
}

const STEP_MASK = 1023;
const MAX_DEPTH = 300;

export class Out {
  parts: string[] = [];
  len = 0;
  spans: Span[] | null = null;
  text(): string {
    return this.parts.length === 1 ? this.parts[0]! : this.parts.join('');
  }
  /** Collapse to a value: SpannedStr when spans were recorded, plain string otherwise. */
  value(): string | SpannedStr {
    const s = this.text();
    return this.spans ? new SpannedStr(s, this.spans) : s;
  }
}

export class Scope {
  vars: Map<string, unknown> | null = null;
  constructor(readonly parent: Scope | null) {}
  set(name: string, v: unknown): void {
    (this.vars ??= new Map()).set(name, v);
  }
}

class Cycler {
  pos = 0;
  constructor(readonly items: unknown[]) {}
}

class Joiner {
  used = false;
  constructor(readonly sep: unknown) {}
}

type Flow = 0 | 1 | 2; // normal, break, continue

export interface InterpOptions {
  limits: Limits;
  now: Date;
}

export class Interpreter implements Runtime {
  readonly filters: ReadonlyMap<string, FilterFn> = FILTERS;
  readonly tests: ReadonlyMap<string, TestFn> = TESTS;
  out = new Out();
  private steps = 0;
  private depth = 0;
  readonly limits: Limits;
  readonly now: Date;
  /** Built on the first lookup that misses the context: most renders never reach a global. */
  private globals: Map<string, unknown> | null = null;

  constructor(
    private readonly ctx: Record<string, unknown>,
    opts: InterpOptions,
  ) {
    this.limits = opts.limits;
    this.now = opts.now;
  }

  // ---- limits ----------------------------------------------------------

  tick(): void {
    if ((++this.steps & STEP_MASK) === 0 && Date.now() > this.limits.deadline) {
      throw new RenderLimitError('template render exceeded its time limit');
    }
  }

  checkLen(n: number): void {
    if (n > this.limits.maxChars)
      throw new RenderLimitError(`template output exceeded ${this.limits.maxChars} characters`);
  }

  // ---- output ----------------------------------------------------------

  private write(s: string): void {
    if (!s) return;
    const o = this.out;
    o.parts.push(s);
    o.len += s.length;
    if (o.len > this.limits.maxChars) this.checkLen(o.len);
  }

  private emit(v: unknown): void {
    if (typeof v === 'string') return this.write(v);
    if (v instanceof SpannedStr) {
      const o = this.out;
      const base = o.len;
      const spans = (o.spans ??= []);
      for (const [a, b] of v.spans) spans.push([a + base, b + base]);
      return this.write(v.s);
    }
    this.write(pyStr(v));
  }

  /** Render `body` into a fresh buffer and return it (the caller decides what to do with it). */
  private capture(body: Stmt[], sc: Scope): Out {
    const saved = this.out;
    const o = (this.out = new Out());
    try {
      this.execBody(body, sc);
    } finally {
      this.out = saved;
    }
    return o;
  }

  run(body: Stmt[]): Out {
    const root = new Scope(null);
    this.execBody(body, root);
    return this.out;
  }

  // ---- statements ------------------------------------------------------

  execBody(body: Stmt[], sc: Scope): Flow {
    for (let i = 0; i < body.length; i++) {
      const st = body[i]!;
      switch (st.k) {
        case 'Text':
          this.write(st.s);
          break;
        case 'Print':
          this.emit(this.ev(st.e, sc, true));
          break;
        case 'If': {
          const r = this.execBody(truthy(this.ev(st.test, sc)) ? st.body : st.else, sc);
          if (r) return r;
          break;
        }
        case 'For':
          this.execFor(st, sc, this.ev(st.iter, sc), 0);
          break;
        case 'Set':
          this.assign(st.target, this.ev(st.value, sc, true), sc);
          break;
        case 'SetBlock': {
          // The block body is an inner frame in Jinja: its own `set`s do not leak out.
          let v: unknown = this.capture(st.body, new Scope(sc)).value();
          if (st.filter) v = this.applyFilterChain(st.filter, v, sc);
          this.assign(st.target, v, sc);
          break;
        }
        case 'Macro':
          sc.set(st.def.name, this.makeMacro(st.def, sc));
          break;
        case 'CallBlock': {
          const caller = this.makeMacro(st.def, sc);
          this.emit(this.evCall(st.call, sc, caller, true));
          break;
        }
        case 'FilterBlock': {
          const v = this.capture(st.body, new Scope(sc)).value();
          this.emit(this.applyFilterChain(st.filter, v, sc));
          break;
        }
        case 'With': {
          const inner = new Scope(sc);
          const vals = st.values.map((e) => this.ev(e, sc, true));
          st.targets.forEach((t, j) => this.assign(t, vals[j], inner));
          const r = this.execBody(st.body, inner);
          if (r) return r;
          break;
        }
        case 'Generation': {
          // Jinja runs the body as a caller() macro: own scope, output recorded as one span.
          const o = this.out;
          const start = o.len;
          this.execBody(st.body, new Scope(sc));
          (o.spans ??= []).push([start, o.len]);
          break;
        }
        case 'Break':
          return 1;
        case 'Continue':
          return 2;
        case 'Do':
          this.ev(st.e, sc);
          break;
      }
    }
    return 0;
  }

  private execFor(st: Stmt & { k: 'For' }, sc: Scope, iterable: unknown, depth0: number): void {
    if (iterable === null) throw pyError('TypeError', "'NoneType' object is not iterable");
    let items = iterate(iterable);
    if (st.filter) {
      const fsc = new Scope(sc);
      const kept: unknown[] = [];
      for (const it of items) {
        this.tick();
        fsc.vars?.clear();
        this.assign(st.target, it, fsc);
        if (truthy(this.ev(st.filter, fsc))) kept.push(it);
      }
      items = kept;
    } else if (iterable instanceof PyIter || typeof iterable === 'string') {
      // already a private array
    } else {
      items = items.slice(); // Python iterates a live list; a copy is equivalent since templates can't mutate
    }
    if (items.length === 0) {
      if (st.else.length) this.execBody(st.else, new Scope(sc));
      return;
    }
    const recurse = st.recursive
      ? (sub: unknown): string | SpannedStr => {
          const saved = this.out;
          const o = (this.out = new Out());
          try {
            this.enter();
            this.execFor(st, sc, sub, depth0 + 1);
          } finally {
            this.depth--;
            this.out = saved;
          }
          return o.value();
        }
      : null;
    const loop = new LoopCtx(items, depth0, recurse);
    const inner = new Scope(sc);
    for (let i = 0; i < items.length; i++) {
      this.tick();
      loop.index0 = i;
      inner.vars?.clear();
      this.assign(st.target, items[i], inner);
      inner.set('loop', loop);
      if (this.execBody(st.body, inner) === 1) break;
    }
  }

  private assign(t: Target, v: unknown, sc: Scope): void {
    switch (t.k) {
      case 'Name':
        sc.set(t.name, v);
        return;
      case 'NSRef': {
        const ns = this.lookup(t.name, sc);
        if (!(ns instanceof Namespace))
          throw pyError('TemplateRuntimeError', 'cannot assign attribute on non-namespace object');
        ns.vars.set(t.attr, v);
        return;
      }
      case 'Tuple': {
        const items = iterate(v instanceof SpannedStr ? v.s : v);
        if (items.length !== t.items.length) {
          throw pyError(
            'ValueError',
            items.length > t.items.length
              ? `too many values to unpack (expected ${t.items.length})`
              : `not enough values to unpack (expected ${t.items.length}, got ${items.length})`,
          );
        }
        t.items.forEach((sub, i) => this.assign(sub, items[i], sc));
        return;
      }
    }
  }

  lookup(name: string, sc: Scope): unknown {
    for (let s: Scope | null = sc; s; s = s.parent) {
      if (s.vars !== null) {
        const v = s.vars.get(name);
        if (v !== undefined || s.vars.has(name)) return v;
      }
    }
    if (Object.prototype.hasOwnProperty.call(this.ctx, name)) {
      const v = this.ctx[name];
      return v === undefined ? UNDEF : v;
    }
    const g = (this.globals ??= makeGlobals(this)).get(name);
    if (g !== undefined) return g;
    return new Undef(`'${name}' is undefined`);
  }

  // ---- macros ----------------------------------------------------------

  private enter(): void {
    if (++this.depth > MAX_DEPTH) {
      this.depth = 0;
      throw pyError('RecursionError', 'maximum recursion depth exceeded');
    }
    this.tick();
  }

  private makeMacro(def: MacroDef, closure: Scope): PyCallable {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the macro body runs later, from a plain callback
    const interp = this;
    return new PyCallable(
      def.name,
      (args, kwargs) => {
        const sc = new Scope(closure);
        const np = def.params.length;
        if (args.length > np && !def.usesVarargs) {
          throw pyError('TypeError', `macro '${def.name}' takes not more than ${np} argument(s)`);
        }
        const kw: Kwargs = kwargs ? { ...kwargs } : {};
        for (let i = 0; i < np; i++) {
          const p = def.params[i]!;
          let v: unknown;
          if (i < args.length) v = args[i];
          else if (Object.prototype.hasOwnProperty.call(kw, p)) {
            v = kw[p];
            delete kw[p];
          } else {
            const d = def.defaults[i];
            v = d ? interp.ev(d, sc) : new Undef(`parameter '${p}' was not provided`);
          }
          sc.set(p, v);
        }
        if (def.usesCaller) {
          const c = kw['caller'];
          delete kw['caller'];
          sc.set('caller', c === undefined ? new Undef('No caller defined') : c);
        }
        if (def.usesKwargs) sc.set('kwargs', new Map(Object.entries(kw)));
        else {
          const extra = Object.keys(kw);
          if (extra.length) {
            throw pyError(
              'TypeError',
              extra[0] === 'caller'
                ? `macro '${def.name}' was invoked with two values for the special caller argument. This is most likely a bug.`
                : `macro '${def.name}' takes no keyword argument '${extra[0]}'`,
            );
          }
        }
        if (def.usesVarargs) sc.set('varargs', tuple(args.slice(np)));
        const saved = interp.out;
        const o = (interp.out = new Out());
        interp.enter();
        try {
          interp.execBody(def.body, sc);
        } finally {
          interp.depth--;
          interp.out = saved;
        }
        return o.value();
      },
      'macro',
    );
  }

  // ---- expressions -----------------------------------------------------

  /**
   * Evaluate an expression. With `keep`, a SpannedStr (macro/caller/set-block output that
   * contains generation spans) is returned as is so printing can place its spans.
   */
  ev(e: Expr, sc: Scope, keep = false): unknown {
    switch (e.k) {
      case 'Const':
        return e.v;
      case 'Name': {
        const v = this.lookup(e.name, sc);
        return !keep && v instanceof SpannedStr ? v.s : v;
      }
      case 'Getattr': {
        const v = this.getAttr(this.ev(e.obj, sc), e.name);
        return !keep && v instanceof SpannedStr ? v.s : v;
      }
      case 'Getitem': {
        const obj = this.ev(e.obj, sc);
        if (e.index.k === 'Slice') return this.slice(obj, e.index, sc);
        return this.getItem(obj, this.ev(e.index, sc));
      }
      case 'Call':
        return this.evCall(e, sc, null, keep);
      case 'Filter':
        return this.evFilter(e, sc, keep);
      case 'Test':
        return this.evTest(e, sc);
      case 'Cond':
        if (truthy(this.ev(e.test, sc))) return this.ev(e.then, sc, keep);
        return e.else
          ? this.ev(e.else, sc, keep)
          : new Undef('the inline if-expression evaluated to false and no else section was defined.');
      case 'And': {
        const l = this.ev(e.left, sc);
        return truthy(l) ? this.ev(e.right, sc) : l;
      }
      case 'Or': {
        const l = this.ev(e.left, sc);
        return truthy(l) ? l : this.ev(e.right, sc);
      }
      case 'Not':
        return !truthy(this.ev(e.node, sc));
      case 'Neg':
      case 'Pos': {
        const v = this.ev(e.node, sc);
        if (v instanceof Undef) v.fail();
        if (!isNumber(v))
          throw pyError('TypeError', `bad operand type for unary ${e.k === 'Neg' ? '-' : '+'}: '${typeName(v)}'`);
        const x = e.k === 'Neg' ? -numVal(v) : numVal(v);
        return isFloat(v) ? mkFloat(x) : x;
      }
      case 'Bin': {
        if (keep && e.op === '+') {
          const l = this.ev(e.left, sc, true);
          const r = this.ev(e.right, sc, true);
          if (l instanceof SpannedStr || r instanceof SpannedStr) return this.concatSpanned([l, r], false);
          return this.binop('+', l, r);
        }
        return this.binop(e.op, this.ev(e.left, sc), this.ev(e.right, sc));
      }
      case 'Concat': {
        if (keep) {
          const vals = e.items.map((x) => this.ev(x, sc, true));
          if (vals.some((v) => v instanceof SpannedStr)) return this.concatSpanned(vals, true);
          return this.concatStr(vals);
        }
        return this.concatStr(e.items.map((x) => this.ev(x, sc)));
      }
      case 'Compare':
        return this.evCompare(e.first, e.ops, e.rest, sc);
      case 'List':
        return e.items.map((x) => this.ev(x, sc));
      case 'Tuple':
        return tuple(e.items.map((x) => this.ev(x, sc)));
      case 'Dict': {
        const m = new Map<unknown, unknown>();
        for (let i = 0; i < e.keys.length; i++) {
          const k = this.ev(e.keys[i]!, sc);
          if (Array.isArray(k) && !isTuple(k)) throw pyError('TypeError', "unhashable type: 'list'");
          if (isDict(k)) throw pyError('TypeError', "unhashable type: 'dict'");
          m.set(normDictKey(k), this.ev(e.values[i]!, sc));
        }
        return m;
      }
      case 'Slice':
        throw pyError('TemplateSyntaxError', 'unexpected slice');
    }
  }

  private concatStr(vals: unknown[]): string {
    let s = '';
    for (const v of vals) {
      s += pyStr(v);
      if (s.length > this.limits.maxChars) this.checkLen(s.length);
    }
    return s;
  }

  private concatSpanned(vals: unknown[], tilde: boolean): string | SpannedStr {
    let s = '';
    const spans: Span[] = [];
    for (const v of vals) {
      if (v instanceof SpannedStr) {
        for (const [a, b] of v.spans) spans.push([a + s.length, b + s.length]);
        s += v.s;
      } else {
        if (!tilde && typeof v !== 'string' && !(v instanceof Markup)) {
          throw pyError('TypeError', `can only concatenate str (not "${typeName(v)}") to str`);
        }
        s += pyStr(v);
      }
      this.checkLen(s.length);
    }
    return new SpannedStr(s, spans);
  }

  private evCompare(first: Expr, ops: CmpOp[], rest: Expr[], sc: Scope): boolean {
    let left = this.ev(first, sc);
    for (let i = 0; i < ops.length; i++) {
      const right = this.ev(rest[i]!, sc);
      if (!compareOp(ops[i]!, left, right)) return false;
      left = right;
    }
    return true;
  }

  evCall(e: Expr & { k: 'Call' }, sc: Scope, caller: PyCallable | null, keep: boolean): unknown {
    const fn = this.ev(e.fn, sc);
    const args = e.args.map((a) => this.ev(a, sc));
    if (e.star) args.push(...iterate(this.ev(e.star, sc)));
    let kwargs: Kwargs | null = null;
    if (e.kwargs.length || e.dstar || caller) {
      kwargs = Object.create(null) as Kwargs;
      for (const [k, x] of e.kwargs) kwargs[k] = this.ev(x, sc);
      if (e.dstar) {
        const d = this.ev(e.dstar, sc);
        if (!isDict(d)) throw pyError('TypeError', 'argument after ** must be a mapping');
        for (const [k, x] of d instanceof Map ? d.entries() : Object.entries(d)) kwargs[String(k)] = x;
      }
      if (caller) kwargs['caller'] = caller;
    }
    const r = this.call(fn, args, kwargs);
    return !keep && r instanceof SpannedStr ? r.s : r;
  }

  call(fn: unknown, args: unknown[], kwargs: Kwargs | null): unknown {
    if (fn instanceof PyCallable) return fn.fn(args, kwargs);
    if (fn instanceof Undef) fn.fail();
    if (fn instanceof LoopCtx) {
      if (!fn.recurse)
        throw pyError('TypeError', "The loop must have the 'recursive' marker to be called recursively.");
      return fn.recurse(args[0]);
    }
    if (fn instanceof Joiner) {
      if (!fn.used) {
        fn.used = true;
        return '';
      }
      return fn.sep;
    }
    throw pyError('TypeError', `'${typeName(fn)}' object is not callable`);
  }

  private evFilter(e: Expr & { k: 'Filter' }, sc: Scope, keep: boolean): unknown {
    const input = e.node ? this.ev(e.node, sc, keep) : UNDEF;
    return this.applyFilter(e, input, sc);
  }

  /** Apply a (possibly chained) filter expression whose innermost node is null to `value`. */
  private applyFilterChain(f: Expr, value: unknown, sc: Scope): unknown {
    if (f.k !== 'Filter') return value;
    const inner = f.node ? this.applyFilterChain(f.node, value, sc) : value;
    return this.applyFilter(f, inner, sc);
  }

  private applyFilter(e: Expr & { k: 'Filter' }, input: unknown, sc: Scope): unknown {
    const fn = FILTERS.get(e.name);
    if (!fn) throw pyError('TemplateRuntimeError', `No filter named '${e.name}' found.`);
    const args = e.args.map((a) => this.ev(a, sc));
    if (e.star) args.push(...iterate(this.ev(e.star, sc)));
    let kwargs: Kwargs | null = null;
    if (e.kwargs.length || e.dstar) {
      kwargs = Object.create(null) as Kwargs;
      for (const [k, x] of e.kwargs) kwargs[k] = this.ev(x, sc);
      if (e.dstar) {
        const d = this.ev(e.dstar, sc);
        if (isDict(d)) for (const [k, x] of d instanceof Map ? d.entries() : Object.entries(d)) kwargs[String(k)] = x;
      }
    }
    this.tick();
    if (input instanceof SpannedStr) {
      const r = fn(this, input.s, args, kwargs);
      return remapSpans(input, r);
    }
    return fn(this, input, args, kwargs);
  }

  private evTest(e: Expr & { k: 'Test' }, sc: Scope): boolean {
    const fn = TESTS.get(e.name);
    if (!fn) throw pyError('TemplateRuntimeError', `No test named '${e.name}' found.`);
    const v = this.ev(e.node, sc);
    const args = e.args.map((a) => this.ev(a, sc));
    for (const [, x] of e.kwargs) args.push(this.ev(x, sc));
    const r = truthy(fn(this, v, args));
    return e.negate ? !r : r;
  }

  // ---- attribute / item access (sandboxed) ------------------------------

  /**
   * Python `getattr` as the sandboxed `attr` filter uses it: like `obj.name` but a dict's keys are
   * not attributes (only its methods are).
   */
  getAttrStrict(obj: unknown, name: string): unknown {
    if (isDict(obj) && !isDunder(name)) {
      return getMethod(this, obj, name) ?? new Undef(`'dict object' has no attribute '${name}'`);
    }
    return this.getAttr(obj, name);
  }

  getAttr(obj: unknown, name: string): unknown {
    // Dunder attributes exist on every Python object but are unsafe in the sandbox → Undefined.
    if (isDunder(name) || name === 'mro') {
      // On an Undefined, Python only finds dunders every instance has; others fall through to
      // Undefined.__getitem__, which raises.
      if (obj instanceof Undef && !INSTANCE_DUNDERS.has(name)) obj.fail();
      return new Undef(`access to attribute '${name}' of '${typeName(obj)}' object is unsafe.`, 'SecurityError');
    }
    if (obj instanceof Undef) obj.fail();
    if (isDict(obj)) {
      // Methods win over keys, as in Python; most names (`role`, `content`) are not one.
      const m = isDictAttr(name) ? getMethod(this, obj, name) : null;
      if (m) return m;
      const v = dictGet(obj, name);
      if (v !== MISSING) return v === undefined ? UNDEF : v;
      return new Undef(`'dict object' has no attribute '${name}'`);
    }
    if (obj instanceof Namespace) {
      const v = obj.vars.get(name);
      return v !== undefined || obj.vars.has(name) ? v : new Undef(`'Namespace object' has no attribute '${name}'`);
    }
    if (obj instanceof LoopCtx) return obj.attr(name);
    if (obj instanceof Cycler) {
      if (name === 'current') return obj.items[obj.pos];
      if (name === 'next')
        return new PyCallable('next', () => {
          const v = obj.items[obj.pos];
          obj.pos = (obj.pos + 1) % obj.items.length;
          return v;
        });
      if (name === 'reset') return new PyCallable('reset', () => ((obj.pos = 0), null));
    }
    if (isGroupTuple(obj)) {
      if (name === 'grouper') return (obj as unknown[])[0];
      if (name === 'list') return (obj as unknown[])[1];
    }
    const m = getMethod(this, obj, name);
    if (m) return m;
    return new Undef(`'${obj === null ? 'None' : typeName(obj) + ' object'}' has no attribute '${name}'`);
  }

  getItem(obj: unknown, key: unknown): unknown {
    if (obj instanceof Undef) obj.fail();
    if (isDict(obj)) {
      const v = dictGet(obj, key);
      if (v !== MISSING) return v === undefined ? UNDEF : v;
    } else if (Array.isArray(obj)) {
      if (typeof key === 'number' && Number.isInteger(key)) {
        const i = key < 0 ? obj.length + key : key;
        if (i >= 0 && i < obj.length) return obj[i];
        return new Undef(noElement(obj, key));
      }
      if (typeof key === 'boolean') return obj[key ? 1 : 0] ?? new Undef(noElement(obj, key));
    } else if (typeof obj === 'string' || obj instanceof Markup) {
      const s = typeof obj === 'string' ? obj : obj.s;
      if (typeof key === 'number' && Number.isInteger(key)) {
        const arr = hasSurrogates(s) ? cpArray(s) : null;
        const n = arr ? arr.length : s.length;
        const i = key < 0 ? n + key : key;
        if (i >= 0 && i < n) return arr ? arr[i] : s[i];
        return new Undef(noElement(obj, key));
      }
    } else if (obj instanceof LoopCtx || obj instanceof Namespace) {
      if (typeof key === 'string') return this.getAttr(obj, key);
    }
    if (typeof key === 'string' || key instanceof Markup) return this.getAttr(obj, strOf(key)!);
    return new Undef(noElement(obj, key));
  }

  private slice(obj: unknown, s: Expr & { k: 'Slice' }, sc: Scope): unknown {
    const idx = (x: Expr | null): number | null => {
      if (!x) return null;
      const v = this.ev(x, sc);
      if (v === null) return null;
      if (typeof v === 'number' && Number.isInteger(v)) return v;
      if (typeof v === 'boolean') return v ? 1 : 0;
      if (v instanceof Undef) v.fail();
      throw pyError('TypeError', 'slice indices must be integers or None or have an __index__ method');
    };
    const a = idx(s.start);
    const b = idx(s.stop);
    const c = idx(s.step);
    if (obj instanceof Undef) obj.fail();
    if (typeof obj === 'string') return sliceString(obj, a, b, c);
    if (obj instanceof Markup) return new Markup(sliceString(obj.s, a, b, c));
    if (Array.isArray(obj)) {
      const r = sliceArray(obj, a, b, c);
      return isTuple(obj) ? tuple(r) : r;
    }
    return new Undef(`'${typeName(obj)} object' is not subscriptable`);
  }

  // ---- arithmetic --------------------------------------------------------

  binop(op: string, a: unknown, b: unknown): unknown {
    if (a instanceof Undef) a.fail();
    if (b instanceof Undef) b.fail();
    const an = isNumber(a);
    const bn = isNumber(b);
    if (an && bn) {
      const x = numVal(a);
      const y = numVal(b);
      const fl = isFloat(a) || isFloat(b);
      switch (op) {
        case '+':
          return fl ? mkFloat(x + y) : x + y;
        case '-':
          return fl ? mkFloat(x - y) : x - y;
        case '*':
          return fl ? mkFloat(x * y) : x * y;
        case '/':
          if (y === 0) throw pyError('ZeroDivisionError', 'division by zero');
          return mkFloat(x / y);
        case '//':
          if (y === 0) throw pyError('ZeroDivisionError', 'integer division or modulo by zero');
          return fl ? mkFloat(Math.floor(x / y)) : Math.floor(x / y);
        case '%': {
          if (y === 0) throw pyError('ZeroDivisionError', 'integer division or modulo by zero');
          const r = x - Math.floor(x / y) * y;
          return fl ? mkFloat(r) : r;
        }
        case '**': {
          if (!fl && y < 0) return mkFloat(x ** y);
          const r = x ** y;
          return fl ? mkFloat(r) : r;
        }
      }
    }
    const as = strOf(a);
    if (op === '+') {
      const bs = strOf(b);
      if (as !== null && bs !== null) {
        this.checkLen(as.length + bs.length);
        if (a instanceof Markup) return new Markup(as + escapeToMarkup(b).s);
        if (b instanceof Markup) return new Markup(escapeToMarkup(a).s + bs);
        return as + bs;
      }
      if (Array.isArray(a) && Array.isArray(b) && isTuple(a) === isTuple(b)) {
        this.checkLen(a.length + b.length);
        const r = a.concat(b);
        return isTuple(a) ? tuple(r) : r;
      }
    }
    if (op === '*') {
      if ((as !== null || Array.isArray(a)) && bn && !isFloat(b)) return this.repeat(a, numVal(b));
      const bs = strOf(b);
      if ((bs !== null || Array.isArray(b)) && an && !isFloat(a)) return this.repeat(b, numVal(a));
      // Python's sequence repeat refuses any non-int count with its own message.
      if (as !== null || Array.isArray(a))
        throw pyError('TypeError', `can't multiply sequence by non-int of type '${typeName(b)}'`);
      if (bs !== null || Array.isArray(b))
        throw pyError('TypeError', `can't multiply sequence by non-int of type '${typeName(a)}'`);
    }
    if (op === '%' && as !== null) {
      const r = percentFormat(as, b, a instanceof Markup);
      this.checkLen(r.length);
      return a instanceof Markup ? new Markup(r) : r;
    }
    const sym = op;
    if (op === '+' && typeof a === 'string')
      throw pyError('TypeError', `can only concatenate str (not "${typeName(b)}") to str`);
    if (op === '+' && Array.isArray(a) && !isTuple(a))
      throw pyError('TypeError', `can only concatenate list (not "${typeName(b)}") to list`);
    throw pyError('TypeError', `unsupported operand type(s) for ${sym}: '${typeName(a)}' and '${typeName(b)}'`);
  }

  private repeat(v: unknown, n: number): unknown {
    const count = Math.max(0, n);
    if (Array.isArray(v)) {
      this.checkLen(v.length * count);
      const out: unknown[] = [];
      for (let i = 0; i < count; i++) out.push(...v);
      return isTuple(v) ? tuple(out) : out;
    }
    const s = strOf(v)!;
    this.checkLen(s.length * count);
    const r = s.repeat(count);
    return v instanceof Markup ? new Markup(r) : r;
  }

  makeCycler(items: unknown[]): unknown {
    return new Cycler(items);
  }
  makeJoiner(sep: unknown): unknown {
    return new Joiner(sep);
  }
}

function normDictKey(k: unknown): unknown {
  if (k instanceof PyFloat) return k.v;
  if (k instanceof Markup) return k.s;
  if (typeof k === 'boolean') return k ? 1 : 0;
  return k;
}

const INSTANCE_DUNDERS = new Set(
  '__class__ __init__ __dict__ __doc__ __module__ __repr__ __str__ __eq__ __ne__ __hash__ __len__ __iter__ __bool__ __getattr__ __getitem__ __lt__ __le__ __gt__ __ge__ __add__ __call__ __new__ __setattr__ __delattr__ __dir__ __format__ __reduce__ __reduce_ex__ __sizeof__ __subclasshook__ __init_subclass__ __getattribute__ __slots__'.split(
    ' ',
  ),
);

/**
 * Keep spans through a string filter applied to buffered output: same-length results
 * (case changes) keep positions, substrings (trim & co) shift and clip them; any other
 * rewrite drops the spans (positions would be guesswork).
 */
function remapSpans(input: SpannedStr, result: unknown): unknown {
  const rs = typeof result === 'string' ? result : result instanceof Markup ? result.s : null;
  if (rs === null) return result;
  // Same text, or a same-length rewrite such as |upper: positions carry over 1:1.
  if (rs === input.s || rs.length === input.s.length) return new SpannedStr(rs, input.spans);
  const off = input.s.indexOf(rs);
  if (off === -1 || rs.length === 0) return result;
  const spans: Span[] = [];
  for (const [a, b] of input.spans) {
    const s = Math.min(Math.max(a - off, 0), rs.length);
    const e = Math.min(Math.max(b - off, 0), rs.length);
    spans.push([s, e]);
  }
  return new SpannedStr(rs, spans);
}

/** `name.startsWith('__')`, without the call (checked on every attribute access). */
function isDunder(name: string): boolean {
  return name.charCodeAt(0) === 95 && name.charCodeAt(1) === 95;
}

// ---- globals ----------------------------------------------------------------

const MAX_RANGE = 100_000;

function toIndex(v: unknown): number {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v instanceof Undef) v.fail();
  throw pyError('TypeError', `'${typeName(v)}' object cannot be interpreted as an integer`);
}

function makeGlobals(it: Interpreter): Map<string, unknown> {
  const g = new Map<string, unknown>();
  g.set(
    'range',
    new PyCallable(
      'range',
      (args) => {
        if (args.length === 0) throw pyError('TypeError', 'range expected at least 1 argument, got 0');
        let start = 0;
        let stop: number;
        let step = 1;
        if (args.length === 1) stop = toIndex(args[0]);
        else {
          start = toIndex(args[0]);
          stop = toIndex(args[1]);
          if (args.length > 2) step = toIndex(args[2]);
        }
        if (step === 0) throw pyError('ValueError', 'range() arg 3 must not be zero');
        const n = Math.max(0, Math.ceil((stop - start) / step));
        if (n > MAX_RANGE) {
          throw pyError(
            'OverflowError',
            `Range too big. The sandbox blocks ranges larger than MAX_RANGE (${MAX_RANGE}).`,
          );
        }
        const out = new Array<number>(n);
        for (let i = 0; i < n; i++) out[i] = start + i * step;
        (out as unknown as Record<symbol, number[]>)[RANGE] = [start, stop, step];
        return out;
      },
      'class',
    ),
  );
  g.set(
    'namespace',
    new PyCallable(
      'jinja2.utils.Namespace',
      (args, kwargs) => {
        const ns = new Namespace();
        for (const a of args) {
          if (isDict(a))
            for (const [k, v] of a instanceof Map ? a.entries() : Object.entries(a)) ns.vars.set(String(k), v);
          else if (Array.isArray(a))
            for (const pair of a) {
              const p = iterate(pair);
              ns.vars.set(pyStr(p[0]), p[1]);
            }
          else throw pyError('TypeError', `'${typeName(a)}' object is not iterable`);
        }
        if (kwargs) for (const k of Object.keys(kwargs)) ns.vars.set(k, kwargs[k]);
        return ns;
      },
      'class',
    ),
  );
  g.set(
    'dict',
    new PyCallable(
      'dict',
      (args, kwargs) => {
        const m = new Map<unknown, unknown>();
        for (const a of args) {
          if (isDict(a)) for (const [k, v] of a instanceof Map ? a.entries() : Object.entries(a)) m.set(k, v);
          else
            for (const pair of iterate(a)) {
              const p = iterate(pair);
              m.set(normDictKey(p[0]), p[1]);
            }
        }
        if (kwargs) for (const k of Object.keys(kwargs)) m.set(k, kwargs[k]);
        return m;
      },
      'class',
    ),
  );
  g.set('cycler', new PyCallable('jinja2.utils.Cycler', (args) => it.makeCycler(args), 'class'));
  g.set(
    'joiner',
    new PyCallable('jinja2.utils.Joiner', (args, kw) => it.makeJoiner(args[0] ?? kw?.['sep'] ?? ', '), 'class'),
  );
  g.set('lipsum', new PyCallable('lipsum', () => 'Lorem ipsum dolor sit amet, consectetur adipiscing elit.'));
  g.set(
    'raise_exception',
    new PyCallable('raise_exception', (args, kw) => {
      throw new TemplateError(pyStr(args[0] ?? kw?.['message'] ?? ''), 'TemplateError');
    }),
  );
  g.set(
    'strftime_now',
    new PyCallable('strftime_now', (args, kw) => strftime(it.now, pyStr(args[0] ?? kw?.['format'] ?? ''))),
  );
  return g;
}

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

/** Python datetime.strftime for a naive local time (glibc directives incl. `%-d`). */
export function strftime(d: Date, fmt: string): string {
  const p2 = (n: number) => String(n).padStart(2, '0');
  const Y = d.getFullYear();
  const m = d.getMonth();
  const day = d.getDate();
  const H = d.getHours();
  const M = d.getMinutes();
  const S = d.getSeconds();
  const wd = d.getDay();
  const start = new Date(Y, 0, 1);
  const yday = Math.round((new Date(Y, m, day).getTime() - start.getTime()) / 86400000) + 1;
  const I = H % 12 === 0 ? 12 : H % 12;
  const weekNum = (firstDay: number) => Math.floor((yday - 1 + ((start.getDay() - firstDay + 7) % 7)) / 7);
  return fmt.replace(/%(-?)([a-zA-Z%])/g, (all, dash: string, c: string) => {
    const pad = (n: number, w = 2) => (dash ? String(n) : String(n).padStart(w, '0'));
    switch (c) {
      case 'Y':
        return String(Y);
      case 'y':
        return p2(Y % 100);
      case 'm':
        return pad(m + 1);
      case 'd':
        return pad(day);
      case 'e':
        return dash ? String(day) : String(day).padStart(2, ' ');
      case 'H':
        return pad(H);
      case 'I':
        return pad(I);
      case 'M':
        return pad(M);
      case 'S':
        return pad(S);
      case 'p':
        return H < 12 ? 'AM' : 'PM';
      case 'f':
        return '000000';
      case 'j':
        return pad(yday, 3);
      case 'a':
        return DAYS[wd]!.slice(0, 3);
      case 'A':
        return DAYS[wd]!;
      case 'b':
      case 'h':
        return MONTHS[m]!.slice(0, 3);
      case 'B':
        return MONTHS[m]!;
      case 'w':
        return String(wd);
      case 'u':
        return String(wd === 0 ? 7 : wd);
      case 'U':
        return pad(weekNum(0));
      case 'W':
        return pad(weekNum(1));
      case 'c':
        return `${DAYS[wd]!.slice(0, 3)} ${MONTHS[m]!.slice(0, 3)} ${String(day).padStart(2, ' ')} ${p2(H)}:${p2(M)}:${p2(S)} ${Y}`;
      case 'x':
        return `${p2(m + 1)}/${p2(day)}/${p2(Y % 100)}`;
      case 'X':
        return `${p2(H)}:${p2(M)}:${p2(S)}`;
      case 'D':
        return `${p2(m + 1)}/${p2(day)}/${p2(Y % 100)}`;
      case 'F':
        return `${Y}-${p2(m + 1)}-${p2(day)}`;
      case 'T':
        return `${p2(H)}:${p2(M)}:${p2(S)}`;
      case 'R':
        return `${p2(H)}:${p2(M)}`;
      case 'z':
      case 'Z':
        return '';
      case 'n':
        return '\n';
      case 't':
        return '\t';
      case '%':
        return '%';
      default:
        return all;
    }
  });
}

export { Cycler, Joiner };

/**
 * Jinja2's Undefined hint for a failed `obj[key]` with a non-string key: `{object_type_repr(obj)} has
 * no element {key!r}` (no quotes around the type, unlike the attribute hint).
 */
function noElement(obj: unknown, key: unknown): string {
  const type = obj === null ? 'None' : obj instanceof Markup ? 'markupsafe.Markup object' : `${typeName(obj)} object`;
  return `${type} has no element ${pyRepr(key)}`;
}
