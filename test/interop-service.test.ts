// The native path's pieces without a fabric: the umad transport over a fake port (TID restore,
// VF demultiplexing, bounce filtering, the --ibsim GRH trailer) and the signalling service over
// an in-memory transport, with the test playing the SM (OpenSM's SA) and the Dom0s. Virtual
// time: the scheduler is an EventQueue drained by hand, so every run is the same.
import test from 'ava';
import {
  GuidInfoRecordMask,
  MadStatus,
  Method,
  MgmtClass,
  SaAttr,
  TrapNumber,
} from '../core/mad/constants.js';
import { MadView } from '../core/mad/mad-view.js';
import { EventQueue } from '../core/engine/event-queue.js';
import { Counters } from '../core/metrics/counters.js';
import { fillDom0InformInfo } from '../core/dom0/dom0.js';
import { SinkRole, type MadSink } from '../core/fabric/transport.js';
import { SignallingService, type PortTransport } from '../core/service/signalling-service.js';
import { UmadTransport } from '../core/native-transport/umad-transport.js';
import { RealTimeScheduler } from '../core/native-transport/real-time-scheduler.js';
import { nativeCostModel, parseGuid } from '../core/native-transport/native-process.js';
import { ReceivedMad, type UmadPort } from '../native/umad.js';

// ------------------------------------------------------------------ the transport over a fake port

interface Sent {
  bytes: Uint8Array;
  dlid: number;
  dqpn: number;
}

class FakePort {
  readonly sent: Sent[] = [];
  handler: ((m: ReceivedMad) => void) | undefined;
  constructor(readonly lid: number, readonly guidLow: number, readonly smLid: number) {}
  info() {
    return { caName: 'fake0', portNum: 1, lid: this.lid, smLid: this.smLid, portGuidHigh: 0, portGuidLow: this.guidLow };
  }
  register(_spec: unknown, handler: (m: ReceivedMad) => void): number {
    this.handler = handler;
    return 0;
  }
  send(_agent: number, mad: Uint8Array, address: { dlid: number; dqpn?: number }): void {
    this.sent.push({ bytes: mad.slice(), dlid: address.dlid, dqpn: address.dqpn ?? 1 });
  }
  /** A MAD arrives as the MAD layer hands it over (status 0, or a bounce's errno). */
  deliver(bytes: Uint8Array, slid: number, status = 0): void {
    const m = new ReceivedMad();
    m.bytes = bytes;
    m.status = status;
    m.slid = slid;
    m.sqpn = 1;
    m.length = 256;
    this.handler!(m);
  }
}

interface Got {
  mad: Uint8Array;
  srcLid: number;
  sg: [number, number];
  dg: [number, number];
}

function recorder(): { sink: MadSink; got: Got[] } {
  const got: Got[] = [];
  return {
    got,
    sink: {
      receive: (mad, srcLid, _sq, sgh, sgl, _dl, _dq, dgh, dgl) => got.push({ mad: mad.slice(), srcLid, sg: [sgh, sgl], dg: [dgh, dgl] }),
    },
  };
}

function transportOn(port: FakePort, grhTrailer: boolean): UmadTransport {
  return new UmadTransport({ port: port as unknown as UmadPort, scheduler: new EventQueue(), saMethods: [Method.Report], smLid: port.smLid, grhTrailer });
}

const tid = (b: Uint8Array): [number, number] => {
  const dv = new DataView(b.buffer, b.byteOffset, 256);
  return [dv.getUint32(8), dv.getUint32(12)];
};

test('a request leaves with the transport\'s sequence as TID low; the response gets the caller\'s TID back and goes to the VF that asked', (t) => {
  const port = new FakePort(7, 0x100005, 1);
  const tr = transportOn(port, false);
  const { sink, got } = recorder();
  tr.bind(7, SinkRole.Host, sink);
  const v = new MadView().wrapForWrite(new Uint8Array(256)).initSa(Method.Get, SaAttr.PathRecord, 0x7e010003, 0);
  tr.send(v.bytes, 7, 1, 0x0002c903, 0x00a00001, 1, 1, 0, 0, 0);
  t.is(port.sent.length, 1);
  const wire = port.sent[0]!.bytes;
  const [, seq] = tid(wire);
  t.not(seq, 0);
  // The MAD layer rewrites the high half (agent id); the SM answers with what it got.
  const answer = wire.slice();
  answer[3] = Method.GetResp;
  new DataView(answer.buffer).setUint32(8, 0x00000002);
  port.deliver(answer, 1);
  t.is(got.length, 1);
  t.deepEqual(tid(got[0]!.mad), [0x7e010003, 0], 'the caller\'s TID, both halves');
  t.deepEqual(got[0]!.dg, [0x0002c903, 0x00a00001], 'handed back to the VF\'s vGUID');
  // The same answer again names no outstanding request.
  port.deliver(answer, 1);
  t.is(tr.stats.unmatchedResponses, 1);
});

test('a bounced MAD (status ETIMEDOUT) is never delivered: a timeout of ours or a stray, each counted', (t) => {
  const port = new FakePort(7, 0x100005, 1);
  const tr = transportOn(port, false);
  const { sink, got } = recorder();
  tr.bind(7, SinkRole.Host, sink);
  const v = new MadView().wrapForWrite(new Uint8Array(256)).initSa(Method.Set, SaAttr.GuidInfoRecord, 0xd0010000, 0);
  tr.send(v.bytes, 7, 1, 0, 0, 5, 1, 0, 0, 0);
  port.deliver(port.sent[0]!.bytes.slice(), 5, 110);
  const stray = port.sent[0]!.bytes.slice();
  stray[15] = stray[15]! ^ 0x40; // another agent's TID
  port.deliver(stray, 5, 110);
  t.is(got.length, 0);
  t.is(tr.stats.timedOut, 1);
  t.is(tr.stats.stray, 1);
});

test('--ibsim: VF GUIDs travel in the trailer between repath processes, never to the SM; SMPs are not carried', (t) => {
  const a = new FakePort(7, 0x100005, 1);
  const b = new FakePort(5, 0x100003, 1);
  const ta = transportOn(a, true);
  const tb = transportOn(b, true);
  const { sink, got } = recorder();
  tb.bind(5, SinkRole.Sm, sink);
  const v = new MadView().wrapForWrite(new Uint8Array(256)).initSa(Method.Set, SaAttr.InformInfo, 0x7e020000, 3);
  fillDom0InformInfo(v, 1);
  ta.send(v.bytes, 7, 1, 0x0002c903, 0x00a00001, 5, 1, 0, 0, 0);
  b.deliver(a.sent[0]!.bytes, 7);
  t.deepEqual(got[0]!.sg, [0x0002c903, 0x00a00001], 'the service learns the subscribing vGUID');
  t.true(got[0]!.mad.subarray(160, 180).every((x) => x === 0), 'trailer removed before the sink sees the MAD');
  // To the SM (OpenSM): no trailer, counted.
  ta.send(v.bytes, 7, 1, 0x0002c903, 0x00a00001, 1, 1, 0, 0, 0);
  t.true(a.sent[1]!.bytes.subarray(160, 180).every((x) => x === 0));
  t.is(ta.stats.grhNotCarried, 1);
  // Without --ibsim: nothing carried.
  const plain = transportOn(new FakePort(8, 0x100007, 1), false);
  plain.send(v.bytes, 8, 1, 0x0002c903, 0x00a00001, 5, 1, 0, 0, 0);
  t.is(plain.stats.grhNotCarried, 1);
  const smp = new Uint8Array(256);
  smp.set([1, MgmtClass.SubnLid, 1, Method.Trap]);
  ta.send(smp, 7, 1, 0, 0, 5, 1, 0, 0, 0);
  t.is(ta.stats.smpNotCarried, 1);
  t.is(a.sent.length, 2);
});

test('parseGuid reads 0x-prefixed GUIDs and names the field when it cannot', (t) => {
  t.deepEqual(parseGuid('vguid', '0x0002c90300a00001'), [0x0002c903, 0x00a00001]);
  t.deepEqual(parseGuid('vguid', '0x10'), [0, 0x10]);
  t.throws(() => parseGuid('peer vguid', 'abc'), { message: 'peer vguid: "abc" is not a GUID (0x + 1..16 hex digits)' });
  t.throws(() => parseGuid('vguid', '0x0'), { message: 'vguid: 0 is not a GUID' });
});

// ------------------------------------------------------------------ the service, the test as SM and Dom0s

const SERVICE_LID = 5;
const SM_LID = 1;
const PORT = (lid: number): [number, number] => [0, 0x100000 + lid];

interface Out {
  mad: Uint8Array;
  dstLid: number;
  dg: [number, number];
}

class MemoryTransport implements PortTransport {
  readonly lid = SERVICE_LID;
  readonly portGuidHigh = 0;
  readonly portGuidLow = 0x100003;
  readonly smLid = SM_LID;
  readonly out: Out[] = [];
  sink: MadSink | undefined;
  bind(_lid: number, _role: SinkRole, sink: MadSink): void {
    this.sink = sink;
  }
  send(mad: Uint8Array, _sl: number, _sq: number, _sgh: number, _sgl: number, dl: number, _dq: number, dgh: number, dgl: number): void {
    this.out.push({ mad: mad.slice(), dstLid: dl, dg: [dgh, dgl] });
  }
  take(): Out[] {
    return this.out.splice(0);
  }
}

function setup(costOverrides: Record<string, unknown> = {}) {
  const queue = new EventQueue();
  const tr = new MemoryTransport();
  const counters = new Counters();
  const service = new SignallingService({ transport: tr, scheduler: queue, cost: nativeCostModel(costOverrides), counters, maxHosts: 8, slotsPerHost: 8 });
  const drain = (): void => {
    // Fan-out steps run now; timers (relay, Report retry) stay for the tests that want them.
    while (queue.size > 0 && queue.peekTime() <= queue.nowNs) {
      queue.pop();
      service.onEvent(queue.kind, queue.a, queue.b, queue.c, queue.nowNs);
    }
  };
  const from = (lid: number, mad: Uint8Array, sg: [number, number] = [0, 0]): void => {
    service.receive(mad, lid, 1, sg[0], sg[1], SERVICE_LID, 1, 0, 0, queue.nowNs);
    drain();
  };
  /** Plays OpenSM: answers the relayed request `req` (GUIDInfoRecord) with block `guids` (index 0 = the port GUID). */
  const smAnswers = (req: Out, status: number, guids: Array<[number, number]>): void => {
    const q = new MadView().wrap(req.mad);
    const res = new MadView().wrapForWrite(new Uint8Array(256)).initResponseTo(q, q.method === Method.Delete ? Method.DeleteResp : Method.GetResp, status);
    const r = res.guidInfoRecord;
    r.lid = q.guidInfoRecord.lid;
    r.blockNum = q.guidInfoRecord.blockNum;
    guids.forEach(([h, l], k) => r.setGuid(k, h, l));
    from(SM_LID, res.bytes);
  };
  return { queue, tr, counters, service, from, smAnswers, drain };
}

function guidRecord(method: number, lid: number, index: number, guid: [number, number], tidHigh: number, maskBits?: number): Uint8Array {
  const v = new MadView().wrapForWrite(new Uint8Array(256)).initSa(method, SaAttr.GuidInfoRecord, tidHigh, 77);
  v.componentMaskHigh = 0;
  v.componentMaskLow = maskBits ?? ((1 << GuidInfoRecordMask.LID) | (1 << GuidInfoRecordMask.BLOCK_NUM) | (1 << (GuidInfoRecordMask.GID0 + (index & 7)))) >>> 0;
  v.guidInfoRecord.lid = lid;
  v.guidInfoRecord.blockNum = index >>> 3;
  v.guidInfoRecord.setGuid(index & 7, guid[0], guid[1]);
  return v.bytes;
}

const VM: [number, number] = [0x0002c903, 0x00a00001];

test('service: subscribe (host learnt from the SM), alias set and moved through the SM, RePath to every PF, ReportResp retires it', (t) => {
  const { tr, counters, service, from, smAnswers } = setup();
  // Two PFs subscribe; the service first asks the SM who each port is.
  for (const lid of [7, 8]) {
    const ii = new MadView().wrapForWrite(new Uint8Array(256)).initSa(Method.Set, SaAttr.InformInfo, 0xd0030000, 0);
    fillDom0InformInfo(ii, 1);
    from(lid, ii.bytes);
    const [lookup] = tr.take();
    t.is(lookup!.dstLid, SM_LID, 'host lookup goes to the SM');
    t.is(new MadView().wrap(lookup!.mad).attributeId, SaAttr.GuidInfoRecord);
    smAnswers(lookup!, MadStatus.Ok, [PORT(lid)]);
    const [ack] = tr.take();
    t.is(ack!.dstLid, lid);
    t.is(new MadView().wrap(ack!.mad).status, MadStatus.Ok, 'InformInfo answered');
  }
  t.is(service.sm.subscriptions.count, 2);
  // Set of the VM's alias at LID 7 index 1, relayed; the SM echoes it: creation (no notice).
  from(7, guidRecord(Method.Set, 7, 1, VM, 0xd0010000));
  const [setReq] = tr.take();
  t.is(setReq!.dstLid, SM_LID);
  smAnswers(setReq!, MadStatus.Ok, [PORT(7), VM]);
  const [setAns] = tr.take();
  t.is(setAns!.dstLid, 7);
  t.deepEqual(new MadView().wrap(setAns!.mad).tidHigh, 0xd0010000, 'the Dom0 gets its own TID back');
  t.is(counters.get('smCreations'), 1);
  t.is(service.sm.lidOfGuid(VM[0], VM[1]), 7);
  // Migration: Delete at 7 (parked), Set at 8 (RePath).
  from(7, guidRecord(Method.Delete, 7, 1, [0, 0], 0xd0020000));
  smAnswers(tr.take()[0]!, MadStatus.Ok, [PORT(7)]);
  tr.take();
  t.is(service.sm.trapTable.size, 1);
  from(8, guidRecord(Method.Set, 8, 1, VM, 0xd0010000));
  smAnswers(tr.take()[0]!, MadStatus.Ok, [PORT(8), VM]);
  const sent = tr.take();
  const reports = sent.filter((o) => o.mad[3] === Method.Report);
  t.is(reports.length, 2, 'one Report per subscribed PF');
  t.deepEqual(reports.map((r) => r.dstLid).sort(), [7, 8]);
  for (const r of reports) {
    const n = new MadView().wrap(r.mad).notice;
    t.is(n.trapNumber, TrapNumber.RePath);
    t.is(n.newLid, 8);
    t.is(n.oldLid, 7);
    t.deepEqual(r.dg, [0, 0], 'a PF subscriber needs no DGID');
  }
  t.is(service.sm.trapTable.size, 0);
  for (const r of reports) {
    const q = new MadView().wrap(r.mad);
    const resp = new MadView().wrapForWrite(new Uint8Array(256)).initResponseTo(q, Method.ReportResp, MadStatus.Ok);
    from(r.dstLid, resp.bytes);
  }
  t.is(service.sm.reports.outstanding, 0);
  t.is(counters.get('smRecvReportResp'), 2);
  t.is(counters.get('smMigrations'), 1);
});

test('service: a Set the SM echoes with the slot zeroed (another port holds the alias) is refused and not mirrored', (t) => {
  const { tr, counters, service, from, smAnswers } = setup();
  from(7, guidRecord(Method.Set, 7, 1, VM, 0xd0010000));
  smAnswers(tr.take()[0]!, MadStatus.Ok, [PORT(7), VM]);
  tr.take();
  from(8, guidRecord(Method.Set, 8, 2, VM, 0xd0010001));
  smAnswers(tr.take()[0]!, MadStatus.Ok, [PORT(8), [0, 0], [0, 0]]);
  const [ans] = tr.take();
  t.is(ans!.dstLid, 8);
  t.deepEqual([new MadView().wrap(ans!.mad).guidInfoRecord.guidHigh(2), new MadView().wrap(ans!.mad).guidInfoRecord.guidLow(2)], [0, 0], 'the Dom0 sees the zero slot');
  t.is(service.stats.setsRefusedBySm, 1);
  t.is(counters.get('smRefusedSets'), 1);
  t.is(service.sm.lidOfGuid(VM[0], VM[1]), 7, 'the alias stays where the SM has it');
  t.is(counters.get('smNoticesRePath'), 0);
});

test('service: its own bad input is answered with the SA\'s status, never relayed', (t) => {
  const { tr, counters, from } = setup();
  const status = (mad: Uint8Array): number => {
    from(7, mad);
    const out = tr.take();
    t.is(out.length, 1);
    t.is(out[0]!.dstLid, 7, 'answered to the requester, not relayed to the SM');
    return (out[0]!.mad[4]! << 8) | out[0]!.mad[5]!;
  };
  t.is(status(guidRecord(Method.Set, 7, 1, VM, 1, (1 << GuidInfoRecordMask.GID0 + 1) >>> 0)), MadStatus.SaInsufficientComponents);
  t.is(status(guidRecord(Method.Set, 7, 0, VM, 1)), MadStatus.SaRequestInvalid, 'index 0 (the port GUID) is read-only');
  t.is(status(guidRecord(Method.GetTable, 7, 1, VM, 1)), MadStatus.UnsupportedMethodAttr);
  const pr = new MadView().wrapForWrite(new Uint8Array(256)).initSa(Method.Set, SaAttr.PathRecord, 1, 1);
  t.is(status(pr.bytes), MadStatus.UnsupportedMethodAttr);
  const other = new MadView().wrapForWrite(new Uint8Array(256)).initSa(Method.Get, SaAttr.NodeRecord, 1, 1);
  t.is(status(other.bytes), MadStatus.UnsupportedMethodAttr);
  const badVersion = new MadView().wrapForWrite(new Uint8Array(256)).initSa(Method.Get, SaAttr.PathRecord, 1, 1).bytes;
  badVersion[2] = 1; // SA ClassVersion must be 2
  t.is(status(badVersion), MadStatus.BadVersion);
  t.is(counters.get('smSentErrorResp'), 6);
});

test('service: a relay the SM never answers is re-sent, then given up (the requester retries on its own)', (t) => {
  const { queue, tr, service, from } = setup();
  from(7, guidRecord(Method.Set, 7, 1, VM, 0xd0010000));
  t.is(tr.take().length, 1);
  const cost = nativeCostModel();
  let resends = 0;
  while (queue.size > 0) {
    queue.pop();
    service.onEvent(queue.kind, queue.a, queue.b, queue.c, queue.nowNs);
    resends += tr.take().filter((o) => o.dstLid === SM_LID).length;
  }
  t.is(resends, cost.clientMaxRetries);
  t.is(service.stats.relayTimeouts, cost.clientMaxRetries + 1);
  t.is(service.stats.relaysAbandoned, 1);
  t.is(service.relaysInFlight, 0);
});

test('service --trap-expiry-ms: an alias deleted and never set again is reported as UnPath (trap 68)', (t) => {
  const { queue, tr, counters, service, from, smAnswers } = setup({ trapExpiryNs: 2e9 });
  const ii = new MadView().wrapForWrite(new Uint8Array(256)).initSa(Method.Set, SaAttr.InformInfo, 0xd0030000, 0);
  fillDom0InformInfo(ii, 1);
  from(8, ii.bytes);
  smAnswers(tr.take()[0]!, MadStatus.Ok, [PORT(8)]);
  t.is(tr.take().length, 1, 'the InformInfo answered');
  from(7, guidRecord(Method.Set, 7, 1, VM, 0xd0010000));
  smAnswers(tr.take()[0]!, MadStatus.Ok, [PORT(7), VM]);
  t.is(tr.take().length, 1, 'the Set answered');
  from(7, guidRecord(Method.Delete, 7, 1, [0, 0], 0xd0020000));
  smAnswers(tr.take()[0]!, MadStatus.Ok, [PORT(7)]);
  t.is(tr.take().length, 1, 'the Delete answered');
  t.is(service.sm.trapTable.size, 1);
  const reports: Uint8Array[] = [];
  while (queue.size > 0 && reports.length === 0) {
    queue.pop();
    service.onEvent(queue.kind, queue.a, queue.b, queue.c, queue.nowNs);
    for (const o of tr.take()) if (o.mad[3] === Method.Report) reports.push(o.mad);
  }
  t.is(reports.length, 1, 'one Report to the one subscriber');
  const n = new MadView().wrap(reports[0]!).notice;
  t.is(n.trapNumber, TrapNumber.UnPath);
  t.is(n.oldLid, 7);
  t.is(n.newLid, 0);
  t.true(queue.nowNs >= 2e9, 'not before the expiry');
  t.is(counters.get('smNoticesUnPath'), 1);
  t.is(service.sm.trapTable.size, 0);
});

test('the real-time scheduler hands out events in time order, in batches, and stops cleanly', async (t) => {
  const seen: number[] = [];
  let done: () => void = () => undefined;
  const finished = new Promise<void>((r) => (done = r));
  const s = new RealTimeScheduler((kind, a) => {
    seen.push(a);
    if (kind === 2) done();
  });
  const now = s.nowNs;
  s.push(now + 3e6, 1, 3, 0, 0);
  s.push(now + 1e6, 1, 1, 0, 0);
  s.push(now + 2e6, 1, 2, 0, 0);
  s.push(now - 5e6, 1, 0, 0, 0); // computed from an older clock reading: due now
  s.push(now + 4e6, 2, 4, 0, 0);
  t.is(s.pending, 5);
  await finished;
  t.deepEqual(seen, [0, 1, 2, 3, 4]);
  s.push(s.nowNs + 1e9, 1, 9, 0, 0);
  s.stop();
  t.is(s.pending, 0, 'stop drops what is pending (and its timer)');
  t.throws(() => new RealTimeScheduler(() => undefined).push(Infinity, 1, 0, 0, 0), { message: 'RealTimeScheduler timeNs: Infinity is not finite (kind 1)' });
});
