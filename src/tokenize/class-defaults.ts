/**
 * transformers 5.x tokenizer classes with their own `__init__` carry defaults that apply when
 * tokenizer_config.json omits a key (an explicit `null` still means "unset"). Only the classes
 * whose defaults change what chatshard emits are listed.
 */
export interface ClassDefaults {
  paddingSide?: 'left' | 'right';
  specialTokens?: Record<string, string>;
}

const LLAMA: ClassDefaults = {
  paddingSide: 'left',
  specialTokens: { unk_token: '<unk>', bos_token: '<s>', eos_token: '</s>' },
};

const TABLE: Record<string, ClassDefaults> = {
  LlamaTokenizer: LLAMA,
  CodeLlamaTokenizer: LLAMA,
  GemmaTokenizer: {
    paddingSide: 'left',
    specialTokens: {
      unk_token: '<unk>',
      bos_token: '<bos>',
      eos_token: '<eos>',
      pad_token: '<pad>',
      mask_token: '<mask>',
    },
  },
  CohereTokenizer: {
    paddingSide: 'left',
    specialTokens: {
      unk_token: '<UNK>',
      bos_token: '<BOS_TOKEN>',
      eos_token: '<|END_OF_TURN_TOKEN|>',
      pad_token: '<PAD>',
      cls_token: '<CLS>',
      sep_token: '<SEP>',
      mask_token: '<MASK_TOKEN>',
    },
  },
  Siglip2Tokenizer: { paddingSide: 'left' },
  XLNetTokenizer: { paddingSide: 'left' },
};

/** Defaults for `tokenizer_class` (the `…Fast` alias maps to the same class in 5.x). */
export function classDefaults(config: Record<string, unknown>): ClassDefaults {
  const cls = typeof config.tokenizer_class === 'string' ? config.tokenizer_class.replace(/Fast$/, '') : '';
  return TABLE[cls] ?? {};
}
