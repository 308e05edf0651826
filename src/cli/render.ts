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
import { UsageError } from './config.js';

/**
 * `chatshard render`: one JSONL row in (stdin), one `{rendered, generation_spans, error}` line out,
 * spans in UTF-16 indices. Rows may carry add_generation_prompt, continue_final_message and
 * chat_template_kwargs. Template errors are reported per row; the command goes on.
 */
export async function renderCommand(args: Record<string, unknown>): Promise<number> {
  const tokenizer = typeof args.tokenizer === 'string' ? await loadTokenizer(args.tokenizer) : undefined;
  if (!tokenizer && typeof args.chatTemplate !== 'string')
    throw new UsageError('render needs --tokenizer or --chat-template');
  let kwargs: Record<string, unknown> | undefined;
  if (typeof args.templateKwargs === 'string') {
    try {
      kwargs = JSON.parse(args.templateKwargs) as Record<string, unknown>;
    } catch {
      throw new UsageError('--template-kwargs must be a JSON object');
    }
  }
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
  for await (const raw of readRows(['-'], { parse: parsePyJson })) {
    const conv = normalizeRow(raw);
    let line: Record<string, unknown>;
    if (!conv.ok) {
      failed++;
      line = { rendered: null, generation_spans: null, error: `${conv.reject.reason}: ${conv.reject.message}` };
    } else {
      try {
        const template = templateFor(conv.row.tools !== undefined);
        const opts: RenderOptions = {
          template,
          specialTokens: tokenizer?.specialTokens,
          addGenerationPrompt: args.addGenerationPrompt as boolean | undefined,
          templateKwargs: kwargs,
          now: args.now as string | undefined,
          limits: { timeoutMs: args.renderTimeoutMs as number, maxOutputChars: args.maxRenderChars as number },
        };
        const infer = args.masks === 'infer' || (args.masks === 'auto' && !template.hasGeneration);
        const out = infer
          ? inferSpans(conv.row, opts, {
              rolesToTrain: new Set(['assistant']),
              trainOnEot: 'turn',
              lastTurnOnly: false,
            })
          : renderConversation(conv.row, opts);
        line = { rendered: out.text, generation_spans: out.spans, error: null };
      } catch (e) {
        failed++;
        line = { rendered: null, generation_spans: null, error: `${(e as Error).name}: ${(e as Error).message}` };
      }
    }
    if (!process.stdout.write(JSON.stringify(line) + '\n')) await once(process.stdout, 'drain');
  }
  return failed > 0 ? 1 : 0;
}
