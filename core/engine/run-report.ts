// The figures one scheme's run reports (DESIGN.md "Metrics"): the SM's MADs sent and received by
// kind (the MMO), fabric MADs, Dom0 forwards, VM cache checks and updates, SA queries, stale
// entries, reconnection latency, and the engine's own wall time, event rate and memory. One
// shape for `repath run --json`, `--out` and the library's metrics(), built from the counters
// (summed across workers) and the HDR histogram (merged across workers).
import { Counter, COUNTER_NAMES, Counters, type CounterName } from '../metrics/counters.js';
import type { LatencySummary } from '../metrics/latency-histogram.js';

export interface SmMadsByKind {
  report: number;
  reportResp: number;
  informInfo: number;
  pathRecord: number;
  guidInfoRecord: number;
  trap: number;
  other: number;
}

export interface LatencyFigures {
  /** Microseconds of virtual time. */
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  count: number;
}

export interface EngineFigures {
  /** Wall-clock time of the whole scheme run (build, setup, migrations), ms. */
  wallTimeMs: number;
  /** Wall-clock time of the migration phase alone (first migration to quiescence), ms. */
  phaseWallMs: number;
  /** Events handled in the migration phase. */
  events: number;
  /** Events of the migration phase per wall-clock second of that phase. */
  eventsPerSecond: number;
  /** Virtual time of the migration phase (first migration to quiescence), ns. */
  virtualTimeNs: number;
  /** Peak resident set size of the process (bytes) when the scheme finished. */
  peakRssBytes: number;
  /** Most MAD buffers in flight at once. */
  peakMadBuffers: number;
  /** VM shard workers the run used (0: this thread, or per-vguid, which runs whole). */
  shards: number;
  /** Why a sharded run was redone on one thread ('' when it was not). */
  shardFallback: string;
  /** Shard workers that died and were rebuilt alone from their last Sync answer. */
  shardRebuilds: number;
  /** Times the whole sharded run was redone because a dead shard could not be rebuilt. */
  shardRestarts: number;
  /** Syncs the main thread sent every shard in the migration phase (0: not sharded). */
  shardSyncs: number;
  /**
   * CPU time of the migration phase, ms: of the thread that ran the SM, fabric and Dom0s (main;
   * null where the kernel does not say) and of each VM shard's thread (in shard order; [] when
   * not sharded). A sharded run whose main figure is close to the phase's wall time is bound by
   * that thread: more shards cannot make it faster (BENCHMARKS.md, engine throughput).
   */
  phaseCpuMs: { main: number | null; shards: (number | null)[] };
}

/** The phase CPU figures of EngineFigures from nanoseconds (NaN: unknown). */
export function phaseCpuMs(mainNs: number | undefined, shardNs: readonly number[] | undefined): EngineFigures['phaseCpuMs'] {
  const ms = (ns: number | undefined): number | null => (ns === undefined || !Number.isFinite(ns) ? null : Math.round(ns / 1e3) / 1e3);
  return { main: ms(mainNs), shards: (shardNs ?? []).map(ms) };
}

export interface SchemeReport {
  scheme: string;
  /** MADs the SM/SA sent, by kind (responses count under the request's kind). */
  smSent: SmMadsByKind & { retries: number; total: number };
  /** MADs the SM/SA received, by kind. */
  smReceived: SmMadsByKind & { total: number };
  fabricMads: number;
  dom0Forwards: number;
  vmCacheChecks: number;
  vmCacheUpdates: number;
  saQueries: number;
  staleEntries: number;
  cacheEntries: number;
  migrations: number;
  /** Peak queue depths at the SM in this phase (issue 7 item 6): SA requests waiting or in service, Reports owed and not yet sent, Reports in flight. */
  smQueuePeaks: { saRequests: number; reports: number; reportsInFlight: number; reportWindowWaits: number };
  reconnectionLatencyUs: LatencyFigures;
  engine: EngineFigures;
  /** Every counter of the migration phase, by name. */
  counters: Record<CounterName, number>;
  /** Every counter of the setup phase (VM creation, subscriptions, path queries). */
  setupCounters: Record<CounterName, number>;
}

/** Builds the report of one scheme from its migration-phase counters and latency summary. */
export function schemeReport(
  scheme: string,
  phase: Counters,
  setup: Counters,
  latency: LatencySummary,
  engine: EngineFigures,
): SchemeReport {
  const c = phase.v;
  const g = (n: CounterName): number => c[Counter[n]]!;
  const smSent = {
    report: g('smSentReport') + g('smSentReportRetry'),
    reportResp: 0,
    informInfo: g('smSentInformInfoResp'),
    pathRecord: g('smSentPathRecordResp'),
    guidInfoRecord: g('smSentGuidInfoRecordResp'),
    trap: g('smSentTrapRepress'),
    other: g('smSentErrorResp'),
    retries: g('smSentReportRetry'),
    total: 0,
  };
  smSent.total = smSent.report + smSent.informInfo + smSent.pathRecord + smSent.guidInfoRecord + smSent.trap + smSent.other;
  const smReceived = {
    report: 0,
    reportResp: g('smRecvReportResp'),
    informInfo: g('smRecvInformInfo'),
    pathRecord: g('smRecvPathRecord'),
    guidInfoRecord: g('smRecvGuidInfoRecord'),
    trap: g('smRecvTrap'),
    other: g('smRecvOther') + g('smDroppedMalformed'),
    total: 0,
  };
  smReceived.total =
    smReceived.reportResp + smReceived.informInfo + smReceived.pathRecord + smReceived.guidInfoRecord + smReceived.trap + smReceived.other;
  return {
    scheme,
    smSent,
    smReceived,
    fabricMads: g('fabricMads'),
    dom0Forwards: g('dom0NoticeForwards'),
    vmCacheChecks: g('vmCacheChecks'),
    vmCacheUpdates: g('vmCacheUpdates'),
    saQueries: g('vmSaQueries'),
    staleEntries: g('staleEntries'),
    cacheEntries: g('cacheEntries'),
    migrations: g('migrations'),
    smQueuePeaks: {
      saRequests: g('smPeakSaQueue'),
      reports: g('smPeakReportQueue'),
      reportsInFlight: g('smPeakReportsInFlight'),
      reportWindowWaits: g('smReportWindowWaits'),
    },
    reconnectionLatencyUs: {
      p50: latency.p50,
      p90: latency.p90,
      p99: latency.p99,
      p999: latency.p999,
      max: latency.max,
      count: latency.count,
    },
    engine,
    counters: phase.toObject(),
    setupCounters: setup.toObject(),
  };
}

/** Counters from a plain Float64Array (as they cross a thread), checked for length. */
export function countersFrom(values: Float64Array | ArrayLike<number>): Counters {
  if (values.length !== COUNTER_NAMES.length) {
    throw new RangeError(`counters length: ${values.length} is not ${COUNTER_NAMES.length}`);
  }
  return new Counters(Float64Array.from(values));
}
