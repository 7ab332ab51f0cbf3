// Engine throughput, 1 worker against 2 workers in one run (issue 4 item 8): emulated notice
// deliveries (Dom0 forwards and VM cache checks) per wall-clock second of the migration phase.
//
// The work: one per-pf migration storm (one Report per host per migration, each Dom0 forwarding
// to all its VMs, each VM checking its path cache: Algorithms 2 and 3), direct setup. It runs
//   - on this thread (workers 0): the fast fan-out alone, the per-core figure;
//   - sharded on 1 and on 2 workers (core/engine/shard), on warm pool threads (a fresh thread
//     would time its own JIT warm-up): the SM, fabric and Dom0s on the main thread, the VMs'
//     checks and updates on the shard threads. Each thread's CPU time is measured too
//     (/proc/thread-self/schedstat): per Report, the main thread's (M) and the shards' (S), which
//     bound what sharding can give (see the notes);
//   - as whole runs side by side (eight storms, four seeds, as a --scheme list would give) on 1
//     and on 2 workers: parallelism across runs, on fresh worker threads (as `repath run
//     --workers` does) and on threads already warm.
// Beside them, the bound on what any conservatively synchronised engine could do with this storm
// on 2 cores (bench/conservative-bound.ts): the SM <-> host cut's event spacing against the
// lookahead, and the fan-out's share of the one-thread phase, the only work that can leave the
// SM's thread; the storm's own events replayed on two ideal threads, the SM's and the hosts'
// in time order each (bench/critical-path.ts); the whole subnet replayed on each of 2 threads,
// each sending its own hosts' Reports only (bench/replica-bound.ts); and this machine's ceiling
// for any split over 2 cores: two copies of the storm in two processes sharing nothing, against
// one (bench/independent-copies.ts).
// Counters must be identical in every mode (they are checked); only the phase is timed (setup
// and worker start-up excluded) except for whole runs, whose wall time includes their setup.
// Passes alternate between modes and each mode keeps its fastest: on a shared machine, a burst
// of other load should not decide a ratio. Every mode is warmed up first on a storm of the same
// shape (another seed): the storm itself is ~0.1 s, so a cold JIT would otherwise be measured.
// Why fresh whole runs do not scale: a fresh thread spends most of a whole run warming up (module
// loading, the scenario rebuilt from its seed, the JIT's interpreted and baseline tiers, its
// background compile and GC threads); one worker running the runs one after another warms up
// once, two workers warm up twice at once on the same two cores.
//
//   node dist/bench/engine-throughput.bench.js [--quick] [--results-dir DIR]
import { join } from 'node:path';
import os from 'node:os';
import { generateScenario } from '../core/scenario/generator.js';
import { createSchemePool, runTasks, mergeOutcomes } from '../core/engine/run-schemes.js';
import type { SchemeOutcome, SchemeTask } from '../core/engine/scheme-run.js';
import type { Piscina } from 'piscina';
import { PUBLISH_BATCH_WORDS, type ShardedOutcome } from '../core/engine/shard/sharded-run.js';
import { EAGER_PUBLISH_WORDS } from '../core/engine/shard/record-ring.js';
import { Counter } from '../core/metrics/counters.js';
import { LatencyHistogram } from '../core/metrics/latency-histogram.js';
import { machineFacts, writeBenchResult, type BenchResult, type TargetCheck, resultsDirOr } from './bench-result.js';
import { benchMain, isEntryPoint, resultsDirFlag } from './bench-main.js';
import { independentCopiesCeiling } from './independent-copies.js';
import type { ScenarioOptions } from '../core/scenario/scenario-options.js';
import { cutSpacing, parallelBound, phaseShares, spinRoundTripNs, type ParallelBound } from './conservative-bound.js';
import { replicaBound } from './replica-bound.js';
import { bestSplit, causalMakespan, conservativeMakespan, criticalPathNs, entityListMakespan, smShareOf, SPLIT_FRACTIONS, traceStorm, withReceiptsAtSender } from './critical-path.js';

interface Measured {
  mode: string;
  workers: number;
  wallMs: number;
  reports: number;
  forwards: number;
  cacheChecks: number;
  events: number;
  counters: Float64Array;
  shards: number;
  /** Main thread's and shards' CPU ns over the phase (sharded and one-thread runs; NaN otherwise). */
  mainCpuNs: number;
  shardCpuNs: number;
  syncs: number;
}

function summarize(mode: string, workers: number, wallMs: number, outs: readonly SchemeOutcome[]): Measured {
  const merged = mergeOutcomes(outs);
  merged.histogram.destroy();
  const c = merged.counters.v;
  const o = outs.length === 1 ? (outs[0] as Partial<ShardedOutcome>) : {};
  return {
    mode,
    workers,
    wallMs,
    reports: c[Counter.smSentReport]!,
    forwards: c[Counter.dom0NoticeForwards]!,
    cacheChecks: c[Counter.vmCacheChecks]!,
    events: merged.events,
    counters: c,
    shards: outs[0]?.shards ?? 0,
    // A one-thread run's only thread is its main thread.
    mainCpuNs: o.mainCpuNs ?? o.phaseCpuNs ?? NaN,
    shardCpuNs: o.shardCpuNs === undefined || o.shardCpuNs.length === 0 ? NaN : o.shardCpuNs.reduce((a, b) => a + b, 0),
    syncs: o.shardSyncs ?? 0,
  };
}

async function phaseRun(mode: string, task: SchemeTask, workers: number, pool?: Piscina): Promise<Measured> {
  const outs = await runTasks([task], workers, undefined, pool);
  const o = outs[0]!;
  if (workers > 0 && o.shardFallback !== undefined && o.shardFallback !== '') throw new Error(`engine throughput: the sharded run was redone on one thread: ${o.shardFallback}`);
  return summarize(mode, workers, o.phaseWallMs, outs);
}

async function wholeRuns(mode: string, tasks: readonly SchemeTask[], workers: number, pool?: Piscina): Promise<Measured> {
  const t0 = performance.now();
  const outs = await runTasks(tasks, workers, undefined, pool);
  return summarize(mode, workers, performance.now() - t0, outs);
}

function sameCounters(a: Measured, b: Measured): void {
  for (let i = 0; i < a.counters.length; i++) {
    if (a.counters[i] !== b.counters[i]) throw new Error(`engine throughput: counter ${i} differs between ${a.mode} and ${b.mode} (${a.counters[i]} vs ${b.counters[i]})`);
  }
}

export async function runEngineThroughput(options: { quick?: boolean; resultsDir?: string } = {}): Promise<BenchResult> {
  const quick = options.quick === true;
  await LatencyHistogram.ready();
  const hosts = quick ? 64 : 256;
  const vmsPerHost = 120;
  const slotsPerHost = 128;
  // 160 migrations: 40,960 Reports, ~0.1 s on one thread (a 10 k-Report storm of ~30 ms was
  // decided by scheduler hiccups on a shared machine).
  const migrations = quick ? 10 : 160;
  const stormOptions = (seed: number): ScenarioOptions => ({ seed, hosts, slotsPerHost, vmsPerHost, peersPerVm: 8, migrations });
  const storm = (seed: number) => generateScenario(stormOptions(seed));
  const scenario = storm(1);
  const task: SchemeTask = { scenario, scheme: 'per-pf', setup: 'direct' };
  // Whole runs side by side: the storm on four seeds, twice each, each a one-thread run on a
  // worker. Eight, not two: with two runs on two workers the batch lasts as long as the slower
  // one, and a run's time swings by half on this machine (its neighbours' load), so a pair
  // measured the slower run more than the workers' throughput (1.04-1.18 over 1 worker, where
  // batches of eight gave 1.35-1.9).
  const wholeSeeds = quick ? [1, 2] : [1, 2, 3, 4, 1, 2, 3, 4];
  const wholeTasks: SchemeTask[] = wholeSeeds.map((seed) => ({ scenario: storm(seed), scheme: 'per-pf', setup: 'direct', shard: false }));
  const wholeLabel = `whole runs x${wholeTasks.length}`;
  // Warm-up (JIT, worker start-up code paths) on a storm of the same shape, not measured.
  // V8 needs a few such storms before the hot path runs in its optimised tier (a storm is ~0.1 s).
  const warm: SchemeTask = { scenario: storm(99), scheme: 'per-pf', setup: 'direct' };
  for (let i = 0; i < (quick ? 1 : 3); i++) await runTasks([warm], 0);
  // Warm pools for the sharded runs and the warm whole runs: every thread has run such storms
  // (sharded and whole) before it is timed.
  const warmWhole: SchemeTask = { ...warm, shard: false };
  const pool1 = createSchemePool(1);
  const pool2 = createSchemePool(2);
  for (let i = 0; i < (quick ? 1 : 3); i++) {
    await runTasks([warm], 1, undefined, pool1);
    await runTasks([warm], 2, undefined, pool2);
  }
  await runTasks([warmWhole], 1, undefined, pool1);
  await runTasks([warmWhole, { ...warmWhole, scenario: storm(98) }], 2, undefined, pool2);
  // Passes: on a 2-core machine shared with other jobs a pass can lose its core for a while. The
  // phase modes (~0.1 s each) get eight: with four, the ratio of the two sharded modes' best
  // passes read 0.75 and 1.45 in two runs ten minutes apart. Whole runs (~1 s) get four.
  const repeats = quick ? 1 : 8;
  const wholeRepeats = quick ? 1 : 4;
  const best = new Map<string, Measured>();
  // The one-thread engine's least CPU per migration phase (T of the bound below, per Report).
  let oneThreadCpuNs = Infinity;
  const keep = (m: Measured) => {
    const b = best.get(m.mode);
    if (b === undefined || m.wallMs < b.wallMs) best.set(m.mode, m);
    if (m.workers === 0 && m.mainCpuNs < oneThreadCpuNs) oneThreadCpuNs = m.mainCpuNs;
  };
  for (let r = 0; r < repeats; r++) {
    // The one-thread phase is ~30 ms: a scheduler hiccup decides it, so it gets three tries per pass.
    for (let i = 0; i < 3; i++) keep(await phaseRun('one thread', task, 0));
    keep(await phaseRun('sharded, 1 worker', task, 1, pool1));
    keep(await phaseRun('sharded, 2 workers', task, 2, pool2));
    if (r >= wholeRepeats) continue;
    keep(await wholeRuns(`${wholeLabel}, 1 worker`, wholeTasks, 1));
    keep(await wholeRuns(`${wholeLabel}, 2 workers`, wholeTasks, 2));
    keep(await wholeRuns(`${wholeLabel}, 1 warm worker`, wholeTasks, 1, pool1));
    keep(await wholeRuns(`${wholeLabel}, 2 warm workers`, wholeTasks, 2, pool2));
  }
  await pool1.destroy();
  await pool2.destroy();
  // What any conservative engine could reach on this storm (bench/conservative-bound.ts).
  const cut = cutSpacing(scenario, 'per-pf');
  const shares = await phaseShares(scenario, 'per-pf', {}, quick ? 1 : 3);
  const handoffNs = await spinRoundTripNs();
  // The storm's own events scheduled on two ideal threads (bench/critical-path.ts), with the
  // cut's lookaheads: the least latency plus each sender's least service time.
  const trace = traceStorm(scenario, 'per-pf', {}, quick ? 1 : 5);
  const lookaheadFromSm = cut.smLeadNs + cut.lookaheadNs;
  const lookaheadToSm = cut.hostLeadNs + cut.lookaheadNs;
  const inTimeOrder = bestSplit(trace, (split) => causalMakespan(trace, split));
  const idealConservative = bestSplit(trace, (split) => conservativeMakespan(trace, split, lookaheadFromSm, lookaheadToSm));
  const hostsScheduled = bestSplit(trace, (split) => entityListMakespan(trace, split));
  const distributedSm = withReceiptsAtSender(trace);
  const receiptsAtSender = bestSplit(distributedSm, (split) => causalMakespan(distributedSm, split));
  // The whole subnet on each of 2 threads, each sending its own hosts' Reports (bench/replica-bound.ts).
  const replicas = replicaBound(scenario, 'per-pf', {}, 2, quick ? 1 : 15);
  // This machine's ceiling for any split of the storm over 2 cores: two copies that share nothing.
  const copyWindows = quick ? 1 : 6;
  const copies = await independentCopiesCeiling({ storm: stormOptions(1), scheme: 'per-pf', windows: copyWindows, windowMs: quick ? 300 : 3000, warmupStorms: quick ? 1 : 4 });
  // A slowdown below 1 (a quieter machine in the pair windows) is noise: no speed-up is credited for it.
  const slowdown = Math.max(1, copies.phaseSlowdown);
  const one = best.get('one thread')!;
  const s1 = best.get('sharded, 1 worker')!;
  const s2 = best.get('sharded, 2 workers')!;
  const w1 = best.get(`${wholeLabel}, 1 worker`)!;
  const w2 = best.get(`${wholeLabel}, 2 workers`)!;
  const ww1 = best.get(`${wholeLabel}, 1 warm worker`)!;
  const ww2 = best.get(`${wholeLabel}, 2 warm workers`)!;
  sameCounters(one, s1);
  sameCounters(one, s2);
  sameCounters(w1, w2);
  sameCounters(w1, ww1);
  sameCounters(w1, ww2);
  const rate = (m: Measured, n: number) => n / (m.wallMs / 1000);
  const deliveries = (m: Measured) => m.forwards + m.cacheChecks;
  const shardedRatio = rate(s2, deliveries(s2)) / rate(s1, deliveries(s1));
  const wholeRatio = rate(w2, deliveries(w2)) / rate(w1, deliveries(w1));
  const warmRatio = rate(ww2, deliveries(ww2)) / rate(ww1, deliveries(ww1));
  // CPU per Report (sharded runs; '' for the other modes, or where a thread's CPU time is unknown).
  const perReport = (m: Measured, ns: number): number | string => (Number.isFinite(ns) ? Math.round(ns / m.reports / 10) / 100 : '');
  const rows = [one, s1, s2, w1, w2, ww1, ww2].map((m) => ({
    mode: m.mode,
    workers: m.workers,
    'wall s': Math.round(m.wallMs) / 1000,
    'µs per Report': Math.round((m.wallMs * 1000) / m.reports * 100) / 100,
    'Dom0 forwards': m.forwards,
    'VM cache checks': m.cacheChecks,
    'deliveries/s': Math.round(rate(m, deliveries(m))),
    'cache checks/s': Math.round(rate(m, m.cacheChecks)),
    'events/s': Math.round(rate(m, m.events)),
    'main CPU µs per Report': perReport(m, m.mainCpuNs),
    'shard CPU µs per Report': perReport(m, m.shardCpuNs),
    Syncs: m.syncs,
  }));
  const round2 = (x: number) => Math.round(x * 100) / 100;
  const total2 = rate(s2, s2.cacheChecks);
  // T per Report and its shares: the fan-out F, the Report chain C, the SM's own work S and Dom0's
  // receipt D. The bounds, each stretched by the cores' mutual slowdown s: one lookahead (serial:
  // T - F), a lookahead per host (serial: C and a hand-off), and a lookahead per host with the
  // senders' least service times (serial: S, the Reports not pipelined's D, and a hand-off).
  // (Where the kernel does not tell a thread's CPU time, the fastest pass's wall time stands in.)
  const oneThreadNsPerReport = (Number.isFinite(oneThreadCpuNs) ? oneThreadCpuNs : one.wallMs * 1e6) / one.reports;
  const fanoutNs = shares.fanoutShare * oneThreadNsPerReport;
  const chainNs = shares.chainShare * oneThreadNsPerReport;
  const smNs = shares.smShare * oneThreadNsPerReport;
  const dom0ReceiveNs = shares.dom0ReceiveShare * oneThreadNsPerReport;
  const pipelined = cut.reportsOverlappingNextTurn / cut.reports;
  const checksPerReport = one.cacheChecks / one.reports;
  const leastLookahead = parallelBound(oneThreadNsPerReport, oneThreadNsPerReport - fanoutNs, checksPerReport, 2, slowdown);
  const hostLookahead = parallelBound(oneThreadNsPerReport, chainNs + handoffNs, checksPerReport, 2, slowdown);
  const serviceLookahead = parallelBound(oneThreadNsPerReport, smNs + (1 - pipelined) * dom0ReceiveNs + handoffNs, checksPerReport, 2, slowdown);
  // An ideal engine's speed-up over the one-thread engine, stretched by s like the others; its checks per second at this run's T.
  const stretched = (rawSpeedup: number): ParallelBound => {
    const speedup = rawSpeedup / slowdown;
    const leastNsPerReport = oneThreadNsPerReport / speedup;
    return { leastNsPerReport, maxSpeedup: speedup, maxCacheChecksPerSecond: (checksPerReport * 1e9) / leastNsPerReport };
  };
  const timeOrderBound = stretched(inTimeOrder.speedup);
  const conservativeTraceBound = stretched(idealConservative.speedup);
  const greedyBound = stretched(hostsScheduled.speedup);
  const receiptsAtSenderBound = stretched(receiptsAtSender.speedup);
  const replicaB = stretched(replicas.speedup);
  // Item 2's thread layout, the SM on a thread of its own beside the workers: --workers 1 already
  // runs on both cores (the SM's thread and one worker), taking at least max(σ, 1 - σ) of the
  // one-thread time, and 2 workers at least half of it, so 2 workers over 1 is at most
  // 2 max(σ, 1 - σ); σ is the SM's least share, its receipts of the ReportResps moved off its thread.
  const smLeastShare = smShareOf(distributedSm);
  const ownSmThreadRatio = 2 * Math.max(smLeastShare, 1 - smLeastShare);
  const bestIdeal = Math.max(timeOrderBound.maxSpeedup, conservativeTraceBound.maxSpeedup, greedyBound.maxSpeedup, receiptsAtSenderBound.maxSpeedup, replicaB.maxSpeedup);
  // What an engine of a kind could reach at best, beside the targets it would need to reach.
  const boundTargets = (kind: string, formula: string, b: ParallelBound): TargetCheck[] => [
    { name: `Bound on 2 cores, ${kind}: speed-up over the one-thread engine, ${formula}`, target: '>= 1.7', measured: round2(b.maxSpeedup), met: b.maxSpeedup >= 1.7 },
    { name: `Bound on 2 cores, ${kind}: VM cache checks per second in total`, target: '>= 100e6', measured: Math.round(b.maxCacheChecksPerSecond), met: b.maxCacheChecksPerSecond >= 100e6 },
  ];
  const targets: TargetCheck[] = [
    { name: 'Notice deliveries per second, sharded engine, 2 workers over 1 worker', target: '>= 1.7', measured: round2(shardedRatio), met: shardedRatio >= 1.7 },
    { name: 'VM cache checks per second in total, sharded engine, 2 workers', target: '>= 100e6', measured: Math.round(total2), met: total2 >= 100e6 },
    { name: 'VM cache checks per second, one thread (fast fan-out, whole storm)', target: '>= 50e6', measured: Math.round(rate(one, one.cacheChecks)), met: rate(one, one.cacheChecks) >= 50e6 },
    {
      name: `Ceiling on this machine: two independent copies of the one-thread storm (two processes sharing nothing) over one copy alone, median of ${copyWindows} windows`,
      target: '>= 1.7',
      measured: round2(copies.medianRatio),
      met: copies.medianRatio >= 1.7,
    },
    {
      name: "Bound on 2 cores, item 2's thread layout (the SM on a thread of its own beside the workers, so 1 worker already runs on both cores): 2 workers over 1, 2 x max(σ, 1 - σ), σ the SM's least share of the work",
      target: '>= 1.7',
      measured: round2(ownSmThreadRatio),
      met: ownSmThreadRatio >= 1.7,
    },
    ...boundTargets("one lookahead, the least link latency (item 2's contract, this engine's)", 'T / (s x max(T - F, T / 2))', leastLookahead),
    ...boundTargets('a lookahead per host, its link latency (Dom0s on the shards, spinning hand-offs, the work split evenly)', 'T / (s x max(C + H, T / 2))', hostLookahead),
    ...boundTargets("a lookahead per host, its link latency plus the sender's least service time (the Report chain pipelined, the work split evenly)", 'T / (s x max(S + H, T / 2))', serviceLookahead),
    ...boundTargets("the storm's events on two ideal threads, each in time order, an event after the one that queued it (any parallel discrete-event engine)", 'T / (s x makespan), best split', timeOrderBound),
    ...boundTargets("the storm's events on two ideal threads in time order, conservatively synchronised with the cut's lookaheads", 'T / (s x makespan), best split', conservativeTraceBound),
    ...boundTargets("the storm's events on two threads, each host scheduled on its own with every event's cause and cost known beforehand (greedy)", 'T / (s x makespan), best split', greedyBound),
    ...boundTargets("the storm's events on two ideal threads in time order, the SM's receipt of each ReportResp on its sender's thread (per-subscriber Report state on the shards)", 'T / (s x makespan), best split', receiptsAtSenderBound),
    ...boundTargets("the whole subnet replayed on each of two threads, each sending its own hosts' Reports only (no hand-off on the hot path; replicas that skip the checks of each other's notices, to the storm's last ReportResp)", 'T_whole / (s x slowest replica), measured', replicaB),
    { name: 'Notice deliveries per second, whole runs side by side, 2 workers over 1 worker', target: '>= 1.7', measured: round2(wholeRatio), met: wholeRatio >= 1.7 },
    { name: 'Notice deliveries per second, whole runs side by side on warm workers, 2 workers over 1 worker', target: '>= 1.7', measured: round2(warmRatio), met: warmRatio >= 1.7 },
  ];
  const result: BenchResult = {
    suite: 'throughput',
    title: 'Engine throughput: notice deliveries per second, 1 worker against 2',
    command: `node dist/bench/engine-throughput.bench.js${quick ? ' --quick' : ''}`,
    rows,
    targets,
    notes: [
      `One per-pf storm: ${hosts} hosts x ${vmsPerHost} VMs (${slotsPerHost} VF slots), 8 uniform peers per VM, ${migrations} migrations, direct setup. Rates are over the migration phase's wall time (setup and worker start-up excluded; the sharded modes on warm pool threads), except "whole runs", ${wholeTasks.length} such storms (seeds ${[...new Set(wholeSeeds)].join(', ')}${wholeTasks.length > new Set(wholeSeeds).size ? ', each twice' : ''}) as one-thread runs side by side, timed with their setup, on fresh worker threads (a new pool per batch, as \`repath run --workers\` does) and on warm ones (threads that already ran one such storm). Every mode is warmed up on a storm of the same shape first. Best of ${repeats} alternating passes per mode (three tries per pass for the one-thread mode; ${wholeRepeats} for whole runs); counters are checked identical across modes.`,
      'Fast fan-out: Dom0 keeps each host\'s Algorithm 2 list (the VMs of its active VF slots, in slot order) and a bit-sliced copy of their 128-bit cache summaries, rebuilt only when a VF or a VM\'s summary changes, so one notice\'s checks for a host are 3 x ceil(slots / 32) word ANDs, and the path cache is probed only for VMs with the vGUID\'s three summary bits set (about 0.5% here: Bloom false positives, each a cold hash probe). Per Report the main thread then does the SM\'s fan-out turn (the notice encoded once per notice, only the TID stamped), the Report and ReportResp MADs through the fabric, Dom0\'s decode and ReportResp (the Report copied, its header patched) and 4 events, the Report timeouts and the MADs on the wire in FIFO lanes instead of the heap.',
      `Sharded: the SM, fabric and Dom0s stay on the main thread and only the VMs' checks and updates move to the shard threads (each keeps, per host, the VMs it owns there and their bit-sliced cache summaries, as Dom0 does on one thread). Records are published to the shards in batches of ${PUBLISH_BATCH_WORDS} words (~${Math.round(PUBLISH_BATCH_WORDS / 9)} per-host fan-outs), or of ${EAGER_PUBLISH_WORDS} words to a shard that waits for data, so the shards work while the main thread goes on and a Sync finds them close behind, and a host's fan-out goes only to the shards with a VM there. The main thread Syncs the shards only where a VM may send: ${s1.syncs} Syncs with 1 worker (a repaired peer's pending RC detection needs none). Per Report the main thread spent ${s1.mainCpuNs > 0 ? (s1.mainCpuNs / s1.reports / 1000).toFixed(2) : '?'} µs of CPU with 1 worker (M) and the shards ${s1.shardCpuNs > 0 ? (s1.shardCpuNs / s1.reports / 1000).toFixed(2) : '?'} µs (S); with 2 workers M = ${s2.mainCpuNs > 0 ? (s2.mainCpuNs / s2.reports / 1000).toFixed(2) : '?'} µs, S = ${s2.shardCpuNs > 0 ? (s2.shardCpuNs / s2.reports / 1000).toFixed(2) : '?'} µs in total. On 2 cores 1 worker takes about max(M, S) per Report and 2 workers about max(M, S/2, (M + S)/2): with M >= S the main thread bounds both, and 2 workers over 1 can reach 1.7 only when M <= ~0.15 S.`,
      'Why M is what it is (one-thread CPU profile of this storm, self time by component): per Report the main thread runs 4 events (the SM\'s fan-out turn, the Report and the ReportResp through the fabric, the Report\'s time-out), the SM\'s turn and its ReportResp (~20% of its time), the two MADs through the fabric (a 256-byte copy into a slab slot each, ~10%), Dom0\'s validation and decode of the Report and its ReportResp (~20%), and the event loop (~17%); the sharded run adds the ring records, their copy into the replay log (crash recovery) and the Syncs. Moving Dom0\'s Report handling to the shards gains nothing under this engine\'s one lookahead (the SM\'s and the Dom0s\' events alternate) and, with a lookahead per host, needs a hand-off each way per Report and the one-thread engine\'s event order kept across threads (see the bounds).',
      `The machine's ceiling (bench/independent-copies.ts): two long-lived processes that share nothing each run this storm whole (direct setup and migration phase) over and over, in windows of ${quick ? 0.3 : 3} s alternating between one copy alone and both at once. Storms per second, one copy alone: ${copies.soloRates.map((r) => r.toFixed(2)).join(', ')}; both copies together: ${copies.pairRates.map((r) => r.toFixed(2)).join(', ')}. Each pair window over the mean of the solo windows around it: ${copies.ratios.map(round2).join(', ')} (median ${round2(copies.medianRatio)}). A copy's migration phase took ${round2(copies.phaseSlowdown)} times as long with the other copy running as alone (medians): the two cores share the last-level cache and memory (and the hypervisor's time), and this engine's hot state is tables walked at random. No engine that splits one storm across two threads can beat two copies that share nothing (it does the same work plus its hand-offs), so that slowdown, s = ${round2(slowdown)} (never below 1), stretches every bound below.`,
      `The bounds (bench/conservative-bound.ts). A conservatively synchronised engine runs an event of one thread alongside another thread's only when their times differ by less than the lookahead, the least time a message from one can take to affect the other. T = ${(oneThreadNsPerReport / 1000).toFixed(2)} µs is the one-thread engine's CPU per Report (the least of this run's one-thread passes); its shares, by V8's sampling profiler (${shares.samples} samples over ${quick ? 1 : 3} runs): the fan-out F = ${(shares.fanoutShare * 100).toFixed(1)} % (Dom0's Algorithm 2 with the VMs' bit-sliced Algorithm 3 checks, and the notices applied), the Report chain C = ${(shares.chainShare * 100).toFixed(1)} % (the SM's transmitter turn and Dom0's receipt of the Report, its fan-out excepted), the SM's own code S = ${(shares.smShare * 100).toFixed(1)} % (its turns and its receipt of the ReportResps) and Dom0's receipt D = ${(shares.dom0ReceiveShare * 100).toFixed(1)} %. A Report hands off to another thread and back at least H = ${Math.round(handoffNs)} ns (a round trip with both threads spinning, measured here). On 2 cores no engine takes less than s x max(serial, T / 2) per Report, ${Math.round(checksPerReport)} cache checks each. ` +
        `(1) One lookahead for the whole SM <-> host cut, the least link latency (${cut.lookaheadNs} ns; item 2's contract, and this engine's): the SM's Reports left at least ${cut.minReportSpacingNs} ns apart, and ${cut.hostEventsWithinLeastLookahead} of the ${cut.hostEvents} arrivals of the SM's MADs at hosts (${((cut.hostEventsWithinLeastLookahead / cut.hostEvents) * 100).toFixed(1)} %) lie within it of an event of the SM: the SM's and the Dom0s' work alternate, and all but the fan-out past the Dom0 -> VM cut (whose lookahead is a VM's least reaction time, milliseconds) is serial: ${round2(leastLookahead.maxSpeedup)}x the one-thread engine and ${(leastLookahead.maxCacheChecksPerSecond / 1e6).toFixed(1)} M cache checks per second at most; 1.7x would need the fan-out to be ${Math.round((1 - 1 / 1.7) * 100)} % of the work (it is this small because a host's 120 checks are a few word ANDs over bit-sliced summaries). ` +
        `(2) A lookahead per host, its own link latency to the SM: ${cut.hostEventsWithinHostLookahead} of those arrivals (${((cut.hostEventsWithinHostLookahead / cut.hostEvents) * 100).toFixed(1)} %) lie within it of an SM event, mostly the SM's receipt of the previous Report's ReportResp, but the Report chain stays serial (a host may handle its Report only once the SM has taken its next turn, which for all the link latency tells could send it a MAD arriving as early, and the SM receives the host's answer before the turn after): with Dom0s on the shards, ${round2(hostLookahead.maxSpeedup)}x and ${(hostLookahead.maxCacheChecksPerSecond / 1e6).toFixed(1)} M checks per second at most. ` +
        `(3) A lookahead per host that adds the sender's least service time to the link latency (a MAD leaves the SM at least ${cut.smLeadNs} ns after the event that sends it, its transmitter's service, and a host at least ${cut.hostLeadNs} ns after, Dom0's; the model's own cost parameters, so an engine may rely on them): ${cut.reportsOverlappingNextTurn} of the ${cut.reports} ReportResps (${(pipelined * 100).toFixed(2)} %) reach the SM after its next transmitter turn: a Report's host can handle it while the SM takes that turn, and the SM needs the answer only for the turn after, so the chain pipelines (the SM's turn j beside the host of Report j - 1) and only the SM's own work stays serial: ${round2(serviceLookahead.maxSpeedup)}x and ${(serviceLookahead.maxCacheChecksPerSecond / 1e6).toFixed(1)} M checks per second at most. The bounds (2) and (3) assume both threads spinning through the whole storm and no other overhead, the SM sharing a thread with a shard (2 threads in all), the work split evenly between them, and an order of equal-time events that threads can agree on and that gives the one-thread engine's counts.`,
      `The storm's own events on two threads (bench/critical-path.ts). The bounds (2) and (3) assume the work can be split evenly; replaying the storm's events tests that. A one-thread run is traced (${trace.events} events: each one's time, its owner, the SM or a host, its CPU time, the least of ${quick ? 1 : 5} timed passes scaled to the untimed one-thread time, ${(trace.oneThreadNs / trace.reports / 1000).toFixed(2)} µs per Report, of which the SM's events are ${(smShareOf(trace) * 100).toFixed(1)} %, and the event that queued it). The trace is then scheduled on two threads with hand-offs that cost nothing, the SM's events on the first, a fraction of the hosts (spread evenly) on the second, the best of ${SPLIT_FRACTIONS.length} fractions. (4) Each thread runs its events in time order, as a parallel discrete-event engine does, conservative or optimistic, and an event starts only once the event that queued it is done, which no engine can avoid: ${round2(timeOrderBound.maxSpeedup)}x and ${(timeOrderBound.maxCacheChecksPerSecond / 1e6).toFixed(1)} M checks per second at most (${Math.round(inTimeOrder.fraction * 100)} % of the hosts on the second thread). The SM's thread must take a ReportResp, in time order, before its transmitter turn after next, and the ReportResp waits for its host's Report, so the two threads take turns along the Report chain, as (3) did not count. (5) The same with conservative synchronisation and the cut's lookaheads (${lookaheadFromSm} ns from the SM, its least service and link latency; ${lookaheadToSm} ns to it): ${round2(conservativeTraceBound.maxSpeedup)}x and ${(conservativeTraceBound.maxCacheChecksPerSecond / 1e6).toFixed(1)} M. (6) Each host and the SM scheduled on its own (a thread may interleave its hosts' events out of time order), greedily, knowing every event's cause and cost beforehand, which no engine does: ${round2(greedyBound.maxSpeedup)}x and ${(greedyBound.maxCacheChecksPerSecond / 1e6).toFixed(1)} M. None of these ideal engines reaches either target on this storm. The causal chain alone (each host's and the SM's events in their own order, an event after its cause, on as many threads as hosts) is ${(criticalPathNs(trace) / trace.oneThreadNs * 100).toFixed(1)} % of the one-thread time: what holds them back is the SM as one entity, whose receipts of the ReportResps sit, in time order, between its transmitter's turns. (7) Moving each receipt to the thread of the host that sent it (an SM whose per-subscriber Report state, the outstanding Report with its timer and window, lives on the subscriber's shard, so that its turns no longer wait for the answers to earlier ones) leaves the SM ${(smShareOf(distributedSm) * 100).toFixed(1)} % of the work and a causal chain of ${(criticalPathNs(distributedSm) / trace.oneThreadNs * 100).toFixed(1)} %: in time order on two ideal threads ${round2(receiptsAtSenderBound.maxSpeedup)}x and ${(receiptsAtSenderBound.maxCacheChecksPerSecond / 1e6).toFixed(1)} M checks per second (${Math.round(receiptsAtSender.fraction * 100)} % of the hosts on the second thread). Its ideal comes near the targets: Dom0s and the per-subscriber Report state on the shards, the SM's turns and the SA on a thread with some hosts, synchronised per channel (a host's thread can promise the SM no trap or SA query before its next migration or VM timer): ${receiptsAtSenderBound.maxSpeedup >= 1.7 ? `${Math.round((receiptsAtSenderBound.maxSpeedup / 1.7 - 1) * 100)} % above 1.7x, all that hand-offs and everything else such an engine adds may cost` : 'below 1.7x even so'}.`,
      `The whole subnet on each thread (bench/replica-bound.ts). (8) An engine that hands nothing off on the hot path: each of two threads builds the whole subnet and runs all of it (the SM with every transmitter turn, the migrations, the SA) but sends only its own hosts' Reports (every other host, spread evenly), taking the other hosts' turns and skipping them; the Report counts of the two add up to the one-thread run's (checked: ${replicas.counts.smSentReport.replicas.join(' + ')} Reports, ${replicas.counts.vmCacheChecks.replicas.join(' + ')} cache checks). Measured on one thread, each to the storm's last ReportResp (${(replicas.horizonNs / 1e6).toFixed(1)} ms of virtual time), least of ${quick ? 1 : 15} passes: the whole subnet ${(replicas.wholeNs / 1e6).toFixed(1)} ms, the replicas ${replicas.replicaNs.map((ns) => (ns / 1e6).toFixed(1)).join(' and ')} ms, of which ${(replicas.sharedNs / 1e6).toFixed(1)} ms (a replica with no host of its own) is work each repeats: ${round2(replicas.speedup)}x before the machine's slowdown, ${round2(replicaB.maxSpeedup)}x and ${(replicaB.maxCacheChecksPerSecond / 1e6).toFixed(1)} M checks per second after it. An upper bound for such an engine: to keep every replica's path caches as the one-thread engine's, a real one must also run the VMs' checks of each skipped Report at its arrival time, and stop or fall back wherever replicas could part (a Report re-sent, a full window), which these replicas skip. Item 2's own thread layout, the SM on a thread of its own beside the workers, runs 1 worker on both cores already: 2 workers over 1 is at most 2 x max(σ, 1 - σ) = ${round2(ownSmThreadRatio)}x with σ = ${(smLeastShare * 100).toFixed(1)} %, the SM's least share (its receipts on the hosts' threads), whatever the engine. The best of the designs' ideals (4) to (8) on this run: ${round2(bestIdeal)}x, ${bestIdeal >= 1.7 ? `${Math.round((bestIdeal / 1.7 - 1) * 100)} % above 1.7x, all that a real engine's own costs may take` : 'below 1.7x before anything a real engine adds'}.`,
      'Whole runs on fresh threads scale badly because a fresh thread spends most of a whole run warming up (module loading, the scenario rebuilt from its seed, the JIT\'s interpreted and baseline tiers with its background compile and GC threads): one worker running the storms one after another warms up once, two workers warm up twice at the same time on the same two cores. On warm threads the runs are independent work and the ratio is that of the machine\'s free cores (compare the machine\'s ceiling above, two processes: worker threads share one process\'s GC and compiler threads and its address space; two threads doing such runs caused about 20 times the TLB shootdowns of two processes doing them, in /proc/interrupts).',
      `Machine load when measured: load average ${os.loadavg().map((x) => x.toFixed(1)).join(' / ')} (1/5/15 min) on ${os.cpus().length} CPUs, shared with other jobs: absolute rates are noisy, ratios less so.`,
    ],
    machine: machineFacts(),
    generatedAt: new Date().toISOString(),
  };
  const resultsDir = resultsDirOr(options.resultsDir);
  writeBenchResult(join(resultsDir, 'engine', 'throughput.json'), result);
  return result;
}

if (isEntryPoint(import.meta.url)) {
  await benchMain(
    {
      script: 'engine-throughput.bench.js',
      about: 'Notice deliveries per second of a per-pf storm: one thread, sharded on 1 and on 2 workers, whole runs side by side; writes results/engine/throughput.json.',
      flags: {
        quick: { type: 'boolean', description: 'a small storm and one pass per mode (a smoke run; its figures are not comparable)' },
        'results-dir': resultsDirFlag('engine/throughput.json'),
      },
    },
    async (flags) => {
      const r = await runEngineThroughput({ quick: flags.quick === true, ...(flags['results-dir'] !== undefined ? { resultsDir: flags['results-dir'] } : {}) });
      for (const row of r.rows) console.log(JSON.stringify(row));
      for (const t of r.targets) console.log(`${t.name}: ${t.measured} (target ${t.target}) ${t.met ? 'met' : 'NOT met'}`);
    },
  );
}
