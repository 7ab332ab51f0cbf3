// The VMs' SA-agent path caches (Algorithm 3): per VM, peer vGUID -> DLID and the path
// fields a connection needs (SL, MTU, rate). A VM checks its cache on every RePath notice
// and before every connection, so each VM owns a fixed region of an open-addressed table
// in one SharedArrayBuffer: linear probing wraps inside the region, so one VM's entries
// never spill into (or slow down) another's, and a full region is refused, not grown.
//
// Slot, 3 u32 words = 12 bytes: [peer vGUID high, low, DLID (0-15) | SL (16-19) |
// MTU (20-23) | rate (24-29)] — the IBA enum encodings of MTU and rate fit 4 and 6 bits.
// Each region has ceil(entriesPerVm / 0.75) slots, so a full region is at load 0.75.
import { DEFAULT_MAX_LOAD, guidHash, homeAt, homeScale } from './guid-slots.js';
import { checkGuid, checkRange } from './table-error.js';

const TABLE = 'PathCache';
const STRIDE = 3;
const HEADER_WORDS = 8;
const H_VMS = 0;
const H_ENTRIES = 1;
const H_REGION = 2;

export interface PathCacheShared {
  readonly buffer: SharedArrayBuffer;
}

export class PathCache {
  private buffer!: SharedArrayBuffer;
  private header!: Uint32Array;
  private sizes!: Uint32Array;
  private rejects!: Uint32Array;
  private w!: Uint32Array;
  /** VMs in the table. */
  vms!: number;
  /** Entries each VM's region holds at most. */
  entriesPerVm!: number;
  /** Slots per region (entriesPerVm / 0.75, rounded up, at least entriesPerVm + 1). */
  regionSlots!: number;
  /** homeScale(regionSlots): a peer's home in its VM's region is homeAt(hash, scale). */
  private scale!: number;

  constructor(vms: number, entriesPerVm: number) {
    if (!Number.isInteger(vms) || vms < 1) throw new RangeError(`${TABLE}: vms must be a positive integer, got ${vms}`);
    if (!Number.isInteger(entriesPerVm) || entriesPerVm < 1) {
      throw new RangeError(`${TABLE}: entriesPerVm must be a positive integer, got ${entriesPerVm}`);
    }
    const region = Math.max(entriesPerVm + 1, Math.ceil(entriesPerVm / DEFAULT_MAX_LOAD));
    const words = HEADER_WORDS + vms * 2 + vms * region * STRIDE;
    if (words >= 2 ** 32) throw new RangeError(`${TABLE}: ${vms} VMs x ${entriesPerVm} entries do not fit one buffer`);
    const buffer = new SharedArrayBuffer(words * 4);
    const header = new Uint32Array(buffer, 0, HEADER_WORDS);
    header[H_VMS] = vms;
    header[H_ENTRIES] = entriesPerVm;
    header[H_REGION] = region;
    this.attach(buffer);
  }

  static fromShared(s: PathCacheShared): PathCache {
    const c = Object.create(PathCache.prototype) as PathCache;
    c.attach(s.buffer);
    return c;
  }

  toShared(): PathCacheShared {
    return { buffer: this.buffer };
  }

  private attach(buffer: SharedArrayBuffer): void {
    this.buffer = buffer;
    this.header = new Uint32Array(buffer, 0, HEADER_WORDS);
    this.vms = this.header[H_VMS]!;
    this.entriesPerVm = this.header[H_ENTRIES]!;
    this.regionSlots = this.header[H_REGION]!;
    this.scale = homeScale(this.regionSlots);
    this.sizes = new Uint32Array(buffer, HEADER_WORDS * 4, this.vms);
    this.rejects = new Uint32Array(buffer, (HEADER_WORDS + this.vms) * 4, this.vms);
    this.w = new Uint32Array(buffer, (HEADER_WORDS + this.vms * 2) * 4, this.vms * this.regionSlots * STRIDE);
  }

  /** Bytes per cached path when every region is full: 12-byte slots at load 0.75 plus per-VM counters. */
  static bytesPerEntry(entriesPerVm: number): number {
    const region = Math.max(entriesPerVm + 1, Math.ceil(entriesPerVm / DEFAULT_MAX_LOAD));
    return (region * STRIDE * 4 + 8) / entriesPerVm;
  }

  /** Real bytes per cached path now: whole buffer over all cached entries. */
  get bytesPerEntry(): number {
    let total = 0;
    for (let v = 0; v < this.vms; v++) total += this.sizes[v]!;
    return this.byteLength / total;
  }

  get byteLength(): number {
    return this.buffer.byteLength;
  }

  size(vm: number): number {
    return this.sizes[vm]!;
  }

  /** Inserts refused because the VM's region was full (per VM). */
  rejected(vm: number): number {
    return this.rejects[vm]!;
  }

  /**
   * Inserts refused over all VMs: the sum of the per-VM counts, not a word of its own, because
   * VM shards write only their own VMs' rows (a shared total would be written by every shard at
   * once) and a rebuilt shard's rows are rolled back row by row (copyRowIn) before it replays.
   */
  get rejectedTotal(): number {
    let total = 0;
    for (let v = 0; v < this.vms; v++) total += this.rejects[v]!;
    return total;
  }

  private checkVm(vm: number): void {
    if (!Number.isInteger(vm) || vm < 0 || vm >= this.vms) {
      throw new RangeError(`${TABLE}: vm must be an integer in 0..${this.vms - 1}, got ${vm}`);
    }
  }

  /** Slot index (absolute) of the peer in the VM's region, or -1. */
  find(vm: number, high: number, low: number): number {
    high >>>= 0;
    low >>>= 0;
    if ((high | low) === 0) return -1;
    const r = this.regionSlots;
    const base = vm * r;
    const w = this.w;
    let i = homeAt(guidHash(high, low), this.scale);
    for (;;) {
      const b = (base + i) * STRIDE;
      const kh = w[b]!;
      const kl = w[b + 1]!;
      if (kl === low && kh === high) return base + i;
      if ((kh | kl) === 0) return -1;
      if (++i === r) i = 0;
    }
  }

  /**
   * Algorithm 3's check: the cached DLID of the peer, or -1 on a miss. find() written out so
   * the hit returns the DLID from the slot it just compared, with no second address
   * computation after the probe.
   */
  lookup(vm: number, high: number, low: number): number {
    high >>>= 0;
    low >>>= 0;
    if ((high | low) === 0) return -1;
    const r = this.regionSlots;
    const w = this.w;
    const base = vm * r;
    let i = homeAt(guidHash(high, low), this.scale);
    for (;;) {
      const b = (base + i) * STRIDE;
      const kl = w[b + 1]!;
      const kh = w[b]!;
      if (kl === low && kh === high) return w[b + 2]! & 0xffff;
      if ((kh | kl) === 0) return -1;
      if (++i === r) i = 0;
    }
  }

  sl(vm: number, high: number, low: number): number {
    const s = this.find(vm, high, low);
    return s < 0 ? -1 : (this.w[s * STRIDE + 2]! >>> 16) & 0xf;
  }

  mtu(vm: number, high: number, low: number): number {
    const s = this.find(vm, high, low);
    return s < 0 ? -1 : (this.w[s * STRIDE + 2]! >>> 20) & 0xf;
  }

  rate(vm: number, high: number, low: number): number {
    const s = this.find(vm, high, low);
    return s < 0 ? -1 : (this.w[s * STRIDE + 2]! >>> 24) & 0x3f;
  }

  /**
   * Caches (or overwrites) a path. Returns false, and counts the refusal, when the peer is
   * new and the VM's region already holds entriesPerVm paths.
   */
  insert(vm: number, high: number, low: number, dlid: number, sl: number, mtu: number, rate: number): boolean {
    this.checkVm(vm);
    checkGuid(TABLE, 'peer vGUID', high, low);
    checkRange(TABLE, 'dlid', dlid, 0xffff);
    checkRange(TABLE, 'sl', sl, 0xf);
    checkRange(TABLE, 'mtu', mtu, 0xf);
    checkRange(TABLE, 'rate', rate, 0x3f);
    const packed = (dlid | (sl << 16) | (mtu << 20) | (rate << 24)) >>> 0;
    const r = this.regionSlots;
    const base = vm * r;
    const w = this.w;
    let i = homeAt(guidHash(high, low), this.scale);
    for (;;) {
      const b = (base + i) * STRIDE;
      const kh = w[b]!;
      const kl = w[b + 1]!;
      if (kl === low && kh === high) {
        w[b + 2] = packed;
        return true;
      }
      if ((kh | kl) === 0) break;
      if (++i === r) i = 0;
    }
    if (this.sizes[vm]! >= this.entriesPerVm) {
      this.rejects[vm] = this.rejects[vm]! + 1;
      return false;
    }
    const b = (base + i) * STRIDE;
    w[b] = high;
    w[b + 1] = low;
    w[b + 2] = packed;
    this.sizes[vm] = this.sizes[vm]! + 1;
    return true;
  }

  /** Algorithm 3's update: sets the DLID of a cached peer, keeping SL/MTU/rate; false on a miss. */
  updateDlid(vm: number, high: number, low: number, dlid: number): boolean {
    checkRange(TABLE, 'dlid', dlid, 0xffff);
    const s = this.find(vm, high, low);
    if (s < 0) return false;
    const b = s * STRIDE + 2;
    this.w[b] = ((this.w[b]! & 0xffff0000) | dlid) >>> 0;
    return true;
  }

  /** Drops the peer from the VM's cache, shifting its probe run back (no tombstones). */
  remove(vm: number, high: number, low: number): boolean {
    const s = this.find(vm, high, low);
    if (s < 0) return false;
    const r = this.regionSlots;
    const base = vm * r;
    const w = this.w;
    let i = s - base;
    let j = i;
    for (;;) {
      if (++j === r) j = 0;
      const bj = (base + j) * STRIDE;
      const kh = w[bj]!;
      const kl = w[bj + 1]!;
      if ((kh | kl) === 0) break;
      const k = homeAt(guidHash(kh, kl), this.scale);
      const stays = i <= j ? k > i && k <= j : k > i || k <= j;
      if (!stays) {
        w.copyWithin((base + i) * STRIDE, bj, bj + STRIDE);
        i = j;
      }
    }
    w.fill(0, (base + i) * STRIDE, (base + i) * STRIDE + STRIDE);
    this.sizes[vm] = this.sizes[vm]! - 1;
    return true;
  }

  /** u32 words copyRowOut writes for one VM: its entry count, refusal count and whole region. */
  get rowWords(): number {
    return 2 + this.regionSlots * STRIDE;
  }

  /**
   * Copies VM vm's row (entry count, refusal count, region as laid out) to out[at..at+rowWords):
   * a VM shard's undo journal (core/engine/shard/undo-journal.ts) keeps it before the shard
   * first changes the row in a window, and copyRowIn puts it back when the shard dies.
   */
  copyRowOut(vm: number, out: Uint32Array, at: number): void {
    const r = this.regionSlots * STRIDE;
    out[at] = this.sizes[vm]!;
    out[at + 1] = this.rejects[vm]!;
    const w = this.w;
    for (let i = vm * r, end = i + r, o = at + 2; i < end; i++) out[o++] = w[i]!;
  }

  /** Puts back a row copyRowOut took (the layout, so probing and forEach order are as they were). */
  copyRowIn(vm: number, src: Uint32Array, at: number): void {
    const r = this.regionSlots * STRIDE;
    this.sizes[vm] = src[at]!;
    this.rejects[vm] = src[at + 1]!;
    this.w.set(src.subarray(at + 2, at + 2 + r), vm * r);
  }

  /** Empties one VM's cache (VM shut down or migrated out). */
  clearVm(vm: number): void {
    this.checkVm(vm);
    const r = this.regionSlots;
    this.w.fill(0, vm * r * STRIDE, (vm + 1) * r * STRIDE);
    this.sizes[vm] = 0;
  }

  /** Cold path: every cached path of the VM, slot order. Do not mutate from fn. */
  forEach(vm: number, fn: (high: number, low: number, dlid: number, sl: number, mtu: number, rate: number) => void): void {
    this.checkVm(vm);
    const r = this.regionSlots;
    const w = this.w;
    for (let i = vm * r; i < (vm + 1) * r; i++) {
      const b = i * STRIDE;
      if ((w[b]! | w[b + 1]!) === 0) continue;
      const p = w[b + 2]!;
      fn(w[b]!, w[b + 1]!, p & 0xffff, (p >>> 16) & 0xf, (p >>> 20) & 0xf, (p >>> 24) & 0x3f);
    }
  }
}
