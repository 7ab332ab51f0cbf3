// The fast fan-out (Algorithms 2 and 3 in one pass): the same counts and the same reconnection
// latencies as the reference model that hands every VF its own delivery event, with events only
// for the VMs whose cache changes; and the one-pass check (cache summaries, then the path-cache
// probe) finds exactly the VMs a per-VM look-up finds.
import test from 'ava';
import { generateScenario } from '../core/scenario/generator.js';
import type { Scenario } from '../core/scenario/scenario.js';
import { EmulatedSubnet, runSingleThread } from '../core/engine/single-thread-run.js';
import { ArrayLatencyRecorder } from '../core/metrics/latency-recorder.js';
import { Counter } from '../core/metrics/counters.js';
import { TrapNumber } from '../core/mad/constants.js';
import { Xoshiro128 } from '../core/random.js';
import { handScenario, inDegree } from './patent-fixtures.js';

const SCENARIOS: Array<[string, () => Scenario]> = [
  ['uniform storm', () => generateScenario({ seed: 11, hosts: 12, slotsPerHost: 8, vmsPerHost: 4, peersPerVm: 3, migrations: 6 })],
  ['tenant evacuation', () => generateScenario({ seed: 5, hosts: 10, slotsPerHost: 8, vmsPerHost: 3, spareHosts: 2, peersPerVm: 4, commPattern: 'tenant', tenantSize: 6, migrationPattern: 'evacuate' })],
  ['ring rolling', () => generateScenario({ seed: 9, hosts: 8, slotsPerHost: 6, vmsPerHost: 2, spareHosts: 1, peersPerVm: 2, commPattern: 'ring', migrationPattern: 'rolling', rollingHosts: 2 })],
  ['dense storm', () => generateScenario({ seed: 3, hosts: 6, slotsPerHost: 40, vmsPerHost: 32, peersPerVm: 8, migrations: 12 })],
];

for (const [name, make] of SCENARIOS) {
  for (const scheme of ['per-pf', 'per-pf-interest'] as const) {
    test(`${name}, ${scheme}: fast fan-out gives the counts and latencies of per-VF delivery`, (t) => {
      const s = make();
      const fastLat = new ArrayLatencyRecorder();
      const refLat = new ArrayLatencyRecorder();
      const fast = runSingleThread(s, scheme, { latency: fastLat });
      const ref = runSingleThread(s, scheme, { latency: refLat, perVfDelivery: true });
      t.deepEqual(fast.counters, ref.counters);
      t.deepEqual(fast.setup, ref.setup);
      t.deepEqual(Array.from(fastLat.values()), Array.from(refLat.values()), 'same latencies, same order');
      t.is(fast.virtualTimeNs, ref.virtualTimeNs);
      t.true(fast.counters.vmCacheChecks > 0);
      t.is(fast.counters.vmCacheChecks, fast.counters.dom0NoticeForwards);
      t.is(fast.counters.staleEntries, 0);
      // Events only for what happens next: per-VF delivery costs one event per forward, the fast
      // fan-out one per cache change (at most the updates; some updates come from PathRecord answers).
      t.true(ref.events - fast.events >= fast.counters.dom0NoticeForwards - fast.counters.vmCacheUpdates, `${ref.events} vs ${fast.events}`);
    });
  }
}

test('one migration, per-pf: N forwards and checks, deg(x) updates, one event per update', (t) => {
  const hosts = 6;
  const vmsPerHost = 30;
  const s = handScenario({ hosts, vmsPerHost, peers: (v, n) => [(v + 1) % n, (v + 7) % n, (v + 31) % n], migrations: [[40, 5, 1000]] });
  const N = hosts * vmsPerHost;
  const r = runSingleThread(s, 'per-pf', { setup: 'direct' });
  const c = r.counters;
  t.is(c.smSentReport, hosts);
  t.is(c.dom0NoticeForwards, N);
  t.is(c.vmCacheChecks, N);
  t.is(c.vmNoticesReceived, N);
  t.is(c.vmCacheUpdates, inDegree(s, 40));
  t.is(c.vmConnectionsRestored, inDegree(s, 40));
  t.is(c.staleEntries, 0);
  // The migration phase handles a few events per host and per update, never one per VF.
  t.true(r.events < N / 2, `events ${r.events} for ${N} checks`);
});

test('the one-pass check finds exactly the VMs whose cache differs (RePath) or holds the vGUID (UnPath)', (t) => {
  const s = generateScenario({ seed: 21, hosts: 16, slotsPerHost: 40, vmsPerHost: 32, peersPerVm: 8, migrations: 1 });
  const subnet = new EmulatedSubnet(s, 'per-pf');
  subnet.setup('direct');
  const vms = subnet.vms;
  const pc = vms.pathCache;
  const rng = new Xoshiro128(77, 1);
  // Drop some entries so summaries hold stale bits (a removal outside the agent keeps them).
  for (let i = 0; i < 200; i++) {
    const v = rng.nextInt(s.vms);
    const e = s.peerStart[v]! + rng.nextInt(s.peerStart[v + 1]! - s.peerStart[v]!);
    const x = s.peerList[e]!;
    pc.remove(v, vms.guidHigh[x]!, vms.guidLow[x]!);
  }
  const list = new Int32Array(128);
  const hits = new Int32Array(128);
  let total = 0;
  for (let round = 0; round < 400; round++) {
    const n = 1 + rng.nextInt(128);
    for (let i = 0; i < n; i++) list[i] = rng.nextInt(s.vms);
    const x = rng.nextInt(s.vms);
    const gh = vms.guidHigh[x]!;
    const gl = vms.guidLow[x]!;
    const unpath = round % 4 === 0;
    const newLid = rng.nextInt(3) === 0 ? pc.lookup(list[0]!, gh, gl) : 1 + rng.nextInt(0xbffe);
    const before = subnet.counters.v[Counter.vmCacheChecks]!;
    const k = vms.checkForwarded(list, n, unpath ? TrapNumber.UnPath : TrapNumber.RePath, gh, gl, newLid, hits);
    t.is(subnet.counters.v[Counter.vmCacheChecks]! - before, n);
    const expected: number[] = [];
    for (let i = 0; i < n; i++) {
      const d = pc.lookup(list[i]!, gh, gl);
      if (d >= 0 && (unpath || d !== newLid)) expected.push(i);
    }
    t.deepEqual(Array.from(hits.subarray(0, k)), expected, `round ${round}`);
    total += k;
  }
  t.true(total > 50, `hits found: ${total}`);
});
