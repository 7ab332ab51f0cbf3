// The Scheduler the SM, Dom0 and VM logic run on over the native path: the same interface as the
// virtual-time EventQueue, in real time. nowNs is the monotonic clock (ns since the scheduler
// was made); events wait in one EventQueue (a typed-array heap, no object per event) and ONE
// Node timer is armed for the earliest of them, re-armed only when an earlier event arrives.
// Hundreds of pending retry timers (one per outstanding Report or query) cost one setTimeout,
// not hundreds; events due together are handled in one batch.
import { EventQueue, type Scheduler } from '../engine/event-queue.js';

export type EventHandler = (kind: number, a: number, b: number, c: number, nowNs: number) => void;

const NS_PER_MS = 1e6;

export class RealTimeScheduler implements Scheduler {
  private readonly queue = new EventQueue(256);
  private readonly origin = process.hrtime.bigint();
  private timer: NodeJS.Timeout | undefined;
  private timerAtNs = Infinity;
  private stopped = false;
  /** Events handled so far. */
  handled = 0;

  constructor(private readonly handler: EventHandler) {}

  /** Real time now, in ns since the scheduler was made (a double: exact to 2^53 ns, 104 days). */
  get nowNs(): number {
    return Number(process.hrtime.bigint() - this.origin);
  }

  push(timeNs: number, kind: number, a: number, b: number, c: number): void {
    if (this.stopped) return;
    if (!Number.isFinite(timeNs)) throw new RangeError(`RealTimeScheduler timeNs: ${timeNs} is not finite (kind ${kind})`);
    // The heap refuses times before the last event it handed out; real time only moves on, so a
    // time computed from an older clock reading is simply due now.
    this.queue.push(timeNs > this.queue.nowNs ? timeNs : this.queue.nowNs, kind, a, b, c);
    this.arm();
  }

  /** Events waiting. */
  get pending(): number {
    return this.queue.size;
  }

  /** Drops every pending event and the timer (the process may then exit). */
  stop(): void {
    this.stopped = true;
    this.queue.clear();
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAtNs = Infinity;
  }

  private arm(): void {
    const next = this.queue.peekTime();
    if (next >= this.timerAtNs) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timerAtNs = next;
    const delayMs = Math.max(0, (next - this.nowNs) / NS_PER_MS);
    this.timer = setTimeout(() => this.fire(), delayMs);
  }

  private fire(): void {
    this.timer = undefined;
    this.timerAtNs = Infinity;
    const q = this.queue;
    let now = this.nowNs;
    // Everything due (and what the handlers schedule for now) runs in this batch.
    while (!this.stopped && q.popNotAfter(now)) {
      this.handled++;
      this.handler(q.kind, q.a, q.b, q.c, q.nowNs);
      if ((this.handled & 63) === 0) now = this.nowNs;
    }
    if (!this.stopped && q.size > 0) this.arm();
  }
}
