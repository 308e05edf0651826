// The CLI's view of the option table: pipeline files and flag validation live in src/options/.
export { buildOptions, readPipelineFile, UsageError } from '../options/build.js';

/**
 * Library messages name options as `camelCase` in backticks; on the command line they are flags.
 *
 * @example
 *   cliWording('set one with `padToken`')   // → 'set one with --pad-token'
 */
export function cliWording(message: string): string {
  return message.replace(
    /`([a-z][A-Za-z]*)`/g,
    (_, k: string) => '--' + k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase()),
  );
}
