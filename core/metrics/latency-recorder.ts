// Where reconnection latencies go. The signalling core only records values; the "scenario"
// helper's HDR histogram (core/metrics/latency-histogram.ts) implements this for runs, and a
// test can implement it with an array.

export interface LatencyRecorder {
  /** One latency sample in virtual nanoseconds. */
  record(valueNs: number): void;
}

/** A recorder that keeps every sample in a growable Float64Array (tests, small runs). */
export class ArrayLatencyRecorder implements LatencyRecorder {
  private data = new Float64Array(64);
  private n = 0;

  record(valueNs: number): void {
    if (this.n === this.data.length) {
      const d = new Float64Array(this.data.length * 2);
      d.set(this.data);
      this.data = d;
    }
    this.data[this.n++] = valueNs;
  }

  get count(): number {
    return this.n;
  }

  /** The samples recorded so far (a copy, in recording order). */
  values(): Float64Array {
    return this.data.slice(0, this.n);
  }
}
