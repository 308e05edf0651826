/**
 * `a` backed by a SharedArrayBuffer (threads then read one copy), or `a` itself where there is
 * no SharedArrayBuffer (browsers without cross-origin isolation; posting then copies it).
 */
export function toShared(a: Int32Array): Int32Array {
  if (typeof SharedArrayBuffer === 'undefined' || a.buffer instanceof SharedArrayBuffer) return a;
  const out = new Int32Array(new SharedArrayBuffer(a.byteLength));
  out.set(a);
  return out;
}
