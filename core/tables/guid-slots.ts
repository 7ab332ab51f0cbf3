// The open-addressing core every GUID-keyed table here is built on: one SharedArrayBuffer
// holding a 16-word header and `slots` fixed-stride slots of u32 words. Words 0 and 1 of a
// slot are the key's high and low halves; the rest belong to the table using the core, except
// an optional home-slot word the core maintains for delete-heavy tables (GuidSlotsLayout).
//
// Why this shape:
// - Linear probing over one flat array: a lookup touches one cache line in the common case,
//   and no JS object exists per entry, so a table of 10^7 entries costs the GC nothing.
// - The empty marker is the key 0:0 (a zero GUID means "unassigned" in IBA, so no real key
//   is lost), which keeps a slot at key + payload with no separate occupancy bitmap.
// - Deletion shifts later members of the probe run backwards (Knuth's Algorithm R) instead
//   of leaving tombstones, so heavy churn never degrades probe lengths or needs a rebuild.
// - Slot counts are not powers of two: the home slot is the hash scaled into [0, slots)
//   (Lemire's multiply-shift range reduction), so a table sized for n entries at load 0.75
//   really is n/0.75 slots. This is what keeps the LID-vGUID table under 24 bytes per entry.
//
// Concurrency: one writer thread at a time. Other threads attach to the same buffer with
// fromShared() and read; a read racing a write may miss a key that is being shifted, so
// readers that need exact answers synchronise with the writer (postMessage, Atomics) first.
// Growth allocates a new buffer; the old header is marked stale so attachments on other
// threads can notice (isStale) and must be re-attached from a fresh toShared().
import { TableFullError, checkGuid } from './table-error.js';

export const HEADER_WORDS = 16;
export const HEADER_BYTES = HEADER_WORDS * 4;
export const H_SIZE = 0;
const H_SLOTS = 1;
const H_STRIDE = 2;
const H_LIMIT = 3;
const H_STALE = 4;
const H_GROWABLE = 5;
const H_MAXLOAD_PPM = 6;
const H_HOME_WORD = 7; // payload word caching each entry's home slot, + 1 (0 = not cached)
/** Header words 8..15 are free for the table using the core (e.g. list heads). */
export const H_USER = 8;

/** Default working load factor: linear probing needs ~2.5 probes per hit and ~8.5 per miss here. */
export const DEFAULT_MAX_LOAD = 0.75;

/**
 * 64-bit GUID -> 32-bit hash, no BigInt: the high half is spread by a multiply with the
 * golden-ratio constant (a bijection on u32), folded into the low half, then finished with
 * murmur3's fmix32 avalanche so sequential vGUIDs (the common case) land far apart.
 */
export function guidHash(high: number, low: number): number {
  let h = Math.imul(high, 0x9e3779b1) ^ low;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** 2^-32: scaling by it is exact (a power of two), so it equals dividing by 2^32. */
const TWO_TO_MINUS_32 = 2.3283064365386963e-10;

/**
 * Scales a u32 hash into [0, n). Exact for n < 2^31: the product's rounding never reaches n.
 * Written as a multiply by 2^-32 and a truncation (>>> 0) rather than Math.floor(x / 2^32):
 * the same number for every input (the scaling is exact and the value is in [0, 2^31), where
 * truncating is flooring), but a lookup's hash -> slot address -> load chain is its latency
 * when it runs from cache, and a float divide plus a rounding instruction were about a tenth
 * of that chain.
 */
export function homeOf(hash: number, n: number): number {
  return (hash * n * TWO_TO_MINUS_32) >>> 0;
}

/**
 * n / 2^32, exact: the per-table factor of homeAt. Hot lookups keep it next to the slot count
 * and pay one multiply per lookup instead of two.
 */
export function homeScale(n: number): number {
  return n * TWO_TO_MINUS_32;
}

/**
 * homeOf(hash, n) with scale = homeScale(n): the same slot for every hash. Both products are
 * the exact product hash * n rounded once to a double and scaled by a power of two (which
 * commutes with rounding), so they are one number.
 */
export function homeAt(hash: number, scale: number): number {
  return (hash * scale) >>> 0;
}

export interface GuidSlotsShared {
  readonly buffer: SharedArrayBuffer;
}

export interface GuidSlotsOptions {
  /** Fraction of slots that may be occupied, (0, 0.95]. Default 0.75. */
  maxLoad?: number;
  /** Double the capacity instead of throwing TableFullError. Default false. */
  growable?: boolean;
}

export interface GuidSlotsLayout {
  /**
   * A payload word (2..stride-1) where the core keeps each entry's home slot, for tables
   * with a spare word and many deletions: a backward-shift delete then reads the home of
   * every entry it passes instead of re-hashing its key. -1 (default) for none.
   */
  homeWord?: number;
}

export class GuidSlots {
  buffer!: SharedArrayBuffer;
  meta!: Int32Array;
  /** Slot words; slot s occupies w[s*stride .. s*stride+stride). */
  w!: Uint32Array;
  /** Float64 view of the same words (for tables storing times); only when stride is even. */
  f64!: Float64Array;
  slots!: number;
  /** homeScale(slots), for homeAt. */
  scale!: number;
  stride!: number;
  limit!: number;
  /** Payload word caching the home slot, or -1. */
  homeWord!: number;
  /** Set by insertSlot: true when the key was not present before. */
  created = false;
  /**
   * Called when deletion's backward shift moves an entry from slot `from` to slot `to`, for
   * tables whose entries are referred to by slot number from elsewhere (none at present: the
   * trap table keeps its park order in a ring keyed by vGUID precisely to avoid this).
   */
  onMove: ((from: number, to: number) => void) | null = null;
  /** Called after growth with old slot -> new slot for every entry (-1 for empty slots). */
  onRehash: ((remap: Int32Array) => void) | null = null;

  constructor(
    readonly table: string,
    buffer: SharedArrayBuffer,
  ) {
    this.attach(buffer);
  }

  static create(table: string, capacity: number, stride: number, options: GuidSlotsOptions = {}, layout: GuidSlotsLayout = {}): GuidSlots {
    const homeWord = layout.homeWord ?? -1;
    if (homeWord !== -1 && !(Number.isInteger(homeWord) && homeWord >= 2 && homeWord < stride)) {
      throw new RangeError(`${table}: homeWord must be -1 or a payload word in 2..${stride - 1}, got ${homeWord}`);
    }
    return new GuidSlots(table, GuidSlots.allocate(table, capacity, stride, options.maxLoad ?? DEFAULT_MAX_LOAD, options.growable ?? false, homeWord));
  }

  /** Slots needed to hold `capacity` entries at `maxLoad`, always leaving one slot empty. */
  static slotsFor(capacity: number, maxLoad: number): number {
    return Math.max(capacity + 1, Math.ceil(capacity / maxLoad));
  }

  static allocate(table: string, capacity: number, stride: number, maxLoad: number, growable: boolean, homeWord = -1): SharedArrayBuffer {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`${table}: capacity must be a positive integer, got ${capacity}`);
    }
    if (!(maxLoad > 0 && maxLoad <= 0.95)) {
      throw new RangeError(`${table}: maxLoad must be in (0, 0.95], got ${maxLoad}`);
    }
    const slots = GuidSlots.slotsFor(capacity, maxLoad);
    if (slots * stride >= 2 ** 32 || slots >= 2 ** 31) {
      throw new RangeError(`${table}: capacity ${capacity} needs ${slots} slots, more than one buffer can hold`);
    }
    const buffer = new SharedArrayBuffer(HEADER_BYTES + slots * stride * 4);
    const meta = new Int32Array(buffer, 0, HEADER_WORDS);
    meta[H_SLOTS] = slots;
    meta[H_STRIDE] = stride;
    meta[H_LIMIT] = capacity;
    meta[H_GROWABLE] = growable ? 1 : 0;
    meta[H_MAXLOAD_PPM] = Math.round(maxLoad * 1e6);
    meta[H_HOME_WORD] = homeWord + 1;
    return buffer;
  }

  private attach(buffer: SharedArrayBuffer): void {
    this.buffer = buffer;
    this.meta = new Int32Array(buffer, 0, HEADER_WORDS);
    this.slots = this.meta[H_SLOTS]!;
    this.scale = homeScale(this.slots);
    this.stride = this.meta[H_STRIDE]!;
    this.limit = this.meta[H_LIMIT]!;
    this.homeWord = this.meta[H_HOME_WORD]! - 1;
    this.w = new Uint32Array(buffer, HEADER_BYTES, this.slots * this.stride);
    this.f64 = this.stride % 2 === 0 ? new Float64Array(buffer, HEADER_BYTES, (this.slots * this.stride) / 2) : new Float64Array(0);
  }

  get size(): number {
    return this.meta[H_SIZE]!;
  }

  get growable(): boolean {
    return this.meta[H_GROWABLE] === 1;
  }

  get maxLoad(): number {
    return this.meta[H_MAXLOAD_PPM]! / 1e6;
  }

  /** True once another attachment grew the table into a new buffer; re-attach from its toShared(). */
  get isStale(): boolean {
    return this.meta[H_STALE] === 1;
  }

  get byteLength(): number {
    return this.buffer.byteLength;
  }

  home(high: number, low: number): number {
    return homeOf(guidHash(high, low), this.slots);
  }

  /** Slot holding the key, or -1. Key 0:0 is never present. */
  find(high: number, low: number): number {
    high >>>= 0;
    low >>>= 0;
    if ((high | low) === 0) return -1;
    const w = this.w;
    const stride = this.stride;
    const n = this.slots;
    let s = homeAt(guidHash(high, low), this.scale);
    for (;;) {
      const b = s * stride;
      const kh = w[b]!;
      const kl = w[b + 1]!;
      if (kl === low && kh === high) return s;
      if ((kh | kl) === 0) return -1;
      if (++s === n) s = 0;
    }
  }

  /**
   * Slot for the key, claiming an empty one when absent (its payload words are zero).
   * Sets `created`. Throws TableFullError, or grows, when a new key would exceed capacity.
   */
  insertSlot(high: number, low: number): number {
    checkGuid(this.table, 'GUID', high, low);
    const w = this.w;
    const stride = this.stride;
    const n = this.slots;
    const home = homeAt(guidHash(high, low), this.scale);
    let s = home;
    for (;;) {
      const b = s * stride;
      const kh = w[b]!;
      const kl = w[b + 1]!;
      if (kl === low && kh === high) {
        this.created = false;
        return s;
      }
      if ((kh | kl) === 0) break;
      if (++s === n) s = 0;
    }
    if (this.meta[H_SIZE]! >= this.limit) {
      if (!this.growable) throw new TableFullError(this.table, this.limit);
      this.grow();
      return this.insertSlot(high, low);
    }
    const b = s * stride;
    w[b] = high;
    w[b + 1] = low;
    if (this.homeWord >= 0) w[b + this.homeWord] = home;
    this.meta[H_SIZE] = this.meta[H_SIZE]! + 1;
    this.created = true;
    return s;
  }

  /**
   * Empties slot s and shifts later members of its probe run back into the gap, so every
   * key stays reachable from its home with no tombstone. An entry at j (home k) may move
   * into the gap i only if i lies cyclically in [k, j); otherwise it would land before its
   * own home and become unreachable.
   */
  deleteSlot(slot: number): void {
    const w = this.w;
    const stride = this.stride;
    const n = this.slots;
    const homeWord = this.homeWord;
    let i = slot;
    let j = slot;
    for (;;) {
      if (++j === n) j = 0;
      const bj = j * stride;
      const kh = w[bj]!;
      const kl = w[bj + 1]!;
      if ((kh | kl) === 0) break;
      const k = homeWord >= 0 ? w[bj + homeWord]! : homeOf(guidHash(kh, kl), n);
      // It may move back iff it is at least as far from its home as from the gap (cyclic).
      if ((k <= j ? j - k : j + n - k) >= (i <= j ? j - i : j + n - i)) {
        // Word loops, not copyWithin/fill: for a few words the builtins' call cost dominates.
        const bi = i * stride;
        for (let k = 0; k < stride; k++) w[bi + k] = w[bj + k]!;
        if (this.onMove !== null) this.onMove(j, i);
        i = j;
      }
    }
    const bi = i * stride;
    for (let k = 0; k < stride; k++) w[bi + k] = 0;
    this.meta[H_SIZE] = this.meta[H_SIZE]! - 1;
  }

  remove(high: number, low: number): boolean {
    const s = this.find(high, low);
    if (s < 0) return false;
    this.deleteSlot(s);
    return true;
  }

  clear(): void {
    this.w.fill(0);
    this.meta[H_SIZE] = 0;
  }

  /** Calls fn(slot) for each occupied slot in slot order; cold path. Do not mutate meanwhile. */
  forEachSlot(fn: (slot: number) => void): void {
    const w = this.w;
    const stride = this.stride;
    for (let s = 0; s < this.slots; s++) {
      const b = s * stride;
      if ((w[b]! | w[b + 1]!) !== 0) fn(s);
    }
  }

  /** Doubles the capacity into a new buffer and marks the old one stale for other threads. */
  grow(): void {
    const oldW = this.w;
    const oldSlots = this.slots;
    const stride = this.stride;
    const size = this.size;
    const oldMeta = this.meta;
    const buffer = GuidSlots.allocate(this.table, this.limit * 2, stride, this.maxLoad, this.growable, this.homeWord);
    Atomics.store(this.meta, H_STALE, 1);
    this.attach(buffer);
    const w = this.w;
    const n = this.slots;
    const remap = this.onRehash !== null ? new Int32Array(oldSlots).fill(-1) : null;
    for (let o = 0; o < oldSlots; o++) {
      const ob = o * stride;
      const kh = oldW[ob]!;
      const kl = oldW[ob + 1]!;
      if ((kh | kl) === 0) continue;
      const home = homeOf(guidHash(kh, kl), n);
      let s = home;
      while ((w[s * stride]! | w[s * stride + 1]!) !== 0) if (++s === n) s = 0;
      w.set(oldW.subarray(ob, ob + stride), s * stride);
      if (this.homeWord >= 0) w[s * stride + this.homeWord] = home;
      if (remap !== null) remap[o] = s;
    }
    this.meta[H_SIZE] = size;
    // The user header words travel with the table (list heads and the like).
    this.meta.set(oldMeta.subarray(H_USER), H_USER);
    if (remap !== null && this.onRehash !== null) this.onRehash(remap);
  }

  /** Probe-length statistics (displacement from the home slot), for tests and tuning. */
  probeStats(): { max: number; mean: number } {
    let max = 0;
    let sum = 0;
    let count = 0;
    this.forEachSlot((s) => {
      const b = s * this.stride;
      const k = this.home(this.w[b]!, this.w[b + 1]!);
      const d = s >= k ? s - k : s + this.slots - k;
      if (d > max) max = d;
      sum += d;
      count++;
    });
    return { max, mean: count === 0 ? 0 : sum / count };
  }

  /**
   * Throws unless every stored key is reachable from its home without crossing an empty
   * slot and the header's size matches the occupied slots. Cold path, for tests.
   */
  checkInvariants(): void {
    let count = 0;
    this.forEachSlot((s) => {
      count++;
      const b = s * this.stride;
      const kh = this.w[b]!;
      const kl = this.w[b + 1]!;
      if (this.find(kh, kl) !== s) {
        throw new Error(`${this.table}: key at slot ${s} is unreachable from its home ${this.home(kh, kl)}`);
      }
      if (this.homeWord >= 0 && this.w[b + this.homeWord] !== this.home(kh, kl)) {
        throw new Error(`${this.table}: slot ${s} caches home ${this.w[b + this.homeWord]}, but its key's home is ${this.home(kh, kl)}`);
      }
    });
    if (count !== this.size) {
      throw new Error(`${this.table}: header size ${this.size} but ${count} occupied slots`);
    }
  }
}
