// One scheme's run as a task: build the subnet of a scenario under the scheme and cost model,
// set it up, run its migrations to quiescence, and hand back what crosses a thread cheaply:
// counters as a Float64Array, the latency histogram in its compressed HdrHistogram encoding.
// The same function runs on the calling thread (workers: 0) and inside a Piscina worker
// (workers/scheme-worker.ts), so a result never depends on where it was computed.
import type { Scenario, SchemeName } from '../scenario/scenario.js';
import { decodeScenarioFb } from '../scenario/scenario-fb.js';
import { defaultCostModel, withOverrides, type CostModel } from './cost-model.js';
import { EmulatedSubnet } from './single-thread-run.js';
import { LatencyHistogram } from '../metrics/latency-histogram.js';
import { ERF_HEADER_SIZE, IB_MAD_PACKET_SIZE, MadTraceWriter, PCAP_RECORD_HEADER_SIZE } from '../trace/erf-pcap.js';
import { threadCpuNs } from './thread-cpu.js';

/** Bytes one MAD adds to a trace file. */
const TRACE_RECORD_SIZE_BYTES = PCAP_RECORD_HEADER_SIZE + ERF_HEADER_SIZE + IB_MAD_PACKET_SIZE;

export interface SchemeTask {
  /** The scenario, or its flatbuffers encoding (what crosses into a worker). */
  readonly scenario: Scenario | Uint8Array;
  readonly scheme: SchemeName;
  /** Cost-model parameters that differ from the defaults. */
  readonly cost?: Partial<CostModel>;
  readonly setup?: 'mads' | 'direct';
  /** Write the MAD trace of the migration phase here (pcap, ERF InfiniBand records). */
  readonly pcapPath?: string;
  /** Refuse the trace beyond this many bytes. */
  readonly pcapLimitBytes?: number;
  /** false: with workers, run this per-pf/per-pf-interest task whole on one worker instead of sharding its VMs. */
  readonly shard?: boolean;
}

export interface SchemeOutcome {
  readonly scheme: SchemeName;
  /** Migration-phase counters (Counters.v). */
  readonly counters: Float64Array;
  /** Setup-phase counters. */
  readonly setupCounters: Float64Array;
  /** LatencyHistogram.encode() of the reconnection latencies. */
  readonly histogram: Uint8Array;
  readonly events: number;
  readonly virtualTimeNs: number;
  /** Wall time of the whole task and of the migration phase alone, ms. */
  readonly wallTimeMs: number;
  readonly phaseWallMs: number;
  /**
   * CPU time of the thread that ran the SM over the migration phase, ns (NaN where the kernel
   * does not say). With phaseWallMs it tells a run bound by that thread from one that waited.
   */
  readonly phaseCpuNs?: number;
  readonly peakMadBuffers: number;
  /** MADs written to the trace (0 without pcapPath). */
  readonly pcapRecords: number;
  /** VM shards of a sharded run (core/engine/shard); absent or 0 for a one-thread run. */
  readonly shards?: number;
  /** A sharded run redone on one thread: why. */
  readonly shardFallback?: string;
  /** Times a sharded run was restarted from scratch because a shard worker died. */
  readonly shardRestarts?: number;
  /** Syncs sent to every shard (sharded runs). */
  readonly shardSyncs?: number;
  /** CPU ns of the main thread and of each shard's thread over the phase (sharded runs; NaN where unknown). */
  readonly mainCpuNs?: number;
  readonly shardCpuNs?: readonly number[];
  /** Dead shards rebuilt alone from their last Sync answer (core/engine/shard/sharded-run.ts). */
  readonly shardRebuilds?: readonly { readonly shard: number; readonly fromSync: number }[];
}

/** Thrown when a --pcap trace would pass its size limit; the message says what to do. */
export class TraceLimitError extends Error {
  constructor(limitBytes: number, records: number) {
    super(`--pcap: the MAD trace passed the limit of ${limitBytes} bytes after ${records} MADs; trace a smaller run (fewer hosts or migrations)`);
    this.name = 'TraceLimitError';
  }
}

export const DEFAULT_PCAP_LIMIT_BYTES = 256 * 1024 * 1024;

export function runSchemeTask(task: SchemeTask): SchemeOutcome {
  const t0 = performance.now();
  const scenario = task.scenario instanceof Uint8Array ? decodeScenarioFb(task.scenario, 'scenario (worker task)') : task.scenario;
  const cost: CostModel = task.cost === undefined ? defaultCostModel() : withOverrides(defaultCostModel(), task.cost);
  const histogram = new LatencyHistogram();
  const limit = task.pcapLimitBytes ?? DEFAULT_PCAP_LIMIT_BYTES;
  const writer = task.pcapPath === undefined ? undefined : new MadTraceWriter(1024);
  const tap =
    writer === undefined
      ? undefined
      : (mad: Uint8Array, srcLid: number, srcQp: number, dstLid: number, dstQp: number, timeNs: number): void => {
          if (writer.byteLength + TRACE_RECORD_SIZE_BYTES > limit) throw new TraceLimitError(limit, writer.count);
          writer.add(Math.round(timeNs), srcLid, dstLid, srcQp, dstQp, mad);
        };
  const subnet = new EmulatedSubnet(scenario, task.scheme, { cost, latency: histogram, ...(tap === undefined ? {} : { tap }) });
  subnet.setup(task.setup);
  const setup = subnet.counters.snapshot();
  const start = subnet.nowNs;
  const p0 = performance.now();
  const cpu0 = threadCpuNs();
  subnet.scheduleMigrations();
  const events = subnet.run();
  const phaseCpuNs = threadCpuNs() - cpu0;
  const phaseWallMs = performance.now() - p0;
  subnet.countStale();
  const phase = subnet.counters.minus(setup);
  if (writer !== undefined && task.pcapPath !== undefined) writer.writeFile(task.pcapPath);
  // encode() may return a view into Node's shared Buffer pool, which later allocations reuse: copy it.
  const encoded = histogram.encode().slice();
  histogram.destroy();
  return {
    scheme: task.scheme,
    counters: phase.v,
    setupCounters: setup.v,
    histogram: encoded,
    events,
    virtualTimeNs: subnet.nowNs - start,
    wallTimeMs: performance.now() - t0,
    phaseWallMs,
    phaseCpuNs,
    peakMadBuffers: subnet.fabric.slab.peakInUse,
    pcapRecords: writer?.count ?? 0,
  };
}
