// Issue 7, item 5: who may signal what. Dom0 takes a notice only from the SM's LID and QP1
// with the configured SM_Key (and the SM's GID when a GRH names one); a VM speaks only for itself
// through the PF tunnel; per-pf modes refuse VF subscriptions; the SA's tables are bounded and
// say so (SaNoResources) when full. Every refusal is counted.
import test from 'ava';
import { EmulatedSubnet } from '../core/engine/single-thread-run.js';
import { MadView } from '../core/mad/mad-view.js';
import { GSI_QP, GuidInfoRecordMask, MadStatus, Method, MgmtClass, PathRecordMask, SaAttr, SMP_DATA_OFFSET, SmpAttr, TrapNumber, VmState } from '../core/mad/constants.js';
import { fillDom0InformInfo } from '../core/dom0/dom0.js';
import { InformFields, Subscriptions, SUBSCRIPTIONS_FULL, SUBSCRIBER_FULL, SUBSCRIPTION_EXISTS } from '../core/sm/subscriptions.js';
import { SubnetManager } from '../core/sm/subnet-manager.js';
import { assignLids } from '../core/sm/lid-assignment.js';
import { EventQueue } from '../core/engine/event-queue.js';
import { defaultCostModel } from '../core/engine/cost-model.js';
import { Counters, type CounterName } from '../core/metrics/counters.js';
import { setU16, setU32 } from '../core/mad/bytes.js';
import { NoticeView } from '../core/mad/notice.js';
import { BytesRef } from '../core/mad/bytes.js';
import { LIFE_CYCLE_VENDOR_ID, LifeCycleDevice } from '../core/sm/life-cycle.js';
import type { MadSink, SinkRole, Transport } from '../core/fabric/transport.js';
import { generateScenario } from '../core/scenario/generator.js';
import { handScenario } from './patent-fixtures.js';

type Counts = Record<CounterName, number>;

function subnet(scheme: string, o: { smKeyHigh?: number; smKeyLow?: number } = {}): EmulatedSubnet {
  const s = handScenario({ hosts: 4, vmsPerHost: 3, migrations: [] });
  const sub = new EmulatedSubnet(s, scheme, o);
  sub.setup('mads');
  return sub;
}

function during(sub: EmulatedSubnet, fn: () => void): Counts {
  const before = sub.counters.snapshot();
  fn();
  sub.run();
  return sub.counters.minus(before).toObject();
}

/** A RePath Report as the SM would build it, for vGUID of VM `x`, with SM_Key `key`. */
function repathReport(sub: EmulatedSubnet, x: number, newLid: number, key = 0): Uint8Array {
  const v = new MadView().wrapForWrite(new Uint8Array(256));
  v.initSa(Method.Report, SaAttr.Notice, 0x12345678, 1);
  v.smKeyLow = key;
  const n = v.notice;
  n.isGeneric = 1;
  n.type = 3;
  n.producerType = 4;
  n.trapNumber = TrapNumber.RePath;
  n.issuerLid = sub.lids.smLid;
  n.newLid = newLid;
  n.oldLid = sub.lids.hostLid[0]!;
  n.vgid.set(0xfe800000, 0, sub.scenario.vmGuidHigh[x]!, sub.scenario.vmGuidLow[x]!);
  return v.bytes;
}

/** Records what reaches each VM's SA agent (VF deliveries), then passes it on. */
function recordVf(sub: EmulatedSubnet): { vm: number; method: number; status: number; attr: number }[] {
  const got: { vm: number; method: number; status: number; attr: number }[] = [];
  const vms = sub.vms;
  const deliver = vms.deliver.bind(vms);
  vms.deliver = (vm, mad, forwarded, nowNs) => {
    got.push({ vm, method: mad[3]!, status: (mad[4]! << 8) | mad[5]!, attr: (mad[16]! << 8) | mad[17]! });
    deliver(vm, mad, forwarded, nowNs);
  };
  return got;
}

// ------------------------------------------------------------------ notices: source and SM_Key

test('a Report from the SM with the configured SM_Key is accepted; the SM puts its key in every Report', (t) => {
  const sub = subnet('per-pf', { smKeyHigh: 0xdead, smKeyLow: 0xbeef });
  const keys: number[] = [];
  sub.fabric.setTap((mad) => {
    if (mad[1] === MgmtClass.SubnAdm && mad[3] === Method.Report) keys.push(new MadView().wrap(mad.slice()).smKeyLow);
  });
  const d = during(sub, () => sub.migrate(0, 3));
  t.true(keys.length > 0);
  t.true(keys.every((k) => k === 0xbeef));
  t.is(d.dom0SpoofedNotices, 0);
  t.is(d.dom0ReportsReceived, 4);
  t.is(d.smRecvReportResp, 4);
  t.is(sub.countStale().stale, 0);
});

test('a Report with the wrong SM_Key, even from the SM LID and QP1, is dropped and counted', (t) => {
  const sub = subnet('per-pf', { smKeyLow: 42 });
  const d = during(sub, () => sub.fabric.send(repathReport(sub, 0, 9, 41), sub.lids.smLid, GSI_QP, 0, 0, sub.lids.hostLid[1]!, GSI_QP, 0, 0, sub.nowNs));
  t.is(d.dom0SpoofedNotices, 1);
  t.is(d.dom0ReportsReceived, 0);
  t.is(d.dom0NoticeForwards, 0);
  t.is(d.vmCacheChecks, 0);
  t.is(d.fabricReportResp, 0, 'not even acknowledged');
  // The same Report with the right key is accepted.
  const ok = during(sub, () => sub.fabric.send(repathReport(sub, 0, sub.lids.hostLid[0]!, 42), sub.lids.smLid, GSI_QP, 0, 0, sub.lids.hostLid[1]!, GSI_QP, 0, 0, sub.nowNs));
  t.is(ok.dom0SpoofedNotices, 0);
  t.is(ok.dom0ReportsReceived, 1);
});

test('a Report from another port, or from another QP, is dropped and counted: no forward, no cache change', (t) => {
  const sub = subnet('per-pf');
  const x = 0;
  const truth = sub.sm.lidVguid.lid(sub.scenario.vmGuidHigh[x]!, sub.scenario.vmGuidLow[x]!);
  const fromHost = during(sub, () => sub.fabric.send(repathReport(sub, x, 77), sub.lids.hostLid[2]!, GSI_QP, 0, 0, sub.lids.hostLid[1]!, GSI_QP, 0, 0, sub.nowNs));
  t.is(fromHost.dom0SpoofedNotices, 1);
  t.is(fromHost.vmCacheUpdates, 0);
  const fromQp = during(sub, () => sub.fabric.send(repathReport(sub, x, 77), sub.lids.smLid, 7, 0, 0, sub.lids.hostLid[1]!, GSI_QP, 0, 0, sub.nowNs));
  t.is(fromQp.dom0SpoofedNotices, 1);
  t.is(fromQp.vmCacheUpdates, 0);
  // A GRH naming someone other than the SM (a VM on the SM's port) is refused too.
  const fromGid = during(sub, () =>
    sub.fabric.send(repathReport(sub, x, 77), sub.lids.smLid, GSI_QP, sub.scenario.vmGuidHigh[5]!, sub.scenario.vmGuidLow[5]!, sub.lids.hostLid[1]!, GSI_QP, 0, 0, sub.nowNs),
  );
  t.is(fromGid.dom0SpoofedNotices, 1);
  t.is(sub.countStale().stale, 0, `every cache still holds LID ${truth}`);
});

test('per-vguid: a spoofed Report addressed to a VF (by its vGUID) is dropped at the PF too', (t) => {
  const sub = subnet('per-vguid');
  const got = recordVf(sub);
  const d = during(sub, () =>
    sub.fabric.send(repathReport(sub, 0, 77), sub.lids.hostLid[2]!, GSI_QP, 0, 0, sub.lids.hostLid[1]!, GSI_QP, sub.scenario.vmGuidHigh[4]!, sub.scenario.vmGuidLow[4]!, sub.nowNs),
  );
  t.is(d.dom0SpoofedNotices, 1);
  t.is(d.dom0DemuxToVf, 0);
  t.is(got.length, 0);
});

test('a VM cannot send a Report, a Trap or an SMP through the PF tunnel: dropped at Dom0, never on the wire', (t) => {
  const sub = subnet('per-pf');
  const report = repathReport(sub, 0, 77);
  const trap = new Uint8Array(256);
  trap.set([1, MgmtClass.SubnLid, 1, Method.Trap]);
  setU16(trap, 16, SmpAttr.Notice);
  const getResp = new MadView().wrapForWrite(new Uint8Array(256)).initSa(Method.GetResp, SaAttr.PathRecord, 0, 0).bytes;
  const d = during(sub, () => {
    t.false(sub.dom0.sendFromVf(4, report, sub.lids.hostLid[1]!, GSI_QP, 0, 0, sub.nowNs));
    t.false(sub.dom0.sendFromVf(4, trap, sub.lids.smLid, GSI_QP, 0, 0, sub.nowNs));
    t.false(sub.dom0.sendFromVf(4, getResp, sub.lids.smLid, GSI_QP, 0, 0, sub.nowNs));
  });
  t.is(d.dom0TunnelRefused, 3);
  t.is(d.fabricMads, 0);
  t.is(d.dom0VfTunnelOut, 0);
});

// ------------------------------------------------------------------ the tunnel: a VF speaks for itself

function informInfoMad(gidHigh: number, gidLow: number, subscribe: 0 | 1): Uint8Array {
  const v = new MadView().wrapForWrite(new Uint8Array(256));
  v.initSa(Method.Set, SaAttr.InformInfo, 0x7e020000, 0);
  fillDom0InformInfo(v, subscribe);
  v.informInfo.gid.set(gidHigh === 0 && gidLow === 0 ? 0 : 0xfe800000, 0, gidHigh, gidLow);
  return v.bytes;
}

test("per-vguid: a VM cannot subscribe with another VM's vGUID, nor unsubscribe another VM", (t) => {
  const sub = subnet('per-vguid');
  const s = sub.scenario;
  const got = recordVf(sub);
  const rows = sub.sm.subscriptions.count;
  t.is(rows, s.vms);
  // VM 0 names VM 1's vGUID: refused at the tunnel with SaDenied.
  const d = during(sub, () => sub.dom0.sendFromVf(0, informInfoMad(s.vmGuidHigh[1]!, s.vmGuidLow[1]!, 1), sub.lids.smLid, GSI_QP, 0, 0, sub.nowNs));
  t.is(d.dom0TunnelRefused, 1);
  t.is(d.smRecvInformInfo, 0, 'the SA never saw it');
  t.deepEqual(got.at(-1), { vm: 0, method: Method.GetResp, status: MadStatus.SaDenied, attr: SaAttr.InformInfo });
  const u = during(sub, () => sub.dom0.sendFromVf(0, informInfoMad(s.vmGuidHigh[1]!, s.vmGuidLow[1]!, 0), sub.lids.smLid, GSI_QP, 0, 0, sub.nowNs));
  t.is(u.dom0TunnelRefused, 1);
  t.is(sub.sm.subscriptions.count, rows);
  // An unsubscribe with no GID removes only the sender's own subscription (the SA keys it by the GRH SGID Dom0 wrote).
  const own = during(sub, () => sub.dom0.sendFromVf(0, informInfoMad(0, 0, 0), sub.lids.smLid, GSI_QP, 0, 0, sub.nowNs));
  t.is(own.smUnsubscribes, 1);
  t.is(sub.sm.subscriptions.count, rows - 1);
  const f = new InformFields();
  fillDom0InformInfo(new MadView().wrapForWrite(new Uint8Array(256)).initSa(Method.Set, SaAttr.InformInfo, 0, 0), 1);
  t.true(sub.sm.subscriptions.find(s.vmGuidHigh[1]!, s.vmGuidLow[1]!, informFieldsOfDom0(f)) >= 0, "VM 1's subscription is intact");
  t.is(sub.sm.subscriptions.find(s.vmGuidHigh[0]!, s.vmGuidLow[0]!, informFieldsOfDom0(f)), -1, "VM 0's is gone");
  // Naming itself is fine.
  const self = during(sub, () => sub.dom0.sendFromVf(0, informInfoMad(s.vmGuidHigh[0]!, s.vmGuidLow[0]!, 1), sub.lids.smLid, GSI_QP, 0, 0, sub.nowNs));
  t.is(self.dom0TunnelRefused, 0);
  t.is(self.smSubscribes, 1);
});

function informFieldsOfDom0(f: InformFields): InformFields {
  const v = new MadView().wrapForWrite(new Uint8Array(256)).initSa(Method.Set, SaAttr.InformInfo, 0, 0);
  fillDom0InformInfo(v, 1);
  const ii = v.informInfo;
  f.gidPrefixHigh = 0;
  f.gidPrefixLow = 0;
  f.gidGuidHigh = 0;
  f.gidGuidLow = 0;
  f.lidRangeBegin = ii.lidRangeBegin;
  f.lidRangeEnd = ii.lidRangeEnd;
  f.isGeneric = ii.isGeneric;
  f.type = ii.type;
  f.trapNumber = ii.trapNumber;
  f.qpnWord = (ii.qpn << 8) | ii.respTimeValue;
  f.producerType = ii.producerType;
  return f;
}

test('per-pf and per-pf-interest: subscriptions from VFs are refused with SaDenied and counted', (t) => {
  for (const scheme of ['per-pf', 'per-pf-interest']) {
    const sub = subnet(scheme);
    const got = recordVf(sub);
    const rows = sub.sm.subscriptions.count;
    const d = during(sub, () => sub.vms.informInfo(2, 1, sub.nowNs));
    t.is(d.dom0VfSubscriptionsRefused, 1, scheme);
    t.is(d.dom0TunnelRefused, 1);
    t.is(d.smRecvInformInfo, 0);
    t.is(d.vmInformInfoRetries, 0, 'a refusal is an answer: nothing re-sent');
    t.is(sub.sm.subscriptions.count, rows);
    t.deepEqual(got.at(-1), { vm: 2, method: Method.GetResp, status: MadStatus.SaDenied, attr: SaAttr.InformInfo });
  }
  const pv = subnet('per-vguid');
  t.is(during(pv, () => pv.vms.informInfo(2, 1, pv.nowNs)).dom0VfSubscriptionsRefused, 0, 'per-vguid lets VMs subscribe');
});

function guidSet(method: number, lid: number, index: number, high: number, low: number): Uint8Array {
  const v = new MadView().wrapForWrite(new Uint8Array(256));
  v.initSa(method, SaAttr.GuidInfoRecord, 0x7e050000, 0);
  const k = index & 7;
  v.componentMaskLow = ((1 << GuidInfoRecordMask.LID) | (1 << GuidInfoRecordMask.BLOCK_NUM) | (1 << (GuidInfoRecordMask.GID0 + k))) >>> 0;
  v.guidInfoRecord.lid = lid;
  v.guidInfoRecord.blockNum = index >>> 3;
  v.guidInfoRecord.setGuid(k, high, low);
  return v.bytes;
}

test('a VM cannot set a GUID it does not own, at another index, or delete another index', (t) => {
  const sub = subnet('per-pf');
  const s = sub.scenario;
  const got = recordVf(sub);
  const vm = 4; // host 1, slot 1 -> alias index 2
  const lid = sub.lids.hostLid[1]!;
  const ownIndex = s.vmSlot[vm]! + 1;
  const cases: [string, Uint8Array][] = [
    ["another VM's vGUID at its own index", guidSet(Method.Set, lid, ownIndex, s.vmGuidHigh[0]!, s.vmGuidLow[0]!)],
    ['a fresh GUID at its own index', guidSet(Method.Set, lid, ownIndex, 0x00777777, 1)],
    ['its own vGUID at another index', guidSet(Method.Set, lid, ownIndex + 1, s.vmGuidHigh[vm]!, s.vmGuidLow[vm]!)],
    ['its own vGUID on another port', guidSet(Method.Set, sub.lids.hostLid[2]!, ownIndex, s.vmGuidHigh[vm]!, s.vmGuidLow[vm]!)],
    ['a GUID assigned by the SA (zero)', guidSet(Method.Set, lid, ownIndex, 0, 0)],
    ["a Delete of a neighbour's index", guidSet(Method.Delete, lid, ownIndex - 1, 0, 0)],
  ];
  for (const [what, mad] of cases) {
    const d = during(sub, () => sub.dom0.sendFromVf(vm, mad, sub.lids.smLid, GSI_QP, 0, 0, sub.nowNs));
    t.is(d.dom0TunnelRefused, 1, what);
    t.is(d.smRecvGuidInfoRecord, 0, what);
    t.is(got.at(-1)!.status, MadStatus.SaDenied, what);
  }
  t.is(sub.countStale().stale, 0);
  t.is(sub.sm.lidVguid.host(s.vmGuidHigh[0]!, s.vmGuidLow[0]!), 0, "VM 0's vGUID stays where it is");
  // Its own vGUID at its own index passes (the SA answers: unchanged).
  const ok = during(sub, () => sub.dom0.sendFromVf(vm, guidSet(Method.Set, lid, ownIndex, s.vmGuidHigh[vm]!, s.vmGuidLow[vm]!), sub.lids.smLid, GSI_QP, 0, 0, sub.nowNs));
  t.is(ok.dom0TunnelRefused, 0);
  t.is(ok.smRecvGuidInfoRecord, 1);
});

test('per-pf-interest: a VM cannot ask for paths in another VM\'s name (PathRecord SGID)', (t) => {
  const sub = subnet('per-pf-interest');
  const s = sub.scenario;
  const v = new MadView().wrapForWrite(new Uint8Array(256));
  v.initSa(Method.Get, SaAttr.PathRecord, 0x7e010000, 0);
  v.componentMaskLow = ((1 << PathRecordMask.DGID) | (1 << PathRecordMask.SGID)) >>> 0;
  v.pathRecord.dgid.set(0xfe800000, 0, s.vmGuidHigh[7]!, s.vmGuidLow[7]!);
  v.pathRecord.sgid.set(0xfe800000, 0, s.vmGuidHigh[1]!, s.vmGuidLow[1]!);
  const d = during(sub, () => sub.dom0.sendFromVf(4, v.bytes, sub.lids.smLid, GSI_QP, 0, 0, sub.nowNs));
  t.is(d.dom0TunnelRefused, 1);
  t.is(d.smRecvPathRecord, 0);
  v.pathRecord.sgid.set(0xfe800000, 0, s.vmGuidHigh[4]!, s.vmGuidLow[4]!);
  const ok = during(sub, () => sub.dom0.sendFromVf(4, v.bytes, sub.lids.smLid, GSI_QP, 0, 0, sub.nowNs));
  t.is(ok.dom0TunnelRefused, 0);
  t.is(ok.smRecvPathRecord, 1);
});

test("one host's Dom0 cannot change the life-cycle state of another host's VM (Trap ignored, counted, still repressed)", (t) => {
  const sub = subnet('per-pf');
  const s = sub.scenario;
  const trap = new Uint8Array(256);
  trap.set([1, MgmtClass.SubnLid, 1, Method.Trap]);
  setU32(trap, 8, 0x11);
  setU16(trap, 16, SmpAttr.Notice);
  const n = new NoticeView(new BytesRef(trap), SMP_DATA_OFFSET);
  n.isGeneric = 0;
  n.type = 4;
  n.vendorId = LIFE_CYCLE_VENDOR_ID;
  n.deviceId = LifeCycleDevice.VmStateChange;
  n.vmState = VmState.Suspended;
  n.vgid.set(0xfe800000, 0, s.vmGuidHigh[0]!, s.vmGuidLow[0]!); // VM 0 is on host 0
  const d = during(sub, () => sub.fabric.send(trap, sub.lids.hostLid[2]!, GSI_QP, 0, 0, sub.lids.smLid, GSI_QP, 0, 0, sub.nowNs));
  t.is(d.smRecvTrap, 1);
  t.is(d.smTrapsIgnoredStale, 1);
  t.is(d.smSentTrapRepress, 1);
  t.is(sub.sm.vguidState(s.vmGuidHigh[0]!, s.vmGuidLow[0]!), VmState.Running);
  const own = during(sub, () => sub.fabric.send(trap, sub.lids.hostLid[0]!, GSI_QP, 0, 0, sub.lids.smLid, GSI_QP, 0, 0, sub.nowNs));
  t.is(own.smTrapsIgnoredStale, 0);
  t.is(sub.sm.vguidState(s.vmGuidHigh[0]!, s.vmGuidLow[0]!), VmState.Suspended);
});

// ------------------------------------------------------------------ bounded tables

test('subscriptions are bounded: the table and each subscriber; add says which bound', (t) => {
  const s = new Subscriptions(4, { maxRows: 5, maxPerSubscriber: 3 });
  const f = (trap: number) => {
    const x = new InformFields();
    x.trapNumber = trap;
    return x;
  };
  t.true(s.add(1, 1, f(1)) >= 0);
  t.is(s.add(1, 1, f(1)), SUBSCRIPTION_EXISTS);
  t.true(s.add(1, 1, f(2)) >= 0);
  t.true(s.add(1, 1, f(3)) >= 0);
  t.is(s.add(1, 1, f(4)), SUBSCRIBER_FULL);
  t.true(s.add(2, 2, f(1)) >= 0);
  t.true(s.add(3, 3, f(1)) >= 0);
  t.is(s.add(4, 4, f(1)), SUBSCRIPTIONS_FULL);
  t.is(s.count, 5);
  t.true(s.remove(1, 1, f(3)));
  t.true(s.add(4, 4, f(1)) >= 0, 'room again after an unsubscribe');
  t.throws(() => new Subscriptions(4, { maxRows: 0 }), { message: /maxRows: 0 is not a positive integer/ });
});

test('the SA answers a subscription past the per-subscriber bound with SaNoResources and counts it', (t) => {
  const sub = subnet('per-pf');
  const statuses: number[] = [];
  sub.fabric.setTap((mad, _sl, _sq, dstLid) => {
    if (dstLid === sub.lids.hostLid[1] && mad[3] === Method.GetResp && ((mad[16]! << 8) | mad[17]!) === SaAttr.InformInfo) statuses.push((mad[4]! << 8) | mad[5]!);
  });
  const limit = 16;
  const d = during(sub, () => {
    // The host already holds one subscription; 20 distinct ones more (trap numbers 100..119).
    for (let i = 0; i < 20; i++) {
      const v = new MadView().wrapForWrite(new Uint8Array(256));
      v.initSa(Method.Set, SaAttr.InformInfo, 0xd0030000, 1);
      fillDom0InformInfo(v, 1);
      v.informInfo.trapNumber = 100 + i;
      sub.fabric.send(v.bytes, sub.lids.hostLid[1]!, GSI_QP, 0, 0, sub.lids.smLid, GSI_QP, 0, 0, sub.nowNs + i * 10_000);
    }
  });
  t.is(d.smSubscribes, limit - 1);
  t.is(d.smSubscriptionsFull, 20 - (limit - 1));
  t.is(statuses.filter((x) => x === MadStatus.SaNoResources).length, 20 - (limit - 1));
  t.is(statuses.filter((x) => x === MadStatus.Ok).length, limit - 1);
});

test('the trap table is bounded: past maxParked the oldest record is expired early with an UnPath, counted', (t) => {
  const sent: Uint8Array[] = [];
  const tr: Transport = {
    bind(_l: number, _r: SinkRole, _s: MadSink) {},
    send(mad: Uint8Array) {
      sent.push(mad.slice());
    },
  };
  const q = new EventQueue();
  const counters = new Counters();
  const hosts = 2;
  const sm = new SubnetManager({
    hosts,
    slotsPerHost: 8,
    hostPortGuidHigh: new Uint32Array(hosts).fill(0x00020000),
    hostPortGuidLow: Uint32Array.from([0x1000, 0x1001]),
    lids: assignLids(hosts),
    smPortGuidHigh: 0x5e9a7000,
    smPortGuidLow: 1,
    transport: tr,
    scheduler: q,
    cost: defaultCostModel(),
    counters,
    maxParked: 3,
  });
  const lid = assignLids(hosts).hostLid[0]!;
  // Create and delete 5 VMs with fresh vGUIDs at index 1: each Delete parks one record.
  for (let i = 0; i < 5; i++) {
    sm.receive(guidSet(Method.Set, lid, 1, 0x00030000, 100 + i), lid, GSI_QP, 0, 0, sm.smLid, GSI_QP, 0, 0, i * 1000);
    sm.receive(guidSet(Method.Delete, lid, 1, 0, 0), lid, GSI_QP, 0, 0, sm.smLid, GSI_QP, 0, 0, i * 1000 + 500);
  }
  t.is(sm.trapTable.size, 3);
  t.is(counters.get('smTrapTableEvictions'), 2);
  t.is(counters.get('smNoticesUnPath'), 2);
  t.is(sm.trapTable.find(0x00030000, 100), -1, 'the oldest went first');
  t.is(sm.trapTable.find(0x00030000, 101), -1);
  t.true(sm.trapTable.find(0x00030000, 104) >= 0);
  t.throws(() => new SubnetManager({ ...smOptions(tr, q, counters), maxParked: 0 }), { message: /maxParked: 0 is not a positive integer/ });
});

function smOptions(tr: Transport, q: EventQueue, counters: Counters) {
  return {
    hosts: 1,
    slotsPerHost: 2,
    hostPortGuidHigh: Uint32Array.from([0x00020000]),
    hostPortGuidLow: Uint32Array.from([0x1000]),
    lids: assignLids(1),
    smPortGuidHigh: 0x5e9a7000,
    smPortGuidLow: 1,
    transport: tr,
    scheduler: q,
    cost: defaultCostModel(),
    counters,
  };
}

test('the per-VM path cache is bounded: a VM with more peers than entries keeps what fits, counts the rest', (t) => {
  const s = generateScenario({ seed: 3, hosts: 4, slotsPerHost: 6, vmsPerHost: 4, peersPerVm: 6 });
  const sub = new EmulatedSubnet(s, 'per-pf', { cacheEntriesPerVm: 4 });
  sub.setup('mads');
  const c = sub.counters.toObject();
  t.is(c.vmCacheFull, s.vms * 2, 'two of six peers did not fit, per VM');
  for (let v = 0; v < s.vms; v++) t.is(sub.vms.pathCache.size(v), 4);
  t.is(sub.countStale().stale, 0);
});
