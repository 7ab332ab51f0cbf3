// The closed forms of bench/closed-forms.ts: structure counted by brute force on small generated
// scenarios, every check holding on real runs, and a doctored count caught with its name.
import test from 'ava';
import { generateScenario } from '../core/scenario/generator.js';
import { SCHEMES } from '../core/scenario/scenario.js';
import { defaultCostModel, withOverrides } from '../core/engine/cost-model.js';
import { LatencyHistogram } from '../core/metrics/latency-histogram.js';
import {
  checkSingleMigration,
  checkStorm,
  hostsCaching,
  inDegrees,
  singleMigrationForm,
  singleMigrationUnsaturated,
  stormForm,
  stormRegime,
  SM_MADS_PER_MOVE,
} from '../bench/closed-forms.js';
import { closedFormFailures, closedFormTargets, runScheme } from '../bench/schemes.bench.js';

test.before(async () => {
  await LatencyHistogram.ready();
});

const small = { seed: 7, hosts: 10, vmsPerHost: 3, peersPerVm: 3 } as const;

test('deg(x) and H_x match a brute-force count of the peer lists', (t) => {
  const s = generateScenario({ ...small, migrationPattern: 'single' });
  const deg = inDegrees(s);
  let total = 0;
  for (let x = 0; x < s.vms; x++) {
    const holders: number[] = [];
    for (let v = 0; v < s.vms; v++) {
      const peers = Array.from(s.peerList.subarray(s.peerStart[v]!, s.peerStart[v + 1]!));
      if (peers.includes(x)) holders.push(v);
    }
    t.is(deg[x], holders.length, `deg(${x})`);
    t.is(hostsCaching(s, x), new Set(holders.map((v) => s.vmHost[v])).size, `H_${x}`);
    total += deg[x]!;
  }
  t.is(total, s.peerList.length, 'every cached path is one in-edge');
});

test('single-migration forms follow DESIGN.md per scheme', (t) => {
  const s = generateScenario({ ...small, migrationPattern: 'single' });
  const x = s.migrationVm[0]!;
  const deg = inDegrees(s)[x]!;
  const Hx = hostsCaching(s, x);
  const N = s.vms;
  const H = s.hosts;
  const f = Object.fromEntries(SCHEMES.map((k) => [k, singleMigrationForm(s, k, x)]));
  t.like(f['per-vguid'], { reports: N, forwards: 0, cacheChecks: N, cacheUpdates: deg, saQueries: 0, informInfoSets: N, smMads: SM_MADS_PER_MOVE + 2 * N });
  t.like(f['per-pf'], { reports: H, forwards: N, cacheChecks: N, cacheUpdates: deg, saQueries: 0, informInfoSets: H, smMads: SM_MADS_PER_MOVE + 2 * H });
  t.like(f['per-pf-interest'], { reports: Hx, forwards: deg, cacheChecks: deg, cacheUpdates: deg, informInfoSets: H, smMads: SM_MADS_PER_MOVE + 2 * Hx });
  for (const k of ['dynamic', 'static-no-signal'] as const) {
    t.like(f[k], { reports: 0, forwards: 0, cacheUpdates: deg, saQueries: deg, informInfoSets: 0, smMads: SM_MADS_PER_MOVE + 2 * deg });
  }
});

test('every closed form holds on a real one-migration run (setup by MADs), for every scheme', (t) => {
  const s = generateScenario({ ...small, migrationPattern: 'single' });
  const cost = defaultCostModel();
  for (const scheme of SCHEMES) {
    const r = runScheme(s, scheme, { setup: 'mads' });
    const checks = checkSingleMigration(s, scheme, { counters: r.counters, setup: r.setup, reconnections: r.latency.count }, cost);
    t.true(checks.length >= 11, `${scheme}: ${checks.length} checks`);
    t.deepEqual(closedFormFailures(checks), [], scheme);
  }
});

test('storm identities hold on a real storm, for every scheme', (t) => {
  const s = generateScenario({ ...small, migrationPattern: 'storm', migrations: 5, migrationWindowNs: 50_000_000 });
  const f = stormForm(s, 'per-pf');
  const deg = inDegrees(s);
  t.is(f.sumDeg, Array.from(s.migrationVm).reduce((n, x) => n + deg[x]!, 0));
  t.is(f.reports, 5 * s.hosts);
  for (const scheme of SCHEMES) {
    const r = runScheme(s, scheme, { setup: 'mads' });
    const m = { counters: r.counters, setup: r.setup, reconnections: r.latency.count };
    const checks = checkStorm(s, scheme, m);
    t.deepEqual(closedFormFailures(checks), [], scheme);
    t.is(typeof stormRegime(s, scheme, m), 'string');
  }
});

test('a doctored count is a failed check that names the count, the formula and both values', (t) => {
  const s = generateScenario({ ...small, migrationPattern: 'single' });
  const cost = defaultCostModel();
  const r = runScheme(s, 'per-pf', { setup: 'direct' });
  const counters = { ...r.counters, smSentReport: r.counters.smSentReport + 1 };
  const checks = checkSingleMigration(s, 'per-pf', { counters, setup: r.setup, reconnections: r.latency.count }, cost, { setupByMads: false });
  const failures = closedFormFailures(checks);
  t.deepEqual(failures, [
    `per-pf single: Reports sent by the SM: closed form H = ${s.hosts}, measured ${s.hosts + 1} (must be equal)`,
    `per-pf single: SM MADs: closed form 6 + 2·H = ${6 + 2 * s.hosts}, measured ${7 + 2 * s.hosts} (must be equal)`,
  ]);
  const targets = closedFormTargets(checks);
  t.is(targets.length, 1);
  t.false(targets[0]!.met);
  t.regex(targets[0]!.name, /^closed form: per-pf, one migration/);
});

test('the saturation regime: a slow SM lets the RC timeout win, and SA queries become a bound', (t) => {
  const s = generateScenario({ ...small, migrationPattern: 'single' });
  // 30 VMs subscribed per-vguid: 30 Reports x 20 ms = 600 ms on the SM's transmit path, past the 470 ms RC detection.
  const slow = withOverrides(defaultCostModel(), { smServiceNs: 20_000_000 });
  t.false(singleMigrationUnsaturated(s, 'per-vguid', slow));
  t.true(singleMigrationUnsaturated(s, 'per-vguid', defaultCostModel()));
  const r = runScheme(s, 'per-vguid', { cost: slow, setup: 'direct' });
  const checks = checkSingleMigration(s, 'per-vguid', { counters: r.counters, setup: r.setup, reconnections: r.latency.count }, slow, { setupByMads: false });
  t.deepEqual(closedFormFailures(checks), []);
  t.true(checks.some((c) => c.relation === 'at most' && /SA PathRecord queries/.test(c.count)));
  t.true(r.counters.vmPeerDetections > 0, 'some peers were repaired by their RC timeout');
});
