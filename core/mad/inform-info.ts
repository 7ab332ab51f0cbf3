// InformInfo (SA attribute 0x0003, 36 bytes): a subscription to traps. Offsets (IBA 13.4.8.3; ib_inform_info_t):
//   0 GID(16)  16 LIDRangeBegin(2) (0xFFFF = all)  18 LIDRangeEnd(2)  20 reserved(2)
//   22 IsGeneric(1)  23 Subscribe(1)  24 Type(2)  26 TrapNumber | DeviceID (2)
//   28 QPN(24b) reserved(3b) RespTimeValue(5b)  32 reserved(1)  33 ProducerType | VendorID (24b)
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
function setU24(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 16;
  setU16(b, o + 1, v);
}
function setU32(b: Uint8Array, o: number, v: number): void {
  setU16(b, o, v >>> 16);
  setU16(b, o + 2, v);
}

export const INFORM_INFO_SIZE = 36;

export class InformInfoView {
  readonly ref: BytesRef;
  readonly offset: number;
  /** The window this view reads its fields through (see bytes.ts); replaced when the buffer changes. */
  win: FieldWindow;
  readonly gid: GidView;

  constructor(ref: BytesRef, offset: number) {
    this.ref = ref;
    this.offset = offset;
    this.win = ref.window(offset, (w) => (this.win = w));
    this.gid = new GidView(ref, offset);
  }

  get lidRangeBegin(): number {
    const w = this.win;
    return w.getUint16(w.base + 16);
  }
  set lidRangeBegin(v: number) {
    const w = this.win;
    w.setUint16(w.base + 16, v);
  }
  get lidRangeEnd(): number {
    const w = this.win;
    return w.getUint16(w.base + 18);
  }
  set lidRangeEnd(v: number) {
    const w = this.win;
    w.setUint16(w.base + 18, v);
  }
  get isGeneric(): number {
    const w = this.win;
    return w.getUint8(w.base + 22);
  }
  set isGeneric(v: number) {
    const w = this.win;
    w.setUint8(w.base + 22, v);
  }
  get subscribe(): number {
    const w = this.win;
    return w.getUint8(w.base + 23);
  }
  set subscribe(v: number) {
    const w = this.win;
    w.setUint8(w.base + 23, v);
  }
  get type(): number {
    const w = this.win;
    return w.getUint16(w.base + 24);
  }
  set type(v: number) {
    const w = this.win;
    w.setUint16(w.base + 24, v);
  }
  get trapNumber(): number {
    const w = this.win;
    return w.getUint16(w.base + 26);
  }
  set trapNumber(v: number) {
    const w = this.win;
    w.setUint16(w.base + 26, v);
  }
  /** DeviceID shares TrapNumber's place when IsGeneric = 0. */
  get deviceId(): number {
    const w = this.win;
    return w.getUint16(w.base + 26);
  }
  set deviceId(v: number) {
    const w = this.win;
    w.setUint16(w.base + 26, v);
  }
  get qpn(): number {
    const w = this.win;
    return w.getUint32(w.base + 28) >>> 8;
  }
  set qpn(v: number) {
    const b = this.ref.bytes;
    setU24(b, this.ref.base + this.offset + 28, v & 0xffffff);
  }
  get respTimeValue(): number {
    const w = this.win;
    return w.getUint8(w.base + 31) & 0x1f;
  }
  set respTimeValue(v: number) {
    const b = this.ref.bytes;
    const o = this.ref.base + this.offset + 31;
    b[o] = (b[o]! & 0xe0) | (v & 0x1f);
  }
  get producerType(): number {
    const w = this.win;
    return w.getUint32(w.base + 32) & 0xffffff; // 24-bit field: the u32 starting one byte earlier, masked
  }
  set producerType(v: number) {
    setU24(this.ref.bytes, this.ref.base + this.offset + 33, v);
  }
  /** VendorID shares ProducerType's place when IsGeneric = 0. */
  get vendorId(): number {
    const w = this.win;
    return w.getUint32(w.base + 32) & 0xffffff; // 24-bit field: the u32 starting one byte earlier, masked
  }
  set vendorId(v: number) {
    setU24(this.ref.bytes, this.ref.base + this.offset + 33, v);
  }
}

/** Reads the word at +28 whole (QPN and RespTimeValue together), for copying subscriptions. */
export function informInfoQpnWord(view: InformInfoView): number {
  return u32(view.ref.bytes, view.ref.base + view.offset + 28);
}
/** Writes the word at +28 whole. */
export function setInformInfoQpnWord(view: InformInfoView, v: number): void {
  setU32(view.ref.bytes, view.ref.base + view.offset + 28, v);
}
