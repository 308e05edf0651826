/**
 * `chatshard/stages`: every pipeline stage as a plain function (read → normalize → render → tokenize →
 * mask → shape → write), for callers composing their own pipeline. The package root keeps the small API
 * (`ChatTokenizer`, `runPipeline`, the streaming and dataset helpers).
 */
export type * from './types.js';

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
// write and tools
export { writeDataset, mergeDatasets, readResumePoint } from './write/index.js';
export type { WriteOptions, WriteResult } from './write/index.js';
export { verifyDataset, readDataset } from './verify/index.js';
// composition
export { DEFAULTS, type PipelineOptions, type MaskMode } from './pipeline/options.js';
export { setupRun, SetupError, type Setup } from './pipeline/setup.js';
export { processBatch } from './pipeline/process.js';
export { renderWithSpans, usesTags, type SpanSource } from './mask/spans.js';
export { shapeConversations } from './pipeline/stream.js';
export { runPipeline, RowError } from './pipeline/run.js';
export type { Summary } from './pipeline/summary.js';
export { buildOptions as pipelineOptions, readPipelineFile, UsageError } from './options/build.js';
export { OPTIONS, optionsOf, type OptionSpec } from './options/table.js';
