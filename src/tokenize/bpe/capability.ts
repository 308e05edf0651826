import { modelUnsupported } from './model.js';
import { normalizerUnsupported } from './normalizer.js';
import { planPreTokenizer } from './pre-tokenizer.js';
import { newerUnicodeThanTables } from './unicode-age.js';
import { postUnsupported } from './post-processor.js';

type Cfg = Record<string, unknown> & { type?: string };

/**
 * Why chatshard's own BPE engine cannot reproduce this tokenizer.json exactly, or undefined when
 * it can. Callers fall back to the Rust binding on any reason.
 */
export function bpeUnsupported(json: Record<string, unknown>): string | undefined {
  const model = (json.model ?? {}) as Cfg;
  const plan = planPreTokenizer(json.pre_tokenizer);
  return (
    newerUnicodeThanTables() ??
    modelUnsupported(model) ??
    normalizerUnsupported(json.normalizer) ??
    (typeof plan === 'string' ? plan : undefined) ??
    postUnsupported(json.post_processor)
  );
}
