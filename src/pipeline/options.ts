import type { TableOptions } from '../options/table.js';

export { DEFAULTS } from '../options/table.js';

/** Everything a run needs, as defined by the option table (`src/options/table.ts`). */
export type PipelineOptions = TableOptions;

/** How assistant spans are found: template `{% generation %}` tags, inference from prefix renders, or auto. */
export type MaskMode = PipelineOptions['masks'];
