/**
 * The Rust binding reports offsets in Unicode code points; chatshard indexes UTF-16 units.
 * Lone surrogates reach Rust as U+FFFD (one code point), so they count as one unit here too.
 */

const SURROGATE = /[\uD800-\uDFFF]/;

/** True when code-point and UTF-16 indices coincide for `text` (no surrogates at all). */
export function isBmpOnly(text: string): boolean {
  return !SURROGATE.test(text);
}

/** Table from code-point index (0..n inclusive) to UTF-16 index. */
export function codePointToUtf16Table(text: string): Int32Array {
  const table = new Int32Array(text.length + 1);
  let cp = 0;
  let i = 0;
  while (i < text.length) {
    table[cp++] = i;
    const c = text.charCodeAt(i);
    const pair = c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00;
    i += pair ? 2 : 1;
  }
  table[cp] = i;
  return table.subarray(0, cp + 1);
}

/** UTF-16 index (0..length inclusive) → code-point index table (inverse of codePointToUtf16Table). */
export function utf16ToCodePointTable(cpToU16: Int32Array, length: number): Int32Array {
  const table = new Int32Array(length + 1);
  for (let cp = 0; cp < cpToU16.length - 1; cp++) {
    // Both units of a surrogate pair map to the same code point.
    for (let u = cpToU16[cp]!; u < cpToU16[cp + 1]!; u++) table[u] = cp;
  }
  table[length] = cpToU16.length - 1;
  return table;
}

/**
 * Flatten `[[start,end], …]` code-point offsets into UTF-16 pairs.
 * Fast path when the text has no surrogates: the numbers are already UTF-16.
 */
export function flattenOffsets(text: string, cpOffsets: ArrayLike<ArrayLike<number>>): Int32Array {
  const n = cpOffsets.length;
  const out = new Int32Array(2 * n);
  if (isBmpOnly(text)) {
    for (let i = 0; i < n; i++) {
      const o = cpOffsets[i]!;
      out[2 * i] = o[0]!;
      out[2 * i + 1] = o[1]!;
    }
    return out;
  }
  const table = codePointToUtf16Table(text);
  const last = table.length - 1;
  for (let i = 0; i < n; i++) {
    const o = cpOffsets[i]!;
    out[2 * i] = table[Math.min(o[0]!, last)]!;
    out[2 * i + 1] = table[Math.min(o[1]!, last)]!;
  }
  return out;
}
