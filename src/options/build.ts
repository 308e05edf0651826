import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { TOKEN_COLUMNS } from '../dataset/columns.js';
import { parseRoleMap } from '../normalize/mapping.js';
import { DEFAULTS, flagOf, keyOf, OPTIONS, type OptionSpec, type TableOptions } from './table.js';

/** A usage problem: bad option value, unknown or missing option. The CLI exits 2 on it. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** How messages name options: `--max-length` for the CLI, `maxLength` for library callers. */
export type Wording = 'flag' | 'key';

const nameOf = (key: string, wording: Wording) => (wording === 'flag' ? `--${flagOf(key)}` : key);
const specOf = (key: string): OptionSpec | undefined => (OPTIONS as Record<string, OptionSpec>)[key];

/** Keys a pipeline file may carry besides options (ignored). */
const COMMENT_KEYS = new Set(['$comment', 'description']);

/**
 * Read a pipeline JSON file (keys as the CLI flags, kebab-case or camelCase). Relative paths are
 * resolved against the file's folder, so a pipeline runs the same from any working directory;
 * `chat-template` is only treated as a path when such a file exists (it may be a template name).
 *
 * @example readPipelineFile('pipeline/default.json') // { input: ['/abs/samples/...'], tokenizer: '/abs/...', ... }
 */
export function readPipelineFile(path: string): Partial<TableOptions> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(
      `pipeline file ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : (e as Error).message}`,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`pipeline file ${path} is not JSON (${(e as Error).message})`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw new UsageError(`pipeline file ${path}: expected a JSON object`);
  const base = dirname(resolve(path));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    if (COMMENT_KEYS.has(k)) continue;
    const key = keyOf(k);
    const spec = specOf(key);
    if (!spec) throw new UsageError(`pipeline file ${path}: unknown option "${k}"`);
    const fix = (p: unknown) => {
      if (typeof p !== 'string' || p === '-' || isAbsolute(p)) return p;
      const abs = resolve(base, p);
      return key === 'chatTemplate' && !existsSync(abs) ? p : abs;
    };
    const value = spec.kind === 'strings' && typeof v === 'string' ? [v] : v;
    out[key] = spec.path ? (Array.isArray(value) ? value.map(fix) : fix(value)) : value;
  }
  return out as Partial<TableOptions>;
}

/** Check one value against its table entry; returns the value in its canonical form. */
function checkValue(key: string, spec: OptionSpec, v: unknown, wording: Wording): unknown {
  const name = nameOf(key, wording);
  const fail = (what: string): never => {
    throw new UsageError(`${name} must be ${what}, got ${JSON.stringify(v)}`);
  };
  if (Array.isArray(v) && spec.kind !== 'strings' && spec.kind !== 'json') {
    throw new UsageError(
      `${name} was given ${v.length} times (${v.map((x) => JSON.stringify(x)).join(', ')}); give it once`,
    );
  }
  switch (spec.kind) {
    case 'boolean':
      if (typeof v !== 'boolean') fail('true or false');
      return v;
    case 'number':
      if (typeof v !== 'number' || Number.isNaN(v)) fail('a number');
      if (spec.integer === 'positive' && (!Number.isInteger(v) || (v as number) < 1)) fail('a positive integer');
      if (spec.integer === 'nonNegative' && (!Number.isInteger(v) || (v as number) < 0)) fail('an integer >= 0');
      return v;
    case 'strings': {
      const list = typeof v === 'string' ? [v] : v;
      if (!Array.isArray(list) || !list.every((x) => typeof x === 'string')) fail('a list of strings');
      if (!spec.commaList) return list;
      const names = (list as string[]).flatMap((x) => x.split(',')).map((x) => x.trim());
      if (names.some((x) => x === '')) fail('a comma-separated list of non-empty names');
      return names;
    }
    case 'json': {
      let obj = v;
      if (typeof v === 'string') {
        try {
          obj = JSON.parse(v);
        } catch {
          fail('a JSON object');
        }
      }
      if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) fail('a JSON object');
      return obj;
    }
    case 'boolean-or-string':
      if (typeof v !== 'boolean' && typeof v !== 'string') fail('true, false or a field name');
      return v;
    case 'role-map':
      try {
        return parseRoleMap(v as string | Record<string, unknown>);
      } catch (e) {
        throw new UsageError(`${name}: ${(e as Error).message.replace(/^role-map: /, '')}`);
      }
    case 'string':
      if (typeof v !== 'string') fail('a string');
      // A field name or prompt given as an empty string is a mistake, not a choice.
      if (v === '' && key.endsWith('Field')) fail('a non-empty field name');
      if (spec.choices && !spec.choices.includes(v as string)) {
        throw new UsageError(`${name} must be one of ${spec.choices.join(', ')}, got ${String(v)}`);
      }
      return v;
  }
}

/** What `buildOptions` must find set (the run command needs all three). */
export interface BuildRequirements {
  input?: boolean;
  tokenizer?: boolean;
  output?: boolean;
}

const REQUIRED_HELP: Record<string, string> = {
  input: 'JSONL files, folders, globs or -',
  tokenizer: 'folder with tokenizer.json, or a Hub id',
  output: 'folder',
};

/**
 * Merge defaults < pipeline file < flags (undefined values ignored), check every value against the
 * table, and the rules between options. Throws `UsageError` naming the option as the caller knows
 * it (`--max-length` on the CLI, `maxLength` in the library).
 *
 * @example buildOptions({}, { input: ['a.jsonl'], tokenizer: './tok', output: 'out', maxLength: 2048 })
 */
export function buildOptions(
  file: Partial<TableOptions>,
  flags: Partial<TableOptions>,
  {
    wording = 'flag',
    require = { input: true, tokenizer: true, output: true },
  }: { wording?: Wording; require?: BuildRequirements } = {},
): TableOptions {
  const o: Record<string, unknown> = structuredClone(DEFAULTS) as Record<string, unknown>;
  for (const layer of [file, flags] as Record<string, unknown>[]) {
    for (const [k, v] of Object.entries(layer)) {
      if (v === undefined) continue;
      const spec = specOf(k);
      if (!spec) throw new UsageError(`unknown option ${nameOf(k, wording)}`);
      o[k] = checkValue(k, spec, v, wording);
    }
  }
  for (const key of ['input', 'tokenizer', 'output'] as const) {
    const v = o[key];
    if (require[key] && (v === undefined || (Array.isArray(v) && v.length === 0)))
      throw new UsageError(`missing ${nameOf(key, wording)} (${REQUIRED_HELP[key]})`);
  }
  const opts = o as TableOptions;
  if (opts.padding === 'max_length' && opts.maxLength === undefined)
    throw new UsageError(`${nameOf('padding', wording)} max_length needs ${nameOf('maxLength', wording)}`);
  if (opts.now !== undefined && Number.isNaN(Date.parse(opts.now)))
    throw new UsageError(`${nameOf('now', wording)} must be an ISO date, got ${opts.now}`);
  checkKeepColumns(opts, wording);
  if (opts.addGenerationPrompt && opts.continueFinalMessage)
    throw new UsageError(
      `${nameOf('continueFinalMessage', wording)} and ${nameOf('addGenerationPrompt', wording)} are incompatible (as in transformers)`,
    );
  return opts;
}

/**
 * Kept input columns must be distinct, must not take an output column's name, and cannot be used
 * with packing (a packed row mixes several input rows, so it has no single id to carry).
 */
function checkKeepColumns(opts: TableOptions, wording: Wording): void {
  const keep = opts.keepColumns;
  if (keep === undefined || keep.length === 0) return;
  const name = nameOf('keepColumns', wording);
  const dup = keep.find((k, i) => keep.indexOf(k) !== i);
  if (dup !== undefined) throw new UsageError(`${name}: column ${JSON.stringify(dup)} is named twice`);
  const taken = keep.find((k) => (TOKEN_COLUMNS as readonly string[]).includes(k));
  if (taken !== undefined)
    throw new UsageError(
      `${name}: ${JSON.stringify(taken)} is an output column name (${TOKEN_COLUMNS.join(', ')}); rename the input field`,
    );
  if (opts.packing)
    throw new UsageError(
      `${name} cannot be used with ${nameOf('packing', wording)}: a packed row mixes several input rows, so it has no single value per column`,
    );
}
