/** Library stage: transformers' tokenizer chat API over chatshard's stages. */
export { ChatTokenizer, type FromPretrainedOptions } from './chat-tokenizer.js';
export { PythonError } from './errors.js';
export type {
  ApplyChatTemplateOptions,
  Chat,
  ChatEncoding,
  PaddingArg,
  TruncationArg,
  TokenizerKwargs,
} from './options.js';
export { streamTrainingRows, type StreamItem, type StreamOptions, type TrainingRow } from './stream.js';
