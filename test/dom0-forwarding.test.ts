// Dom0: Algorithm 2 (forward to every active VF), the interest variant through the inverted
// index, the PF tunnel for every VF MAD, GSI demultiplexing by GID, dynamic vGUIDs.
import test from 'ava';
import { EmulatedSubnet } from '../core/engine/single-thread-run.js';
import { OPENIB_VENDOR_ID } from '../core/sm/vguid-assignment.js';
import { GSI_QP, Method, SaAttr } from '../core/mad/constants.js';
import { MadView } from '../core/mad/mad-view.js';
import type { CounterName } from '../core/metrics/counters.js';
import { handScenario, VM_GUID_HIGH } from './patent-fixtures.js';

function during(sub: EmulatedSubnet, fn: () => void): Record<CounterName, number> {
  const before = sub.counters.snapshot();
  fn();
  sub.run();
  return sub.counters.minus(before).toObject();
}

test('Algorithm 2 forwards to every active VF of each host, and only to active ones', (t) => {
  const s = handScenario({ hosts: 3, vmsPerHost: 3 });
  const sub = new EmulatedSubnet(s, 'per-pf');
  sub.setup('mads');
  during(sub, () => sub.dom0.shutdownVm(4, sub.nowNs)); // host 1 keeps 2 active VFs
  t.is(sub.dom0.guidCache.activeCount(1), 2);
  const d = during(sub, () => sub.migrate(0, 2));
  t.is(d.dom0ReportsReceived, 3);
  t.is(d.dom0NoticeForwards, 9 - 1, 'every VM but the shut-down one');
  t.is(d.vmNoticesReceived, 8);
  t.is(d.vmCacheChecks, 8);
  t.is(d.vmCacheUpdates, 7, 'all peers of VM 0 that still run');
});

test('per-pf-interest: Dom0 forwards only to VMs caching the vGUID; the index follows a migrated asker', (t) => {
  // VM v talks only to v+1: VM 1 is cached by VM 0 alone.
  const s = handScenario({ hosts: 4, vmsPerHost: 2, peers: (v, n) => [(v + 1) % n] });
  const sub = new EmulatedSubnet(s, 'per-pf-interest');
  sub.setup('mads');
  t.is(sub.dom0.interestIndex!.count(VM_GUID_HIGH, 2), 1);
  // The asker (VM 0) moves from host 0 to host 3; then VM 1 moves from host 0 to host 2.
  during(sub, () => sub.migrate(0, 3));
  const d = during(sub, () => sub.migrate(1, 2));
  t.is(d.smSentReport, 1, "one Report: to VM 0's new host, found through the SA's interest record");
  t.is(d.dom0NoticeForwards, 1);
  t.is(d.vmCacheChecks, 1);
  t.is(d.vmCacheUpdates, 1);
  t.is(d.vmPeerDetections, 0, 'repaired by the notice, not by an RC timeout');
  t.is(sub.vms.pathCache.lookup(0, VM_GUID_HIGH, 2), sub.lids.hostLid[2]);
  t.is(sub.countStale().stale, 0);
});

test('every VF MAD leaves through the PF, and answers come back by GID demultiplexing', (t) => {
  const s = handScenario({ hosts: 3, vmsPerHost: 2 });
  const sub = new EmulatedSubnet(s, 'per-vguid');
  const srcLids = new Set<number>();
  sub.fabric.setTap((_m, srcLid) => srcLids.add(srcLid));
  sub.setup('mads');
  const c = sub.counters.toObject();
  const edges = s.peerList.length;
  t.is(c.vmSaQueries, edges);
  t.is(c.dom0VfTunnelOut, edges + s.vms, 'PathRecord queries and per-vGUID InformInfo Sets');
  t.is(c.dom0DemuxToVf, edges + s.vms, 'their answers');
  t.is(c.vmInformInfoAcks, s.vms);
  const allowed = new Set([sub.lids.smLid, ...Array.from(sub.lids.hostLid)]);
  for (const l of srcLids) t.true(allowed.has(l), `only port LIDs on the wire, saw ${l}`);
});

test('a MAD for a vGUID the host does not hold is dropped and counted', (t) => {
  const s = handScenario({ hosts: 2, vmsPerHost: 1 });
  const sub = new EmulatedSubnet(s, 'per-pf');
  sub.setup('mads');
  const v = new MadView().wrapForWrite(new Uint8Array(256));
  v.initSa(Method.GetResp, SaAttr.PathRecord, 0, 0);
  const d = during(sub, () =>
    sub.fabric.send(v.bytes, sub.lids.smLid, GSI_QP, 0, 0, sub.lids.hostLid[1]!, GSI_QP, VM_GUID_HIGH, 99, sub.nowNs),
  );
  t.is(d.dom0Unroutable, 1);
  t.is(d.dom0DemuxToVf, 0);
});

test('dynamic: the SA assigns vGUIDs, Dom0 writes them to the GUID admin table, migration changes them', (t) => {
  const s = handScenario({ hosts: 3, vmsPerHost: 2 });
  const sub = new EmulatedSubnet(s, 'dynamic');
  sub.setup('mads');
  t.is(sub.counters.get('dom0GuidsAssigned'), 6);
  const gh = sub.dom0.guidCache.guidHigh(0, 0);
  t.is(gh >>> 8, OPENIB_VENDOR_ID);
  const before = sub.vms.guidLow[0]!;
  t.is(sub.dom0.guidCache.guidLow(0, 0), before);
  during(sub, () => sub.migrate(0, 2));
  const after = sub.vms.guidLow[0]!;
  t.not(after, before, 'a new VF, a new vGUID');
  t.is(sub.sm.lidVguid.lid(gh, after), sub.lids.hostLid[2]);
  t.is(sub.sm.lidVguid.lid(gh, before), -1);
  t.is(sub.countStale().stale, 0);
});

test('create, reboot and shutdown keep the GUID admin table and the SM in step', (t) => {
  const s = handScenario({ hosts: 2, vmsPerHost: 2 });
  const sub = new EmulatedSubnet(s, 'per-pf');
  sub.setup('mads');
  t.true(sub.dom0.guidCache.isActive(1, 1));
  during(sub, () => sub.dom0.rebootVm(3, sub.nowNs));
  t.true(sub.dom0.guidCache.isActive(1, 1));
  t.is(sub.dom0.guidCache.guidLow(1, 1), 4);
  t.is(sub.sm.lidVguid.lid(VM_GUID_HIGH, 4), sub.lids.hostLid[1]);
  during(sub, () => sub.dom0.shutdownVm(3, sub.nowNs));
  t.false(sub.dom0.guidCache.isActive(1, 1));
  t.is(sub.dom0.freeSlot(1), 1);
  t.false(sub.sm.lidVguid.has(VM_GUID_HIGH, 4));
  t.throws(() => sub.dom0.shutdownVm(3, sub.nowNs), { message: /vm: 3 is not on a host/ });
  t.throws(() => sub.dom0.createVm(0, 1, 0, VM_GUID_HIGH, 1, sub.nowNs), { message: /already on host/ });
});
