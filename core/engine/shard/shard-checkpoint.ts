// What it takes to restart a VM shard from its last Sync answer, besides its shared rows (the
// undo journal puts those back, undo-journal.ts): the thread-local state that dies with its
// worker. The shard sends it to the main thread as part of every Sync answer (Checkpoint records
// before its Next), and the main thread keeps the last complete one per shard (CheckpointStore):
// a checkpoint counts only once its Next has been read, so a shard dying mid-answer leaves the
// previous one in force.
//
// Sent in full every Sync (small): the time of the shard's last record, its feedback flag and its
// pending-notice table. Sent as increments (so a Sync costs what the window did, not what is
// pending): the counters that changed, the latencies recorded since the last answer, and each event queue
// as a push log: every event pushed, in push order, plus where popping has got to. The queue
// pops in (time, push order) and never pushes before its clock, so the events still pending are
// exactly the pushes after the last pop's key: those later than the last pop's time, and of
// those at that time all but the first `poppedAtT`. The shard compacts its log to the pending
// events when the popped ones make up most of it, and then sends the whole (compacted) log.
//
// Replicated state (every shard's copy of each VM's attachment, vGUIDs, Set time and each
// host's VF occupancy) is not in the checkpoint: it follows from the Attach/Detach/SetSent
// records the main thread sent (ReplicatedLog), which the rebuilt shard applies up to the Sync
// it resumes from before the replayed records.
import { EventQueue } from '../event-queue.js';
import type { LatencyRecorder } from '../../metrics/latency-recorder.js';

/** Words of one pushed event in a push log: time, kind, a, b, c. */
const EVENT_WORDS = 5;

function grown(a: Float64Array<ArrayBuffer>, need: number): Float64Array<ArrayBuffer> {
  if (need <= a.length) return a;
  const b = new Float64Array(Math.max(need, a.length * 2));
  b.set(a);
  return b;
}

/** A growable list of Float64 words (the main thread's logs, the dormant detection times of a Sync answer). */
export class WordLog {
  w: Float64Array<ArrayBuffer> = new Float64Array(256);
  n = 0;

  push(x: number): void {
    if (this.n === this.w.length) this.w = grown(this.w, this.n + 1);
    this.w[this.n++] = x;
  }

  append(src: Float64Array, from: number, to: number): void {
    const k = to - from;
    this.w = grown(this.w, this.n + k);
    this.w.set(src.subarray(from, to), this.n);
    this.n += k;
  }

  /** A copy of words [0, n) (what a rebuilt shard's task carries). */
  copy(n = this.n): Float64Array {
    return this.w.slice(0, n);
  }
}

/**
 * Shard side: the push log of one event queue (the scheduler its VMs push to goes through
 * push(), and the shard reports every pop with popped()).
 */
export class PushLog {
  private w = new Float64Array(EVENT_WORDS * 256);
  private n = 0;
  /** Entries already sent to the main thread. */
  private sent = 0;
  /** Time of the last pop, and how many pops there were at that time. */
  private lastT = -Infinity;
  private poppedAtT = 0;

  /** `enabled` false: checkpoints are off, push() only pushes. */
  constructor(
    readonly queue: EventQueue,
    private readonly enabled: boolean,
  ) {}

  /** The queue's clock (PushLog is the Scheduler the shard's VMs see). */
  get nowNs(): number {
    return this.queue.nowNs;
  }

  /** Pushes onto the queue and into the log. */
  push(timeNs: number, kind: number, a: number, b: number, c: number): void {
    this.queue.push(timeNs, kind, a, b, c);
    if (!this.enabled) return;
    if ((this.n + 1) * EVENT_WORDS > this.w.length) this.w = grown(this.w, (this.n + 1) * EVENT_WORDS);
    const at = this.n++ * EVENT_WORDS;
    const w = this.w;
    w[at] = timeNs;
    w[at + 1] = kind;
    w[at + 2] = a;
    w[at + 3] = b;
    w[at + 4] = c;
  }

  /** The queue has just popped an event (at queue.nowNs). */
  popped(): void {
    const t = this.queue.nowNs;
    if (t === this.lastT) this.poppedAtT++;
    else {
      this.lastT = t;
      this.poppedAtT = 1;
    }
  }

  /**
   * Appends this queue's part of a checkpoint to `out`: popped, clock, last pop time, pops at it,
   * whether the log restarts (1) or continues (0), the entries, then their words.
   */
  writeTo(out: WordLog): void {
    let replace = 0;
    // Popped entries dominate: keep only the pending ones (amortised: the log at most doubles).
    if (this.n > 2 * this.queue.size + 256) {
      this.compact();
      replace = 1;
    }
    const q = this.queue;
    out.push(q.popped);
    out.push(q.nowNs);
    out.push(this.lastT);
    out.push(this.poppedAtT);
    out.push(replace);
    out.push(this.n - this.sent);
    out.append(this.w, this.sent * EVENT_WORDS, this.n * EVENT_WORDS);
    this.sent = this.n;
  }

  private compact(): void {
    const w = this.w;
    let k = 0;
    let skip = this.poppedAtT;
    for (let i = 0; i < this.n; i++) {
      const t = w[i * EVENT_WORDS]!;
      if (t < this.lastT) continue;
      if (t === this.lastT && skip > 0) {
        skip--;
        continue;
      }
      if (k !== i) w.copyWithin(k * EVENT_WORDS, i * EVENT_WORDS, (i + 1) * EVENT_WORDS);
      k++;
    }
    this.n = k;
    this.sent = 0;
    this.poppedAtT = 0;
  }

  /**
   * A rebuilt shard: the queue and this log as the main thread kept them (QueueMirror): the
   * pending events are pushed again in push order (so ties pop in the same order), the clock and
   * the popped count set back.
   */
  restore(m: QueueMirrorState): void {
    const q = this.queue;
    const w = m.log;
    this.n = w.length / EVENT_WORDS;
    this.w = grown(new Float64Array(EVENT_WORDS * 256), w.length);
    this.w.set(w);
    this.sent = this.n;
    this.lastT = m.lastT;
    this.poppedAtT = m.poppedAtT;
    let skip = m.poppedAtT;
    for (let i = 0; i < this.n; i++) {
      const at = i * EVENT_WORDS;
      const t = w[at]!;
      if (t < m.lastT) continue;
      if (t === m.lastT && skip > 0) {
        skip--;
        continue;
      }
      q.push(t, w[at + 1]!, w[at + 2]!, w[at + 3]!, w[at + 4]!);
    }
    q.nowNs = m.nowNs;
    q.popped = m.popped;
  }
}

/** An event queue as of a checkpoint (what the main thread keeps and a rebuilt shard restores). */
export interface QueueMirrorState {
  readonly popped: number;
  readonly nowNs: number;
  readonly lastT: number;
  readonly poppedAtT: number;
  /** The push log, EVENT_WORDS words per event. */
  readonly log: Float64Array;
}

/** Main side: one queue's push log as of the shard's last Sync answer. */
class QueueMirror {
  popped = 0;
  nowNs = 0;
  lastT = -Infinity;
  poppedAtT = 0;
  readonly log = new WordLog();

  /** Applies a queue part of a checkpoint at words[at..]; returns the index after it. */
  apply(words: Float64Array, at: number): number {
    this.popped = words[at]!;
    this.nowNs = words[at + 1]!;
    this.lastT = words[at + 2]!;
    this.poppedAtT = words[at + 3]!;
    if (words[at + 4] === 1) this.log.n = 0;
    const m = words[at + 5]!;
    at += 6;
    this.log.append(words, at, at + m * EVENT_WORDS);
    return at + m * EVENT_WORDS;
  }

  state(): QueueMirrorState {
    return { popped: this.popped, nowNs: this.nowNs, lastT: this.lastT, poppedAtT: this.poppedAtT, log: this.log.copy() };
  }
}

/** Shard side: latencies kept as plain numbers, those since the last Sync answer sent with it. */
export class SyncedLatencies implements LatencyRecorder {
  private data = new Float64Array(64);
  private n = 0;
  private sent = 0;

  /** A rebuilt shard starts with what its predecessor had sent (all of it is in its histogram at the end). */
  constructor(before?: Float64Array) {
    if (before !== undefined) {
      this.data = grown(this.data, before.length);
      this.data.set(before);
      this.n = this.sent = before.length;
    }
  }

  record(valueNs: number): void {
    if (this.n === this.data.length) this.data = grown(this.data, this.n + 1);
    this.data[this.n++] = valueNs;
  }

  get count(): number {
    return this.n;
  }

  values(): Float64Array {
    return this.data.subarray(0, this.n);
  }

  /** Appends the count and the values recorded since the last call. */
  writeTo(out: WordLog): void {
    out.push(this.n - this.sent);
    out.append(this.data, this.sent, this.n);
    this.sent = this.n;
  }
}

/**
 * Shard side: appends the counters that changed since the last call, as [k, (index, value) x k]
 * (a Sync changes a few of the hundred).
 */
export class CounterDiff {
  private readonly sent: Float64Array;

  /** `from`: what the main thread already has (a rebuilt shard: the restored counters). */
  constructor(from: Float64Array) {
    this.sent = from.slice();
  }

  writeTo(c: Float64Array, out: WordLog): void {
    const sent = this.sent;
    const at = out.n;
    out.push(0);
    let k = 0;
    for (let i = 0; i < c.length; i++) {
      if (c[i] === sent[i]) continue;
      sent[i] = c[i]!;
      out.push(i);
      out.push(c[i]!);
      k++;
    }
    out.w[at] = k;
  }
}

/** What a rebuilt shard starts from (besides the rolled-back shared rows). */
export interface ShardRestore {
  /** Syncs the shard had answered: the rebuilt shard resumes after the last of them. */
  readonly answered: number;
  /** Its counters then. */
  readonly counters: Float64Array;
  /** The full part of the last checkpoint (VmShard's scalars and notice table). */
  readonly state: Float64Array;
  readonly queue: QueueMirrorState;
  readonly applyQueue: QueueMirrorState;
  readonly latencies: Float64Array;
  /** ReplicatedLog records up to the Sync it resumes from. */
  readonly replicated: Float64Array;
}

/**
 * Main side, per shard: the last complete checkpoint. The parts of an answer are staged as they
 * are read and applied when its Next is read; a shard that dies mid-answer discards them.
 */
export class CheckpointStore {
  /** Syncs the shard has answered (Nexts read). */
  answered = 0;
  private counters = new Float64Array(0);
  private state = new Float64Array(0);
  private stateLen = -1;
  private readonly queue = new QueueMirror();
  private readonly applyQueue = new QueueMirror();
  private readonly latencies = new WordLog();
  private readonly staged = new WordLog();

  /** A Checkpoint record's words. */
  stage(words: Float64Array, from: number, to: number): void {
    this.staged.append(words, from, to);
  }

  /** The staging area, with room for `k` more words at staged.w[staged.n...] (a Checkpoint record is read straight in). */
  stageRoom(k: number): WordLog {
    const s = this.staged;
    s.w = grown(s.w, s.n + k);
    return s;
  }

  /** A mid-answer death: the staged parts are dropped. */
  discard(): void {
    this.staged.n = 0;
  }

  /** The Next is read: the staged checkpoint becomes the shard's last one (none staged: checkpoints are off). */
  commit(): void {
    this.answered++;
    const s = this.staged;
    if (s.n === 0) return;
    const w = s.w;
    let at = 0;
    const k = w[at++]!;
    for (let i = 0; i < k; i++, at += 2) {
      const idx = w[at]!;
      if (idx >= this.counters.length) {
        const c = new Float64Array(Math.max(idx + 1, 128));
        c.set(this.counters);
        this.counters = c;
      }
      this.counters[idx] = w[at + 1]!;
    }
    const len = w[at++]!;
    if (len > this.state.length) this.state = new Float64Array(Math.max(len, 2 * this.state.length));
    this.state.set(w.subarray(at, at + len));
    this.stateLen = len;
    at += len;
    at = this.queue.apply(w, at);
    at = this.applyQueue.apply(w, at);
    const lats = w[at++]!;
    this.latencies.append(w, at, at + lats);
    at += lats;
    if (at !== s.n) throw new RangeError(`shard checkpoint: ${s.n} words staged, ${at} parsed`);
    s.n = 0;
  }

  /** Has a checkpoint been taken (or is the shard still at its start, Sync 0)? */
  get usable(): boolean {
    return this.answered === 0 || this.stateLen >= 0;
  }

  restore(replicated: Float64Array): ShardRestore {
    return {
      answered: this.answered,
      counters: this.counters.slice(),
      state: this.state.slice(0, Math.max(0, this.stateLen)),
      queue: this.queue.state(),
      applyQueue: this.applyQueue.state(),
      latencies: this.latencies.copy(),
      replicated,
    };
  }
}

/** Words of a ReplicatedLog record: type, time, vm, vGUID high, low, host, slot. */
export const REPLICATED_WORDS = 7;

/** Records kept of a main thread's log of Attach/Detach/SetSent (every shard's replicated state). */
export class ReplicatedLog {
  readonly log = new WordLog();
  /** Log length when each Sync was sent (index: Sync number, 1 = the first; [0] = 0). */
  private readonly atSync: number[] = [0];

  add(type: number, t: number, vm: number, high: number, low: number, host: number, slot: number): void {
    const l = this.log;
    l.push(type);
    l.push(t);
    l.push(vm);
    l.push(high);
    l.push(low);
    l.push(host);
    l.push(slot);
  }

  /** A Sync goes to every shard. */
  syncSent(): void {
    this.atSync.push(this.log.n);
  }

  /** The records up to Sync `sync` (0: none). */
  upTo(sync: number): Float64Array {
    const n = this.atSync[sync];
    if (n === undefined) throw new RangeError(`replicated log: Sync ${sync} was never sent (${this.atSync.length - 1} were)`);
    return this.log.copy(n);
  }
}

/**
 * Main side, per shard: every record sent since the shard's last Sync answer (the ring may
 * already have reused their words), each as [words, its words...], to replay into a rebuilt shard.
 */
export class ReplayLog extends WordLog {
  records = 0;

  /** Appends one record: ring words [from, to) of a ring of `capacity` words (it may wrap). */
  record(ring: Float64Array, from: number, to: number): void {
    const k = to >= from ? to - from : ring.length - from + to;
    if (this.n + 1 + k > this.w.length) this.w = grown(this.w, this.n + 1 + k);
    const w = this.w;
    let n = this.n;
    w[n++] = k;
    // A word loop, not set(subarray): records are a few words, and a view per record is garbage.
    const cap = ring.length;
    for (let i = 0, p = from; i < k; i++) {
      w[n++] = ring[p]!;
      if (++p === cap) p = 0;
    }
    this.n = n;
    this.records++;
  }

  clear(): void {
    this.n = 0;
    this.records = 0;
  }
}
