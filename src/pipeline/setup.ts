import { createHash } from 'node:crypto';
import { taggedSelectionProblem } from '../mask/select.js';
import { usesTags } from '../mask/spans.js';
import { compileTemplate, resolveChatTemplate } from '../render/index.js';
import { loadTokenizer, UnsupportedEngineError } from '../tokenize/index.js';
import { checkInputFile, expandInputs, inputKind, STDIN } from '../read/index.js';
import type { PipelineOptions } from './options.js';
import type { ProcessContext } from './process.js';
import { selectOptionsOf } from './render-row.js';

/**
 * A startup problem found before the output is touched: reported as one clear line. `usage` marks
 * problems with what the caller asked for (missing input, padding without a pad token): the CLI
 * exits 2 for those, 1 for the rest (a tokenizer or template that fails to load).
 */
export class SetupError extends Error {
  override name = 'SetupError';
  constructor(
    message: string,
    readonly usage = false,
  ) {
    super(message);
  }
}

/**
 * Expand the inputs and check each JSON-lines file is JSON Lines (plain, gzip or zstd), before anything loads.
 * Throws a usage SetupError naming the file and its format otherwise.
 *
 * @example
 *   await checkInputs(['data/*.jsonl']);   // → ['data/a.jsonl', 'data/b.jsonl']
 */
export async function checkInputs(inputs: string[]): Promise<string[]> {
  let files: string[];
  try {
    files = await expandInputs(inputs);
  } catch (e) {
    throw new SetupError(`input ${(e as Error).message}`, true);
  }
  for (const f of files) {
    // Parquet / Arrow files are read by their own readers, which report their own errors.
    if (f === STDIN || inputKind(f) !== 'jsonl') continue;
    try {
      await checkInputFile(f);
    } catch (e) {
      throw new SetupError(`input ${(e as Error).message}`, true);
    }
  }
  return files;
}

export interface Setup extends ProcessContext {
  templateName: string;
  templateSha256: string;
  /** Where masks come from: `generation` tags, `infer`red from prefix renders, or `none` (every token). */
  maskSource: 'generation' | 'infer' | 'none';
}

/** Load the tokenizer, resolve and compile the chat template, and check the options against them. */
export async function setupRun(options: PipelineOptions, hasTools = false): Promise<Setup> {
  let tokenizer;
  try {
    tokenizer = await loadTokenizer(options.tokenizer, { engine: options.engine, cacheDir: options.cacheDir });
  } catch (e) {
    // The engine the caller chose cannot do this file: a usage error (exit 2), not a broken tokenizer.
    throw new SetupError(
      `cannot load tokenizer ${options.tokenizer}: ${(e as Error).message}`,
      e instanceof UnsupportedEngineError,
    );
  }
  let resolved;
  let template;
  let toolTemplate;
  const resolveFor = (tools: boolean) =>
    resolveChatTemplate({
      tokenizerDir: tokenizer.dir,
      tokenizerConfig: tokenizer.config,
      chatTemplate: options.chatTemplate,
      hasTools: tools,
    });
  try {
    resolved = resolveFor(hasTools);
    template = compileTemplate(resolved.source);
    // Like transformers, rows that carry tools use the tokenizer's `tool_use` template when it has one.
    if (options.chatTemplate === undefined) {
      const forTools = resolveFor(true);
      if (forTools.name !== resolved.name) toolTemplate = compileTemplate(forTools.source);
    }
  } catch (e) {
    throw new SetupError(`cannot load the chat template: ${(e as Error).message}`);
  }
  if (options.padToken !== undefined && tokenizer.engine.tokenToId(options.padToken) === undefined) {
    throw new SetupError(`\`padToken\` ${JSON.stringify(options.padToken)} is not in the tokenizer's vocabulary`, true);
  }
  // transformers raises for any padding request without a pad token, whatever the row lengths.
  if (options.padding !== 'do_not_pad' && options.padToken === undefined && tokenizer.padTokenId === undefined) {
    throw new SetupError(
      `padding ${options.padding} needs a pad token and the tokenizer has none: set one with \`padToken\` ` +
        `(e.g. its eos token${tokenizer.config.eos_token ? ` ${JSON.stringify(eosText(tokenizer.config.eos_token))}` : ''}) or use \`padding\` do_not_pad`,
      true,
    );
  }
  if (options.masks === 'generation' && !template.hasGeneration && !toolTemplate?.hasGeneration) {
    throw new SetupError(
      `\`masks\` generation: template ${resolved.name} has no {% generation %} blocks; use \`masks\` infer or auto`,
    );
  }
  const maskSource = options.masks === 'none' ? 'none' : usesTags(options.masks, template) ? 'generation' : 'infer';
  const problem = maskSource === 'generation' ? taggedSelectionProblem(selectOptionsOf(options)) : undefined;
  if (problem) throw new SetupError(`template ${resolved.name}: ${problem}`, true);
  return {
    tokenizer,
    template,
    toolTemplate,
    options,
    templateName: resolved.name,
    templateSha256: createHash('sha256').update(resolved.source).digest('hex'),
    maskSource,
  };
}

/** eos_token of a tokenizer config: a string or an AddedToken dict. */
function eosText(t: unknown): string {
  return typeof t === 'string' ? t : String((t as { content?: unknown })?.content ?? '');
}
