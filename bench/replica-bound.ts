// How fast could an engine go that replays the whole subnet on every thread? (issue 4 item 8)
//
// The other bounds split one subnet's events between threads, and every split waits somewhere:
// the SM's transmitter turns and its receipts of the ReportResps sit, in time order, between
// the hosts' events. An engine of another kind hands nothing off on the hot path: every thread
// builds the whole subnet from the scenario and runs all of it (the SM, its transmitter's turns,
// the migrations, the SA) except the Reports to other threads' hosts, whose turns it takes and
// skips (SubnetManagerOptions.reportHosts); each thread does the MAD work of its own hosts'
// Reports (the Report and its ReportResp through the fabric, Dom0's receipt and fan-out, the
// VMs' checks) and the counts add up.
//
// What is measured here is an upper bound on such an engine: a real one would also have to run,
// at each skipped Report's arrival time, its VMs' checks (so that every replica's path caches
// change as the one-thread engine's do), and to stop or fall back wherever the replicas could
// part (a Report re-sent, a full window). These replicas skip that, so they are compared with the
// whole subnet only up to the storm's last ReportResp: past it the VMs of other replicas' hosts,
// never told of the migrations, would detect their broken connections and ask the SA again.
//
// replicaBound returns the whole subnet's least wall time to that horizon on one thread, each
// replica's, and their ratio: what that many threads could give at most, before the machine's
// own slowdown when both cores run.
import type { Scenario, SchemeName } from '../core/scenario/scenario.js';
import { defaultCostModel, withOverrides, type CostModel } from '../core/engine/cost-model.js';
import { Counter } from '../core/metrics/counters.js';
import { stormSubnet } from './critical-path.js';

/** Counters that a Report's own work makes: the replicas' must add up to the whole subnet's. */
export const PARTITIONED_COUNTERS = ['smSentReport', 'smRecvReportResp', 'fabricReport', 'fabricReportResp', 'dom0ReportsReceived', 'dom0NoticeForwards', 'vmCacheChecks'] as const;

export interface ReplicaBound {
  readonly replicas: number;
  /** Virtual time measured from the migrations' start: up to the storm's last ReportResp. */
  readonly horizonNs: number;
  /** Least wall time of the whole subnet to the horizon on one thread, ns. */
  readonly wholeNs: number;
  /** Least wall time of each replica to the horizon, ns. */
  readonly replicaNs: readonly number[];
  /** Least wall time of a replica with no host of its own (what every replica repeats), ns. */
  readonly sharedNs: number;
  /** wholeNs over the slowest replica's. */
  readonly speedup: number;
  /** Per counter of PARTITIONED_COUNTERS: the whole subnet's count, and each replica's. */
  readonly counts: Readonly<Record<(typeof PARTITIONED_COUNTERS)[number], { whole: number; replicas: number[] }>>;
  readonly cacheChecks: number;
}

/** Hosts of replica r of n: every n-th host, from host r. */
export function replicaHosts(hosts: number, r: number, n: number): Uint8Array {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`replicaHosts n: ${n} is not a positive integer`);
  if (!Number.isInteger(r) || r < 0 || r >= n) throw new RangeError(`replicaHosts r: ${r} is not in 0..${n - 1}`);
  const mine = new Uint8Array(hosts);
  for (let h = r; h < hosts; h += n) mine[h] = 1;
  return mine;
}

/** Virtual time, from the migrations' start, at which the whole subnet's SM takes its last ReportResp. */
function lastReportRespNs(scenario: Scenario, scheme: SchemeName, cost: CostModel): number {
  const subnet = stormSubnet(scenario, scheme, cost);
  const start = subnet.nowNs;
  const c = subnet.counters.v;
  let seen = c[Counter.smRecvReportResp]!;
  let last = start;
  while (subnet.queue.popNotAfter(Infinity)) {
    subnet.handlePopped();
    if (c[Counter.smRecvReportResp]! !== seen) {
      seen = c[Counter.smRecvReportResp]!;
      last = subnet.nowNs;
    }
  }
  if (seen === 0) throw new RangeError(`replicaBound: the ${scheme} storm sends no Report`);
  return last - start;
}

/** One timed pass to the horizon: its wall ns and the subnet's counters. */
function timedPass(scenario: Scenario, scheme: SchemeName, cost: CostModel, horizonNs: number, reportHosts?: Uint8Array): { ns: number; counters: Float64Array } {
  const subnet = stormSubnet(scenario, scheme, cost, reportHosts);
  const t0 = performance.now();
  subnet.run(subnet.nowNs + horizonNs);
  const ns = (performance.now() - t0) * 1e6;
  return { ns, counters: subnet.counters.v };
}

/**
 * The whole subnet and its `replicas` replicas run to the storm's last ReportResp, each timed
 * `passes` times in alternation (after one untimed pass each); the least time of each is kept.
 * Throws if the replicas' Report counts do not add up to the whole subnet's.
 */
export function replicaBound(scenario: Scenario, scheme: SchemeName, cost: Partial<CostModel> = {}, replicas = 2, passes = 5): ReplicaBound {
  const model = withOverrides(defaultCostModel(), cost);
  const horizonNs = lastReportRespNs(scenario, scheme, model);
  const shares = Array.from({ length: replicas }, (_, r) => replicaHosts(scenario.hosts, r, replicas));
  const none = new Uint8Array(scenario.hosts);
  let wholeNs = Infinity;
  let sharedNs = Infinity;
  const replicaNs = shares.map(() => Infinity);
  let whole: Float64Array = new Float64Array(0);
  const replicaCounters: Float64Array[] = [];
  for (let pass = 0; pass <= passes; pass++) {
    const timed = pass > 0; // the first pass of each warms the JIT up
    const w = timedPass(scenario, scheme, model, horizonNs);
    whole = w.counters;
    if (timed) wholeNs = Math.min(wholeNs, w.ns);
    shares.forEach((mine, r) => {
      const p = timedPass(scenario, scheme, model, horizonNs, mine);
      replicaCounters[r] = p.counters;
      if (timed) replicaNs[r] = Math.min(replicaNs[r]!, p.ns);
    });
    const s = timedPass(scenario, scheme, model, horizonNs, none);
    if (timed) sharedNs = Math.min(sharedNs, s.ns);
  }
  const counts = {} as Record<(typeof PARTITIONED_COUNTERS)[number], { whole: number; replicas: number[] }>;
  for (const name of PARTITIONED_COUNTERS) {
    const i = Counter[name];
    const parts = replicaCounters.map((c) => c[i]!);
    counts[name] = { whole: whole[i]!, replicas: parts };
    const sum = parts.reduce((a, b) => a + b, 0);
    if (sum !== whole[i]) throw new Error(`replicaBound: ${name} of the replicas adds up to ${sum}, the whole subnet's is ${whole[i]}`);
  }
  return {
    replicas,
    horizonNs,
    wholeNs,
    replicaNs,
    sharedNs,
    speedup: wholeNs / Math.max(...replicaNs),
    counts,
    cacheChecks: whole[Counter.vmCacheChecks]!,
  };
}
