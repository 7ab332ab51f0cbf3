// One FIFO server in virtual time: the SA's request dispatcher, or the SM's Report transmit path.
//
// Work that arrives at nowNs starts when the server is free (busyUntilNs) and is done costNs
// later. The completion times are non-decreasing (FIFO), so the work still queued or in service
// at any moment is a run at the tail of a ring of completion times: retiring everything done by
// now from the head leaves the queue depth, and the peak depth costs one compare per item.
// Typed arrays only: a storm puts tens of thousands of requests through this per virtual second.

export class ServiceQueue {
  /** When the server is free again. */
  busyUntilNs = 0;
  /** Most items queued or in service at once since the last resetPeak(). */
  peak = 0;
  /** Items served since construction. */
  served = 0;
  private done: Float64Array;
  private head = 0;
  private size = 0;

  constructor(initialCapacity = 1024) {
    if (!Number.isInteger(initialCapacity) || initialCapacity < 1) {
      throw new RangeError(`ServiceQueue initialCapacity: ${initialCapacity} is not a positive integer`);
    }
    this.done = new Float64Array(initialCapacity);
  }

  /** Takes the server for costNs from when it is free; returns the time the work is done. */
  serve(nowNs: number, costNs: number): number {
    this.retire(nowNs);
    const start = nowNs > this.busyUntilNs ? nowNs : this.busyUntilNs;
    const end = start + costNs;
    this.busyUntilNs = end;
    if (this.size === this.done.length) this.grow();
    this.done[(this.head + this.size) % this.done.length] = end;
    this.size++;
    this.served++;
    if (this.size > this.peak) this.peak = this.size;
    return end;
  }

  /** Items queued or in service at nowNs (counting the one being served). */
  depth(nowNs: number): number {
    this.retire(nowNs);
    return this.size;
  }

  resetPeak(): void {
    this.peak = 0;
  }

  private retire(nowNs: number): void {
    const d = this.done;
    const cap = d.length;
    while (this.size > 0 && d[this.head]! <= nowNs) {
      this.head = this.head + 1 === cap ? 0 : this.head + 1;
      this.size--;
    }
  }

  private grow(): void {
    const old = this.done;
    const cap = old.length;
    const d = new Float64Array(cap * 2);
    for (let i = 0; i < this.size; i++) d[i] = old[(this.head + i) % cap]!;
    this.done = d;
    this.head = 0;
  }
}
