// MadView: one reusable, allocation-free accessor over a 256-byte MAD. wrap() validates and binds;
// every header field and every SA attribute view then reads or writes the bound bytes in place.
// All attribute views share one BytesRef, so binding a MAD rebinds them all at once (see bytes.ts
// for why binding a slot of a ring is cheaper than binding an array not seen before).
//
// Common header (0-23): BaseVersion, MgmtClass, ClassVersion, R|Method, Status(2), ClassSpecific(2),
// TransactionID(8), AttributeID(2), reserved(2), AttributeModifier(4).
// SA header (24-55): RMPPVersion, RMPPType, RRespTime(5b)|RMPPFlags(3b), RMPPStatus, SegmentNumber(4),
// PayloadLength(4), SM_Key(8), AttributeOffset(2), reserved(2), ComponentMask(8). SA data: 56-255.
import {
  MAD_SIZE,
  SA_DATA_OFFSET,
  MgmtClass,
  ClassVersion,
  SaAttr,
  SaAttrSize,
  METHOD_RESPONSE_BIT,
} from './constants.js';
import { BytesRef, type FieldWindow } from './bytes.js';
import { checkMad, failLength, failSlot, ClassKind } from './mad-rules.js';
import { PathRecordView } from './path-record.js';
import { GuidInfoRecordView } from './guid-info-record.js';
import { InformInfoView } from './inform-info.js';
import { InformInfoRecordView } from './inform-info-record.js';
import { ClassPortInfoView } from './class-port-info.js';
import { NoticeView } from './notice.js';

// Field reads and writes go through the view's FieldWindow, `const w = this.win; return w.getUint16(w.base + K)`,
// the form that keeps each getter within V8's 27-byte always-inline size (see bytes.ts); the
// few read-modify-write fields use these module-local helpers. They are module-local, not imported,
// because V8 inlines any function of at most 27 bytecode bytes regardless of the caller's inlining
// budget and an imported helper's TDZ check pushes its callers over that size.
function u16(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}
function setU16(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 8;
  b[o + 1] = v;
}

/** AttributeOffset OpenSM writes for each SA attribute: record size >> 3 (8-byte words, rounded down). */
const SA_ATTR_OFFSET = new Uint8Array(65536);
for (const name of Object.keys(SaAttr) as Array<keyof typeof SaAttr>) SA_ATTR_OFFSET[SaAttr[name]] = SaAttrSize[name] >> 3;

/** The AttributeOffset for an SA attribute id (0 for ids the SA does not have). */
export function saAttributeOffset(attributeId: number): number {
  return SA_ATTR_OFFSET[attributeId & 0xffff]!;
}

export class MadView {
  /** Shared by every view of this MAD: the MAD is ref.bytes[ref.base .. ref.base + 256). */
  readonly ref: BytesRef;
  /** The window the header fields are read through (offset 0; see bytes.ts). */
  win: FieldWindow;
  /** Zero-filled copy target for short buffers (the codec's only copy). */
  private readonly scratch: Uint8Array;
  readonly pathRecord: PathRecordView;
  readonly guidInfoRecord: GuidInfoRecordView;
  readonly informInfo: InformInfoView;
  readonly informInfoRecord: InformInfoRecordView;
  readonly classPortInfo: ClassPortInfoView;
  readonly notice: NoticeView;

  constructor() {
    this.scratch = new Uint8Array(MAD_SIZE);
    this.ref = new BytesRef(this.scratch);
    this.win = this.ref.window(0, (w) => (this.win = w));
    this.pathRecord = new PathRecordView(this.ref, SA_DATA_OFFSET);
    this.guidInfoRecord = new GuidInfoRecordView(this.ref, SA_DATA_OFFSET);
    this.informInfo = new InformInfoView(this.ref, SA_DATA_OFFSET);
    this.informInfoRecord = new InformInfoRecordView(this.ref, SA_DATA_OFFSET);
    this.classPortInfo = new ClassPortInfoView(this.ref, SA_DATA_OFFSET);
    this.notice = new NoticeView(this.ref, SA_DATA_OFFSET);
  }

  /**
   * The MAD's 256 bytes: the wrapped array itself, the internal scratch for a short one, or (after
   * wrapSlot) a subarray of the ring, created on request.
   */
  get bytes(): Uint8Array {
    return this.ref.mad();
  }

  /**
   * Binds a received MAD and validates it; throws MadError (and nothing else) if it is invalid.
   * Exactly 256 bytes are used in place (a subarray of a SharedArrayBuffer works, writes go through);
   * 1..255 bytes are copied into the zero-filled scratch; 0 or more than 256 bytes are an error.
   * Binding an array not seen just before costs two typed-array property lookups; for a ring of
   * slots in one buffer, wrapSlot() binds with none.
   */
  wrap(bytes: Uint8Array): this {
    // The hot path is a 256-byte array; padding lives in its own method to keep this one small
    // enough for V8 to inline together with the caller's field reads.
    const b = bytes.length === MAD_SIZE ? bytes : this.padded(bytes);
    this.ref.bindAt(b, 0);
    checkMad(b, 0);
    return this;
  }

  /**
   * Binds and validates the MAD at ring[offset .. offset + 256) in place: the engine's hot path for
   * MADs held in a SharedArrayBuffer ring (no per-MAD lookups, no allocation). Throws MadError.
   *
   * Sized for V8's inliner (test/mad-inlining.test.ts checks it): a decode loop runs ~20% faster when
   * this, bindKnown() and checkMad() are all inlined into it. V8 weighs them (72 + 56 + 163 bytecode
   * bytes, times 1.2, plus whatever it inlined into their own optimised code if one was optimised on
   * its own first) against what is left of the loop's 920-byte budget, and the consumer usually goes
   * first: reading what Dom0 reads from a RePath Report takes ~550 bytes, leaving 20-40 to spare. So the
   * per-MAD path holds no call that is hit often, which V8 would inline into wrapSlot's own code and
   * then charge to every caller: an array other than the bound one, or an offset past its end, goes to
   * wrapNewSlot(), whose call site is hit once per ring (V8 does not inline call sites hit in fewer
   * than 15% of calls); an invalid MAD goes to checkMad's diagnose(), too big to inline at all.
   */
  wrapSlot(ring: Uint8Array, offset: number): this {
    const r = this.ref;
    if (ring !== r.bytes || (offset >>> 0) !== offset || offset > r.lastMad) return this.wrapNewSlot(ring, offset);
    r.bindKnown(offset);
    checkMad(ring, offset);
    return this;
  }

  /** wrapSlot's rare path: checks the offset (throws MadError), learns the ring, and binds. */
  private wrapNewSlot(ring: Uint8Array, offset: number): this {
    this.learnSlot(ring, offset);
    return this.wrapSlot(ring, offset);
  }

  private padded(bytes: Uint8Array): Uint8Array {
    const n = bytes.length;
    if (n === 0 || n > MAD_SIZE) failLength(n);
    const s = this.scratch;
    s.set(bytes);
    s.fill(0, n);
    return s;
  }

  /** Binds 256 bytes for writing, without validation (encoding into an array you own). */
  wrapForWrite(bytes: Uint8Array): this {
    if (bytes.length !== MAD_SIZE) failLength(bytes.length);
    this.ref.bindAt(bytes, 0);
    return this;
  }

  /** Binds ring[offset .. offset + 256) for writing, without validation (kept as small as wrapSlot). */
  wrapSlotForWrite(ring: Uint8Array, offset: number): this {
    const r = this.ref;
    if (ring !== r.bytes || (offset >>> 0) !== offset || offset > r.lastMad) return this.wrapNewSlotForWrite(ring, offset);
    r.bindKnown(offset);
    return this;
  }

  private wrapNewSlotForWrite(ring: Uint8Array, offset: number): this {
    this.learnSlot(ring, offset);
    return this.wrapSlotForWrite(ring, offset);
  }

  /** Throws MadError unless ring[offset .. offset + 256) is inside the ring, then makes the ring the bound array. */
  private learnSlot(ring: Uint8Array, offset: number): void {
    if ((offset | 0) !== offset || offset < 0 || offset + MAD_SIZE > ring.length) failSlot(ring.length, offset);
    this.ref.learn(ring);
  }

  /** Validates the bound bytes again (after writing them, or after another writer changed them). */
  validate(): this {
    checkMad(this.ref.bytes, this.ref.base);
    return this;
  }

  /** True when the bound MAD is of the SA class. */
  get isSa(): boolean {
    return this.ref.bytes[this.ref.base + 1] === MgmtClass.SubnAdm;
  }

  /**
   * Zero-fills and writes an SA MAD header: BaseVersion 1, class SA, ClassVersion 2, method, TID,
   * attribute id and the attribute's AttributeOffset (size >> 3, as OpenSM computes it).
   */
  initSa(method: number, attributeId: number, tidHigh: number, tidLow: number): this {
    const dv = this.ref.dv;
    const o = this.ref.dvBase;
    // 32 eight-byte stores: TypedArray.fill on a SharedArrayBuffer takes a slow byte-wise path.
    for (let i = 0; i < MAD_SIZE; i += 8) dv.setFloat64(o + i, 0);
    dv.setUint32(o, (1 << 24) | (MgmtClass.SubnAdm << 16) | (ClassVersion.SubnAdm << 8) | (method & 0xff));
    dv.setUint32(o + 8, tidHigh);
    dv.setUint32(o + 12, tidLow);
    dv.setUint16(o + 16, attributeId);
    dv.setUint16(o + 44, saAttributeOffset(attributeId));
    return this;
  }

  /**
   * Starts a response to `request` in this view's bound buffer: copies the request's header (common
   * header; SA header for SA; M_Key and directed-route LIDs for SMPs), zeroes the data, sets method
   * and status, and for SA the attribute's AttributeOffset and no RMPP.
   */
  initResponseTo(request: MadView, method: number, status: number): this {
    const src = request.ref.bytes;
    const so = request.ref.base;
    const dst = this.ref.bytes;
    const d = this.ref.base;
    const cls = src[so + 1]!;
    const headerEnd = cls === MgmtClass.SubnAdm ? SA_DATA_OFFSET : cls === MgmtClass.SubnLid || cls === MgmtClass.SubnDirected ? 64 : 24;
    if (src !== dst || so !== d) {
      dst.fill(0, d, d + MAD_SIZE);
      for (let i = 0; i < headerEnd; i++) dst[d + i] = src[so + i]!;
    } else {
      dst.fill(0, d + headerEnd, d + MAD_SIZE);
    }
    dst[d + 3] = method;
    setU16(dst, d + 4, status);
    if (cls === MgmtClass.SubnAdm) {
      dst.fill(0, d + 24, d + 36); // RMPP fields, segment number, payload length: single-MAD responses
      setU16(dst, d + 44, saAttributeOffset(u16(dst, d + 16)));
    }
    return this;
  }

  /** Copies all 256 bytes of another MAD into the bound buffer. */
  copyFrom(other: MadView): this {
    const src = other.ref.bytes;
    const so = other.ref.base;
    this.ref.bytes.set(src.subarray(so, so + MAD_SIZE), this.ref.base);
    return this;
  }

  /** Byte offset of SA record i (GetTableResp holds records AttributeOffset * 8 apart). */
  recordOffset(i: number): number {
    return SA_DATA_OFFSET + i * 8 * this.attributeOffset;
  }

  // ---- common header ----
  get baseVersion(): number {
    const w = this.win;
    return w.getUint8(w.base);
  }
  set baseVersion(v: number) {
    const w = this.win;
    w.setUint8(w.base, v);
  }
  get mgmtClass(): number {
    const w = this.win;
    return w.getUint8(w.base + 1);
  }
  set mgmtClass(v: number) {
    const w = this.win;
    w.setUint8(w.base + 1, v);
  }
  get classVersion(): number {
    const w = this.win;
    return w.getUint8(w.base + 2);
  }
  set classVersion(v: number) {
    const w = this.win;
    w.setUint8(w.base + 2, v);
  }
  /** The whole method byte, response bit included, so it compares with Method.GetResp etc. */
  get method(): number {
    const w = this.win;
    return w.getUint8(w.base + 3);
  }
  set method(v: number) {
    const w = this.win;
    w.setUint8(w.base + 3, v);
  }
  /** The 7-bit method without the response bit. */
  get baseMethod(): number {
    const w = this.win;
    return w.getUint8(w.base + 3) & 0x7f;
  }
  get isResponse(): boolean {
    const w = this.win;
    return (w.getUint8(w.base + 3) & METHOD_RESPONSE_BIT) !== 0;
  }
  set isResponse(v: boolean) {
    const b = this.ref.bytes;
    const o = this.ref.base + 3;
    b[o] = v ? b[o]! | METHOD_RESPONSE_BIT : b[o]! & 0x7f;
  }
  get status(): number {
    const w = this.win;
    return w.getUint16(w.base + 4);
  }
  set status(v: number) {
    const w = this.win;
    w.setUint16(w.base + 4, v);
  }
  get classSpecific(): number {
    const w = this.win;
    return w.getUint16(w.base + 6);
  }
  set classSpecific(v: number) {
    const w = this.win;
    w.setUint16(w.base + 6, v);
  }
  get tidHigh(): number {
    const w = this.win;
    return w.getUint32(w.base + 8);
  }
  set tidHigh(v: number) {
    const w = this.win;
    w.setUint32(w.base + 8, v);
  }
  get tidLow(): number {
    const w = this.win;
    return w.getUint32(w.base + 12);
  }
  set tidLow(v: number) {
    const w = this.win;
    w.setUint32(w.base + 12, v);
  }
  get attributeId(): number {
    const w = this.win;
    return w.getUint16(w.base + 16);
  }
  set attributeId(v: number) {
    const w = this.win;
    w.setUint16(w.base + 16, v);
  }
  get attributeModifier(): number {
    const w = this.win;
    return w.getUint32(w.base + 20);
  }
  set attributeModifier(v: number) {
    const w = this.win;
    w.setUint32(w.base + 20, v);
  }

  // ---- SA header ----
  get rmppVersion(): number {
    const w = this.win;
    return w.getUint8(w.base + 24);
  }
  set rmppVersion(v: number) {
    const w = this.win;
    w.setUint8(w.base + 24, v);
  }
  get rmppType(): number {
    const w = this.win;
    return w.getUint8(w.base + 25);
  }
  set rmppType(v: number) {
    const w = this.win;
    w.setUint8(w.base + 25, v);
  }
  get rrespTime(): number {
    const w = this.win;
    return w.getUint8(w.base + 26) >>> 3;
  }
  set rrespTime(v: number) {
    const b = this.ref.bytes;
    const o = this.ref.base + 26;
    b[o] = ((v & 0x1f) << 3) | (b[o]! & 7);
  }
  get rmppFlags(): number {
    const w = this.win;
    return w.getUint8(w.base + 26) & 7;
  }
  set rmppFlags(v: number) {
    const b = this.ref.bytes;
    const o = this.ref.base + 26;
    b[o] = (b[o]! & 0xf8) | (v & 7);
  }
  get rmppStatus(): number {
    const w = this.win;
    return w.getUint8(w.base + 27);
  }
  set rmppStatus(v: number) {
    const w = this.win;
    w.setUint8(w.base + 27, v);
  }
  get segmentNumber(): number {
    const w = this.win;
    return w.getUint32(w.base + 28);
  }
  set segmentNumber(v: number) {
    const w = this.win;
    w.setUint32(w.base + 28, v);
  }
  get payloadLength(): number {
    const w = this.win;
    return w.getUint32(w.base + 32);
  }
  set payloadLength(v: number) {
    const w = this.win;
    w.setUint32(w.base + 32, v);
  }
  get smKeyHigh(): number {
    const w = this.win;
    return w.getUint32(w.base + 36);
  }
  set smKeyHigh(v: number) {
    const w = this.win;
    w.setUint32(w.base + 36, v);
  }
  get smKeyLow(): number {
    const w = this.win;
    return w.getUint32(w.base + 40);
  }
  set smKeyLow(v: number) {
    const w = this.win;
    w.setUint32(w.base + 40, v);
  }
  get attributeOffset(): number {
    const w = this.win;
    return w.getUint16(w.base + 44);
  }
  set attributeOffset(v: number) {
    const w = this.win;
    w.setUint16(w.base + 44, v);
  }
  get componentMaskHigh(): number {
    const w = this.win;
    return w.getUint32(w.base + 48);
  }
  set componentMaskHigh(v: number) {
    const w = this.win;
    w.setUint32(w.base + 48, v);
  }
  get componentMaskLow(): number {
    const w = this.win;
    return w.getUint32(w.base + 52);
  }
  set componentMaskLow(v: number) {
    const w = this.win;
    w.setUint32(w.base + 52, v);
  }
}

export { ClassKind };
