/**
 * Role boundaries read off the token ids alone. A dataset stores no roles, so they are recovered from
 * the role headers chat templates write: a special token that names a role itself (`<|user|>`,
 * `<｜Assistant｜>`, `[INST]`, `<|CHATBOT_TOKEN|>`), or a special token directly followed by a role word
 * (`<|im_start|>assistant`, `<|start_header_id|>user`, `<start_of_turn>model`). Templates that write
 * roles as plain text without special tokens (Llama 2's `[INST]` is text) give no boundaries: their
 * tokens count under the role `(none)`.
 */
import type { TokenizerEngine } from '../tokenize/index.js';

const ROLE_WORDS = [
  'system',
  'developer',
  'user',
  'human',
  'assistant',
  'model',
  'gpt',
  'bot',
  'chatbot',
  'tool',
  'ipython',
  'function',
  'observation',
  'environment',
] as const;

/** Roles that are the model's own turns under another name (Gemma `model`, ShareGPT `gpt`, Cohere `chatbot`). */
export const ASSISTANT_ROLES: ReadonlySet<string> = new Set(['assistant', 'model', 'gpt', 'bot', 'chatbot']);

const WORD_AT_START = new RegExp(`^(${ROLE_WORDS.join('|')})`, 'i');
const WORD_CHAR = /[\p{L}\p{N}_'’-]/u;

/**
 * Role word at the very start of `text` (no whitespace first, not part of a longer word): the role,
 * `null` when there is none, or `more` when the text so far could still become one.
 */
function roleAtStart(text: string, complete: boolean): string | null | 'more' {
  const m = WORD_AT_START.exec(text);
  if (!m) {
    const t = text.toLowerCase();
    return !complete && t !== '' && ROLE_WORDS.some((w) => w.startsWith(t)) ? 'more' : null;
  }
  const after = text.charAt(m[1]!.length);
  if (after === '') return complete ? m[1]!.toLowerCase() : 'more';
  return WORD_CHAR.test(after) ? null : m[1]!.toLowerCase();
}

/** Role named by a special token's own content, or undefined. */
export function roleOfMarker(content: string): string | undefined {
  const c = content.trim();
  if (/^\[\/INST\]$/i.test(c)) return 'assistant';
  if (/^\[INST\]$/i.test(c)) return 'user';
  if (/^\[(SYSTEM_PROMPT)\]$/i.test(c)) return 'system';
  if (/^\[(TOOL_RESULTS)\]$/i.test(c)) return 'tool';
  if (/^(<\/|\[\/)/.test(c)) return undefined; // closing markers end something, they start no turn
  const word = c
    .replace(/[^\p{L}]+/gu, ' ')
    .trim()
    .toLowerCase()
    .replace(/\s+token$/, '');
  return (ROLE_WORDS as readonly string[]).includes(word) ? word : undefined;
}

/** A role boundary: the turn of `role` starts at token `at` (its header's first token). */
export interface RoleMark {
  at: number;
  role: string;
}

/**
 * Finds role boundaries in token ids; the text after a marker is decoded with `decode`.
 *
 * @example
 * const roles = new RoleReader(specialTokenIds(config), engine);
 * roles.marks(ids); // [{ at: 0, role: 'system' }, { at: 14, role: 'user' }, { at: 22, role: 'assistant' }]
 */
export class RoleReader {
  private readonly ownRole = new Map<number, string>();
  private readonly afterCache = new Map<string, string | null | 'more'>();

  /**
   * `special` maps special-token ids to their content (markers a role word may follow); `added` holds
   * every added token, special or not, whose own content may name a role.
   */
  constructor(
    private readonly special: ReadonlyMap<number, string>,
    private readonly engine: Pick<TokenizerEngine, 'decode'>,
    added: ReadonlyMap<number, string> = special,
  ) {
    for (const [id, content] of added) {
      const role = roleOfMarker(content);
      if (role !== undefined) this.ownRole.set(id, role);
    }
  }

  marks(ids: ArrayLike<number>): RoleMark[] {
    const out: RoleMark[] = [];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      const role = this.ownRole.get(id) ?? (this.special.has(id) ? this.roleAfter(ids, i) : undefined);
      if (role !== undefined) out.push({ at: i, role });
    }
    return out;
  }

  /**
   * Role word in the non-special tokens right after the special token at `i`, decoding one more token
   * at a time only while undecided (so the cache keys stay header-sized: a 100k-row pass decodes each
   * header shape once, and text after other markers is ruled out at its first token).
   */
  private roleAfter(ids: ArrayLike<number>, i: number): string | undefined {
    const next: number[] = [];
    for (let k = i + 1; next.length < 4; k++) {
      const end = k >= ids.length || this.special.has(ids[k]!);
      if (end) {
        if (next.length === 0) return undefined;
        const r = roleAtStart(this.engine.decode(next), true);
        return r === null || r === 'more' ? undefined : r;
      }
      next.push(ids[k]!);
      const key = next.join(',');
      let r = this.afterCache.get(key);
      if (r === undefined) {
        r = roleAtStart(this.engine.decode(next), false);
        if (this.afterCache.size < 100_000) this.afterCache.set(key, r);
      }
      if (r !== 'more') return r ?? undefined;
    }
    return undefined;
  }
}

/** Role of every token from the marks (`(none)` before the first mark). */
export function rolesOf(length: number, marks: readonly RoleMark[]): string[] {
  const out = new Array<string>(length).fill('(none)');
  marks.forEach((m, k) => out.fill(m.role, m.at, k + 1 < marks.length ? marks[k + 1]!.at : length));
  return out;
}
