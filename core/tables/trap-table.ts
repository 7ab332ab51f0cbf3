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
//
// Why a ring and not a linked list through the slots: Algorithm 1's hot path is "park on a
// Delete, find + remove on the next Set". A doubly linked FIFO threaded through the slots
// makes every remove touch its two neighbours' records (two random cache lines) and every
// backward-shift move of a deletion fix up the moved record's neighbours (two more each).
// The ring is appended to sequentially on park, and a remove touches nothing but the record:
// a ring entry is live exactly when the record it names is parked and the record's sequence
// names the entry back, so a removed or re-parked record's old entry dies by itself. Nothing
// on the hot path keeps liveness anywhere else (an earlier version kept a liveness bitmap,
// cleared on every remove and set on every park: a random read-modify-write per remove and
// about a tenth of the work of a park+match+remove with the table in cache). Slots moved by
// backward-shift deletion carry their sequence with them, so moves cost nothing extra.
//
// The head is settled lazily: whoever needs the oldest record (oldest, expire, forEach) pops
// dead entries off the head, checking each with one probe; every entry is popped once, so
// that is O(1) per park amortised. When the ring is full, dead entries are squeezed out in
// place: one pass over the slots marks the live entries (each record's sequence) in a
// scratch bitmap, live entries move forward in order, and a second pass over the slots
// rewrites each record's sequence from the bitmap's rank. The ring has at least 1.5 times
// as many entries as the table has capacity and the slots are at most 4/3 of the ring's
// entries, so a squeeze frees at least a third of the ring for O(ring) sequential work:
// O(1) per park amortised.
//
// Park times are non-decreasing (virtual time), so the ring is ordered by age and expire()
// pops from the head only while the oldest record is old enough: its cost is the records it
// expires (plus dead entries skipped), never the table size.
//
// Sequences are absolute ring positions as wrapping u32 counters (head and tail in the slots
// buffer's header); an entry's index in the ring is sequence & (ring entries - 1).
import { GuidSlots, H_SIZE, H_USER, guidHash, homeAt, type GuidSlotsOptions } from './guid-slots.js';
import { TableFullError, checkRange, checkU32, checkWord32, guidHex } from './table-error.js';

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
const H_HEAD = H_USER; // sequence of the oldest ring entry not yet popped (may be dead: settled lazily)
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

/** Ring buffer bytes: 16 per entry. */
function ringBytes(entries: number): number {
  return entries * RING_WORDS * 4;
}

export class TrapTable {
  private core!: GuidSlots;
  private w!: Uint32Array;
  private meta!: Int32Array;
  private metaF64!: Float64Array;
  private ringBuffer!: SharedArrayBuffer;
  private ring!: Uint32Array;
  private ringF64!: Float64Array;
  private mask!: number;
  /** Slot count and record limit of the current buffer (copied out of the core: the hot paths read them per call). */
  private slots!: number;
  private limit!: number;
  /** homeScale(slots), for homeAt. */
  private scale!: number;
  /** Squeeze scratch (writer only, allocated on first use): live ring entries, one bit each, and live entries before each bitmap word. */
  private marks: Uint32Array | null = null;
  private rank: Int32Array | null = null;

  constructor(capacity: number, options: GuidSlotsOptions = {}) {
    const core = GuidSlots.create(TABLE, capacity, STRIDE, { ...options, maxLoad: options.maxLoad ?? TRAP_DEFAULT_MAX_LOAD }, { homeWord: W_HOME });
    this.bind(core, new SharedArrayBuffer(ringBytes(ringEntriesFor(core.limit))));
    this.metaF64[H_LAST_F64] = -Infinity;
  }

  static fromShared(s: TrapTableShared): TrapTable {
    const t = Object.create(TrapTable.prototype) as TrapTable;
    t.marks = null;
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
    const entries = ring.byteLength / (RING_WORDS * 4);
    this.ringBuffer = ring;
    this.ring = new Uint32Array(ring, 0, entries * RING_WORDS);
    this.ringF64 = new Float64Array(ring, 0, entries * 2);
    this.mask = entries - 1;
  }

  /**
   * Designed bytes per parked record at `load`: a 32-byte slot over the load (64 at the
   * default 0.5) plus at least 1.5 16-byte ring entries per record of capacity (up to 3 when
   * rounding the ring up to a power of two).
   */
  static bytesPerEntry(load = TRAP_DEFAULT_MAX_LOAD): number {
    return (STRIDE * 4) / load + 1.5 * RING_WORDS * 4;
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

  /** Slot of the oldest parked record (next to expire or be evicted), or -1. Pops dead entries off the ring's head. */
  get oldest(): number {
    return this.settleHead();
  }

  /**
   * Parks (or re-parks) the path record of a deleted vGUID. parkedAtNs must not be earlier
   * than the previous park: the ring's age order relies on virtual time never going back.
   * A re-park restarts the record's clock and moves it to the young end.
   *
   * GUID halves (vGUID and port GUID) are 32-bit words in either form, u32 or the int32 with
   * the same bits (checkWord32): park is too big for V8 to inline, and a u32 half of 2^31 or
   * more passed to it is boxed as a heap number, one allocation per such argument (about 40
   * ns of a park with the table in cache, measured), where an int32 travels as a small
   * integer. find() and remove() take either form too.
   *
   * The hot path is written out here rather than composed from GuidSlots.insertSlot and the
   * named check helpers: every argument is validated by one combined test (the helpers,
   * which build the error messages, run only when it fails), and the probe, the record and
   * its ring entry are written in one pass.
   */
  park(high: number, low: number, oldLid: number, host: number, portGuidHigh: number, portGuidLow: number, parkedAtNs: number): void {
    const meta = this.meta;
    const last = this.metaF64[H_LAST_F64]!;
    if (
      !(
        oldLid >>> 0 === oldLid &&
        oldLid <= 0xffff &&
        host >>> 0 === host &&
        ((portGuidHigh | 0) === portGuidHigh || portGuidHigh >>> 0 === portGuidHigh) &&
        ((portGuidLow | 0) === portGuidLow || portGuidLow >>> 0 === portGuidLow) &&
        ((high | 0) === high || high >>> 0 === high) &&
        ((low | 0) === low || low >>> 0 === low) &&
        (high | low) !== 0 &&
        parkedAtNs >= last &&
        parkedAtNs < Infinity &&
        parkedAtNs > -Infinity
      )
    ) {
      this.refusePark(high, low, oldLid, host, portGuidHigh, portGuidLow, parkedAtNs, last);
    }
    high >>>= 0;
    low >>>= 0;
    // Room in the ring first, while every record's sequence still names its live entry (the
    // squeeze renumbers records from their sequences; it never moves a slot).
    let tail = meta[H_TAIL]!;
    if (((tail - meta[H_HEAD]!) | 0) > this.mask) {
      this.squeeze();
      tail = meta[H_TAIL]!;
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
      // Re-park: the slot keeps its place; its old ring entry dies when the sequence below moves on.
      if (kl === low && kh === high) break;
      if ((kh | kl) === 0) {
        if (meta[H_SIZE]! >= this.limit) {
          if (!this.core.growable) throw new TableFullError(TABLE, this.limit);
          this.core.grow(); // rebinds the views and the ring through rehashed()
          this.park(high, low, oldLid, host, portGuidHigh, portGuidLow, parkedAtNs);
          return;
        }
        w[b] = high;
        w[b + 1] = low;
        w[b + W_HOME] = home;
        meta[H_SIZE] = meta[H_SIZE]! + 1;
        break;
      }
      if (++s === n) s = 0;
    }
    w[b + 2] = oldLid;
    w[b + 3] = host;
    w[b + 4] = portGuidHigh;
    w[b + 5] = portGuidLow;
    w[b + W_SEQ] = tail;
    const e = tail & this.mask;
    this.ring[e * RING_WORDS] = high;
    this.ring[e * RING_WORDS + 1] = low;
    this.ringF64[e * 2 + 1] = parkedAtNs;
    meta[H_TAIL] = (tail + 1) | 0;
    this.metaF64[H_LAST_F64] = parkedAtNs;
  }

  /** Cold path of park(): throws the error naming the first bad field (in argument order). */
  private refusePark(high: number, low: number, oldLid: number, host: number, portGuidHigh: number, portGuidLow: number, parkedAtNs: number, last: number): never {
    checkRange(TABLE, 'oldLid', oldLid, 0xffff);
    checkU32(TABLE, 'host', host);
    checkWord32(TABLE, 'portGuidHigh', portGuidHigh);
    checkWord32(TABLE, 'portGuidLow', portGuidLow);
    checkWord32(TABLE, 'GUID high half', high);
    checkWord32(TABLE, 'GUID low half', low);
    if (!Number.isFinite(parkedAtNs) || parkedAtNs < last) {
      throw new RangeError(`${TABLE}: parkedAtNs ${parkedAtNs} is earlier than the previous park at ${last} (or not finite) for vGUID ${guidHex(high, low)}`);
    }
    if ((high | low) === 0) throw new RangeError(`${TABLE}: GUID 0x0000000000000000 is reserved (zero GUID marks an empty slot)`);
    throw new Error(`${TABLE}: park refused vGUID ${guidHex(high, low)} without naming a field`);
  }

  /** Slot of the record whose live ring entry is sequence q, or -1 when that entry is dead. */
  private liveSlot(q: number): number {
    const e = (q & this.mask) * RING_WORDS;
    const s = this.find(this.ring[e]!, this.ring[e + 1]!);
    return s >= 0 && (this.w[s * STRIDE + W_SEQ]! | 0) === (q | 0) ? s : -1;
  }

  /** Pops dead entries off the ring's head; returns the slot of the oldest record, or -1 when none is parked. */
  private settleHead(): number {
    const meta = this.meta;
    const tail = meta[H_TAIL]!;
    if (meta[H_SIZE] === 0) {
      meta[H_HEAD] = tail;
      return -1;
    }
    for (let head = meta[H_HEAD]!; head !== tail; head = (head + 1) | 0) {
      const s = this.liveSlot(head);
      if (s >= 0) {
        meta[H_HEAD] = head;
        return s;
      }
    }
    throw new Error(`${TABLE}: ${meta[H_SIZE]} records parked but no live entry in the park-order ring`);
  }

  /**
   * Moves the live ring entries forward over the dead ones, in order, and rewrites every
   * record's sequence. Live entries are at most the capacity, two thirds of the ring, so
   * this frees at least a third of it. Three sequential passes: the slots (mark each record's
   * entry in a scratch bitmap), the ring (move live entries forward), the slots again (new
   * sequence = head + live entries before the old one, a rank over the bitmap: the live bits
   * before each 32-bit word, then a popcount inside the word). A table of new sequences per
   * ring entry would do the last pass with a random 4-byte read per record, 64 MB for 10^7
   * records: a DRAM miss each; the bitmap and the ranks are 1/16 of that together. Each pass
   * is a function of its own: a squeeze runs seldom, so V8 compiles its loops on the stack
   * (OSR) while they run, and a later loop of the same function reached without type
   * feedback would throw the compiled code away on every squeeze.
   */
  private squeeze(): void {
    const words = (this.mask + 1) >>> 5;
    if (this.marks === null || this.marks.length !== words) {
      this.marks = new Uint32Array(words);
      this.rank = new Int32Array(words);
    } else {
      this.marks.fill(0);
    }
    this.markLive(this.marks);
    const total = this.rankMarks(this.marks, this.rank!);
    const head = this.meta[H_HEAD]!;
    this.meta[H_TAIL] = this.compactRing(this.marks, head, this.meta[H_TAIL]!);
    this.renumber(this.marks, this.rank!, head, total);
  }

  /** Sets the bit of every record's ring entry in marks. */
  private markLive(marks: Uint32Array): void {
    const mask = this.mask;
    const w = this.w;
    const end = this.slots * STRIDE;
    for (let b = 0; b < end; b += STRIDE) {
      if ((w[b]! | w[b + 1]!) === 0) continue;
      const p = w[b + W_SEQ]! & mask;
      marks[p >>> 5] |= 1 << (p & 31);
    }
  }

  /** rank[k] = marked bits in words 0..k-1; returns all marked bits. */
  private rankMarks(marks: Uint32Array, rank: Int32Array): number {
    let total = 0;
    for (let k = 0; k < marks.length; k++) {
      rank[k] = total;
      total += popcount(marks[k]!);
    }
    return total;
  }

  /** Moves the marked entries between head and tail forward over the unmarked, in order; returns the new tail. */
  private compactRing(marks: Uint32Array, head: number, tail: number): number {
    const mask = this.mask;
    const ring = this.ring;
    const f = this.ringF64;
    let to = head;
    for (let from = head; from !== tail; from = (from + 1) | 0) {
      const p = from & mask;
      if ((marks[p >>> 5]! & (1 << (p & 31))) === 0) continue;
      if (to !== from) {
        const q = to & mask;
        ring[q * RING_WORDS] = ring[p * RING_WORDS]!;
        ring[q * RING_WORDS + 1] = ring[p * RING_WORDS + 1]!;
        f[q * 2 + 1] = f[p * 2 + 1]!;
      }
      to = (to + 1) | 0;
    }
    return to;
  }

  /** Rewrites every record's sequence to where compactRing moved its entry: head + its rank among the marked entries from head on. */
  private renumber(marks: Uint32Array, rank: Int32Array, head: number, total: number): void {
    const mask = this.mask;
    const w = this.w;
    const end = this.slots * STRIDE;
    const hp = head & mask;
    const rh = rank[hp >>> 5]! + popcount(marks[hp >>> 5]! & ((1 << (hp & 31)) - 1));
    for (let b = 0; b < end; b += STRIDE) {
      if ((w[b]! | w[b + 1]!) === 0) continue;
      const p = w[b + W_SEQ]! & mask;
      const r = rank[p >>> 5]! + popcount(marks[p >>> 5]! & ((1 << (p & 31)) - 1));
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
    const oldMask = this.mask;
    const head = this.meta[H_HEAD]!;
    const tail = this.meta[H_TAIL]!;
    this.attachRing(new SharedArrayBuffer(ringBytes(entries)));
    this.marks = null;
    this.rank = null;
    let to = 0;
    for (let from = head; from !== tail; from = (from + 1) | 0) {
      const p = from & oldMask;
      const kh = oldRing[p * RING_WORDS]!;
      const kl = oldRing[p * RING_WORDS + 1]!;
      const s = this.find(kh, kl);
      if (s < 0 || (this.w[s * STRIDE + W_SEQ]! | 0) !== from) continue; // a dead entry
      const d = to * RING_WORDS;
      this.ring[d] = kh;
      this.ring[d + 1] = kl;
      this.ringF64[to * 2 + 1] = oldF64[p * 2 + 1]!;
      this.w[s * STRIDE + W_SEQ] = to;
      to++;
    }
    this.meta[H_HEAD] = 0;
    this.meta[H_TAIL] = to;
  }

  /**
   * GuidSlots.deleteSlot (backward shift, see there) specialised for this table, the one
   * whose every record is deleted. Each passed entry's home comes from its cached word, and
   * the loop has one data-dependent branch, its exit at the end of the probe cluster: whether
   * entry j may move back into the hole i is a sign mask, not a branch (a coin toss per entry
   * that the branch predictor missed about half the time, the costliest line of a
   * park+match+remove in a profile). Entry j is copied into the hole whether or not it may
   * move: the hole's contents are garbage until it is filled for good or zeroed at the end,
   * so an unneeded copy is harmless and costs less than a mispredicted branch. With the
   * table in cache this took a park+match+remove from about 210 to 150 ns (measured in one
   * process, old and new side by side).
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
      // Cyclic distances of j from its home k and from the hole i (both in 0..n-1).
      let fromHome = j - w[bj + W_HOME]!;
      fromHome += n & (fromHome >> 31);
      let fromHole = j - i;
      fromHole += n & (fromHole >> 31);
      // All ones when j may move back into i (at least as far from its home as from the hole).
      const move = ~((fromHome - fromHole) >> 31);
      const bi = i * STRIDE;
      w[bi] = w[bj]!;
      w[bi + 1] = w[bj + 1]!;
      w[bi + 2] = w[bj + 2]!;
      w[bi + 3] = w[bj + 3]!;
      w[bi + 4] = w[bj + 4]!;
      w[bi + 5] = w[bj + 5]!;
      w[bi + 6] = w[bj + 6]!;
      w[bi + 7] = w[bj + 7]!;
      i = (j & move) | (i & ~move);
    }
    // Only the key marks a slot empty: every reader tests it first, and park writes every
    // payload word of a slot it claims, so the payload may keep its stale words.
    const bi = i * STRIDE;
    w[bi] = 0;
    w[bi + 1] = 0;
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

  /** Removes the parked record (a Set matched it). Its ring entry dies with it. */
  remove(high: number, low: number): boolean {
    const s = this.find(high, low);
    if (s < 0) return false;
    this.deleteSlot(s);
    return true;
  }

  /** Removes the record at a slot just returned by find() — Algorithm 1's match without a second probe. */
  removeAt(slot: number): void {
    if (!(slot >>> 0 === slot && slot < this.slots) || (this.w[slot * STRIDE]! | this.w[slot * STRIDE + 1]!) === 0) {
      throw new RangeError(`${TABLE}: removeAt slot ${slot} holds no parked record`);
    }
    this.deleteSlot(slot);
  }

  /**
   * Expires every record parked at least maxAgeNs before nowNs, oldest first. onExpired runs
   * before the record is removed, so the slot accessors still read it; it must not park or
   * remove records itself. Cost is proportional to the records expired (and dead entries
   * popped), never the table size. Returns the number expired.
   */
  expire(nowNs: number, maxAgeNs: number, onExpired: (high: number, low: number, slot: number) => void): number {
    let expired = 0;
    for (;;) {
      const s = this.settleHead();
      if (s < 0) break;
      const head = this.meta[H_HEAD]!;
      if (nowNs - this.ringF64[(head & this.mask) * 2 + 1]! < maxAgeNs) break;
      const b = s * STRIDE;
      const kh = this.w[b]!;
      const kl = this.w[b + 1]!;
      onExpired(kh, kl, s);
      if (this.meta[H_HEAD] !== head || this.w[b] !== kh || this.w[b + 1] !== kl || (this.w[b + W_SEQ]! | 0) !== head) {
        throw new Error(`${TABLE}: onExpired for vGUID ${guidHex(kh, kl)} changed the trap table; park or remove after expire() returns`);
      }
      this.deleteSlot(s);
      this.meta[H_HEAD] = (head + 1) | 0;
      expired++;
    }
    return expired;
  }

  clear(): void {
    this.core.clear();
    this.ring.fill(0);
    this.meta[H_HEAD] = 0;
    this.meta[H_TAIL] = 0;
  }

  /** Cold path: every parked record, oldest first. Do not mutate from fn. */
  forEach(fn: (high: number, low: number, slot: number) => void): void {
    const tail = this.meta[H_TAIL]!;
    for (let q = this.meta[H_HEAD]!; q !== tail; q = (q + 1) | 0) {
      const s = this.liveSlot(q);
      if (s >= 0) fn(this.w[s * STRIDE]!, this.w[s * STRIDE + 1]!, s);
    }
  }

  /**
   * Throws unless the hash invariants hold, park times never decrease along the ring (dead
   * entries included: the squeeze keeps order), every record's sequence lies between head
   * and tail and names an entry that names the record back, and the live entries are as
   * many as the records. Cold path, for tests.
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
      const at = this.ringF64[(q & this.mask) * 2 + 1]!;
      if (at < lastTime) throw new Error(`${TABLE}: ring out of age order at entry ${q >>> 0}`);
      lastTime = at;
      if (this.liveSlot(q) >= 0) live++;
    }
    if (live !== this.size) throw new Error(`${TABLE}: ring has ${live} live entries but the table holds ${this.size}`);
    this.core.forEachSlot((s) => {
      const seq = this.w[s * STRIDE + W_SEQ]! | 0;
      const e = (seq & this.mask) * RING_WORDS;
      if (((seq - head) | 0) < 0 || ((seq - head) | 0) >= used || this.ring[e] !== this.w[s * STRIDE] || this.ring[e + 1] !== this.w[s * STRIDE + 1]) {
        throw new Error(`${TABLE}: slot ${s} (vGUID ${guidHex(this.w[s * STRIDE]!, this.w[s * STRIDE + 1]!)}) names ring entry ${seq >>> 0}, which is not its entry between head ${head >>> 0} and tail ${tail >>> 0}`);
      }
    });
  }
}
