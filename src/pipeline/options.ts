import type { MaskRule } from '../mask/rules.js';
import type { TrainOnEot } from '../mask/select.js';
import type { PackingStrategy } from '../pack/index.js';
import type { Padding, Side } from '../shape/index.js';
import type { OutputFormat } from '../write/layout.js';

/**
 * How assistant spans are found: template `{% generation %}` tags, inference from prefix renders,
 * auto (tags if the template has them, else inference), or `none` (ids only: every real token is
 * trained, `labels` = `input_ids` except padding).
 */
export type MaskMode = 'auto' | 'generation' | 'infer' | 'none';

/** Everything a run needs; the CLI flags and pipeline JSON files map 1:1 onto these (camelCase ⇄ kebab-case). */
export interface PipelineOptions {
  /** JSONL files, folders, globs or `-` for stdin. */
  input: string[];
  /** Tokenizer folder (tokenizer.json + tokenizer_config.json) or Hub id. */
  tokenizer: string;
  output: string;
  /** Field mapping (Axolotl's field_messages / message_property_mappings / roles / field_tools); see FieldMapping. */
  messagesField?: string;
  roleField?: string;
  contentField?: string;
  /** Role values → chat roles; the CLI takes `human=user,bot=assistant` or JSON. */
  roleMap?: Record<string, string>;
  toolsField?: string;
  /** System prompt for rows whose conversation has no system message. */
  system?: string;
  /** `arrow`: a load_from_disk folder; `parquet`: `data/train-*.parquet` for load_dataset / pyarrow / polars. */
  format: OutputFormat;
  /** `auto` = chatshard's own exact BPE engine when the tokenizer is supported, else native (Rust). */
  engine: 'auto' | 'native' | 'js';
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
  /** Pack rows into rows of `maxLength` tokens, as TRL's `pack_dataset` does. */
  packing: boolean;
  packingStrategy: PackingStrategy;
  /** Rows packed together at a time (TRL: the datasets.map batch, 1000). */
  packingWindow: number;
  /** Write a `position_ids` column restarting at every packed sequence. */
  positionIds: boolean;
  /** Write `attention_mask` as segment ids 1, 2, 3, … per packed sequence. */
  segmentIds: boolean;
  onError: 'skip' | 'fail';
  /** Exit 1 when any row was rejected. */
  strict: boolean;
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
  format: 'arrow',
  engine: 'auto',
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
  packing: false,
  packingStrategy: 'bfd',
  packingWindow: 1000,
  positionIds: false,
  segmentIds: false,
  onError: 'skip',
  strict: false,
  overwrite: false,
  resume: false,
  numShards: 1,
  shardIndex: 0,
  renderTimeoutMs: 10_000,
  maxRenderChars: 50_000_000,
  progress: false,
};
