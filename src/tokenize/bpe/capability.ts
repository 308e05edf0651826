import { modelUnsupported } from './model.js';
import { normalizerUnsupported } from './normalizer.js';
import { planPreTokenizer } from './pre-tokenizer.js';

type Cfg = Record<string, unknown> & { type?: string };

/** Post-processors that leave offsets alone when no special tokens are added. */
function postUnsupported(cfg: unknown): string | undefined {
  const c = cfg as Cfg | null | undefined;
  if (!c) return undefined;
  switch (c.type) {
    case 'Sequence':
      for (const sub of (c.processors as unknown[]) ?? []) {
        const r = postUnsupported(sub);
        if (r) return r;
      }
      return undefined;
    case 'TemplateProcessing':
    case 'BertProcessing':
      return undefined;
    case 'ByteLevel':
    case 'RobertaProcessing':
      // trim_offsets defaults to true and trims offsets even without special tokens.
      return c.trim_offsets === false ? undefined : `${c.type} post-processor with trim_offsets`;
    default:
      return `post-processor ${String(c.type)}`;
  }
}

/**
 * Why chatshard's own BPE engine cannot reproduce this tokenizer.json exactly, or undefined when
 * it can. Callers fall back to the Rust binding on any reason.
 */
export function bpeUnsupported(json: Record<string, unknown>): string | undefined {
  const model = (json.model ?? {}) as Cfg;
  const plan = planPreTokenizer(json.pre_tokenizer);
  return (
    modelUnsupported(model) ??
    normalizerUnsupported(json.normalizer) ??
    (typeof plan === 'string' ? plan : undefined) ??
    postUnsupported(json.post_processor)
  );
}
