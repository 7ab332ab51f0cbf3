// The virtual-time event queue: a binary min-heap kept in typed arrays, keyed by
// (timeNs, sequence), plus a few FIFO lanes for timers. The sequence number is the insertion
// order, so two events at the same virtual time always pop in the order they were pushed: the
// run is deterministic whatever the heap's internal layout. An event is a small integer kind
// plus three numeric arguments (a slab slot, a VM index, ...): no closure and no object per
// event, so a storm of millions of events costs only array slots.
//
// Lanes: a timer armed at a constant delay after a monotone clock (the SM's Report timeouts are
// armed reportRespTimeoutNs after each Report leaves the SM's FIFO transmitter) arrives in time
// order, so it can wait in a ring buffer (O(1) push and pop) instead of the heap. That keeps the
// heap down to what is really in flight (MADs on the wire, the next fan-out turn): with one
// timeout per Report in the heap, a storm of 200 k Reports in flight made every push and pop
// walk ~18 levels of cold cache lines. A kind is given a lane with setLane(); an event of that
// kind goes to the lane when it is not earlier than the lane's last event, and to the heap
// otherwise (a re-drive back-off, say). pop() takes the smallest (time, sequence) among the heap
// top and the lane heads, so the order of events is exactly the heap-only order.

/** What components see of the engine's clock: the current time and a way to schedule. */
export interface Scheduler {
  /** Virtual time of the event being handled (ns). */
  readonly nowNs: number;
  /** Schedules event `kind` with arguments a, b, c at `timeNs` (>= nowNs). */
  push(timeNs: number, kind: number, a: number, b: number, c: number): void;
}

const INITIAL_CAPACITY = 1024;
/** Lanes a queue can have (each a ring buffer). */
export const MAX_LANES = 7;
/** Kinds below this can be given a lane. */
const LANE_KINDS = 256;
const LANE_INITIAL_CAPACITY = 1024;

/** One FIFO lane: a ring buffer of events in (time, sequence) order. */
class Lane {
  time = new Float64Array(LANE_INITIAL_CAPACITY);
  seq = new Float64Array(LANE_INITIAL_CAPACITY);
  kinds = new Uint16Array(LANE_INITIAL_CAPACITY);
  argA = new Float64Array(LANE_INITIAL_CAPACITY);
  argB = new Float64Array(LANE_INITIAL_CAPACITY);
  argC = new Float64Array(LANE_INITIAL_CAPACITY);
  mask = LANE_INITIAL_CAPACITY - 1;
  head = 0;
  size = 0;
  /** Time of the last event appended (the lane accepts nothing earlier). */
  tailTime = -Infinity;

  grow(): void {
    const n = (this.mask + 1) * 2;
    // The ring unrolled into the new arrays' front: its head run, then the part that wrapped.
    const copy = <T extends Float64Array | Uint16Array>(a: T, b: T): T => {
      const first = Math.min(this.size, a.length - this.head);
      b.set(a.subarray(this.head, this.head + first));
      if (first < this.size) b.set(a.subarray(0, this.size - first), first);
      return b;
    };
    this.time = copy(this.time, new Float64Array(n));
    this.seq = copy(this.seq, new Float64Array(n));
    this.kinds = copy(this.kinds, new Uint16Array(n));
    this.argA = copy(this.argA, new Float64Array(n));
    this.argB = copy(this.argB, new Float64Array(n));
    this.argC = copy(this.argC, new Float64Array(n));
    this.mask = n - 1;
    this.head = 0;
  }
}

export class EventQueue implements Scheduler {
  private time: Float64Array;
  private seq: Float64Array;
  private kinds: Uint16Array;
  private argA: Float64Array;
  private argB: Float64Array;
  private argC: Float64Array;
  private count = 0;
  private nextSeq = 0;
  /** Lane index + 1 of each kind (0: the heap). */
  private readonly laneOfKind = new Uint8Array(LANE_KINDS);
  private readonly lanes: Lane[] = [];
  /** Events waiting in lanes. */
  private laneEvents = 0;
  /** Events ever popped: the engine's "events handled" figure. */
  popped = 0;

  /** Set by pop(): the current event. */
  nowNs = 0;
  /** Push number of the current event (0 for the first event ever pushed): ties an event to the one that queued it (bench/critical-path.ts). */
  seqNow = 0;
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

  /** Events ever pushed: the push number the next event gets. */
  get pushed(): number {
    return this.nextSeq;
  }

  get size(): number {
    return this.count + this.laneEvents;
  }

  /**
   * Gives events of `kind` a FIFO lane of their own (see the header): for timers pushed in time
   * order. Kinds that share a lane should be armed in time order together. Returns the lane.
   */
  setLane(kind: number, lane: number): number {
    if (!Number.isInteger(kind) || kind < 0 || kind >= LANE_KINDS) throw new RangeError(`EventQueue setLane kind: ${kind} is not in 0..${LANE_KINDS - 1}`);
    if (!Number.isInteger(lane) || lane < 0 || lane >= MAX_LANES) throw new RangeError(`EventQueue setLane lane: ${lane} is not in 0..${MAX_LANES - 1}`);
    while (this.lanes.length <= lane) this.lanes.push(new Lane());
    this.laneOfKind[kind] = lane + 1;
    return lane;
  }

  /** Time of the earliest pending event, or Infinity when empty. */
  peekTime(): number {
    let t = this.count > 0 ? this.time[0]! : Infinity;
    if (this.laneEvents > 0) {
      const lanes = this.lanes;
      for (let i = 0; i < lanes.length; i++) {
        const l = lanes[i]!;
        if (l.size > 0 && l.time[l.head]! < t) t = l.time[l.head]!;
      }
    }
    return t;
  }

  push(timeNs: number, kind: number, a: number, b: number, c: number): void {
    if (!(timeNs >= this.nowNs) || timeNs === Infinity) {
      throw new RangeError(`EventQueue timeNs: ${timeNs} is before now (${this.nowNs}) or not finite (kind ${kind})`);
    }
    const s = this.nextSeq++;
    if (kind < LANE_KINDS) {
      const ln = this.laneOfKind[kind]!;
      if (ln !== 0) {
        const l = this.lanes[ln - 1]!;
        if (timeNs >= l.tailTime) {
          if (l.size > l.mask) l.grow();
          const i = (l.head + l.size) & l.mask;
          l.time[i] = timeNs;
          l.seq[i] = s;
          l.kinds[i] = kind;
          l.argA[i] = a;
          l.argB[i] = b;
          l.argC[i] = c;
          l.size++;
          l.tailTime = timeNs;
          this.laneEvents++;
          return;
        }
      }
    }
    this.pushHeap(timeNs, s, kind, a, b, c);
  }

  private pushHeap(timeNs: number, s: number, kind: number, a: number, b: number, c: number): void {
    if (this.count === this.time.length) this.grow();
    // Sift up with a hole: move parents down until the new key fits.
    let i = this.count++;
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

  /**
   * Removes the earliest event into nowNs/kind/a/b/c if it is not later than limitNs; false when
   * the queue is empty or the earliest event is later. One look at the lanes and the heap top
   * instead of a peekTime() and a pop() each scanning them: the run loop's per-event cost.
   */
  popNotAfter(limitNs: number): boolean {
    if (this.laneEvents === 0) {
      if (this.count === 0 || this.time[0]! > limitNs) return false;
      return this.popHeap();
    }
    const lanes = this.lanes;
    let best: Lane | undefined;
    let bt = Infinity;
    let bs = Infinity;
    for (let i = 0; i < lanes.length; i++) {
      const l = lanes[i]!;
      if (l.size === 0) continue;
      const t = l.time[l.head]!;
      const s = l.seq[l.head]!;
      if (t < bt || (t === bt && s < bs)) {
        best = l;
        bt = t;
        bs = s;
      }
    }
    if (this.count > 0) {
      const ht = this.time[0]!;
      if (ht < bt || (ht === bt && this.seq[0]! < bs)) {
        if (ht > limitNs) return false;
        return this.popHeap();
      }
    }
    if (best === undefined || bt > limitNs) return false;
    const h = best.head;
    this.nowNs = bt;
    this.seqNow = bs;
    this.kind = best.kinds[h]!;
    this.a = best.argA[h]!;
    this.b = best.argB[h]!;
    this.c = best.argC[h]!;
    best.head = (h + 1) & best.mask;
    if (--best.size === 0) best.tailTime = -Infinity;
    this.laneEvents--;
    this.popped++;
    return true;
  }

  /** Removes the earliest event into nowNs/kind/a/b/c; false when the queue is empty. */
  pop(): boolean {
    return this.popNotAfter(Infinity);
  }

  private popHeap(): boolean {
    if (this.count === 0) return false;
    this.nowNs = this.time[0]!;
    this.seqNow = this.seq[0]!;
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

  /**
   * Calls fn with every pending event (heap, then lanes; in no particular order). For a look at
   * what is pending (the sharded engine's Sync answers), not for the hot path.
   */
  forEachPending(fn: (timeNs: number, kind: number, a: number, b: number, c: number) => void): void {
    for (let i = 0; i < this.count; i++) fn(this.time[i]!, this.kinds[i]!, this.argA[i]!, this.argB[i]!, this.argC[i]!);
    for (const l of this.lanes) {
      for (let k = 0; k < l.size; k++) {
        const i = (l.head + k) & l.mask;
        fn(l.time[i]!, l.kinds[i]!, l.argA[i]!, l.argB[i]!, l.argC[i]!);
      }
    }
  }

  /** Drops every pending event (the clock stays where it is). */
  clear(): void {
    this.count = 0;
    for (const l of this.lanes) {
      l.head = 0;
      l.size = 0;
      l.tailTime = -Infinity;
    }
    this.laneEvents = 0;
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
