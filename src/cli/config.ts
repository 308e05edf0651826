import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parseRoleMap } from '../normalize/mapping.js';
import { DEFAULTS, type PipelineOptions } from '../pipeline/options.js';
import { packOptionsOf } from '../pipeline/packing.js';

/** A usage problem: bad flag value, missing required option. Exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

const camel = (k: string) => k.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** Keys of a pipeline file whose values are paths, resolved against the file's folder. */
const PATH_KEYS = new Set(['input', 'tokenizer', 'output', 'chatTemplate']);

/**
 * Read a pipeline JSON file (keys as the CLI flags, kebab-case or camelCase). Relative paths are
 * resolved against the file's folder, so a pipeline runs the same from any working directory;
 * `chat-template` is only treated as a path when such a file exists (it may be a template name).
 */
export function readPipelineFile(path: string): Partial<PipelineOptions> {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new UsageError(`pipeline file ${path}: ${(e as Error).message}`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw new UsageError(`pipeline file ${path}: expected a JSON object`);
  const base = dirname(resolve(path));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    if (k === '$comment' || k === 'description') continue;
    const key = camel(k);
    if (
      !(key in DEFAULTS) &&
      ![
        'input',
        'tokenizer',
        'output',
        'chatTemplate',
        'templateKwargs',
        'maxLength',
        'truncationSide',
        'paddingSide',
        'padToken',
        'continueFinalMessage',
        'now',
        'messagesField',
        'roleField',
        'contentField',
        'roleMap',
        'toolsField',
        'system',
      ].includes(key)
    ) {
      throw new UsageError(`pipeline file ${path}: unknown option "${k}"`);
    }
    const fix = (p: unknown) => {
      if (typeof p !== 'string' || p === '-' || isAbsolute(p)) return p;
      const abs = resolve(base, p);
      return key === 'chatTemplate' && !existsSync(abs) ? p : abs;
    };
    out[key] = PATH_KEYS.has(key) ? (Array.isArray(v) ? v.map(fix) : fix(v)) : v;
  }
  if (typeof out.input === 'string') out.input = [out.input];
  return out as Partial<PipelineOptions>;
}

/** Merge defaults < pipeline file < flags, and validate. */
export function buildOptions(file: Partial<PipelineOptions>, flags: Partial<PipelineOptions>): PipelineOptions {
  const defined = Object.fromEntries(Object.entries(flags).filter(([, v]) => v !== undefined));
  const o = { ...DEFAULTS, ...file, ...defined } as PipelineOptions;
  if (!o.input || o.input.length === 0) throw new UsageError('missing --input (JSONL files, folders, globs or -)');
  if (!o.tokenizer) throw new UsageError('missing --tokenizer (folder with tokenizer.json, or a Hub id)');
  if (!o.output) throw new UsageError('missing --output folder');
  const oneOf = (name: string, v: unknown, allowed: readonly unknown[]) => {
    if (v !== undefined && !allowed.includes(v))
      throw new UsageError(`--${name} must be one of ${allowed.join(', ')}, got ${String(v)}`);
  };
  oneOf('format', o.format, ['arrow', 'parquet']);
  oneOf('engine', o.engine, ['auto', 'native', 'js']);
  oneOf('masks', o.masks, ['auto', 'generation', 'infer', 'none']);
  oneOf('mask-rule', o.maskRule, ['overlap', 'hf']);
  oneOf('padding', o.padding, ['do_not_pad', 'longest', 'max_length']);
  oneOf('padding-side', o.paddingSide, ['left', 'right']);
  oneOf('truncation-side', o.truncationSide, ['left', 'right']);
  oneOf('train-on-eot', o.trainOnEot, ['all', 'turn', 'last', 'none']);
  oneOf('on-error', o.onError, ['skip', 'fail']);
  const positive = (name: string, v: number | undefined) => {
    if (v !== undefined && (!Number.isInteger(v) || v < 1))
      throw new UsageError(`--${name} must be a positive integer, got ${v}`);
  };
  positive('max-length', o.maxLength);
  positive('batch-size', o.batchSize);
  if (o.workers !== undefined && (!Number.isInteger(o.workers) || o.workers < 0))
    throw new UsageError(`--workers must be an integer >= 0, got ${o.workers}`);
  positive('render-timeout-ms', o.renderTimeoutMs);
  positive('max-render-chars', o.maxRenderChars);
  if (o.padding === 'max_length' && o.maxLength === undefined)
    throw new UsageError('--padding max_length needs --max-length');
  if (o.now !== undefined && Number.isNaN(Date.parse(o.now)))
    throw new UsageError(`--now must be an ISO date, got ${o.now}`);
  if (typeof o.templateKwargs === 'string') {
    try {
      o.templateKwargs = JSON.parse(o.templateKwargs) as Record<string, unknown>;
    } catch {
      throw new UsageError('--template-kwargs must be a JSON object');
    }
  }
  if (
    o.templateKwargs !== undefined &&
    (typeof o.templateKwargs !== 'object' || o.templateKwargs === null || Array.isArray(o.templateKwargs))
  ) {
    throw new UsageError('--template-kwargs must be a JSON object');
  }
  if (o.roleMap !== undefined) {
    try {
      o.roleMap = parseRoleMap(o.roleMap as unknown as string | Record<string, unknown>);
    } catch (e) {
      throw new UsageError(`--${(e as Error).message}`);
    }
  }
  for (const k of ['messagesField', 'roleField', 'contentField', 'toolsField'] as const) {
    const v = o[k];
    if (v !== undefined && (typeof v !== 'string' || v === ''))
      throw new UsageError(`--${k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())} must be a non-empty field name`);
  }
  if (o.system !== undefined && typeof o.system !== 'string') throw new UsageError('--system must be a string');
  if (o.addGenerationPrompt && o.continueFinalMessage) {
    throw new UsageError('--continue-final-message and --add-generation-prompt are incompatible (as in transformers)');
  }
  try {
    packOptionsOf(o);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  return o;
}
