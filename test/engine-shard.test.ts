// The sharded engine (core/engine/shard): runs with their VMs split across 1, 2 and 4 shard
// workers (per-pf, per-pf-interest; static-no-signal and dynamic on 2 and 3, with loss too)
// give the one-thread engine's counters, event count, virtual
// time and byte-identical .hgrm, on scenarios whose peers and migrations cross shards; the
// record ring wraps and applies back-pressure; VMs that query the SA mid-run are synchronised
// at the horizon; a run whose VMs drop cache entries (UnPath) is redone on one thread, saying why.
import test from 'ava';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { generateScenario } from '../core/scenario/generator.js';
import type { Scenario } from '../core/scenario/scenario.js';
import { runTasks } from '../core/engine/run-schemes.js';
import { runSchemeTask, type SchemeOutcome, type SchemeTask } from '../core/engine/scheme-run.js';
import { runShardedTask, vmOwners } from '../core/engine/shard/sharded-run.js';
import { RecordRing } from '../core/engine/shard/record-ring.js';
import { LatencyHistogram } from '../core/metrics/latency-histogram.js';
import { Counter } from '../core/metrics/counters.js';
import { sameOutcome } from './support/same-outcome.js';

const SCENARIOS: Array<[string, () => Scenario]> = [
  ['uniform storm', () => generateScenario({ seed: 4, hosts: 32, slotsPerHost: 24, vmsPerHost: 20, peersPerVm: 6, migrations: 8 })],
  ['tenant evacuation', () => generateScenario({ seed: 5, hosts: 10, slotsPerHost: 8, vmsPerHost: 3, spareHosts: 2, peersPerVm: 4, commPattern: 'tenant', tenantSize: 6, migrationPattern: 'evacuate' })],
  ['ring rolling', () => generateScenario({ seed: 9, hosts: 8, slotsPerHost: 6, vmsPerHost: 2, spareHosts: 1, peersPerVm: 2, commPattern: 'ring', migrationPattern: 'rolling', rollingHosts: 2 })],
  // A peer in transit misses its partner's notice: its RC failure is detected and it asks the SA
  // during the run (shard -> main Sends at a Sync, the answer back as a Deliver record).
  ['storm with RC detection', () => generateScenario({ seed: 11, hosts: 12, slotsPerHost: 8, vmsPerHost: 4, peersPerVm: 3, migrations: 6 })],
];

// One warm pool for the sharded runs of this file; they run one after another (test.serial):
// a sharded run needs all its shard threads at once.
const POOL_THREADS = 4;
let pool: Piscina;

test.before(async () => {
  await LatencyHistogram.ready();
  pool = new Piscina({ filename: fileURLToPath(new URL('../workers/scheme-worker.js', import.meta.url)), minThreads: 0, maxThreads: POOL_THREADS, idleTimeout: 60_000 });
});

test.after.always(async () => {
  await pool.destroy();
});

async function sharded(tasks: readonly SchemeTask[], workers: number): Promise<SchemeOutcome[]> {
  const outs: SchemeOutcome[] = [];
  for (const task of tasks) outs.push(await runShardedTask(task, workers, pool));
  return outs;
}

for (const [index, [name, make]] of SCENARIOS.entries()) {
  const counts = index < 2 ? [1, 2, 4] : [2];
  test.serial(`${name}: VMs on ${counts.join(', ')} shards give the one-thread counts, events, time and .hgrm`, async (t) => {
    const s = make();
    // The split really splits: peers and migrations cross shard boundaries at 2 shards.
    const owner = vmOwners(s, 2);
    let crossPeers = 0;
    for (let v = 0; v < s.vms; v++) for (let e = s.peerStart[v]!; e < s.peerStart[v + 1]!; e++) if (owner[s.peerList[e]!] !== owner[v]) crossPeers++;
    t.true(crossPeers > 0, 'peers across shards');
    let crossMoves = 0;
    for (let i = 0; i < s.migrationVm.length; i++) {
      if (Math.floor((s.migrationDestHost[i]! * 2) / s.hosts) !== owner[s.migrationVm[i]!]) crossMoves++;
    }
    t.true(crossMoves > 0, 'migrations to hosts of the other shard');
    const tasks: SchemeTask[] = [
      { scenario: s, scheme: 'per-pf' },
      { scenario: s, scheme: 'per-pf-interest' },
    ];
    const refs = tasks.map((task) => runSchemeTask(task));
    t.true(refs[0]!.counters[Counter.vmConnectionsRestored]! > 0, 'connections were restored');
    for (const workers of counts) {
      const outs = await sharded(tasks, workers);
      for (let i = 0; i < tasks.length; i++) {
        const o = outs[i]!;
        t.is(o.shardFallback ?? '', '', `${tasks[i]!.scheme}: not redone on one thread`);
        t.is(o.shards, workers, `${tasks[i]!.scheme}: ${workers} shards`);
        sameOutcome(t, o, refs[i]!, `${tasks[i]!.scheme}, ${workers} workers`);
      }
    }
  });
}

test.serial('a ring smaller than one batch wraps and makes the main thread wait: same results', async (t) => {
  const s = SCENARIOS[0]![1]();
  const task: SchemeTask = { scenario: s, scheme: 'per-pf', setup: 'direct' };
  const ref = runSchemeTask(task);
  const o = await runShardedTask(task, 2, pool, { ringWords: 300 });
  t.is(o.shards, 2);
  sameOutcome(t, o, ref, 'ring of 300 words');
});

test('the RC-detection storm really has VMs querying the SA mid-run', (t) => {
  const ref = runSchemeTask({ scenario: SCENARIOS[3]![1](), scheme: 'per-pf' });
  t.true(ref.counters[Counter.vmPeerDetections]! > 0);
  t.true(ref.counters[Counter.vmPathRecordAnswers]! > 0);
});

test.serial('per-pf-interest: a run whose VMs drop cache entries (UnPath) is redone on one thread, saying why', async (t) => {
  // Parked records expire before the VMs arrive (trapExpiryNs < migration downtime): UnPath.
  const s = SCENARIOS[0]![1]();
  const task: SchemeTask = { scenario: s, scheme: 'per-pf-interest', cost: { trapExpiryNs: 50_000_000 } };
  const ref = runSchemeTask(task);
  t.true(ref.counters[Counter.vmCacheRemovals]! > 0, 'the scenario has UnPath removals');
  const [o] = await sharded([task], 2);
  t.is(o!.shards, 0);
  t.regex(o!.shardFallback ?? '', /UnPath/);
  sameOutcome(t, o!, ref, 'fallback');
});

test.serial('static-no-signal and dynamic (every peer queries the SA mid-run), lossless and at 2% loss, on 2 and 3 shards', async (t) => {
  const s = SCENARIOS[0]![1]();
  const tasks: SchemeTask[] = [
    { scenario: s, scheme: 'static-no-signal' },
    { scenario: s, scheme: 'dynamic' },
    { scenario: s, scheme: 'per-pf', cost: { lossProbability: 0.02 } },
    { scenario: s, scheme: 'dynamic', cost: { lossProbability: 0.02 } },
  ];
  const refs = tasks.map((task) => runSchemeTask(task));
  t.true(refs[0]!.counters[Counter.smRecvPathRecord]! > 0, 'VMs asked the SA');
  t.true(refs[2]!.counters[Counter.fabricDropped]! > 0, 'MADs were lost');
  for (const workers of [2, 3]) {
    const outs = await sharded(tasks, workers);
    for (let i = 0; i < tasks.length; i++) {
      t.is(outs[i]!.shards, workers, `${tasks[i]!.scheme}: sharded`);
      sameOutcome(t, outs[i]!, refs[i]!, `${tasks[i]!.scheme}${tasks[i]!.cost ? ' (loss)' : ''}, ${workers} workers`);
    }
  }
});

test.serial('per-vguid is not sharded: runTasks runs it whole, the sharded run refuses it by name', async (t) => {
  const s = SCENARIOS[2]![1]();
  await t.throwsAsync(runShardedTask({ scenario: s, scheme: 'per-vguid' }, 1, pool), { message: /scheme: "per-vguid" is not one of per-pf, per-pf-interest, static-no-signal, dynamic/ });
  const task: SchemeTask = { scenario: s, scheme: 'per-vguid' };
  const [o] = await runTasks([task], 2);
  t.is(o!.shards ?? 0, 0);
  sameOutcome(t, o!, runSchemeTask(task), 'per-vguid whole on a worker');
  t.throws(() => vmOwners(s, 0), { message: /shards: 0/ });
});

test('record ring: records wrap around in order; a stopped reader fails the writer instead of hanging it', (t) => {
  const w = new RecordRing(64);
  const r = new RecordRing(w.toShared());
  let next = 0;
  let read = 0;
  for (let round = 0; round < 50; round++) {
    for (let k = 0; k < 3; k++) {
      w.begin(7);
      for (let i = 0; i < 7; i++) w.put(next++);
      w.end();
    }
    w.publish();
    for (let k = 0; k < 3; k++) {
      r.waitForData();
      for (let i = 0; i < 7; i++) t.is(r.take(), read++) || t.fail(`word ${read}`);
      r.doneRecord();
    }
  }
  t.is(read, 50 * 3 * 7);
  t.throws(() => w.begin(64), { message: /64 words do not fit a ring of 64/ });
  r.markStopped();
  t.throws(() => {
    for (let k = 0; k < 20; k++) {
      w.begin(7);
      for (let i = 0; i < 7; i++) w.put(0);
      w.end();
    }
  }, { message: /reader has stopped/ });
  t.throws(() => new RecordRing(10), { message: /capacity: 10/ });
});
