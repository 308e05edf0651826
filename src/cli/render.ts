import { once } from 'node:events';
import { inferSpans } from '../mask/infer.js';
import { normalizeRow } from '../normalize/index.js';
import { readRows } from '../read/index.js';
import {
  compileTemplate,
  parsePyJson,
  renderConversation,
  resolveChatTemplate,
  type CompiledTemplate,
  type RenderOptions,
} from '../render/index.js';
import { loadTokenizer } from '../tokenize/index.js';
import { selectTaggedSpans } from '../mask/select.js';
import { checkInputs } from '../pipeline/setup.js';
import type { Conversation } from '../types.js';
import { STDIN } from '../read/index.js';
import { UsageError } from './config.js';

/** What `render` needs from its flags; the same names and defaults as `run`. */
export interface RenderArgs {
  input: string[];
  masks: 'auto' | 'generation' | 'infer';
  rolesToTrain: string[];
  trainOnEot: 'all' | 'turn' | 'last' | 'none';
  lastTurnOnly: boolean;
  addGenerationPrompt?: boolean;
  continueFinalMessage?: boolean;
  templateKwargs?: Record<string, unknown>;
  now?: string;
  renderTimeoutMs: number;
  maxRenderChars: number;
  /** Print each row's rendered text itself (as `apply_chat_template(tokenize=False)`), not JSON. */
  text: boolean;
}

/** Validate render flags like `run` does (usage errors, exit 2). */
export function renderArgs(args: Record<string, unknown>): RenderArgs {
  let templateKwargs: Record<string, unknown> | undefined;
  if (typeof args.templateKwargs === 'string') {
    try {
      templateKwargs = JSON.parse(args.templateKwargs) as Record<string, unknown>;
    } catch {
      throw new UsageError('--template-kwargs must be a JSON object');
    }
    if (templateKwargs === null || typeof templateKwargs !== 'object' || Array.isArray(templateKwargs))
      throw new UsageError('--template-kwargs must be a JSON object');
  }
  const now = args.now as string | undefined;
  if (now !== undefined && Number.isNaN(Date.parse(now))) throw new UsageError(`--now must be an ISO date, got ${now}`);
  if (args.addGenerationPrompt && args.continueFinalMessage)
    throw new UsageError('--continue-final-message and --add-generation-prompt are incompatible (as in transformers)');
  const input = (args.input as string[] | undefined)?.map(String) ?? ['-'];
  return {
    input: input.length > 0 ? input : ['-'],
    masks: (args.masks as RenderArgs['masks'] | undefined) ?? 'auto',
    rolesToTrain: (args.rolesToTrain as string[] | undefined) ?? ['assistant'],
    trainOnEot: (args.trainOnEot as RenderArgs['trainOnEot'] | undefined) ?? 'turn',
    lastTurnOnly: Boolean(args.lastTurnOnly),
    addGenerationPrompt: args.addGenerationPrompt as boolean | undefined,
    continueFinalMessage: args.continueFinalMessage as boolean | undefined,
    templateKwargs,
    now,
    renderTimeoutMs: (args.renderTimeoutMs as number | undefined) ?? 10_000,
    maxRenderChars: (args.maxRenderChars as number | undefined) ?? 50_000_000,
    text: Boolean(args.text),
  };
}

export interface RenderLine {
  rendered: string | null;
  generation_spans: [number, number][] | null;
  error: string | null;
}

/**
 * Render one conversation as `run` would (same mask mode and inference options). When mask
 * inference fails, the rendered text is still returned with the error.
 */
export function renderLine(
  conv: Conversation,
  template: CompiledTemplate,
  o: RenderArgs,
  specialTokens?: RenderOptions['specialTokens'],
): RenderLine {
  const opts: RenderOptions = {
    template,
    specialTokens,
    addGenerationPrompt: o.addGenerationPrompt,
    continueFinalMessage: o.continueFinalMessage,
    templateKwargs: o.templateKwargs,
    now: o.now,
    limits: { timeoutMs: o.renderTimeoutMs, maxOutputChars: o.maxRenderChars },
  };
  const select = { rolesToTrain: new Set(o.rolesToTrain), trainOnEot: o.trainOnEot, lastTurnOnly: o.lastTurnOnly };
  const infer = o.masks === 'infer' || (o.masks === 'auto' && !template.hasGeneration);
  try {
    if (infer) {
      const out = inferSpans(conv, opts, select);
      return { rendered: out.text, generation_spans: out.spans, error: null };
    }
    const out = renderConversation(conv, opts);
    return { rendered: out.text, generation_spans: selectTaggedSpans(out.spans, conv.messages, select), error: null };
  } catch (e) {
    const error = `${(e as Error).name}: ${(e as Error).message}`;
    if (!infer || (e as Error).name !== 'MaskInferenceError') return { rendered: null, generation_spans: null, error };
    // The template renders; only the spans could not be inferred: keep the text.
    try {
      return { rendered: renderConversation(conv, opts).text, generation_spans: null, error };
    } catch {
      return { rendered: null, generation_spans: null, error };
    }
  }
}

/**
 * `chatshard render`: JSONL rows in (files or stdin), one `{rendered, generation_spans, error}` line
 * out per row (spans in UTF-16 indices), or with `--text` the rendered text itself. Masks, inference
 * and template options are `run`'s. Rows may carry add_generation_prompt, continue_final_message and
 * chat_template_kwargs. Template errors are reported per row; the command goes on.
 */
export async function renderCommand(args: Record<string, unknown>): Promise<number> {
  const o = renderArgs(args);
  for (const f of o.input)
    if (f !== '-' && f !== STDIN)
      await checkInputs([f]).catch((e: Error) => {
        throw new UsageError(e.message);
      });
  const tokenizer = typeof args.tokenizer === 'string' ? await loadTokenizer(args.tokenizer) : undefined;
  if (!tokenizer && typeof args.chatTemplate !== 'string')
    throw new UsageError('render needs --tokenizer or --chat-template');
  // Resolution reads the tokenizer folder's template files: once per "has tools" answer, not per row.
  // A failure is kept and reported on every row it applies to, as before.
  const resolved = new Map<boolean, CompiledTemplate | Error>();
  const templateFor = (hasTools: boolean): CompiledTemplate => {
    if (!resolved.has(hasTools)) {
      try {
        const r = resolveChatTemplate({
          tokenizerDir: tokenizer?.dir,
          tokenizerConfig: tokenizer?.config,
          chatTemplate: args.chatTemplate as string | undefined,
          hasTools,
        });
        resolved.set(hasTools, compileTemplate(r.source));
      } catch (e) {
        resolved.set(hasTools, e as Error);
      }
    }
    const t = resolved.get(hasTools)!;
    if (t instanceof Error) throw t;
    return t;
  };
  let failed = 0;
  // Parse as `run` does, so a preview prints `2.0` as Python would.
  for await (const raw of readRows(o.input, { parse: parsePyJson })) {
    const conv = normalizeRow(raw);
    let line: RenderLine;
    if (!conv.ok) {
      line = { rendered: null, generation_spans: null, error: `${conv.reject.reason}: ${conv.reject.message}` };
    } else {
      try {
        line = renderLine(conv.row, templateFor(Boolean(conv.row.tools)), o, tokenizer?.specialTokens);
      } catch (e) {
        line = { rendered: null, generation_spans: null, error: `${(e as Error).name}: ${(e as Error).message}` };
      }
    }
    if (line.error !== null) failed++;
    let out: string;
    if (o.text) {
      if (line.error !== null) process.stderr.write(`chatshard: ${raw.ref.file}:${raw.ref.line}: ${line.error}\n`);
      out = line.rendered ?? '';
    } else {
      out = JSON.stringify(line) + '\n';
    }
    if (out && !process.stdout.write(out)) await once(process.stdout, 'drain');
  }
  return failed > 0 ? 1 : 0;
}
