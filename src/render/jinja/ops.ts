/** Python comparison and membership operators, and the marker of groupby's result tuples. */
import { pyError } from '../errors.js';
import type { CmpOp } from './ast.js';
import { MISSING, PyIter, Undef, dictGet, isDict, pyCompare, pyEq, strOf, typeName } from './values.js';

export const GROUP: unique symbol = Symbol('group');
export function isGroupTuple(v: unknown): boolean {
  return Array.isArray(v) && (v as unknown as Record<symbol, unknown>)[GROUP] === true;
}

export function containsOp(container: unknown, item: unknown): boolean {
  if (container instanceof Undef) return false;
  const cs = strOf(container);
  if (cs !== null) {
    const is = strOf(item);
    if (is === null) throw pyError('TypeError', `'in <string>' requires string as left operand, not ${typeName(item)}`);
    return cs.includes(is);
  }
  if (Array.isArray(container)) {
    for (const x of container) if (pyEq(x, item)) return true;
    return false;
  }
  if (isDict(container)) return dictGet(container, item) !== MISSING;
  if (container instanceof PyIter) {
    for (const x of container.isView ? container.items : container.take()) if (pyEq(x, item)) return true;
    return false;
  }
  throw pyError('TypeError', `argument of type '${typeName(container)}' is not iterable`);
}

export function compareOp(op: CmpOp, a: unknown, b: unknown): boolean {
  switch (op) {
    case 'eq':
      return pyEq(a, b);
    case 'ne':
      return !pyEq(a, b);
    case 'lt':
      return pyCompare(a, b, op) < 0;
    case 'lteq':
      return pyCompare(a, b, op) <= 0;
    case 'gt':
      return pyCompare(a, b, op) > 0;
    case 'gteq':
      return pyCompare(a, b, op) >= 0;
    case 'in':
      return containsOp(b, a);
    case 'notin':
      return !containsOp(b, a);
  }
}
