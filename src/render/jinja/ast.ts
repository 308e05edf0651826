/** AST produced by parser.ts and walked by interpreter.ts (shapes follow Jinja2's nodes). */

export type Expr =
  | { k: 'Const'; v: unknown }
  | { k: 'Name'; name: string }
  | { k: 'List'; items: Expr[] }
  | { k: 'Tuple'; items: Expr[] }
  | { k: 'Dict'; keys: Expr[]; values: Expr[] }
  | { k: 'Getattr'; obj: Expr; name: string }
  | { k: 'Getitem'; obj: Expr; index: Expr }
  | { k: 'Slice'; start: Expr | null; stop: Expr | null; step: Expr | null }
  | { k: 'Call'; fn: Expr; args: Expr[]; kwargs: KwArg[]; star: Expr | null; dstar: Expr | null }
  | {
      k: 'Filter';
      node: Expr | null;
      name: string;
      args: Expr[];
      kwargs: KwArg[];
      star: Expr | null;
      dstar: Expr | null;
    }
  | { k: 'Test'; node: Expr; name: string; args: Expr[]; kwargs: KwArg[]; negate: boolean }
  | { k: 'Cond'; test: Expr; then: Expr; else: Expr | null }
  | { k: 'Bin'; op: BinOp; left: Expr; right: Expr }
  | { k: 'Concat'; items: Expr[] }
  | { k: 'And'; left: Expr; right: Expr }
  | { k: 'Or'; left: Expr; right: Expr }
  | { k: 'Not'; node: Expr }
  | { k: 'Neg'; node: Expr }
  | { k: 'Pos'; node: Expr }
  | { k: 'Compare'; first: Expr; ops: CmpOp[]; rest: Expr[] };

export type BinOp = '+' | '-' | '*' | '/' | '//' | '%' | '**';
export type CmpOp = 'eq' | 'ne' | 'lt' | 'lteq' | 'gt' | 'gteq' | 'in' | 'notin';
export type KwArg = [string, Expr];

export type Target =
  { k: 'Name'; name: string } | { k: 'Tuple'; items: Target[] } | { k: 'NSRef'; name: string; attr: string };

export interface MacroDef {
  name: string;
  params: string[];
  defaults: (Expr | null)[];
  body: Stmt[];
  /** Body references `caller` / `varargs` / `kwargs` (Jinja decides arity from this). */
  usesCaller: boolean;
  usesVarargs: boolean;
  usesKwargs: boolean;
}

export type Stmt =
  | { k: 'Text'; s: string }
  | { k: 'Print'; e: Expr }
  | { k: 'If'; test: Expr; body: Stmt[]; else: Stmt[] }
  | { k: 'For'; target: Target; iter: Expr; filter: Expr | null; body: Stmt[]; else: Stmt[]; recursive: boolean }
  | { k: 'Set'; target: Target; value: Expr }
  | { k: 'SetBlock'; target: Target; filter: Expr | null; body: Stmt[] }
  | { k: 'Macro'; def: MacroDef }
  | { k: 'CallBlock'; call: Expr & { k: 'Call' }; def: MacroDef }
  | { k: 'FilterBlock'; filter: Expr; body: Stmt[] }
  | { k: 'With'; targets: Target[]; values: Expr[]; body: Stmt[] }
  | { k: 'Break' }
  | { k: 'Continue' }
  | { k: 'Generation'; body: Stmt[] }
  | { k: 'Do'; e: Expr };
