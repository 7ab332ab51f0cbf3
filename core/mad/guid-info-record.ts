// GUIDInfoRecord (SA attribute 0x0030, 72 bytes): one block of eight GUIDs (port GUID and alias
// GUIDs, i.e. vGUIDs) of the port at LID. Offsets (IBA 15.2.5.18; ib_guidinfo_record_t):
//   0 LID(2)  2 BlockNum(1)  3 reserved(1)  4-7 reserved  8-71 GUID[0..7], 8 bytes each.
import { BytesRef } from './bytes.js';

export const GUID_INFO_RECORD_SIZE = 72;
export const GUIDS_PER_BLOCK = 8;

export class GuidInfoRecordView {
  readonly ref: BytesRef;
  readonly offset: number;

  constructor(ref: BytesRef, offset: number) {
    this.ref = ref;
    this.offset = offset;
  }

  get lid(): number {
    return this.ref.dv.getUint16(this.ref.dvBase + this.offset);
  }
  set lid(v: number) {
    this.ref.dv.setUint16(this.ref.dvBase + this.offset, v);
  }
  get blockNum(): number {
    return this.ref.bytes[this.ref.base + this.offset + 2]!;
  }
  set blockNum(v: number) {
    this.ref.bytes[this.ref.base + this.offset + 2] = v;
  }
  /** High half of GUID i (0..7). */
  guidHigh(i: number): number {
    return this.ref.dv.getUint32(this.ref.dvBase + this.offset + 8 + 8 * (i & 7));
  }
  /** Low half of GUID i (0..7). */
  guidLow(i: number): number {
    return this.ref.dv.getUint32(this.ref.dvBase + this.offset + 12 + 8 * (i & 7));
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
