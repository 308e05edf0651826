/**
 * chatshard's public API: `ChatTokenizer` (transformers' `apply_chat_template`), `runPipeline` (the CLI's `run`
 * as a function), the dataset writer helpers and the shared types. Every stage function is exported from the
 * `chatshard/stages` subpath.
 */
export type * from './types.js';

export { ChatTokenizer, PythonError, streamTrainingRows } from './api/index.js';
export type {
  ApplyChatTemplateOptions,
  Chat,
  ChatEncoding,
  FromPretrainedOptions,
  PaddingArg,
  TruncationArg,
  TokenizerKwargs,
  StreamItem,
  StreamOptions,
  TrainingRow,
} from './api/index.js';

export { runPipeline, RowError } from './pipeline/run.js';
export { UnsupportedEngineError } from './tokenize/index.js';
export type { Summary } from './pipeline/summary.js';
export { DEFAULTS, type PipelineOptions, type MaskMode } from './pipeline/options.js';
export { buildOptions as pipelineOptions, UsageError } from './options/build.js';
export { writeDataset, mergeDatasets } from './write/index.js';
export type { WriteOptions, WriteResult } from './write/index.js';
export { verifyDataset, readDataset } from './verify/index.js';
