// VM SA agents: Algorithm 3 (update only when the DLID differs), connections broken while a
// cached DLID is stale and restored when fixed, recovery without signalling, UnPath.
import test from 'ava';
import { EmulatedSubnet } from '../core/engine/single-thread-run.js';
import { defaultCostModel, rcDetectionNs } from '../core/engine/cost-model.js';
import { ArrayLatencyRecorder } from '../core/metrics/latency-recorder.js';
import { MadView } from '../core/mad/mad-view.js';
import { Method, NoticeType, ProducerType, SaAttr, TrapNumber } from '../core/mad/constants.js';
import { Conn } from '../core/vm/vm-agents.js';
import { handScenario, VM_GUID_HIGH } from './patent-fixtures.js';

function repathNotice(vgLow: number, newLid: number): Uint8Array {
  const v = new MadView().wrapForWrite(new Uint8Array(256));
  v.initSa(Method.Report, SaAttr.Notice, 1, 1);
  const n = v.notice;
  n.isGeneric = 1;
  n.type = NoticeType.SubnetManagement;
  n.producerType = ProducerType.ClassManager;
  n.trapNumber = TrapNumber.RePath;
  n.newLid = newLid;
  n.vgid.set(0xfe800000, 0, VM_GUID_HIGH, vgLow);
  return v.bytes;
}

test('Algorithm 3: check every notice, update only when the DLID differs', (t) => {
  const s = handScenario({ hosts: 2, vmsPerHost: 2 });
  const sub = new EmulatedSubnet(s, 'per-pf');
  sub.setup('mads');
  const vms = sub.vms;
  const c = () => sub.counters.toObject();
  const cur = vms.pathCache.lookup(0, VM_GUID_HIGH, 2); // VM 0's path to VM 1
  const base = c();
  vms.deliver(0, repathNotice(2, cur), true, sub.nowNs); // same DLID
  t.is(c().vmCacheChecks - base.vmCacheChecks, 1);
  t.is(c().vmCacheUpdates - base.vmCacheUpdates, 0);
  vms.deliver(0, repathNotice(2, 0x77), true, sub.nowNs); // new DLID
  t.is(c().vmCacheChecks - base.vmCacheChecks, 2);
  t.is(c().vmCacheUpdates - base.vmCacheUpdates, 1);
  t.is(vms.pathCache.lookup(0, VM_GUID_HIGH, 2), 0x77);
  vms.deliver(0, repathNotice(200, 0x78), true, sub.nowNs); // not cached
  t.is(c().vmCacheChecks - base.vmCacheChecks, 3);
  t.is(c().vmCacheUpdates - base.vmCacheUpdates, 1);
  t.is(vms.pathCache.lookup(0, VM_GUID_HIGH, 200), -1, 'a notice never inserts');
});

test('connections to a migrating VM break at detach and are restored by the notice', (t) => {
  const s = handScenario({ hosts: 3, vmsPerHost: 2 });
  const latency = new ArrayLatencyRecorder();
  const sub = new EmulatedSubnet(s, 'per-pf', { latency });
  sub.setup('mads');
  const e = sub.vms.edgeOf(3, 0);
  t.is(sub.vms.conn[e]! & Conn.Connected, Conn.Connected);
  sub.migrate(0, 2);
  sub.run(sub.nowNs + sub.cost.migrationDowntimeNs / 2); // VF gone, not yet back
  t.is(sub.vms.conn[e]! & Conn.Broken, Conn.Broken);
  t.is(sub.counters.get('vmConnectionsBroken'), 5);
  sub.run();
  t.is(sub.vms.conn[e]! & Conn.Connected, Conn.Connected);
  t.is(sub.counters.get('vmConnectionsRestored'), 5);
  t.is(latency.count, 5);
  // Reconnection latency: from the Set at the destination until the peer's cache is right —
  // Dom0 and SM service, Report and forward; far below an RC timeout.
  for (const v of latency.values()) t.true(v > 0 && v < 1e6, `latency ${v} ns`);
});

test('without signalling, peers recover after the RC detection time and a PathRecord query', (t) => {
  const s = handScenario({ hosts: 3, vmsPerHost: 2 });
  const latency = new ArrayLatencyRecorder();
  const sub = new EmulatedSubnet(s, 'static-no-signal', { latency });
  sub.setup('mads');
  sub.migrate(0, 2);
  sub.run();
  const cost = defaultCostModel();
  t.is(sub.counters.get('vmPeerDetections'), 5);
  t.is(latency.count, 5);
  // Latency counts from the Set at the destination, which comes migrationDowntimeNs after the failure.
  for (const v of latency.values()) t.true(v >= rcDetectionNs(cost) - cost.migrationDowntimeNs, `latency ${v}`);
  t.is(sub.countStale().stale, 0);
});

test('while the SA has no record (peer still in transit), the VM asks again', (t) => {
  const s = handScenario({ hosts: 3, vmsPerHost: 2 });
  // Detection before the VM is back: the first queries find nothing.
  const cost = { ...defaultCostModel(), migrationDowntimeNs: 7e8 };
  const sub = new EmulatedSubnet(s, 'static-no-signal', { cost });
  sub.setup('mads');
  sub.migrate(0, 2);
  sub.run();
  const c = sub.counters.toObject();
  t.true(c.vmSaNoRecords > 0);
  t.is(c.vmSaQueryRetries, c.vmSaNoRecords);
  t.is(sub.countStale().stale, 0);
});

test('UnPath removes the cached path and closes the connection', (t) => {
  const s = handScenario({ hosts: 2, vmsPerHost: 2 });
  const cost = { ...defaultCostModel(), trapExpiryNs: 1e8 }; // sooner than the RC detection time
  const sub = new EmulatedSubnet(s, 'per-pf', { cost });
  sub.setup('mads');
  sub.dom0.shutdownVm(1, sub.nowNs);
  sub.run();
  for (const v of [0, 2, 3]) {
    t.is(sub.vms.pathCache.lookup(v, VM_GUID_HIGH, 2), -1);
    t.is(sub.vms.conn[sub.vms.edgeOf(v, 1)], 0);
  }
  t.is(sub.counters.get('vmPeerDetections'), 0, 'no RC timeout chased a VM that is gone');
});
