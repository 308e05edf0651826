import type { MaskRule } from '../mask/rules.js';
import type { TrainOnEot } from '../mask/select.js';
import type { Padding, Side } from '../shape/index.js';

/** How assistant spans are found: template `{% generation %}` tags, inference from prefix renders, or auto. */
export type MaskMode = 'auto' | 'generation' | 'infer';

/** Everything a run needs; the CLI flags and pipeline JSON files map 1:1 onto these (camelCase ⇄ kebab-case). */
export interface PipelineOptions {
  /** JSONL files, folders, globs or `-` for stdin. */
  input: string[];
  /** Tokenizer folder (tokenizer.json + tokenizer_config.json) or Hub id. */
  tokenizer: string;
  output: string;
  engine: 'native' | 'js';
  /** Template file, template name from the tokenizer config, or literal template text. */
  chatTemplate?: string;
  /** Extra template variables for every row (e.g. `{"enable_thinking": false}`). */
  templateKwargs?: Record<string, unknown>;
  addGenerationPrompt: boolean;
  continueFinalMessage?: boolean | string;
  /** Pins `strftime_now` (ISO date) for reproducible output. */
  now?: string;
  masks: MaskMode;
  maskRule: MaskRule;
  /** Roles whose messages are trained. */
  rolesToTrain: string[];
  trainOnEot: TrainOnEot;
  lastTurnOnly: boolean;
  maxLength?: number;
  truncation: boolean;
  truncationSide?: Side;
  padding: Padding;
  paddingSide?: Side;
  padToken?: string;
  /** Rows per padding group for `padding: longest` (one transformers call per batch). */
  batchSize: number;
  labels: boolean;
  /** Keep rows whose mask is all zeros after truncation (default: drop and count them). */
  keepEmpty: boolean;
  onError: 'skip' | 'fail';
  /** Exit 1 when any row was rejected. */
  strict: boolean;
  /** Fail the run (exit 1) when more than this share of the rows is rejected (0..1). */
  maxRejectRatio: number;
  overwrite: boolean;
  resume: boolean;
  /** Render worker threads (0 = render on the main thread); default from `defaultWorkers`. */
  workers?: number;
  numShards: number;
  shardIndex: number;
  /** Render limits for untrusted templates. */
  renderTimeoutMs: number;
  maxRenderChars: number;
  progress: boolean;
}

export const DEFAULTS: Omit<PipelineOptions, 'input' | 'tokenizer' | 'output'> = {
  engine: 'native',
  addGenerationPrompt: false,
  masks: 'auto',
  maskRule: 'overlap',
  rolesToTrain: ['assistant'],
  trainOnEot: 'turn',
  lastTurnOnly: false,
  truncation: true,
  padding: 'do_not_pad',
  batchSize: 1000,
  labels: true,
  keepEmpty: false,
  onError: 'skip',
  strict: false,
  maxRejectRatio: 0.5,
  overwrite: false,
  resume: false,
  numShards: 1,
  shardIndex: 0,
  renderTimeoutMs: 10_000,
  maxRenderChars: 50_000_000,
  progress: false,
};
