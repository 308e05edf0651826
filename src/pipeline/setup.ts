import { createHash } from 'node:crypto';
import { usesTags } from '../mask/spans.js';
import { compileTemplate, resolveChatTemplate } from '../render/index.js';
import { loadTokenizer } from '../tokenize/index.js';
import type { PipelineOptions } from './options.js';
import type { ProcessContext } from './process.js';

/** A startup problem (tokenizer, template, options): reported as one clear line, exit code 1. */
export class SetupError extends Error {
  override name = 'SetupError';
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
    tokenizer = await loadTokenizer(options.tokenizer, { engine: options.engine });
  } catch (e) {
    throw new SetupError(`cannot load tokenizer ${options.tokenizer}: ${(e as Error).message}`);
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
    throw new SetupError(`--pad-token ${JSON.stringify(options.padToken)} is not in the tokenizer's vocabulary`);
  }
  if (options.masks === 'generation' && !template.hasGeneration && !toolTemplate?.hasGeneration) {
    throw new SetupError(
      `--masks generation: template ${resolved.name} has no {% generation %} blocks; use --masks infer or auto`,
    );
  }
  const maskSource = options.masks === 'none' ? 'none' : usesTags(options.masks, template) ? 'generation' : 'infer';
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
