// Every case of the patent's Algorithm 1-3 and its edges, on a small emulated subnet driven
// like the library will drive it: create, shut down, reboot, suspend, resume, migrate.
import test from 'ava';
import { EmulatedSubnet } from '../core/engine/single-thread-run.js';
import { defaultCostModel, withOverrides } from '../core/engine/cost-model.js';
import { Counters, type CounterName } from '../core/metrics/counters.js';
import { VguidState } from '../core/tables/lid-vguid-table.js';
import { handScenario, VM_GUID_HIGH } from './patent-fixtures.js';
import type { SchemeName } from '../core/scenario/scenario.js';

const H = 3;
const V = 2;
const N = H * V;

function subnet(scheme: SchemeName = 'per-pf', overrides: Record<string, number> = {}): EmulatedSubnet {
  const s = handScenario({ hosts: H, vmsPerHost: V });
  const sub = new EmulatedSubnet(s, scheme, { cost: withOverrides(defaultCostModel(), overrides) });
  sub.setup('mads');
  return sub;
}

/** Runs `fn` then the subnet to quiescence; returns the counter deltas. */
function during(sub: EmulatedSubnet, fn: () => void): Record<CounterName, number> {
  const before = sub.counters.snapshot();
  fn();
  sub.run();
  return sub.counters.minus(before).toObject();
}

const guidLow = (vm: number) => vm + 1;
const lidOfVm = (sub: EmulatedSubnet, vm: number) => sub.sm.lidVguid.lid(VM_GUID_HIGH, guidLow(vm));

/** Every VM that lists `vm` as a peer caches `lid` for it. */
function peersSee(sub: EmulatedSubnet, vm: number, lid: number): boolean {
  for (let v = 0; v < N; v++) {
    if (v === vm) continue;
    if (sub.vms.pathCache.lookup(v, VM_GUID_HIGH, guidLow(vm)) !== lid) return false;
  }
  return true;
}

test('creation: a vGUID set for the first time is no migration (no notice)', (t) => {
  const s = handScenario({ hosts: H, vmsPerHost: V });
  const sub = new EmulatedSubnet(s, 'per-pf');
  const d = during(sub, () => {
    sub.dom0.subscribeAllHosts(sub.nowNs);
  });
  t.is(d.smSubscribes, H);
  const c = during(sub, () => {
    for (let v = 0; v < N; v++) sub.dom0.createVm(v, s.vmHost[v]!, s.vmSlot[v]!, VM_GUID_HIGH, guidLow(v), sub.nowNs);
  });
  t.is(c.smCreations, N);
  t.is(c.smNoticesRePath, 0);
  t.is(c.smSentReport, 0);
  t.is(sub.sm.lidVguid.size, N);
  t.is(sub.sm.trapTable.size, 0);
  for (let v = 0; v < N; v++) t.is(lidOfVm(sub, v), sub.lids.hostLid[s.vmHost[v]!]);
});

test('reboot on the same host: Delete parks, Set with the same LID is a reboot (no notice)', (t) => {
  const sub = subnet();
  const lid = lidOfVm(sub, 1);
  const d = during(sub, () => sub.dom0.rebootVm(1, sub.nowNs));
  t.is(d.smDeletes, 1);
  t.is(d.smReboots, 1);
  t.is(d.smMigrations, 0);
  t.is(d.smNoticesRePath, 0);
  t.is(d.smSentReport, 0);
  t.is(lidOfVm(sub, 1), lid);
  t.is(sub.sm.trapTable.size, 0, 'the parked record is removed');
  t.is(sub.countStale().stale, 0);
});

test('migration: RePath to every subscribed host, peers updated, trap table emptied', (t) => {
  const sub = subnet();
  const d = during(sub, () => sub.migrate(0, 2));
  t.is(d.smMigrations, 1);
  t.is(d.smNoticesRePath, 1);
  t.is(d.smSentReport, H);
  t.is(d.smRecvReportResp, H);
  t.is(d.dom0NoticeForwards, N);
  t.is(d.vmCacheUpdates, N - 1);
  t.is(lidOfVm(sub, 0), sub.lids.hostLid[2]);
  t.true(peersSee(sub, 0, sub.lids.hostLid[2]!));
  t.is(sub.sm.trapTable.size, 0);
  t.is(sub.countStale().stale, 0);
});

test('migration back: two RePaths, the notice sequence grows, caches end at the first host', (t) => {
  const sub = subnet();
  during(sub, () => sub.migrate(0, 2));
  const id = sub.sm.registry.get(VM_GUID_HIGH, guidLow(0));
  const seq1 = sub.sm.regSeq[id]!;
  const d = during(sub, () => sub.migrate(0, 0));
  t.is(d.smMigrations, 1);
  t.is(d.smSentReport, H);
  t.is(d.vmCacheUpdates, N - 1);
  t.true(sub.sm.regSeq[id]! > seq1);
  t.is(lidOfVm(sub, 0), sub.lids.hostLid[0]);
  t.true(peersSee(sub, 0, sub.lids.hostLid[0]!));
  t.is(sub.countStale().stale, 0);
});

test('a chain A -> B -> C: each hop is a migration, caches follow to C', (t) => {
  const sub = subnet();
  const d = during(sub, () => {
    sub.migrate(0, 1);
    sub.run();
    sub.migrate(0, 2);
  });
  t.is(d.smMigrations, 2);
  t.is(d.smSentReport, 2 * H);
  t.is(d.vmCacheUpdates, 2 * (N - 1));
  t.true(peersSee(sub, 0, sub.lids.hostLid[2]!));
  t.is(sub.countStale().stale, 0);
});

test('two VMs migrating at once: two notices, every peer updated for both', (t) => {
  const sub = subnet();
  const d = during(sub, () => {
    sub.migrate(0, 2); // host 0 -> 2
    sub.migrate(3, 0); // host 1 -> 0
  });
  t.is(d.smMigrations, 2);
  t.is(d.smSentReport, 2 * H);
  t.is(d.smRecvReportResp, 2 * H);
  t.is(d.vmCacheUpdates, 2 * (N - 1));
  t.true(peersSee(sub, 0, sub.lids.hostLid[2]!));
  t.true(peersSee(sub, 3, sub.lids.hostLid[0]!));
  t.is(sub.countStale().stale, 0);
});

test('migration onto the host of its peers: they now reach it at their own LID', (t) => {
  const sub = subnet();
  // VMs 2 and 3 live on host 1.
  during(sub, () => sub.migrate(0, 1));
  const lid1 = sub.lids.hostLid[1]!;
  t.is(sub.vms.pathCache.lookup(2, VM_GUID_HIGH, guidLow(0)), lid1);
  t.is(sub.vms.pathCache.lookup(3, VM_GUID_HIGH, guidLow(0)), lid1);
  t.is(sub.countStale().stale, 0);
});

test('shutdown: the patent keeps the parked record forever (no UnPath)', (t) => {
  const sub = subnet('per-pf');
  const d = during(sub, () => sub.dom0.shutdownVm(4, sub.nowNs));
  t.is(d.smDeletes, 1);
  t.is(d.smNoticesUnPath, 0);
  t.is(sub.sm.trapTable.size, 1);
  t.is(sub.sm.vguidState(VM_GUID_HIGH, guidLow(4)), VguidState.Gone);
});

test('shutdown then UnPath after trapExpiryNs; re-creation after expiry is a creation', (t) => {
  const sub = subnet('per-pf', { trapExpiryNs: 5e9 });
  const d = during(sub, () => sub.dom0.shutdownVm(4, sub.nowNs));
  t.is(d.smNoticesUnPath, 1);
  t.is(d.smSentReport, H);
  t.is(d.smRecvReportResp, H);
  t.is(d.vmCacheRemovals, N - 1, 'every peer drops the path');
  t.is(sub.sm.trapTable.size, 0);
  for (let v = 0; v < N; v++) t.is(sub.vms.pathCache.lookup(v, VM_GUID_HIGH, guidLow(4)), -1);
  t.is(sub.countStale().stale, 0);
  // Re-create the same vGUID on another host: nothing parked any more, so no RePath.
  const slot = sub.dom0.freeSlot(0);
  const r = during(sub, () => sub.dom0.createVm(4, 0, slot, VM_GUID_HIGH, guidLow(4), sub.nowNs));
  t.is(r.smCreations, 1);
  t.is(r.smMigrations, 0);
  t.is(r.smNoticesRePath, 0);
  t.is(lidOfVm(sub, 4), sub.lids.hostLid[0]);
});

test('a duplicate vGUID on a second port is refused and the VF is not used', (t) => {
  const sub = subnet();
  during(sub, () => sub.dom0.shutdownVm(5, sub.nowNs));
  const slot = sub.dom0.freeSlot(2);
  const d = during(sub, () => sub.dom0.createVm(5, 2, slot, VM_GUID_HIGH, guidLow(0), sub.nowNs));
  t.is(d.smRefusedSets, 1);
  t.is(d.dom0SetsRefused, 1);
  t.is(d.smCreations, 0);
  t.is(sub.dom0.vmHost[5], -1);
  t.false(sub.dom0.guidCache.isActive(2, slot));
  t.is(lidOfVm(sub, 0), sub.lids.hostLid[0], 'the holder keeps it');
});

test('unsubscribe: the host gets no more Reports; a second unsubscribe matches nothing', (t) => {
  const sub = subnet();
  const u = during(sub, () => sub.dom0.informInfo(1, 0, sub.nowNs));
  t.is(u.smUnsubscribes, 1);
  t.is(sub.sm.subscriptions.count, H - 1);
  const d = during(sub, () => sub.migrate(0, 2));
  t.is(d.smSentReport, H - 1);
  t.is(d.dom0NoticeForwards, N - V);
  // Host 1's VMs were not told: only their RC timeouts find out, and they re-query the SA.
  t.is(d.vmPeerDetections, V);
  t.is(d.vmSaQueries, V);
  t.is(d.vmCacheUpdates, N - 1);
  t.is(sub.countStale().stale, 0);
  const again = during(sub, () => sub.dom0.informInfo(1, 0, sub.nowNs));
  t.is(again.smUnsubscribeUnmatched, 1);
  t.is(again.smSentErrorResp, 1);
});

test('life cycle: the SM tracks suspended / migrating / running, on a port or not', (t) => {
  const sub = subnet();
  const g = guidLow(0);
  during(sub, () => sub.dom0.suspendVm(0, sub.nowNs));
  t.is(sub.sm.vguidState(VM_GUID_HIGH, g), VguidState.Suspended);
  t.is(sub.sm.lidVguid.state(VM_GUID_HIGH, g), VguidState.Suspended);
  during(sub, () => sub.dom0.resumeVm(0, sub.nowNs));
  t.is(sub.sm.vguidState(VM_GUID_HIGH, g), VguidState.Running);
  // Stop half-way through a migration: the vGUID is on no port, and the SM knows it is migrating.
  sub.migrate(0, 2);
  sub.run(sub.nowNs + sub.cost.migrationDowntimeNs / 2);
  t.false(sub.sm.lidVguid.has(VM_GUID_HIGH, g));
  t.is(sub.sm.vguidState(VM_GUID_HIGH, g), VguidState.Migrating);
  sub.run();
  t.is(sub.sm.vguidState(VM_GUID_HIGH, g), VguidState.Running);
  during(sub, () => sub.dom0.shutdownVm(0, sub.nowNs));
  t.is(sub.sm.vguidState(VM_GUID_HIGH, g), VguidState.Gone);
});

test('life-cycle changes are reported to parties that subscribe to them', async (t) => {
  const { MadView } = await import('../core/mad/mad-view.js');
  const { LIFE_CYCLE_VENDOR_ID, LifeCycleDevice } = await import('../core/sm/life-cycle.js');
  const { Method, SaAttr, GSI_QP, NoticeType } = await import('../core/mad/constants.js');
  const sub = subnet();
  // Host 2's port subscribes to the vendor life-cycle notices (IsGeneric 0).
  const v = new MadView().wrapForWrite(new Uint8Array(256));
  v.initSa(Method.Set, SaAttr.InformInfo, 1, 2);
  const ii = v.informInfo;
  ii.lidRangeBegin = 0xffff;
  ii.isGeneric = 0;
  ii.subscribe = 1;
  ii.type = NoticeType.Info;
  ii.deviceId = LifeCycleDevice.VmStateChange;
  ii.qpn = GSI_QP;
  ii.vendorId = LIFE_CYCLE_VENDOR_ID;
  const s = sub.scenario;
  const d = during(sub, () =>
    sub.fabric.send(v.bytes, sub.lids.hostLid[2]!, GSI_QP, s.hostPortGuidHigh[2]!, s.hostPortGuidLow[2]!, sub.lids.smLid, GSI_QP, 0, 0, sub.nowNs),
  );
  t.is(d.smSubscribes, 1);
  const before = new Counters(sub.counters.v.slice());
  during(sub, () => sub.dom0.suspendVm(1, sub.nowNs));
  during(sub, () => sub.dom0.resumeVm(1, sub.nowNs));
  during(sub, () => sub.migrate(1, 2)); // migrating, then running again (delete keeps "migrating")
  const c = sub.counters.minus(before).toObject();
  t.is(c.smNoticesLifeCycle, 4, 'suspended, running, migrating, running');
  t.is(c.smNoticesRePath, 1);
  t.is(c.smSentReport, 4 + H, 'life-cycle Reports go to the one vendor subscriber only');
  t.is(c.dom0ReportsReceived, 4 + H);
  t.is(c.dom0NoticeForwards, N, 'vendor notices are not forwarded to VFs; the RePath is');
});
