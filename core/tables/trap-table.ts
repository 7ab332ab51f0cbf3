// The SM's trap table (Algorithm 1): when a vGUID is deleted from a port its path record is
// parked here — old LID, host, the port GUID it was on, and when it was parked. A later Set
// of the same vGUID finds it: a different LID means migration (RePath), the same LID a
// reboot. Records never set again expire after a configurable age (UnPath); the patent keeps
// them forever, expiry is this implementation's addition.
//
// Two SharedArrayBuffers:
//   slots — the open-addressed records, 8 u32 words = 32 bytes (two per cache line):
//     [0] vGUID high [1] vGUID low [2] old LID [3] host [4] port GUID high [5] port GUID low
//     [6] park sequence: where this record's entry sits in the park-order ring
//     [7] the record's home slot, cached so a backward-shift delete never re-hashes a key
//   ring  — park order: a power-of-two ring of 4-word entries
//     [0] vGUID high [1] vGUID low [2..3] parkedAt, float64 virtual ns
//   followed by a liveness bitmap, one bit per ring entry.
//
// Why a ring and not a linked list through the slots: Algorithm 1's hot path is "park on a
// Delete, find + remove on the next Set". A doubly linked FIFO threaded through the slots
// makes every remove touch its two neighbours' records (two random cache lines) and every
// backward-shift move of a deletion fix up the moved record's neighbours (two more each).
// The ring instead is appended to sequentially on park, and a remove (or re-park) only
// clears the liveness bit of the record's ring entry, found from the slot's park sequence —
// a bitmap of 1 bit per entry, so it stays in cache far longer than the records do (32 KB
// for 10^5 records). Slots moved by backward-shift deletion carry their sequence with them,
// so moves cost nothing extra. Dead entries at the head are popped at once, so the head is always the
// oldest parked record. When the ring is full of entries, the dead ones in the middle are
// squeezed out in place (live entries move forward, their slots' sequences are rewritten):
// the ring has at least 1.5 times as many entries as the table has capacity, so a squeeze
// frees at least a third of the ring, and its sequential passes cost O(1) per park amortised.
//
// Park times are non-decreasing (virtual time), so the ring is ordered by age and expire()
// pops from the head only while the oldest record is old enough: its cost is the records it
// expires (plus dead entries skipped), never the table size.
//
// Sequences are absolute ring positions as wrapping u32 counters (head and tail in the slots
// buffer's header); an entry's index in the ring is sequence & (ring entries - 1).
import { GuidSlots, H_SIZE, H_USER, guidHash, homeAt, type GuidSlotsOptions } from './guid-slots.js';
import { TableFullError, checkGuid, checkRange, checkU32, guidHex } from './table-error.js';

const TABLE = 'TrapTable';

/** Set bits in a u32 (SWAR: pairs, nibbles, then bytes summed by one multiply). */
function popcount(v: number): number {
  v = v - ((v >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
}
const STRIDE = 8;
const W_SEQ = 6;
const W_HOME = 7;
const RING_WORDS = 4;
const H_HEAD = H_USER; // sequence of the oldest ring entry (live unless the ring is empty)
const H_TAIL = H_USER + 1; // sequence the next park gets
const H_LAST_F64 = (H_USER + 2) / 2; // float64 index in the header: time of the latest park
/**
 * Default load factor 0.5, not the 0.75 of the other tables: every trap record is inserted
 * once and deleted once (matched or expired), so deletes are as frequent as inserts, and a
 * backward-shift delete scans to the end of the probe cluster — about (1 + 1/(1-a)^2)/2
 * slots, 8.5 at 0.75 but 2.5 at 0.5. The table holds only parked records, so memory is cheap.
 */
export const TRAP_DEFAULT_MAX_LOAD = 0.5;

export interface TrapTableShared {
  /** The records (a GuidSlots buffer, header included). */
  readonly buffer: SharedArrayBuffer;
  /** The park-order ring. */
  readonly ring: SharedArrayBuffer;
}

/** Ring entries for a table of `capacity` records: a power of two, at least 1.5 times the capacity. */
function ringEntriesFor(capacity: number): number {
  let r = 32;
  while (r < 1.5 * capacity) r *= 2;
  return r;
}

/** Ring buffer bytes: the entries, then one liveness bit per entry. */
function ringBytes(entries: number): number {
  return entries * RING_WORDS * 4 + entries / 8;
}

export class TrapTable {
  private core!: GuidSlots;
  private w!: Uint32Array;
  private meta!: Int32Array;
  private metaF64!: Float64Array;
  private ringBuffer!: SharedArrayBuffer;
  private ring!: Uint32Array;
  private ringF64!: Float64Array;
  private live!: Uint32Array;
  private mask!: number;
  /** Slot count and record limit of the current buffer (copied out of the core: the hot paths read them per call). */
  private slots!: number;
  private limit!: number;
  /** homeScale(slots), for homeAt. */
  private scale!: number;
  /** Squeeze scratch: live entries before each liveness word (writer only, allocated on first use). */
  private rank: Int32Array | null = null;

  constructor(capacity: number, options: GuidSlotsOptions = {}) {
    const core = GuidSlots.create(TABLE, capacity, STRIDE, { ...options, maxLoad: options.maxLoad ?? TRAP_DEFAULT_MAX_LOAD }, { homeWord: W_HOME });
    this.bind(core, new SharedArrayBuffer(ringBytes(ringEntriesFor(core.limit))));
    this.metaF64[H_LAST_F64] = -Infinity;
  }

  static fromShared(s: TrapTableShared): TrapTable {
    const t = Object.create(TrapTable.prototype) as TrapTable;
    t.rank = null;
    t.bind(new GuidSlots(TABLE, s.buffer), s.ring);
    return t;
  }

  toShared(): TrapTableShared {
    return { buffer: this.core.buffer, ring: this.ringBuffer };
  }

  private bind(core: GuidSlots, ring: SharedArrayBuffer): void {
    this.core = core;
    this.views();
    this.attachRing(ring);
    core.onRehash = () => this.rehashed();
  }

  private views(): void {
    this.w = this.core.w;
    this.meta = this.core.meta;
    this.metaF64 = new Float64Array(this.core.buffer, 0, 8);
    this.slots = this.core.slots;
    this.limit = this.core.limit;
    this.scale = this.core.scale;
  }

  private attachRing(ring: SharedArrayBuffer): void {
    const entries = (ring.byteLength * 8) / (RING_WORDS * 32 + 1);
    this.ringBuffer = ring;
    this.ring = new Uint32Array(ring, 0, entries * RING_WORDS);
    this.ringF64 = new Float64Array(ring, 0, entries * 2);
    this.live = new Uint32Array(ring, entries * RING_WORDS * 4, entries / 32);
    this.mask = entries - 1;
  }

  /**
   * Designed bytes per parked record at `load`: a 32-byte slot over the load (64 at the
   * default 0.5) plus at least 1.5 16-byte ring entries and their liveness bits per record
   * of capacity (up to 3 when rounding the ring up to a power of two).
   */
  static bytesPerEntry(load = TRAP_DEFAULT_MAX_LOAD): number {
    return (STRIDE * 4) / load + 1.5 * (RING_WORDS * 4 + 1 / 8);
  }

  /** Real bytes per parked record now: both buffers over records. */
  get bytesPerEntry(): number {
    return this.byteLength / this.core.size;
  }

  get byteLength(): number {
    return this.core.byteLength + this.ringBuffer.byteLength;
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
    const head = this.meta[H_HEAD]!;
    if (head === this.meta[H_TAIL]) return -1;
    const e = (head & this.mask) * RING_WORDS;
    return this.core.find(this.ring[e]!, this.ring[e + 1]!);
  }

  /**
   * Parks (or re-parks) the path record of a deleted vGUID. parkedAtNs must not be earlier
   * than the previous park: the ring's age order relies on virtual time never going back.
   * A re-park restarts the record's clock and moves it to the young end.
   *
   * The hot path is written out here rather than composed from GuidSlots.insertSlot and the
   * named check helpers: every argument is validated by one combined test (the helpers,
   * which build the error messages, run only when it fails), and the probe, the record and
   * its ring entry are written in one pass. Composed, the same work cost about a fifth more
   * per park+match+remove with the table in cache (10^3 records: 213 against 175 ns of CPU
   * time per operation, old and new interleaved in one process).
   */
  park(high: number, low: number, oldLid: number, host: number, portGuidHigh: number, portGuidLow: number, parkedAtNs: number): void {
    const last = this.metaF64[H_LAST_F64]!;
    if (
      !(
        oldLid >>> 0 === oldLid &&
        oldLid <= 0xffff &&
        host >>> 0 === host &&
        portGuidHigh >>> 0 === portGuidHigh &&
        portGuidLow >>> 0 === portGuidLow &&
        high >>> 0 === high &&
        low >>> 0 === low &&
        (high | low) !== 0 &&
        parkedAtNs >= last &&
        parkedAtNs < Infinity &&
        parkedAtNs > -Infinity
      )
    ) {
      this.refusePark(high, low, oldLid, host, portGuidHigh, portGuidLow, parkedAtNs, last);
    }
    const w = this.w;
    const n = this.slots;
    const home = homeAt(guidHash(high, low), this.scale);
    let s = home;
    let b = 0;
    for (;;) {
      b = s * STRIDE;
      const kh = w[b]!;
      const kl = w[b + 1]!;
      if (kl === low && kh === high) {
        // Re-park: the record's old ring entry dies, the slot keeps its place.
        this.kill(w[b + W_SEQ]!);
        break;
      }
      if ((kh | kl) === 0) {
        if (this.meta[H_SIZE]! >= this.limit) {
          if (!this.core.growable) throw new TableFullError(TABLE, this.limit);
          this.core.grow(); // rebinds the views and the ring through rehashed()
          this.park(high, low, oldLid, host, portGuidHigh, portGuidLow, parkedAtNs);
          return;
        }
        w[b] = high;
        w[b + 1] = low;
        w[b + W_HOME] = home;
        this.meta[H_SIZE] = this.meta[H_SIZE]! + 1;
        break;
      }
      if (++s === n) s = 0;
    }
    w[b + 2] = oldLid;
    w[b + 3] = host;
    w[b + 4] = portGuidHigh;
    w[b + 5] = portGuidLow;
    this.metaF64[H_LAST_F64] = parkedAtNs;
    // The squeeze (when the ring is full) rewrites sequences but never moves a slot, so b stays valid.
    w[b + W_SEQ] = this.append(high, low, parkedAtNs);
  }

  /** Cold path of park(): throws the error naming the first bad field (in argument order). */
  private refusePark(high: number, low: number, oldLid: number, host: number, portGuidHigh: number, portGuidLow: number, parkedAtNs: number, last: number): never {
    checkRange(TABLE, 'oldLid', oldLid, 0xffff);
    checkU32(TABLE, 'host', host);
    checkU32(TABLE, 'portGuidHigh', portGuidHigh);
    checkU32(TABLE, 'portGuidLow', portGuidLow);
    if (!Number.isFinite(parkedAtNs) || parkedAtNs < last) {
      throw new RangeError(`${TABLE}: parkedAtNs ${parkedAtNs} is earlier than the previous park at ${last} (or not finite) for vGUID ${guidHex(high, low)}`);
    }
    checkGuid(TABLE, 'GUID', high, low);
    throw new Error(`${TABLE}: park refused vGUID ${guidHex(high, low)} without naming a field`);
  }

  /** Appends a ring entry (squeezing out dead ones first when full); returns its sequence. */
  private append(high: number, low: number, at: number): number {
    let tail = this.meta[H_TAIL]!;
    if (((tail - this.meta[H_HEAD]!) | 0) > this.mask) {
      this.squeeze();
      tail = this.meta[H_TAIL]!;
    }
    const e = tail & this.mask;
    this.ring[e * RING_WORDS] = high;
    this.ring[e * RING_WORDS + 1] = low;
    this.ringF64[e * 2 + 1] = at;
    this.live[e >>> 5] |= 1 << (e & 31);
    this.meta[H_TAIL] = (tail + 1) | 0;
    return tail >>> 0;
  }

  /** Marks the ring entry of a record being removed or re-parked dead; pops dead entries at the head. */
  private kill(seq: number): void {
    const live = this.live;
    const mask = this.mask;
    const e = seq & mask;
    live[e >>> 5] &= ~(1 << (e & 31));
    let head = this.meta[H_HEAD]!;
    if ((seq | 0) !== head) return;
    const tail = this.meta[H_TAIL]!;
    do {
      head = (head + 1) | 0;
    } while (head !== tail && (live[(head & mask) >>> 5]! & (1 << (head & 31))) === 0);
    this.meta[H_HEAD] = head;
  }

  /**
   * Moves the live ring entries forward over the dead ones, in order, and rewrites each moved
   * record's sequence. Live entries are at most the capacity, two thirds of the ring, so this
   * frees at least a third of it: O(1) amortised per park. When many records moved, their new
   * sequences are computed first, in one sequential pass over the slots (renumber), while the
   * liveness bits still say where every live entry is; when few did, each moved entry's
   * record is found by probing.
   */
  private squeeze(): void {
    const ring = this.ring;
    const f = this.ringF64;
    const live = this.live;
    const mask = this.mask;
    const head = this.meta[H_HEAD]!;
    const tail = this.meta[H_TAIL]!;
    const byScan = this.core.size * 16 > this.slots;
    if (byScan) this.renumber(head);
    const w = this.w;
    let to = head;
    for (let from = head; from !== tail; from = (from + 1) | 0) {
      const p = from & mask;
      if ((live[p >>> 5]! & (1 << (p & 31))) === 0) continue;
      if (to !== from) {
        const q = to & mask;
        const e = p * RING_WORDS;
        const d = q * RING_WORDS;
        const kh = ring[e]!;
        const kl = ring[e + 1]!;
        ring[d] = kh;
        ring[d + 1] = kl;
        f[q * 2 + 1] = f[p * 2 + 1]!;
        live[q >>> 5] |= 1 << (q & 31);
        live[p >>> 5] &= ~(1 << (p & 31));
        if (!byScan) w[this.core.find(kh, kl) * STRIDE + W_SEQ] = to >>> 0;
      }
      to = (to + 1) | 0;
    }
    this.meta[H_TAIL] = to;
  }

  /**
   * The squeeze keeps live entries in order and packs them from the head, so a live entry's
   * new sequence is the head plus the number of live entries before it in ring order: a rank
   * over the liveness bits. One sequential pass over the bitmap records the live bits before
   * each 32-bit word (rank, 1/32 of the ring's entries), then one sequential pass over the
   * slots rewrites each record's sequence from rank[word] and a popcount inside the word.
   * (A table of new sequences per ring entry did the same with a random read of 4 bytes per
   * ring entry, 64 MB for 10^7 records, at every record: a DRAM miss each. The rank and the
   * bitmap are 1/16 of that together.) Its own function also keeps squeeze()'s loop from
   * being deoptimised on reaching this pass with no type feedback.
   */
  private renumber(head: number): void {
    const live = this.live;
    const words = live.length;
    if (this.rank === null || this.rank.length !== words) this.rank = new Int32Array(words);
    const rank = this.rank;
    let total = 0;
    for (let k = 0; k < words; k++) {
      rank[k] = total;
      total += popcount(live[k]!);
    }
    const mask = this.mask;
    const hp = head & mask;
    const rh = rank[hp >>> 5]! + popcount(live[hp >>> 5]! & ((1 << (hp & 31)) - 1));
    const w = this.w;
    const end = this.slots * STRIDE;
    for (let b = 0; b < end; b += STRIDE) {
      if ((w[b]! | w[b + 1]!) === 0) continue;
      // A record being re-parked (or just inserted) names a dead entry: its sequence comes
      // out meaningless here and park() overwrites it right after the squeeze.
      const p = w[b + W_SEQ]! & mask;
      const r = rank[p >>> 5]! + popcount(live[p >>> 5]! & ((1 << (p & 31)) - 1));
      w[b + W_SEQ] = (head + (r >= rh ? r - rh : r + total - rh)) >>> 0;
    }
  }

  /** After growth: the slots moved (carrying their sequences); give the ring room for the new capacity. */
  private rehashed(): void {
    this.views();
    const entries = ringEntriesFor(this.core.limit);
    if (entries <= this.mask + 1) return;
    const oldRing = this.ring;
    const oldF64 = this.ringF64;
    const oldLive = this.live;
    const oldMask = this.mask;
    const head = this.meta[H_HEAD]!;
    const tail = this.meta[H_TAIL]!;
    this.attachRing(new SharedArrayBuffer(ringBytes(entries)));
    let to = 0;
    for (let from = head; from !== tail; from = (from + 1) | 0) {
      const p = from & oldMask;
      if ((oldLive[p >>> 5]! & (1 << (p & 31))) === 0) continue;
      const kh = oldRing[p * RING_WORDS]!;
      const kl = oldRing[p * RING_WORDS + 1]!;
      const d = to * RING_WORDS;
      this.ring[d] = kh;
      this.ring[d + 1] = kl;
      this.ringF64[to * 2 + 1] = oldF64[p * 2 + 1]!;
      this.live[to >>> 5]! |= 1 << (to & 31);
      this.w[this.core.find(kh, kl) * STRIDE + W_SEQ] = to;
      to++;
    }
    this.meta[H_HEAD] = 0;
    this.meta[H_TAIL] = to;
  }

  /**
   * GuidSlots.deleteSlot (backward shift, see there) specialised for this table, the one
   * whose every record is deleted: the 8-word copies are unrolled and each passed entry's
   * home comes from its cached word, which halves the cost of a delete on a hot line.
   */
  private deleteSlot(slot: number): void {
    const w = this.w;
    const n = this.slots;
    let i = slot;
    let j = slot;
    for (;;) {
      if (++j === n) j = 0;
      const bj = j * STRIDE;
      if ((w[bj]! | w[bj + 1]!) === 0) break;
      const k = w[bj + W_HOME]!;
      if ((k <= j ? j - k : j + n - k) >= (i <= j ? j - i : j + n - i)) {
        const bi = i * STRIDE;
        w[bi] = w[bj]!;
        w[bi + 1] = w[bj + 1]!;
        w[bi + 2] = w[bj + 2]!;
        w[bi + 3] = w[bj + 3]!;
        w[bi + 4] = w[bj + 4]!;
        w[bi + 5] = w[bj + 5]!;
        w[bi + 6] = w[bj + 6]!;
        w[bi + 7] = w[bj + 7]!;
        i = j;
      }
    }
    const bi = i * STRIDE;
    w[bi] = 0;
    w[bi + 1] = 0;
    w[bi + 2] = 0;
    w[bi + 3] = 0;
    w[bi + 4] = 0;
    w[bi + 5] = 0;
    w[bi + 6] = 0;
    w[bi + 7] = 0;
    this.meta[H_SIZE] = this.meta[H_SIZE]! - 1;
  }

  /** Slot of the parked record, or -1. Valid until the next park/remove/expire. */
  find(high: number, low: number): number {
    high >>>= 0;
    low >>>= 0;
    if ((high | low) === 0) return -1;
    const w = this.w;
    const n = this.slots;
    let s = homeAt(guidHash(high, low), this.scale);
    for (;;) {
      const b = s * STRIDE;
      const kh = w[b]!;
      const kl = w[b + 1]!;
      if (kl === low && kh === high) return s;
      if ((kh | kl) === 0) return -1;
      if (++s === n) s = 0;
    }
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

  /** When the record was parked (read from its ring entry). */
  parkedAt(slot: number): number {
    return this.ringF64[(this.w[slot * STRIDE + W_SEQ]! & this.mask) * 2 + 1]!;
  }

  vguidHigh(slot: number): number {
    return this.w[slot * STRIDE]!;
  }

  vguidLow(slot: number): number {
    return this.w[slot * STRIDE + 1]!;
  }

  /** Removes the parked record (a Set matched it). */
  remove(high: number, low: number): boolean {
    const s = this.find(high, low);
    if (s < 0) return false;
    this.kill(this.w[s * STRIDE + W_SEQ]!);
    this.deleteSlot(s);
    return true;
  }

  /** Removes the record at a slot just returned by find() — Algorithm 1's match without a second probe. */
  removeAt(slot: number): void {
    const b = slot * STRIDE;
    if (!(slot >>> 0 === slot && slot < this.slots) || (this.w[b]! | this.w[b + 1]!) === 0) {
      throw new RangeError(`${TABLE}: removeAt slot ${slot} holds no parked record`);
    }
    this.kill(this.w[b + W_SEQ]!);
    this.deleteSlot(slot);
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
      if (head === this.meta[H_TAIL]) break;
      const e = head & this.mask;
      if (nowNs - this.ringF64[e * 2 + 1]! < maxAgeNs) break;
      const kh = this.ring[e * RING_WORDS]!;
      const kl = this.ring[e * RING_WORDS + 1]!;
      const s = this.core.find(kh, kl);
      if (s < 0 || (this.w[s * STRIDE + W_SEQ]! | 0) !== head) {
        throw new Error(`${TABLE}: park-order ring head ${head >>> 0} names vGUID ${guidHex(kh, kl)}, which is not parked there`);
      }
      onExpired(kh, kl, s);
      if (this.meta[H_HEAD] !== head || this.w[s * STRIDE] !== kh || this.w[s * STRIDE + 1] !== kl) {
        throw new Error(`${TABLE}: onExpired for vGUID ${guidHex(kh, kl)} changed the trap table; park or remove after expire() returns`);
      }
      this.kill(head);
      this.deleteSlot(s);
      expired++;
    }
    return expired;
  }

  clear(): void {
    this.core.clear();
    this.ring.fill(0);
    this.live.fill(0);
    this.meta[H_HEAD] = 0;
    this.meta[H_TAIL] = 0;
  }

  /** Cold path: every parked record, oldest first. Do not mutate from fn. */
  forEach(fn: (high: number, low: number, slot: number) => void): void {
    const tail = this.meta[H_TAIL]!;
    for (let q = this.meta[H_HEAD]!; q !== tail; q = (q + 1) | 0) {
      const p = q & this.mask;
      if ((this.live[p >>> 5]! & (1 << (p & 31))) === 0) continue;
      const kh = this.ring[p * RING_WORDS]!;
      const kl = this.ring[p * RING_WORDS + 1]!;
      fn(kh, kl, this.core.find(kh, kl));
    }
  }

  /**
   * Throws unless the hash invariants hold and the ring holds exactly one live entry per
   * record, that record's slot names it back, park times never decrease along the ring, and
   * the head is live. Cold path, for tests.
   */
  checkInvariants(): void {
    this.core.checkInvariants();
    const head = this.meta[H_HEAD]!;
    const tail = this.meta[H_TAIL]!;
    const used = (tail - head) | 0;
    if (used < 0 || used > this.mask + 1) throw new Error(`${TABLE}: ring head ${head >>> 0} and tail ${tail >>> 0} span ${used} entries, ring holds ${this.mask + 1}`);
    let live = 0;
    let lastTime = -Infinity;
    for (let q = head; q !== tail; q = (q + 1) | 0) {
      const p = q & this.mask;
      if ((this.live[p >>> 5]! & (1 << (p & 31))) === 0) {
        if (q === head) throw new Error(`${TABLE}: ring head ${head >>> 0} is a dead entry`);
        continue;
      }
      const kh = this.ring[p * RING_WORDS]!;
      const kl = this.ring[p * RING_WORDS + 1]!;
      const s = this.core.find(kh, kl);
      if (s < 0) throw new Error(`${TABLE}: ring entry ${q >>> 0} names vGUID ${guidHex(kh, kl)}, which is not parked`);
      if ((this.w[s * STRIDE + W_SEQ]! | 0) !== q) throw new Error(`${TABLE}: slot ${s} names ring entry ${this.w[s * STRIDE + W_SEQ]}, but entry ${q >>> 0} names it too`);
      const at = this.ringF64[p * 2 + 1]!;
      if (at < lastTime) throw new Error(`${TABLE}: ring out of age order at entry ${q >>> 0}`);
      lastTime = at;
      live++;
    }
    if (live !== this.size) throw new Error(`${TABLE}: ring has ${live} live entries but the table holds ${this.size}`);
    let bits = 0;
    for (let k = 0; k < this.live.length; k++) {
      for (let v = this.live[k]!; v !== 0; v &= v - 1) bits++;
    }
    if (bits !== live) throw new Error(`${TABLE}: ${bits} liveness bits set but ${live} live entries between head and tail`);
  }
}
