/**
 * What filters, tests and methods may ask of the interpreter that runs them. Typing them against
 * this interface, not the Interpreter class, keeps the import graph one way: interpreter → filters /
 * tests / methods → runtime.
 */
import type { Kwargs } from './values.js';

export interface Runtime {
  /** Count a unit of work against the render's time budget. */
  tick(): void;
  /** Check a result length against the render's output budget. */
  checkLen(n: number): void;
  getAttr(obj: unknown, name: string): unknown;
  /** Attribute access that raises on a missing attribute (for `attribute=` arguments). */
  getAttrStrict(obj: unknown, name: string): unknown;
  getItem(obj: unknown, key: unknown): unknown;
  binop(op: string, a: unknown, b: unknown): unknown;
  readonly filters: ReadonlyMap<string, FilterFn>;
  readonly tests: ReadonlyMap<string, TestFn>;
}

export type FilterFn = (it: Runtime, v: unknown, args: unknown[], kw: Kwargs | null) => unknown;
export type TestFn = (it: Runtime, v: unknown, args: unknown[]) => unknown;
