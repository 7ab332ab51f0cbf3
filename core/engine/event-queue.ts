// The virtual-time event queue: a binary min-heap kept in typed arrays, keyed by
// (timeNs, sequence). The sequence number is the insertion order, so two events at the same
// virtual time always pop in the order they were pushed: the run is deterministic whatever the
// heap's internal layout. An event is a small integer kind plus three numeric arguments (a slab
// slot, a VM index, ...): no closure and no object per event, so a storm of millions of events
// costs only array slots.

/** What components see of the engine's clock: the current time and a way to schedule. */
export interface Scheduler {
  /** Virtual time of the event being handled (ns). */
  readonly nowNs: number;
  /** Schedules event `kind` with arguments a, b, c at `timeNs` (>= nowNs). */
  push(timeNs: number, kind: number, a: number, b: number, c: number): void;
}

const INITIAL_CAPACITY = 1024;

export class EventQueue implements Scheduler {
  private time: Float64Array;
  private seq: Float64Array;
  private kinds: Uint16Array;
  private argA: Float64Array;
  private argB: Float64Array;
  private argC: Float64Array;
  private count = 0;
  private nextSeq = 0;
  /** Events ever popped: the engine's "events handled" figure. */
  popped = 0;

  /** Set by pop(): the current event. */
  nowNs = 0;
  kind = 0;
  a = 0;
  b = 0;
  c = 0;

  constructor(capacity = INITIAL_CAPACITY) {
    const n = Math.max(16, capacity | 0);
    this.time = new Float64Array(n);
    this.seq = new Float64Array(n);
    this.kinds = new Uint16Array(n);
    this.argA = new Float64Array(n);
    this.argB = new Float64Array(n);
    this.argC = new Float64Array(n);
  }

  get size(): number {
    return this.count;
  }

  /** Time of the earliest pending event, or Infinity when empty. */
  peekTime(): number {
    return this.count > 0 ? this.time[0]! : Infinity;
  }

  push(timeNs: number, kind: number, a: number, b: number, c: number): void {
    if (!(timeNs >= this.nowNs) || timeNs === Infinity) {
      throw new RangeError(`EventQueue timeNs: ${timeNs} is before now (${this.nowNs}) or not finite (kind ${kind})`);
    }
    if (this.count === this.time.length) this.grow();
    // Sift up with a hole: move parents down until the new key fits.
    let i = this.count++;
    const s = this.nextSeq++;
    const time = this.time;
    const seq = this.seq;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pt = time[p]!;
      if (pt < timeNs || (pt === timeNs && seq[p]! < s)) break;
      this.move(p, i);
      i = p;
    }
    time[i] = timeNs;
    seq[i] = s;
    this.kinds[i] = kind;
    this.argA[i] = a;
    this.argB[i] = b;
    this.argC[i] = c;
  }

  /** Removes the earliest event into nowNs/kind/a/b/c; false when the queue is empty. */
  pop(): boolean {
    if (this.count === 0) return false;
    this.nowNs = this.time[0]!;
    this.kind = this.kinds[0]!;
    this.a = this.argA[0]!;
    this.b = this.argB[0]!;
    this.c = this.argC[0]!;
    this.popped++;
    const last = --this.count;
    if (last > 0) {
      const t = this.time[last]!;
      const s = this.seq[last]!;
      const k = this.kinds[last]!;
      const a = this.argA[last]!;
      const b = this.argB[last]!;
      const c = this.argC[last]!;
      const time = this.time;
      const seq = this.seq;
      let i = 0;
      for (;;) {
        let child = 2 * i + 1;
        if (child >= last) break;
        const r = child + 1;
        if (r < last && (time[r]! < time[child]! || (time[r] === time[child] && seq[r]! < seq[child]!))) child = r;
        const ct = time[child]!;
        if (t < ct || (t === ct && s < seq[child]!)) break;
        this.move(child, i);
        i = child;
      }
      time[i] = t;
      seq[i] = s;
      this.kinds[i] = k;
      this.argA[i] = a;
      this.argB[i] = b;
      this.argC[i] = c;
    }
    return true;
  }

  /** Drops every pending event (the clock stays where it is). */
  clear(): void {
    this.count = 0;
  }

  private move(from: number, to: number): void {
    this.time[to] = this.time[from]!;
    this.seq[to] = this.seq[from]!;
    this.kinds[to] = this.kinds[from]!;
    this.argA[to] = this.argA[from]!;
    this.argB[to] = this.argB[from]!;
    this.argC[to] = this.argC[from]!;
  }

  private grow(): void {
    const n = this.time.length * 2;
    const t = new Float64Array(n);
    t.set(this.time);
    this.time = t;
    const s = new Float64Array(n);
    s.set(this.seq);
    this.seq = s;
    const k = new Uint16Array(n);
    k.set(this.kinds);
    this.kinds = k;
    const a = new Float64Array(n);
    a.set(this.argA);
    this.argA = a;
    const b = new Float64Array(n);
    b.set(this.argB);
    this.argB = b;
    const c = new Float64Array(n);
    c.set(this.argC);
    this.argC = c;
  }
}
