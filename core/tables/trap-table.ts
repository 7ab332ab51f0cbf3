// The SM's trap table (Algorithm 1): when a vGUID is deleted from a port its path record is
// parked here — old LID, host, the port GUID it was on, and when it was parked. A later Set
// of the same vGUID finds it: a different LID means migration (RePath), the same LID a
// reboot. Records never set again expire after a configurable age (UnPath); the patent keeps
// them forever, expiry is this implementation's addition.
//
// Slot layout, 10 u32 words = 40 bytes:
//   [0] vGUID high [1] vGUID low [2] old LID [3] host [4] port GUID high [5] port GUID low
//   [6] previous record in park order + 1   [7] next record in park order + 1   (0 = none)
//   [8..9] parkedAt, float64 virtual ns (read through a Float64Array view of the same words)
//
// Expiry without scanning the table: the records form a doubly linked FIFO in park order,
// threaded through the slots themselves (head and tail in the shared header). Park times are
// non-decreasing (virtual time), so the list is ordered by age and expire() pops from the
// head only while the oldest record is old enough: its cost is the records it expires, plus
// one look at the first that stays. A re-park moves the record to the tail; a remove unlinks
// it. Both are O(1). When deletion's backward shift moves a record to another slot, its two
// neighbours' links (or the head/tail) are redirected — also O(1) per moved record.
import { GuidSlots, H_USER, type GuidSlotsOptions, type GuidSlotsShared } from './guid-slots.js';
import { checkRange, checkU32, guidHex } from './table-error.js';

const TABLE = 'TrapTable';
const STRIDE = 10;
const W_PREV = 6;
const W_NEXT = 7;
const F_PARKED = 4; // float64 index within a slot: words 8..9 -> slot * 5 + 4
const H_HEAD = H_USER; // first (oldest) record + 1
const H_TAIL = H_USER + 1; // last (newest) record + 1
const H_LAST_F64 = (H_USER + 2) / 2; // float64 index in the header: time of the latest park
/**
 * Default load factor 0.5, not the 0.75 of the other tables: every trap record is inserted
 * once and deleted once (matched or expired), so deletes are as frequent as inserts, and a
 * backward-shift delete scans to the end of the probe cluster — about (1 + 1/(1-a)^2)/2
 * slots, 8.5 at 0.75 but 2.5 at 0.5. The table holds only parked records, so memory is cheap.
 */
export const TRAP_DEFAULT_MAX_LOAD = 0.5;

export type TrapTableShared = GuidSlotsShared;

export class TrapTable {
  private core!: GuidSlots;
  private w!: Uint32Array;
  private f64!: Float64Array;
  private meta!: Int32Array;
  private metaF64!: Float64Array;

  constructor(capacity: number, options: GuidSlotsOptions = {}) {
    this.bind(GuidSlots.create(TABLE, capacity, STRIDE, { ...options, maxLoad: options.maxLoad ?? TRAP_DEFAULT_MAX_LOAD }));
    this.metaF64[H_LAST_F64] = -Infinity;
  }

  static fromShared(s: TrapTableShared): TrapTable {
    const t = Object.create(TrapTable.prototype) as TrapTable;
    t.bind(new GuidSlots(TABLE, s.buffer));
    return t;
  }

  toShared(): TrapTableShared {
    return { buffer: this.core.buffer };
  }

  private bind(core: GuidSlots): void {
    this.core = core;
    this.views();
    core.onMove = (from, to) => this.moved(from, to);
    core.onRehash = (remap) => {
      this.views();
      this.rehashed(remap);
    };
  }

  private views(): void {
    this.w = this.core.w;
    this.f64 = this.core.f64;
    this.meta = this.core.meta;
    this.metaF64 = new Float64Array(this.core.buffer, 0, 8);
  }

  /** Designed bytes per parked record at `load`: 40-byte slots, 80 at the default 0.5. */
  static bytesPerEntry(load = TRAP_DEFAULT_MAX_LOAD): number {
    return (STRIDE * 4) / load;
  }

  /** Real bytes per parked record now: the whole buffer over records. */
  get bytesPerEntry(): number {
    return this.core.byteLength / this.core.size;
  }

  get byteLength(): number {
    return this.core.byteLength;
  }

  get size(): number {
    return this.core.size;
  }

  get capacity(): number {
    return this.core.limit;
  }

  get isStale(): boolean {
    return this.core.isStale;
  }

  /** Slot of the oldest parked record (next to expire), or -1. */
  get oldest(): number {
    return this.meta[H_HEAD]! - 1;
  }

  /**
   * Parks (or re-parks) the path record of a deleted vGUID. parkedAtNs must not be earlier
   * than the previous park: the FIFO's age order relies on virtual time never going back.
   */
  park(high: number, low: number, oldLid: number, host: number, portGuidHigh: number, portGuidLow: number, parkedAtNs: number): void {
    checkRange(TABLE, 'oldLid', oldLid, 0xffff);
    checkU32(TABLE, 'host', host);
    checkU32(TABLE, 'portGuidHigh', portGuidHigh);
    checkU32(TABLE, 'portGuidLow', portGuidLow);
    const last = this.metaF64[H_LAST_F64]!;
    if (!Number.isFinite(parkedAtNs) || parkedAtNs < last) {
      throw new RangeError(`${TABLE}: parkedAtNs ${parkedAtNs} is earlier than the previous park at ${last} (or not finite) for vGUID ${guidHex(high, low)}`);
    }
    const core = this.core;
    const s = core.insertSlot(high, low);
    // insertSlot may have grown the table into a new buffer: read the views after it.
    if (!core.created) this.unlink(s);
    const w = this.w;
    const b = s * STRIDE;
    w[b + 2] = oldLid;
    w[b + 3] = host;
    w[b + 4] = portGuidHigh;
    w[b + 5] = portGuidLow;
    this.f64[s * 5 + F_PARKED] = parkedAtNs;
    this.metaF64[H_LAST_F64] = parkedAtNs;
    this.append(s);
  }

  private append(s: number): void {
    const w = this.w;
    const tail = this.meta[H_TAIL]!;
    w[s * STRIDE + W_PREV] = tail;
    w[s * STRIDE + W_NEXT] = 0;
    if (tail === 0) this.meta[H_HEAD] = s + 1;
    else w[(tail - 1) * STRIDE + W_NEXT] = s + 1;
    this.meta[H_TAIL] = s + 1;
  }

  private unlink(s: number): void {
    const w = this.w;
    const prev = w[s * STRIDE + W_PREV]!;
    const next = w[s * STRIDE + W_NEXT]!;
    if (prev === 0) this.meta[H_HEAD] = next;
    else w[(prev - 1) * STRIDE + W_NEXT] = next;
    if (next === 0) this.meta[H_TAIL] = prev;
    else w[(next - 1) * STRIDE + W_PREV] = prev;
  }

  /** The record now at `to` came from `from`: point its neighbours (or head/tail) at it. */
  private moved(_from: number, to: number): void {
    const w = this.w;
    const prev = w[to * STRIDE + W_PREV]!;
    const next = w[to * STRIDE + W_NEXT]!;
    if (prev === 0) this.meta[H_HEAD] = to + 1;
    else w[(prev - 1) * STRIDE + W_NEXT] = to + 1;
    if (next === 0) this.meta[H_TAIL] = to + 1;
    else w[(next - 1) * STRIDE + W_PREV] = to + 1;
  }

  /** After growth every record sits in a new slot: translate the links through the remap. */
  private rehashed(remap: Int32Array): void {
    const w = this.w;
    for (let o = 0; o < remap.length; o++) {
      const s = remap[o]!;
      if (s < 0) continue;
      const prev = w[s * STRIDE + W_PREV]!;
      const next = w[s * STRIDE + W_NEXT]!;
      w[s * STRIDE + W_PREV] = prev === 0 ? 0 : remap[prev - 1]! + 1;
      w[s * STRIDE + W_NEXT] = next === 0 ? 0 : remap[next - 1]! + 1;
    }
    const head = this.meta[H_HEAD]!;
    const tail = this.meta[H_TAIL]!;
    this.meta[H_HEAD] = head === 0 ? 0 : remap[head - 1]! + 1;
    this.meta[H_TAIL] = tail === 0 ? 0 : remap[tail - 1]! + 1;
  }

  /** Slot of the parked record, or -1. Valid until the next park/remove/expire. */
  find(high: number, low: number): number {
    return this.core.find(high, low);
  }

  oldLid(slot: number): number {
    return this.w[slot * STRIDE + 2]!;
  }

  host(slot: number): number {
    return this.w[slot * STRIDE + 3]!;
  }

  portGuidHigh(slot: number): number {
    return this.w[slot * STRIDE + 4]!;
  }

  portGuidLow(slot: number): number {
    return this.w[slot * STRIDE + 5]!;
  }

  parkedAt(slot: number): number {
    return this.f64[slot * 5 + F_PARKED]!;
  }

  vguidHigh(slot: number): number {
    return this.w[slot * STRIDE]!;
  }

  vguidLow(slot: number): number {
    return this.w[slot * STRIDE + 1]!;
  }

  /** Removes the parked record (a Set matched it). */
  remove(high: number, low: number): boolean {
    const s = this.core.find(high, low);
    if (s < 0) return false;
    this.removeAt(s);
    return true;
  }

  /** Removes the record at a slot just returned by find() — Algorithm 1's match without a second probe. */
  removeAt(slot: number): void {
    const b = slot * STRIDE;
    if (!Number.isInteger(slot) || slot < 0 || slot >= this.core.slots || (this.w[b]! | this.w[b + 1]!) === 0) {
      throw new RangeError(`${TABLE}: removeAt slot ${slot} holds no parked record`);
    }
    this.unlink(slot);
    this.core.deleteSlot(slot);
  }

  /**
   * Expires every record parked at least maxAgeNs before nowNs, oldest first. onExpired runs
   * before the record is removed, so the slot accessors still read it; it must not park or
   * remove records itself. Cost is proportional to the records expired, never to the table
   * size. Returns the number expired.
   */
  expire(nowNs: number, maxAgeNs: number, onExpired: (high: number, low: number, slot: number) => void): number {
    let expired = 0;
    for (;;) {
      const head = this.meta[H_HEAD]!;
      if (head === 0) break;
      const s = head - 1;
      if (nowNs - this.f64[s * 5 + F_PARKED]! < maxAgeNs) break;
      const kh = this.w[s * STRIDE]!;
      const kl = this.w[s * STRIDE + 1]!;
      onExpired(kh, kl, s);
      if (this.meta[H_HEAD] !== head || this.w[s * STRIDE] !== kh || this.w[s * STRIDE + 1] !== kl) {
        throw new Error(`${TABLE}: onExpired for vGUID ${guidHex(kh, kl)} changed the trap table; park or remove after expire() returns`);
      }
      this.unlink(s);
      this.core.deleteSlot(s);
      expired++;
    }
    return expired;
  }

  clear(): void {
    this.core.clear();
    this.meta[H_HEAD] = 0;
    this.meta[H_TAIL] = 0;
  }

  /** Cold path: every parked record, oldest first. Do not mutate from fn. */
  forEach(fn: (high: number, low: number, slot: number) => void): void {
    for (let s = this.meta[H_HEAD]! - 1; s >= 0; s = this.w[s * STRIDE + W_NEXT]! - 1) {
      fn(this.w[s * STRIDE]!, this.w[s * STRIDE + 1]!, s);
    }
  }

  /**
   * Throws unless the hash invariants hold and the FIFO links every record exactly once,
   * in non-decreasing park time, consistently both ways. Cold path, for tests.
   */
  checkInvariants(): void {
    this.core.checkInvariants();
    let count = 0;
    let prev = 0;
    let lastTime = -Infinity;
    for (let s = this.meta[H_HEAD]! - 1; s >= 0; s = this.w[s * STRIDE + W_NEXT]! - 1) {
      if (this.w[s * STRIDE + W_PREV] !== prev) throw new Error(`${TABLE}: FIFO back link of slot ${s} is ${this.w[s * STRIDE + W_PREV]! - 1}, expected ${prev - 1}`);
      if (this.parkedAt(s) < lastTime) throw new Error(`${TABLE}: FIFO out of age order at slot ${s}`);
      lastTime = this.parkedAt(s);
      prev = s + 1;
      if (++count > this.size) throw new Error(`${TABLE}: FIFO has a cycle`);
    }
    if (count !== this.size) throw new Error(`${TABLE}: FIFO links ${count} records but the table holds ${this.size}`);
    if (this.meta[H_TAIL] !== prev) throw new Error(`${TABLE}: FIFO tail is slot ${this.meta[H_TAIL]! - 1}, expected ${prev - 1}`);
  }
}
