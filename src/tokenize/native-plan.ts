import { AddedMatcher, parseAddedTokens, type AddedToken } from './bpe/added-tokens.js';

type Cfg = Record<string, unknown> & { type?: string };

/**
 * How the native engine may tokenize a text piece by piece. Rust `tokenizers` splits the text at
 * raw (non-normalized) added tokens and runs normalizer, pre-tokenizer and model on each piece on
 * its own; the checks in `segmentPlan` rule out everything that would make a piece's tokens depend
 * on what surrounds it.
 */
export interface SegmentPlan {
  /** Rust's split at raw added tokens (leftmost-longest, lstrip/rstrip), mirrored. */
  matcher: AddedMatcher;
  /** A raw added token that joins pieces in one Rust input without touching them (see `separatorOf`). */
  sep: string;
  sepId: number;
}

function each(cfg: unknown, key: string, visit: (c: Cfg) => string | undefined): string | undefined {
  const c = cfg as Cfg | null | undefined;
  if (!c) return undefined;
  if (c.type === 'Sequence') {
    for (const sub of (c[key] as unknown[] | undefined) ?? []) {
      const r = each(sub, key, visit);
      if (r) return r;
    }
    return undefined;
  }
  return visit(c);
}

/** Metaspace `prepend_scheme: first` prepends only to the piece that starts the text. */
function preTokenizerReason(c: Cfg): string | undefined {
  return c.type === 'Metaspace' && c.prepend_scheme === 'first'
    ? 'Metaspace pre-tokenizer with prepend_scheme first'
    : undefined;
}

/**
 * Without special tokens a post-processor changes offsets only through ByteLevel trimming; that
 * trimming looks at the token's position (first token of the text) when add_prefix_space is on.
 */
function postProcessorReason(c: Cfg): string | undefined {
  switch (c.type) {
    case 'TemplateProcessing':
    case 'BertProcessing':
      return undefined;
    case 'ByteLevel':
    case 'RobertaProcessing':
      return c.trim_offsets !== false && c.add_prefix_space !== false
        ? `${c.type} post-processor trimming offsets with add_prefix_space`
        : undefined;
    default:
      return `post-processor ${String(c.type)}`;
  }
}

const EDGE_SPACE = /^[\s\u0120]|[\s\u0120]$/u;

/**
 * A raw added token that can sit between two pieces without changing how Rust splits them: no
 * strip or single_word flags, a unique content, no raw token (itself included) that could start inside
 * a piece and run into it (one containing its first char after position 0), and none that extends it.
 */
export function separatorOf(raw: AddedToken[], all: AddedToken[]): AddedToken | undefined {
  const count = new Map<string, number>();
  for (const t of all) count.set(t.content, (count.get(t.content) ?? 0) + 1);
  return raw.find((s) => {
    const c = s.content;
    if (c.length === 0 || s.lstrip || s.rstrip || s.singleWord || count.get(c) !== 1) return false;
    if (EDGE_SPACE.test(c)) return false;
    // The separator itself too: an occurrence starting inside the piece before it would win.
    return raw.every((t) => t.content.indexOf(c[0]!, 1) < 0 && (t === s || !t.content.startsWith(c)));
  });
}

/**
 * The plan for caching and batching pieces of `json` (a parsed tokenizer.json), or the reason the
 * native engine must encode whole texts instead. `idOf` gives the id Rust uses for a token.
 *
 * @example
 * const plan = segmentPlan(files.tokenizerJson);
 * if (typeof plan !== 'string') console.log(plan.sep); // '<|endoftext|>' for Qwen2.5
 */
export function segmentPlan(
  json: Record<string, unknown>,
  idOf: (content: string) => number | undefined = () => undefined,
): SegmentPlan | string {
  const model = (json.model ?? {}) as Cfg;
  if (typeof model.dropout === 'number' && model.dropout > 0) return 'BPE dropout';
  const why =
    each(json.pre_tokenizer, 'pretokenizers', preTokenizerReason) ??
    each(json.post_processor, 'processors', postProcessorReason);
  if (why) return why;
  // Rust numbers added tokens itself when tokenizer.json's ids do not fit; ask it for the ids.
  const added = parseAddedTokens(json.added_tokens).map((t) => ({ ...t, id: idOf(t.content) ?? t.id }));
  const raw = added.filter((t) => !t.normalized);
  // A single_word match depends on the characters around it, which differ once pieces are regrouped.
  if (raw.some((t) => t.singleWord)) return 'a raw added token with single_word';
  const sep = separatorOf(raw, added);
  if (!sep) return 'no added token can separate pieces';
  return {
    matcher: new AddedMatcher(
      raw,
      raw.map((t) => t.content),
    ),
    sep: sep.content,
    sepId: sep.id,
  };
}
