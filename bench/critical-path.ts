// How fast could any engine run a storm's events on two threads? (issue 4 item 8)
//
// The bounds of conservative-bound.ts reason about the SM <-> host cut as a whole: the event
// spacing across it and the shares of the work. This module replays the storm's own events
// instead. A one-thread run is traced: each event's virtual time, its owner (the SM, or the
// host it happens at), its CPU time, and the event that queued it. The trace is then scheduled
// on two ideal threads, thread 0 holding the SM and some hosts, thread 1 the other hosts, each
// running its events in virtual-time order (as any parallel discrete-event engine does, whether
// conservative or optimistic) at the one-thread engine's cost, with hand-offs that cost nothing:
//   - causalMakespan: an event starts once its thread's previous event is done and the event
//     that queued it is done; no engine that keeps each thread's events in time order does
//     better, whatever it knows and however it synchronises;
//   - conservativeMakespan: an event at time t on one thread also waits until every event of
//     the other thread at or before t - lookahead is done (the least time a MAD from there can
//     take to arrive): an ideal conservatively synchronised engine with that lookahead.
// The best of several host splits (bestSplit) gives the bound; the one-thread time over it is
// the most 2 threads could give.
import { EmulatedSubnet } from '../core/engine/single-thread-run.js';
import type { Scenario, SchemeName } from '../core/scenario/scenario.js';
import { defaultCostModel, withOverrides, type CostModel } from '../core/engine/cost-model.js';
import { EventKind } from '../core/engine/event-kinds.js';
import { Counter } from '../core/metrics/counters.js';
import { Method } from '../core/mad/constants.js';

/** Owner of the SM's events in a trace (hosts are 0..hosts-1). */
export const SM_OWNER = -1;

/** One storm's events in the one-thread engine's order. */
export interface EventTrace {
  readonly events: number;
  readonly hosts: number;
  readonly timeNs: Float64Array;
  /** SM_OWNER, or the host the event happens at. */
  readonly owner: Int32Array;
  /** CPU time of the event in the one-thread engine, ns (scaled so that they add up to oneThreadNs). */
  readonly costNs: Float64Array;
  /** Index of the event that queued it (-1: queued before the storm, e.g. a scheduled migration). */
  readonly creator: Int32Array;
  /** 1 where the event is the SM's receipt of a ReportResp. */
  readonly reportResp: Uint8Array;
  /** The one-thread engine's least CPU time for the whole storm, untimed per event, ns. */
  readonly oneThreadNs: number;
  readonly cacheChecks: number;
  readonly reports: number;
}

/** The scenario's subnet set up directly, its migrations scheduled (reportHosts: SubnetManagerOptions.reportHosts). */
export function stormSubnet(scenario: Scenario, scheme: SchemeName, cost: CostModel, reportHosts?: Uint8Array): EmulatedSubnet {
  const subnet = new EmulatedSubnet(scenario, scheme, { cost, ...(reportHosts !== undefined ? { reportHosts } : {}) });
  subnet.setup('direct');
  subnet.scheduleMigrations();
  return subnet;
}

/** The host a VM is at; a VM between hosts counts at its first host. */
function hostOfVm(subnet: EmulatedSubnet, scenario: Scenario, vm: number): number {
  const h = subnet.dom0.vmHost[vm]!;
  return h >= 0 ? h : scenario.vmHost[vm]!;
}

/** The host an event happens at, read before it is handled (SM_OWNER for the SM's). */
function ownerOf(subnet: EmulatedSubnet, scenario: Scenario, kind: number, a: number, b: number): number {
  switch (kind) {
    case EventKind.FabricDeliverToSm:
      return SM_OWNER;
    case EventKind.FabricDeliver: {
      const h = subnet.fabric.destinationHost(a);
      return h >= 0 ? h : SM_OWNER;
    }
    case EventKind.Dom0VfDeliver:
      return hostOfVm(subnet, scenario, b);
    case EventKind.Dom0RequestTimeout:
      return Math.floor(a / scenario.slotsPerHost);
    case EventKind.Dom0InformTimeout:
      return a;
    case EventKind.DriverMigrateOut:
      return hostOfVm(subnet, scenario, scenario.migrationVm[a]!);
    case EventKind.DriverMigrateIn:
      return b;
  }
  const component = kind >>> 4;
  if (component === 1) return SM_OWNER;
  if (component === 3) return hostOfVm(subnet, scenario, a);
  return 0; // a Dom0 trap timeout: its trap slot names no host; rare, counted at host 0
}

interface TracedPass {
  readonly events: number;
  readonly timeNs: Float64Array;
  readonly owner: Int32Array;
  readonly costNs: Float64Array;
  readonly creator: Int32Array;
  readonly reportResp: Uint8Array;
  readonly cacheChecks: number;
  readonly reports: number;
}

/** Runs the subnet's storm one event at a time, timing each and noting its owner and the event that queued it. */
function timedPass(subnet: EmulatedSubnet, scenario: Scenario, capacity: number): TracedPass {
  const q = subnet.queue;
  const checks0 = subnet.counters.v[Counter.vmCacheChecks]!;
  const reports0 = subnet.counters.v[Counter.smSentReport]!;
  const firstSeq = q.pushed;
  let cap = capacity;
  let timeNs = new Float64Array(cap);
  let owner = new Int32Array(cap);
  let costNs = new Float64Array(cap);
  let creator = new Int32Array(cap);
  let reportResp = new Uint8Array(cap);
  // creatorOfPush[p - firstSeq]: the event during which push number p was made.
  let creatorOfPush = new Int32Array(cap * 2).fill(-1);
  let k = 0;
  while (q.popNotAfter(Infinity)) {
    if (k === cap) {
      cap *= 2;
      timeNs = grow(timeNs, cap);
      owner = grow(owner, cap);
      costNs = grow(costNs, cap);
      creator = grow(creator, cap);
      reportResp = grow(reportResp, cap);
    }
    timeNs[k] = q.nowNs;
    owner[k] = ownerOf(subnet, scenario, q.kind, q.a, q.b);
    reportResp[k] = q.kind === EventKind.FabricDeliverToSm && subnet.fabric.slab.bytes(q.a)[3] === Method.ReportResp ? 1 : 0;
    const p = q.seqNow - firstSeq;
    creator[k] = p >= 0 && p < creatorOfPush.length ? creatorOfPush[p]! : -1;
    const pushedBefore = q.pushed - firstSeq;
    const t0 = performance.now();
    subnet.handlePopped();
    costNs[k] = (performance.now() - t0) * 1e6;
    const pushedAfter = q.pushed - firstSeq;
    if (pushedAfter > creatorOfPush.length) creatorOfPush = grow(creatorOfPush, Math.max(pushedAfter, creatorOfPush.length * 2), -1);
    creatorOfPush.fill(k, pushedBefore, pushedAfter);
    k++;
  }
  return {
    events: k,
    timeNs,
    owner,
    costNs,
    creator,
    reportResp,
    cacheChecks: subnet.counters.v[Counter.vmCacheChecks]! - checks0,
    reports: subnet.counters.v[Counter.smSentReport]! - reports0,
  };
}

/**
 * Traces the storm: `runs` timed passes (each event's least CPU time over them, less the
 * timer's own cost), each after an untimed one (the least whole-storm time, to which the event
 * costs are scaled). The passes must handle the same events in the same order (the engine is
 * deterministic): a difference throws.
 */
export function traceStorm(scenario: Scenario, scheme: SchemeName, cost: Partial<CostModel> = {}, runs = 5): EventTrace {
  if (!Number.isInteger(runs) || runs < 1) throw new RangeError(`traceStorm runs: ${runs} is not a positive integer`);
  const model = withOverrides(defaultCostModel(), cost);
  let oneThreadMs = Infinity;
  let first: TracedPass | undefined;
  for (let r = 0; r < runs; r++) {
    // An untimed pass before each timed one, so that both see the machine in the same state.
    const plain = stormSubnet(scenario, scheme, model);
    const t0 = performance.now();
    plain.run();
    oneThreadMs = Math.min(oneThreadMs, performance.now() - t0);
    const pass = timedPass(stormSubnet(scenario, scheme, model), scenario, first?.timeNs.length ?? 1 << 16);
    if (first === undefined) {
      first = pass;
      continue;
    }
    if (pass.events !== first.events) throw new Error(`traceStorm: pass ${r + 1} handled ${pass.events} events, pass 1 ${first.events}`);
    for (let i = 0; i < pass.events; i++) {
      if (pass.timeNs[i] !== first.timeNs[i] || pass.owner[i] !== first.owner[i]) throw new Error(`traceStorm: event ${i} differs between passes`);
      if (pass.costNs[i]! < first.costNs[i]!) first.costNs[i] = pass.costNs[i]!;
    }
  }
  const t = first!;
  const events = t.events;
  const timerNs = timerCostNs();
  let sum = 0;
  for (let i = 0; i < events; i++) sum += Math.max(0, t.costNs[i]! - timerNs);
  const oneThreadNs = oneThreadMs * 1e6;
  const scale = sum > 0 ? oneThreadNs / sum : 0;
  for (let i = 0; i < events; i++) t.costNs[i] = Math.max(0, t.costNs[i]! - timerNs) * scale;
  return {
    events,
    hosts: scenario.hosts,
    timeNs: t.timeNs.subarray(0, events),
    owner: t.owner.subarray(0, events),
    costNs: t.costNs.subarray(0, events),
    creator: t.creator.subarray(0, events),
    reportResp: t.reportResp.subarray(0, events),
    oneThreadNs,
    cacheChecks: t.cacheChecks,
    reports: t.reports,
  };
}

/** A longer copy of a, the new tail filled with `fill`. */
function grow<T extends Float64Array | Int32Array | Uint8Array>(a: T, n: number, fill = 0): T {
  const b = new (a.constructor as { new (n: number): T })(n);
  if (fill !== 0) b.fill(fill);
  b.set(a);
  return b;
}

/** Least cost of a pair of performance.now() calls, ns. */
function timerCostNs(): number {
  let best = Infinity;
  for (let r = 0; r < 5; r++) {
    let sum = 0;
    for (let i = 0; i < 100_000; i++) {
      const t0 = performance.now();
      sum += performance.now() - t0;
    }
    best = Math.min(best, (sum / 100_000) * 1e6);
  }
  return best;
}

/** Thread (0 or 1) of each event: the SM's on thread 0, a host's on onThread1[host]. */
function threadOf(trace: EventTrace, onThread1: Uint8Array, i: number): number {
  const o = trace.owner[i]!;
  return o === SM_OWNER ? 0 : onThread1[o]!;
}

function checkSplit(trace: EventTrace, onThread1: Uint8Array): void {
  if (onThread1.length !== trace.hosts) throw new RangeError(`split: ${onThread1.length} hosts, the trace has ${trace.hosts}`);
}

/**
 * Two threads, each running its events in time order; an event starts once the previous event
 * of its thread and the event that queued it are done. Returns the ns until both are done.
 */
export function causalMakespan(trace: EventTrace, onThread1: Uint8Array): number {
  checkSplit(trace, onThread1);
  const done = new Float64Array(trace.events);
  const free = [0, 0];
  for (let i = 0; i < trace.events; i++) {
    const th = threadOf(trace, onThread1, i);
    const c = trace.creator[i]!;
    const start = Math.max(free[th]!, c >= 0 ? done[c]! : 0);
    free[th] = done[i] = start + trace.costNs[i]!;
  }
  return Math.max(free[0]!, free[1]!);
}

/**
 * Two threads, each running its events in time order; an event at time t on one thread starts
 * once the previous event of its thread is done and every event of the other thread at or
 * before t - lookahead (lookahead0to1 from thread 0 to thread 1, lookahead1to0 back) is done:
 * an ideal conservative engine, with hand-offs that cost nothing. Returns the ns until both are
 * done.
 */
export function conservativeMakespan(trace: EventTrace, onThread1: Uint8Array, lookahead0to1: number, lookahead1to0: number): number {
  checkSplit(trace, onThread1);
  const lists: number[][] = [[], []];
  for (let i = 0; i < trace.events; i++) lists[threadOf(trace, onThread1, i)]!.push(i);
  const time = trace.timeNs;
  const cost = trace.costNs;
  const ev = [lists[0]!, lists[1]!];
  const done = [new Float64Array(ev[0].length), new Float64Array(ev[1].length)];
  const next = [0, 0];
  const free = [0, 0];
  // needed[x]: how many of the other thread's events lie at or before (x's next time - lookahead).
  const needed = [0, 0];
  const lookaheadInto = [lookahead1to0, lookahead0to1];
  while (next[0]! < ev[0].length || next[1]! < ev[1].length) {
    let progressed = false;
    for (let x = 0; x < 2; x++) {
      const y = 1 - x;
      if (next[x]! >= ev[x]!.length) continue;
      const t = time[ev[x]![next[x]!]!]!;
      const other = ev[y]!;
      while (needed[x]! < other.length && time[other[needed[x]!]!]! <= t - lookaheadInto[x]!) needed[x]!++;
      if (needed[x]! > next[y]!) continue; // the other thread has not got there yet
      const dep = needed[x]! > 0 ? done[y]![needed[x]! - 1]! : 0;
      const start = Math.max(free[x]!, dep);
      free[x] = done[x]![next[x]!] = start + cost[ev[x]![next[x]!]!]!;
      next[x]!++;
      progressed = true;
    }
    // Cannot happen with positive lookaheads: the events one waits for wait only for earlier ones.
    if (!progressed) throw new Error('conservativeMakespan: both threads wait for each other');
  }
  return Math.max(free[0]!, free[1]!);
}

/** Hosts on thread 1 for a fraction f of them, spread evenly (every 1/f-th host). */
export function interleavedSplit(hosts: number, fraction: number): Uint8Array {
  if (!(fraction >= 0 && fraction <= 1)) throw new RangeError(`interleavedSplit fraction: ${fraction} is not in 0..1`);
  const on1 = new Uint8Array(hosts);
  for (let h = 0; h < hosts; h++) on1[h] = Math.floor((h + 1) * fraction) > Math.floor(h * fraction) ? 1 : 0;
  return on1;
}

/** Fractions of the hosts bestSplit puts on the second thread (the SM's thread keeps the rest). */
export const SPLIT_FRACTIONS: readonly number[] = [0.5, 0.6, 0.67, 0.75, 0.8, 0.85, 0.9, 0.95, 1];

export interface SplitBound {
  /** Fraction of the hosts on the second thread in the best split. */
  readonly fraction: number;
  readonly makespanNs: number;
  /** The one-thread time over the makespan. */
  readonly speedup: number;
  readonly cacheChecksPerSecond: number;
}

/** The best of the interleaved splits under `makespan`. */
export function bestSplit(trace: EventTrace, makespan: (onThread1: Uint8Array) => number, fractions: readonly number[] = SPLIT_FRACTIONS): SplitBound {
  let best: SplitBound | undefined;
  for (const f of fractions) {
    const m = makespan(interleavedSplit(trace.hosts, f));
    if (best === undefined || m < best.makespanNs) {
      best = { fraction: f, makespanNs: m, speedup: trace.oneThreadNs / m, cacheChecksPerSecond: trace.cacheChecks / (m / 1e9) };
    }
  }
  if (best === undefined) throw new RangeError('bestSplit: no fraction given');
  return best;
}

/** The SM's share of the traced CPU time. */
export function smShareOf(trace: EventTrace): number {
  let sm = 0;
  for (let i = 0; i < trace.events; i++) if (trace.owner[i] === SM_OWNER) sm += trace.costNs[i]!;
  return trace.oneThreadNs > 0 ? sm / trace.oneThreadNs : 0;
}

/**
 * Two threads with a fixed split, each host (and the SM) an entity whose events run in its own
 * time order, a thread free to interleave its entities' events in any order: whenever a thread
 * is free it runs, of its entities' next events whose queuing event is done, the one ready
 * earliest. A greedy schedule that knows every event's cause and cost beforehand (no engine
 * does), so not a bound on every schedule: what scheduling hosts independently could give.
 */
export function entityListMakespan(trace: EventTrace, onThread1: Uint8Array): number {
  checkSplit(trace, onThread1);
  const n = trace.events;
  const entities = trace.hosts + 1; // entity 0: the SM, 1 + h: host h
  const nextOf = new Int32Array(n).fill(-1);
  const head = new Int32Array(entities).fill(-1);
  const tail = new Int32Array(entities).fill(-1);
  for (let i = 0; i < n; i++) {
    const e = trace.owner[i]! + 1;
    if (tail[e]! < 0) head[e] = i;
    else nextOf[tail[e]!] = i;
    tail[e] = i;
  }
  const members: number[][] = [[], []];
  for (let e = 0; e < entities; e++) members[e === 0 ? 0 : onThread1[e - 1]!]!.push(e);
  const doneAt = new Float64Array(n).fill(-1);
  const entityFree = new Float64Array(entities);
  const free = [0, 0];
  let remaining = n;
  while (remaining > 0) {
    let progressed = false;
    for (let th = 0; th < 2; th++) {
      let best = -1;
      let bestReady = Infinity;
      for (const e of members[th]!) {
        const i = head[e]!;
        if (i < 0) continue;
        const c = trace.creator[i]!;
        if (c >= 0 && doneAt[c]! < 0) continue;
        const ready = Math.max(entityFree[e]!, c >= 0 ? doneAt[c]! : 0);
        if (ready < bestReady) {
          bestReady = ready;
          best = i;
        }
      }
      if (best < 0) continue;
      const e = trace.owner[best]! + 1;
      free[th] = entityFree[e] = doneAt[best] = Math.max(free[th]!, bestReady) + trace.costNs[best]!;
      head[e] = nextOf[best]!;
      remaining--;
      progressed = true;
    }
    if (!progressed) throw new Error('entityListMakespan: no event is ready on either thread');
  }
  return Math.max(free[0]!, free[1]!);
}

/**
 * The storm's causal chain: each host's and the SM's events in their own time order, an event
 * after the one that queued it, on as many threads as there are hosts and hand-offs that cost
 * nothing. No schedule on any number of threads is shorter.
 */
export function criticalPathNs(trace: EventTrace): number {
  const entityDone = new Float64Array(trace.hosts + 1);
  const done = new Float64Array(trace.events);
  let longest = 0;
  for (let i = 0; i < trace.events; i++) {
    const e = trace.owner[i]! + 1;
    const c = trace.creator[i]!;
    done[i] = entityDone[e] = Math.max(entityDone[e]!, c >= 0 ? done[c]! : 0) + trace.costNs[i]!;
    if (done[i]! > longest) longest = done[i]!;
  }
  return longest;
}

/**
 * The same events with the SM's receipt of each ReportResp owned by the host that sent it: an
 * SM whose per-subscriber Report state (the outstanding Report, its timer, the window) lives on
 * the subscriber's shard, so that its transmitter's turns no longer wait, in time order, for the
 * answers to earlier turns. Every other SM event stays the SM's.
 */
export function withReceiptsAtSender(trace: EventTrace): EventTrace {
  const owner = Int32Array.from(trace.owner);
  for (let i = 0; i < trace.events; i++) {
    const c = trace.creator[i]!;
    if (trace.reportResp[i] === 1 && c >= 0 && trace.owner[c]! >= 0) owner[i] = trace.owner[c]!;
  }
  return { ...trace, owner };
}
