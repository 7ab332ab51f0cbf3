// The SM's queueing (issue 4 item 7, issue 7 item 6): SA requests are answered from their own
// queue while a storm's Reports go out on the transmit path, a subscriber that does not answer
// holds only its own window of Reports, and a request whose re-sends ran out is re-driven, so no
// update is abandoned. The first test reproduces the starvation the 49,151-host per-pf storm
// showed (98 Sets abandoned, 3 stale entries) at 40 hosts: the notice list walk is made as long
// as a 49,151-entry walk x 10 so 100 migrations pile up a second of walking.
import test from 'ava';
import { EmulatedSubnet } from '../core/engine/single-thread-run.js';
import { defaultCostModel, withOverrides } from '../core/engine/cost-model.js';
import { generateScenario } from '../core/scenario/generator.js';
import { SinkRole, type MadSink } from '../core/fabric/transport.js';
import { ServiceQueue } from '../core/sm/service-queue.js';
import type { CounterName } from '../core/metrics/counters.js';
import { handScenario, VM_GUID_HIGH } from './patent-fixtures.js';
import { MadView } from '../core/mad/mad-view.js';
import { Method, PathRecordMask, SaAttr } from '../core/mad/constants.js';
import { InformFields } from '../core/sm/subscriptions.js';
import { informFieldsFrom, subscribeDirect } from '../core/sm/sa-inform-info.js';
import { fillDom0InformInfo } from '../core/dom0/dom0.js';

type Counts = Record<CounterName, number>;

function stormRun(scheme: string, extra: Record<string, number>): { c: Counts; sub: EmulatedSubnet } {
  const s = generateScenario({ seed: 3, hosts: 40, slotsPerHost: 8, vmsPerHost: 4, spareHosts: 0, peersPerVm: 4, migrations: 100, migrationWindowNs: 100_000_000 });
  const sub = new EmulatedSubnet(s, scheme, { cost: withOverrides(defaultCostModel(), extra) });
  sub.setup('direct');
  const before = sub.counters.snapshot();
  sub.scheduleMigrations();
  sub.run();
  sub.countStale();
  return { c: sub.counters.minus(before).toObject(), sub };
}

test('a storm whose notice walks take a second does not starve GUIDInfoRecord Sets: none re-sent or abandoned, 0 stale', (t) => {
  // 40 subscriptions x 250 us = 10 ms of list walk per notice; 100 notices within ~200 ms.
  const { c, sub } = stormRun('per-pf', { smScanPerSubscriptionNs: 250_000 });
  t.is(c.migrations, 100);
  t.is(c.smMigrations, 100, 'every Set reached the SA and was detected as a migration');
  t.is(c.dom0RequestsAbandoned, 0);
  t.is(c.dom0RequestRetries, 0, 'every GUIDInfoRecord request answered within one timeout');
  t.is(c.dom0RequestsRedriven, 0);
  t.is(c.dom0SetsRefused, 0, 'no VM lost its VF');
  t.is(c.smReportsAbandoned, 0);
  t.is(c.smSentReport, 100 * 40, 'per-pf: one Report per host per migration (DESIGN.md)');
  t.is(c.staleEntries, 0);
  // The queues were busy and their peaks are reported.
  t.true(c.smPeakReportQueue > 40, `Reports queued behind the walks: ${c.smPeakReportQueue}`);
  t.true(c.smPeakSaQueue >= 1);
  t.true(c.smPeakSaQueue < 100, `the SA queue held only the requests arriving together: ${c.smPeakSaQueue}`);
  t.true(c.smPeakReportsInFlight >= 1 && c.smPeakReportsInFlight <= 40 * sub.cost.reportWindow);
  t.is(sub.sm.reports.outstanding, 0);
  t.is(sub.sm.reports.activeJobs, 0);
  t.is(sub.sm.reports.backlog, 0);
  t.is(sub.sm.reports.deferred, 0);
  // Deterministic: the same seed gives the same counters.
  t.deepEqual(stormRun('per-pf', { smScanPerSubscriptionNs: 250_000 }).c, c);
});

test('ReportResps cost the SA nothing: during a per-vguid fan-out the SA queue holds only the migration requests', (t) => {
  const { c } = stormRun('per-vguid', {});
  t.is(c.staleEntries, 0);
  t.is(c.smRecvReportResp, c.smSentReport, 'every Report answered');
  t.true(c.smRecvReportResp > 10_000);
  // Thousands of ReportResps arrived while the Deletes, Traps and Sets of 100 migrations were served.
  t.true(c.smPeakSaQueue <= 8, `peak SA queue ${c.smPeakSaQueue}`);
  t.is(c.dom0RequestRetries, 0);
});

/** A sink that swallows everything: a host whose Dom0 has died. */
const blackHole: MadSink = { receive() {} };

test('a subscriber that never answers holds only its own window: the others get every Report, its own are deferred then abandoned', (t) => {
  // Ten migrations 1 us apart, none from, to or within host 1 (its Dom0 is dead: a black hole).
  const moves: [number, number][] = [[0, 2], [6, 4], [9, 5], [12, 6], [15, 7], [18, 0], [21, 2], [1, 3], [7, 5], [10, 6]];
  const s = handScenario({ hosts: 8, vmsPerHost: 3, slotsPerHost: 9, migrations: moves.map(([vm, dest], i) => [vm, dest, 1000 + i * 1000]) });
  const cost = withOverrides(defaultCostModel(), { reportWindow: 2, reportMaxRetries: 1, reportRedriveRounds: 1, reportRespTimeoutNs: 5e6 });
  const sub = new EmulatedSubnet(s, 'per-pf', { cost });
  sub.setup('mads');
  sub.fabric.bind(sub.lids.hostLid[1]!, SinkRole.Host, blackHole);
  const before = sub.counters.snapshot();
  sub.scheduleMigrations();
  sub.run();
  const c = sub.counters.minus(before).toObject();
  t.is(c.smMigrations, 10);
  t.is(c.smSentReport, 10 * 8, 'one Report per host per migration, the dead host included');
  t.is(c.smReportWindowWaits, 10 - 2, 'the dead host had its 2 in flight; its other 8 Reports waited in its own queue');
  t.is(c.smReportsRedriven, 10, 'each of its Reports re-driven once after its round of re-sends');
  t.is(c.smReportsAbandoned, 10, 'then given up: the subscriber is dead');
  t.is(c.smSentReportRetry, 10 * 2, 'one re-send per round');
  t.is(c.smRecvReportResp, 10 * 7, 'every live host answered every Report');
  t.is(c.dom0ReportsReceived, 10 * 7);
  t.is(c.smPeakReportsInFlight <= 7 * 2 + 2, true, 'never more than the windows allow');
  t.is(sub.sm.reports.outstanding, 0);
  t.is(sub.sm.reports.deferred, 0);
  t.is(sub.sm.reports.activeJobs, 0);
  const { stale } = sub.countStale();
  // Only the dead host's three VMs can keep old LIDs: their notices never arrived.
  t.true(stale <= 3 * (s.vms - 1), `stale ${stale}`);
  const live = new EmulatedSubnet(s, 'per-pf', { cost });
  live.setup('mads');
  live.scheduleMigrations();
  live.run();
  t.is(live.countStale().stale, 0, 'the same storm without the dead host converges');
  t.is(live.counters.get('smReportWindowWaits'), 0, 'healthy subscribers never fill their window');
});

test('a Report whose re-sends all got lost is re-driven, not abandoned: 30% Report loss, no update lost', (t) => {
  const run = () => {
    const cost = withOverrides(defaultCostModel(), { lossProbability: 0.3, lossKinds: 1 /* Reports only */, reportMaxRetries: 1 });
    const s = generateScenario({ seed: 5, hosts: 12, slotsPerHost: 6, vmsPerHost: 3, spareHosts: 0, peersPerVm: 3, migrations: 20, migrationWindowNs: 100_000_000 });
    const sub = new EmulatedSubnet(s, 'per-pf', { cost });
    sub.setup('direct');
    const before = sub.counters.snapshot();
    sub.scheduleMigrations();
    sub.run();
    sub.countStale();
    return sub.counters.minus(before).toObject();
  };
  const c = run();
  t.true(c.smReportsRedriven > 0, `a Report lost twice in a row is re-driven (${c.smReportsRedriven})`);
  t.is(c.smReportsAbandoned, 0);
  t.is(c.smRecvReportResp, c.smSentReport, 'every Report answered in the end');
  t.is(c.staleEntries, 0);
  t.deepEqual(run(), c, 'seeded');
});

test('an SA that is silent for a while: Dom0 re-drives the Set after its re-sends ran out, counted; the VM keeps its VF and peers converge', (t) => {
  const s = handScenario({ hosts: 4, vmsPerHost: 2 });
  const sub = new EmulatedSubnet(s, 'per-pf');
  sub.setup('mads');
  const smLid = sub.lids.smLid;
  const before = sub.counters.snapshot();
  sub.migrate(0, 3);
  // The VM leaves at once; it arrives after the downtime. Silence the SA from just before then.
  sub.run(sub.nowNs + sub.cost.migrationDowntimeNs - 1);
  sub.fabric.bind(smLid, SinkRole.Sm, blackHole);
  // Four timeouts (first send + clientMaxRetries re-sends) and into the first re-drive's back-off.
  const silentNs = (sub.cost.clientMaxRetries + 1) * sub.cost.clientRespTimeoutNs + sub.cost.clientRespTimeoutNs;
  sub.run(sub.nowNs + silentNs);
  sub.fabric.bind(smLid, SinkRole.Sm, sub.sm);
  sub.run();
  const c = sub.counters.minus(before).toObject();
  t.true(c.dom0RequestsRedriven >= 1, `re-drives ${c.dom0RequestsRedriven}`);
  t.is(c.dom0RequestsAbandoned, 0);
  t.is(c.dom0SetsRefused, 0);
  t.is(sub.dom0.vmHost[0], 3, 'VM 0 runs at its destination');
  t.is(c.smMigrations, 1, 'the SA saw the re-driven Set and detected the migration');
  t.is(sub.countStale().stale, 0);
});

test('with re-drives turned off the same silence loses the VM (the behaviour before the fix), counted as abandoned', (t) => {
  const s = handScenario({ hosts: 4, vmsPerHost: 2 });
  const sub = new EmulatedSubnet(s, 'per-pf', { cost: withOverrides(defaultCostModel(), { clientRedriveRounds: 0 }) });
  sub.setup('mads');
  const smLid = sub.lids.smLid;
  const before = sub.counters.snapshot();
  sub.migrate(0, 3);
  sub.run(sub.nowNs + sub.cost.migrationDowntimeNs - 1);
  sub.fabric.bind(smLid, SinkRole.Sm, blackHole);
  sub.run(sub.nowNs + (sub.cost.clientMaxRetries + 2) * sub.cost.clientRespTimeoutNs);
  sub.fabric.bind(smLid, SinkRole.Sm, sub.sm);
  sub.run();
  const c = sub.counters.minus(before).toObject();
  t.is(c.dom0RequestsAbandoned, 1);
  t.is(c.dom0RequestsRedriven, 0);
  t.is(sub.dom0.vmHost[0], -1, 'the VF was given up');
});

test('peak queue counters are per phase: resetQueuePeaks starts the migration phase from its own queue', (t) => {
  const s = handScenario({ hosts: 6, vmsPerHost: 2, migrations: [[0, 5, 1000]] });
  const sub = new EmulatedSubnet(s, 'per-pf');
  sub.setup('mads');
  const setup = sub.counters.snapshot().toObject();
  t.true(setup.smPeakSaQueue >= 1, 'setup went through the SA');
  const before = sub.counters.snapshot();
  sub.scheduleMigrations();
  sub.run();
  const c = sub.counters.minus(before).toObject();
  t.true(c.smPeakSaQueue >= 1 && c.smPeakSaQueue <= 3, `migration phase peak ${c.smPeakSaQueue}`);
  t.is(c.smPeakReportQueue, 6, 'one notice owed to 6 subscribers');
});

test('a PathRecord query re-sent while its original still waits at the SA is dropped and counted; the original is answered once', (t) => {
  const sub = new EmulatedSubnet(handScenario({ hosts: 3, vmsPerHost: 2 }), 'static-no-signal');
  sub.setup('direct');
  const v = new MadView().wrapForWrite(new Uint8Array(256));
  v.initSa(Method.Get, SaAttr.PathRecord, 0x77, 3);
  v.componentMaskLow = (1 << PathRecordMask.DGID) | (1 << PathRecordMask.SGID);
  v.pathRecord.dgid.set(0xfe800000, 0, VM_GUID_HIGH, 5);
  v.pathRecord.sgid.set(0xfe800000, 0, VM_GUID_HIGH, 3);
  const before = sub.counters.snapshot();
  const send = () => sub.sm.receive(v.bytes, sub.lids.hostLid[1]!, 1, VM_GUID_HIGH, 3, sub.lids.smLid, 1, 0, 0, sub.nowNs);
  send();
  send(); // the requester's re-send: same bytes, same TID, original not answered yet
  v.pathRecord.dgid.set(0xfe800000, 0, VM_GUID_HIGH, 6);
  send(); // same TID, another request: served
  let d = sub.counters.minus(before).toObject();
  t.is(d.smRecvPathRecord, 3);
  t.is(d.smDuplicateRequests, 1);
  t.is(d.smSentPathRecordResp, 2);
  t.is(d.smPeakSaQueue, 2, 'two queries queued at the PathRecord thread');
  sub.run();
  send(); // answered meanwhile: a new request, served again
  d = sub.counters.minus(before).toObject();
  t.is(d.smDuplicateRequests, 1);
  t.is(d.smSentPathRecordResp, 3);
});

test('per-pf-interest: a notice owed to an asker that was migrating when it went out reaches it on arrival, no RC fallback', (t) => {
  // VM 0 moves at t = 0 (its Set, and RePath, at ~100 ms); its peer VM 2 moves at 50 ms and is in
  // transit (deleted, not yet set) when VM 0's notice fans out; it arrives at ~150 ms.
  const s = handScenario({ hosts: 4, vmsPerHost: 2, migrations: [[0, 3, 0], [2, 0, 50_000_000]] });
  const run = (scheme: string) => {
    const sub = new EmulatedSubnet(s, scheme);
    sub.setup('mads');
    const before = sub.counters.snapshot();
    sub.scheduleMigrations();
    sub.run();
    sub.countStale();
    return { c: sub.counters.minus(before).toObject(), sub };
  };
  const { c, sub } = run('per-pf-interest');
  t.is(c.smMigrations, 2);
  t.true(c.smNoticesOwed >= 1, `owed ${c.smNoticesOwed}`);
  t.is(c.smNoticesOwedDelivered, c.smNoticesOwed, 'every owed notice delivered when its asker arrived');
  t.is(c.vmSaQueries, 0, 'no peer had to fall back to RC detection and a PathRecord query');
  t.is(c.staleEntries, 0);
  t.is(sub.sm.reports.owed, 0);
  t.is(sub.sm.reports.activeJobs, 0);
});

test('ServiceQueue: FIFO completion times, depth and peak', (t) => {
  const q = new ServiceQueue(2);
  t.is(q.serve(0, 10), 10);
  t.is(q.serve(1, 10), 20);
  t.is(q.serve(2, 10), 30, 'grows past its initial capacity');
  t.is(q.depth(2), 3);
  t.is(q.peak, 3);
  t.is(q.depth(20), 1, 'two done by t = 20');
  t.is(q.serve(100, 5), 105, 'idle server starts at once');
  t.is(q.depth(100), 1);
  q.resetPeak();
  t.is(q.peak, 0);
  t.throws(() => new ServiceQueue(0), { message: /initialCapacity: 0/ });
});

// The Report walk remembers, per subscription row, the subscriber's registry id and port-ness
// (core/sm/report-sender.ts, rowKey). A row that now holds another subscriber (an unsubscribe
// moves the last row into its place) must be looked up afresh: every Report of the next notice
// still goes to each remaining subscriber once, named by its own GUID, and none to the one gone.
test('per-vguid: after an unsubscribe moves rows, each Report still reaches its own subscriber once', (t) => {
  const s = generateScenario({ seed: 4, hosts: 6, slotsPerHost: 8, vmsPerHost: 4, peersPerVm: 3 });
  const sub = new EmulatedSubnet(s, 'per-vguid', {});
  sub.setup('direct');
  const sm = sub.sm;
  const fields = new InformFields();
  const probe = new MadView().wrapForWrite(new Uint8Array(256));
  probe.initSa(0x02, SaAttr.InformInfo, 0, 0);
  fillDom0InformInfo(probe, 1);
  informFieldsFrom(probe.informInfo, fields);
  // And one port subscriber (host 2's PF) in the last row, which the unsubscribe below moves into
  // the row of a vGUID subscriber: the walk must not take it for that vGUID.
  subscribeDirect(sm, s.hostPortGuidHigh[2]!, s.hostPortGuidLow[2]!, fields);
  const moveToNextHost = (vm: number) => {
    sub.migrate(vm, (s.vmHost[vm]! + 1) % s.hosts);
    sub.run();
  };
  // A first notice fills the walk's row memory.
  moveToNextHost(5);
  // VM 0 unsubscribes (it stays on its host): the last row, the port's, moves into its row.
  const gone = `${sub.vms.guidHigh[0]!}:${sub.vms.guidLow[0]!}`;
  t.true(sm.subscriptions.remove(sub.vms.guidHigh[0]!, sub.vms.guidLow[0]!, fields));
  // Each Report's destination GID (a VF subscriber is named by it; VFs share their PF's LID).
  const reportsTo = new Map<string, number>();
  const fabric = sub.fabric;
  const send = fabric.send.bind(fabric);
  fabric.send = (mad, srcLid, srcQp, srcGuidHigh, srcGuidLow, dstLid, dstQp, dstGuidHigh, dstGuidLow, departNs) => {
    if (mad[1] === 0x03 && mad[3] === Method.Report) reportsTo.set(`${dstGuidHigh}:${dstGuidLow}`, (reportsTo.get(`${dstGuidHigh}:${dstGuidLow}`) ?? 0) + 1);
    send(mad, srcLid, srcQp, srcGuidHigh, srcGuidLow, dstLid, dstQp, dstGuidHigh, dstGuidLow, departNs);
  };
  const before = sub.counters.snapshot();
  moveToNextHost(9);
  const d = sub.counters.minus(before).toObject();
  t.false(reportsTo.has(gone), 'no Report to the VM that unsubscribed');
  // One Report per remaining subscriber, each answered: the VMs named by their own vGUIDs, the
  // port first (it took row 0) and as a port (no GID: its PF answers at its LID).
  t.is(d.smSentReport, s.vms);
  t.is(d.smReportsUndeliverable, 0);
  const vguids = Array.from({ length: s.vms - 1 }, (_, i) => `${sub.vms.guidHigh[i + 1]!}:${sub.vms.guidLow[i + 1]!}`);
  t.deepEqual([...reportsTo.keys()].sort(), ['0:0', ...vguids].sort());
  t.is([...reportsTo.keys()][0], '0:0', 'the port, moved into row 0, goes first');
  t.true([...reportsTo.values()].every((n) => n === 1));
  t.is(d.smRecvReportResp, s.vms);
  t.is(d.smReportRespUnmatched, 0);
  t.is(sm.reports.outstanding, 0);
});
