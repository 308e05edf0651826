import { constants, PerformanceObserver, type NodeGCPerformanceDetail } from 'node:perf_hooks';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';

let gc: (() => void) | null | undefined;

/**
 * Run a full garbage collection. Does nothing if the runtime refuses to expose `gc`.
 *
 * @example
 * fullCollection(); // dead Rust encodings are freed once their wrappers' finalizers run
 */
export function fullCollection(): void {
  if (gc === undefined) {
    try {
      v8.setFlagsFromString('--expose-gc');
      gc = runInNewContext('gc') as () => void;
    } catch {
      gc = null;
    }
  }
  gc?.();
}

/**
 * Rust tokens between full collections (~105 bytes of native memory each, so ~27 MB). On sgd_train
 * this collects about as often as the former every-16-batches rule plus V8's own full collections
 * did together, at evenly spaced points, and peaks ~30 MB lower.
 */
export const RECLAIM_TOKENS = 1 << 18;

/**
 * Frees Rust encodings in step with how many tokens Rust produced. Each encoding lives in native
 * memory behind a small JS wrapper and is freed only when a full collection finds the wrapper dead
 * (scavenges do not); V8 cannot see that memory, so left alone it collects late while the native
 * buffers pile up (and glibc keeps the high-water mark of each Rust thread's arena resident).
 * Every full collection, V8's own ones included, starts a new budget.
 *
 * @example
 * const r = new Reclaimer(1 << 18, fullCollection);
 * r.add(enc.ids.length); // collects once 2^18 tokens came from Rust since the last full collection
 */
export class Reclaimer {
  private tokens = 0;
  /** Full collections this reclaimer forced. */
  forced = 0;

  constructor(
    private readonly budget: number,
    private readonly collect: () => void,
  ) {}

  /** Count tokens Rust just produced; collect when the budget is spent. */
  add(tokens: number): void {
    this.tokens += tokens;
    if (this.tokens < this.budget) return;
    this.tokens = 0;
    this.forced++;
    this.collect();
  }

  /** A full collection happened: every encoding dropped before it is freed. */
  collected(): void {
    this.tokens = 0;
  }
}

let shared: Reclaimer | undefined;

/** Count tokens Rust produced on this thread (one budget per thread, as each has its own heap). */
export function rustEncoded(tokens: number): void {
  if (!shared) {
    const r = (shared = new Reclaimer(RECLAIM_TOKENS, fullCollection));
    const obs = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        const detail = (e as unknown as { detail?: NodeGCPerformanceDetail }).detail;
        if (detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) r.collected();
      }
    });
    obs.observe({ entryTypes: ['gc'] });
  }
  shared.add(tokens);
}
