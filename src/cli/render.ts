import { once } from 'node:events';
import { normalizeRow } from '../normalize/index.js';
import type { PipelineOptions } from '../pipeline/options.js';
import { fieldMappingOf, renderOne } from '../pipeline/render-row.js';
import { readRows, STDIN } from '../read/index.js';
import { compileTemplate, parsePyJson, resolveChatTemplate, type CompiledTemplate } from '../render/index.js';
import { loadTokenizer } from '../tokenize/index.js';
import type { SourceRef } from '../types.js';
import { buildOptions, UsageError } from './config.js';
import { flagValues } from './flags.js';

/**
 * One row's output with `--text`: the rendered text as Python's `print(text)` writes it (the text
 * verbatim, then one newline), so a one-row input prints exactly what
 * `print(tok.apply_chat_template(messages, tokenize=False))` prints.
 *
 * @example
 * textLine('<|im_start|>user\nhi<|im_end|>\n'); // '<|im_start|>user\nhi<|im_end|>\n\n'
 */
export function textLine(rendered: string): string {
  return rendered + '\n';
}

/**
 * One failed row's message for stderr with `--text`: `file:line: error`.
 *
 * @example
 * errorLine({ file: 'rows.jsonl', line: 3 }, 'TypeError: x'); // 'rows.jsonl:3: TypeError: x\n'
 */
export function errorLine(ref: SourceRef, error: string): string {
  return `${ref.file}:${ref.line}: ${error}\n`;
}

/**
 * `chatshard render`: one JSONL row in (files or stdin), one `{rendered, generation_spans, error}`
 * line out, spans in UTF-16 indices; with `--text`, the rendered text itself (`textLine`) and
 * errors on stderr (`errorLine`). Takes run's template and mask options with run's defaults and
 * renders through the same code (`renderOne`). Rows may carry add_generation_prompt,
 * continue_final_message and chat_template_kwargs. Errors are reported per row; the command goes
 * on, and exits 1 when any row failed.
 */
export async function renderCommand(args: Record<string, unknown>): Promise<number> {
  const asText = args.text === true;
  const o: PipelineOptions = buildOptions({}, flagValues(args, 'render'), {
    require: { input: false, tokenizer: false, output: false },
  });
  if (o.tokenizer === undefined && o.chatTemplate === undefined)
    throw new UsageError('render needs --tokenizer or --chat-template');
  const tokenizer = o.tokenizer !== undefined ? await loadTokenizer(o.tokenizer, { cacheDir: o.cacheDir }) : undefined;
  // Resolution reads the tokenizer folder's template files: once per "has tools" answer, not per row.
  // A failure is kept and reported on every row it applies to.
  const resolved = new Map<boolean, CompiledTemplate | Error>();
  const templateFor = (hasTools: boolean): CompiledTemplate | Error => {
    if (!resolved.has(hasTools)) {
      try {
        const r = resolveChatTemplate({
          tokenizerDir: tokenizer?.dir,
          tokenizerConfig: tokenizer?.config,
          chatTemplate: o.chatTemplate,
          hasTools,
        });
        resolved.set(hasTools, compileTemplate(r.source));
      } catch (e) {
        resolved.set(hasTools, e as Error);
      }
    }
    return resolved.get(hasTools)!;
  };
  let failed = 0;
  // Parse as `run` does, so a preview prints `2.0` as Python would.
  for await (const raw of readRows(o.input ?? [STDIN], { parse: parsePyJson })) {
    const conv = normalizeRow(raw, fieldMappingOf(o));
    let line: Record<string, unknown>;
    const template = conv.ok ? templateFor(conv.row.tools !== undefined) : undefined; // [] counts, as in Python
    if (!conv.ok) {
      line = { rendered: null, generation_spans: null, error: `${conv.reject.reason}: ${conv.reject.message}` };
    } else if (template instanceof Error) {
      line = { rendered: null, generation_spans: null, error: `${template.name}: ${template.message}` };
    } else {
      const out = renderOne(conv.row, {
        template: template!,
        specialTokens: tokenizer?.specialTokens ?? {},
        options: o,
      });
      line =
        'reject' in out
          ? {
              // Mask inference failing still leaves the text to look at.
              rendered: out.text ?? null,
              generation_spans: null,
              // Template errors already read `TypeError: ...` as in Python; others get their reason.
              error:
                out.reject.reason === 'template_error'
                  ? out.reject.message
                  : `${out.reject.reason}: ${out.reject.message}`,
            }
          : { rendered: out.text, generation_spans: out.spans, error: null };
    }
    if (line.error !== null) failed++;
    if (asText) {
      if (line.error !== null) process.stderr.write(errorLine(raw.ref, line.error as string));
      if (typeof line.rendered === 'string' && !process.stdout.write(textLine(line.rendered)))
        await once(process.stdout, 'drain');
    } else if (!process.stdout.write(JSON.stringify(line) + '\n')) await once(process.stdout, 'drain');
  }
  return failed > 0 ? 1 : 0;
}
