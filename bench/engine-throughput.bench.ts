// Engine throughput, 1 worker against 2 workers in one run (issue 4 item 8): emulated notice
// deliveries (Dom0 forwards and VM cache checks) per wall-clock second.
//
// The work: per-pf migration storms (one Report per host per migration, each Dom0 forwarding
// to all its VMs, each VM checking its path cache: Algorithm 2 and 3), as independent scheme
// tasks with different seeds. The same task list runs on a pool of 1 worker thread, then of 2;
// counters of the tasks are summed (mergeOutcomes) and must be identical in both runs. What
// runs in parallel is whole tasks (one single-thread engine each), not the hosts of one run.
//
//   node dist/bench/engine-throughput.bench.js [--quick]
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { generateScenario } from '../core/scenario/generator.js';
import { runTasks, mergeOutcomes } from '../core/engine/run-schemes.js';
import type { SchemeTask } from '../core/engine/scheme-run.js';
import { Counter } from '../core/metrics/counters.js';
import { LatencyHistogram } from '../core/metrics/latency-histogram.js';
import { machineFacts, writeBenchResult, type BenchResult, type TargetCheck } from './bench-result.js';

interface Measured {
  workers: number;
  wallMs: number;
  forwards: number;
  cacheChecks: number;
  events: number;
  counters: Float64Array;
}

async function measure(tasks: readonly SchemeTask[], workers: number): Promise<Measured> {
  const t0 = performance.now();
  const outcomes = await runTasks(tasks, workers);
  const wallMs = performance.now() - t0;
  const merged = mergeOutcomes(outcomes);
  merged.histogram.destroy();
  const c = merged.counters.v;
  return { workers, wallMs, forwards: c[Counter.dom0NoticeForwards]!, cacheChecks: c[Counter.vmCacheChecks]!, events: merged.events, counters: c };
}

export async function runEngineThroughput(options: { quick?: boolean; resultsDir?: string } = {}): Promise<BenchResult> {
  const quick = options.quick === true;
  await LatencyHistogram.ready();
  const hosts = quick ? 128 : 512;
  const migrations = quick ? 10 : 40;
  const taskCount = 4;
  const tasks: SchemeTask[] = [];
  for (let seed = 1; seed <= taskCount; seed++) {
    const scenario = generateScenario({ seed, hosts, slotsPerHost: 64, vmsPerHost: 32, peersPerVm: 8, migrations });
    tasks.push({ scenario, scheme: 'per-pf', setup: 'direct' });
  }
  // Warm-up (JIT, worker start-up code paths) on one small task, not measured.
  await runTasks([{ scenario: generateScenario({ seed: 99, hosts: 16, slotsPerHost: 8, vmsPerHost: 4, migrations: 2 }), scheme: 'per-pf' }], 1);
  // Alternate the pools and keep each one's fastest pass: on a shared machine, a burst of
  // other load should not decide the ratio.
  const repeats = quick ? 1 : 2;
  let one: Measured | undefined;
  let two: Measured | undefined;
  for (let r = 0; r < repeats; r++) {
    const a = await measure(tasks, 1);
    if (one === undefined || a.wallMs < one.wallMs) one = a;
    const b = await measure(tasks, 2);
    if (two === undefined || b.wallMs < two.wallMs) two = b;
  }
  if (one === undefined || two === undefined) throw new Error('engine throughput: nothing measured');
  for (let i = 0; i < one.counters.length; i++) {
    if (one.counters[i] !== two.counters[i]) throw new Error(`engine throughput: counter ${i} differs between 1 and 2 workers (${one.counters[i]} vs ${two.counters[i]})`);
  }
  const rate = (m: Measured, n: number) => n / (m.wallMs / 1000);
  const deliveries = (m: Measured) => m.forwards + m.cacheChecks;
  const speedup = rate(two, deliveries(two)) / rate(one, deliveries(one));
  const rows = [one, two].map((m) => ({
    workers: m.workers,
    tasks: taskCount,
    'wall s': Math.round(m.wallMs) / 1000,
    'Dom0 forwards': m.forwards,
    'VM cache checks': m.cacheChecks,
    'deliveries/s': Math.round(rate(m, deliveries(m))),
    'cache checks/s': Math.round(rate(m, m.cacheChecks)),
    'events/s': Math.round(rate(m, m.events)),
  }));
  const targets: TargetCheck[] = [
    { name: 'Notice deliveries per second, 2 workers over 1 worker', target: '>= 1.7', measured: Math.round(speedup * 100) / 100, met: speedup >= 1.7 },
    {
      name: 'VM cache checks per second in total, 2 workers',
      target: '>= 100e6',
      measured: Math.round(rate(two, two.cacheChecks)),
      met: rate(two, two.cacheChecks) >= 100e6,
    },
  ];
  const result: BenchResult = {
    suite: 'throughput',
    title: 'Engine throughput: notice deliveries per second, 1 worker against 2',
    command: `node dist/bench/engine-throughput.bench.js${quick ? ' --quick' : ''}`,
    rows,
    targets,
    notes: [
      `${taskCount} per-pf storm tasks (seeds 1..${taskCount}), each ${hosts} hosts x 32 VMs (64 VF slots), 8 peers per VM, ${migrations} migrations, direct setup; wall time per pool includes setup and worker start-up; best of ${repeats} alternating passes per pool.`,
      'Parallelism is across whole runs (one single-thread engine per task); counters summed across workers are checked identical for 1 and 2 workers.',
      'Each delivery is a virtual-time event (heap push and pop, a MAD view, a cache look-up): the engine handles events one at a time, which bounds the cache-check rate far below the 100e6 target.',
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
