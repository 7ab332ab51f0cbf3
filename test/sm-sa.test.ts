// The SM/SA on its own, fed MADs through a capturing transport: the GUIDInfoRecord rules of
// OpenSM, PathRecord answers, InformInfo checks, and malformed input (answered with the right
// status, or dropped and counted — never thrown).
import test from 'ava';
import { SubnetManager } from '../core/sm/subnet-manager.js';
import { assignLids } from '../core/sm/lid-assignment.js';
import { EventQueue } from '../core/engine/event-queue.js';
import { defaultCostModel } from '../core/engine/cost-model.js';
import { Counters } from '../core/metrics/counters.js';
import { MadView } from '../core/mad/mad-view.js';
import {
  GSI_QP,
  GuidInfoRecordMask,
  MadStatus,
  Method,
  PathRecordMask,
  SaAttr,
} from '../core/mad/constants.js';
import { OPENIB_VENDOR_ID } from '../core/sm/vguid-assignment.js';
import type { MadSink, SinkRole, Transport } from '../core/fabric/transport.js';
import { fillDom0InformInfo } from '../core/dom0/dom0.js';

interface Sent {
  bytes: Uint8Array;
  dstLid: number;
  dstGuidLow: number;
}

class CaptureTransport implements Transport {
  sent: Sent[] = [];
  bind(_lid: number, _role: SinkRole, _sink: MadSink): void {}
  send(mad: Uint8Array, _sl: number, _sq: number, _sh: number, _slo: number, dstLid: number, _dq: number, _dh: number, dstGuidLow: number): void {
    this.sent.push({ bytes: mad.slice(0, 256), dstLid, dstGuidLow });
  }
  last(): MadView {
    return new MadView().wrap(this.sent[this.sent.length - 1]!.bytes);
  }
}

const HOSTS = 3;
const SLOTS = 10; // guidCap 11: blocks 0 and 1

function makeSm(): { sm: SubnetManager; tr: CaptureTransport; counters: Counters; q: EventQueue } {
  const tr = new CaptureTransport();
  const counters = new Counters();
  const q = new EventQueue();
  const sm = new SubnetManager({
    hosts: HOSTS,
    slotsPerHost: SLOTS,
    hostPortGuidHigh: new Uint32Array(HOSTS).fill(0x00020000),
    hostPortGuidLow: Uint32Array.from([0x1000, 0x1001, 0x1002]),
    lids: assignLids(HOSTS),
    smPortGuidHigh: 0x5e9a7000,
    smPortGuidLow: 1,
    transport: tr,
    scheduler: q,
    cost: defaultCostModel(),
    counters,
  });
  return { sm, tr, counters, q };
}

const hostLid = (h: number) => assignLids(HOSTS).hostLid[h]!;

function guidSet(method: number, host: number, index: number, high: number, low: number, maskLow?: number): Uint8Array {
  const v = new MadView().wrapForWrite(new Uint8Array(256));
  v.initSa(method, SaAttr.GuidInfoRecord, 0xabc, index);
  const k = index % 8;
  v.componentMaskLow = maskLow ?? ((1 << GuidInfoRecordMask.LID) | (1 << GuidInfoRecordMask.BLOCK_NUM) | (1 << (GuidInfoRecordMask.GID0 + k)));
  v.guidInfoRecord.lid = hostLid(host);
  v.guidInfoRecord.blockNum = (index / 8) | 0;
  v.guidInfoRecord.setGuid(k, high, low);
  return v.bytes;
}

function feed(sm: SubnetManager, mad: Uint8Array, host = 0, srcGuidLow = 0): void {
  sm.receive(mad, hostLid(host), GSI_QP, srcGuidLow === 0 ? 0 : 0x00030000, srcGuidLow, sm.smLid, GSI_QP, 0, 0, 0);
}

test('GUIDInfoRecord Set echoes the block; the LID-vGUID table holds the vGUID', (t) => {
  const { sm, tr } = makeSm();
  feed(sm, guidSet(Method.Set, 1, 3, 0x00030000, 7));
  const r = tr.last();
  t.is(r.method, Method.GetResp);
  t.is(r.status, MadStatus.Ok);
  t.is(r.tidLow, 3);
  t.is(r.guidInfoRecord.guidLow(3), 7);
  t.is(r.guidInfoRecord.guidLow(0), 0x1001, 'index 0 shows the port GUID');
  t.is(sm.lidVguid.lid(0x00030000, 7), hostLid(1));
  t.is(sm.lidVguid.host(0x00030000, 7), 1);
});

test('GUIDInfoRecord rules: mask, unknown LID, block range, read-only index 0', (t) => {
  const { sm, tr, counters } = makeSm();
  feed(sm, guidSet(Method.Set, 0, 2, 0x00030000, 9, 1 << GuidInfoRecordMask.LID));
  t.is(tr.last().status, MadStatus.SaInsufficientComponents);
  const unknownLid = guidSet(Method.Set, 0, 2, 0x00030000, 9);
  new MadView().wrapForWrite(unknownLid).guidInfoRecord.lid = 0x300;
  feed(sm, unknownLid);
  t.is(tr.last().status, MadStatus.SaNoRecords);
  feed(sm, guidSet(Method.Set, 0, 16, 0x00030000, 9)); // block 2 >= ceil(11 / 8)
  t.is(tr.last().status, MadStatus.SaNoRecords);
  feed(sm, guidSet(Method.Set, 0, 0, 0x00030000, 9));
  t.is(tr.last().status, MadStatus.SaRequestInvalid);
  feed(sm, guidSet(Method.Delete, 0, 0, 0, 0));
  t.is(tr.last().status, MadStatus.SaRequestInvalid);
  t.is(counters.get('smSentErrorResp'), 5);
  t.is(sm.lidVguid.size, 0);
});

test('a zero GUID asks the SA to assign one, OpenSM style; the same index gets it back', (t) => {
  const { sm, tr, counters } = makeSm();
  feed(sm, guidSet(Method.Set, 2, 4, 0, 0));
  const r = tr.last();
  const high = r.guidInfoRecord.guidHigh(4);
  const low = r.guidInfoRecord.guidLow(4);
  t.is(high >>> 8, OPENIB_VENDOR_ID);
  t.is(low, 1);
  t.is(sm.lidVguid.lid(high, low), hostLid(2));
  feed(sm, guidSet(Method.Delete, 2, 4, 0, 0));
  t.is(tr.last().method, Method.DeleteResp);
  t.is(tr.last().guidInfoRecord.guidLow(4), 0);
  feed(sm, guidSet(Method.Set, 2, 4, 0, 0));
  t.is(tr.last().guidInfoRecord.guidLow(4), low, 'persistent per (port, index)');
  t.is(counters.get('smReboots'), 1, 'same vGUID, same LID: a reboot');
  feed(sm, guidSet(Method.Set, 2, 5, 0, 0));
  t.is(tr.last().guidInfoRecord.guidLow(5), 2, 'a new index gets a new GUID');
});

test('a Set of a vGUID another port holds is refused: slot left empty, status 0, counted', (t) => {
  const { sm, tr, counters } = makeSm();
  feed(sm, guidSet(Method.Set, 0, 1, 0x00030000, 42));
  feed(sm, guidSet(Method.Set, 1, 1, 0x00030000, 42));
  const r = tr.last();
  t.is(r.status, MadStatus.Ok);
  t.is(r.guidInfoRecord.guidLow(1), 0);
  t.is(counters.get('smRefusedSets'), 1);
  t.is(sm.lidVguid.host(0x00030000, 42), 0);
  // A port's own GUID cannot be an alias elsewhere either.
  feed(sm, guidSet(Method.Set, 1, 2, 0x00020000, 0x1000));
  t.is(counters.get('smRefusedSets'), 2);
});

test('Algorithm 1 inside the SA: delete parks, set elsewhere = RePath job, set back home = reboot', (t) => {
  const { sm, counters } = makeSm();
  feed(sm, guidSet(Method.Set, 0, 1, 0x00030000, 5));
  t.is(counters.get('smCreations'), 1);
  feed(sm, guidSet(Method.Delete, 0, 1, 0, 0));
  t.is(sm.trapTable.size, 1);
  t.is(sm.trapTable.oldLid(sm.trapTable.find(0x00030000, 5)), hostLid(0));
  feed(sm, guidSet(Method.Set, 2, 3, 0x00030000, 5));
  t.is(counters.get('smMigrations'), 1);
  t.is(counters.get('smNoticesRePath'), 1);
  t.is(sm.trapTable.size, 0);
  feed(sm, guidSet(Method.Delete, 2, 3, 0, 0));
  feed(sm, guidSet(Method.Set, 2, 6, 0x00030000, 5));
  t.is(counters.get('smReboots'), 1, 'another index of the same port: same LID, no notice');
  t.is(counters.get('smNoticesRePath'), 1);
});

test('PathRecord: answered from the LID-vGUID table; unknown vGUID -> SaNoRecords', (t) => {
  const { sm, tr, counters } = makeSm();
  feed(sm, guidSet(Method.Set, 1, 1, 0x00030000, 5));
  const v = new MadView().wrapForWrite(new Uint8Array(256));
  v.initSa(Method.Get, SaAttr.PathRecord, 1, 2);
  v.componentMaskLow = (1 << PathRecordMask.DGID) | (1 << PathRecordMask.SGID);
  v.pathRecord.dgid.set(0xfe800000, 0, 0x00030000, 5);
  v.pathRecord.sgid.set(0xfe800000, 0, 0x00030000, 99);
  feed(sm, v.bytes, 2, 99);
  let r = tr.last();
  t.is(r.status, MadStatus.Ok);
  t.is(r.pathRecord.dlid, hostLid(1));
  t.is(r.pathRecord.slid, hostLid(2));
  t.is(tr.sent[tr.sent.length - 1]!.dstGuidLow, 99, 'answered to the asking VF (GRH DGID)');
  v.pathRecord.dgid.set(0xfe800000, 0, 0x00030000, 6);
  feed(sm, v.bytes, 2, 99);
  r = tr.last();
  t.is(r.status, MadStatus.SaNoRecords);
  t.is(counters.get('smPathRecordNoRecords'), 1);
  v.componentMaskLow = 1 << PathRecordMask.SGID;
  feed(sm, v.bytes, 2, 99);
  t.is(tr.last().status, MadStatus.SaInsufficientComponents);
  v.method = Method.GetTable;
  v.componentMaskLow = 1 << PathRecordMask.DGID;
  feed(sm, v.bytes, 2, 99);
  t.is(tr.last().status, MadStatus.UnsupportedMethodAttr);
});

test('InformInfo: subscribe, duplicate kept once, bad QPN refused, exact unsubscribe', (t) => {
  const { sm, tr, counters } = makeSm();
  const v = new MadView().wrapForWrite(new Uint8Array(256));
  v.initSa(Method.Set, SaAttr.InformInfo, 1, 1);
  fillDom0InformInfo(v, 1);
  feed(sm, v.bytes, 1);
  t.is(tr.last().status, MadStatus.Ok);
  t.is(tr.last().informInfo.subscribe, 1, 'the InformInfo is echoed');
  feed(sm, v.bytes, 1);
  t.is(sm.subscriptions.count, 1);
  v.informInfo.qpn = 5;
  feed(sm, v.bytes, 1);
  t.is(tr.last().status, MadStatus.SaRequestInvalid);
  fillDom0InformInfo(v, 0);
  v.informInfo.trapNumber = 69; // not exactly the subscription (0xFFFF): no wildcard when removing
  feed(sm, v.bytes, 1);
  t.is(tr.last().status, MadStatus.SaRequestInvalid);
  t.is(counters.get('smUnsubscribeUnmatched'), 1);
  fillDom0InformInfo(v, 0);
  feed(sm, v.bytes, 2); // another host: a different subscriber
  t.is(sm.subscriptions.count, 1);
  feed(sm, v.bytes, 1);
  t.is(tr.last().status, MadStatus.Ok);
  t.is(sm.subscriptions.count, 0);
  v.method = Method.Get;
  feed(sm, v.bytes, 1);
  t.is(tr.last().status, MadStatus.UnsupportedMethodAttr);
});

test('malformed MADs are answered with the codec status or dropped, never thrown', (t) => {
  const { sm, tr, counters } = makeSm();
  const good = guidSet(Method.Set, 0, 1, 0x00030000, 5);
  const cases: { name: string; mad: Uint8Array; status?: number }[] = [];
  const badVersion = good.slice();
  badVersion[0] = 2;
  cases.push({ name: 'base version 2', mad: badVersion, status: MadStatus.BadVersion });
  const badClassVersion = good.slice();
  badClassVersion[2] = 1;
  cases.push({ name: 'SA class version 1', mad: badClassVersion, status: MadStatus.BadVersion });
  const badAttr = good.slice();
  badAttr[16] = 0x12;
  badAttr[17] = 0x34;
  cases.push({ name: 'unknown attribute', mad: badAttr });
  const badMethod = good.slice();
  badMethod[3] = 0x7f;
  cases.push({ name: 'reserved method', mad: badMethod });
  cases.push({ name: 'empty buffer', mad: new Uint8Array(0) });
  cases.push({ name: '300 bytes', mad: new Uint8Array(300) });
  const response = good.slice();
  response[3] = Method.GetResp;
  cases.push({ name: 'a response', mad: response });
  const report = good.slice();
  report[3] = Method.Report;
  cases.push({ name: 'a Report with the wrong attribute', mad: report });
  for (const c of cases) {
    const before = tr.sent.length;
    const dropped = counters.get('smDroppedMalformed');
    const other = counters.get('smRecvOther');
    t.notThrows(() => feed(sm, c.mad), c.name);
    if (tr.sent.length > before) {
      // Read raw: an answer to a bad version keeps the bad header fields it echoes.
      const r = new MadView().wrapForWrite(tr.sent[tr.sent.length - 1]!.bytes.slice());
      t.not(r.status, 0, `${c.name}: answered with an error status`);
      t.true(r.isResponse, `${c.name}: as a response`);
      if (c.status !== undefined) t.is(r.status, c.status, c.name);
    } else {
      t.true(counters.get('smDroppedMalformed') > dropped || counters.get('smRecvOther') > other, `${c.name}: dropped and counted`);
    }
  }
  t.is(sm.lidVguid.size, 0, 'nothing malformed changed the tables');
  t.true(counters.get('smDroppedMalformed') >= 2);
});
