/** "Did you mean" for mistyped flags and commands. */
import { closest, distance } from 'fastest-levenshtein';
import type { Argv } from 'yargs';

/**
 * The known flag closest to a mistyped one (`max_length` → `--max-length`), or undefined when
 * nothing is close. Underscores and case are forgiven before measuring.
 *
 * @example
 *   suggestFlag('max_length', ['max-length', 'padding'])   // → '--max-length'
 */
export function suggestFlag(typed: string, known: string[]): string | undefined {
  if (known.length === 0) return undefined;
  const norm = (s: string) =>
    s
      .replace(/^-+/, '')
      .replace(/_/g, '-')
      .replace(/([a-z])([A-Z])/g, '$1-$2')
      .toLowerCase();
  const t = norm(typed);
  const best = closest(t, known);
  return distance(t, best) <= Math.max(1, Math.floor(best.length / 4)) ? `--${best}` : undefined;
}

/** Append "did you mean" hints to yargs' "Unknown argument(s): a, b" message. */
export function withSuggestions(msg: string, cli: Argv): string {
  const m = /^Unknown arguments?: (.+)$/.exec(msg);
  if (!m) return msg;
  const opts = (cli as unknown as { getOptions(): { key: Record<string, unknown> } }).getOptions();
  const known = Object.keys(opts.key).filter((k) => k.length > 1 && !/[A-Z_]/.test(k) && k !== '$0');
  const typed = m[1]!.split(', ');
  // yargs lists both spellings of a dashed flag (max_length, maxLength); suggest once per flag.
  const hints = [...new Set(typed.map((t) => suggestFlag(t, known)).filter((h): h is string => h !== undefined))];
  return hints.length > 0 ? `${msg} (did you mean ${hints.join(', ')}?)` : msg;
}
