/** Consistency of state.json, dataset_info.json and the shard schemas. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Schema } from '../arrow.js';
import { DataType } from '../arrow.js';
import { featuresDict, keptSpecs, keptType, layoutOfFeatures, type Layout } from '../dataset/schema.js';
import { PARQUET_DIR, parquetShardName, shardName } from '../dataset/layout.js';
import { datasetFormat, openShard, shardFiles } from '../dataset/read.js';

const STATE_KEYS = [
  '_data_files',
  '_fingerprint',
  '_format_columns',
  '_format_kwargs',
  '_format_type',
  '_output_all_columns',
  '_split',
];

async function readJson(path: string, errors: string[]): Promise<Record<string, unknown> | null> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    errors.push(`${path}: ${(e as Error).message}`);
    return null;
  }
}

/**
 * Parquet layout: `data/train-{i}-of-{n}.parquet` numbered without gaps. There is no
 * dataset_info.json: the expected columns come from the first shard's `huggingface` features, and
 * checkSchema then holds every shard's schema and metadata to them.
 */
async function checkParquetFiles(dir: string, errors: string[]): Promise<Checked | null> {
  const files = await shardFiles(dir);
  files.forEach((f, i) => {
    const want = `${PARQUET_DIR}/${parquetShardName(i, files.length)}`;
    if (f !== want) errors.push(`${f}: expected ${want} (shards must be numbered 0..n-1 of n)`);
  });
  try {
    const first = await openShard(join(dir, files[0]!));
    const meta = first.schema.metadata.get('huggingface');
    const features = meta ? (JSON.parse(meta) as { info?: { features?: unknown } }).info?.features : undefined;
    const found = layoutOfFeatures(features);
    if (!found) {
      errors.push(
        `${files[0]}: unexpected huggingface features ${JSON.stringify(features)} (want the Sequence form of the chatshard columns)`,
      );
      return null;
    }
    const layout = found;
    return { files, labels: layout.labels, layout };
  } catch (e) {
    errors.push(`${files[0]}: cannot read: ${(e as Error).message}`);
    return null;
  }
}

/** Shard files and the expected columns (labels, packing columns). */
export interface Checked {
  files: string[];
  labels: boolean;
  layout: Exclude<Layout, boolean>;
}

/** Checks the layout files (state.json and dataset_info.json, or the Parquet names); returns shard files and the expected columns. */
export async function checkFiles(dir: string, errors: string[]): Promise<Checked | null> {
  try {
    if ((await datasetFormat(dir)) === 'parquet') return await checkParquetFiles(dir, errors);
  } catch (e) {
    errors.push((e as Error).message);
    return null;
  }
  const state = await readJson(join(dir, 'state.json'), errors);
  const info = await readJson(join(dir, 'dataset_info.json'), errors);
  if (!state || !info) return null;
  for (const k of STATE_KEYS) if (!(k in state)) errors.push(`state.json: missing key ${k}`);
  const dataFiles = state._data_files;
  if (!Array.isArray(dataFiles) || dataFiles.length === 0) {
    errors.push('state.json: _data_files must be a non-empty list');
    return null;
  }
  const files = dataFiles.map((f) => String((f as { filename?: unknown })?.filename));
  files.forEach((f, i) => {
    if (f !== shardName(i, files.length))
      errors.push(`state.json: shard ${i} is named ${f}, expected ${shardName(i, files.length)}`);
  });
  if (typeof state._fingerprint !== 'string' || state._fingerprint === '')
    errors.push('state.json: _fingerprint must be a non-empty string');
  const found = layoutOfFeatures(info.features);
  if (!found) {
    errors.push(
      `dataset_info.json: unexpected features ${JSON.stringify(info.features)} (want the Sequence form of the chatshard columns)`,
    );
  }
  const layout = found ?? { labels: false };
  return { files, labels: layout.labels, layout };
}

/** Same Arrow type id and width (Parquet read-back may give other instances of the same type). */
function sameType(a: DataType, b: DataType): boolean {
  return a.typeId === b.typeId && String(a) === String(b);
}

/** Checks one shard's schema against the expected columns; returns error strings. */
export function checkSchema(file: string, schema: Schema, layout: Layout): string[] {
  const errs: string[] = [];
  const want = featuresDict(layout) as Record<string, { feature: { dtype: string } }>;
  const names = schema.fields.map((f) => f.name);
  if (names.join(',') !== Object.keys(want).join(',')) {
    errs.push(`${file}: columns [${names.join(', ')}], expected [${Object.keys(want).join(', ')}]`);
  }
  const kept = new Map(keptSpecs(layout).map((k) => [k.name, k.dtype]));
  for (const f of schema.fields) {
    const w = want[f.name];
    if (!w) continue;
    const dtype = kept.get(f.name);
    if (dtype !== undefined) {
      if (!sameType(f.type, keptType(dtype)))
        errs.push(`${file}: kept column ${f.name} has type ${String(f.type)}, expected ${String(keptType(dtype))}`);
      continue;
    }
    const child = DataType.isList(f.type) ? f.type.children[0] : null;
    const bits = w.feature.dtype === 'int32' ? 32 : 8;
    if (!child || !DataType.isInt(child.type) || child.type.bitWidth !== bits || !child.type.isSigned) {
      errs.push(`${file}: column ${f.name} has type ${String(f.type)}, expected list<item: ${w.feature.dtype}>`);
    } else if (child.name !== 'item') {
      errs.push(`${file}: column ${f.name} list child is named ${child.name}, expected item`);
    }
  }
  const meta = schema.metadata.get('huggingface');
  if (!meta) errs.push(`${file}: schema lacks the huggingface metadata key`);
  else {
    try {
      const got = JSON.stringify((JSON.parse(meta) as { info?: { features?: unknown } }).info?.features);
      if (got !== JSON.stringify(want))
        errs.push(`${file}: huggingface metadata features differ from dataset_info.json`);
    } catch {
      errs.push(`${file}: huggingface metadata is not JSON`);
    }
  }
  return errs;
}
