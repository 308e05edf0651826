import type tokenizers from 'tokenizers';
import { codePointToUtf16Table, isBmpOnly, utf16ToCodePointTable } from './offsets.js';

type NativeEncoding = InstanceType<typeof tokenizers.Encoding>;

/**
 * Text pieces sent to Rust as one input, joined by a separator added token. Rust splits the input
 * at the separators and tokenizes each piece on its own, exactly as it does inside the original
 * text; the separator tokens are then cut out again.
 *
 * @example
 * const j = new Joined('<|endoftext|>');
 * j.add('user\nHi'); j.add('\n');
 * j.attach(await tk.encodeBatch([j.text()]).then((e) => e[0]), sepId);
 * j.from[1]; // first token of '\n'
 */
export class Joined {
  readonly pieces: string[] = [];
  /** UTF-16 start of each piece in the joined text. */
  readonly bases: number[] = [];
  /** UTF-16 length of the joined text so far. */
  chars = 0;
  enc: NativeEncoding | undefined;
  ids = new Int32Array(0);
  /** Tokens of piece k are [from[k], to[k]). */
  from = new Int32Array(0);
  to = new Int32Array(0);
  private joined = '';
  private bmp = true;
  private cpToU16: Int32Array | undefined;
  private u16ToCp: Int32Array | undefined;
  private flat: Int32Array | undefined;

  constructor(private readonly sep: string) {}

  /** Append a piece; returns its index. */
  add(piece: string): number {
    if (this.pieces.length > 0) this.chars += this.sep.length;
    this.bases.push(this.chars);
    this.chars += piece.length;
    return this.pieces.push(piece) - 1;
  }

  text(): string {
    if (this.joined.length === 0) {
      this.joined = this.pieces.join(this.sep);
      this.bmp = isBmpOnly(this.joined);
    }
    return this.joined;
  }

  /**
   * Take Rust's encoding of `text()` and find the pieces' token ranges. Separators are found by
   * id when exactly as many carry `sepId` as there are separators (a piece cannot then have
   * produced that id); otherwise by id and exact offsets. Returns false if they cannot be found.
   */
  attach(enc: NativeEncoding, sepId: number, needOffsets: boolean): boolean {
    this.enc = enc;
    this.ids = Int32Array.from(enc.getIds());
    const n = this.pieces.length;
    this.from = new Int32Array(n);
    this.to = new Int32Array(n);
    if (!needOffsets && this.byIds(sepId)) return true;
    return this.byOffsets(sepId);
  }

  private byIds(sepId: number): boolean {
    const ids = this.ids;
    const n = this.pieces.length;
    let k = 0;
    for (let i = 0; i < ids.length; i++) {
      if (ids[i] !== sepId) continue;
      if (k === n - 1) return false;
      this.to[k] = i;
      this.from[++k] = i + 1;
    }
    if (k !== n - 1) return false;
    this.to[k] = ids.length;
    return true;
  }

  private byOffsets(sepId: number): boolean {
    const ids = this.ids;
    const off = this.offsets();
    const n = this.pieces.length;
    let i = 0;
    for (let k = 0; k < n - 1; k++) {
      const s = this.bases[k]! + this.pieces[k]!.length;
      const e = s + this.sep.length;
      // A piece's tokens lie within the piece, so none can span exactly the separator's text.
      while (i < ids.length && !(ids[i] === sepId && off[2 * i] === s && off[2 * i + 1] === e)) i++;
      if (i === ids.length) return false;
      this.to[k] = i;
      this.from[k + 1] = ++i;
    }
    this.to[n - 1] = ids.length;
    return true;
  }

  /** All token offsets, UTF-16 in the joined text (read from Rust on first use). */
  offsets(): Int32Array {
    if (this.flat) return this.flat;
    const cp = this.enc!.getOffsets();
    const out = new Int32Array(2 * cp.length);
    for (let i = 0; i < cp.length; i++) {
      const o = cp[i]!;
      out[2 * i] = this.u16(o[0]!);
      out[2 * i + 1] = this.u16(o[1]!);
    }
    return (this.flat = out);
  }

  /** Joined-text code point → UTF-16 index. */
  u16(cp: number): number {
    if (this.bmp) return cp;
    this.cpToU16 ??= codePointToUtf16Table(this.joined);
    return this.cpToU16[Math.min(cp, this.cpToU16.length - 1)]!;
  }

  /** Joined-text UTF-16 index → code point. */
  cp(u: number): number {
    if (this.bmp) return u;
    this.cpToU16 ??= codePointToUtf16Table(this.joined);
    this.u16ToCp ??= utf16ToCodePointTable(this.cpToU16, this.joined.length);
    return this.u16ToCp[Math.min(Math.max(u, 0), this.joined.length)]!;
  }

  /** Token `t` of piece k as `[id, start, end, …]` triples relative to the piece. */
  triples(k: number): Int32Array {
    const off = this.offsets();
    const base = this.bases[k]!;
    const from = this.from[k]!;
    const out = new Int32Array(3 * (this.to[k]! - from));
    for (let t = from, j = 0; t < this.to[k]!; t++, j += 3) {
      out[j] = this.ids[t]!;
      out[j + 1] = off[2 * t]! - base;
      out[j + 2] = off[2 * t + 1]! - base;
    }
    return out;
  }

  /**
   * Read all offsets now and let go of Rust's encoding, the joined text and its tables: afterwards
   * only `ids`, `from`/`to`, `bases` and `offsets()` answer (long batches, see SegmentedEncoder).
   */
  compact(): void {
    this.offsets();
    this.enc = undefined;
    this.joined = '';
    this.cpToU16 = this.u16ToCp = undefined;
  }

  /** Drop the Rust encoding and tables once no row needs them. */
  release(): void {
    this.enc = undefined;
    this.flat = undefined;
    this.cpToU16 = this.u16ToCp = undefined;
  }
}
