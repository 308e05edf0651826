/** File names and the two JSON files that make a folder loadable by `datasets.load_from_disk`. */
import { featuresDict, type Layout } from './schema.js';

/** Work area inside the output folder; load_from_disk ignores it (only state.json counts). */
export const TMP_DIR = '.chatshard-tmp';
export const MANIFEST = 'progress.json';
export const STATE_JSON = 'state.json';
export const INFO_JSON = 'dataset_info.json';
/** Names the holder of an output folder while a run writes it (see lock.ts). */
export const LOCK_FILE = '.chatshard.lock';
/** Run report and rejected rows, written beside the dataset by `run` and `merge`. */
export const SUMMARY_JSON = 'summary.json';
export const REJECTS_JSONL = 'rejects.jsonl';

const pad5 = (n: number) => String(n).padStart(5, '0');

/**
 * Output file formats: `arrow` = a `load_from_disk` folder (IPC stream shards + state.json),
 * `parquet` = the Hub's layout (`data/train-*.parquet`) that `load_dataset(OUT)` reads.
 */
export type OutputFormat = 'arrow' | 'parquet';
export const OUTPUT_FORMATS: readonly OutputFormat[] = ['arrow', 'parquet'];

/** Completed shard inside the work area, numbered in write order; the extension names its format. */
export const tmpShardName = (i: number, format: OutputFormat = 'arrow') => `shard-${pad5(i)}.${format}`;

/** Format of a shard file, from its extension. */
export const formatOfFile = (file: string): OutputFormat => (file.endsWith('.parquet') ? 'parquet' : 'arrow');

/** datasets' naming: `data-{i:05d}-of-{n:05d}.arrow`. */
export const shardName = (i: number, n: number) => `data-${pad5(i)}-of-${pad5(n)}.arrow`;

export const SHARD_RE = /^data-\d{5,}-of-\d{5,}\.arrow$/;

/** Folder of the Parquet shards, as on the Hub. */
export const PARQUET_DIR = 'data';

/** The Hub's naming inside `data/`: `train-{i:05d}-of-{n:05d}.parquet`. */
export const parquetShardName = (i: number, n: number) => `train-${pad5(i)}-of-${pad5(n)}.parquet`;

export const PARQUET_RE = /^train-\d{5,}-of-\d{5,}\.parquet$/;

/**
 * Every name chatshard may leave in an output folder (dataset files, its reports, the work area,
 * the lock, and the `.tmp` / `.partial` files of an interrupted atomic write). (`data/` holds the
 * Parquet shards: see checkOutputFolder.) A folder holding anything else has files chatshard did not create, and is never written into.
 */
export function isOwnedName(name: string): boolean {
  const base = name.replace(/\.(tmp|partial)$/, '');
  return (
    base === STATE_JSON ||
    base === INFO_JSON ||
    base === SUMMARY_JSON ||
    base === REJECTS_JSONL ||
    name === TMP_DIR ||
    name === LOCK_FILE ||
    name.startsWith(LOCK_FILE + '.') ||
    name === PARQUET_DIR ||
    SHARD_RE.test(name)
  );
}

/** Keys sorted like `json.dump(state, indent=2, sort_keys=True)`. */
export function stateJson(files: string[], fingerprint: string): string {
  const state = {
    _data_files: files.map((filename) => ({ filename })),
    _fingerprint: fingerprint,
    _format_columns: null,
    _format_kwargs: {},
    _format_type: null,
    _output_all_columns: false,
    _split: null,
  };
  return JSON.stringify(state, null, 2);
}

/**
 * What `asdict(DatasetInfo(features=...))` yields: the four string fields plus features;
 * fields left at their None default are omitted by datasets, so we omit them too.
 */
export function infoJson(layout: Layout): string {
  const info = {
    citation: '',
    description: '',
    features: featuresDict(layout),
    homepage: '',
    license: '',
  };
  return JSON.stringify(info, null, 2);
}
