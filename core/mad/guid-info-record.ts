// GUIDInfoRecord (SA attribute 0x0030, 72 bytes): one block of eight GUIDs (port GUID and alias
// GUIDs, i.e. vGUIDs) of the port at LID. Offsets (IBA 15.2.5.18; ib_guidinfo_record_t):
//   0 LID(2)  2 BlockNum(1)  3 reserved(1)  4-7 reserved  8-71 GUID[0..7], 8 bytes each.
import { BytesRef, type FieldWindow } from './bytes.js';

export const GUID_INFO_RECORD_SIZE = 72;
export const GUIDS_PER_BLOCK = 8;

export class GuidInfoRecordView {
  readonly ref: BytesRef;
  readonly offset: number;
  /** The window this view reads its fields through (see bytes.ts); replaced when the buffer changes. */
  win: FieldWindow;

  constructor(ref: BytesRef, offset: number) {
    this.ref = ref;
    this.offset = offset;
    this.win = ref.window(offset, (w) => (this.win = w));
  }

  get lid(): number {
    const w = this.win;
    return w.getUint16(w.base);
  }
  set lid(v: number) {
    const w = this.win;
    w.setUint16(w.base, v);
  }
  get blockNum(): number {
    const w = this.win;
    return w.getUint8(w.base + 2);
  }
  set blockNum(v: number) {
    const w = this.win;
    w.setUint8(w.base + 2, v);
  }
  /** High half of GUID i (0..7). */
  guidHigh(i: number): number {
    const w = this.win;
    return w.getUint32(w.base + 8 + 8 * (i & 7));
  }
  /** Low half of GUID i (0..7). */
  guidLow(i: number): number {
    const w = this.win;
    return w.getUint32(w.base + 12 + 8 * (i & 7));
  }
  setGuid(i: number, high: number, low: number): this {
    const o = this.offset + 8 + 8 * (i & 7);
    this.ref.dv.setUint32(this.ref.dvBase + o, high);
    this.ref.dv.setUint32(this.ref.dvBase + o + 4, low);
    return this;
  }
  /** Index of the slot holding GUID (high, low), or -1. */
  indexOfGuid(high: number, low: number): number {
    for (let i = 0; i < GUIDS_PER_BLOCK; i++) {
      if (this.guidHigh(i) === high >>> 0 && this.guidLow(i) === low >>> 0) return i;
    }
    return -1;
  }
}
