// Property tests, seeded: random valid MADs of every attribute round-trip through JSON and through the
// views; 100,000 random and mutated buffers produce a value or a MadError, never any other exception.
import test from 'ava';
import { readFileSync } from 'node:fs';
import {
  MadView,
  MadError,
  decodeMadJson,
  encodeMadJson,
  Method,
  MgmtClass,
  SaAttr,
  SmpAttr,
  type MadJson,
  type JsonFields,
} from '../core/mad/index.js';
import { Xoshiro128, SplitMix32 } from '../core/random.js';

const golden = JSON.parse(readFileSync(new URL('../../test/fixtures/opensm-3.3.23-mads.json', import.meta.url), 'utf8')) as {
  mads: Array<{ name: string; hex: string }>;
};

class Gen {
  constructor(readonly r: Xoshiro128) {}
  bits(n: number): number {
    return n === 32 ? this.r.nextU32() : this.r.nextU32() >>> (32 - n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.r.nextInt(xs.length)]!;
  }
  u64(): string {
    const h = this.r.nextInt(4) === 0 ? 0 : this.r.nextU32();
    const l = this.r.nextInt(8) === 0 ? 0 : this.r.nextU32();
    if (h === 0 && l === 0) return '0x0';
    return '0x' + h.toString(16).padStart(8, '0') + l.toString(16).padStart(8, '0');
  }
  gid(): string {
    const groups: string[] = [];
    for (let i = 0; i < 8; i++) groups.push((this.r.nextInt(3) === 0 ? 0 : this.bits(16)).toString(16).padStart(4, '0'));
    return groups.join(':');
  }
  hex(n: number): string {
    return Buffer.from(this.r.fillBytes(new Uint8Array(n))).toString('hex');
  }
}

function informInfoJson(g: Gen): JsonFields {
  const generic = g.bits(1);
  return {
    gid: g.gid(),
    lidRangeBegin: g.bits(16),
    lidRangeEnd: g.bits(16),
    isGeneric: generic,
    subscribe: g.bits(1),
    type: g.bits(16),
    [generic ? 'trapNumber' : 'deviceId']: g.bits(16),
    qpn: g.bits(24),
    respTimeValue: g.bits(5),
    [generic ? 'producerType' : 'vendorId']: g.bits(24),
  };
}

function noticeJson(g: Gen): JsonFields {
  const kind = g.r.nextInt(8);
  const head = (generic: number, trap: number): JsonFields => ({
    isGeneric: generic,
    type: g.bits(7),
    [generic ? 'producerType' : 'vendorId']: g.bits(24),
    [generic ? 'trapNumber' : 'deviceId']: trap,
    issuerLid: g.bits(16),
    noticeToggle: g.bits(1),
    issuerGid: g.gid(),
  });
  switch (kind) {
    case 0:
      return { ...head(1, 64 + g.r.nextInt(4)), gid: g.gid() };
    case 1:
    case 2:
      return {
        ...head(1, g.pick([68, 69])),
        newLid: g.bits(16),
        oldLid: g.bits(16),
        vmState: g.bits(8),
        vgid: g.gid(),
        newPortGuid: g.u64(),
        oldPortGuid: g.u64(),
        sequence: g.bits(32),
      };
    case 3:
      return { ...head(1, 128), lidAddr: g.bits(16) };
    case 4:
      return {
        ...head(1, 144),
        lidAddr: g.bits(16),
        otherLocalChanges: g.bits(1),
        capabilityMask: g.bits(32),
        changeFlags: g.bits(16),
        capabilityMask2: g.bits(16),
      };
    case 5: // a generic trap without a known layout: opaque
      return { ...head(1, g.pick([129, 130, 131, 145, 256, 257, 258, 259, 1, 0xffff])), dataDetails: g.hex(54) };
    default: // vendor notice
      return { ...head(0, g.bits(16)), dataDetails: g.hex(54) };
  }
}

function randomSaJson(g: Gen, attr: number): MadJson {
  const responseMethods = [Method.GetResp, Method.GetTableResp];
  const method =
    attr === SaAttr.Notice ? g.pick([Method.Report, Method.ReportResp, Method.Get]) : g.pick([Method.Get, Method.Set, Method.GetTable, Method.Delete, ...responseMethods]);
  const minOffset = { [SaAttr.PathRecord]: 8, [SaAttr.GuidInfoRecord]: 9, [SaAttr.InformInfo]: 4, [SaAttr.InformInfoRecord]: 7, [SaAttr.ClassPortInfo]: 9, [SaAttr.Notice]: 10 }[attr]!;
  const json: MadJson = {
    baseVersion: 1,
    mgmtClass: MgmtClass.SubnAdm,
    classVersion: 2,
    method,
    status: g.bits(16),
    classSpecific: g.bits(16),
    transactionId: g.u64(),
    attributeId: attr,
    attributeModifier: g.bits(32),
    rmppVersion: g.bits(8),
    rmppType: g.bits(8),
    rrespTime: g.bits(5),
    rmppFlags: g.bits(3),
    rmppStatus: g.bits(8),
    segmentNumber: g.bits(32),
    payloadLength: g.bits(32),
    smKey: g.u64(),
    attributeOffset: g.r.nextInt(2) === 0 ? 0 : minOffset + g.r.nextInt(26 - minOffset),
    componentMask: g.u64(),
  };
  switch (attr) {
    case SaAttr.PathRecord:
      json.pathRecord = {
        serviceId: g.u64(), dgid: g.gid(), sgid: g.gid(), dlid: g.bits(16), slid: g.bits(16), rawTraffic: g.bits(1),
        flowLabel: g.bits(20), hopLimit: g.bits(8), tclass: g.bits(8), reversible: g.bits(1), numbPath: g.bits(7),
        pkey: g.bits(16), qosClass: g.bits(12), sl: g.bits(4), mtu: g.bits(8), rate: g.bits(8), pktLife: g.bits(8), preference: g.bits(8),
      };
      break;
    case SaAttr.GuidInfoRecord:
      json.guidInfoRecord = { lid: g.bits(16), blockNum: g.bits(8), guids: Array.from({ length: 8 }, () => g.u64()) };
      break;
    case SaAttr.InformInfo:
      json.informInfo = informInfoJson(g);
      break;
    case SaAttr.InformInfoRecord:
      json.informInfoRecord = { subscriberGid: g.gid(), enumeration: g.bits(16), informInfo: informInfoJson(g) };
      break;
    case SaAttr.ClassPortInfo:
      json.classPortInfo = {
        baseVersion: g.bits(8), classVersion: g.bits(8), capabilityMask: g.bits(16), capabilityMask2: g.bits(27), respTimeValue: g.bits(5),
        redirectGid: g.gid(), redirectTClass: g.bits(8), redirectSl: g.bits(4), redirectFlowLabel: g.bits(20), redirectLid: g.bits(16),
        redirectPKey: g.bits(16), redirectQp: g.bits(24), redirectQKey: g.bits(32), trapGid: g.gid(), trapTClass: g.bits(8), trapSl: g.bits(4),
        trapFlowLabel: g.bits(20), trapLid: g.bits(16), trapPKey: g.bits(16), trapHopLimit: g.bits(8), trapQp: g.bits(24), trapQKey: g.bits(32),
      };
      break;
    case SaAttr.Notice:
      json.notice = noticeJson(g);
      break;
  }
  return json;
}

const ATTRIBUTES = [SaAttr.PathRecord, SaAttr.GuidInfoRecord, SaAttr.InformInfo, SaAttr.InformInfoRecord, SaAttr.ClassPortInfo, SaAttr.Notice];

test('random valid MADs of every attribute round-trip through JSON, bytes and views', (t) => {
  const g = new Gen(new Xoshiro128(0x5eed_0001));
  const view = new MadView();
  let checked = 0;
  for (const attr of ATTRIBUTES) {
    for (let i = 0; i < 1500; i++) {
      const json = randomSaJson(g, attr);
      const bytes = encodeMadJson(json);
      const back = decodeMadJson(bytes);
      if (JSON.stringify(back) !== JSON.stringify(json)) {
        t.deepEqual(back, json, `attribute 0x${attr.toString(16)} case ${i}`);
        return;
      }
      const again = encodeMadJson(back);
      if (Buffer.compare(Buffer.from(again), Buffer.from(bytes)) !== 0) {
        t.deepEqual(again, bytes);
        return;
      }
      // The views read what the JSON says, in place.
      view.wrap(bytes);
      t.is(view.bytes, bytes);
      if (view.method !== json.method || view.attributeModifier !== json.attributeModifier || view.attributeOffset !== json.attributeOffset) {
        t.fail(`header mismatch at attribute 0x${attr.toString(16)} case ${i}`);
        return;
      }
      const fieldOk =
        attr === SaAttr.PathRecord ? view.pathRecord.dlid === json.pathRecord!.dlid && view.pathRecord.dgid.toString() === json.pathRecord!.dgid
        : attr === SaAttr.GuidInfoRecord ? view.guidInfoRecord.lid === json.guidInfoRecord!.lid
        : attr === SaAttr.InformInfo ? view.informInfo.qpn === json.informInfo!.qpn && view.informInfo.gid.toString() === json.informInfo!.gid
        : attr === SaAttr.InformInfoRecord ? view.informInfoRecord.enumeration === json.informInfoRecord!.enumeration
        : attr === SaAttr.ClassPortInfo ? view.classPortInfo.trapQKey === json.classPortInfo!.trapQKey
        : view.notice.issuerLid === json.notice!.issuerLid && view.notice.issuerGid.toString() === json.notice!.issuerGid;
      if (!fieldOk) {
        t.fail(`view mismatch at attribute 0x${attr.toString(16)} case ${i}`);
        return;
      }
      checked++;
    }
  }
  t.is(checked, ATTRIBUTES.length * 1500);
});

test('random views: writing every RePath field through the view and reading it back', (t) => {
  const r = new Xoshiro128(7);
  const m = new MadView().wrapForWrite(new Uint8Array(256));
  let matched = 0;
  for (let i = 0; i < 5000; i++) {
    const v = [r.nextU32() >>> 16, r.nextU32() >>> 16, r.nextU32() >>> 24, r.nextU32(), r.nextU32(), r.nextU32(), r.nextU32(), r.nextU32(), r.nextU32()];
    m.initSa(Method.Report, SaAttr.Notice, r.nextU32(), r.nextU32());
    const n = m.notice;
    n.isGeneric = 1;
    n.trapNumber = 69;
    n.newLid = v[0]!;
    n.oldLid = v[1]!;
    n.vmState = v[2]!;
    n.vgid.set(0xfe800000, 0, v[3]!, v[4]!);
    n.newPortGuidHigh = v[5]!;
    n.newPortGuidLow = v[6]!;
    n.oldPortGuidLow = v[7]!;
    n.sequence = v[8]!;
    const got = [n.newLid, n.oldLid, n.vmState, n.vgid.guidHigh, n.vgid.guidLow, n.newPortGuidHigh, n.newPortGuidLow, n.oldPortGuidLow, n.sequence];
    if (got.some((x, k) => x !== v[k])) {
      t.deepEqual(got, v);
      return;
    }
    if (m.notice.trapNumber === 69 && m.notice.isGeneric === 1) matched++;
  }
  t.is(matched, 5000);
});

/** Every field getter of every view, so the fuzz touches all read paths. */
function readEverything(v: MadView): number {
  let s = v.baseVersion + v.mgmtClass + v.classVersion + v.method + v.status + v.classSpecific + v.tidHigh + v.tidLow + v.attributeId + v.attributeModifier;
  s += v.rmppVersion + v.rmppType + v.rrespTime + v.rmppFlags + v.rmppStatus + v.segmentNumber + v.payloadLength + v.smKeyHigh + v.smKeyLow + v.attributeOffset;
  const p = v.pathRecord;
  s += p.dlid + p.slid + p.flowLabel + p.hopLimit + p.numbPath + p.sl + p.qosClass + p.mtu + p.dgid.guidLow + p.sgid.prefixHigh;
  const g = v.guidInfoRecord;
  for (let i = 0; i < 8; i++) s += g.guidHigh(i) + g.guidLow(i);
  s += v.informInfo.qpn + v.informInfo.producerType + v.informInfoRecord.enumeration + v.classPortInfo.trapQp + v.classPortInfo.capabilityMask2;
  const n = v.notice;
  s += n.isGeneric + n.type + n.producerType + n.trapNumber + n.issuerLid + n.newLid + n.oldLid + n.vmState + n.vgid.guidLow + n.sequence + n.noticeCount;
  return s + n.issuerGid.toString().length;
}

test('100,000 random and mutated buffers: a value or a MadError, never another exception', (t) => {
  const r = new Xoshiro128(0xf022);
  const goldenBytes = golden.mads.map((m) => {
    const b = new Uint8Array(256);
    b.set(Buffer.from(m.hex, 'hex'));
    return b;
  });
  const classes = [MgmtClass.SubnAdm, MgmtClass.SubnAdm, MgmtClass.SubnLid, MgmtClass.SubnDirected, MgmtClass.PerfMgt, 0x0a, 0x02, r.nextU32() & 0xff];
  const view = new MadView();
  const slotView = new MadView();
  const ring = new Uint8Array(new SharedArrayBuffer(4096));
  let slotChecks = 0;
  const outcome = { values: 0, madErrors: 0, jsonValues: 0, reencoded: 0 };
  const foreign: string[] = [];
  const scratch = new Uint8Array(300);
  for (let i = 0; i < 100_000; i++) {
    let buf: Uint8Array;
    if (i % 2 === 0) {
      // Random: random length (often 256), random bytes, and half the time a plausible header.
      const len = r.nextInt(3) === 0 ? r.nextInt(300) : 256;
      buf = r.fillBytes(scratch.subarray(0, len));
      if (len > 20 && r.nextInt(2) === 0) {
        buf[0] = 1;
        buf[1] = classes[r.nextInt(classes.length)]!;
        buf[2] = buf[1] === MgmtClass.SubnAdm ? 2 : 1;
        buf[3] = [Method.Get, Method.GetResp, Method.Report, Method.GetTable, Method.Set, r.nextU32() & 0xff][r.nextInt(6)]!;
        buf[16] = 0;
        buf[17] = [SaAttr.PathRecord, SaAttr.Notice, SaAttr.InformInfo, SaAttr.GuidInfoRecord, SaAttr.InformInfoRecord, SaAttr.ClassPortInfo, SmpAttr.GuidInfo, r.nextU32() & 0xff][r.nextInt(8)]!;
        if (len > 45 && r.nextInt(2) === 0) buf[44] = buf[45] = 0;
      }
    } else {
      // Mutated golden: flip a few bits or bytes, sometimes truncate or extend.
      const src = goldenBytes[r.nextInt(goldenBytes.length)]!;
      buf = scratch.subarray(0, 256);
      buf.set(src);
      const flips = 1 + r.nextInt(6);
      for (let k = 0; k < flips; k++) {
        const at = r.nextInt(r.nextInt(2) === 0 ? 64 : 256);
        if (r.nextInt(2) === 0) buf[at] = buf[at]! ^ (1 << r.nextInt(8));
        else buf[at] = r.nextU32() & 0xff;
      }
      const cut = r.nextInt(10);
      if (cut === 0) buf = scratch.subarray(0, r.nextInt(256));
      else if (cut === 1) buf = scratch.subarray(0, 257 + r.nextInt(40));
    }
    let wrapped: number | string;
    try {
      view.wrap(buf);
      wrapped = readEverything(view);
      outcome.values++;
    } catch (e) {
      if (e instanceof MadError) {
        outcome.madErrors++;
        wrapped = e.field;
      } else {
        foreign.push(`wrap #${i}: ${String(e)}`);
        wrapped = 'foreign';
      }
    }
    if (buf.length === 256) {
      // The same MAD at a random (unaligned) place in a SharedArrayBuffer ring decodes the same way.
      const at = r.nextInt(4096 - 256);
      ring.set(buf, at);
      let slotted: number | string;
      try {
        slotted = readEverything(slotView.wrapSlot(ring, at));
      } catch (e) {
        slotted = e instanceof MadError ? e.field : 'foreign';
      }
      if (slotted !== wrapped) foreign.push(`slot #${i}: ${String(slotted)} != ${String(wrapped)}`);
      slotChecks++;
    }
    try {
      const json = decodeMadJson(buf);
      outcome.jsonValues++;
      // What decodes must encode again, and decode to the same JSON.
      const again = decodeMadJson(encodeMadJson(json));
      if (JSON.stringify(again) === JSON.stringify(json)) outcome.reencoded++;
      else foreign.push(`round trip #${i}: ${JSON.stringify(json)} -> ${JSON.stringify(again)}`);
    } catch (e) {
      if (!(e instanceof MadError)) foreign.push(`json #${i}: ${String(e)}`);
    }
    if (foreign.length > 5) break;
  }
  t.deepEqual(foreign, []);
  t.true(slotChecks > 50_000, `slot checks: ${slotChecks}`);
  t.is(outcome.values + outcome.madErrors, 100_000);
  t.is(outcome.jsonValues, outcome.values, 'decodeMadJson accepts exactly what wrap accepts');
  t.is(outcome.reencoded, outcome.jsonValues);
  t.true(outcome.values > 10_000, `values: ${outcome.values}`);
  t.true(outcome.madErrors > 10_000, `errors: ${outcome.madErrors}`);
});

test('seeded PRNGs: same seed same sequence, bounded ints in range and roughly uniform', (t) => {
  const a = new Xoshiro128(12345);
  const b = new Xoshiro128(12345);
  const c = new Xoshiro128(12346);
  const sa = Array.from({ length: 16 }, () => a.nextU32());
  t.deepEqual(Array.from({ length: 16 }, () => b.nextU32()), sa);
  t.notDeepEqual(Array.from({ length: 16 }, () => c.nextU32()), sa);
  // The xoshiro128** reference sequence from state {1, 2, 3, 4}.
  const ref = Xoshiro128.fromState([1, 2, 3, 4]);
  t.deepEqual([ref.nextU32(), ref.nextU32(), ref.nextU32()], [11520, 0, 5927040]);
  const restored = Xoshiro128.fromState(a.getState());
  t.is(restored.nextU32(), a.nextU32());
  const counts = new Array<number>(10).fill(0);
  const s = new SplitMix32(99);
  for (let i = 0; i < 100_000; i++) {
    const k = i % 2 === 0 ? s.nextInt(10) : a.nextInt(10);
    counts[k]!++;
  }
  for (const n of counts) t.true(n > 9_000 && n < 11_000, `bucket ${n}`);
  for (let i = 0; i < 1000; i++) {
    const f = a.nextFloat();
    t.true(f >= 0 && f < 1);
  }
  t.is(new SplitMix32(0).nextU32(), new SplitMix32(0).nextU32());
  t.throws(() => a.nextInt(0), { instanceOf: RangeError });
});
