// A 16-byte GID read in place: subnet prefix (high, low) and interface GUID (high, low) as u32 halves.
// A GID is never copied out of a MAD; agents compare GUID halves straight from the datagram.
import { BytesRef, type FieldWindow, toHex } from './bytes.js';
import { MadError } from './mad-error.js';
import { MadStatus } from './constants.js';

export class GidView {
  readonly ref: BytesRef;
  /** Offset of the GID's first byte from the MAD's byte 0 (ref.base). */
  readonly offset: number;
  /** The window this view reads its fields through (see bytes.ts); replaced when the buffer changes. */
  win: FieldWindow;

  constructor(ref: BytesRef, offset: number) {
    this.ref = ref;
    this.offset = offset;
    this.win = ref.window(offset, (w) => (this.win = w));
  }

  get prefixHigh(): number {
    const w = this.win;
    return w.getUint32(w.base);
  }
  set prefixHigh(v: number) {
    const w = this.win;
    w.setUint32(w.base, v);
  }
  get prefixLow(): number {
    const w = this.win;
    return w.getUint32(w.base + 4);
  }
  set prefixLow(v: number) {
    const w = this.win;
    w.setUint32(w.base + 4, v);
  }
  get guidHigh(): number {
    const w = this.win;
    return w.getUint32(w.base + 8);
  }
  set guidHigh(v: number) {
    const w = this.win;
    w.setUint32(w.base + 8, v);
  }
  get guidLow(): number {
    const w = this.win;
    return w.getUint32(w.base + 12);
  }
  set guidLow(v: number) {
    const w = this.win;
    w.setUint32(w.base + 12, v);
  }

  set(prefixHigh: number, prefixLow: number, guidHigh: number, guidLow: number): this {
    const dv = this.ref.dv;
    const o = this.ref.dvBase + this.offset;
    dv.setUint32(o, prefixHigh);
    dv.setUint32(o + 4, prefixLow);
    dv.setUint32(o + 8, guidHigh);
    dv.setUint32(o + 12, guidLow);
    return this;
  }

  /** Copies another GID's 16 bytes into this one. */
  copyFrom(other: GidView): this {
    const src = other.ref.bytes;
    const dst = this.ref.bytes;
    const so = other.ref.base + other.offset;
    const d = this.ref.base + this.offset;
    for (let i = 0; i < 16; i++) dst[d + i] = src[so + i]!;
    return this;
  }

  equalsGuid(high: number, low: number): boolean {
    return this.guidHigh === high >>> 0 && this.guidLow === low >>> 0;
  }

  equals(other: GidView): boolean {
    const a = this.ref.bytes;
    const b = other.ref.bytes;
    const ao = this.ref.base + this.offset;
    const bo = other.ref.base + other.offset;
    for (let i = 0; i < 16; i++) if (a[ao + i] !== b[bo + i]) return false;
    return true;
  }

  isZero(): boolean {
    const b = this.ref.bytes;
    const o = this.ref.base + this.offset;
    for (let i = 0; i < 16; i++) if (b[o + i] !== 0) return false;
    return true;
  }

  /** The golden file's form: eight groups of four hex digits, e.g. fe80:0000:0000:0000:0000:0000:0010:000a. */
  toString(): string {
    const h = toHex(this.ref.bytes, this.ref.base + this.offset, 16);
    let s = h.slice(0, 4);
    for (let i = 4; i < 32; i += 4) s += ':' + h.slice(i, i + 4);
    return s;
  }

  /** Writes a GID given in textual IPv6 form (full or with one "::"); `field` names it in errors. */
  parse(text: string, field: string): this {
    parseGidInto(text, field, this.ref.bytes, this.ref.base + this.offset);
    return this;
  }
}

/** Parses "fe80:0000:...:000a" (or "fe80::10:a") into 16 bytes at dst[o]; throws MadError naming `field`. */
export function parseGidInto(text: unknown, field: string, dst: Uint8Array, o: number): void {
  const bad = (): MadError =>
    new MadError(field, JSON.stringify(text) ?? String(text), 'is not a GID (eight groups of hex, e.g. fe80:0000:0000:0000:0000:0000:0010:000a)', MadStatus.SaInvalidGid);
  if (typeof text !== 'string') throw bad();
  const halves = text.split('::');
  if (halves.length > 2) throw bad();
  const head = halves[0] === '' ? [] : halves[0]!.split(':');
  const tail = halves.length === 2 ? (halves[1] === '' ? [] : halves[1]!.split(':')) : [];
  let groups: string[];
  if (halves.length === 2) {
    const missing = 8 - head.length - tail.length;
    if (missing < 1) throw bad();
    groups = [...head, ...new Array<string>(missing).fill('0'), ...tail];
  } else {
    groups = head;
  }
  if (groups.length !== 8) throw bad();
  for (let i = 0; i < 8; i++) {
    const g = groups[i]!;
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) throw bad();
    const v = parseInt(g, 16);
    dst[o + 2 * i] = v >>> 8;
    dst[o + 2 * i + 1] = v & 0xff;
  }
}
