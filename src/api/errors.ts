/**
 * The error `ChatTokenizer` raises where Python transformers raises: `pyType` is the Python exception class
 * (`ValueError`, `TypeError`, `TemplateError`, `UndefinedError`, ...) and `message` is Python's message, so
 * `String(err)` reads like Python's `f"{type(e).__name__}: {e}"`.
 *
 * @example
 *   try { await tok.apply_chat_template(chat, { padding: 'max_length', max_length: 8 }); }
 *   catch (e) { if (e instanceof PythonError && e.pyType === 'ValueError') console.error(e.message); }
 */
export class PythonError extends Error {
  readonly pyType: string;
  constructor(pyType: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.pyType = pyType;
    this.name = pyType;
  }
}

export function valueError(message: string): PythonError {
  return new PythonError('ValueError', message);
}

export function typeError(message: string): PythonError {
  return new PythonError('TypeError', message);
}

/** A render-stage error (which already carries its Python class) as a PythonError; others pass through. */
export function asPythonError(err: unknown): unknown {
  if (err instanceof PythonError) return err;
  const e = err as { pyType?: unknown; pyDetail?: unknown };
  if (err instanceof Error && typeof e.pyType === 'string') {
    const detail = typeof e.pyDetail === 'string' ? e.pyDetail : '';
    return new PythonError(e.pyType, err.message + detail, { cause: err });
  }
  return err;
}
