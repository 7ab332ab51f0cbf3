// How fast could a conservatively synchronised engine run a migration storm on N cores?
// (issue 4 item 8)
//
// Such an engine runs an event of one thread alongside an event of another only when their
// times differ by less than the lookahead, the least latency of a message between the two.
// Measured on a one-thread run of the storm:
//   - cutSpacing: every MAD across the SM <-> host cut, tapped from the fabric. The hosts'
//     events there are the arrivals of the SM's MADs; the SM's, its departures (whose times are
//     its transmitter's turns) and the arrivals at it. Counted: the host events less than the
//     lookahead from an SM event, the only ones that could run alongside the SM's work, for
//     one lookahead for the whole cut (the least link latency: item 2's contract, and the
//     sharded engine's) and for a lookahead per host (its own latency to the SM). Also the
//     senders' least service times (a MAD leaves the SM its transmitter's service after the
//     event that sends it, a host Dom0's service after), and the Reports whose ReportResp
//     reaches the SM after its next transmitter turn: with those service times added to each
//     host's lookahead, the Report chain pipelines for them.
//   - phaseShares: the fan-out's share of the phase (Dom0's Algorithm 2 with the VMs'
//     Algorithm 3 checks, and the notices applied), past the Dom0 -> VM cut whose lookahead is
//     a VM's least reaction time (milliseconds); the Report chain's (the SM's transmitter
//     turn and Dom0's receipt of the Report, its fan-out excepted); and the SM's own code's.
//   - spinRoundTripNs: the least cost of handing a word to another thread and back.
// With one lookahead the SM's and the Dom0s' events alternate: all but the fan-out (F of the
// one-thread CPU T per Report) is serial. With a lookahead per host, its link latency, the SM's
// receipt of a ReportResp may overlap the next Report's handling at its host, but the chain is
// still serial: a host may handle its Report only once the SM has taken its next turn (which,
// for all the link latency tells, could send it a MAD arriving as early), and the SM receives
// that host's answer before the turn after; one hand-off each way per Report. With the senders'
// least service times added (a MAD leaves the SM a transmitter's service after the event that
// sends it), a host handles its Report while the SM takes its next turn, and where its answer
// reaches the SM after that turn (reportsOverlappingNextTurn) the chain pipelines: only the SM's
// own work is serial. On N cores no engine takes less than max(serial, T / N) per Report
// (parallelBound), stretched by how much the cores slow each other down when all are busy.
import { EmulatedSubnet } from '../core/engine/single-thread-run.js';
import type { Scenario, SchemeName } from '../core/scenario/scenario.js';
import { defaultCostModel, withOverrides, type CostModel } from '../core/engine/cost-model.js';
import { Method } from '../core/mad/constants.js';
import { WordLog } from '../core/engine/shard/shard-checkpoint.js';
import { Session, type Profiler } from 'node:inspector';
import { Worker } from 'node:worker_threads';

export interface CutSpacing {
  /** The least one-way latency of the MADs that crossed the SM <-> host cut (each host's own lookahead is the latency of its MADs), ns. */
  readonly lookaheadNs: number;
  /** MADs that crossed the cut (either way; each is one event of the SM's: its departure or its arrival). */
  readonly cutMads: number;
  /** Reports the SM sent. */
  readonly reports: number;
  /** Least time between two Reports leaving the SM, ns. */
  readonly minReportSpacingNs: number;
  /** Host-side events of the cut: arrivals at a host of a MAD from the SM. */
  readonly hostEvents: number;
  /**
   * Of those, the ones less than the least latency (lookaheadNs) from an event of the SM: with
   * one lookahead for the whole cut, the only ones that could run alongside the SM's work.
   */
  readonly hostEventsWithinLeastLookahead: number;
  /** Of those, the ones less than their own host's latency to the SM from an event of the SM (a lookahead per host). */
  readonly hostEventsWithinHostLookahead: number;
  /** Least time from the event that sent an SM MAD across the cut to its departure (the SM's transmitter's service), ns. */
  readonly smLeadNs: number;
  /** Least time from the event that sent a host's MAD to the SM to its departure (Dom0's service), ns. */
  readonly hostLeadNs: number;
  /**
   * Reports whose ReportResp reaches the SM after the SM's next transmitter turn (the event that
   * sends the next Report): with those leads added to each host's lookahead, the only ones whose
   * host can handle them while the SM takes its next turn (the Report chain pipelined).
   */
  readonly reportsOverlappingNextTurn: number;
}

/** A one-thread subnet of the scenario, set up directly, its migrations scheduled: run() runs the storm. */
function stormSubnet(scenario: Scenario, scheme: SchemeName, cost: Partial<CostModel>): EmulatedSubnet {
  const subnet = new EmulatedSubnet(scenario, scheme, { cost: withOverrides(defaultCostModel(), cost) });
  subnet.setup('direct');
  subnet.scheduleMigrations();
  return subnet;
}

/** Runs the scenario's migrations on one thread and measures the spacing of the events on both sides of the SM <-> host cut. */
export function cutSpacing(scenario: Scenario, scheme: SchemeName, cost: Partial<CostModel> = {}): CutSpacing {
  const subnet = stormSubnet(scenario, scheme, cost);
  const smLid = subnet.lids.smLid;
  const smTimes = new WordLog();
  // Per host-side event: its time and the lookahead between that host and the SM (the latency of their MADs).
  const hostTimes = new WordLog();
  const hostLookahead = new WordLog();
  let lookaheadNs = Infinity;
  let reports = 0;
  let lastReportNs = -Infinity;
  let minReportSpacingNs = Infinity;
  let smLeadNs = Infinity;
  let hostLeadNs = Infinity;
  // Per Report, in the order sent: the time of the turn that sent it and its host's LID; per
  // ReportResp, in the order it arrived at the SM: its arrival and its host's LID.
  const reportTurnNs = new WordLog();
  const reportLid = new WordLog();
  const respArrivalNs = new WordLog();
  const respLid = new WordLog();
  subnet.fabric.setTap((mad, srcLid, _srcQp, dstLid, _dstQp, departNs) => {
    const fromSm = srcLid === smLid;
    if (fromSm === (dstLid === smLid)) return; // not across the cut
    const latencyNs = subnet.fabric.latencyNs(srcLid, dstLid);
    const leadNs = departNs - subnet.nowNs;
    if (latencyNs < lookaheadNs) lookaheadNs = latencyNs;
    if (fromSm) {
      if (leadNs < smLeadNs) smLeadNs = leadNs;
      smTimes.push(departNs);
      hostTimes.push(departNs + latencyNs);
      hostLookahead.push(latencyNs);
      if (mad[3] === Method.Report) {
        reports++;
        if (departNs - lastReportNs < minReportSpacingNs) minReportSpacingNs = departNs - lastReportNs;
        lastReportNs = departNs;
        reportTurnNs.push(subnet.nowNs);
        reportLid.push(dstLid);
      }
    } else {
      if (leadNs < hostLeadNs) hostLeadNs = leadNs;
      smTimes.push(departNs + latencyNs);
      if (mad[3] === Method.ReportResp) {
        respArrivalNs.push(departNs + latencyNs);
        respLid.push(srcLid);
      }
    }
  });
  subnet.run();
  subnet.fabric.setTap(undefined);
  const nSm = smTimes.n;
  const nHost = hostTimes.n;
  const sm = smTimes.w.subarray(0, nSm).sort();
  const host = hostTimes.w;
  const order = Array.from({ length: nHost }, (_, i) => i).sort((a, b) => host[a]! - host[b]!);
  let withinLeast = 0;
  let withinHost = 0;
  let j = 0;
  for (const i of order) {
    const t = host[i]!;
    while (j < nSm && sm[j]! <= t) j++;
    // sm[j - 1] <= t < sm[j]: the nearest SM events on either side.
    const nearest = Math.min(j > 0 ? t - sm[j - 1]! : Infinity, j < nSm ? sm[j]! - t : Infinity);
    if (nearest < lookaheadNs) withinLeast++;
    if (nearest < hostLookahead.w[i]!) withinHost++;
  }
  const reportsOverlappingNextTurn = overlappingNextTurn(reportTurnNs, reportLid, respArrivalNs, respLid);
  return {
    lookaheadNs,
    cutMads: nSm,
    reports,
    minReportSpacingNs,
    hostEvents: nHost,
    hostEventsWithinLeastLookahead: withinLeast,
    hostEventsWithinHostLookahead: withinHost,
    smLeadNs,
    hostLeadNs,
    reportsOverlappingNextTurn,
  };
}

/**
 * Of the Reports (turn times and host LIDs in the order sent), those whose ReportResp (arrival
 * times and host LIDs in the order they reached the SM) arrived after the next Report's turn.
 * A host answers its Reports in the order they came (FIFO per host: its k-th ReportResp answers
 * its k-th Report); a Report without an answer counts as overlapping (nothing waits for it).
 */
export function overlappingNextTurn(reportTurnNs: WordLog, reportLid: WordLog, respArrivalNs: WordLog, respLid: WordLog): number {
  // The ReportResps of each host, in arrival order: a CSR list keyed by LID.
  const start = new Uint32Array(0x10000 + 1);
  for (let i = 0; i < respLid.n; i++) start[respLid.w[i]! + 1]!++;
  for (let l = 0; l < 0x10000; l++) start[l + 1]! += start[l]!;
  const fill = start.slice(0, 0x10000);
  const arrivals = new Float64Array(respLid.n);
  for (let i = 0; i < respLid.n; i++) arrivals[fill[respLid.w[i]!]!++] = respArrivalNs.w[i]!;
  const answered = new Uint32Array(0x10000); // Reports of each host seen so far
  let overlapping = 0;
  for (let k = 0; k < reportLid.n; k++) {
    const lid = reportLid.w[k]!;
    const j = start[lid]! + answered[lid]!++;
    const nextTurnNs = k + 1 < reportTurnNs.n ? reportTurnNs.w[k + 1]! : Infinity;
    if (j >= start[lid + 1]! || arrivals[j]! > nextTurnNs) overlapping++;
  }
  return overlapping;
}

export interface PhaseShares {
  /** CPU samples of the migration phases (idle excluded). */
  readonly samples: number;
  /** Of those, the samples inside the fan-out: Dom0's forward (and what it calls) or a VM's applyForwarded. */
  readonly fanoutSamples: number;
  /** Of those, the samples on the Report chain: the SM's transmitter turns and Dom0's receipt of a MAD, its fan-out excepted. */
  readonly chainSamples: number;
  /** Of those, the samples inside the SM's own code (any function of core/sm/ and what it calls): its transmitter turns and its receipt of MADs. */
  readonly smSamples: number;
  /** fanoutSamples / samples. */
  readonly fanoutShare: number;
  /** chainSamples / samples. */
  readonly chainShare: number;
  /** smSamples / samples. */
  readonly smShare: number;
  /** The chain's part in Dom0's receipt of MADs (the chain less the SM's transmitter turns), / samples. */
  readonly dom0ReceiveShare: number;
}

/** Is a profile node the fan-out's entry: Dom0's forward or the VMs' applyForwarded? */
export function isFanoutEntry(frame: { functionName: string; url: string }): boolean {
  return (frame.functionName === 'forward' && frame.url.endsWith('/dom0/dom0.js')) || (frame.functionName === 'applyForwarded' && frame.url.endsWith('/vm/vm-agents.js'));
}

/** Is a profile node the SM's own code (a function of core/sm/)? */
export function isSmFrame(frame: { url: string }): boolean {
  return frame.url.includes('/core/sm/');
}

/** Is a profile node an entry of the Report chain: the SM's transmitter turn or Dom0's receipt of a MAD? */
export function isChainEntry(frame: { functionName: string; url: string }): boolean {
  return (frame.functionName === 'fanoutTurn' && frame.url.endsWith('/sm/report-sender.js')) || (frame.functionName === 'receive' && frame.url.endsWith('/dom0/dom0.js'));
}

function post<T>(session: Session, method: string, params?: object): Promise<T> {
  return new Promise((resolve, reject) => session.post(method, params ?? {}, (e, r) => (e !== null ? reject(e) : resolve(r as T))));
}

const enum Place {
  Other = 0,
  Chain = 1,
  Fanout = 2,
}

/**
 * Shares of the one-thread migration phase, from V8's sampling CPU profiler over `passes` runs
 * (a fresh subnet each), by what is on the stack:
 *   - the fan-out: Dom0's forward (the host's target list, rebuilt when a VF changed, the
 *     bit-sliced checks, the deliveries of the VMs whose cache changes scheduled) or a VM's
 *     applyForwarded;
 *   - the Report chain: the SM's transmitter turn (a Report encoded and sent) or Dom0's receipt
 *     of a MAD (a Report checked, its ReportResp sent), the fan-out within it excepted.
 * Idle samples are left out. A profile, not a timer around each call: timing every fan-out
 * (performance.now() twice per Report, the forward behind a wrapper) doubled the phase's time.
 */
export async function phaseShares(scenario: Scenario, scheme: SchemeName, cost: Partial<CostModel> = {}, passes = 3): Promise<PhaseShares> {
  const session = new Session();
  session.connect();
  let samples = 0;
  let fanoutSamples = 0;
  let chainSamples = 0;
  let smSamples = 0;
  let dom0ReceiveSamples = 0;
  try {
    await post(session, 'Profiler.enable');
    await post(session, 'Profiler.setSamplingInterval', { interval: 50 });
    for (let p = 0; p < passes; p++) {
      const subnet = stormSubnet(scenario, scheme, cost);
      await post(session, 'Profiler.start');
      subnet.run();
      const { profile } = await post<{ profile: Profiler.Profile }>(session, 'Profiler.stop');
      // Each node's place: the fan-out wins over the chain it is called from.
      const byId = new Map<number, Profiler.ProfileNode>();
      for (const n of profile.nodes) byId.set(n.id, n);
      const place = new Map<number, Place>();
      const inSm = new Set<number>();
      const mark = (n: Profiler.ProfileNode, outer: Place, outerSm: boolean): void => {
        const here = isFanoutEntry(n.callFrame) ? Place.Fanout : outer === Place.Other && isChainEntry(n.callFrame) ? Place.Chain : outer;
        const sm = here !== Place.Fanout && (outerSm || isSmFrame(n.callFrame));
        place.set(n.id, here);
        if (sm) inSm.add(n.id);
        for (const c of n.children ?? []) mark(byId.get(c)!, here, sm);
      };
      mark(profile.nodes[0]!, Place.Other, false);
      for (const id of profile.samples ?? []) {
        if (byId.get(id)!.callFrame.functionName === '(idle)') continue;
        samples++;
        const at = place.get(id);
        if (at === Place.Fanout) fanoutSamples++;
        else if (at === Place.Chain) chainSamples++;
        if (inSm.has(id)) smSamples++;
        else if (at === Place.Chain) dom0ReceiveSamples++;
      }
    }
    await post(session, 'Profiler.disable');
  } finally {
    session.disconnect();
  }
  return {
    samples,
    fanoutSamples,
    chainSamples,
    smSamples,
    fanoutShare: fanoutSamples / samples,
    chainShare: chainSamples / samples,
    smShare: smSamples / samples,
    dom0ReceiveShare: dom0ReceiveSamples / samples,
  };
}

/**
 * The least round trip of a word between this thread and another, both spinning on a
 * SharedArrayBuffer (the least a hand-off between two threads can cost: a thread asleep in
 * Atomics.wait must be woken too), ns: the least over `batches` batches of `rounds` round trips.
 */
export async function spinRoundTripNs(rounds = 20000, batches = 5): Promise<number> {
  // Word 0: the ball (odd: this thread served, even: the echo returned it); word 1: the echo runs.
  const shared = new Int32Array(new SharedArrayBuffer(8));
  const total = rounds * batches;
  const echo = new Worker(
    `const { workerData } = require('node:worker_threads');
     const a = new Int32Array(workerData.buffer);
     Atomics.store(a, 1, 1);
     for (let i = 1; i <= workerData.total; i++) {
       while (Atomics.load(a, 0) !== 2 * i - 1);
       Atomics.store(a, 0, 2 * i);
     }`,
    { eval: true, workerData: { buffer: shared.buffer, total } },
  );
  let failed: unknown;
  const exited = new Promise<void>((resolve) => {
    echo.once('error', (e) => (failed = e));
    echo.once('exit', () => resolve());
  });
  // Spin only once the echo runs (a thread that never starts would leave this one spinning).
  while (Atomics.load(shared, 1) === 0 && failed === undefined) await new Promise((r) => setTimeout(r, 1));
  if (failed !== undefined) throw new Error(`spinRoundTripNs: the echo thread failed to start: ${String(failed)}`);
  let best = Infinity;
  let i = 0;
  for (let b = 0; b < batches; b++) {
    const t0 = performance.now();
    for (let r = 0; r < rounds; r++) {
      i++;
      Atomics.store(shared, 0, 2 * i - 1);
      while (Atomics.load(shared, 0) !== 2 * i);
    }
    best = Math.min(best, ((performance.now() - t0) * 1e6) / rounds);
  }
  await exited;
  return best;
}

export interface ParallelBound {
  /** The least time per Report on `cores` cores: slowdown x max(serial, T / cores), ns. */
  readonly leastNsPerReport: number;
  /** Speed-up over the one-thread engine that no engine whose serial path is `serial` can exceed on `cores` cores: T / leastNsPerReport. */
  readonly maxSpeedup: number;
  /** VM cache checks per second that no such engine can exceed on `cores` cores. */
  readonly maxCacheChecksPerSecond: number;
}

/**
 * On `cores` cores an engine takes at least max(serial, T / cores) per Report, where T is the
 * one-thread engine's CPU per Report and serial the part of it (with any hand-off cost) that
 * must run one piece after another; checksPerReport: VM cache checks per Report. `slowdown`: how
 * much longer the same code takes while every core is busy than alone (the cores share a cache
 * and memory; bench/independent-copies.ts measures it), which stretches the serial path and the
 * shares alike: the least time is slowdown x max(serial, T / cores).
 */
export function parallelBound(oneThreadNsPerReport: number, serialNsPerReport: number, checksPerReport: number, cores: number, slowdown = 1): ParallelBound {
  for (const [name, v] of [['oneThreadNsPerReport', oneThreadNsPerReport], ['serialNsPerReport', serialNsPerReport], ['checksPerReport', checksPerReport], ['cores', cores], ['slowdown', slowdown]] as const) {
    if (!(v > 0) || !Number.isFinite(v)) throw new RangeError(`parallelBound ${name}: ${v} is not a positive finite number`);
  }
  const leastNsPerReport = slowdown * Math.max(serialNsPerReport, oneThreadNsPerReport / cores);
  return {
    leastNsPerReport,
    maxSpeedup: oneThreadNsPerReport / leastNsPerReport,
    maxCacheChecksPerSecond: (checksPerReport / leastNsPerReport) * 1e9,
  };
}
