// The CLI's view of the option table: pipeline files and flag validation live in src/options/.
export { buildOptions, readPipelineFile, UsageError } from '../options/build.js';
