// A single-producer single-consumer ring of Float64 words in a SharedArrayBuffer: how the main
// thread hands a VM shard its work (notice fan-outs, VM life-cycle messages) in batches. The
// writer fills words privately and publishes whole records at once (publish(): one Atomics
// store and one notify per batch, never per record); the reader wakes on Atomics.wait, reads
// everything published, and frees the space in one store. A full ring makes the writer wait
// for the reader (back-pressure), an empty one the reader for the writer.
//
// Header (Int32Array over the first 32 bytes): [0] published write position, [1] read position
// (both word indexes in 0..capacity-1; one word stays free so full != empty), [2] reader
// state (0 not yet, 1 running, 2 stopped, 3 its thread died), [3] the writer waits for room (the
// reader then notifies), [4] the reader is idle, waiting for data (a hint for the writer:
// publishWhenDue publishes a smaller batch then, so the reader is never far behind when the
// writer must wait for it).
//
// Replay: a writer given a ReplayLog (replayTo) also copies every finished record there, so that
// the records a dead reader may have missed can be written again to its successor (sharded-run.ts).
import type { ReplayLog } from './shard-checkpoint.js';

const H_WRITE = 0;
const H_READ = 1;
const H_STARTED = 2;
const H_WRITER_WAITS = 3;
const H_READER_IDLE = 4;
const HEADER_WORDS = 5;
const HEADER_BYTES = 32;

/**
 * Finished words after which publishWhenDue publishes to an idle reader: ~225 per-host fan-outs.
 * Smaller batches would wake the reader (a futex wake on this thread, a context switch on its)
 * for little work each time.
 */
export const EAGER_PUBLISH_WORDS = 2048;

/** Atomics.waitAsync (Node 16+, ES2024; the project's lib is ES2022). */
interface AtomicsWaitAsync {
  waitAsync(a: Int32Array, index: number, value: number, timeoutMs: number): { async: false; value: string } | { async: true; value: Promise<string> };
}

export interface RecordRingShared {
  readonly buffer: SharedArrayBuffer;
}

export class RecordRing {
  readonly capacity: number;
  private readonly header: Int32Array;
  private readonly words: Float64Array;
  /** Writer: next word to write (published or not). Reader: next word to read. */
  private pos = 0;
  /** Writer: start of the record being written (publish stops before it). */
  private recordStart = 0;
  /** Reader: end of what was published when last looked. */
  private limit = 0;
  /** Writer: where finished records are copied too (records since the reader's last Sync answer). */
  private replay: ReplayLog | undefined;
  /** Writer: the write position last published (what the reader may see). */
  private published = 0;
  /**
   * Writer: the reader's position as last loaded. Room is checked against it first and the
   * shared header (which the reader writes after every record) is loaded only when that says
   * the ring is short of room: a load of that cache line per record was the writer's costliest
   * word. A stopped or dead reader is then noticed when the ring is short of room, at a Sync
   * or at the end (sharded-run.ts waits on the return ring there), as the protocol says.
   */
  private readSeen = 0;
  /** Writer: unpublished words at which publishWhenDue next looks whether the reader is idle. */
  private idleCheckAt = EAGER_PUBLISH_WORDS;

  constructor(capacityWords: number | RecordRingShared) {
    if (typeof capacityWords === 'number') {
      if (!Number.isInteger(capacityWords) || capacityWords < 64 || capacityWords > 2 ** 28) {
        throw new RangeError(`RecordRing capacity: ${capacityWords} is not an integer in 64..2^28 words`);
      }
      const buffer = new SharedArrayBuffer(HEADER_BYTES + capacityWords * 8);
      this.header = new Int32Array(buffer, 0, HEADER_WORDS);
      this.words = new Float64Array(buffer, HEADER_BYTES, capacityWords);
    } else {
      const buffer = capacityWords.buffer;
      this.header = new Int32Array(buffer, 0, HEADER_WORDS);
      this.words = new Float64Array(buffer, HEADER_BYTES, (buffer.byteLength - HEADER_BYTES) / 8);
    }
    this.capacity = this.words.length;
  }

  toShared(): RecordRingShared {
    return { buffer: this.header.buffer as SharedArrayBuffer };
  }

  // ---------------------------------------------------------------- writer side

  /** Starts a record of `words` words (waits for room: publishes what is pending first). */
  begin(words: number): void {
    if (words >= this.capacity) throw new RangeError(`RecordRing record: ${words} words do not fit a ring of ${this.capacity}`);
    this.recordStart = this.pos;
    if (this.capacity - 1 - ((this.pos - this.readSeen + this.capacity) % this.capacity) >= words) return;
    for (;;) {
      if (Atomics.load(this.header, H_STARTED) >= 2) throw new Error('RecordRing: the reader has stopped (its shard ended or failed) while records were still being written');
      const read = Atomics.load(this.header, H_READ);
      this.readSeen = read;
      const used = (this.pos - read + this.capacity) % this.capacity;
      if (this.capacity - 1 - used >= words) return;
      this.publishUpTo(this.recordStart);
      Atomics.store(this.header, H_WRITER_WAITS, 1);
      // Re-read after raising the flag: the reader may have freed room in between.
      if (Atomics.load(this.header, H_READ) !== read) continue;
      Atomics.wait(this.header, H_READ, read, 50);
    }
  }

  /** Appends one word of the current record. */
  put(value: number): void {
    this.words[this.pos] = value;
    if (++this.pos === this.capacity) this.pos = 0;
  }

  /** Ends the current record (it is published with the next publish()). */
  end(): void {
    if (this.replay !== undefined) this.replay.record(this.words, this.recordStart, this.pos);
    this.recordStart = this.pos;
  }

  /** Writer: copy every record finished from now on to `log` too (undefined: stop). */
  replayTo(log: ReplayLog | undefined): void {
    this.replay = log;
  }

  /** Makes every finished record visible to the reader and wakes it. */
  publish(): void {
    this.publishUpTo(this.recordStart);
  }

  /** Writer: words of finished records not yet published. */
  get unpublishedWords(): number {
    return (this.recordStart - this.published + this.capacity) % this.capacity;
  }

  /**
   * Writer, between records: publishes once `batchWords` are finished, or already after
   * EAGER_PUBLISH_WORDS if the reader is idle (it has read everything and waits). A busy reader
   * gets large batches (few wake-ups); an idle one stays within a small batch of the writer, so
   * when the writer next has to wait for it (a Sync answer), it has little left to read. The
   * shared flag is loaded at most once per EAGER_PUBLISH_WORDS written.
   */
  publishWhenDue(batchWords: number): void {
    const u = this.unpublishedWords;
    if (u >= batchWords) this.publish();
    else if (u >= this.idleCheckAt) {
      if (this.readerIdle) this.publish();
      else this.idleCheckAt = u + EAGER_PUBLISH_WORDS;
    }
  }

  /** Is the reader waiting for data (it has read everything published)? */
  get readerIdle(): boolean {
    return Atomics.load(this.header, H_READER_IDLE) === 1;
  }

  private publishUpTo(p: number): void {
    if (this.published === p) return;
    this.published = p;
    this.idleCheckAt = EAGER_PUBLISH_WORDS;
    Atomics.store(this.header, H_WRITE, p);
    Atomics.notify(this.header, H_WRITE);
  }

  /** Has the reader said it runs? (The writer must not block before it does.) */
  get readerStarted(): boolean {
    return Atomics.load(this.header, H_STARTED) === 1;
  }

  /** Resolves once the reader has started (without blocking this thread's event loop). */
  async waitReaderStarted(): Promise<void> {
    while (Atomics.load(this.header, H_STARTED) === 0) {
      const r = (Atomics as unknown as AtomicsWaitAsync).waitAsync(this.header, H_STARTED, 0, 1000);
      if (r.async) await r.value;
    }
  }

  /**
   * Blocks this thread until the reader has started, stopped or died, at most `timeoutMs`; false
   * on time-out. (For a reader on a plain Worker, which starts without this thread's event loop.)
   */
  waitReaderStartedSync(timeoutMs: number): boolean {
    const deadline = performance.now() + timeoutMs;
    while (Atomics.load(this.header, H_STARTED) === 0) {
      const left = deadline - performance.now();
      if (left <= 0) return false;
      Atomics.wait(this.header, H_STARTED, 0, Math.min(left, 50));
    }
    return true;
  }

  // ---------------------------------------------------------------- reader side

  /** Reader: announce that it runs. */
  markStarted(): void {
    Atomics.store(this.header, H_STARTED, 1);
    Atomics.notify(this.header, H_STARTED);
  }

  /**
   * The shard's side stops (returned or failed): on a ring it reads, a writer still waiting for
   * room fails instead of hanging; on a ring it writes, a reader waiting for data does.
   */
  markStopped(): void {
    Atomics.store(this.header, H_STARTED, 2);
    Atomics.notify(this.header, H_STARTED);
    Atomics.notify(this.header, H_READ);
  }

  /**
   * The shard's thread is dying (its 'exit' hook: process.exit, an uncaught error): like
   * markStopped, but the main thread can tell a dead worker (worth a restart) from a shard
   * that returned or threw (deterministic: a restart would fail the same way).
   */
  markDied(): void {
    Atomics.store(this.header, H_STARTED, 3);
    Atomics.notify(this.header, H_STARTED);
    Atomics.notify(this.header, H_READ);
    Atomics.notify(this.header, H_WRITE);
  }

  /** Has the other side stopped (returned, failed or died)? */
  get stopped(): boolean {
    return Atomics.load(this.header, H_STARTED) >= 2;
  }

  /** Did the other side's thread die (markDied)? */
  get died(): boolean {
    return Atomics.load(this.header, H_STARTED) === 3;
  }

  /** Reader: blocks until a published word is available (throws if the writer stopped first). */
  waitForData(): void {
    while (this.pos === this.limit) {
      const w = Atomics.load(this.header, H_WRITE);
      if (w !== this.pos) {
        this.limit = w;
        return;
      }
      if (Atomics.load(this.header, H_STARTED) >= 2) throw new Error('RecordRing: the writer has stopped (its shard ended or failed) before writing what was waited for');
      // Idle while waiting (publishWhenDue then publishes sooner). A publish between the load
      // above and the wait makes the wait return at once: no wake-up is lost.
      Atomics.store(this.header, H_READER_IDLE, 1);
      Atomics.wait(this.header, H_WRITE, w, 50);
      Atomics.store(this.header, H_READER_IDLE, 0);
    }
  }

  /** Reader: a record is read; its words may be reused (wakes a writer waiting for room). */
  doneRecord(): void {
    Atomics.store(this.header, H_READ, this.pos);
    if (Atomics.load(this.header, H_WRITER_WAITS) === 1) {
      Atomics.store(this.header, H_WRITER_WAITS, 0);
      Atomics.notify(this.header, H_READ);
    }
  }

  /** Reader: the next word (call waitForData() before the first word of each record). */
  take(): number {
    const v = this.words[this.pos]!;
    if (++this.pos === this.capacity) this.pos = 0;
    return v;
  }
}
