import type { Argv } from 'yargs';
import { addFlags } from './flags.js';

/** Rows shown when `--rows` is not given: a screenful in the terminal, more in the report. */
export const DEFAULT_ROWS = { terminal: '3', html: '100' };

/**
 * Flags of `chatshard inspect`: its own, plus the table's pipeline options for inspecting input directly.
 * Kept apart from the command so `chatshard --help` and other commands do not load the inspect stage.
 */
export function inspectFlags<T>(y: Argv<T>) {
  return addFlags(y, 'inspect')
    .positional('dataset', { type: 'string', describe: 'Dataset folder written by chatshard (omit with --input)' })
    .option('rows', {
      type: 'string',
      describe: `Rows to show: N (the first N), A:B, A: or :B [default: ${DEFAULT_ROWS.terminal}, ${DEFAULT_ROWS.html} with --html]`,
    })
    .option('ids', { type: 'boolean', default: false, describe: 'Show (id, label) after every token' })
    .option('html', { type: 'string', describe: 'Write a self-contained HTML report (dataset view + row view) here' })
    .option('pipeline', { type: 'string', describe: 'Pipeline JSON file for --input mode (keys as the run flags)' });
}
