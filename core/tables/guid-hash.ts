// GUID -> u32 map in a SharedArrayBuffer: the general-purpose table (port GUID -> port
// index, vGUID -> VM index, ...). Slot = [key high, key low, value], 12 bytes.
//
// Values are full u32 (0..2^32-1). get() returns -1 when the key is absent; no u32 value
// reads back as -1 (a Uint32Array yields non-negative numbers), so the two never collide.
import { GuidSlots, DEFAULT_MAX_LOAD, type GuidSlotsOptions, type GuidSlotsShared } from './guid-slots.js';
import { checkU32 } from './table-error.js';

export { guidHash } from './guid-slots.js';

const TABLE = 'GuidHashTable';
const STRIDE = 3;

export type GuidHashTableShared = GuidSlotsShared;

export class GuidHashTable {
  private core: GuidSlots;

  /** `capacity` entries fit before TableFullError (or growth, when `growable`). */
  constructor(capacity: number, options: GuidSlotsOptions = {}) {
    this.core = GuidSlots.create(TABLE, capacity, STRIDE, options);
  }

  static fromShared(s: GuidHashTableShared): GuidHashTable {
    const t = Object.create(GuidHashTable.prototype) as GuidHashTable;
    t.core = new GuidSlots(TABLE, s.buffer);
    return t;
  }

  toShared(): GuidHashTableShared {
    return { buffer: this.core.buffer };
  }

  /** Bytes per entry of a table filled to `load` of its slots (12-byte slots). */
  static bytesPerEntry(load = DEFAULT_MAX_LOAD): number {
    return (STRIDE * 4) / load;
  }

  /** Real bytes per stored entry now: the whole buffer over the entry count (Infinity when empty). */
  get bytesPerEntry(): number {
    return this.core.byteLength / this.core.size;
  }

  get byteLength(): number {
    return this.core.byteLength;
  }

  get size(): number {
    return this.core.size;
  }

  /** Entries that fit before the table is full (or grows). */
  get capacity(): number {
    return this.core.limit;
  }

  get isStale(): boolean {
    return this.core.isStale;
  }

  /** The value, or -1 when absent. */
  get(high: number, low: number): number {
    const s = this.core.find(high, low);
    return s < 0 ? -1 : this.core.w[s * STRIDE + 2]!;
  }

  has(high: number, low: number): boolean {
    return this.core.find(high, low) >= 0;
  }

  /** Inserts or overwrites. Throws RangeError on key 0:0 or a value outside u32. */
  set(high: number, low: number, value: number): void {
    checkU32(TABLE, 'value', value);
    const s = this.core.insertSlot(high, low);
    this.core.w[s * STRIDE + 2] = value;
  }

  delete(high: number, low: number): boolean {
    return this.core.remove(high, low);
  }

  clear(): void {
    this.core.clear();
  }

  /** Cold path: every entry in slot order. Do not mutate the table from fn. */
  forEach(fn: (high: number, low: number, value: number) => void): void {
    const w = this.core.w;
    this.core.forEachSlot((s) => fn(w[s * STRIDE]!, w[s * STRIDE + 1]!, w[s * STRIDE + 2]!));
  }

  probeStats(): { max: number; mean: number } {
    return this.core.probeStats();
  }

  checkInvariants(): void {
    this.core.checkInvariants();
  }
}
