// DESIGN.md's exact counts for one migration, for every scheme, split by MAD kind, computed
// from the closed forms (H hosts, V VMs per host, N = H*V, deg(x), H_x), never from output.
import test from 'ava';
import { runSingleThread } from '../core/engine/single-thread-run.js';
import { SCHEMES } from '../core/scenario/scenario.js';
import { isSignalling, schemeConfig } from '../core/schemes.js';
import { ArrayLatencyRecorder } from '../core/metrics/latency-recorder.js';
import { defaultCostModel, rcDetectionNs } from '../core/engine/cost-model.js';
import { handScenario, hostsCaching, inDegree } from './patent-fixtures.js';

interface Shape {
  name: string;
  hosts: number;
  vmsPerHost: number;
  peers?: (v: number, n: number) => number[];
  x: number;
  dest: number;
}

const shapes: Shape[] = [
  // The brief's small scenario: 4 hosts x 3 VMs, everyone peers with everyone, one migration.
  { name: 'all-to-all 4x3', hosts: 4, vmsPerHost: 3, x: 0, dest: 2 },
  // Sparse peers so that deg(x) < N - 1 and H_x < H: v talks to v+1 and v+4 (mod N).
  { name: 'sparse 5x4', hosts: 5, vmsPerHost: 4, peers: (v, n) => [(v + 1) % n, (v + 4) % n], x: 6, dest: 4 },
];

for (const shape of shapes) {
  for (const scheme of SCHEMES) {
    test(`${shape.name}: ${scheme} counts match the closed forms`, (t) => {
      const s = handScenario({
        hosts: shape.hosts,
        vmsPerHost: shape.vmsPerHost,
        ...(shape.peers ? { peers: shape.peers } : {}),
        migrations: [[shape.x, shape.dest, 1000]],
      });
      const H = shape.hosts;
      const N = shape.hosts * shape.vmsPerHost;
      const deg = inDegree(s, shape.x);
      const Hx = hostsCaching(s, shape.x);
      const edges = s.peerList.length;
      const latency = new ArrayLatencyRecorder();
      const r = runSingleThread(s, scheme, { setup: 'mads', latency });
      const c = r.counters;
      const setup = r.setup;
      const cfg = schemeConfig(scheme);

      // Setup: N GUIDInfoRecord Sets, subscriptions, one PathRecord per peer edge; all answered.
      t.is(setup.smRecvGuidInfoRecord, N);
      t.is(setup.smSentGuidInfoRecordResp, N);
      const subs = scheme === 'per-vguid' ? N : scheme === 'per-pf' || scheme === 'per-pf-interest' ? H : 0;
      t.is(setup.smRecvInformInfo, subs);
      t.is(setup.smSentInformInfoResp, subs);
      t.is(setup.fabricInformInfo, 2 * subs);
      t.is(setup.smRecvPathRecord, edges);
      t.is(setup.smSentPathRecordResp, edges);
      t.is(setup.vmCacheInserts, edges);
      t.is(setup.staleEntries, 0);

      // The migration itself: trap "migrating", Delete at the source, Set at the destination.
      t.is(c.migrations, 1);
      t.is(c.smRecvTrap, 1);
      t.is(c.smSentTrapRepress, 1);
      t.is(c.smRecvGuidInfoRecord, 2);
      t.is(c.smSentGuidInfoRecordResp, 2);
      t.is(c.fabricGuidInfoRecord, 4);
      t.is(c.smMigrations, cfg.dynamicGuids ? 0 : 1);

      const reports = scheme === 'per-vguid' ? N : scheme === 'per-pf' ? H : scheme === 'per-pf-interest' ? Hx : 0;
      t.is(c.smSentReport, reports, 'Reports sent by the SM');
      t.is(c.smRecvReportResp, reports, 'ReportResps received by the SM');
      t.is(c.fabricReport, reports);
      t.is(c.fabricReportResp, reports);
      t.is(c.smSentReportRetry, 0);
      t.is(c.smReportsAbandoned, 0);
      t.is(c.smRecvInformInfo, 0);

      const forwards = scheme === 'per-pf' ? N : scheme === 'per-pf-interest' ? deg : 0;
      t.is(c.dom0NoticeForwards, forwards, 'Dom0 forwards');
      const checks = scheme === 'per-vguid' || scheme === 'per-pf' ? N : scheme === 'per-pf-interest' ? deg : 0;
      t.is(c.vmCacheChecks, checks, 'VM cache checks');
      t.is(c.vmCacheUpdates, deg, 'cache updates = deg(x)');
      t.is(c.vmConnectionsBroken, deg);
      t.is(c.vmConnectionsRestored, deg);
      t.is(latency.count, deg, 'one reconnection latency per affected peer');
      for (const v of latency.values()) t.true(v > 0);

      if (scheme === 'per-vguid') {
        // Reports are GSI-demultiplexed to each VF; each VF's ReportResp leaves through the PF.
        t.is(c.dom0DemuxToVf, N);
        t.is(c.dom0VfTunnelOut, N);
      }
      if (isSignalling(scheme)) {
        t.is(c.smRecvPathRecord, 0);
        t.is(c.vmSaQueries, 0);
      } else {
        t.is(c.vmPeerDetections, deg);
        t.is(c.smRecvPathRecord, deg, 'SA PathRecord queries = deg(x)');
        t.is(c.smSentPathRecordResp, deg);
        t.is(c.vmSaQueries, deg);
        t.is(c.fabricPathRecord, 2 * deg);
        t.is(c.dom0VfTunnelOut, deg);
        t.is(c.vmAddressResolutions, scheme === 'dynamic' ? deg : 0);
        t.is(c.vmCacheRemovals, scheme === 'dynamic' ? deg : 0, 'dynamic drops the old vGUID entries');
      }
      t.is(c.staleEntries, 0, 'every cache agrees with the SM');
      t.is(c.cacheEntries, edges);
      t.is(
        c.fabricMads,
        c.fabricReport + c.fabricReportResp + c.fabricInformInfo + c.fabricPathRecord + c.fabricGuidInfoRecord + c.fabricTrap + c.fabricOther,
      );
    });
  }
}

test('direct setup gives the same migration counts as setup by MADs', (t) => {
  const s = handScenario({ hosts: 4, vmsPerHost: 3, migrations: [[1, 3, 500]] });
  for (const scheme of SCHEMES) {
    const a = runSingleThread(s, scheme, { setup: 'mads' }).counters;
    const b = runSingleThread(s, scheme, { setup: 'direct' }).counters;
    for (const k of ['smSentReport', 'smRecvReportResp', 'dom0NoticeForwards', 'vmCacheChecks', 'vmCacheUpdates', 'vmSaQueries', 'staleEntries'] as const) {
      t.is(b[k], a[k], `${scheme} ${k}`);
    }
  }
});

test('the same seed and scenario give identical counters and latencies', (t) => {
  const s = handScenario({ hosts: 4, vmsPerHost: 3, migrations: [[0, 2, 1000], [5, 0, 1000], [7, 3, 2000]] });
  for (const scheme of SCHEMES) {
    const a = runSingleThread(s, scheme);
    const b = runSingleThread(s, scheme);
    t.deepEqual(a.counters, b.counters);
    t.deepEqual(
      Array.from((a.latency as ArrayLatencyRecorder).values()),
      Array.from((b.latency as ArrayLatencyRecorder).values()),
    );
  }
});

test('an unknown scheme name is refused with the name in the message', (t) => {
  const s = handScenario({ hosts: 2, vmsPerHost: 1 });
  const e = t.throws(() => runSingleThread(s, 'per-host'));
  t.regex(e!.message, /per-host/);
});

test('the full unicast LID space: the SM shares host 0\'s port and LID, counts still exact', (t) => {
  const H = 49151;
  const s = handScenario({
    hosts: H,
    vmsPerHost: 1,
    slotsPerHost: 2,
    peers: (v, n) => [(v + 1) % n],
    migrations: [
      [1, 0, 1000], // onto the SM's own host
      [H - 1, 5, 1000],
    ],
  });
  const r = runSingleThread(s, 'per-pf', { setup: 'mads' });
  t.is(r.setup.smRecvInformInfo, H);
  t.is(r.setup.vmCacheInserts, H, 'every path resolved at setup (requests paced at the SA rate)');
  t.is(r.setup.dom0RequestRetries, 0);
  const c = r.counters;
  t.is(c.smSentReport, 2 * H);
  t.is(c.smRecvReportResp, 2 * H);
  t.is(c.dom0NoticeForwards, 2 * H);
  t.is(c.vmCacheUpdates, 2);
  // The SM sends 2H Reports one after another (smServiceNs each). VM H-2, the peer of the second
  // migrant, sits on the last host of the subscription list, so its Report leaves about
  // (2H - 1) x smServiceNs after the second Set; if that is later than the RC detection time
  // (counted from the detach, migrationDowntimeNs earlier), its RC timeout fires first and the
  // RC fallback repairs it with a PathRecord query instead.
  const cost = defaultCostModel();
  const late = cost.migrationDowntimeNs + (2 * H - 1) * cost.smServiceNs > rcDetectionNs(cost) ? 1 : 0;
  t.is(c.vmPeerDetections, late);
  t.is(c.vmSaQueries, late);
  t.is(c.staleEntries, 0);
  t.is(c.cacheEntries, H);
});
