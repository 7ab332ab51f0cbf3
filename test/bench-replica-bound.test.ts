// bench/replica-bound.ts and SubnetManagerOptions.reportHosts: a replica sends only its own hosts'
// Reports and keeps the transmitter's schedule; replicas' Report counts add up to the whole
// subnet's (no timing is asserted).
import test from 'ava';
import { PARTITIONED_COUNTERS, replicaBound, replicaHosts } from '../bench/replica-bound.js';
import { stormSubnet } from '../bench/critical-path.js';
import { generateScenario } from '../core/scenario/generator.js';
import { defaultCostModel } from '../core/engine/cost-model.js';
import { Counter } from '../core/metrics/counters.js';

const scenario = generateScenario({ seed: 5, hosts: 12, slotsPerHost: 16, vmsPerHost: 10, peersPerVm: 4, migrations: 5 });

test('replicaHosts gives every host to exactly one of n replicas, and names a bad argument', (t) => {
  const n = 3;
  const owners = new Uint8Array(10);
  for (let r = 0; r < n; r++) {
    const mine = replicaHosts(10, r, n);
    mine.forEach((m, h) => (owners[h] += m));
    t.deepEqual([...mine].map((m, h) => (m === 1 ? h : -1)).filter((h) => h >= 0), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].filter((h) => h % n === r));
  }
  t.deepEqual([...owners], new Array(10).fill(1));
  t.throws(() => replicaHosts(10, 3, 3), { message: /replicaHosts r: 3 is not in 0\.\.2/ });
  t.throws(() => replicaHosts(10, 0, 0), { message: /replicaHosts n: 0 is not a positive integer/ });
});

test('reportHosts of every host changes nothing; of no host, no Report is sent but every turn is taken', (t) => {
  const cost = defaultCostModel();
  const whole = stormSubnet(scenario, 'per-pf', cost);
  whole.run();
  const all = stormSubnet(scenario, 'per-pf', cost, new Uint8Array(scenario.hosts).fill(1));
  all.run();
  t.deepEqual([...all.counters.v], [...whole.counters.v]);
  t.true(whole.counters.v[Counter.smSentReport]! > 0);
  const none = stormSubnet(scenario, 'per-pf', cost, new Uint8Array(scenario.hosts));
  none.run();
  t.is(none.counters.v[Counter.smSentReport], 0);
  t.is(none.counters.v[Counter.fabricReport], 0);
  t.is(none.counters.v[Counter.vmCacheChecks], 0);
  // The transmitter served as many Reports, at the same times: its last turn ends when the whole's does.
  t.is(none.sm.reports.tx.busyUntilNs, whole.sm.reports.tx.busyUntilNs);
  t.is(none.counters.v[Counter.smNoticesRePath], whole.counters.v[Counter.smNoticesRePath]);
});

test('reportHosts must have one entry per host', (t) => {
  t.throws(() => stormSubnet(scenario, 'per-pf', defaultCostModel(), new Uint8Array(scenario.hosts - 1)), {
    message: `SubnetManager reportHosts.length: ${scenario.hosts - 1} is not the host count ${scenario.hosts}`,
  });
});

test("replicaBound: the replicas' Report counts add up to the whole subnet's, which are the storm's", (t) => {
  const b = replicaBound(scenario, 'per-pf', {}, 3, 1);
  const whole = stormSubnet(scenario, 'per-pf', defaultCostModel());
  whole.run();
  t.is(b.replicas, 3);
  t.true(b.horizonNs > 0);
  for (const name of PARTITIONED_COUNTERS) {
    const c = b.counts[name];
    t.is(c.replicas.length, 3);
    t.is(c.replicas.reduce((a, x) => a + x, 0), c.whole, name);
  }
  // Up to the last ReportResp the whole subnet has sent and had answered every Report of the storm.
  t.is(b.counts.smSentReport.whole, whole.counters.v[Counter.smSentReport]);
  t.is(b.counts.smRecvReportResp.whole, whole.counters.v[Counter.smSentReport]);
  t.is(b.cacheChecks, whole.counters.v[Counter.vmCacheChecks]);
  t.true(b.counts.smSentReport.replicas.every((n) => n > 0));
  t.true(Number.isFinite(b.speedup) && b.speedup > 0);
  t.true(b.replicaNs.length === 3 && b.sharedNs > 0);
});

test('replicaBound names a storm that sends no Report', (t) => {
  t.throws(() => replicaBound(scenario, 'static-no-signal', {}, 2, 1), { message: /replicaBound: the static-no-signal storm sends no Report/ });
});
