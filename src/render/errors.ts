/**
 * Errors raised while compiling or rendering a chat template.
 *
 * `pyType` is the Python exception class Jinja2/transformers raises for the same template and input
 * (TypeError, UndefinedError, TemplateSyntaxError, ValueError, SecurityError, ...), and it is also the
 * error's `name`, so `${e.name}: ${e.message}` prints the line Python prints, e.g.
 * `TypeError: can only concatenate str (not "list") to str`. Syntax errors keep their template line in
 * `lineno` (Python keeps it out of the message too).
 */
export class TemplateError extends Error {
  readonly pyType: string;
  readonly lineno: number | undefined;
  /** Text Python appends to the message (long, e.g. the whole rendered chat); not part of `message`. */
  pyDetail?: string;
  constructor(message: string, pyType = 'TemplateError', lineno?: number) {
    super(message);
    this.name = pyType;
    this.pyType = pyType;
    this.lineno = lineno;
  }
}

/** A render ran past its time or output-size budget. */
export class RenderLimitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RenderLimitError';
  }
}

/** Shorthand used by the interpreter for Python-typed runtime errors. */
export function pyError(pyType: string, message: string): TemplateError {
  return new TemplateError(message, pyType);
}
