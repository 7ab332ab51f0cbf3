// Engine throughput, 1 worker against 2 workers in one run (issue 4 item 8): emulated notice
// deliveries (Dom0 forwards and VM cache checks) per wall-clock second of the migration phase.
//
// The work: one per-pf migration storm (one Report per host per migration, each Dom0 forwarding
// to all its VMs, each VM checking its path cache: Algorithms 2 and 3), direct setup. It runs
//   - on this thread (workers 0): the fast fan-out alone, the per-core figure;
//   - sharded on 1 and on 2 workers (core/engine/shard): the SM, fabric and Dom0s on the main
//     thread, the VMs' checks and updates on the shard threads;
//   - as whole runs side by side (two seeds) on 1 and on 2 workers: parallelism across runs.
// Counters must be identical in every mode (they are checked); only the phase is timed (setup
// and worker start-up excluded) except for whole runs, whose wall time includes their setup.
// Passes alternate between modes and each mode keeps its fastest: on a shared machine, a burst
// of other load should not decide a ratio.
//
//   node dist/bench/engine-throughput.bench.js [--quick]
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import os from 'node:os';
import { generateScenario } from '../core/scenario/generator.js';
import { runTasks, mergeOutcomes } from '../core/engine/run-schemes.js';
import type { SchemeOutcome, SchemeTask } from '../core/engine/scheme-run.js';
import { Counter } from '../core/metrics/counters.js';
import { LatencyHistogram } from '../core/metrics/latency-histogram.js';
import { machineFacts, writeBenchResult, type BenchResult, type TargetCheck } from './bench-result.js';

interface Measured {
  mode: string;
  workers: number;
  wallMs: number;
  forwards: number;
  cacheChecks: number;
  events: number;
  counters: Float64Array;
  shards: number;
}

function summarize(mode: string, workers: number, wallMs: number, outs: readonly SchemeOutcome[]): Measured {
  const merged = mergeOutcomes(outs);
  merged.histogram.destroy();
  const c = merged.counters.v;
  return { mode, workers, wallMs, forwards: c[Counter.dom0NoticeForwards]!, cacheChecks: c[Counter.vmCacheChecks]!, events: merged.events, counters: c, shards: outs[0]?.shards ?? 0 };
}

async function phaseRun(mode: string, task: SchemeTask, workers: number): Promise<Measured> {
  const outs = await runTasks([task], workers);
  const o = outs[0]!;
  if (workers > 0 && o.shardFallback !== undefined && o.shardFallback !== '') throw new Error(`engine throughput: the sharded run was redone on one thread: ${o.shardFallback}`);
  return summarize(mode, workers, o.phaseWallMs, outs);
}

async function wholeRuns(mode: string, tasks: readonly SchemeTask[], workers: number): Promise<Measured> {
  const t0 = performance.now();
  const outs = await runTasks(tasks, workers);
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
  const migrations = quick ? 10 : 40;
  const storm = (seed: number) => generateScenario({ seed, hosts, slotsPerHost, vmsPerHost, peersPerVm: 8, migrations });
  const task: SchemeTask = { scenario: storm(1), scheme: 'per-pf', setup: 'direct' };
  // Whole runs side by side: the same storm on two seeds, each a one-thread run on a worker.
  const wholeTasks: SchemeTask[] = [1, 2].map((seed) => ({ scenario: storm(seed), scheme: 'per-pf', setup: 'direct', shard: false }));
  // Warm-up (JIT, worker start-up code paths) on a small storm, not measured.
  const warm: SchemeTask = { scenario: generateScenario({ seed: 99, hosts: 16, slotsPerHost: 16, vmsPerHost: 12, peersPerVm: 4, migrations: 2 }), scheme: 'per-pf', setup: 'direct' };
  await runTasks([warm], 0);
  await runTasks([warm], 2);
  const repeats = quick ? 1 : 2;
  const best = new Map<string, Measured>();
  const keep = (m: Measured) => {
    const b = best.get(m.mode);
    if (b === undefined || m.wallMs < b.wallMs) best.set(m.mode, m);
  };
  for (let r = 0; r < repeats; r++) {
    keep(await phaseRun('one thread', task, 0));
    keep(await phaseRun('sharded, 1 worker', task, 1));
    keep(await phaseRun('sharded, 2 workers', task, 2));
    keep(await wholeRuns('whole runs x2, 1 worker', wholeTasks, 1));
    keep(await wholeRuns('whole runs x2, 2 workers', wholeTasks, 2));
  }
  const one = best.get('one thread')!;
  const s1 = best.get('sharded, 1 worker')!;
  const s2 = best.get('sharded, 2 workers')!;
  const w1 = best.get('whole runs x2, 1 worker')!;
  const w2 = best.get('whole runs x2, 2 workers')!;
  sameCounters(one, s1);
  sameCounters(one, s2);
  sameCounters(w1, w2);
  const rate = (m: Measured, n: number) => n / (m.wallMs / 1000);
  const deliveries = (m: Measured) => m.forwards + m.cacheChecks;
  const shardedRatio = rate(s2, deliveries(s2)) / rate(s1, deliveries(s1));
  const wholeRatio = rate(w2, deliveries(w2)) / rate(w1, deliveries(w1));
  const rows = [one, s1, s2, w1, w2].map((m) => ({
    mode: m.mode,
    workers: m.workers,
    'wall s': Math.round(m.wallMs) / 1000,
    'Dom0 forwards': m.forwards,
    'VM cache checks': m.cacheChecks,
    'deliveries/s': Math.round(rate(m, deliveries(m))),
    'cache checks/s': Math.round(rate(m, m.cacheChecks)),
    'events/s': Math.round(rate(m, m.events)),
  }));
  const round2 = (x: number) => Math.round(x * 100) / 100;
  const total2 = rate(s2, s2.cacheChecks);
  const targets: TargetCheck[] = [
    { name: 'Notice deliveries per second, sharded engine, 2 workers over 1 worker', target: '>= 1.7', measured: round2(shardedRatio), met: shardedRatio >= 1.7 },
    { name: 'VM cache checks per second in total, sharded engine, 2 workers', target: '>= 100e6', measured: Math.round(total2), met: total2 >= 100e6 },
    { name: 'VM cache checks per second, one thread (fast fan-out, whole storm)', target: '>= 50e6', measured: Math.round(rate(one, one.cacheChecks)), met: rate(one, one.cacheChecks) >= 50e6 },
    { name: 'Notice deliveries per second, whole runs side by side, 2 workers over 1 worker', target: '>= 1.7', measured: round2(wholeRatio), met: wholeRatio >= 1.7 },
  ];
  const result: BenchResult = {
    suite: 'throughput',
    title: 'Engine throughput: notice deliveries per second, 1 worker against 2',
    command: `node dist/bench/engine-throughput.bench.js${quick ? ' --quick' : ''}`,
    rows,
    targets,
    notes: [
      `One per-pf storm: ${hosts} hosts x ${vmsPerHost} VMs (${slotsPerHost} VF slots), 8 uniform peers per VM, ${migrations} migrations, direct setup. Rates are over the migration phase's wall time (setup and worker start-up excluded), except "whole runs", two such storms (seeds 1, 2) as one-thread runs side by side, timed with their setup. Best of ${repeats} alternating passes per mode; counters are checked identical across modes.`,
      'Fast fan-out: Dom0 runs every VM\'s Algorithm 3 check in one pass (a 128-bit summary of each VM\'s cached vGUIDs, the path cache probed only where it may hold the migrated vGUID), scheduling events only for VMs whose cache changes. What remains per host and notice is the Report path: the SM\'s fan-out step, the Report and ReportResp MADs through the fabric and Dom0\'s decode and answer, several events and two 256-byte MAD copies; with 120 VMs per host it costs more than the checks, which is what bounds the rate.',
      'Sharded: the SM, fabric and Dom0s stay on the main thread and only the VMs\' checks and updates move to the shard threads, so the main thread\'s Report path bounds both sharded modes alike; on 2 cores the main thread and the shards share the cores.',
      `Machine load when measured: load average ${os.loadavg().map((x) => x.toFixed(1)).join(' / ')} (1/5/15 min) on ${os.cpus().length} CPUs, shared with other jobs: absolute rates are noisy, ratios less so.`,
    ],
    machine: machineFacts(),
    generatedAt: new Date().toISOString(),
  };
  const resultsDir = options.resultsDir ?? fileURLToPath(new URL('../../results/', import.meta.url));
  writeBenchResult(join(resultsDir, 'engine', 'throughput.json'), result);
  return result;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const r = await runEngineThroughput({ quick: process.argv.includes('--quick') });
  for (const row of r.rows) console.log(JSON.stringify(row));
  for (const t of r.targets) console.log(`${t.name}: ${t.measured} (target ${t.target}) ${t.met ? 'met' : 'NOT met'}`);
}
