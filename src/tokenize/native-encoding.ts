import type tokenizers from 'tokenizers';
import type { Encoding, TokenLocator } from '../types.js';
import { codePointToUtf16Table, flattenOffsets, isBmpOnly, utf16ToCodePointTable } from './offsets.js';

type NativeEncoding = InstanceType<typeof tokenizers.Encoding>;

/**
 * An Encoding over a Rust encoding that converts lazily: ids eagerly (cheap), full offsets only
 * when read, and boundary queries through `charToToken` / `tokenToChars` in between. Offsets
 * from Rust are code points; the tables translate only when the text has surrogates.
 */
export function nativeEncoding(text: string, enc: NativeEncoding): Encoding {
  const ids = Int32Array.from(enc.getIds());
  const bmp = isBmpOnly(text);
  let cpToU16: Int32Array | undefined;
  let u16ToCp: Int32Array | undefined;
  const toCp = (pos: number) => {
    if (bmp) return pos;
    cpToU16 ??= codePointToUtf16Table(text);
    u16ToCp ??= utf16ToCodePointTable(cpToU16, text.length);
    return u16ToCp[Math.min(Math.max(pos, 0), text.length)]!;
  };
  const toU16 = (cp: number) => {
    if (bmp) return cp;
    cpToU16 ??= codePointToUtf16Table(text);
    return cpToU16[Math.min(cp, cpToU16.length - 1)]!;
  };
  let offsets: Int32Array | undefined;
  const locator: TokenLocator = {
    length: ids.length,
    tokenAt(pos) {
      if (pos < 0 || pos >= text.length) return -1;
      return enc.charToToken(toCp(pos)) ?? -1;
    },
    start(i) {
      const r = enc.tokenToChars(i);
      return r ? toU16(r[0]) : 0;
    },
    end(i) {
      const r = enc.tokenToChars(i);
      return r ? toU16(r[1]) : 0;
    },
  };
  return {
    ids,
    get offsets() {
      return (offsets ??= flattenOffsets(text, enc.getOffsets()));
    },
    locator,
  };
}
