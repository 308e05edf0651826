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

import type * as Run from './pipeline/run.js';
import type * as Write from './write/index.js';
import type * as Verify from './verify/index.js';

// The pipeline, the dataset writer and the reader (about 100 modules, and Apache Arrow) load on
// first call, so importing the package for `ChatTokenizer` alone stays quick.

/** `chatshard run` as a function: read, render, tokenize, mask, shape and write (pipeline/run.ts). */
export const runPipeline: typeof Run.runPipeline = async (...args) =>
  (await import('./pipeline/run.js')).runPipeline(...args);
export { RowError } from './pipeline/row-error.js';
export { UnsupportedEngineError } from './tokenize/errors.js';
export type { Summary } from './pipeline/summary.js';
export { DEFAULTS, type PipelineOptions, type MaskMode } from './pipeline/options.js';
export { buildOptions as pipelineOptions, UsageError } from './options/build.js';
/** Write shaped rows as a `datasets.load_from_disk` folder (write/writer.ts). */
export const writeDataset: typeof Write.writeDataset = async (...args) =>
  (await import('./write/index.js')).writeDataset(...args);
/** Concatenate datasets into one (write/merge.ts). */
export const mergeDatasets: typeof Write.mergeDatasets = async (...args) =>
  (await import('./write/index.js')).mergeDatasets(...args);
export type { WriteOptions, WriteResult } from './write/index.js';
/** Re-read a dataset and check schema, lengths, padding, masks and labels (verify/index.ts). */
export const verifyDataset: typeof Verify.verifyDataset = async (...args) =>
  (await import('./verify/index.js')).verifyDataset(...args);
/** The rows of a dataset chatshard wrote (dataset/read.ts). */
export const readDataset: typeof Verify.readDataset = async function* (...args) {
  yield* (await import('./verify/index.js')).readDataset(...args);
};
