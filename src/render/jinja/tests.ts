/** Jinja2 3.1 builtin tests (`x is name(args)`), with Python type semantics. */
import { pyError } from '../errors.js';
import { LoopCtx } from './loop.js';
import { compareOp } from './ops.js';
import type { TestFn } from './runtime.js';
import {
  Markup,
  PyCallable,
  PyFloat,
  PyIter,
  Undef,
  isDict,
  isNumber,
  numVal,
  pyStr,
  strOf,
  typeName,
} from './values.js';

export type { TestFn } from './runtime.js';

function isString(v: unknown): boolean {
  return typeof v === 'string' || v instanceof Markup;
}

const table: [string[], TestFn][] = [
  [['defined'], (_i, v) => !(v instanceof Undef) && v !== undefined],
  [['undefined'], (_i, v) => v instanceof Undef || v === undefined],
  [['none'], (_i, v) => v === null],
  [['boolean'], (_i, v) => typeof v === 'boolean'],
  [['false'], (_i, v) => v === false],
  [['true'], (_i, v) => v === true],
  [['integer'], (_i, v) => typeof v === 'number' && Number.isInteger(v)],
  [['float'], (_i, v) => v instanceof PyFloat || (typeof v === 'number' && !Number.isInteger(v))],
  [['number'], (_i, v) => isNumber(v)],
  [['string'], (_i, v) => isString(v)],
  [['mapping'], (_i, v) => isDict(v)],
  [['sequence'], (_i, v) => isString(v) || Array.isArray(v) || isDict(v) || v instanceof Undef],
  [['iterable'], (_i, v) => isString(v) || Array.isArray(v) || isDict(v) || v instanceof Undef || v instanceof PyIter],
  [['callable'], (_i, v) => v instanceof PyCallable || v instanceof LoopCtx],
  [['sameas'], (_i, v, a) => v === a[0] || (v instanceof PyFloat && a[0] instanceof PyFloat && v.v === a[0].v)],
  [['escaped'], (_i, v) => v instanceof Markup],
  [
    ['odd'],
    (_i, v) => {
      if (v instanceof Undef) v.fail();
      if (!isNumber(v)) throw pyError('TypeError', `unsupported operand type(s) for %: '${typeName(v)}' and 'int'`);
      return Math.abs(numVal(v) % 2) === 1;
    },
  ],
  [
    ['even'],
    (_i, v) => {
      if (v instanceof Undef) v.fail();
      if (!isNumber(v)) throw pyError('TypeError', `unsupported operand type(s) for %: '${typeName(v)}' and 'int'`);
      return numVal(v) % 2 === 0;
    },
  ],
  [
    ['divisibleby'],
    (_i, v, a) => {
      if (v instanceof Undef) v.fail();
      return numVal(v) % numVal(a[0]) === 0;
    },
  ],
  [
    ['lower'],
    (_i, v) => {
      const s = pyStr(v);
      return /\p{Ll}/u.test(s) && !/[\p{Lu}\p{Lt}]/u.test(s);
    },
  ],
  [
    ['upper'],
    (_i, v) => {
      const s = pyStr(v);
      return /[\p{Lu}\p{Lt}]/u.test(s) && !/\p{Ll}/u.test(s);
    },
  ],
  [
    ['filter'],
    (it, v) => {
      const s = strOf(v);
      return s !== null && it.filters.has(s);
    },
  ],
  [
    ['test'],
    (it, v) => {
      const s = strOf(v);
      return s !== null && it.tests.has(s);
    },
  ],
  [['in'], (_i, v, a) => compareOp('in', v, a[0])],
  [['==', 'eq', 'equalto'], (_i, v, a) => compareOp('eq', v, a[0])],
  [['!=', 'ne'], (_i, v, a) => compareOp('ne', v, a[0])],
  [['>', 'gt', 'greaterthan'], (_i, v, a) => compareOp('gt', v, a[0])],
  [['>=', 'ge'], (_i, v, a) => compareOp('gteq', v, a[0])],
  [['<', 'lt', 'lessthan'], (_i, v, a) => compareOp('lt', v, a[0])],
  [['<=', 'le'], (_i, v, a) => compareOp('lteq', v, a[0])],
];

export const TESTS = new Map<string, TestFn>();
for (const [names, fn] of table) for (const n of names) TESTS.set(n, fn);
