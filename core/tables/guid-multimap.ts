// GUID -> small set of u32 ids, for "which host ports asked the SA for a path to vGUID x"
// (per-pf-interest at the SM) and Dom0's inverted index "which local VMs cache x". Both are
// read when a notice arrives and must not cost a scan of every host or every cache.
//
// Two SharedArrayBuffers:
// - keys: the open-addressing core with 4-word slots [high, low, head chunk + 1, id count];
// - pool: 8-word chunks [next chunk + 1, id x 7], linked per key, recycled through a free
//   list. The head chunk is the partly filled one (holding ((count-1) % 7) + 1 ids); the rest
//   of the chain is full. remove() moves the head's last id into the hole, so a set stays
//   dense and a key with n ids uses ceil(n / 7) chunks.
// Both grow by doubling (default), so callers need not size them exactly; as with every
// table here, growth leaves attachments on other threads stale (isStale).
import { GuidSlots, type GuidSlotsOptions } from './guid-slots.js';
import { TableFullError, checkU32 } from './table-error.js';

const TABLE = 'GuidMultiMap';
const STRIDE = 4;
const CHUNK = 8;
const IDS_PER_CHUNK = CHUNK - 1;
const P_HEADER_WORDS = 8;
const P_FREE = 0; // free list head + 1
const P_TOTAL = 1; // chunks in the pool
const P_USED = 2; // high-water mark of chunks ever handed out
const P_STALE = 3;
const P_IDS = 4; // ids stored over all keys
const P_GROWABLE = 5;

export interface GuidMultiMapShared {
  readonly buffer: SharedArrayBuffer;
  readonly pool: SharedArrayBuffer;
}

export interface GuidMultiMapOptions extends GuidSlotsOptions {
  /** Initial pool size in 7-id chunks; default one per key of capacity. */
  chunks?: number;
}

function allocatePool(chunks: number, growable: boolean): SharedArrayBuffer {
  const pool = new SharedArrayBuffer((P_HEADER_WORDS + chunks * CHUNK) * 4);
  const h = new Uint32Array(pool, 0, P_HEADER_WORDS);
  h[P_TOTAL] = chunks;
  h[P_GROWABLE] = growable ? 1 : 0;
  return pool;
}

export class GuidMultiMap {
  private core!: GuidSlots;
  private pool!: SharedArrayBuffer;
  private ph!: Uint32Array;
  private p!: Uint32Array;

  /** Default growable (both the key table and the chunk pool double when full). */
  constructor(capacity: number, options: GuidMultiMapOptions = {}) {
    const growable = options.growable ?? true;
    this.core = GuidSlots.create(TABLE, capacity, STRIDE, { maxLoad: options.maxLoad, growable });
    const chunks = options.chunks ?? capacity;
    if (!Number.isInteger(chunks) || chunks < 1) throw new RangeError(`${TABLE}: chunks must be a positive integer, got ${chunks}`);
    this.attachPool(allocatePool(chunks, growable));
  }

  static fromShared(s: GuidMultiMapShared): GuidMultiMap {
    const m = Object.create(GuidMultiMap.prototype) as GuidMultiMap;
    m.core = new GuidSlots(TABLE, s.buffer);
    m.attachPool(s.pool);
    return m;
  }

  toShared(): GuidMultiMapShared {
    return { buffer: this.core.buffer, pool: this.pool };
  }

  private attachPool(pool: SharedArrayBuffer): void {
    this.pool = pool;
    this.ph = new Uint32Array(pool, 0, P_HEADER_WORDS);
    this.p = new Uint32Array(pool, P_HEADER_WORDS * 4, this.ph[P_TOTAL]! * CHUNK);
  }

  /** Keys with at least one id. */
  get size(): number {
    return this.core.size;
  }

  /** Ids stored over all keys. */
  get idCount(): number {
    return this.ph[P_IDS]!;
  }

  get byteLength(): number {
    return this.core.byteLength + this.pool.byteLength;
  }

  /** Real bytes per stored (key, id) pair: both buffers over the id count. */
  get bytesPerEntry(): number {
    return this.byteLength / this.ph[P_IDS]!;
  }

  get isStale(): boolean {
    return this.core.isStale || this.ph[P_STALE] === 1;
  }

  private allocChunk(): number {
    const h = this.ph;
    const free = h[P_FREE]!;
    if (free !== 0) {
      const c = free - 1;
      h[P_FREE] = this.p[c * CHUNK]!;
      return c;
    }
    if (h[P_USED]! === h[P_TOTAL]!) {
      if (h[P_GROWABLE] !== 1) throw new TableFullError(`${TABLE} chunk pool`, h[P_TOTAL]! * IDS_PER_CHUNK);
      const total = h[P_TOTAL]!;
      const grown = allocatePool(total * 2, true);
      new Uint32Array(grown).set(new Uint32Array(this.pool));
      const gh = new Uint32Array(grown, 0, P_HEADER_WORDS);
      gh[P_TOTAL] = total * 2;
      gh[P_STALE] = 0;
      Atomics.store(h, P_STALE, 1);
      this.attachPool(grown);
    }
    const c = this.ph[P_USED]!;
    this.ph[P_USED] = c + 1;
    return c;
  }

  private freeChunk(c: number): void {
    this.p[c * CHUNK] = this.ph[P_FREE]!;
    this.ph[P_FREE] = c + 1;
  }

  /** Position (chunk * CHUNK + 1 + index) of id in the key's set at slot s, or -1. */
  private position(s: number, id: number): number {
    const w = this.core.w;
    let count = w[s * STRIDE + 3]!;
    let c = w[s * STRIDE + 2]! - 1;
    let inChunk = ((count - 1) % IDS_PER_CHUNK) + 1;
    const p = this.p;
    while (count > 0) {
      const b = c * CHUNK + 1;
      for (let k = 0; k < inChunk; k++) if (p[b + k] === id) return b + k;
      count -= inChunk;
      inChunk = IDS_PER_CHUNK;
      c = p[c * CHUNK]! - 1;
    }
    return -1;
  }

  /** Adds id to the key's set; false when it was already there. */
  add(high: number, low: number, id: number): boolean {
    checkU32(TABLE, 'id', id);
    let s = this.core.find(high, low);
    if (s >= 0 && this.position(s, id) >= 0) return false;
    if (s < 0) s = this.core.insertSlot(high, low);
    const b = s * STRIDE;
    const count = this.core.w[b + 3]!;
    const at = count % IDS_PER_CHUNK;
    if (at === 0) {
      const c = this.allocChunk();
      this.p[c * CHUNK] = this.core.w[b + 2]!;
      this.core.w[b + 2] = c + 1;
    }
    this.p[(this.core.w[b + 2]! - 1) * CHUNK + 1 + at] = id;
    this.core.w[b + 3] = count + 1;
    this.ph[P_IDS] = this.ph[P_IDS]! + 1;
    return true;
  }

  /** Removes id from the key's set (the key goes when its set empties); false when absent. */
  remove(high: number, low: number, id: number): boolean {
    const s = this.core.find(high, low);
    if (s < 0) return false;
    const pos = this.position(s, id >>> 0);
    if (pos < 0) return false;
    const w = this.core.w;
    const b = s * STRIDE;
    const count = w[b + 3]!;
    const head = w[b + 2]! - 1;
    const last = (count - 1) % IDS_PER_CHUNK;
    this.p[pos] = this.p[head * CHUNK + 1 + last]!;
    if (last === 0) {
      w[b + 2] = this.p[head * CHUNK]!;
      this.freeChunk(head);
    }
    this.ph[P_IDS] = this.ph[P_IDS]! - 1;
    if (count === 1) this.core.deleteSlot(s);
    else w[b + 3] = count - 1;
    return true;
  }

  /** Drops the key and its whole set; false when absent. */
  removeKey(high: number, low: number): boolean {
    const s = this.core.find(high, low);
    if (s < 0) return false;
    const w = this.core.w;
    let c = w[s * STRIDE + 2]! - 1;
    while (c >= 0) {
      const next = this.p[c * CHUNK]! - 1;
      this.freeChunk(c);
      c = next;
    }
    this.ph[P_IDS] = this.ph[P_IDS]! - w[s * STRIDE + 3]!;
    this.core.deleteSlot(s);
    return true;
  }

  has(high: number, low: number, id: number): boolean {
    const s = this.core.find(high, low);
    return s >= 0 && this.position(s, id >>> 0) >= 0;
  }

  count(high: number, low: number): number {
    const s = this.core.find(high, low);
    return s < 0 ? 0 : this.core.w[s * STRIDE + 3]!;
  }

  /** Calls fn(id) for each id of the key (no order promised). Do not mutate this key from fn. */
  forEach(high: number, low: number, fn: (id: number) => void): void {
    const s = this.core.find(high, low);
    if (s < 0) return;
    let count = this.core.w[s * STRIDE + 3]!;
    let c = this.core.w[s * STRIDE + 2]! - 1;
    let inChunk = ((count - 1) % IDS_PER_CHUNK) + 1;
    const p = this.p;
    while (count > 0) {
      const b = c * CHUNK + 1;
      for (let k = 0; k < inChunk; k++) fn(p[b + k]!);
      count -= inChunk;
      inChunk = IDS_PER_CHUNK;
      c = p[c * CHUNK]! - 1;
    }
  }

  /** Writes the key's ids into out and returns how many; throws when out is too short. */
  collect(high: number, low: number, out: Uint32Array): number {
    const s = this.core.find(high, low);
    if (s < 0) return 0;
    const total = this.core.w[s * STRIDE + 3]!;
    if (out.length < total) throw new RangeError(`${TABLE}: out.length ${out.length} is less than the ${total} ids of the key`);
    let count = total;
    let c = this.core.w[s * STRIDE + 2]! - 1;
    let inChunk = ((count - 1) % IDS_PER_CHUNK) + 1;
    const p = this.p;
    let n = 0;
    while (count > 0) {
      const b = c * CHUNK + 1;
      for (let k = 0; k < inChunk; k++) out[n++] = p[b + k]!;
      count -= inChunk;
      inChunk = IDS_PER_CHUNK;
      c = p[c * CHUNK]! - 1;
    }
    return n;
  }

  /** Cold path: every key with its id count. Do not mutate from fn. */
  forEachKey(fn: (high: number, low: number, count: number) => void): void {
    const w = this.core.w;
    this.core.forEachSlot((s) => fn(w[s * STRIDE]!, w[s * STRIDE + 1]!, w[s * STRIDE + 3]!));
  }

  clear(): void {
    this.core.clear();
    this.ph[P_FREE] = 0;
    this.ph[P_USED] = 0;
    this.ph[P_IDS] = 0;
  }

  checkInvariants(): void {
    this.core.checkInvariants();
  }
}
