// A slab of 256-byte MAD buffers with a free list and reference counts: in-flight MADs and
// notices Dom0 forwards to many VFs live here, so the engine allocates no buffer per message.
// Each slot's Uint8Array view is created once when the slab grows and then reused forever.
import { MAD_SIZE } from '../mad/constants.js';

export class MadSlab {
  private data: Uint8Array;
  private viewsOf: Uint8Array[] = [];
  private refs: Uint32Array;
  private free: Int32Array;
  private freeCount = 0;
  private capacity = 0;
  /** Slots in use now, and the most ever in use (memory figure). */
  inUse = 0;
  peakInUse = 0;

  constructor(initialSlots = 256) {
    this.data = new Uint8Array(0);
    this.refs = new Uint32Array(0);
    this.free = new Int32Array(0);
    this.grow(Math.max(16, initialSlots | 0));
  }

  /** Takes a free slot (reference count 1). */
  alloc(): number {
    if (this.freeCount === 0) this.grow(this.capacity * 2);
    const slot = this.free[--this.freeCount]!;
    this.refs[slot] = 1;
    if (++this.inUse > this.peakInUse) this.peakInUse = this.inUse;
    return slot;
  }

  /** Takes a slot and copies `mad` (256 bytes) into it. */
  allocCopy(mad: Uint8Array): number {
    const slot = this.alloc();
    // A 256-byte MAD (every one the engine sends) is copied as it is: no subarray per copy.
    this.viewsOf[slot]!.set(mad.length === MAD_SIZE ? mad : mad.subarray(0, MAD_SIZE));
    return slot;
  }

  /**
   * A slot holding `mad`: its own, with one more reference, when `mad` is the view of a live slot
   * of this slab (a MAD the fabric is delivering, passed on whole: Dom0 demultiplexing a Report to
   * a VF), else a new slot with a copy. Saves a 256-byte copy per MAD passed on; the holders must
   * only read it, as every reader of a delivered MAD does.
   */
  share(mad: Uint8Array): number {
    if (mad.length === MAD_SIZE && mad.buffer === this.data.buffer) {
      const slot = (mad.byteOffset - this.data.byteOffset) / MAD_SIZE;
      if (this.viewsOf[slot] === mad && this.refs[slot]! > 0) {
        this.refs[slot]!++;
        return slot;
      }
    }
    return this.allocCopy(mad);
  }

  /** The 256 bytes of `slot` (the same view object every time). */
  bytes(slot: number): Uint8Array {
    return this.viewsOf[slot]!;
  }

  /** Adds `n` references (one per extra reader, e.g. per VF a notice is forwarded to). */
  retain(slot: number, n: number): void {
    this.refs[slot]! += n;
  }

  /** Drops one reference; the slot returns to the free list at zero. */
  release(slot: number): void {
    const r = this.refs[slot]!;
    if (r === 0) throw new RangeError(`MadSlab slot: ${slot} released while free`);
    this.refs[slot] = r - 1;
    if (r === 1) {
      this.free[this.freeCount++] = slot;
      this.inUse--;
    }
  }

  get slots(): number {
    return this.capacity;
  }

  private grow(n: number): void {
    const data = new Uint8Array(n * MAD_SIZE);
    data.set(this.data);
    this.data = data;
    const views: Uint8Array[] = new Array<Uint8Array>(n);
    for (let i = 0; i < n; i++) views[i] = data.subarray(i * MAD_SIZE, (i + 1) * MAD_SIZE);
    this.viewsOf = views;
    const refs = new Uint32Array(n);
    refs.set(this.refs);
    this.refs = refs;
    const free = new Int32Array(n);
    free.set(this.free.subarray(0, this.freeCount));
    // New slots go on the free list highest first so that low slots are used first.
    let f = this.freeCount;
    for (let i = n - 1; i >= this.capacity; i--) free[f++] = i;
    this.free = free;
    this.freeCount = f;
    this.capacity = n;
  }
}
