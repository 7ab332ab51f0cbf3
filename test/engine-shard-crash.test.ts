// A shard worker crashing mid-storm (core/engine/shard/sharded-run.ts): the fault-injection
// option makes shard 1's worker thread end itself (process.exit) at a Sync while the main
// thread waits for its answer; the main thread notices (the worker's exit hook marks its rings
// died), restarts the run from scratch and ends with the undisturbed run's counters, events,
// virtual time and .hgrm, counting the restart. With no restarts left it fails naming the shard.
import test from 'ava';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { generateScenario } from '../core/scenario/generator.js';
import type { SchemeOutcome, SchemeTask } from '../core/engine/scheme-run.js';
import { runShardedTask, vmOwners } from '../core/engine/shard/sharded-run.js';
import { LatencyHistogram } from '../core/metrics/latency-histogram.js';
import { COUNTER_NAMES, Counter } from '../core/metrics/counters.js';

// Peers and migrations cross the 2-shard split; some peers detect RC failures and query the SA
// mid-run, so the main thread Syncs the shards many times during the storm (shard 1 sees 13
// Syncs under per-pf, 23 under per-pf-interest: Sync 3 is mid-storm).
const scenario = generateScenario({ seed: 11, hosts: 12, slotsPerHost: 8, vmsPerHost: 4, peersPerVm: 3, migrations: 6 });

function hgrmOf(o: SchemeOutcome): string {
  const h = LatencyHistogram.decode(o.histogram);
  const s = h.toHgrm();
  h.destroy();
  return s;
}

function same(t: import('ava').ExecutionContext, got: SchemeOutcome, ref: SchemeOutcome, what: string): void {
  t.deepEqual(
    COUNTER_NAMES.map((n, i) => `${n}=${got.counters[i]}`),
    COUNTER_NAMES.map((n, i) => `${n}=${ref.counters[i]}`),
    `${what}: counters`,
  );
  t.deepEqual(Array.from(got.setupCounters), Array.from(ref.setupCounters), `${what}: setup counters`);
  t.is(got.events, ref.events, `${what}: events`);
  t.is(got.virtualTimeNs, ref.virtualTimeNs, `${what}: virtual time`);
  t.is(hgrmOf(got), hgrmOf(ref), `${what}: .hgrm`);
}

// Sharded runs need both shard threads at once: one run at a time (test.serial).
let pool: Piscina;

test.before(async () => {
  await LatencyHistogram.ready();
  pool = new Piscina({ filename: fileURLToPath(new URL('../workers/scheme-worker.js', import.meta.url)), minThreads: 0, maxThreads: 2, idleTimeout: 60_000 });
});

test.after.always(async () => {
  await pool.destroy();
});

test.serial('the scenario crosses shards: peers and migrations between shard 0 and shard 1', (t) => {
  const owner = vmOwners(scenario, 2);
  let crossPeers = 0;
  for (let v = 0; v < scenario.vms; v++) for (let e = scenario.peerStart[v]!; e < scenario.peerStart[v + 1]!; e++) if (owner[scenario.peerList[e]!] !== owner[v]) crossPeers++;
  t.true(crossPeers > 0, 'peers across shards');
  let crossMoves = 0;
  for (let i = 0; i < scenario.migrationVm.length; i++) if (Math.floor((scenario.migrationDestHost[i]! * 2) / scenario.hosts) !== owner[scenario.migrationVm[i]!]) crossMoves++;
  t.true(crossMoves > 0, 'migrations to hosts of the other shard');
});

for (const scheme of ['per-pf', 'per-pf-interest'] as const) {
  test.serial(`${scheme}: shard 1 killed mid-storm, the run restarts and equals an undisturbed run`, async (t) => {
    const task: SchemeTask = { scenario, scheme };
    const ref = await runShardedTask(task, 2, pool);
    t.is(ref.shardRestarts, 0, 'undisturbed: no restart');
    t.is(ref.shardFallback, '', 'undisturbed: not redone on one thread');
    t.true(ref.counters[Counter.vmConnectionsRestored]! > 0, 'connections were restored');
    const got = await runShardedTask(task, 2, pool, { faults: { killShard: 1, atSync: 3 } });
    t.is(got.shardRestarts, 1, 'one restart after the kill');
    t.is(got.shards, 2);
    t.is(got.shardFallback, '');
    same(t, got, ref, `${scheme}, shard 1 killed at Sync 3`);
  });
}

test.serial('a killed shard with no restarts allowed, or every attempt killed, fails naming the shard', async (t) => {
  const task: SchemeTask = { scenario, scheme: 'per-pf' };
  await t.throwsAsync(runShardedTask(task, 2, pool, { maxRestarts: 0, faults: { killShard: 1, atSync: 2 } }), {
    message: /shard 1's worker thread died mid-run .*after 0 restarts, the most allowed \(maxRestarts 0\)/,
  });
  await t.throwsAsync(runShardedTask(task, 2, pool, { maxRestarts: 1, faults: { killShard: 0, atSync: 1, attempts: 5 } }), {
    message: /shard 0's worker thread died mid-run .*after 1 restart, the most allowed \(maxRestarts 1\)/,
  });
  // The pool is still usable afterwards: an undisturbed run completes.
  const o = await runShardedTask(task, 2, pool);
  t.is(o.shardRestarts, 0);
  await t.throwsAsync(runShardedTask(task, 2, pool, { faults: { killShard: 2, atSync: 1 } }), { message: /faults: shard 2 at Sync 1/ });
});
