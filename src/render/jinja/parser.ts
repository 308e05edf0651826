/**
 * Recursive-descent parser mirroring Jinja2 3.1's grammar (jinja2/parser.py):
 * precedence, tuple rules, `is` tests with a bare argument, filter chains,
 * assignment targets with tuple unpacking and namespace refs, and the
 * transformers `{% generation %}` tag. Unsupported loader tags are syntax errors.
 */
import { TemplateError } from '../errors.js';
import type { BinOp, CmpOp, Expr, KwArg, MacroDef, Stmt, Target } from './ast.js';
import { tokenize, type Token } from './lexer.js';
import { PyFloat, strRepr } from './values.js';

const CMP_OPS: Record<string, CmpOp> = { '==': 'eq', '!=': 'ne', '<': 'lt', '<=': 'lteq', '>': 'gt', '>=': 'gteq' };
const PRIMARY_START = new Set(['name', 'string', 'int', 'float']);

export function parseTemplate(source: string): Stmt[] {
  return new Parser(tokenize(source)).parseAll();
}

class Parser {
  private i = 0;
  /** Name sets of the macros being parsed (for caller/varargs/kwargs detection). */
  private nameSinks: Set<string>[] = [];
  private loopDepth = 0;
  /** Jinja's `_end_token_stack` / `_tag_stack`, for its end-of-template and unknown-tag messages. */
  private endStack: string[][] = [];
  private tagStack: string[] = [];

  constructor(private readonly toks: Token[]) {}

  private get cur(): Token {
    return this.toks[this.i]!;
  }
  private peek(n = 1): Token {
    return this.toks[Math.min(this.i + n, this.toks.length - 1)]!;
  }
  private next(): Token {
    const t = this.toks[this.i]!;
    if (t.t !== 'eof') this.i++;
    return t;
  }
  private fail(msg: string, tok: Token = this.cur): never {
    throw new TemplateError(msg, 'TemplateSyntaxError', tok.line);
  }
  /** Jinja's TokenStream.expect message for a missing token described as `want`. */
  private failExpected(want: string): never {
    if (this.cur.t === 'eof') this.fail(`unexpected end of template, expected ${strRepr(want)}.`);
    this.fail(`expected token ${strRepr(want)}, got ${strRepr(describe(this.cur))}`);
  }
  /** Jinja's `_fail_ut_eof`: unknown tag (`name`) or end of template (`name` null). */
  private failTagOrEof(name: string | null, tok: Token): never {
    const message = [name === null ? 'Unexpected end of template.' : `Encountered unknown tag ${strRepr(name)}.`];
    const innermost = this.endStack[this.endStack.length - 1];
    if (innermost) {
      const looking = innermost.map(strRepr).join(' or ');
      if (name !== null && this.endStack.some((e) => e.includes(name)))
        message.push(
          `You probably made a nesting mistake. Jinja is expecting this tag, but currently looking for ${looking}.`,
        );
      else message.push(`Jinja was looking for the following tags: ${looking}.`);
    }
    const tag = this.tagStack[this.tagStack.length - 1];
    if (tag !== undefined) message.push(`The innermost block that needs to be closed is ${strRepr(tag)}.`);
    this.fail(message.join(' '), tok);
  }
  private isOp(v: string, tok: Token = this.cur): boolean {
    return tok.t === 'op' && tok.v === v;
  }
  private isName(v: string, tok: Token = this.cur): boolean {
    return tok.t === 'name' && tok.v === v;
  }
  private skipOp(v: string): boolean {
    if (this.isOp(v)) {
      this.i++;
      return true;
    }
    return false;
  }
  private skipName(v: string): boolean {
    if (this.isName(v)) {
      this.i++;
      return true;
    }
    return false;
  }
  private expectOp(v: string): void {
    if (!this.skipOp(v)) this.failExpected(v);
  }
  private expectName(v?: string): string {
    const t = this.cur;
    if (t.t !== 'name' || (v !== undefined && t.v !== v)) this.failExpected(v ?? 'name');
    this.i++;
    return t.v as string;
  }
  private expectBlockEnd(): void {
    if (this.cur.t !== 'block_end') this.failExpected('end of statement block');
    this.i++;
  }

  parseAll(): Stmt[] {
    const body = this.subparse(null);
    if (this.cur.t !== 'eof') this.fail(`unexpected ${strRepr(describe(this.cur))}`);
    return body;
  }

  /** Parse statements until a block tag whose name is in `end` (left unconsumed: positioned on the name). */
  private subparse(end: string[] | null): Stmt[] {
    if (end) this.endStack.push(end);
    const body = this.subparseBody(end);
    if (end) this.endStack.pop();
    return body;
  }

  private subparseBody(end: string[] | null): Stmt[] {
    const body: Stmt[] = [];
    for (;;) {
      const t = this.cur;
      if (t.t === 'eof') {
        if (end) this.failTagOrEof(null, t);
        return body;
      }
      if (t.t === 'data') {
        this.i++;
        body.push({ k: 'Text', s: t.v as string });
      } else if (t.t === 'var_begin') {
        this.i++;
        const e = this.parseTuple({});
        if (this.cur.t !== 'var_end') this.failExpected('end of print statement');
        this.i++;
        body.push({ k: 'Print', e });
      } else if (t.t === 'block_begin') {
        const nameTok = this.peek();
        if (end && nameTok.t === 'name' && end.includes(nameTok.v as string)) {
          this.i++; // leave positioned on the end-tag name
          return body;
        }
        this.i++;
        body.push(...this.parseStatement());
      } else {
        this.fail(`unexpected ${strRepr(describe(t))}`);
      }
    }
  }

  /** Parse a body up to one of `end`; consumes the end name and returns which one matched. */
  private parseBody(end: string[], dropNeedle = true): { body: Stmt[]; ended: string } {
    const body = this.subparse(end);
    const ended = this.cur.v as string;
    if (dropNeedle) this.i++;
    return { body, ended };
  }

  private parseStatement(): Stmt[] {
    const t = this.cur;
    if (t.t !== 'name') this.fail('tag name expected');
    const name = t.v as string;
    this.tagStack.push(name);
    try {
      return this.parseTag(name, t);
    } finally {
      this.tagStack.pop();
    }
  }

  private parseTag(name: string, t: Token): Stmt[] {
    this.i++;
    switch (name) {
      case 'if':
        return [this.parseIf()];
      case 'for':
        return [this.parseFor()];
      case 'set':
        return [this.parseSet()];
      case 'macro':
        return [this.parseMacro()];
      case 'call':
        return [this.parseCallBlock()];
      case 'filter':
        return [this.parseFilterBlock()];
      case 'with':
        return [this.parseWith()];
      case 'print': {
        const items: Stmt[] = [];
        do items.push({ k: 'Print', e: this.parseExpression() });
        while (this.skipOp(','));
        this.expectBlockEnd();
        return items;
      }
      case 'break':
      case 'continue':
        if (this.loopDepth === 0) this.fail(`'${name}' outside loop`, t);
        this.expectBlockEnd();
        return [{ k: name === 'break' ? 'Break' : 'Continue' }];
      case 'generation': {
        this.expectBlockEnd();
        const saved = this.loopDepth;
        this.loopDepth = 0; // the body is a separate (caller) function in Jinja
        const { body } = this.parseBody(['endgeneration']);
        this.loopDepth = saved;
        this.expectBlockEnd();
        return [{ k: 'Generation', body }];
      }
      case 'block': {
        // A block renders in place when there is no inheritance.
        this.expectName();
        if (this.cur.t === 'name' && (this.cur.v === 'scoped' || this.cur.v === 'required')) this.i++;
        this.expectBlockEnd();
        const { body } = this.parseBody(['endblock']);
        if (this.cur.t === 'name') this.i++;
        this.expectBlockEnd();
        return [{ k: 'With', targets: [], values: [], body }];
      }
      default:
        // Jinja drops the unknown tag before describing the enclosing block (the parse ends here).
        this.tagStack.pop();
        return this.failTagOrEof(name, t);
    }
  }

  private parseIf(): Stmt {
    const test = this.parseTuple({ withCondexpr: false });
    this.expectBlockEnd();
    const { body, ended } = this.parseBody(['elif', 'else', 'endif']);
    const node: Stmt = { k: 'If', test, body, else: [] };
    if (ended === 'elif') {
      node.else = [this.parseIf()];
      return node;
    }
    if (ended === 'else') {
      this.expectBlockEnd();
      node.else = this.parseBody(['endif']).body;
    }
    this.expectBlockEnd();
    return node;
  }

  private parseFor(): Stmt {
    const target = this.parseAssignTarget(['in'], false);
    this.expectName('in');
    const iter = this.parseTuple({ withCondexpr: false, endNames: ['recursive'] });
    let filter: Expr | null = null;
    if (this.skipName('if')) filter = this.parseExpression();
    const recursive = this.skipName('recursive');
    this.expectBlockEnd();
    this.loopDepth++;
    const first = this.parseBody(['endfor', 'else']);
    this.loopDepth--;
    let elseBody: Stmt[] = [];
    if (first.ended === 'else') {
      this.expectBlockEnd();
      elseBody = this.parseBody(['endfor']).body;
    }
    this.expectBlockEnd();
    return { k: 'For', target, iter, filter, body: first.body, else: elseBody, recursive };
  }

  private parseSet(): Stmt {
    const target = this.parseAssignTarget(null, true);
    if (this.skipOp('=')) {
      const value = this.parseTuple({});
      this.expectBlockEnd();
      return { k: 'Set', target, value };
    }
    const filter = this.isOp('|') ? this.parseFilterChain(null, false) : null;
    this.expectBlockEnd();
    const { body } = this.parseBody(['endset']);
    this.expectBlockEnd();
    return { k: 'SetBlock', target, filter, body };
  }

  private parseSignature(def: MacroDef): void {
    this.expectOp('(');
    while (!this.isOp(')')) {
      if (def.params.length) this.expectOp(',');
      if (this.isOp(')')) break;
      const name = this.expectName();
      if (this.skipOp('=')) def.defaults.push(this.parseExpression());
      else if (def.defaults.some((d) => d !== null)) this.fail('non-default argument follows default argument');
      else def.defaults.push(null);
      def.params.push(name);
    }
    this.expectOp(')');
  }

  private parseMacroBody(def: MacroDef, endTag: string): void {
    const names = new Set<string>();
    this.nameSinks.push(names);
    const saved = this.loopDepth;
    this.loopDepth = 0;
    def.body = this.parseBody([endTag]).body;
    this.loopDepth = saved;
    this.nameSinks.pop();
    def.usesCaller = names.has('caller');
    def.usesVarargs = names.has('varargs');
    def.usesKwargs = names.has('kwargs');
    this.expectBlockEnd();
  }

  private newDef(name: string): MacroDef {
    return { name, params: [], defaults: [], body: [], usesCaller: false, usesVarargs: false, usesKwargs: false };
  }

  private parseMacro(): Stmt {
    const def = this.newDef(this.expectName());
    this.parseSignature(def);
    this.expectBlockEnd();
    this.parseMacroBody(def, 'endmacro');
    return { k: 'Macro', def };
  }

  private parseCallBlock(): Stmt {
    const def = this.newDef('caller');
    if (this.isOp('(')) this.parseSignature(def);
    const call = this.parseExpression();
    if (call.k !== 'Call') this.fail('expected call');
    this.expectBlockEnd();
    this.parseMacroBody(def, 'endcall');
    return { k: 'CallBlock', call, def };
  }

  private parseFilterBlock(): Stmt {
    const filter = this.parseFilterChain(null, true);
    this.expectBlockEnd();
    const { body } = this.parseBody(['endfilter']);
    this.expectBlockEnd();
    return { k: 'FilterBlock', filter, body };
  }

  private parseWith(): Stmt {
    const targets: Target[] = [];
    const values: Expr[] = [];
    while (this.cur.t !== 'block_end') {
      if (targets.length) this.expectOp(',');
      targets.push(this.parseAssignTarget(null, false));
      this.expectOp('=');
      values.push(this.parseExpression());
    }
    this.expectBlockEnd();
    const { body } = this.parseBody(['endwith']);
    this.expectBlockEnd();
    return { k: 'With', targets, values, body };
  }

  private parseAssignTarget(endNames: string[] | null, withNamespace: boolean): Target {
    if (withNamespace && this.cur.t === 'name' && this.isOp('.', this.peek())) {
      const name = this.next().v as string;
      this.next();
      const attr = this.expectName();
      return { k: 'NSRef', name, attr };
    }
    const e = this.parseTuple({ simplified: true, endNames: endNames ?? undefined });
    return this.toTarget(e);
  }

  private toTarget(e: Expr): Target {
    if (e.k === 'Name') {
      if (['true', 'false', 'none', 'True', 'False', 'None'].includes(e.name)) this.fail(`can't assign to '${e.name}'`);
      return { k: 'Name', name: e.name };
    }
    if (e.k === 'Tuple') return { k: 'Tuple', items: e.items.map((x) => this.toTarget(x)) };
    return this.fail(`can't assign to ${e.k}`);
  }

  // ---- expressions -------------------------------------------------------

  private parseExpression(withCondexpr = true): Expr {
    return withCondexpr ? this.parseCondexpr() : this.parseOr();
  }

  private parseCondexpr(): Expr {
    let e = this.parseOr();
    while (this.skipName('if')) {
      const test = this.parseOr();
      const alt = this.skipName('else') ? this.parseCondexpr() : null;
      e = { k: 'Cond', test, then: e, else: alt };
    }
    return e;
  }

  private parseOr(): Expr {
    let left = this.parseAnd();
    while (this.skipName('or')) left = { k: 'Or', left, right: this.parseAnd() };
    return left;
  }

  private parseAnd(): Expr {
    let left = this.parseNot();
    while (this.skipName('and')) left = { k: 'And', left, right: this.parseNot() };
    return left;
  }

  private parseNot(): Expr {
    if (this.skipName('not')) return { k: 'Not', node: this.parseNot() };
    return this.parseCompare();
  }

  private parseCompare(): Expr {
    const first = this.parseMath1();
    const ops: CmpOp[] = [];
    const rest: Expr[] = [];
    for (;;) {
      const t = this.cur;
      if (t.t === 'op' && CMP_OPS[t.v as string]) {
        this.i++;
        ops.push(CMP_OPS[t.v as string]!);
      } else if (this.isName('in')) {
        this.i++;
        ops.push('in');
      } else if (this.isName('not') && this.isName('in', this.peek())) {
        this.i += 2;
        ops.push('notin');
      } else break;
      rest.push(this.parseMath1());
    }
    return ops.length ? { k: 'Compare', first, ops, rest } : first;
  }

  private parseMath1(): Expr {
    let left = this.parseConcat();
    while (this.isOp('+') || this.isOp('-')) {
      const op = this.next().v as BinOp;
      left = { k: 'Bin', op, left, right: this.parseConcat() };
    }
    return left;
  }

  private parseConcat(): Expr {
    const items = [this.parseMath2()];
    while (this.skipOp('~')) items.push(this.parseMath2());
    return items.length === 1 ? items[0]! : { k: 'Concat', items };
  }

  private parseMath2(): Expr {
    let left = this.parsePow();
    while (this.isOp('*') || this.isOp('/') || this.isOp('//') || this.isOp('%')) {
      const op = this.next().v as BinOp;
      left = { k: 'Bin', op, left, right: this.parsePow() };
    }
    return left;
  }

  private parsePow(): Expr {
    let left = this.parseUnary();
    while (this.skipOp('**')) left = { k: 'Bin', op: '**', left, right: this.parseUnary() };
    return left;
  }

  private parseUnary(withFilter = true): Expr {
    let node: Expr;
    if (this.skipOp('-')) node = { k: 'Neg', node: this.parseUnary(false) };
    else if (this.skipOp('+')) node = { k: 'Pos', node: this.parseUnary(false) };
    else node = this.parsePrimary();
    node = this.parsePostfix(node);
    if (withFilter) node = this.parseFilterExpr(node);
    return node;
  }

  private parsePrimary(): Expr {
    const t = this.cur;
    switch (t.t) {
      case 'name': {
        this.i++;
        const v = t.v as string;
        if (v === 'true' || v === 'True') return { k: 'Const', v: true };
        if (v === 'false' || v === 'False') return { k: 'Const', v: false };
        if (v === 'none' || v === 'None') return { k: 'Const', v: null };
        for (const sink of this.nameSinks) sink.add(v);
        return { k: 'Name', name: v };
      }
      case 'string': {
        let s = t.v as string;
        this.i++;
        while (this.cur.t === 'string') s += this.next().v as string;
        return { k: 'Const', v: s };
      }
      case 'int':
        this.i++;
        return { k: 'Const', v: t.v };
      case 'float':
        this.i++;
        return { k: 'Const', v: floatConst(t.v as number) };
      case 'op':
        if (t.v === '(') {
          this.i++;
          const e = this.parseTuple({ explicitParens: true });
          this.expectOp(')');
          return e;
        }
        if (t.v === '[') return this.parseList();
        if (t.v === '{') return this.parseDict();
    }
    return this.fail(`unexpected ${strRepr(describe(t))}`);
  }

  private parseTuple(o: {
    simplified?: boolean;
    withCondexpr?: boolean;
    endNames?: string[];
    explicitParens?: boolean;
  }): Expr {
    const items: Expr[] = [];
    let isTuple = false;
    for (;;) {
      if (items.length) this.expectOp(',');
      if (this.isTupleEnd(o.endNames)) break;
      items.push(o.simplified ? this.parsePrimary() : this.parseExpression(o.withCondexpr ?? true));
      if (this.isOp(',')) isTuple = true;
      else break;
    }
    if (!isTuple) {
      if (items.length) return items[0]!;
      if (!o.explicitParens) this.fail(`Expected an expression, got ${strRepr(describe(this.cur))}`);
    }
    return { k: 'Tuple', items };
  }

  private isTupleEnd(endNames?: string[]): boolean {
    const t = this.cur;
    if (t.t === 'var_end' || t.t === 'block_end' || t.t === 'eof') return true;
    if (t.t === 'op' && (t.v === ')' || t.v === ']' || t.v === '}')) return true;
    if (endNames && t.t === 'name' && endNames.includes(t.v as string)) return true;
    return false;
  }

  private parseList(): Expr {
    this.expectOp('[');
    const items: Expr[] = [];
    while (!this.isOp(']')) {
      if (items.length) this.expectOp(',');
      if (this.isOp(']')) break;
      items.push(this.parseExpression());
    }
    this.expectOp(']');
    return { k: 'List', items };
  }

  private parseDict(): Expr {
    this.expectOp('{');
    const keys: Expr[] = [];
    const values: Expr[] = [];
    while (!this.isOp('}')) {
      if (keys.length) this.expectOp(',');
      if (this.isOp('}')) break;
      keys.push(this.parseExpression());
      this.expectOp(':');
      values.push(this.parseExpression());
    }
    this.expectOp('}');
    return { k: 'Dict', keys, values };
  }

  private parsePostfix(node: Expr): Expr {
    for (;;) {
      if (this.isOp('.') || this.isOp('[')) node = this.parseSubscript(node);
      else if (this.isOp('(')) node = this.parseCall(node);
      else return node;
    }
  }

  private parseFilterExpr(node: Expr): Expr {
    for (;;) {
      if (this.isOp('|')) node = this.parseFilterChain(node, false);
      else if (this.isName('is')) node = this.parseTest(node);
      else if (this.isOp('(')) node = this.parseCall(node);
      else return node;
    }
  }

  private parseSubscript(node: Expr): Expr {
    const t = this.next();
    if (t.v === '.') {
      const a = this.next();
      if (a.t === 'name') return { k: 'Getattr', obj: node, name: a.v as string };
      if (a.t === 'int') return { k: 'Getitem', obj: node, index: { k: 'Const', v: a.v } };
      return this.fail('expected name or number', a);
    }
    const args: Expr[] = [];
    while (!this.isOp(']')) {
      if (args.length) this.expectOp(',');
      args.push(this.parseSubscribed());
    }
    this.expectOp(']');
    const index: Expr = args.length === 1 ? args[0]! : { k: 'Tuple', items: args };
    return { k: 'Getitem', obj: node, index };
  }

  private parseSubscribed(): Expr {
    const parts: (Expr | null)[] = [];
    if (this.isOp(':')) {
      this.i++;
      parts.push(null);
    } else {
      const e = this.parseExpression();
      if (!this.isOp(':')) return e;
      this.i++;
      parts.push(e);
    }
    if (this.isOp(':')) parts.push(null);
    else if (!this.isOp(']') && !this.isOp(',')) parts.push(this.parseExpression());
    else parts.push(null);
    if (this.skipOp(':')) {
      if (!this.isOp(']') && !this.isOp(',')) parts.push(this.parseExpression());
      else parts.push(null);
    } else parts.push(null);
    return { k: 'Slice', start: parts[0]!, stop: parts[1]!, step: parts[2]! };
  }

  private parseCallArgs(): { args: Expr[]; kwargs: KwArg[]; star: Expr | null; dstar: Expr | null } {
    this.expectOp('(');
    const args: Expr[] = [];
    const kwargs: KwArg[] = [];
    let star: Expr | null = null;
    let dstar: Expr | null = null;
    let first = true;
    while (!this.isOp(')')) {
      if (!first) {
        this.expectOp(',');
        if (this.isOp(')')) break;
      }
      first = false;
      if (this.skipOp('*')) star = this.parseExpression();
      else if (this.skipOp('**')) dstar = this.parseExpression();
      else if (this.cur.t === 'name' && this.isOp('=', this.peek())) {
        const key = this.next().v as string;
        this.next();
        kwargs.push([key, this.parseExpression()]);
      } else {
        if (kwargs.length || star || dstar) this.fail('positional argument follows keyword argument');
        args.push(this.parseExpression());
      }
    }
    this.expectOp(')');
    return { args, kwargs, star, dstar };
  }

  private parseCall(fn: Expr): Expr {
    const a = this.parseCallArgs();
    return { k: 'Call', fn, ...a };
  }

  /** `|name(args)|name2...`; with `startInline` the first pipe is implicit (filter blocks). */
  private parseFilterChain(node: Expr | null, startInline: boolean): Expr {
    let first = true;
    while (this.isOp('|') || (startInline && first)) {
      if (!(startInline && first)) this.i++;
      first = false;
      let name = this.expectName();
      while (this.isOp('.')) {
        this.i++;
        name += '.' + this.expectName();
      }
      let args: Expr[] = [];
      let kwargs: KwArg[] = [];
      let star: Expr | null = null;
      let dstar: Expr | null = null;
      if (this.isOp('(')) ({ args, kwargs, star, dstar } = this.parseCallArgs());
      node = { k: 'Filter', node, name, args, kwargs, star, dstar };
    }
    return node!;
  }

  private parseTest(node: Expr): Expr {
    this.i++; // `is`
    const negate = this.skipName('not');
    let name = this.expectName();
    while (this.isOp('.')) {
      this.i++;
      name += '.' + this.expectName();
    }
    let args: Expr[] = [];
    let kwargs: KwArg[] = [];
    const t = this.cur;
    if (this.isOp('(')) ({ args, kwargs } = this.parseCallArgs());
    else if (
      (PRIMARY_START.has(t.t) || (t.t === 'op' && (t.v === '(' || t.v === '[' || t.v === '{'))) &&
      !(t.t === 'name' && (t.v === 'else' || t.v === 'or' || t.v === 'and'))
    ) {
      if (this.isName('is')) this.fail('You cannot chain multiple tests with is');
      args = [this.parsePostfix(this.parsePrimary())];
    }
    return { k: 'Test', node, name, args, kwargs, negate };
  }
}

/** Jinja's describe_token: a name's value, an operator's symbol, else the token type's description. */
function describe(t: Token): string {
  switch (t.t) {
    case 'eof':
      return 'end of template';
    case 'block_end':
      return 'end of statement block';
    case 'var_end':
      return 'end of print statement';
    case 'block_begin':
      return 'begin of statement block';
    case 'var_begin':
      return 'begin of print statement';
    case 'data':
      return 'template data / text';
    case 'int':
      return 'integer';
    case 'float':
    case 'string':
      return t.t;
    default:
      return String(t.v);
  }
}

function floatConst(v: number): unknown {
  return Number.isInteger(v) ? new PyFloat(v) : v;
}
