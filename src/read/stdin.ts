/** Name used in error messages for standard input (its own module: the CLI needs it before any reader). */
export const STDIN = '<stdin>';
