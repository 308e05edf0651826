/** Write stage public API. */
export { writeDataset, DEFAULT_MAX_SHARD_BYTES, DEFAULT_ROWS_PER_BATCH } from './writer.js';
export type { WriteOptions, WriteResult } from './writer.js';
export { readResumePoint } from './manifest.js';
export { mergeDatasets } from './merge.js';
export { arrowSchema, featuresDict } from '../dataset/schema.js';
