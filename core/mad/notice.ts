/**
 * Notice (attribute 0x0002, 80 bytes): a trap or a Report of one. Offsets within the Notice
 * (IBA 13.4.8.2; OpenSM ib_mad_notice_attr_t):
 *
 *   0 IsGeneric(1b) Type(7b)   1 ProducerType | VendorID (24b)   4 TrapNumber | DeviceID (16b)
 *   6 IssuerLID(16b)           8 NoticeToggle(1b) NoticeCount(15b)
 *   10-63 DataDetails (54 bytes)   64 IssuerGID (16 bytes)
 *
 * DataDetails layouts the codec knows:
 *   traps 64-67 (GID in/out of service, multicast group created/deleted): 10-15 reserved, 16 GID(16)
 *   trap 128 (link state change): 10 LIDADDR(2)
 *   trap 144 (capability mask change): 10 reserved(2), 12 LIDADDR(2), 14 reserved, 15 bit 0 OtherLocalChanges,
 *     16 CapabilityMask(4), 20 change flags(2), 22 CapabilityMask2(2)
 *   vendor notices (IsGeneric = 0): opaque 54 bytes.
 *
 * RePath (trap 69) and UnPath (trap 68) DataDetails. The IBA gives these traps numbers but no layout
 * that any SM uses (OpenSM never sends them), so repath defines one that fits the 54 bytes:
 *
 * | offset (in Notice) | size | field       | meaning |
 * |---|---|---|---|
 * | 10 | 2  | newLid      | LID the vGUID is reachable at now (0 in UnPath) |
 * | 12 | 2  | oldLid      | LID the vGUID was reachable at before |
 * | 14 | 1  | vmState     | 0 unknown, 1 running, 2 suspended, 3 migrating, 4 gone |
 * | 15 | 1  | reserved    | 0 |
 * | 16 | 16 | vgid        | GID of the VM: subnet prefix + vGUID (the same place traps 64-67 put their GID) |
 * | 32 | 8  | newPortGuid | physical port GUID of the new host's port (0 in UnPath) |
 * | 40 | 8  | oldPortGuid | physical port GUID of the old host's port |
 * | 48 | 4  | sequence    | per-vGUID generation, so a VM can ignore a late, older notice |
 * | 52 | 12 | reserved    | 0 |
 *
 * The vGID sits where traps 64-67 put their GID, so code that reads the GID of a trap 64-67 Notice
 * reads the vGID of a 68/69 one unchanged. All fields are big-endian like the rest of the MAD.
 * What tshark 4.0 shows (checked by test/trace-tshark.test.ts): it applies the IBA's own 68/69 reading
 * of DataDetails, a 64-bit COMP_MASK at Notice bytes 10-17 and WAIT_FOR_REPATH in bit 7 of byte 18, so
 * it prints newLid:oldLid:vmState:00:fe80 as "COMP_MASK" and the prefix's top bit as WAIT_FOR_REPATH;
 * it does not show the vGID as a GID, but the raw DataDetails field carries every byte above.
 */
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

export const NOTICE_SIZE = 80;
export const NOTICE_DATA_DETAILS_OFFSET = 10;
export const NOTICE_DATA_DETAILS_SIZE = 54;

export class NoticeView {
  readonly ref: BytesRef;
  readonly offset: number;
  /** The window this view reads its fields through (see bytes.ts); replaced when the buffer changes. */
  win: FieldWindow;
  /**
   * A window one byte in: ProducerType/VendorID (bytes 1-3) are the top 24 bits of the u32 it reads at
   * 0, one shift instead of a 24-bit mask whose wide operand would make the getter 31 bytecode bytes,
   * past V8's 27-byte always-inline size (see bytes.ts).
   */
  win1: FieldWindow;
  /** IssuerGID at +64. */
  readonly issuerGid: GidView;
  /** The GID of traps 64-67 at +16. */
  readonly gid: GidView;
  /** The VM's GID (prefix + vGUID) in RePath/UnPath at +16; the same bytes as `gid`. */
  readonly vgid: GidView;

  constructor(ref: BytesRef, offset: number) {
    this.ref = ref;
    this.offset = offset;
    this.win = ref.window(offset, (w) => (this.win = w));
    this.win1 = ref.window(offset + 1, (w) => (this.win1 = w));
    this.issuerGid = new GidView(ref, offset + 64);
    this.gid = new GidView(ref, offset + 16);
    this.vgid = this.gid;
  }

  get isGeneric(): number {
    const w = this.win;
    return w.getUint8(w.base) >>> 7;
  }
  set isGeneric(v: number) {
    const b = this.ref.bytes;
    const o = this.ref.base + this.offset;
    b[o] = (b[o]! & 0x7f) | ((v & 1) << 7);
  }
  get type(): number {
    const w = this.win;
    return w.getUint8(w.base) & 0x7f;
  }
  set type(v: number) {
    const b = this.ref.bytes;
    const o = this.ref.base + this.offset;
    b[o] = (b[o]! & 0x80) | (v & 0x7f);
  }
  get producerType(): number {
    const w = this.win1;
    return w.getUint32(w.base) >>> 8; // bytes 1-3: the top 24 bits of the u32 at byte 1
  }
  set producerType(v: number) {
    setU24(this.ref.bytes, this.ref.base + this.offset + 1, v);
  }
  /** VendorID (IEEE OUI) shares ProducerType's place when IsGeneric = 0. */
  get vendorId(): number {
    const w = this.win1;
    return w.getUint32(w.base) >>> 8; // bytes 1-3: the top 24 bits of the u32 at byte 1
  }
  set vendorId(v: number) {
    setU24(this.ref.bytes, this.ref.base + this.offset + 1, v);
  }
  get trapNumber(): number {
    const w = this.win;
    return w.getUint16(w.base + 4);
  }
  set trapNumber(v: number) {
    const w = this.win;
    w.setUint16(w.base + 4, v);
  }
  get deviceId(): number {
    const w = this.win;
    return w.getUint16(w.base + 4);
  }
  set deviceId(v: number) {
    const w = this.win;
    w.setUint16(w.base + 4, v);
  }
  get issuerLid(): number {
    const w = this.win;
    return w.getUint16(w.base + 6);
  }
  set issuerLid(v: number) {
    const w = this.win;
    w.setUint16(w.base + 6, v);
  }
  get noticeToggle(): number {
    const w = this.win;
    return w.getUint8(w.base + 8) >>> 7;
  }
  set noticeToggle(v: number) {
    const b = this.ref.bytes;
    const o = this.ref.base + this.offset + 8;
    b[o] = (b[o]! & 0x7f) | ((v & 1) << 7);
  }
  /** Left uninitialised by real OpenSM in Reports: read it only from producers known to set it. */
  get noticeCount(): number {
    const w = this.win;
    return w.getUint16(w.base + 8) & 0x7fff;
  }
  set noticeCount(v: number) {
    const b = this.ref.bytes;
    const o = this.ref.base + this.offset + 8;
    setU16(b, o, (b[o]! & 0x80) << 8 | (v & 0x7fff));
  }

  /** Byte i (0..53) of DataDetails, for opaque (vendor or unknown) layouts. */
  dataDetailsByte(i: number): number {
    const w = this.win;
    return w.getUint8(w.base + 10 + i);
  }
  setDataDetailsByte(i: number, v: number): void {
    const w = this.win;
    w.setUint8(w.base + 10 + i, v);
  }
  /** Zeroes the 54 DataDetails bytes (before filling one trap's layout). */
  clearDataDetails(): this {
    const o = this.ref.base + this.offset;
    this.ref.bytes.fill(0, o + 10, o + 64);
    return this;
  }

  // Trap 128: the LID of the switch whose link state changed.
  get lidAddr(): number {
    const w = this.win;
    return w.getUint16(w.base + 10);
  }
  set lidAddr(v: number) {
    const w = this.win;
    w.setUint16(w.base + 10, v);
  }

  // Trap 144: capability mask change. Its LIDADDR sits at +12 (after 2 reserved bytes), not at +10.
  get trap144LidAddr(): number {
    const w = this.win;
    return w.getUint16(w.base + 12);
  }
  set trap144LidAddr(v: number) {
    const w = this.win;
    w.setUint16(w.base + 12, v);
  }
  get otherLocalChanges(): number {
    const w = this.win;
    return w.getUint8(w.base + 15) & 1;
  }
  set otherLocalChanges(v: number) {
    const b = this.ref.bytes;
    const o = this.ref.base + this.offset + 15;
    b[o] = (b[o]! & 0xfe) | (v & 1);
  }
  get capabilityMask(): number {
    const w = this.win;
    return w.getUint32(w.base + 16);
  }
  set capabilityMask(v: number) {
    const w = this.win;
    w.setUint32(w.base + 16, v);
  }
  /** LinkSpeedExtEnabledChange, LinkSpeedEnabledChange, LinkWidthEnabledChange, NodeDescriptionChange... */
  get changeFlags(): number {
    const w = this.win;
    return w.getUint16(w.base + 20);
  }
  set changeFlags(v: number) {
    const w = this.win;
    w.setUint16(w.base + 20, v);
  }
  get capabilityMask2(): number {
    const w = this.win;
    return w.getUint16(w.base + 22);
  }
  set capabilityMask2(v: number) {
    const w = this.win;
    w.setUint16(w.base + 22, v);
  }

  // RePath (69) / UnPath (68): the layout in the header comment.
  get newLid(): number {
    const w = this.win;
    return w.getUint16(w.base + 10);
  }
  set newLid(v: number) {
    const w = this.win;
    w.setUint16(w.base + 10, v);
  }
  get oldLid(): number {
    const w = this.win;
    return w.getUint16(w.base + 12);
  }
  set oldLid(v: number) {
    const w = this.win;
    w.setUint16(w.base + 12, v);
  }
  get vmState(): number {
    const w = this.win;
    return w.getUint8(w.base + 14);
  }
  set vmState(v: number) {
    const w = this.win;
    w.setUint8(w.base + 14, v);
  }
  get newPortGuidHigh(): number {
    const w = this.win;
    return w.getUint32(w.base + 32);
  }
  set newPortGuidHigh(v: number) {
    const w = this.win;
    w.setUint32(w.base + 32, v);
  }
  get newPortGuidLow(): number {
    const w = this.win;
    return w.getUint32(w.base + 36);
  }
  set newPortGuidLow(v: number) {
    const w = this.win;
    w.setUint32(w.base + 36, v);
  }
  get oldPortGuidHigh(): number {
    const w = this.win;
    return w.getUint32(w.base + 40);
  }
  set oldPortGuidHigh(v: number) {
    const w = this.win;
    w.setUint32(w.base + 40, v);
  }
  get oldPortGuidLow(): number {
    const w = this.win;
    return w.getUint32(w.base + 44);
  }
  set oldPortGuidLow(v: number) {
    const w = this.win;
    w.setUint32(w.base + 44, v);
  }
  get sequence(): number {
    const w = this.win;
    return w.getUint32(w.base + 48);
  }
  set sequence(v: number) {
    const w = this.win;
    w.setUint32(w.base + 48, v);
  }
}
