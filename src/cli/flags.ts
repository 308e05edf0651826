import type { Argv, Options } from 'yargs';
import { flagOf, optionsOf, type Command, type OptionSpec } from '../options/table.js';

/** The `[default: …]` note of an option's help line. */
function defaultText(s: OptionSpec): string | undefined {
  if (s.defaultNote) return s.defaultNote;
  if (s.default === undefined) return undefined;
  return Array.isArray(s.default) ? s.default.join(' ') : String(s.default);
}

/** yargs settings for one table entry. No yargs defaults: a pipeline file may set the value. */
function yargsOption(s: OptionSpec): Options {
  const def = defaultText(s);
  const o: Options = { describe: def === undefined ? s.describe : `${s.describe} [default: ${def}]`, group: s.group };
  if (s.alias) o.alias = s.alias;
  switch (s.kind) {
    case 'boolean':
      o.type = 'boolean';
      break;
    case 'number':
      // Parsed here rather than by yargs, which turns `abc` into NaN: the usage error then shows what was typed.
      o.type = 'string';
      o.coerce = (v: unknown) => {
        if (typeof v !== 'string' || v.trim() === '') return v;
        const n = Number(v);
        return Number.isNaN(n) ? v : n;
      };
      break;
    case 'strings':
      o.type = 'string';
      o.array = true;
      break;
    case 'boolean-or-string':
      // `--continue-final-message` alone is true; with a value it names the message field.
      o.coerce = (v: unknown) => (v === '' || v === true || v === 'true' ? true : v === 'false' ? false : v);
      break;
    default:
      // string, json and role-map values arrive as text and are parsed by buildOptions.
      o.type = 'string';
  }
  if (s.choices) o.choices = [...s.choices];
  return o;
}

/** Add the table's options of `command` to a yargs builder. */
export function addFlags<T>(y: Argv<T>, command: Command): Argv<T> {
  for (const [key, spec] of optionsOf(command)) y = y.option(flagOf(key), yargsOption(spec)) as Argv<T>;
  return y;
}

/** The table options of `command` found in parsed yargs arguments (camelCase keys). */
export function flagValues(args: Record<string, unknown>, command: Command): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key] of optionsOf(command)) if (args[key] !== undefined) out[key] = args[key];
  return out;
}
