import { compileTemplate, loadChatTemplates, type CompiledTemplate } from '../render/index.js';
import { loadTokenizer, type LoadedTokenizer } from '../tokenize/index.js';
import type { EngineChoice } from '../tokenize/index.js';
import { applyChatTemplate, type ApplyContext } from './apply.js';
import type { ApplyChatTemplateOptions, Chat, ChatEncoding } from './options.js';

/** transformers' VERY_LARGE_INTEGER: `model_max_length` when the config sets none. */
const VERY_LARGE_INTEGER = 1e30;
const SPECIAL_KEYS = ['bos_token', 'eos_token', 'unk_token', 'sep_token', 'pad_token', 'cls_token', 'mask_token'];

type NoTokenize = { tokenize: false };
type IdsOnly = { return_dict: false };

export interface FromPretrainedOptions {
  /**
   * `auto` (default: chatshard's own exact BPE engine when it supports the tokenizer, else native), `native`
   * (Rust `tokenizers` binding) or `js` (chatshard's own engine, pure TypeScript; loading rejects with
   * `UnsupportedEngineError` naming the reason when it cannot reproduce the tokenizer exactly).
   */
  engine?: EngineChoice;
  /** Hub revision (branch, tag or commit hash) for a Hub id; default `main`. */
  revision?: string;
  /**
   * Folder for tables built from tokenizer.json that later loads reuse, or false for none; default
   * `$CHATSHARD_CACHE_DIR`, else `~/.cache/chatshard` (`CHATSHARD_NO_CACHE=1` turns it off).
   */
  cacheDir?: string | false;
}

/**
 * A tokenizer with transformers' chat API: `apply_chat_template`, `encode`, `decode`, the special tokens and
 * `chat_template`, answering as Python transformers 5.x does. Load one with `ChatTokenizer.from_pretrained`.
 *
 * @example
 *   import { ChatTokenizer } from 'chatshard';
 *   const tok = await ChatTokenizer.from_pretrained('Qwen/Qwen2.5-0.5B-Instruct');
 *   const enc = await tok.apply_chat_template(
 *     [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello!' }],
 *     { return_assistant_tokens_mask: true },
 *   );
 *   enc.input_ids; enc.attention_mask; enc.assistant_masks;
 */
export class ChatTokenizer {
  /** Loaded files and engine (the tokenize stage's view of this tokenizer). */
  readonly tokenizer: LoadedTokenizer;
  /** Python's `padding_side` (the tokenizer class default unless tokenizer_config.json sets it). */
  padding_side: 'left' | 'right';
  /** Python's `truncation_side`. */
  truncation_side: 'left' | 'right';
  /** Python's `model_max_length` (1e30 when the config sets none). */
  readonly model_max_length: number;
  readonly model_input_names: readonly string[];
  private templates: string | Map<string, string> | null;
  private specials: Record<string, unknown>;
  private padId: number | undefined;
  private readonly compiled = new Map<string, CompiledTemplate>();

  private constructor(tokenizer: LoadedTokenizer) {
    this.tokenizer = tokenizer;
    this.padding_side = tokenizer.paddingSide;
    this.truncation_side = tokenizer.truncationSide;
    const mml = tokenizer.config.model_max_length;
    this.model_max_length = typeof mml === 'number' ? mml : VERY_LARGE_INTEGER;
    const names = tokenizer.config.model_input_names;
    this.model_input_names = Array.isArray(names) ? names.map(String) : ['input_ids', 'attention_mask'];
    this.templates = loadChatTemplates(tokenizer.dir, tokenizer.config);
    this.specials = { ...tokenizer.specialTokens };
    this.padId = tokenizer.padTokenId;
  }

  /**
   * Load a tokenizer folder (`tokenizer.json`, `tokenizer_config.json`, `chat_template.jinja`,
   * `additional_chat_templates/`) or a Hub id through the shared Hugging Face cache (`HF_HOME`, `HF_TOKEN`,
   * `HF_HUB_OFFLINE`).
   *
   * @param source folder, path to tokenizer.json, or Hub id (`org/name`)
   * @returns the tokenizer
   * @example
   *   const tok = await ChatTokenizer.from_pretrained('./Llama-3.2-1B-Instruct', { engine: 'js' });
   */
  static async from_pretrained(source: string, options: FromPretrainedOptions = {}): Promise<ChatTokenizer> {
    const { engine, revision, cacheDir } = options;
    return new ChatTokenizer(await loadTokenizer(source, { engine, revision, cacheDir }));
  }

  /**
   * `tokenizer.chat_template`: the template text, a name → text record when the tokenizer has several
   * (`default`, `tool_use`, `rag`, ...), or null. Assignable, as in Python.
   */
  get chat_template(): string | Record<string, string> | null {
    const t = this.templates;
    return t instanceof Map ? Object.fromEntries(t) : t;
  }

  set chat_template(value: string | Record<string, string> | null) {
    this.templates = value === null || typeof value === 'string' ? value : new Map(Object.entries(value));
  }

  /** `tokenizer.special_tokens_map`: the set special tokens by name (what templates receive). */
  get special_tokens_map(): Record<string, unknown> {
    return { ...this.specials };
  }

  get bos_token(): string | null {
    return this.special('bos_token');
  }
  get eos_token(): string | null {
    return this.special('eos_token');
  }
  get unk_token(): string | null {
    return this.special('unk_token');
  }
  get sep_token(): string | null {
    return this.special('sep_token');
  }
  get cls_token(): string | null {
    return this.special('cls_token');
  }
  get mask_token(): string | null {
    return this.special('mask_token');
  }
  get pad_token(): string | null {
    return this.special('pad_token');
  }
  /** Set (or clear with null) the pad token, e.g. `tok.pad_token = tok.eos_token`. */
  set pad_token(token: string | null) {
    if (token === null) {
      delete this.specials.pad_token;
      this.padId = undefined;
      return;
    }
    this.specials = orderSpecials({ ...this.specials, pad_token: token });
    this.padId = this.convert_tokens_to_ids(token) ?? undefined;
  }
  get bos_token_id(): number | null {
    return this.idOf(this.bos_token);
  }
  get eos_token_id(): number | null {
    return this.idOf(this.eos_token);
  }
  get unk_token_id(): number | null {
    return this.idOf(this.unk_token);
  }
  get pad_token_id(): number | null {
    return this.padId ?? null;
  }

  /**
   * Id of a token (unknown tokens map to the unk token's id, or null without one), as
   * `convert_tokens_to_ids` does for one token.
   */
  convert_tokens_to_ids(token: string): number | null {
    const id = this.tokenizer.engine.tokenToId(token);
    if (id !== undefined) return id;
    const unk = this.special('unk_token');
    return unk === null ? null : (this.tokenizer.engine.tokenToId(unk) ?? null);
  }

  /** Token string of an id, or null. */
  convert_ids_to_tokens(id: number): string | null {
    return this.tokenizer.engine.idToToken(id) ?? null;
  }

  /**
   * Token ids of a text; `add_special_tokens` (default true) applies the tokenizer's post-processor (BOS ...).
   *
   * @example
   *   await tok.encode('Hello world'); // e.g. [9707, 1879]
   */
  async encode(text: string, options: { add_special_tokens?: boolean } = {}): Promise<number[]> {
    return this.tokenizer.engine.encodeIds(text, options.add_special_tokens ?? true);
  }

  /**
   * Text of token ids; `skip_special_tokens` drops special added tokens.
   *
   * @example
   *   tok.decode(enc.input_ids, { skip_special_tokens: true });
   */
  decode(ids: ArrayLike<number>, options: { skip_special_tokens?: boolean } = {}): string {
    return this.tokenizer.engine.decode(ids, options.skip_special_tokens ?? false);
  }

  /**
   * transformers 5.x `apply_chat_template`: render `conversation` (a list of messages, or a batch of such lists)
   * with the chat template, then tokenize, truncate, pad and mask. Options keep Python's names and defaults
   * (`tokenize` and `return_dict` default to true); any other key is a template variable. Returns the text
   * (`tokenize: false`), the ids (`return_dict: false`) or `{input_ids, attention_mask, assistant_masks?}`,
   * unbatched for a single conversation. Raises `PythonError` (with `pyType`) where Python raises.
   *
   * `assistant_masks` (with `return_assistant_tokens_mask: true`) follow transformers' rule by default,
   * defects included; `mask_rule: 'overlap'` marks exactly the tokens overlapping `{% generation %}` spans.
   *
   * @example
   *   const ids = await tok.apply_chat_template(chat, { add_generation_prompt: true, return_dict: false });
   *   const text = await tok.apply_chat_template(chat, { tokenize: false, enable_thinking: false });
   *   const batch = await tok.apply_chat_template([chatA, chatB], { padding: true, truncation: true, max_length: 512 });
   */
  apply_chat_template(conversation: Chat, options: ApplyChatTemplateOptions & NoTokenize): Promise<string>;
  apply_chat_template(conversation: Chat[], options: ApplyChatTemplateOptions & NoTokenize): Promise<string[]>;
  apply_chat_template(conversation: Chat, options: ApplyChatTemplateOptions & IdsOnly): Promise<number[]>;
  apply_chat_template(conversation: Chat[], options: ApplyChatTemplateOptions & IdsOnly): Promise<number[][]>;
  apply_chat_template(conversation: Chat, options?: ApplyChatTemplateOptions): Promise<ChatEncoding>;
  apply_chat_template(conversation: Chat[], options?: ApplyChatTemplateOptions): Promise<ChatEncoding<number[][]>>;
  apply_chat_template(conversation: Chat | Chat[], options?: ApplyChatTemplateOptions): Promise<unknown>;
  apply_chat_template(conversation: Chat | Chat[], options: ApplyChatTemplateOptions = {}): Promise<unknown> {
    return applyChatTemplate(this.context(), conversation, options);
  }

  /** The state apply_chat_template reads (also used by the streaming helper). */
  context(): ApplyContext {
    return {
      engine: this.tokenizer.engine,
      templates: this.templates,
      specialTokensMap: this.specials,
      padTokenId: this.padId,
      paddingSide: this.padding_side,
      truncationSide: this.truncation_side,
      modelMaxLength: this.model_max_length,
      modelInputNames: this.model_input_names,
      compile: (source) => {
        let t = this.compiled.get(source);
        if (!t) this.compiled.set(source, (t = compileTemplate(source)));
        return t;
      },
    };
  }

  private special(key: string): string | null {
    const v = this.specials[key];
    return typeof v === 'string' ? v : null;
  }

  private idOf(token: string | null): number | null {
    return token === null ? null : this.convert_tokens_to_ids(token);
  }
}

/** Named tokens first in transformers' order, then model-specific extras. */
function orderSpecials(m: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of SPECIAL_KEYS) if (k in m) out[k] = m[k];
  for (const [k, v] of Object.entries(m)) if (!(k in out)) out[k] = v;
  return out;
}
