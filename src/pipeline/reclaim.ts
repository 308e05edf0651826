import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Batches between forced collections. */
export const RECLAIM_EVERY = 16;

let gc: (() => void) | null | undefined;

/**
 * Run a full garbage collection. Each Rust encoding is held by a small JS wrapper; V8 sees only
 * the wrapper, so it collects lazily while the native buffers pile up (measured: peak RSS 337 MB
 * without, 254 MB with a collection every ~2,500 rows, same throughput). Callers invoke this every
 * few batches. Does nothing if the runtime refuses to expose `gc`.
 */
export function reclaimNativeMemory(): void {
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
