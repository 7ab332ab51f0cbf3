// Unit tests of the MAD codec: attribute views round-trip at the right byte offsets, the RePath/UnPath
// DataDetails layout, every validation rule (field, value, status), in-place use of a
// SharedArrayBuffer subarray, and the JSON form's error reporting.
import test from 'ava';
import {
  MadView,
  MadError,
  MAD_DROP,
  MadStatus,
  Method,
  MgmtClass,
  SaAttr,
  SmpAttr,
  TrapNumber,
  NoticeType,
  ProducerType,
  VmState,
  PathRecordMask,
  GuidInfoRecordMask,
  maskHasBit,
  maskWithBit,
  maskWithoutBit,
  maskLow,
  maskHigh,
  decodeMadJson,
  encodeMadJson,
  parseGid,
  GidView,
  BytesRef,
  InformInfoView,
  NoticeView,
  SMP_DATA_OFFSET,
  saAttributeOffset,
  DEFAULT_SUBNET_PREFIX_HIGH,
  type MadJson,
} from '../core/mad/index.js';

function hex(b: Uint8Array, from: number, to: number): string {
  return Buffer.from(b.subarray(from, to)).toString('hex');
}

function freshSa(method: number, attr: number): MadView {
  return new MadView().wrapForWrite(new Uint8Array(256)).initSa(method, attr, 0x01020304, 0xa0b0c0d0);
}

function expectMadError(t: import('ava').ExecutionContext, fn: () => unknown, field: string, value: string, status: number): void {
  const e = t.throws(fn, { instanceOf: MadError });
  t.is(e?.field, field);
  t.is(e?.value, value);
  t.is(e?.status, status);
  t.true(e?.message.includes(field) && e.message.includes(value), e?.message);
}

test('initSa writes the SA header: version, class, method, TID, attribute and OpenSM-style AttributeOffset', (t) => {
  const m = freshSa(Method.GetResp, SaAttr.InformInfo);
  const b = m.bytes;
  t.is(hex(b, 0, 24), '0103028100000000' + '01020304a0b0c0d0' + '00030000' + '00000000');
  t.is(m.attributeOffset, 4, 'InformInfo is 36 bytes; OpenSM sends 36 >> 3 = 4');
  t.is(saAttributeOffset(SaAttr.PathRecord), 8);
  t.is(saAttributeOffset(SaAttr.Notice), 10);
  t.is(saAttributeOffset(0x0099), 0);
  t.true(m.isResponse);
  t.is(m.baseMethod, Method.Get);
  t.notThrows(() => new MadView().wrap(b));
});

test('common and SA header fields round-trip at their offsets', (t) => {
  const m = freshSa(Method.GetTable, SaAttr.PathRecord);
  m.status = 0x0300;
  m.classSpecific = 0xbeef;
  m.attributeModifier = 0xdeadbeef;
  m.rmppVersion = 1;
  m.rmppType = 2;
  m.rrespTime = 0x13;
  m.rmppFlags = 5;
  m.rmppStatus = 7;
  m.segmentNumber = 0x11223344;
  m.payloadLength = 0x55667788;
  m.smKeyHigh = 0x99aabbcc;
  m.smKeyLow = 0xddeeff00;
  m.componentMaskHigh = 0x80000000;
  m.componentMaskLow = 0x0000100c;
  const b = m.bytes;
  t.is(hex(b, 4, 8), '0300beef');
  t.is(hex(b, 20, 24), 'deadbeef');
  t.is(hex(b, 24, 56), '0102' + (0x13 << 3 | 5).toString(16) + '07' + '11223344' + '55667788' + '99aabbccddeeff00' + '0008' + '0000' + '800000000000100c');
  t.is(m.rrespTime, 0x13);
  t.is(m.rmppFlags, 5);
  t.is(m.smKeyLow, 0xddeeff00);
  t.is(m.componentMaskHigh, 0x80000000);
  m.isResponse = true;
  t.is(m.method, Method.GetTableResp);
  m.isResponse = false;
  t.is(m.method, Method.GetTable);
});

test('PathRecord view: every field at its IBA offset, sub-byte fields do not disturb neighbours', (t) => {
  const m = freshSa(Method.GetResp, SaAttr.PathRecord);
  const p = m.pathRecord;
  p.serviceIdHigh = 0x10000ce1;
  p.serviceIdLow = 0x00000001;
  p.dgid.set(DEFAULT_SUBNET_PREFIX_HIGH, 0, 0x0002c903, 0x00abcdef);
  p.sgid.set(DEFAULT_SUBNET_PREFIX_HIGH, 0, 0, 0x00100004);
  p.dlid = 0xbfff;
  p.slid = 4;
  p.rawTraffic = 1;
  p.flowLabel = 0xfffff;
  p.hopLimit = 0x40;
  p.tclass = 0x12;
  p.reversible = 1;
  p.numbPath = 0x7f;
  p.pkey = 0xffff;
  p.qosClass = 0xabc;
  p.sl = 0xd;
  p.mtu = 0x84;
  p.rate = 0x83;
  p.pktLife = 0x92;
  p.preference = 3;
  const b = m.bytes;
  const r = 56;
  t.is(hex(b, r, r + 8), '10000ce100000001');
  t.is(hex(b, r + 8, r + 24), 'fe800000000000000002c90300abcdef');
  t.is(hex(b, r + 24, r + 40), 'fe800000000000000000000000100004');
  t.is(hex(b, r + 40, r + 44), 'bfff0004');
  t.is(hex(b, r + 44, r + 48), '8fffff40');
  t.is(hex(b, r + 48, r + 58), '12ffffffabcd84839203');
  // Change one sub-byte field at a time; the neighbours keep their values.
  p.flowLabel = 0x12345;
  t.is(p.rawTraffic, 1);
  t.is(p.hopLimit, 0x40);
  p.sl = 2;
  t.is(p.qosClass, 0xabc);
  p.qosClass = 0x001;
  t.is(p.sl, 2);
  p.numbPath = 1;
  t.is(p.reversible, 1);
  t.is(p.flowLabel, 0x12345);
  t.is(p.mtuSelector, 2);
  t.is(p.mtuValue, 4);
  t.is(p.rateValue, 3);
  t.is(p.pktLifeValue, 0x12);
  t.true(p.dgid.equalsGuid(0x0002c903, 0x00abcdef));
  t.is(p.dgid.toString(), 'fe80:0000:0000:0000:0002:c903:00ab:cdef');
});

test('GUIDInfoRecord view: LID, block and the eight GUID slots', (t) => {
  const m = freshSa(Method.Set, SaAttr.GuidInfoRecord);
  const g = m.guidInfoRecord;
  g.lid = 4;
  g.blockNum = 15;
  for (let i = 0; i < 8; i++) g.setGuid(i, 0x0002c903 + i, 0x00ab0000 + i);
  const b = m.bytes;
  t.is(hex(b, 56, 64), '00040f0000000000');
  t.is(hex(b, 64 + 8 * 7, 72 + 8 * 7), '0002c90a00ab0007');
  t.is(g.guidHigh(3), 0x0002c906);
  t.is(g.guidLow(5), 0x00ab0005);
  t.is(g.indexOfGuid(0x0002c905, 0x00ab0002), 2);
  t.is(g.indexOfGuid(1, 1), -1);
  t.is(decodeMadJson(b).guidInfoRecord?.guids[7], '0x0002c90a00ab0007');
});

test('InformInfo view: subscription fields, QPN and RespTimeValue share one word', (t) => {
  const m = freshSa(Method.Set, SaAttr.InformInfo);
  const i = m.informInfo;
  i.gid.set(DEFAULT_SUBNET_PREFIX_HIGH, 0, 0x0002c903, 0x00000001);
  i.lidRangeBegin = 0xffff;
  i.lidRangeEnd = 0x1234;
  i.isGeneric = 1;
  i.subscribe = 1;
  i.type = NoticeType.SubnetManagement;
  i.trapNumber = TrapNumber.RePath;
  i.qpn = 0xabcdef;
  i.respTimeValue = 18;
  i.producerType = ProducerType.ClassManager;
  const b = m.bytes;
  t.is(hex(b, 56 + 16, 56 + 36), 'ffff12340000010100030045' + 'abcdef12' + '00000004');
  i.qpn = 1;
  t.is(i.respTimeValue, 18);
  i.respTimeValue = 0;
  t.is(i.qpn, 1);
  t.is(i.deviceId, TrapNumber.RePath);
  t.is(i.vendorId, ProducerType.ClassManager);
  // A standalone view over any buffer.
  const standalone = new InformInfoView(new BytesRef(b), 56);
  t.is(standalone.trapNumber, 69);
});

test('InformInfoRecord view: subscriber GID, Enum and the embedded InformInfo at +24', (t) => {
  const m = freshSa(Method.GetTableResp, SaAttr.InformInfoRecord);
  const r = m.informInfoRecord;
  r.subscriberGid.set(DEFAULT_SUBNET_PREFIX_HIGH, 0, 0x00000000, 0x00100004);
  r.enumeration = 7;
  r.informInfo.trapNumber = 69;
  r.informInfo.isGeneric = 1;
  t.is(hex(m.bytes, 56 + 16, 56 + 18), '0007');
  t.is(hex(m.bytes, 56 + 24 + 26, 56 + 24 + 28), '0045');
  t.is(r.informInfo.gid.offset, 56 + 24);
  const json = decodeMadJson(m.bytes);
  t.is(json.informInfoRecord?.subscriberGid, 'fe80:0000:0000:0000:0000:0000:0010:0004');
  t.is(json.informInfoRecord?.informInfo.trapNumber, 69);
  t.deepEqual(decodeMadJson(encodeMadJson(json)), json);
});

test('ClassPortInfo view: redirect and trap fields with their packed words', (t) => {
  const m = freshSa(Method.GetResp, SaAttr.ClassPortInfo);
  const c = m.classPortInfo;
  c.baseVersion = 1;
  c.classVersion = 2;
  c.capabilityMask = 0x2602;
  c.capabilityMask2 = 0x7ffffff;
  c.respTimeValue = 0x12;
  c.redirectTClass = 0xaa;
  c.redirectSl = 0xb;
  c.redirectFlowLabel = 0xccccc;
  c.redirectLid = 9;
  c.redirectPKey = 0xffff;
  c.redirectQp = 0x123456;
  c.redirectQKey = 0x80010000;
  c.trapGid.set(DEFAULT_SUBNET_PREFIX_HIGH, 0, 0, 1);
  c.trapTClass = 1;
  c.trapSl = 2;
  c.trapFlowLabel = 3;
  c.trapLid = 1;
  c.trapPKey = 0x7fff;
  c.trapHopLimit = 0xff;
  c.trapQp = 1;
  c.trapQKey = 0x80010000;
  const b = m.bytes;
  t.is(hex(b, 56, 64), '01022602fffffff2');
  t.is(hex(b, 56 + 24, 56 + 40), 'aabccccc0009ffff0012345680010000');
  t.is(hex(b, 56 + 56, 56 + 72), '01200003' + '00017fff' + 'ff000001' + '80010000');
  t.is(c.capabilityMask2, 0x7ffffff);
  t.is(c.respTimeValue, 0x12);
  t.is(c.redirectSl, 0xb);
  t.is(c.redirectFlowLabel, 0xccccc);
  t.deepEqual(decodeMadJson(encodeMadJson(decodeMadJson(b))), decodeMadJson(b));
});

test('RePath (trap 69) DataDetails: the documented layout, byte by byte', (t) => {
  const m = freshSa(Method.Report, SaAttr.Notice);
  const n = m.notice;
  n.isGeneric = 1;
  n.type = NoticeType.Info;
  n.producerType = ProducerType.ClassManager;
  n.trapNumber = TrapNumber.RePath;
  n.issuerLid = 1;
  n.issuerGid.set(DEFAULT_SUBNET_PREFIX_HIGH, 0, 0, 0x00100001);
  n.newLid = 0x0007;
  n.oldLid = 0x0005;
  n.vmState = VmState.Running;
  n.vgid.set(DEFAULT_SUBNET_PREFIX_HIGH, 0, 0x0002c903, 0x00abcdef);
  n.newPortGuidHigh = 0;
  n.newPortGuidLow = 0x00100007;
  n.oldPortGuidHigh = 0;
  n.oldPortGuidLow = 0x00100005;
  n.sequence = 42;
  const b = m.bytes;
  const o = 56;
  t.is(hex(b, o, o + 10), '84000004004500010000');
  t.is(hex(b, o + 10, o + 16), '000700050100', 'newLid, oldLid, vmState, reserved');
  t.is(hex(b, o + 16, o + 32), 'fe800000000000000002c90300abcdef', 'vgid at +16, where traps 64-67 put their GID');
  t.is(hex(b, o + 32, o + 48), '0000000000100007' + '0000000000100005');
  t.is(hex(b, o + 48, o + 52), '0000002a');
  t.is(hex(b, o + 52, o + 64), '000000000000000000000000');
  t.is(hex(b, o + 64, o + 80), 'fe800000000000000000000000100001');
  t.is(n.gid, n.vgid);
  const json = decodeMadJson(b);
  t.deepEqual(json.notice, {
    isGeneric: 1,
    type: 4,
    producerType: 4,
    trapNumber: 69,
    issuerLid: 1,
    noticeToggle: 0,
    issuerGid: 'fe80:0000:0000:0000:0000:0000:0010:0001',
    newLid: 7,
    oldLid: 5,
    vmState: 1,
    vgid: 'fe80:0000:0000:0000:0002:c903:00ab:cdef',
    newPortGuid: '0x0000000000100007',
    oldPortGuid: '0x0000000000100005',
    sequence: 42,
  });
  t.deepEqual(encodeMadJson(json), b);
});

test('UnPath (trap 68): newLid and newPortGuid are 0, the rest as RePath', (t) => {
  const json = decodeMadJson(
    encodeMadJson({
      method: Method.Report,
      attributeId: SaAttr.Notice,
      notice: { isGeneric: 1, type: 4, producerType: 4, trapNumber: 68, oldLid: 5, vmState: VmState.Gone, vgid: 'fe80::2:c903:ab:cdef', oldPortGuid: '0x100005', sequence: 3 },
    } as unknown as MadJson),
  );
  t.like(json.notice, { trapNumber: 68, newLid: 0, oldLid: 5, vmState: 4, newPortGuid: '0x0', oldPortGuid: '0x0000000000100005', sequence: 3 });
  t.is(json.notice?.vgid, 'fe80:0000:0000:0000:0002:c903:00ab:cdef');
});

test('Notice: traps 64-67 GID, 128 LIDADDR, 144 fields, vendor notices with opaque DataDetails', (t) => {
  const m = freshSa(Method.Report, SaAttr.Notice);
  const n = m.notice;
  n.isGeneric = 1;
  n.trapNumber = TrapNumber.CapabilityMaskChange;
  n.trap144LidAddr = 0x0012;
  n.otherLocalChanges = 1;
  n.capabilityMask = 0x02510868;
  n.changeFlags = 0x0007;
  n.capabilityMask2 = 0x0040;
  t.is(hex(m.bytes, 56 + 10, 56 + 24), '0000001200010251086800070040');
  t.like(decodeMadJson(m.bytes).notice, { lidAddr: 0x12, otherLocalChanges: 1, capabilityMask: 0x02510868, changeFlags: 7, capabilityMask2: 0x40 });

  n.clearDataDetails();
  n.trapNumber = TrapNumber.LinkStateChange;
  n.lidAddr = 2;
  t.is(hex(m.bytes, 56 + 10, 56 + 12), '0002');

  n.clearDataDetails();
  n.trapNumber = TrapNumber.GidOutOfService;
  n.gid.set(DEFAULT_SUBNET_PREFIX_HIGH, 0, 0, 0x00100007);
  t.is(decodeMadJson(m.bytes).notice?.gid, 'fe80:0000:0000:0000:0000:0000:0010:0007');

  // Vendor notice: 24-bit VendorID, DeviceID, opaque 54-byte DataDetails as hex.
  n.isGeneric = 0;
  n.type = NoticeType.Info;
  n.vendorId = 0x0002c9;
  n.deviceId = 0x1234;
  for (let i = 0; i < 54; i++) n.setDataDetailsByte(i, i);
  const json = decodeMadJson(m.bytes);
  t.like(json.notice, { isGeneric: 0, vendorId: 0x0002c9, deviceId: 0x1234 });
  t.is(json.notice?.dataDetails, Buffer.from(Array.from({ length: 54 }, (_, i) => i)).toString('hex'));
  t.is(json.notice?.trapNumber, undefined);
  t.deepEqual(encodeMadJson(json), m.bytes);

  // Noticecount is writable but not part of the JSON form.
  n.noticeToggle = 1;
  n.noticeCount = 0x7fff;
  t.is(n.noticeToggle, 1);
  n.noticeToggle = 0;
  t.is(n.noticeCount, 0x7fff);
  t.is(decodeMadJson(m.bytes).notice?.noticeCount, undefined);
});

test('validation: baseVersion, class, class version, method, attribute', (t) => {
  const base = (): Uint8Array => freshSa(Method.Get, SaAttr.PathRecord).bytes;
  const v = new MadView();
  let b = base();
  b[0] = 2;
  expectMadError(t, () => v.wrap(b), 'baseVersion', '2', MadStatus.BadVersion);
  b = base();
  b[1] = 0x02;
  expectMadError(t, () => v.wrap(b), 'mgmtClass', '0x02', MadStatus.BadVersion);
  b = base();
  b[2] = 1;
  expectMadError(t, () => v.wrap(b), 'classVersion', '1', MadStatus.BadVersion);
  b = base();
  b[1] = MgmtClass.SubnLid;
  b[2] = 2;
  expectMadError(t, () => v.wrap(b), 'classVersion', '2', MadStatus.BadVersion);
  b = base();
  b[1] = MgmtClass.PerfMgt;
  b[2] = 2;
  expectMadError(t, () => v.wrap(b), 'classVersion', '2', MadStatus.BadVersion);
  b[2] = 1;
  t.notThrows(() => v.wrap(b), 'PerfMgt version 1 with Get');
  b = base();
  b[3] = Method.Trap;
  expectMadError(t, () => v.wrap(b), 'method', '0x05', MadStatus.UnsupportedMethod);
  b[3] = 0x00;
  expectMadError(t, () => v.wrap(b), 'method', '0x00', MadStatus.UnsupportedMethod);
  b = base();
  b[1] = MgmtClass.SubnLid;
  b[2] = 1;
  b[3] = Method.Send;
  expectMadError(t, () => v.wrap(b), 'method', '0x03', MadStatus.UnsupportedMethod);
  b = base();
  b[17] = 0x99;
  expectMadError(t, () => v.wrap(b), 'attributeId', '0x0099', MadStatus.UnsupportedMethodAttr);
  b = base();
  b[1] = MgmtClass.SubnLid;
  b[2] = 1;
  b[16] = 0;
  b[17] = SaAttr.PathRecord;
  expectMadError(t, () => v.wrap(b), 'attributeId', '0x0035', MadStatus.UnsupportedMethodAttr);
  b[16] = 0;
  b[17] = SmpAttr.GuidInfo;
  t.notThrows(() => v.wrap(b));
  b[16] = 0xff;
  b[17] = 0x90;
  t.notThrows(() => v.wrap(b), 'SMP vendor attribute range');
  // Vendor classes: own versions and methods.
  b = base();
  b[1] = 0x0a;
  b[2] = 7;
  b[3] = 0x42;
  t.notThrows(() => v.wrap(b));
  // Report carries only Notice.
  b = freshSa(Method.Report, SaAttr.PathRecord).bytes;
  expectMadError(t, () => v.wrap(b), 'attributeId', '0x0035', MadStatus.UnsupportedMethodAttr);
});

test('validation: every IBA SA attribute id is accepted, its neighbours are not', (t) => {
  const v = new MadView();
  for (const id of Object.values(SaAttr)) t.notThrows(() => v.wrap(freshSa(Method.GetTable, id).bytes), `0x${id.toString(16)}`);
  for (const id of [0x0000, 0x0004, 0x0010, 0x0019, 0x0032, 0x0034, 0x0037, 0x003c, 0x00f2, 0x00f4, 0xff90]) {
    expectMadError(t, () => v.wrap(freshSa(Method.Get, id).bytes), 'attributeId', '0x' + id.toString(16).padStart(4, '0'), MadStatus.UnsupportedMethodAttr);
  }
});

test('validation: AttributeOffset must stay inside the 200-byte SA data and fit the record', (t) => {
  const v = new MadView();
  const m = freshSa(Method.GetResp, SaAttr.InformInfo);
  m.attributeOffset = 26;
  expectMadError(t, () => v.wrap(m.bytes), 'attributeOffset', '26', MAD_DROP);
  m.method = Method.GetTable;
  expectMadError(t, () => v.wrap(m.bytes), 'attributeOffset', '26', MadStatus.InvalidField);
  m.attributeOffset = 25;
  t.notThrows(() => v.wrap(m.bytes), '25 * 8 = 200 still fits');
  m.attributeOffset = 3;
  expectMadError(t, () => v.wrap(m.bytes), 'attributeOffset', '3', MadStatus.InvalidField);
  m.attributeOffset = 4;
  t.notThrows(() => v.wrap(m.bytes), 'OpenSM InformInfo reply: 4');
  m.attributeOffset = 0;
  t.notThrows(() => v.wrap(m.bytes), 'requests and Reports carry 0');
  const p = freshSa(Method.GetResp, SaAttr.PathRecord);
  p.attributeOffset = 7;
  const e = t.throws(() => v.wrap(p.bytes), { instanceOf: MadError });
  t.regex(e!.message, /smaller than attribute 0x0035 needs \(at least 8/);
});

test('validation: lengths; a response is never answered (MAD_DROP)', (t) => {
  const v = new MadView();
  expectMadError(t, () => v.wrap(new Uint8Array(257)), 'length', '257', MAD_DROP);
  expectMadError(t, () => v.wrap(new Uint8Array(0)), 'length', '0', MAD_DROP);
  const r = freshSa(Method.GetResp, SaAttr.PathRecord);
  r.bytes[0] = 3;
  expectMadError(t, () => v.wrap(r.bytes), 'baseVersion', '3', MAD_DROP);
  t.true(t.throws(() => v.wrap(r.bytes), { instanceOf: MadError })!.isDrop);
});

test('short buffers are zero-padded into the scratch; the caller\'s buffer is untouched', (t) => {
  const full = freshSa(Method.GetResp, SaAttr.PathRecord);
  full.pathRecord.dlid = 6;
  const short = full.bytes.slice(0, 120);
  const v = new MadView();
  const stale = new Uint8Array(256).fill(0xee);
  stale.set(full.bytes);
  v.wrap(stale); // leave the scratch untouched, then wrap the short one
  v.wrap(full.bytes.slice(0, 200).fill(0xcc, 150));
  v.wrap(short);
  t.not(v.bytes, short);
  t.is(v.bytes.length, 256);
  t.is(v.pathRecord.dlid, 6);
  t.true(v.bytes.subarray(120).every((x) => x === 0), 'bytes 120..255 are zero even after a longer earlier wrap');
  t.is(short.length, 120);
});

test('a SharedArrayBuffer subarray is wrapped in place: reads and writes go straight through', (t) => {
  const sab = new SharedArrayBuffer(4096);
  const slot = new Uint8Array(sab, 512, 256);
  new MadView().wrapForWrite(slot).initSa(Method.Report, SaAttr.Notice, 0, 77);
  const v = new MadView().wrap(slot);
  t.is(v.bytes, slot);
  t.is(v.bytes.buffer, sab);
  v.notice.isGeneric = 1;
  v.notice.trapNumber = TrapNumber.RePath;
  v.notice.newLid = 0x1234;
  v.notice.vgid.set(DEFAULT_SUBNET_PREFIX_HIGH, 0, 0x0002c903, 0x00abcdef);
  const whole = new Uint8Array(sab);
  t.is(whole[512 + 56 + 4], 0x00);
  t.is(whole[512 + 56 + 5], 69);
  t.is(whole[512 + 56 + 10], 0x12);
  t.is(whole[512 + 56 + 11], 0x34);
  t.is(whole[512 + 56 + 16 + 15], 0xef);
  t.is(whole[511], 0, 'nothing written before the slot');
  t.is(whole[768], 0, 'nothing written after the slot');
  // A second view over the same SAB bytes sees the writes.
  t.is(new MadView().wrap(new Uint8Array(sab, 512, 256)).notice.newLid, 0x1234);
});

test('initResponseTo copies the header and TID, sets method, status and AttributeOffset', (t) => {
  const req = freshSa(Method.Get, SaAttr.PathRecord);
  req.componentMaskLow = 0x100c;
  req.smKeyLow = 9;
  req.pathRecord.dlid = 99;
  const resp = new MadView().wrapForWrite(new Uint8Array(256).fill(0xff)).initResponseTo(req, Method.GetResp, MadStatus.SaNoRecords);
  t.is(resp.method, Method.GetResp);
  t.is(resp.status, 0x0300);
  t.is(resp.tidHigh, 0x01020304);
  t.is(resp.tidLow, 0xa0b0c0d0);
  t.is(resp.attributeId, SaAttr.PathRecord);
  t.is(resp.attributeOffset, 8);
  t.is(resp.componentMaskLow, 0x100c);
  t.is(resp.pathRecord.dlid, 0, 'the data area starts zeroed');
  t.notThrows(() => new MadView().wrap(resp.bytes));
  // In place: answer in the request's own buffer.
  const same = new MadView().wrapForWrite(req.bytes);
  same.initResponseTo(req, Method.GetResp, 0);
  t.is(req.method, Method.GetResp);
  t.is(req.tidLow, 0xa0b0c0d0);
  t.is(req.pathRecord.dlid, 0);
});

test('component mask helpers', (t) => {
  const m = freshSa(Method.Get, SaAttr.PathRecord);
  maskWithBit(m, PathRecordMask.DGID);
  maskWithBit(m, PathRecordMask.SGID);
  maskWithBit(m, PathRecordMask.NUMB_PATH);
  maskWithBit(m, 63);
  t.is(m.componentMaskLow, 0x100c);
  t.is(m.componentMaskHigh, 0x80000000);
  t.true(maskHasBit(m.componentMaskHigh, m.componentMaskLow, PathRecordMask.NUMB_PATH));
  t.false(maskHasBit(m.componentMaskHigh, m.componentMaskLow, PathRecordMask.DLID));
  t.true(maskHasBit(m.componentMaskHigh, m.componentMaskLow, 63));
  maskWithoutBit(m, 63);
  t.is(m.componentMaskHigh, 0);
  t.is(maskLow([GuidInfoRecordMask.LID, GuidInfoRecordMask.BLOCK_NUM, GuidInfoRecordMask.GID1]), 0x23);
  t.is(maskHigh([33, 2]), 2);
});

test('GidView: text form, compressed input, equality and copy', (t) => {
  const g = parseGid('fe80::2:c903:ab:cdef');
  t.is(g.toString(), 'fe80:0000:0000:0000:0002:c903:00ab:cdef');
  t.is(g.prefixHigh, 0xfe800000);
  t.is(g.guidLow, 0x00abcdef);
  const h = new GidView(new BytesRef(new Uint8Array(40)), 20).copyFrom(g);
  t.true(h.equals(g));
  t.true(h.equalsGuid(0x0002c903, 0x00abcdef));
  t.false(h.isZero());
  for (const bad of ['fe80', 'fe80::1::2', 'fe80:0:0:0:0:0:0:0:0', 'gggg::1', '12345::1']) {
    const e = t.throws(() => parseGid(bad, 'dgid'), { instanceOf: MadError });
    t.is(e?.field, 'dgid');
  }
});

test('JSON errors name the field and value; nothing but MadError escapes', (t) => {
  const ok: MadJson = decodeMadJson(freshSa(Method.Get, SaAttr.PathRecord).bytes);
  const cases: Array<[unknown, string]> = [
    [{ ...ok, pathRecord: { ...ok.pathRecord, dlid: 70000 } }, 'pathRecord.dlid'],
    [{ ...ok, pathRecord: { ...ok.pathRecord, dLid: 1 } }, 'pathRecord.dLid'],
    [{ ...ok, pathRecord: { ...ok.pathRecord, dgid: 'nope' } }, 'pathRecord.dgid'],
    [{ ...ok, transactionId: '0x12345678901234567' }, 'transactionId'],
    [{ ...ok, method: 'get' }, 'method'],
    [{ ...ok, method: 0x05 }, 'method'],
    [{ ...ok, attributeId: 0x99 }, 'pathRecord'],
    [{ ...ok, pathRecord: null }, 'pathRecord'],
    [{ ...ok, bogus: 1 }, 'bogus'],
    [null, '(mad)'],
    [[1, 2], '(mad)'],
  ];
  for (const [input, field] of cases) {
    const e = t.throws(() => encodeMadJson(input as MadJson), { instanceOf: MadError });
    t.is(e?.field, field, JSON.stringify(input)?.slice(0, 80));
  }
  const e = t.throws(() => encodeMadJson({ ...ok, pathRecord: { ...ok.pathRecord, dlid: -1 } }), { instanceOf: MadError });
  t.is(e?.value, '-1');
});

test('non-SA classes and SA attributes without a view keep their bytes as opaque hex', (t) => {
  const smp = new Uint8Array(256);
  smp.set([1, MgmtClass.SubnLid, 1, Method.Get]);
  smp[17] = SmpAttr.NodeInfo;
  smp[100] = 0xab;
  const json = decodeMadJson(smp);
  t.is(json.data?.length, (101 - 24) * 2);
  t.deepEqual(encodeMadJson(json), smp);
  const nodeRecord = freshSa(Method.GetTableResp, SaAttr.NodeRecord);
  nodeRecord.bytes[255] = 1;
  const nj = decodeMadJson(nodeRecord.bytes);
  t.is(nj.data?.length, 400);
  t.deepEqual(encodeMadJson(nj), nodeRecord.bytes);
});

test('wrapSlot: MADs in place in a ring of slots, reads and writes at the slot, bad offsets rejected', (t) => {
  const sab = new SharedArrayBuffer(8 * 256 + 8);
  const ring = new Uint8Array(sab, 8, 8 * 256); // the ring itself starts at byte 8 of its buffer
  const w = new MadView();
  for (let i = 0; i < 8; i++) {
    w.wrapSlotForWrite(ring, i * 256).initSa(Method.Report, SaAttr.Notice, 0, i);
    w.notice.isGeneric = 1;
    w.notice.trapNumber = TrapNumber.RePath;
    w.notice.newLid = 100 + i;
    w.notice.vgid.set(DEFAULT_SUBNET_PREFIX_HIGH, 0, 0x0002c903, 0xab000000 + i);
  }
  const v = new MadView();
  for (let i = 7; i >= 0; i--) {
    v.wrapSlot(ring, i * 256);
    t.is(v.tidLow, i);
    t.is(v.notice.newLid, 100 + i);
    t.is(v.notice.vgid.guidLow, 0xab000000 + i);
    t.is(v.notice.vgid.toString(), `fe80:0000:0000:0000:0002:c903:ab00:000${i}`);
  }
  // Writes land in the slot, at the right place of the shared buffer.
  v.wrapSlot(ring, 3 * 256);
  v.notice.oldLid = 0xbeef;
  v.notice.isGeneric = 1;
  const whole = new Uint8Array(sab);
  t.is(whole[8 + 3 * 256 + 56 + 12], 0xbe);
  t.is(whole[8 + 3 * 256 + 56 + 13], 0xef);
  // bytes is the slot's 256 bytes (a subarray of the ring), and JSON sees the same MAD.
  t.is(v.bytes.length, 256);
  t.is(v.bytes.buffer, sab);
  t.is(v.bytes.byteOffset, 8 + 3 * 256);
  t.is(decodeMadJson(v.bytes).notice?.oldLid, 0xbeef);
  // An unaligned slot works too (DataView reads need no alignment).
  const odd = new Uint8Array(600);
  odd.set(ring.subarray(256, 512), 13);
  t.is(new MadView().wrapSlot(odd, 13).notice.newLid, 101);
  for (const bad of [-1, 8 * 256 - 255, 8 * 256, Number.NaN, 1.5]) {
    const e = t.throws(() => v.wrapSlot(ring, bad), { instanceOf: MadError });
    t.is(e?.field, 'slot offset');
    t.is(e?.status, MAD_DROP);
  }
  // Validation applies to slots as to arrays.
  ring[5 * 256] = 2;
  expectMadError(t, () => v.wrapSlot(ring, 5 * 256), 'baseVersion', '2', MadStatus.BadVersion);
  // initResponseTo and copyFrom between a slot and an array.
  const req = new MadView().wrapSlot(ring, 256);
  const resp = new MadView().wrapForWrite(new Uint8Array(256)).initResponseTo(req, Method.ReportResp, 0);
  t.is(resp.tidLow, 1);
  t.is(resp.method, Method.ReportResp);
  const copy = new MadView().wrapSlotForWrite(ring, 6 * 256).copyFrom(new MadView().wrapSlot(ring, 2 * 256));
  t.is(copy.notice.newLid, 102);
});

test('wrapSlot over a growable ring: the cached end of the ring follows the ring, out-of-range offsets still throw', (t) => {
  // wrapSlot checks offsets against the ring length it learned; a ring on a growable SharedArrayBuffer
  // grows under it, so an offset past the learned end goes the rare way and is checked against the ring now.
  // Growable SharedArrayBuffers are in Node 20 but not in this TypeScript lib (es2024).
  type Growable = SharedArrayBuffer & { grow(byteLength: number): void };
  const GrowableSab = SharedArrayBuffer as unknown as new (byteLength: number, options: { maxByteLength: number }) => Growable;
  const sab = new GrowableSab(2 * 256, { maxByteLength: 8 * 256 });
  const ring = new Uint8Array(sab); // length-tracking
  const w = new MadView();
  const put = (i: number): void => void w.wrapSlotForWrite(ring, i * 256).initSa(Method.Report, SaAttr.Notice, 0, 0x100 + i);
  put(0);
  put(1);
  const v = new MadView();
  t.is(v.wrapSlot(ring, 256).tidLow, 0x101);
  const e = t.throws(() => v.wrapSlot(ring, 512), { instanceOf: MadError });
  t.is(e?.field, 'slot offset');
  t.is(e?.value, '512');
  sab.grow(4 * 256);
  put(3);
  t.is(v.wrapSlot(ring, 768).tidLow, 0x103);
  t.is(v.wrapSlot(ring, 0).tidLow, 0x100);
  t.is(v.bytes.byteOffset, 0);
  for (const bad of [4 * 256 - 255, -256, 0.5]) t.is(t.throws(() => v.wrapSlot(ring, bad), { instanceOf: MadError })?.field, 'slot offset', String(bad));
  // A bad offset leaves the ring bound; the next good one binds straight away.
  t.is(v.wrapSlot(ring, 256).tidLow, 0x101);
});

test('views follow the bound buffer: ring slots, lone arrays, the scratch of a short MAD, and back', (t) => {
  // Every view reads through a per-offset window of its BytesRef; a new buffer must reach all of them
  // (header, attribute views, nested GID views, the producer-type window one byte into the Notice).
  const fill = (m: MadView, i: number): void => {
    m.initSa(Method.Report, SaAttr.Notice, 0x10 + i, 0x20 + i);
    const n = m.notice;
    n.isGeneric = 1;
    n.producerType = ProducerType.ClassManager + i;
    n.trapNumber = TrapNumber.RePath;
    n.issuerLid = 0x100 + i;
    n.newLid = 0x200 + i;
    n.oldLid = 0x300 + i;
    n.vgid.set(0xfe800000, i, 0x0002c903, 0xab000000 + i);
    n.issuerGid.set(0xfe800000, 0, 0x0002c903, 0xcd000000 + i);
  };
  const ringA = new Uint8Array(new SharedArrayBuffer(4 * 256 + 16), 16, 4 * 256);
  const ringB = new Uint8Array(new ArrayBuffer(3 * 256));
  const lone = new Uint8Array(256);
  const w = new MadView();
  for (let i = 0; i < 4; i++) fill(w.wrapSlotForWrite(ringA, i * 256), i);
  for (let i = 0; i < 3; i++) fill(w.wrapSlotForWrite(ringB, i * 256), 10 + i);
  fill(w.wrapForWrite(lone), 20);
  const short = lone.slice(0, 140); // ends after the Notice's IssuerGID: the scratch pads it
  const expect = (v: MadView, i: number, where: string): void => {
    const n = v.notice;
    t.deepEqual(
      [v.tidHigh, v.tidLow, v.method, v.attributeId, n.isGeneric, n.producerType, n.trapNumber, n.issuerLid, n.newLid, n.oldLid],
      [0x10 + i, 0x20 + i, Method.Report, SaAttr.Notice, 1, ProducerType.ClassManager + i, TrapNumber.RePath, 0x100 + i, 0x200 + i, 0x300 + i],
      where,
    );
    t.deepEqual([n.vgid.prefixLow, n.vgid.guidHigh, n.vgid.guidLow, n.issuerGid.guidLow], [i, 0x0002c903, 0xab000000 + i, 0xcd000000 + i], where);
  };
  const v = new MadView();
  const steps: Array<[string, () => MadView, number]> = [
    ['ring A slot 2', () => v.wrapSlot(ringA, 512), 2],
    ['ring B slot 1', () => v.wrapSlot(ringB, 256), 11],
    ['lone array', () => v.wrap(lone), 20],
    ['short MAD (scratch)', () => v.wrap(short), 20],
    ['ring A slot 0', () => v.wrapSlot(ringA, 0), 0],
    ['ring B slot 2 as its own subarray', () => v.wrap(ringB.subarray(512, 768)), 12],
    ['ring A slot 3', () => v.wrapSlot(ringA, 768), 3],
  ];
  for (const [where, bind, i] of steps) expect(bind(), i, where);
  // Writes through a view land in the buffer bound now, not in one bound before.
  v.wrapSlot(ringB, 0).notice.newLid = 0x4242;
  t.is(ringB[56 + 10], 0x42);
  t.is(ringA[56 + 10], 0x02);
  // A view built on its own BytesRef at another offset (an SMP trap's Notice at 64) follows rebinding too.
  const ref = new BytesRef(new Uint8Array(256));
  const smpNotice = new NoticeView(ref, SMP_DATA_OFFSET);
  const traps = [new Uint8Array(256), new Uint8Array(new SharedArrayBuffer(512)).subarray(256)];
  traps.forEach((b, i) => {
    b[SMP_DATA_OFFSET] = 0x80 | NoticeType.Info;
    b[SMP_DATA_OFFSET + 3] = 2 + i; // ProducerType low byte
    b[SMP_DATA_OFFSET + 5] = 64 + i; // TrapNumber low byte
  });
  for (const [i, b] of [...traps.entries(), ...traps.entries()]) {
    ref.bind(b);
    t.deepEqual([smpNotice.isGeneric, smpNotice.producerType, smpNotice.trapNumber], [1, 2 + i, 64 + i]);
  }
});
