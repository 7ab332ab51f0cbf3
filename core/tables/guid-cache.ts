// Dom0's GUID admin table (the patent's "GUID cache"): per host a fixed array of virtual
// function slots, each either inactive or holding the vGUID of the VM attached to it.
// Algorithm 2 forwards a RePath notice to every active VF of the host, so the scan must
// touch only active slots. Two views of the same set serve two needs:
// - a dense list of the host's active slots (attach appends, detach swaps the last one into
//   the hole, with a position index for O(1)): the forwarding loop reads activeCount(host)
//   and activeSlotAt(host, i) — a few sequential bytes, no bit twiddling, no branches on data;
// - an activity bitmap per host: isActive, freeSlot (lowest free VF) and activeSlots(), which
//   walks the set bits with count-leading-zeros and yields the slots in ascending order.
//
// One SharedArrayBuffer:
//   header 8 words [hosts, slotsPerHost, bitmap words per host]
//   guids   u32[hosts * slotsPerHost * 2]  (high, low) per slot, interleaved
//   bitmap  u32[hosts * ceil(slotsPerHost / 32)]
//   active  u32[hosts]                    active slot count per host
//   list    u8[hosts * slotsPerHost]      active slots, dense, attach order (swap-removed)
//   pos     u8[hosts * slotsPerHost]      index of each active slot in list
import { checkGuid, checkRange, guidHex } from './table-error.js';

const TABLE = 'GuidCache';
/** Typed arrays use the platform's byte order; activeList32's byte-per-VF reading assumes little-endian. */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
const HEADER_WORDS = 8;
export const MAX_SLOTS_PER_HOST = 128;

/**
 * Byte masks for reading a dense active list whole words at a time with no data-dependent
 * tail loop: LIST_TAIL_MASKS[c * 4 + q] keeps the bytes of word q (0..3) that hold the first
 * c entries (c in 0..16) of a run of 16 list bytes starting on a word boundary. A loop over a
 * host's activeList32 words ends in a tail of count & 3 entries (or, four words at a time,
 * count & 15); masking the tail's words instead of looping over its bytes takes the loop's
 * exit branch, whose trip count varies at random from host to host and which the branch
 * predictor misses about once per host, out of the scan. Masked-off bytes read as 0.
 */
export const LIST_TAIL_MASKS: Uint32Array = (() => {
  const m = new Uint32Array(17 * 4);
  for (let c = 0; c <= 16; c++) {
    for (let q = 0; q < 4; q++) {
      const bytes = Math.max(0, Math.min(4, c - 4 * q));
      m[c * 4 + q] = bytes === 4 ? 0xffffffff : (1 << (8 * bytes)) - 1;
    }
  }
  return m;
})();

export interface GuidCacheShared {
  readonly buffer: SharedArrayBuffer;
}

function layout(hosts: number, slotsPerHost: number) {
  const bitmapWords = Math.ceil(slotsPerHost / 32);
  const guidWords = hosts * slotsPerHost * 2;
  const bitmapOffset = HEADER_WORDS + guidWords;
  const activeOffset = bitmapOffset + hosts * bitmapWords;
  const listByte = (activeOffset + hosts) * 4;
  const posByte = listByte + hosts * slotsPerHost;
  const totalBytes = posByte + hosts * slotsPerHost;
  return { bitmapWords, guidWords, bitmapOffset, activeOffset, listByte, posByte, totalBytes };
}

export class GuidCache {
  private buffer!: SharedArrayBuffer;
  private guids!: Uint32Array;
  private bitmap!: Uint32Array;
  private active!: Uint32Array;
  private list!: Uint8Array;
  private pos!: Uint8Array;
  private list32: Uint32Array | null = null;
  /** Hosts in the table. */
  hosts!: number;
  /** VF slots per host, 1..128. */
  slotsPerHost!: number;
  private bitmapWords!: number;

  constructor(hosts: number, slotsPerHost: number) {
    if (!Number.isInteger(hosts) || hosts < 1) {
      throw new RangeError(`${TABLE}: hosts must be a positive integer, got ${hosts}`);
    }
    checkRange(TABLE, 'slotsPerHost', slotsPerHost, MAX_SLOTS_PER_HOST);
    if (slotsPerHost < 1) throw new RangeError(`${TABLE}: slotsPerHost must be in 1..${MAX_SLOTS_PER_HOST}, got ${slotsPerHost}`);
    const l = layout(hosts, slotsPerHost);
    const buffer = new SharedArrayBuffer(l.totalBytes);
    const header = new Uint32Array(buffer, 0, HEADER_WORDS);
    header[0] = hosts;
    header[1] = slotsPerHost;
    header[2] = l.bitmapWords;
    this.bind(buffer);
  }

  static fromShared(s: GuidCacheShared): GuidCache {
    const c = Object.create(GuidCache.prototype) as GuidCache;
    c.bind(s.buffer);
    return c;
  }

  toShared(): GuidCacheShared {
    return { buffer: this.buffer };
  }

  private bind(buffer: SharedArrayBuffer): void {
    const header = new Uint32Array(buffer, 0, HEADER_WORDS);
    this.buffer = buffer;
    this.hosts = header[0]!;
    this.slotsPerHost = header[1]!;
    const l = layout(this.hosts, this.slotsPerHost);
    this.bitmapWords = l.bitmapWords;
    this.guids = new Uint32Array(buffer, HEADER_WORDS * 4, l.guidWords);
    this.bitmap = new Uint32Array(buffer, l.bitmapOffset * 4, this.hosts * l.bitmapWords);
    this.active = new Uint32Array(buffer, l.activeOffset * 4, this.hosts);
    this.list = new Uint8Array(buffer, l.listByte, this.hosts * this.slotsPerHost);
    this.pos = new Uint8Array(buffer, l.posByte, this.hosts * this.slotsPerHost);
    this.list32 = null;
  }

  /** Bytes per VF slot for a host of `slotsPerHost` slots: 8 for the GUID, 2 for list and position, plus bitmap and count shares. */
  static bytesPerEntry(slotsPerHost: number): number {
    return 10 + (4 * Math.ceil(slotsPerHost / 32)) / slotsPerHost + 4 / slotsPerHost;
  }

  /** Real bytes per VF slot (the table is allocated per slot, active or not). */
  get bytesPerEntry(): number {
    return this.byteLength / (this.hosts * this.slotsPerHost);
  }

  get byteLength(): number {
    return this.buffer.byteLength;
  }

  private check(host: number, slot: number): void {
    if (!Number.isInteger(host) || host < 0 || host >= this.hosts) {
      throw new RangeError(`${TABLE}: host must be an integer in 0..${this.hosts - 1}, got ${host}`);
    }
    if (!Number.isInteger(slot) || slot < 0 || slot >= this.slotsPerHost) {
      throw new RangeError(`${TABLE}: slot must be an integer in 0..${this.slotsPerHost - 1}, got ${slot} (host ${host})`);
    }
  }

  /** Writes the VM's vGUID into a free VF slot. Throws if the slot is active or the host already holds the vGUID. */
  attach(host: number, slot: number, high: number, low: number): void {
    this.check(host, slot);
    checkGuid(TABLE, 'vGUID', high, low);
    if (this.isActive(host, slot)) {
      throw new Error(`${TABLE}: slot ${slot} of host ${host} is already active with vGUID ${guidHex(this.guidHigh(host, slot), this.guidLow(host, slot))}; detach it first`);
    }
    const other = this.findSlot(host, high, low);
    if (other >= 0) {
      throw new Error(`${TABLE}: vGUID ${guidHex(high, low)} is already attached to slot ${other} of host ${host}`);
    }
    const i = host * this.slotsPerHost + slot;
    this.guids[i * 2] = high;
    this.guids[i * 2 + 1] = low;
    this.bitmap[host * this.bitmapWords + (slot >>> 5)]! |= 1 << (slot & 31);
    const n = this.active[host]!;
    this.list[host * this.slotsPerHost + n] = slot;
    this.pos[i] = n;
    this.active[host] = n + 1;
  }

  /** Clears the slot; returns false (and changes nothing) when it was not active. */
  detach(host: number, slot: number): boolean {
    this.check(host, slot);
    if (!this.isActive(host, slot)) return false;
    const i = host * this.slotsPerHost + slot;
    this.guids[i * 2] = 0;
    this.guids[i * 2 + 1] = 0;
    this.bitmap[host * this.bitmapWords + (slot >>> 5)]! &= ~(1 << (slot & 31));
    // Swap the last listed slot into this one's place so the list stays dense.
    const last = this.active[host]! - 1;
    const base = host * this.slotsPerHost;
    const moved = this.list[base + last]!;
    const at = this.pos[i]!;
    this.list[base + at] = moved;
    this.pos[base + moved] = at;
    this.active[host] = last;
    return true;
  }

  isActive(host: number, slot: number): boolean {
    return (this.bitmap[host * this.bitmapWords + (slot >>> 5)]! & (1 << (slot & 31))) !== 0;
  }

  /** vGUID high half of the slot (0 when inactive). */
  guidHigh(host: number, slot: number): number {
    return this.guids[(host * this.slotsPerHost + slot) * 2]!;
  }

  guidLow(host: number, slot: number): number {
    return this.guids[(host * this.slotsPerHost + slot) * 2 + 1]!;
  }

  activeCount(host: number): number {
    return this.active[host]!;
  }

  /**
   * The i-th active slot of the host, 0 <= i < activeCount(host), in attach order (a detach
   * moves the last one into the gap). Algorithm 2's fast loop:
   * `for (let i = 0, n = c.activeCount(h); i < n; i++) forward(c.activeSlotAt(h, i))`.
   * Do not attach or detach on this host while looping.
   */
  activeSlotAt(host: number, i: number): number {
    return this.list[host * this.slotsPerHost + i]!;
  }

  /**
   * The dense active-slot lists of every host, as one shared byte array (read it, never write
   * it): host h's active slots are activeList[activeBase(h) + i] for i < activeCount(h), the
   * same order as activeSlotAt. For Algorithm 2 loops over many hosts, which hoist the array
   * out of the loop instead of re-reading it through the table per VF:
   * `const list = c.activeList; const b = c.activeBase(h); for (let i = 0, n = c.activeCount(h); i < n; i++) forward(list[b + i])`.
   */
  get activeList(): Uint8Array {
    return this.list;
  }

  /**
   * activeList read four entries at a time: word q holds activeList[4q .. 4q+3], the first in
   * its low byte (little-endian, as typed arrays are on every platform Node runs this on; the
   * getter refuses a big-endian one). Host h's list starts at word activeBase(h) / 4, so hosts
   * must have a multiple of 4 slots. For Algorithm 2 loops over hosts with many VFs: one load
   * yields four VF numbers,
   * `for (q = base / 4; q < base / 4 + (n >>> 2); q++) { v = l32[q]; forward(v & 255); forward((v >>> 8) & 255); ... }`
   * then the last n & 3 entries from activeList, or the tail's words masked with
   * LIST_TAIL_MASKS (no loop over the tail). Read it, never write it.
   */
  get activeList32(): Uint32Array {
    if (this.slotsPerHost % 4 !== 0) {
      throw new RangeError(`${TABLE}: activeList32 needs slotsPerHost a multiple of 4, got ${this.slotsPerHost}`);
    }
    if (!LITTLE_ENDIAN) throw new RangeError(`${TABLE}: activeList32 needs a little-endian platform`);
    if (this.list32 === null) this.list32 = new Uint32Array(this.list.buffer, this.list.byteOffset, this.list.length >>> 2);
    return this.list32;
  }

  /** Where host's active-slot list starts in activeList. */
  activeBase(host: number): number {
    return host * this.slotsPerHost;
  }

  /** Active slot holding the vGUID on this host, or -1. Scans active slots only. */
  findSlot(host: number, high: number, low: number): number {
    high >>>= 0;
    low >>>= 0;
    const words = this.bitmapWords;
    const base = host * words;
    const g = this.guids;
    const gbase = host * this.slotsPerHost * 2;
    for (let k = 0; k < words; k++) {
      let bits = this.bitmap[base + k]!;
      while (bits !== 0) {
        const bit = 31 - Math.clz32(bits & -bits);
        bits &= bits - 1;
        const slot = (k << 5) | bit;
        if (g[gbase + slot * 2 + 1] === low && g[gbase + slot * 2] === high) return slot;
      }
    }
    return -1;
  }

  /** Lowest inactive slot of the host, or -1 when every slot is active. */
  freeSlot(host: number): number {
    const words = this.bitmapWords;
    const base = host * words;
    for (let k = 0; k < words; k++) {
      const free = ~this.bitmap[base + k]!;
      if (free === 0) continue;
      const slot = (k << 5) | (31 - Math.clz32(free & -free));
      return slot < this.slotsPerHost ? slot : -1;
    }
    return -1;
  }

  /**
   * Algorithm 2's scan: writes the host's active slot numbers into out in ascending order and
   * returns how many. out must hold activeCount(host) numbers (slotsPerHost always suffices).
   */
  activeSlots(host: number, out: Int32Array): number {
    const words = this.bitmapWords;
    const base = host * words;
    const bitmap = this.bitmap;
    if (out.length < this.active[host]!) {
      throw new RangeError(`${TABLE}: out.length ${out.length} is less than the ${this.active[host]} active slots of host ${host}`);
    }
    let n = 0;
    for (let k = 0; k < words; k++) {
      let bits = bitmap[base + k]!;
      while (bits !== 0) {
        out[n++] = (k << 5) | (31 - Math.clz32(bits & -bits));
        bits &= bits - 1;
      }
    }
    return n;
  }
}
