/** File names and the two JSON files that make a folder loadable by `datasets.load_from_disk`. */
import { featuresDict } from './schema.js';

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

/** Completed shard inside the work area, numbered in write order. */
export const tmpShardName = (i: number) => `shard-${pad5(i)}.arrow`;

/** datasets' naming: `data-{i:05d}-of-{n:05d}.arrow`. */
export const shardName = (i: number, n: number) => `data-${pad5(i)}-of-${pad5(n)}.arrow`;

export const SHARD_RE = /^data-\d{5,}-of-\d{5,}\.arrow$/;

/**
 * Every name chatshard may leave in an output folder (dataset files, its reports, the work area,
 * the lock, and the `.tmp` / `.partial` files of an interrupted atomic write). A folder holding
 * anything else has files chatshard did not create, and is never written into.
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
    SHARD_RE.test(name) ||
    /^data-\d{5,}-of-\d{5,}\.parquet$/.test(name)
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
export function infoJson(labels: boolean): string {
  const info = {
    citation: '',
    description: '',
    features: featuresDict(labels),
    homepage: '',
    license: '',
  };
  return JSON.stringify(info, null, 2);
}
