// The engine's worker runs: every scheme of several scenarios gives identical counters and
// byte-identical latency histograms (.hgrm) on this thread and on 1, 2 and 4 Piscina workers,
// equal to the one-thread runSingleThread; outcomes merge (counters summed, histograms merged).
// With workers >= 1 every scheme but per-vguid is sharded (its VMs across the workers; VMs query
// the SA mid-run in static-no-signal, dynamic and in 'uniform storm' under per-pf);
// test/engine-shard.test.ts checks that they really ran sharded.
import test from 'ava';
import { generateScenario } from '../core/scenario/generator.js';
import { SCHEMES, type Scenario } from '../core/scenario/scenario.js';
import { runSchemes, runTasks, mergeOutcomes, pcapPathFor } from '../core/engine/run-schemes.js';
import { runSchemeTask } from '../core/engine/scheme-run.js';
import { runSingleThread } from '../core/engine/single-thread-run.js';
import { LatencyHistogram } from '../core/metrics/latency-histogram.js';
import { ArrayLatencyRecorder } from '../core/metrics/latency-recorder.js';
import { Counter, COUNTER_NAMES } from '../core/metrics/counters.js';

const SCENARIOS: Array<[string, () => Scenario]> = [
  ['uniform storm', () => generateScenario({ seed: 11, hosts: 12, slotsPerHost: 8, vmsPerHost: 4, peersPerVm: 3, migrations: 6 })],
  ['tenant evacuation', () => generateScenario({ seed: 5, hosts: 10, slotsPerHost: 8, vmsPerHost: 3, spareHosts: 2, peersPerVm: 4, commPattern: 'tenant', tenantSize: 6, migrationPattern: 'evacuate' })],
  ['ring rolling', () => generateScenario({ seed: 9, hosts: 8, slotsPerHost: 6, vmsPerHost: 2, spareHosts: 1, peersPerVm: 2, commPattern: 'ring', migrationPattern: 'rolling', rollingHosts: 2 })],
];

for (const [name, make] of SCENARIOS) {
  test(`${name}: workers 0, 1, 2, 4 give identical counters and .hgrm for every scheme`, async (t) => {
    const scenario = make();
    const runs = [];
    for (const workers of [0, 1, 2, 4]) runs.push(await runSchemes(scenario, SCHEMES, { workers }));
    const base = runs[0]!;
    t.deepEqual(base.results.map((r) => r.report.scheme), [...SCHEMES], 'reports come back in the order asked');
    for (const run of runs.slice(1)) {
      for (let i = 0; i < SCHEMES.length; i++) {
        const a = base.results[i]!;
        const b = run.results[i]!;
        t.deepEqual(b.report.counters, a.report.counters, `${SCHEMES[i]} counters, workers ${run.workers}`);
        t.deepEqual(b.report.setupCounters, a.report.setupCounters, `${SCHEMES[i]} setup counters, workers ${run.workers}`);
        t.is(b.report.engine.events, a.report.engine.events);
        t.is(b.report.engine.virtualTimeNs, a.report.engine.virtualTimeNs);
        t.is(b.hgrm, a.hgrm, `${SCHEMES[i]} .hgrm, workers ${run.workers}`);
      }
    }
    // The same as the plain one-thread run, sample for sample.
    for (let i = 0; i < SCHEMES.length; i++) {
      const recorder = new ArrayLatencyRecorder();
      const one = runSingleThread(scenario, SCHEMES[i]!, { latency: recorder });
      t.deepEqual(base.results[i]!.report.counters, one.counters, `${SCHEMES[i]} equals runSingleThread`);
      const h = new LatencyHistogram();
      for (const v of recorder.values()) h.record(v);
      t.is(base.results[i]!.hgrm, h.toHgrm());
      t.is(base.results[i]!.report.reconnectionLatencyUs.count, recorder.count);
      h.destroy();
    }
    const signalled = base.results.filter((r) => ['per-vguid', 'per-pf', 'per-pf-interest'].includes(r.report.scheme));
    for (const r of signalled) t.is(r.report.staleEntries, 0, `${r.report.scheme} converges`);
    t.true(base.results.some((r) => r.report.reconnectionLatencyUs.count > 0), 'some connection was restored');
  });
}

test('report figures are the counters they name', async (t) => {
  const scenario = SCENARIOS[0]![1]();
  const run = await runSchemes(scenario, ['per-pf'], { workers: 0 });
  const r = run.results[0]!.report;
  const c = r.counters;
  t.is(r.smSent.report, c.smSentReport + c.smSentReportRetry);
  t.is(r.smReceived.reportResp, c.smRecvReportResp);
  t.is(r.dom0Forwards, c.dom0NoticeForwards);
  t.is(r.vmCacheChecks, c.vmCacheChecks);
  t.is(r.fabricMads, c.fabricMads);
  t.is(r.migrations, 6);
  // per-pf, every host subscribed, no loss: one Report per host per migration, each answered.
  t.is(c.smSentReport, scenario.hosts * 6);
  t.is(c.smRecvReportResp, scenario.hosts * 6);
  t.true(r.engine.peakRssBytes > 0);
});

test('mergeOutcomes sums counters and merges histograms across tasks', async (t) => {
  await LatencyHistogram.ready();
  const tasks = [1, 2, 3].map((seed) => ({
    scenario: generateScenario({ seed, hosts: 8, slotsPerHost: 4, vmsPerHost: 2, peersPerVm: 2, migrations: 3 }),
    scheme: 'per-pf' as const,
  }));
  const parallel = await runTasks(tasks, 2);
  const serial = tasks.map((task) => runSchemeTask(task));
  const merged = mergeOutcomes(parallel);
  for (let i = 0; i < COUNTER_NAMES.length; i++) {
    t.is(merged.counters.v[i], serial.reduce((s, o) => s + o.counters[i]!, 0), COUNTER_NAMES[i]);
  }
  t.is(merged.events, serial.reduce((s, o) => s + o.events, 0));
  const counts = serial.map((o) => {
    const h = LatencyHistogram.decode(o.histogram);
    const n = h.count;
    h.destroy();
    return n;
  });
  t.is(merged.histogram.count, counts.reduce((a, b) => a + b, 0));
  t.is(merged.histogram.count, merged.counters.v[Counter.vmConnectionsRestored]);
  merged.histogram.destroy();
});

test('pcap paths: one scheme keeps the name, several get the scheme inserted', (t) => {
  t.is(pcapPathFor('/tmp/x/trace.pcap', 'per-pf', 1), '/tmp/x/trace.pcap');
  t.is(pcapPathFor('/tmp/x/trace.pcap', 'per-pf', 2), '/tmp/x/trace.per-pf.pcap');
  t.is(pcapPathFor('/tmp/x.d/trace', 'dynamic', 3), '/tmp/x.d/trace.dynamic');
});

test('workers: a bad count is refused, naming it', async (t) => {
  const scenario = SCENARIOS[0]![1]();
  await t.throwsAsync(runSchemes(scenario, ['per-pf'], { workers: -1 }), { message: /workers: -1/ });
  await t.throwsAsync(runSchemes(scenario, [], { workers: 0 }), { message: /schemes/ });
});
