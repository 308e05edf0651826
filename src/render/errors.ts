/**
 * Errors raised while compiling or rendering a chat template.
 *
 * `pyType` carries the Python exception class Jinja2/transformers would raise
 * (TemplateError, UndefinedError, TypeError, SecurityError, TemplateSyntaxError, ...)
 * so reports can say `<pyType>: <message>` like the goldens do.
 */
export class TemplateError extends Error {
  readonly pyType: string;
  /** Text Python appends to the message (long, e.g. the whole rendered chat); not part of `message`. */
  pyDetail?: string;
  constructor(message: string, pyType = 'TemplateError') {
    super(message);
    this.name = 'TemplateError';
    this.pyType = pyType;
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
