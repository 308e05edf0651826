/** Pack stage public API: TRL-exact packing of shaped rows into rows of `maxLength` tokens. */
export { planBfd, type Overflow } from './bfd.js';
export { planWrapped } from './wrapped.js';
export { binCount, binLength, type PackPlan } from './plan.js';
export { positionIds, segmentIds } from './boundaries.js';
export { gatherBins, type GatherOptions } from './gather.js';
export { PackStats, type PackSummary } from './stats.js';
export {
  packWindow,
  packStream,
  planWindow,
  PACKING_STRATEGIES,
  DEFAULT_PACKING_WINDOW,
  type PackOptions,
  type PackingStrategy,
} from './window.js';
