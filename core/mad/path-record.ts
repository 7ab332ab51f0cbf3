// PathRecord (SA attribute 0x0035, 64 bytes): how to reach DGID from SGID. Field offsets from the
// record start (IBA 15.2.5.16; ib_path_rec_t):
//   0 ServiceID(8)  8 DGID(16)  24 SGID(16)  40 DLID(2)  42 SLID(2)
//   44 RawTraffic(1b) reserved(3b) FlowLabel(20b) HopLimit(8b)  48 TClass  49 Reversible(1b) NumbPath(7b)
//   50 P_Key(2)  52 QoSClass(12b) SL(4b)  54 MTUSelector(2b) MTU(6b)  55 RateSelector(2b) Rate(6b)
//   56 PacketLifeTimeSelector(2b) PacketLifeTime(6b)  57 Preference  58-63 reserved
// mtu, rate and pktLife are whole bytes (selector included), as the golden file lists them.
import { BytesRef, type FieldWindow } from './bytes.js';
import { GidView } from './gid-view.js';

// Field reads and writes go through the view's FieldWindow, `const w = this.win; return w.getUint16(w.base + K)`,
// the form that keeps each getter within V8's 27-byte always-inline size (see bytes.ts); the
// few read-modify-write fields use these module-local helpers. They are module-local, not imported,
// because V8 inlines any function of at most 27 bytecode bytes regardless of the caller's inlining
// budget and an imported helper's TDZ check pushes its callers over that size.
function u16(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}
function u32(b: Uint8Array, o: number): number {
  return ((u16(b, o) << 16) | u16(b, o + 2)) >>> 0;
}
function setU16(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 8;
  b[o + 1] = v;
}
function setU32(b: Uint8Array, o: number, v: number): void {
  setU16(b, o, v >>> 16);
  setU16(b, o + 2, v);
}

export const PATH_RECORD_SIZE = 64;

export class PathRecordView {
  readonly ref: BytesRef;
  readonly offset: number;
  /** The window this view reads its fields through (see bytes.ts); replaced when the buffer changes. */
  win: FieldWindow;
  readonly dgid: GidView;
  readonly sgid: GidView;

  constructor(ref: BytesRef, offset: number) {
    this.ref = ref;
    this.offset = offset;
    this.win = ref.window(offset, (w) => (this.win = w));
    this.dgid = new GidView(ref, offset + 8);
    this.sgid = new GidView(ref, offset + 24);
  }

  get serviceIdHigh(): number {
    const w = this.win;
    return w.getUint32(w.base);
  }
  set serviceIdHigh(v: number) {
    const w = this.win;
    w.setUint32(w.base, v);
  }
  get serviceIdLow(): number {
    const w = this.win;
    return w.getUint32(w.base + 4);
  }
  set serviceIdLow(v: number) {
    const w = this.win;
    w.setUint32(w.base + 4, v);
  }
  get dlid(): number {
    const w = this.win;
    return w.getUint16(w.base + 40);
  }
  set dlid(v: number) {
    const w = this.win;
    w.setUint16(w.base + 40, v);
  }
  get slid(): number {
    const w = this.win;
    return w.getUint16(w.base + 42);
  }
  set slid(v: number) {
    const w = this.win;
    w.setUint16(w.base + 42, v);
  }
  get rawTraffic(): number {
    const w = this.win;
    return w.getUint8(w.base + 44) >>> 7;
  }
  set rawTraffic(v: number) {
    const b = this.ref.bytes;
    const o = this.ref.base + this.offset + 44;
    b[o] = (b[o]! & 0x7f) | ((v & 1) << 7);
  }
  get flowLabel(): number {
    const w = this.win;
    return (w.getUint32(w.base + 44) >>> 8) & 0xfffff;
  }
  set flowLabel(v: number) {
    const b = this.ref.bytes;
    const o = this.ref.base + this.offset + 44;
    const w = u32(b, o);
    setU32(b, o, (w & 0xf00000ff) | ((v & 0xfffff) << 8));
  }
  get hopLimit(): number {
    const w = this.win;
    return w.getUint8(w.base + 47);
  }
  set hopLimit(v: number) {
    const w = this.win;
    w.setUint8(w.base + 47, v);
  }
  get tclass(): number {
    const w = this.win;
    return w.getUint8(w.base + 48);
  }
  set tclass(v: number) {
    const w = this.win;
    w.setUint8(w.base + 48, v);
  }
  get reversible(): number {
    const w = this.win;
    return w.getUint8(w.base + 49) >>> 7;
  }
  set reversible(v: number) {
    const b = this.ref.bytes;
    const o = this.ref.base + this.offset + 49;
    b[o] = (b[o]! & 0x7f) | ((v & 1) << 7);
  }
  get numbPath(): number {
    const w = this.win;
    return w.getUint8(w.base + 49) & 0x7f;
  }
  set numbPath(v: number) {
    const b = this.ref.bytes;
    const o = this.ref.base + this.offset + 49;
    b[o] = (b[o]! & 0x80) | (v & 0x7f);
  }
  get pkey(): number {
    const w = this.win;
    return w.getUint16(w.base + 50);
  }
  set pkey(v: number) {
    const w = this.win;
    w.setUint16(w.base + 50, v);
  }
  get qosClass(): number {
    const w = this.win;
    return w.getUint16(w.base + 52) >>> 4;
  }
  set qosClass(v: number) {
    const b = this.ref.bytes;
    const o = this.ref.base + this.offset + 52;
    setU16(b, o, ((v & 0xfff) << 4) | (b[o + 1]! & 0x0f));
  }
  get sl(): number {
    const w = this.win;
    return w.getUint8(w.base + 53) & 0x0f;
  }
  set sl(v: number) {
    const b = this.ref.bytes;
    const o = this.ref.base + this.offset + 53;
    b[o] = (b[o]! & 0xf0) | (v & 0x0f);
  }
  /** MTU byte: selector in bits 7-6, MTU enum in bits 5-0 (golden: 132 = exactly 2048). */
  get mtu(): number {
    const w = this.win;
    return w.getUint8(w.base + 54);
  }
  set mtu(v: number) {
    const w = this.win;
    w.setUint8(w.base + 54, v);
  }
  get rate(): number {
    const w = this.win;
    return w.getUint8(w.base + 55);
  }
  set rate(v: number) {
    const w = this.win;
    w.setUint8(w.base + 55, v);
  }
  get pktLife(): number {
    const w = this.win;
    return w.getUint8(w.base + 56);
  }
  set pktLife(v: number) {
    const w = this.win;
    w.setUint8(w.base + 56, v);
  }
  get preference(): number {
    const w = this.win;
    return w.getUint8(w.base + 57);
  }
  set preference(v: number) {
    const w = this.win;
    w.setUint8(w.base + 57, v);
  }
  /** The 6-bit MTU enum without its selector. */
  get mtuValue(): number {
    const w = this.win;
    return w.getUint8(w.base + 54) & 0x3f;
  }
  get mtuSelector(): number {
    const w = this.win;
    return w.getUint8(w.base + 54) >>> 6;
  }
  get rateValue(): number {
    const w = this.win;
    return w.getUint8(w.base + 55) & 0x3f;
  }
  get pktLifeValue(): number {
    const w = this.win;
    return w.getUint8(w.base + 56) & 0x3f;
  }
}
