/**
 * GPT-2 byte alphabet: printable Latin-1 bytes stand for themselves, the other bytes map to
 * U+0100 and up in byte order. `BYTE_CHAR[b]` is the char code byte `b` becomes.
 */
export const BYTE_CHAR: Uint16Array = (() => {
  const printable = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const table = new Uint16Array(256);
  let shifted = 0;
  for (let b = 0; b < 256; b++) table[b] = printable(b) ? b : 256 + shifted++;
  return table;
})();

/** Byte value of each byte-alphabet char code (-1 for other codes). */
export const CHAR_BYTE: Int16Array = (() => {
  const table = new Int16Array(512).fill(-1);
  for (let b = 0; b < 256; b++) table[BYTE_CHAR[b]!] = b;
  return table;
})();
