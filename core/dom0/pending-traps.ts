// Dom0's outstanding life-cycle Traps (issue 7): a Trap is re-sent until the SM's TrapRepress
// arrives or cost.clientMaxRetries re-sends are spent, as IBA 13.4.9 asks of a trap sender.
// A pool of slots in typed arrays; the slot is the Trap's TID low word and its generation sits
// in the TID high word, so a late TrapRepress for a reused slot is recognised and ignored.
// Everything a re-send needs is kept here: the VM has usually left its VF slot by then
// (migrateOut sends the Trap and the Delete together).

export class PendingTraps {
  host = new Int32Array(0);
  state = new Uint8Array(0);
  guidHigh = new Uint32Array(0);
  guidLow = new Uint32Array(0);
  gen = new Uint16Array(0);
  retries = new Uint8Array(0);
  active = new Uint8Array(0);
  private free = new Int32Array(0);
  private freeCount = 0;
  private cap = 0;
  outstanding = 0;

  constructor(initial = 64) {
    this.grow(initial);
  }

  alloc(host: number, state: number, guidHigh: number, guidLow: number): number {
    if (this.freeCount === 0) this.grow(this.cap * 2);
    const t = this.free[--this.freeCount]!;
    this.host[t] = host;
    this.state[t] = state;
    this.guidHigh[t] = guidHigh;
    this.guidLow[t] = guidLow;
    this.retries[t] = 0;
    this.active[t] = 1;
    this.outstanding++;
    return t;
  }

  /** True when (slot, generation) names an outstanding Trap. */
  isCurrent(t: number, gen: number): boolean {
    return t >= 0 && t < this.cap && this.active[t] === 1 && this.gen[t] === gen;
  }

  release(t: number): void {
    this.active[t] = 0;
    this.gen[t] = (this.gen[t]! + 1) & 0xffff;
    this.free[this.freeCount++] = t;
    this.outstanding--;
  }

  private grow(n: number): void {
    const old = this.cap;
    const g = <T extends Int32Array | Uint8Array | Uint16Array | Uint32Array>(a: T, make: (n: number) => T): T => {
      const b = make(n);
      b.set(a);
      return b;
    };
    this.host = g(this.host, (k) => new Int32Array(k));
    this.state = g(this.state, (k) => new Uint8Array(k));
    this.guidHigh = g(this.guidHigh, (k) => new Uint32Array(k));
    this.guidLow = g(this.guidLow, (k) => new Uint32Array(k));
    this.gen = g(this.gen, (k) => new Uint16Array(k));
    this.retries = g(this.retries, (k) => new Uint8Array(k));
    this.active = g(this.active, (k) => new Uint8Array(k));
    const free = new Int32Array(n);
    free.set(this.free.subarray(0, this.freeCount));
    let f = this.freeCount;
    for (let i = n - 1; i >= old; i--) free[f++] = i;
    this.free = free;
    this.freeCount = f;
    this.cap = n;
  }
}
