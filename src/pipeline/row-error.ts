import type { RejectedRow } from '../types.js';

/** Raised under `--on-error fail` at the first bad row. (Its own module: the package root exports it without loading the pipeline.) */
export class RowError extends Error {
  override name = 'RowError';
  constructor(readonly reject: RejectedRow) {
    super(`${reject.ref.file}:${reject.ref.line}: ${reject.reason}: ${reject.message}`);
  }
}
