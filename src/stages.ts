/**
 * `chatshard/stages`: every pipeline stage as a plain function (read → normalize → render → tokenize →
 * mask → shape → write), for callers composing their own pipeline. The package root keeps the small API
 * (`ChatTokenizer`, `runPipeline`, the streaming and dataset helpers).
 */
export type * from './types.js';
import type * as Run from './pipeline/run.js';
import type * as Verify from './verify/index.js';
import type * as Write from './write/index.js';

// read
export { readRows, splitLines, expandInputs } from './read/index.js';
// normalize
export { normalizeRow, NormalizeError } from './normalize/index.js';
// render
export {
  compileTemplate,
  renderConversation,
  resolveChatTemplate,
  TemplateError,
  RenderLimitError,
} from './render/index.js';
export type { CompiledTemplate, RenderOptions, RenderLimits } from './render/index.js';
// tokenize
export { loadTokenizer } from './tokenize/index.js';
export type { LoadedTokenizer, TokenizerEngine } from './tokenize/index.js';
// mask
export { overlapMask, hfMask, type MaskRule } from './mask/rules.js';
export { inferSpans, inferTurns, MaskInferenceError, type Turn } from './mask/infer.js';
export { selectSpans, type SelectOptions, type TrainOnEot } from './mask/select.js';
// shape
export { padRow, padTarget, truncationWindow, IGNORE_INDEX, type ShapeOptions } from './shape/index.js';
// write and tools: loaded on first call (with Apache Arrow, most of the package's modules), so
// composing the earlier stages does not pay for them.
/** Write shaped rows as a `datasets.load_from_disk` folder (write/writer.ts). */
export const writeDataset: typeof Write.writeDataset = async (...args) =>
  (await import('./write/index.js')).writeDataset(...args);
/** Concatenate datasets into one (write/merge.ts). */
export const mergeDatasets: typeof Write.mergeDatasets = async (...args) =>
  (await import('./write/index.js')).mergeDatasets(...args);
/** Where an interrupted run's output folder resumes (write/manifest.ts). */
export const readResumePoint: typeof Write.readResumePoint = async (...args) =>
  (await import('./write/index.js')).readResumePoint(...args);
export type { WriteOptions, WriteResult } from './write/index.js';
/** Re-read a dataset and check schema, lengths, padding, masks and labels (verify/index.ts). */
export const verifyDataset: typeof Verify.verifyDataset = async (...args) =>
  (await import('./verify/index.js')).verifyDataset(...args);
/** The rows of a dataset chatshard wrote (dataset/read.ts). */
export const readDataset: typeof Verify.readDataset = async function* (...args) {
  yield* (await import('./verify/index.js')).readDataset(...args);
};
// composition
export { DEFAULTS, type PipelineOptions, type MaskMode } from './pipeline/options.js';
export { setupRun, SetupError, type Setup } from './pipeline/setup.js';
export { processBatch } from './pipeline/process.js';
export { renderWithSpans, usesTags, type SpanSource } from './mask/spans.js';
export { shapeConversations } from './pipeline/stream.js';
/** `chatshard run` as a function (pipeline/run.ts), loaded on first call. */
export const runPipeline: typeof Run.runPipeline = async (...args) =>
  (await import('./pipeline/run.js')).runPipeline(...args);
export { RowError } from './pipeline/row-error.js';
export type { Summary } from './pipeline/summary.js';
export { buildOptions as pipelineOptions, readPipelineFile, UsageError } from './options/build.js';
export { OPTIONS, optionsOf, type OptionSpec } from './options/table.js';
