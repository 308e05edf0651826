/**
 * The one table of chatshard's options. Each entry defines an option once: its name (camelCase key;
 * the CLI flag and pipeline-file key are the kebab-case form), value type, choices, default, help
 * text, and which commands take it. The yargs flags, the pipeline-file keys, the defaults, the
 * `--help` text and the `PipelineOptions` type are all generated from it.
 *
 * Adding an option = adding one entry here (and using it where it takes effect).
 */

/** Commands that take options from the table. */
export type Command = 'run' | 'render' | 'inspect';

/** How a value is read from a flag or a pipeline file. */
export type Kind = 'boolean' | 'number' | 'string' | 'strings' | 'json' | 'boolean-or-string' | 'role-map';

export interface OptionSpec {
  kind: Kind;
  describe: string;
  /** Allowed values (strings only). */
  choices?: readonly string[];
  /** Static default; omitted when the default depends on the run (documented in `defaultNote`). */
  default?: unknown;
  /** Shown as `[default: …]` when the default is computed at run time. */
  defaultNote?: string;
  alias?: string;
  /** Which commands take it; every entry is a pipeline-file key of `run`. */
  commands: readonly Command[];
  /** A path: resolved against the pipeline file's folder. */
  path?: boolean;
  /** Integer ≥ 1 (`positive`) or ≥ 0 (`nonNegative`). */
  integer?: 'positive' | 'nonNegative';
  /** CLI group heading in --help. */
  group: string;
  /** A `strings` option whose values may also be comma-separated (`--keep-columns id,source`). */
  commaList?: boolean;
}

const IO = 'Input and output:';
const FIELDS = 'Input fields:';
const TPL = 'Chat template:';
const MASK = 'Masks and labels:';
const SHAPE = 'Length and padding:';
const RUN = 'Run control:';
const PACK = 'Packing:';

const ALL = ['run', 'render', 'inspect'] as const;
const RUN_INSPECT = ['run', 'inspect'] as const;
const RUN_ONLY = ['run'] as const;

/** Every option, in --help order within its group. */
export const OPTIONS = {
  input: {
    kind: 'strings',
    alias: 'i',
    path: true,
    commands: ALL,
    group: IO,
    describe: 'JSONL (.jsonl, .gz, .zst), Parquet files, save_to_disk folders, folders, globs, or - for stdin',
  },
  tokenizer: {
    kind: 'string',
    alias: 't',
    path: true,
    commands: ALL,
    group: IO,
    describe: 'Folder with tokenizer.json + tokenizer_config.json, or a Hub id',
  },
  output: { kind: 'string', alias: 'o', path: true, commands: RUN_ONLY, group: IO, describe: 'Output dataset folder' },
  format: {
    kind: 'string',
    choices: ['arrow', 'parquet'],
    default: 'arrow',
    commands: RUN_ONLY,
    group: IO,
    describe: 'arrow: a load_from_disk folder; parquet: data/train-*.parquet for load_dataset, pyarrow, polars',
  },
  engine: {
    kind: 'string',
    choices: ['auto', 'native', 'js'],
    default: 'auto',
    commands: RUN_INSPECT,
    group: IO,
    describe:
      "Tokenizer engine: js (chatshard's own exact BPE; a usage error on a tokenizer it does not support), native (Rust tokenizers), auto (js when it supports the tokenizer, else native)",
  },
  cacheDir: {
    kind: 'string',
    path: true,
    commands: ['run', 'render'],
    group: IO,
    defaultNote: 'CHATSHARD_CACHE_DIR, else $XDG_CACHE_HOME/chatshard or ~/.cache/chatshard',
    describe:
      'Folder where chatshard keeps what it builds from a tokenizer.json (js engine tables, ~16 MB for 150K tokens) for later runs; given here it is used even with CHATSHARD_NO_CACHE set',
  },
  messagesField: {
    kind: 'string',
    commands: ALL,
    group: FIELDS,
    defaultNote: 'messages, or ShareGPT conversations',
    describe: 'Row field with the message list (Axolotl field_messages)',
  },
  roleField: {
    kind: 'string',
    commands: ALL,
    group: FIELDS,
    defaultNote: 'role; ShareGPT from',
    describe: 'Message field with the role',
  },
  contentField: {
    kind: 'string',
    commands: ALL,
    group: FIELDS,
    defaultNote: 'content; ShareGPT value',
    describe: 'Message field with the content',
  },
  roleMap: {
    kind: 'role-map',
    commands: ALL,
    group: FIELDS,
    describe: 'Role values to chat roles: human=user,bot=assistant or JSON (also Axolotl roles {"user":["human"]})',
  },
  toolsField: {
    kind: 'string',
    commands: ALL,
    group: FIELDS,
    defaultNote: 'tools',
    describe: 'Row field with the tool list',
  },
  system: {
    kind: 'string',
    commands: ALL,
    group: FIELDS,
    describe: 'System prompt for rows without a system message',
  },
  keepColumns: {
    kind: 'strings',
    commaList: true,
    commands: RUN_ONLY,
    group: FIELDS,
    describe:
      'Top-level fields of each input row copied to output columns, e.g. id,source (typed from their first non-null value in the input)',
  },
  chatTemplate: {
    kind: 'string',
    path: true,
    commands: ALL,
    group: TPL,
    describe: 'Template file, template name (e.g. tool_use), or literal template text',
  },
  templateKwargs: {
    kind: 'json',
    commands: ALL,
    group: TPL,
    describe: 'JSON object of extra template variables, e.g. \'{"enable_thinking":false}\'',
  },
  addGenerationPrompt: {
    kind: 'boolean',
    default: false,
    commands: ALL,
    group: TPL,
    describe: 'Append the generation prompt',
  },
  continueFinalMessage: {
    kind: 'boolean-or-string',
    commands: ALL,
    group: TPL,
    describe: 'Leave the final message open (prefill); a string names the message field to continue',
  },
  now: {
    kind: 'string',
    commands: ALL,
    group: TPL,
    describe: 'Pin strftime_now to this ISO date for reproducible output',
  },
  renderTimeoutMs: {
    kind: 'number',
    default: 10_000,
    integer: 'positive',
    commands: ALL,
    group: TPL,
    describe: 'Per-row render time limit (untrusted templates)',
  },
  maxRenderChars: {
    kind: 'number',
    default: 50_000_000,
    integer: 'positive',
    commands: ALL,
    group: TPL,
    describe: 'Per-row rendered size limit (untrusted templates)',
  },
  masks: {
    kind: 'string',
    choices: ['auto', 'generation', 'infer', 'none'],
    default: 'auto',
    commands: ALL,
    group: MASK,
    describe:
      'Spans from {% generation %} tags, inferred from the template, auto (tags when the template has them), or none (ids only, every token trained)',
  },
  maskRule: {
    kind: 'string',
    choices: ['overlap', 'hf'],
    default: 'overlap',
    commands: RUN_INSPECT,
    group: MASK,
    describe: 'overlap (tokens overlapping a span) or hf (transformers 5.x return_assistant_tokens_mask exactly)',
  },
  rolesToTrain: {
    kind: 'strings',
    default: ['assistant'],
    commands: ALL,
    group: MASK,
    describe: 'Roles whose messages are trained (other roles than assistant: infer mode)',
  },
  trainOnEot: {
    kind: 'string',
    choices: ['all', 'turn', 'last', 'none'],
    default: 'turn',
    commands: ALL,
    group: MASK,
    describe: 'Which end-of-turn markers are trained (infer mode)',
  },
  lastTurnOnly: {
    kind: 'boolean',
    default: false,
    commands: ALL,
    group: MASK,
    describe: 'Train only the last trainable message',
  },
  keepEmpty: {
    kind: 'boolean',
    default: false,
    commands: RUN_INSPECT,
    group: MASK,
    describe: 'Keep rows with no trainable token (default: drop and count them)',
  },
  labels: { kind: 'boolean', default: true, commands: RUN_ONLY, group: MASK, describe: 'Write the labels column' },
  maxLength: {
    kind: 'number',
    integer: 'positive',
    commands: RUN_INSPECT,
    group: SHAPE,
    describe: 'Maximum tokens per row (with --packing: the packed row length)',
  },
  truncation: {
    kind: 'boolean',
    default: true,
    commands: RUN_INSPECT,
    group: SHAPE,
    describe: 'Truncate rows longer than --max-length',
  },
  truncationSide: {
    kind: 'string',
    choices: ['left', 'right'],
    defaultNote: 'tokenizer config, else right',
    commands: RUN_INSPECT,
    group: SHAPE,
    describe: 'Side to cut',
  },
  padding: {
    kind: 'string',
    choices: ['do_not_pad', 'longest', 'max_length'],
    default: 'do_not_pad',
    commands: RUN_INSPECT,
    group: SHAPE,
    describe: 'Padding strategy',
  },
  paddingSide: {
    kind: 'string',
    choices: ['left', 'right'],
    defaultNote: 'tokenizer config, else right',
    commands: RUN_INSPECT,
    group: SHAPE,
    describe: 'Side to pad',
  },
  padToken: {
    kind: 'string',
    commands: RUN_INSPECT,
    group: SHAPE,
    describe: 'Pad token when the tokenizer has none (e.g. its eos token)',
  },
  batchSize: {
    kind: 'number',
    default: 1000,
    integer: 'positive',
    commands: RUN_INSPECT,
    group: SHAPE,
    describe: 'Rows per padding group for --padding longest',
  },
  packing: {
    kind: 'boolean',
    default: false,
    commands: RUN_INSPECT,
    group: PACK,
    describe: "Pack rows into rows of --max-length tokens (TRL's pack_dataset)",
  },
  packingStrategy: {
    kind: 'string',
    choices: ['bfd', 'bfd_split', 'wrapped'],
    default: 'bfd',
    commands: RUN_INSPECT,
    group: PACK,
    describe: 'bfd (truncate long rows), bfd_split (split them) or wrapped (cut every L)',
  },
  packingWindow: {
    kind: 'number',
    integer: 'positive',
    default: 1000,
    commands: RUN_INSPECT,
    group: PACK,
    describe: 'Rows packed together at a time (TRL: the datasets.map batch)',
  },
  positionIds: {
    kind: 'boolean',
    default: false,
    commands: RUN_INSPECT,
    group: PACK,
    describe: 'With --packing: write position_ids restarting per sequence',
  },
  segmentIds: {
    kind: 'boolean',
    default: false,
    commands: RUN_INSPECT,
    group: PACK,
    describe: 'With --packing: attention_mask as segment ids 1, 2, 3, ... per sequence',
  },
  onError: {
    kind: 'string',
    choices: ['skip', 'fail'],
    default: 'skip',
    commands: RUN_ONLY,
    group: RUN,
    describe: 'skip: reject bad rows to rejects.jsonl; fail: stop at the first',
  },
  strict: {
    kind: 'boolean',
    default: false,
    commands: RUN_ONLY,
    group: RUN,
    describe: 'Exit 1 when any row was rejected',
  },
  maxRejectRatio: {
    kind: 'number',
    default: 0.5,
    commands: RUN_ONLY,
    group: RUN,
    describe: 'Exit 1 when more than this share of the rows is rejected (0..1); the dataset is still written',
  },
  json: {
    kind: 'boolean',
    default: false,
    commands: RUN_ONLY,
    group: RUN,
    describe: 'Print the full summary JSON on stdout instead of the short human summary',
  },
  overwrite: {
    kind: 'boolean',
    default: false,
    commands: RUN_ONLY,
    group: RUN,
    describe: 'Replace an existing output dataset',
  },
  resume: {
    kind: 'boolean',
    default: false,
    commands: RUN_ONLY,
    group: RUN,
    describe: 'Continue an interrupted run from its last complete shard',
  },
  workers: {
    kind: 'number',
    integer: 'nonNegative',
    defaultNote:
      'cores - 1 for mask inference; with the js engine on inputs from 2 MiB, cores - 2 from 4 cores; else 0',
    commands: RUN_ONLY,
    group: RUN,
    describe: 'Worker threads that render (and, with the js engine, tokenize); 0 does all on the main thread',
  },
  numShards: {
    kind: 'number',
    integer: 'positive',
    default: 1,
    defaultNote: 'SLURM_ARRAY_TASK_COUNT or 1',
    commands: RUN_ONLY,
    group: RUN,
    describe: 'Split the input into N contiguous parts',
  },
  shardIndex: {
    kind: 'number',
    integer: 'nonNegative',
    default: 0,
    defaultNote: 'JOB_COMPLETION_INDEX / SLURM_ARRAY_TASK_ID or 0',
    commands: RUN_ONLY,
    group: RUN,
    describe: 'Which part this process writes',
  },
  progress: {
    kind: 'boolean',
    default: false,
    defaultNote: 'true on the CLI',
    commands: RUN_ONLY,
    group: RUN,
    describe: 'Progress bar on stderr (TTY only)',
  },
} as const satisfies Record<string, OptionSpec>;

export type OptionKey = keyof typeof OPTIONS;

/** The kebab-case flag / pipeline-file key of an option. */
export const flagOf = (key: string): string => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** The camelCase option key of a flag or pipeline-file key (`max-length` and `maxLength` both work). */
export const keyOf = (flag: string): string => flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

type ValueOf<S> = S extends { choices: readonly (infer C)[] }
  ? C
  : S extends { kind: 'boolean' }
    ? boolean
    : S extends { kind: 'number' }
      ? number
      : S extends { kind: 'strings' }
        ? string[]
        : S extends { kind: 'json' }
          ? Record<string, unknown>
          : S extends { kind: 'boolean-or-string' }
            ? boolean | string
            : S extends { kind: 'role-map' }
              ? Record<string, string>
              : string;

type Table = typeof OPTIONS;
type WithDefault = { [K in keyof Table]: Table[K] extends { default: unknown } ? K : never }[keyof Table];
type Required = 'input' | 'tokenizer' | 'output';

/**
 * Everything a run needs, generated from the table: options with a default (and the required
 * input / tokenizer / output) are always set, the others are optional.
 */
export type TableOptions = { [K in WithDefault | Required]: ValueOf<Table[K]> } & {
  [K in Exclude<keyof Table, WithDefault | Required>]?: ValueOf<Table[K]>;
};

/** The static defaults of every option that has one. */
export const DEFAULTS = Object.fromEntries(
  Object.entries(OPTIONS as Record<string, OptionSpec>)
    .filter(([, s]) => s.default !== undefined)
    .map(([k, s]) => [k, structuredClone(s.default)]),
) as Pick<TableOptions, WithDefault>;

/** Options a command takes, in table order. */
export function optionsOf(command: Command): [OptionKey, OptionSpec][] {
  return (Object.entries(OPTIONS) as [OptionKey, OptionSpec][]).filter(([, s]) => s.commands.includes(command));
}
