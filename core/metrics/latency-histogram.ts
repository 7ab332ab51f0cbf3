// Reconnection latencies as an HDR histogram (hdr-histogram-js in WebAssembly mode): values
// recorded in virtual nanoseconds, reported in microseconds. Worker shards each fill one and
// send it home as compressed bytes; the main thread merges them. Merging only adds integer
// bucket counts, so any grouping of the same recordings gives the same counts and hence the
// same byte-identical .hgrm text and summary: runs with 1, 2 or 4 workers compare equal.
//
// Fixed shape so that histograms always merge and print alike: 1 ns resolution, 3 significant
// digits, highest trackable value one hour of virtual time (auto-resize stays on as a safety
// net for longer values), 64-bit counts.
import {
  build,
  decodeFromCompressedBase64,
  encodeIntoCompressedBase64,
  initWebAssembly,
  initWebAssemblySync,
  type Histogram,
} from 'hdr-histogram-js';
import type { LatencyRecorder } from './latency-recorder.js';

const NS_PER_US = 1000;
const HIGHEST_TRACKABLE_NS = 3_600_000_000_000;
const SIGNIFICANT_DIGITS = 3;
const BIT_BUCKET_SIZE = 64;
/** Percentile ticks per half distance in .hgrm output (HdrHistogram's customary 5). */
const HGRM_TICKS_PER_HALF = 5;

export interface LatencySummary {
  /** Samples recorded. */
  count: number;
  /** Percentiles, max and mean in microseconds (0 when nothing was recorded). */
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

let wasmReady = false;

let wasmLoading: Promise<void> | undefined;

function ensureWasm(): void {
  if (!wasmReady) {
    // Node compiles the small module synchronously; callers that can await use ready().
    initWebAssemblySync();
    wasmReady = true;
  }
}

export class LatencyHistogram implements LatencyRecorder {
  private histogram: Histogram | null;

  /** Loads the WebAssembly module once per thread; await before the first histogram. */
  static async ready(): Promise<void> {
    if (wasmReady) return;
    // One load shared by concurrent callers: hdr-histogram-js instantiates the module once per
    // pending call and each completion replaces it, so a histogram made in between would be
    // freed by another instance ("Object is not pinned").
    wasmLoading ??= initWebAssembly().then(() => {
      wasmReady = true;
    });
    await wasmLoading;
  }

  constructor() {
    ensureWasm();
    this.histogram = build({
      useWebAssembly: true,
      bitBucketSize: BIT_BUCKET_SIZE,
      lowestDiscernibleValue: 1,
      highestTrackableValue: HIGHEST_TRACKABLE_NS,
      numberOfSignificantValueDigits: SIGNIFICANT_DIGITS,
      autoResize: true,
    });
  }

  /** Records one latency in nanoseconds (rounded to a whole nanosecond). */
  record(valueNs: number): void {
    if (!(valueNs >= 0) || !Number.isFinite(valueNs)) {
      throw new RangeError(`latency valueNs: ${valueNs} is not a finite number of nanoseconds >= 0`);
    }
    this.live().recordValue(Math.round(valueNs));
  }

  /** Records the same latency `count` times. */
  recordWithCount(valueNs: number, count: number): void {
    if (!(valueNs >= 0) || !Number.isFinite(valueNs)) {
      throw new RangeError(`latency valueNs: ${valueNs} is not a finite number of nanoseconds >= 0`);
    }
    if (!Number.isInteger(count) || count < 0) throw new RangeError(`latency count: ${count} is not an integer >= 0`);
    this.live().recordValueWithCount(Math.round(valueNs), count);
  }

  get count(): number {
    return this.live().totalCount;
  }

  /** Adds every recording of `other` to this histogram (`other` is unchanged). */
  merge(other: LatencyHistogram): void {
    this.live().add(other.live());
  }

  /**
   * Percentiles, max and mean in microseconds. Computed from the canonical form (see
   * canonical()), so the max is the highest value equivalent to the top recorded bucket
   * (within 0.1 %) whether or not the counts crossed a thread.
   */
  summary(): LatencySummary {
    const h = this.canonical();
    const count = h.totalCount;
    if (count === 0) return { count: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0, mean: 0 };
    return {
      count,
      p50: h.getValueAtPercentile(50) / NS_PER_US,
      p90: h.getValueAtPercentile(90) / NS_PER_US,
      p99: h.getValueAtPercentile(99) / NS_PER_US,
      p999: h.getValueAtPercentile(99.9) / NS_PER_US,
      max: h.maxValue / NS_PER_US,
      mean: h.mean / NS_PER_US,
    };
  }

  /** HdrHistogram's percentile distribution (.hgrm) with values in microseconds. */
  toHgrm(): string {
    return this.canonical().outputPercentileDistribution(HGRM_TICKS_PER_HALF, NS_PER_US);
  }

  /** Compressed V2 HdrHistogram encoding (deflate), e.g. to send from a worker. */
  encode(): Uint8Array {
    const base64 = encodeIntoCompressedBase64(this.live());
    const buf = Buffer.from(base64, 'base64');
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  static decode(bytes: Uint8Array): LatencyHistogram {
    ensureWasm();
    let decoded: Histogram;
    try {
      decoded = decodeFromCompressedBase64(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64'), BIT_BUCKET_SIZE, true);
    } catch (err) {
      throw new RangeError(`latency histogram bytes: ${bytes.byteLength} bytes are not a compressed HdrHistogram (${(err as Error).message})`);
    }
    // Re-home the counts in a histogram of the standard shape so merge and output match
    // histograms built here, whatever shape the sender used.
    const out = new LatencyHistogram();
    out.live().add(decoded);
    decoded.destroy();
    return out;
  }

  /** Frees the WebAssembly memory; the histogram cannot be used afterwards. */
  destroy(): void {
    if (this.histogram !== null) {
      this.histogram.destroy();
      this.histogram = null;
    }
  }

  /**
   * A plain-JavaScript copy rebuilt from the encoded counts. Two reasons: the WASM build's
   * outputPercentileDistribution drops leading zeros of fractions ("34.047" comes out as
   * "34.470"), while the JS one prints the standard .hgrm; and a histogram that recorded
   * values itself knows its exact max while one decoded from bytes only knows the max's
   * bucket, so both are reduced to the bucket form before anything is reported.
   */
  private canonical(): Histogram {
    return decodeFromCompressedBase64(encodeIntoCompressedBase64(this.live()), BIT_BUCKET_SIZE, false);
  }

  private live(): Histogram {
    if (this.histogram === null) throw new Error('latency histogram: used after destroy()');
    return this.histogram;
  }
}
