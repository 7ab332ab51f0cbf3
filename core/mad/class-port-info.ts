// ClassPortInfo (attribute 0x0001 of every GS class, 72 bytes): what a class manager supports and
// where it redirects requests and sends traps. Offsets (IBA 13.4.8.1; ib_class_port_info_t):
//   0 BaseVersion  1 ClassVersion  2 CapabilityMask(2)  4 CapabilityMask2(27b) RespTimeValue(5b)
//   8 RedirectGID(16)  24 RedirectTC(8b) RedirectSL(4b) RedirectFL(20b)  28 RedirectLID(2)
//   30 RedirectP_Key(2)  32 reserved(8b) RedirectQP(24b)  36 RedirectQ_Key(4)
//   40 TrapGID(16)  56 TrapTC(8b) TrapSL(4b) TrapFL(20b)  60 TrapLID(2)  62 TrapP_Key(2)
//   64 TrapHL(8b) TrapQP(24b)  68 TrapQ_Key(4)
import { BytesRef, type FieldWindow } from './bytes.js';
import { GidView } from './gid-view.js';

// Field reads and writes go through the view's FieldWindow, `const w = this.win; return w.getUint16(w.base + K)`,
// the form that keeps each getter within V8's 27-byte always-inline size (see bytes.ts); the
// few read-modify-write fields use these module-local helpers. They are module-local, not imported,
// because V8 inlines any function of at most 27 bytecode bytes regardless of the caller's inlining
// budget and an imported helper's TDZ check pushes its callers over that size.
function setU16(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 8;
  b[o + 1] = v;
}
function setU24(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 16;
  setU16(b, o + 1, v);
}

export const CLASS_PORT_INFO_SIZE = 72;

export class ClassPortInfoView {
  readonly ref: BytesRef;
  readonly offset: number;
  /** The window this view reads its fields through (see bytes.ts); replaced when the buffer changes. */
  win: FieldWindow;
  readonly redirectGid: GidView;
  readonly trapGid: GidView;

  constructor(ref: BytesRef, offset: number) {
    this.ref = ref;
    this.offset = offset;
    this.win = ref.window(offset, (w) => (this.win = w));
    this.redirectGid = new GidView(ref, offset + 8);
    this.trapGid = new GidView(ref, offset + 40);
  }

  get baseVersion(): number {
    const w = this.win;
    return w.getUint8(w.base);
  }
  set baseVersion(v: number) {
    const w = this.win;
    w.setUint8(w.base, v);
  }
  get classVersion(): number {
    const w = this.win;
    return w.getUint8(w.base + 1);
  }
  set classVersion(v: number) {
    const w = this.win;
    w.setUint8(w.base + 1, v);
  }
  get capabilityMask(): number {
    const w = this.win;
    return w.getUint16(w.base + 2);
  }
  set capabilityMask(v: number) {
    const w = this.win;
    w.setUint16(w.base + 2, v);
  }
  get capabilityMask2(): number {
    const w = this.win;
    return w.getUint32(w.base + 4) >>> 5;
  }
  set capabilityMask2(v: number) {
    const o = this.ref.base + this.offset + 4;
    this.ref.dv.setUint32(this.ref.dvBase + this.offset + 4, (((v & 0x7ffffff) << 5) | (this.ref.bytes[o + 3]! & 0x1f)) >>> 0);
  }
  get respTimeValue(): number {
    const w = this.win;
    return w.getUint8(w.base + 7) & 0x1f;
  }
  set respTimeValue(v: number) {
    const b = this.ref.bytes;
    const o = this.ref.base + this.offset + 7;
    b[o] = (b[o]! & 0xe0) | (v & 0x1f);
  }
  get redirectTClass(): number {
    const w = this.win;
    return w.getUint8(w.base + 24);
  }
  set redirectTClass(v: number) {
    const w = this.win;
    w.setUint8(w.base + 24, v);
  }
  get redirectSl(): number {
    const w = this.win;
    return w.getUint8(w.base + 25) >>> 4;
  }
  set redirectSl(v: number) {
    const b = this.ref.bytes;
    const o = this.ref.base + this.offset + 25;
    b[o] = (b[o]! & 0x0f) | ((v & 0x0f) << 4);
  }
  get redirectFlowLabel(): number {
    const w = this.win;
    return w.getUint32(w.base + 24) & 0xfffff; // 20-bit field in the low bits of the u32 ending with it
  }
  set redirectFlowLabel(v: number) {
    const b = this.ref.bytes;
    const o = this.ref.base + this.offset + 25;
    setU24(b, o, (b[o]! & 0xf0) << 16 | (v & 0xfffff));
  }
  get redirectLid(): number {
    const w = this.win;
    return w.getUint16(w.base + 28);
  }
  set redirectLid(v: number) {
    const w = this.win;
    w.setUint16(w.base + 28, v);
  }
  get redirectPKey(): number {
    const w = this.win;
    return w.getUint16(w.base + 30);
  }
  set redirectPKey(v: number) {
    const w = this.win;
    w.setUint16(w.base + 30, v);
  }
  get redirectQp(): number {
    const w = this.win;
    return w.getUint32(w.base + 32) & 0xffffff; // 24-bit field: the u32 starting one byte earlier, masked
  }
  set redirectQp(v: number) {
    setU24(this.ref.bytes, this.ref.base + this.offset + 33, v);
  }
  get redirectQKey(): number {
    const w = this.win;
    return w.getUint32(w.base + 36);
  }
  set redirectQKey(v: number) {
    const w = this.win;
    w.setUint32(w.base + 36, v);
  }
  get trapTClass(): number {
    const w = this.win;
    return w.getUint8(w.base + 56);
  }
  set trapTClass(v: number) {
    const w = this.win;
    w.setUint8(w.base + 56, v);
  }
  get trapSl(): number {
    const w = this.win;
    return w.getUint8(w.base + 57) >>> 4;
  }
  set trapSl(v: number) {
    const b = this.ref.bytes;
    const o = this.ref.base + this.offset + 57;
    b[o] = (b[o]! & 0x0f) | ((v & 0x0f) << 4);
  }
  get trapFlowLabel(): number {
    const w = this.win;
    return w.getUint32(w.base + 56) & 0xfffff; // 20-bit field in the low bits of the u32 ending with it
  }
  set trapFlowLabel(v: number) {
    const b = this.ref.bytes;
    const o = this.ref.base + this.offset + 57;
    setU24(b, o, (b[o]! & 0xf0) << 16 | (v & 0xfffff));
  }
  get trapLid(): number {
    const w = this.win;
    return w.getUint16(w.base + 60);
  }
  set trapLid(v: number) {
    const w = this.win;
    w.setUint16(w.base + 60, v);
  }
  get trapPKey(): number {
    const w = this.win;
    return w.getUint16(w.base + 62);
  }
  set trapPKey(v: number) {
    const w = this.win;
    w.setUint16(w.base + 62, v);
  }
  get trapHopLimit(): number {
    const w = this.win;
    return w.getUint8(w.base + 64);
  }
  set trapHopLimit(v: number) {
    const w = this.win;
    w.setUint8(w.base + 64, v);
  }
  get trapQp(): number {
    const w = this.win;
    return w.getUint32(w.base + 64) & 0xffffff; // 24-bit field: the u32 starting one byte earlier, masked
  }
  set trapQp(v: number) {
    setU24(this.ref.bytes, this.ref.base + this.offset + 65, v);
  }
  get trapQKey(): number {
    const w = this.win;
    return w.getUint32(w.base + 68);
  }
  set trapQKey(v: number) {
    const w = this.win;
    w.setUint32(w.base + 68, v);
  }
}
