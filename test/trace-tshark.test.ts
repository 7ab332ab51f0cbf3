// Writes one MAD of every attribute the codec covers into an ERF pcap and checks what tshark
// decodes from it. Skipped (with the reason in the title) when tshark is not installed.
import test from 'ava';
import type { ExecutionContext } from 'ava';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  DEFAULT_SUBNET_PREFIX_HIGH,
  DEFAULT_SUBNET_PREFIX_LOW,
  GuidInfoRecordMask,
  MadView,
  Method,
  NoticeType,
  ProducerType,
  SaAttr,
  TrapNumber,
  VmState,
  maskLow,
} from '../core/mad/index.js';
import { MadTraceWriter } from '../core/trace/erf-pcap.js';

const run = promisify(execFile);

/** REPATH_TSHARK names another tshark binary (or a missing one, to check the skip path). */
const TSHARK = process.env.REPATH_TSHARK ?? 'tshark';
const tsharkVersion = spawnSync(TSHARK, ['--version'], { encoding: 'utf8' });
const tsharkMissing = tsharkVersion.error !== undefined || tsharkVersion.status !== 0;
const tsharkTest = tsharkMissing ? test.skip : test;
const skipNote = tsharkMissing ? ' (skipped: tshark is not installed; apt-get install tshark)' : '';

interface Golden {
  mads: Array<{ name: string; hex: string }>;
}
const golden = JSON.parse(readFileSync(new URL('../../test/fixtures/opensm-3.3.23-mads.json', import.meta.url), 'utf8')) as Golden;

const TID_HIGH = 0x0000beef;
const VM_GUID_HIGH = 0x0002c903;
const VM_GUID_LOW = 0x00abcdef;

interface Case {
  name: string;
  slid: number;
  dlid: number;
  srcQp: number;
  destQp: number;
  build(m: MadView): void;
}

/** One MAD of every attribute (and every Notice layout) the codec covers, as an SA would send it. */
const CASES: Case[] = [
  {
    name: 'PathRecord GetResp',
    slid: 1,
    dlid: 4,
    srcQp: 1,
    destQp: 1,
    build(m) {
      m.initSa(Method.GetResp, SaAttr.PathRecord, TID_HIGH, 1);
      const pr = m.pathRecord;
      pr.dgid.set(DEFAULT_SUBNET_PREFIX_HIGH, DEFAULT_SUBNET_PREFIX_LOW, VM_GUID_HIGH, VM_GUID_LOW);
      pr.sgid.set(DEFAULT_SUBNET_PREFIX_HIGH, DEFAULT_SUBNET_PREFIX_LOW, 0, 0x00100004);
      pr.dlid = 0x0017;
      pr.slid = 0x0004;
      pr.pkey = 0xffff;
      pr.sl = 3;
      pr.mtu = 0x84;
      pr.rate = 0x83;
      pr.pktLife = 0x92;
      pr.reversible = 1;
      pr.hopLimit = 0;
    },
  },
  {
    name: 'GUIDInfoRecord Set',
    slid: 4,
    dlid: 1,
    srcQp: 1,
    destQp: 1,
    build(m) {
      m.initSa(Method.Set, SaAttr.GuidInfoRecord, TID_HIGH, 2);
      m.componentMaskLow = maskLow([GuidInfoRecordMask.LID, GuidInfoRecordMask.BLOCK_NUM, GuidInfoRecordMask.GID0 + 1]);
      m.guidInfoRecord.lid = 4;
      m.guidInfoRecord.blockNum = 0;
      m.guidInfoRecord.setGuid(1, VM_GUID_HIGH, VM_GUID_LOW);
    },
  },
  {
    name: 'InformInfo Set',
    slid: 4,
    dlid: 1,
    srcQp: 1,
    destQp: 1,
    build(m) {
      m.initSa(Method.Set, SaAttr.InformInfo, TID_HIGH, 3);
      const ii = m.informInfo;
      ii.gid.set(DEFAULT_SUBNET_PREFIX_HIGH, DEFAULT_SUBNET_PREFIX_LOW, 0, 0x00100004);
      ii.lidRangeBegin = 0xffff;
      ii.isGeneric = 1;
      ii.subscribe = 1;
      ii.type = 0xffff;
      ii.trapNumber = TrapNumber.RePath;
      ii.qpn = 1;
      ii.respTimeValue = 18;
      ii.producerType = 0xffffff;
    },
  },
  {
    name: 'InformInfoRecord GetResp',
    slid: 1,
    dlid: 4,
    srcQp: 1,
    destQp: 1,
    build(m) {
      m.initSa(Method.GetResp, SaAttr.InformInfoRecord, TID_HIGH, 4);
      const r = m.informInfoRecord;
      r.subscriberGid.set(DEFAULT_SUBNET_PREFIX_HIGH, DEFAULT_SUBNET_PREFIX_LOW, 0, 0x00100004);
      r.enumeration = 7;
      r.informInfo.lidRangeBegin = 0xffff;
      r.informInfo.isGeneric = 1;
      r.informInfo.subscribe = 1;
      r.informInfo.type = 0xffff;
      r.informInfo.trapNumber = TrapNumber.UnPath;
      r.informInfo.qpn = 1;
      r.informInfo.respTimeValue = 18;
      r.informInfo.producerType = ProducerType.ClassManager;
    },
  },
  {
    name: 'ClassPortInfo GetResp',
    slid: 1,
    dlid: 4,
    srcQp: 1,
    destQp: 1,
    build(m) {
      m.initSa(Method.GetResp, SaAttr.ClassPortInfo, TID_HIGH, 5);
      const c = m.classPortInfo;
      c.baseVersion = 1;
      c.classVersion = 2;
      c.capabilityMask = 0x2602;
      c.respTimeValue = 18;
      c.trapGid.set(DEFAULT_SUBNET_PREFIX_HIGH, DEFAULT_SUBNET_PREFIX_LOW, 0, 0x00100001);
      c.trapLid = 1;
      c.trapPKey = 0xffff;
      c.trapQp = 1;
      c.trapQKey = 0x80010000;
    },
  },
  ...[TrapNumber.GidInService, TrapNumber.GidOutOfService].map(
    (trap): Case => ({
      name: `Notice Report trap ${trap}`,
      slid: 1,
      dlid: 4,
      srcQp: 1,
      destQp: 1,
      build(m) {
        m.initSa(Method.Report, SaAttr.Notice, TID_HIGH, 0x100 + trap);
        const n = m.notice;
        n.isGeneric = 1;
        n.type = NoticeType.SubnetManagement;
        n.producerType = ProducerType.ClassManager;
        n.trapNumber = trap;
        n.issuerLid = 1;
        n.gid.set(DEFAULT_SUBNET_PREFIX_HIGH, DEFAULT_SUBNET_PREFIX_LOW, 0, 0x00100007);
        n.issuerGid.set(DEFAULT_SUBNET_PREFIX_HIGH, DEFAULT_SUBNET_PREFIX_LOW, 0, 0x00100001);
      },
    }),
  ),
  ...[TrapNumber.UnPath, TrapNumber.RePath].map(
    (trap): Case => ({
      name: `Notice Report trap ${trap}`,
      slid: 1,
      dlid: 9,
      srcQp: 1,
      destQp: 1,
      build(m) {
        m.initSa(Method.Report, SaAttr.Notice, TID_HIGH, 0x100 + trap);
        const n = m.notice;
        n.isGeneric = 1;
        n.type = NoticeType.SubnetManagement;
        n.producerType = ProducerType.ClassManager;
        n.trapNumber = trap;
        n.issuerLid = 1;
        n.newLid = trap === TrapNumber.RePath ? 0x0017 : 0;
        n.oldLid = 0x0005;
        n.vmState = trap === TrapNumber.RePath ? VmState.Running : VmState.Migrating;
        n.vgid.set(DEFAULT_SUBNET_PREFIX_HIGH, DEFAULT_SUBNET_PREFIX_LOW, VM_GUID_HIGH, VM_GUID_LOW);
        if (trap === TrapNumber.RePath) {
          n.newPortGuidHigh = 0;
          n.newPortGuidLow = 0x00100017;
        }
        n.oldPortGuidHigh = 0;
        n.oldPortGuidLow = 0x00100005;
        n.sequence = 0x01020304;
        n.issuerGid.set(DEFAULT_SUBNET_PREFIX_HIGH, DEFAULT_SUBNET_PREFIX_LOW, 0, 0x00100001);
      },
    }),
  ),
  {
    name: 'Notice Report trap 128',
    slid: 1,
    dlid: 4,
    srcQp: 1,
    destQp: 1,
    build(m) {
      m.initSa(Method.Report, SaAttr.Notice, TID_HIGH, 0x180);
      const n = m.notice;
      n.isGeneric = 1;
      n.type = NoticeType.Urgent;
      n.producerType = ProducerType.Switch;
      n.trapNumber = TrapNumber.LinkStateChange;
      n.issuerLid = 2;
      n.lidAddr = 2;
    },
  },
  {
    name: 'Notice Report trap 144',
    slid: 1,
    dlid: 4,
    srcQp: 1,
    destQp: 1,
    build(m) {
      m.initSa(Method.Report, SaAttr.Notice, TID_HIGH, 0x190);
      const n = m.notice;
      n.isGeneric = 1;
      n.type = NoticeType.Info;
      n.producerType = ProducerType.Ca;
      n.trapNumber = TrapNumber.CapabilityMaskChange;
      n.issuerLid = 6;
      n.trap144LidAddr = 6;
      n.capabilityMask = 0x0251086a;
      n.otherLocalChanges = 1;
    },
  },
  {
    name: 'Notice Report vendor',
    slid: 1,
    dlid: 4,
    srcQp: 1,
    destQp: 1,
    build(m) {
      m.initSa(Method.Report, SaAttr.Notice, TID_HIGH, 0x1ff);
      const n = m.notice;
      n.isGeneric = 0;
      n.type = NoticeType.Info;
      n.vendorId = 0x0002c9;
      n.deviceId = 0x1234;
      n.issuerLid = 3;
      for (let i = 0; i < 54; i++) n.setDataDetailsByte(i, i + 1);
    },
  },
];

interface PdmlField {
  show: string;
  value: string;
}
type Packet = Map<string, PdmlField[]>;

/** Every <field> of every <packet> in tshark's PDML, by field name, in document order. */
function parsePdml(xml: string): Packet[] {
  const packets: Packet[] = [];
  for (const block of xml.split('<packet>').slice(1)) {
    const fields: Packet = new Map();
    for (const match of block.matchAll(/<field ([^>]*?)\/?>/g)) {
      const attrs = new Map<string, string>();
      for (const a of match[1]!.matchAll(/(\w+)="([^"]*)"/g)) attrs.set(a[1]!, a[2]!);
      const name = attrs.get('name');
      if (name === undefined) continue;
      const list = fields.get(name) ?? [];
      list.push({ show: attrs.get('show') ?? '', value: attrs.get('value') ?? '' });
      fields.set(name, list);
    }
    packets.push(fields);
  }
  return packets;
}

function field(t: ExecutionContext, p: Packet, name: string, index = 0): PdmlField {
  const f = p.get(name)?.[index];
  if (f === undefined) t.fail(`tshark shows no ${name}[${index}]`);
  return f ?? { show: '', value: '' };
}

/** A numeric field's value; tshark shows hex fields as 0x..., decimal ones plainly. */
function num(t: ExecutionContext, p: Packet, name: string, index = 0): number {
  const show = field(t, p, name, index).show;
  return show.startsWith('0x') ? parseInt(show.slice(2), 16) : Number(show);
}

function hexOf(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

function gidHex(prefixHigh: number, prefixLow: number, guidHigh: number, guidLow: number): string {
  return [prefixHigh, prefixLow, guidHigh, guidLow].map((w) => (w >>> 0).toString(16).padStart(8, '0')).join('');
}

interface Decoded {
  packets: Packet[];
  /** `tshark -V` text per frame. */
  verbose: string[];
  mads: Uint8Array[];
}

let decoded: Promise<Decoded> | undefined;

/** Builds the trace once and runs tshark twice (PDML and -V) for all tests of this file. */
function decodeAll(): Promise<Decoded> {
  decoded ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'repath-tshark-'));
    try {
      const writer = new MadTraceWriter();
      const mads: Uint8Array[] = [];
      CASES.forEach((c, i) => {
        const m = new MadView().wrapForWrite(new Uint8Array(256));
        c.build(m);
        m.validate();
        mads.push(m.bytes.slice());
        writer.add(1_000_000_000 + i * 1_500, c.slid, c.dlid, c.srcQp, c.destQp, m.bytes);
      });
      const file = join(dir, 'every-attribute.pcap');
      writer.writeFile(file);
      const options = { maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' as const };
      const [pdml, verbose] = await Promise.all([
        run(TSHARK, ['-r', file, '-T', 'pdml'], options),
        run(TSHARK, ['-r', file, '-V'], options),
      ]);
      return {
        packets: parsePdml(pdml.stdout),
        verbose: verbose.stdout.split(/^(?=Frame \d+:)/m).filter((s) => s.startsWith('Frame')),
        mads,
      };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  })();
  return decoded;
}

function packetOf(d: Decoded, name: string): { p: Packet; v: string; mad: Uint8Array; c: Case } {
  const i = CASES.findIndex((c) => c.name === name);
  return { p: d.packets[i]!, v: d.verbose[i]!, mad: d.mads[i]!, c: CASES[i]! };
}

tsharkTest(`tshark decodes one frame per MAD with the LRH/BTH/DETH addressing and MAD header${skipNote}`, async (t) => {
  const d = await decodeAll();
  t.is(d.packets.length, CASES.length);
  t.is(d.verbose.length, CASES.length);
  CASES.forEach((c, i) => {
    const p = d.packets[i]!;
    t.is(num(t, p, 'erf.types.type'), 21, c.name);
    t.is(num(t, p, 'infiniband.lrh.slid'), c.slid, c.name);
    t.is(num(t, p, 'infiniband.lrh.dlid'), c.dlid, c.name);
    t.is(num(t, p, 'infiniband.bth.destqp'), c.destQp, c.name);
    t.is(num(t, p, 'infiniband.deth.srcqp'), c.srcQp, c.name);
    t.is(num(t, p, 'infiniband.mad.baseversion'), 1, c.name);
    t.is(num(t, p, 'infiniband.mad.mgmtclass'), 0x03, c.name);
    t.is(num(t, p, 'infiniband.mad.classversion'), 2, c.name);
    t.is(field(t, p, 'infiniband.mad.transactionid').value, hexOf(d.mads[i]!.subarray(8, 16)), c.name);
    t.is(num(t, p, 'infiniband.mad.method'), d.mads[i]![3], c.name);
    t.is(num(t, p, 'infiniband.mad.attributeid'), (d.mads[i]![16]! << 8) | d.mads[i]![17]!, c.name);
    t.is(num(t, p, 'infiniband.sa.attributeoffset'), (d.mads[i]![44]! << 8) | d.mads[i]![45]!, c.name);
  });
  // Frame times are the writer's nanosecond timestamps.
  t.regex(d.verbose[1]!, /Epoch Time: 1\.000001500 seconds/);
});

tsharkTest(`tshark decodes the PathRecord GetResp fields${skipNote}`, async (t) => {
  const { p, v } = packetOf(await decodeAll(), 'PathRecord GetResp');
  t.regex(v, /SA SubnAdmGetResp\(PathRecord\)/);
  t.is(field(t, p, 'infiniband.mad.transactionid').show, '0x0000beef00000001');
  t.is(field(t, p, 'infiniband.pathrecord.dgid').value, gidHex(0xfe800000, 0, VM_GUID_HIGH, VM_GUID_LOW));
  t.is(field(t, p, 'infiniband.pathrecord.sgid').value, gidHex(0xfe800000, 0, 0, 0x00100004));
  t.is(num(t, p, 'infiniband.pathrecord.dlid'), 0x17);
  t.is(num(t, p, 'infiniband.pathrecord.slid'), 4);
  t.is(num(t, p, 'infiniband.pathrecord.p_key'), 0xffff);
  t.is(num(t, p, 'infiniband.pathrecord.sl'), 3);
  t.is(num(t, p, 'infiniband.pathrecord.mtuselector'), 2);
  t.is(num(t, p, 'infiniband.pathrecord.mtu'), 4);
  t.is(num(t, p, 'infiniband.pathrecord.rate'), 3);
  t.is(num(t, p, 'infiniband.pathrecord.packetlifetime'), 0x12);
  t.is(num(t, p, 'infiniband.pathrecord.reversible'), 1);
});

tsharkTest(`tshark decodes the GUIDInfoRecord Set: LID, block, component mask and the alias GUID${skipNote}`, async (t) => {
  const { p, v } = packetOf(await decodeAll(), 'GUIDInfoRecord Set');
  t.regex(v, /SA SubnAdmSet\(GuidInfoRecord\)/);
  t.is(num(t, p, 'infiniband.mad.method'), Method.Set);
  t.is(field(t, p, 'infiniband.sa.componentmask').show, '0x0000000000000023');
  t.is(num(t, p, 'infiniband.sa.lid'), 4);
  t.is(num(t, p, 'infiniband.sa.blocknum_eightbit'), 0);
  // tshark 4.0 prints the eight GUIDs as text only (no filterable field).
  t.regex(v, /GUID: 0x0002c90300abcdef\(1\)/);
  t.regex(v, /GUID: 0x0000000000000000\(0\)/);
});

tsharkTest(`tshark decodes the InformInfo Set subscribing to RePath${skipNote}`, async (t) => {
  const { p, v } = packetOf(await decodeAll(), 'InformInfo Set');
  t.regex(v, /SA SubnAdmSet\(InformInfo\)/);
  t.is(field(t, p, 'infiniband.informinfo.gid').value, gidHex(0xfe800000, 0, 0, 0x00100004));
  t.is(num(t, p, 'infiniband.informinfo.lidrangebegin'), 0xffff);
  t.is(num(t, p, 'infiniband.informinfo.isgeneric'), 1);
  t.is(num(t, p, 'infiniband.informinfo.subscribe'), 1);
  t.is(num(t, p, 'infiniband.informinfo.type'), 0xffff);
  t.is(num(t, p, 'infiniband.informinfo.trapnumberdeviceid'), 69);
  t.is(num(t, p, 'infiniband.informinfo.qpn'), 1);
  t.is(num(t, p, 'infiniband.informinfo.resptimevalue'), 18);
  t.is(num(t, p, 'infiniband.informinfo.producertypevendorid'), 0xffffff);
});

tsharkTest(`tshark decodes the InformInfoRecord GetResp and its nested InformInfo${skipNote}`, async (t) => {
  const { p, v } = packetOf(await decodeAll(), 'InformInfoRecord GetResp');
  t.regex(v, /SA SubnAdmGetResp\(InformInfoRecord\)/);
  t.is(field(t, p, 'infiniband.informinforecord.subscribergid').value, gidHex(0xfe800000, 0, 0, 0x00100004));
  t.is(num(t, p, 'infiniband.informinforecord.enum'), 7);
  t.is(num(t, p, 'infiniband.informinfo.trapnumberdeviceid'), 68);
  t.is(num(t, p, 'infiniband.informinfo.qpn'), 1);
  t.is(num(t, p, 'infiniband.informinfo.producertypevendorid'), ProducerType.ClassManager);
});

tsharkTest(`tshark decodes the ClassPortInfo GetResp${skipNote}`, async (t) => {
  const { p, v } = packetOf(await decodeAll(), 'ClassPortInfo GetResp');
  t.regex(v, /SA SubnAdmGetResp\(ClassPortInfo\)/);
  t.is(num(t, p, 'infiniband.classportinfo.baseversion'), 1);
  t.is(num(t, p, 'infiniband.classportinfo.classversion'), 2);
  t.is(num(t, p, 'infiniband.classportinfo.capabilitymask'), 0x2602);
  t.is(num(t, p, 'infiniband.classportinfo.resptimevalue'), 18);
  t.is(field(t, p, 'infiniband.classportinfo.trapgid').value, gidHex(0xfe800000, 0, 0, 0x00100001));
  t.is(num(t, p, 'infiniband.classportinfo.traplid'), 1);
  t.is(num(t, p, 'infiniband.classportinfo.trappkey'), 0xffff);
  t.is(num(t, p, 'infiniband.classportinfo.trapqp'), 1);
  t.is(num(t, p, 'infiniband.classportinfo.trapqkey'), 0x80010000);
});

function assertNoticeHeader(t: ExecutionContext, p: Packet, mad: Uint8Array): void {
  const n = 56;
  t.is(num(t, p, 'infiniband.mad.method'), Method.Report);
  t.is(num(t, p, 'infiniband.mad.attributeid'), SaAttr.Notice);
  t.is(num(t, p, 'infiniband.notice.isgeneric'), mad[n]! >>> 7);
  t.is(num(t, p, 'infiniband.notice.producertypevendorid'), (mad[n + 1]! << 16) | (mad[n + 2]! << 8) | mad[n + 3]!);
  t.is(num(t, p, 'infiniband.notice.trapnumberdeviceid'), (mad[n + 4]! << 8) | mad[n + 5]!);
  t.is(num(t, p, 'infiniband.notice.issuerlid'), (mad[n + 6]! << 8) | mad[n + 7]!);
  // The 54 DataDetails bytes are always there raw, whatever the layout.
  t.is(field(t, p, 'infiniband.notice.datadetails').value, hexOf(mad.subarray(n + 10, n + 64)));
}

tsharkTest(`tshark decodes Notice Reports for traps 64 and 65 with their GID${skipNote}`, async (t) => {
  const d = await decodeAll();
  for (const [trap, text] of [
    [64, /Trap 64 DataDetails[\s\S]*GIDADDR: fe80::10:7/],
    [65, /Trap 65 DataDetails[\s\S]*GIDADDR: fe80::10:7/],
  ] as const) {
    const { p, v, mad } = packetOf(d, `Notice Report trap ${trap}`);
    assertNoticeHeader(t, p, mad);
    t.is(num(t, p, 'infiniband.notice.trapnumberdeviceid'), trap);
    t.is(num(t, p, 'infiniband.notice.type'), NoticeType.SubnetManagement);
    t.is(field(t, p, 'infiniband.trap.gidaddr').value, gidHex(0xfe800000, 0, 0, 0x00100007));
    t.regex(v, text);
  }
});

tsharkTest(`tshark shows RePath/UnPath DataDetails as IBA COMP_MASK + WAIT_FOR_REPATH plus the raw bytes${skipNote}`, async (t) => {
  const d = await decodeAll();
  for (const trap of [TrapNumber.UnPath, TrapNumber.RePath]) {
    const { p, v, mad } = packetOf(d, `Notice Report trap ${trap}`);
    assertNoticeHeader(t, p, mad);
    t.is(num(t, p, 'infiniband.notice.trapnumberdeviceid'), trap);
    // tshark 4.0 has the IBA's own 68/69 reading of DataDetails: bytes 10-17 of the Notice as a
    // 64-bit COMP_MASK and bit 7 of byte 18 as WAIT_FOR_REPATH. Under repath's layout those bytes
    // are newLid, oldLid, vmState, reserved and the first 3 bytes of the vGID, so the COMP_MASK
    // tshark prints is newLid:oldLid:vmState:00:fe80 and WAIT_FOR_REPATH is the top bit of the
    // prefix's third byte (0 for fe80::/64).
    const newLid = trap === TrapNumber.RePath ? 0x0017 : 0;
    const vmState = trap === TrapNumber.RePath ? VmState.Running : VmState.Migrating;
    const compMask =
      newLid.toString(16).padStart(4, '0') + '0005' + vmState.toString(16).padStart(2, '0') + '00' + 'fe80';
    t.is(field(t, p, 'infiniband.trap.comp_mask').value, compMask);
    t.is(num(t, p, 'infiniband.trap.wait_for_repath'), 0);
    // It does not apply the trap 64-67 layout, so the vGID is not shown as a GID...
    t.false(p.has('infiniband.trap.gidaddr'));
    // ...but every DataDetails byte is in the raw field: vGID at 16, port GUIDs at 32/40, sequence at 48.
    const dataDetails = field(t, p, 'infiniband.notice.datadetails').value;
    t.is(dataDetails.slice(2 * 6, 2 * 22), gidHex(0xfe800000, 0, VM_GUID_HIGH, VM_GUID_LOW));
    t.is(dataDetails.slice(2 * 30, 2 * 38), '0000000000100005');
    t.is(dataDetails.slice(2 * 38, 2 * 42), '01020304');
    const title =
      trap === TrapNumber.RePath
        ? 'Paths indicated by <PATH_REC> and <COMP_MASK> have been recomputed'
        : 'Paths indicated by <PATH_REC> and <COMP_MASK> are no longer valid';
    t.true(v.includes(title), `-V shows "${title}"`);
    t.regex(v, new RegExp(`Trap ${trap} DataDetails\\s+COMP_MASK: 0x${compMask}`));
  }
});

tsharkTest(`tshark decodes Notice Reports for traps 128 and 144${skipNote}`, async (t) => {
  const d = await decodeAll();
  const t128 = packetOf(d, 'Notice Report trap 128');
  assertNoticeHeader(t, t128.p, t128.mad);
  t.is(num(t, t128.p, 'infiniband.trap.lidaddr'), 2);
  t.regex(t128.v, /\(Urgent\) Link State of at least one port of switch at <LIDADDR> has changed/);
  const t144 = packetOf(d, 'Notice Report trap 144');
  assertNoticeHeader(t, t144.p, t144.mad);
  t.is(num(t, t144.p, 'infiniband.trap.lidaddr'), 6);
  t.is(num(t, t144.p, 'infiniband.trap.capabilitymask'), 0x0251086a);
  t.is(num(t, t144.p, 'infiniband.trap.otherlocalchanges'), 1);
  t.regex(t144.v, /Trap 144 DataDetails/);
});

tsharkTest(`tshark decodes a vendor Notice: IsGeneric 0, VendorID, DeviceID, opaque DataDetails${skipNote}`, async (t) => {
  const { p, v, mad } = packetOf(await decodeAll(), 'Notice Report vendor');
  assertNoticeHeader(t, p, mad);
  t.is(num(t, p, 'infiniband.notice.isgeneric'), 0);
  t.is(num(t, p, 'infiniband.notice.producertypevendorid'), 0x0002c9);
  t.is(num(t, p, 'infiniband.notice.trapnumberdeviceid'), 0x1234);
  t.regex(v, /Vendor Specific Subnet Management Trap/);
});

tsharkTest(`tshark decodes the golden OpenSM MADs (short buffers zero-padded by the writer)${skipNote}`, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'repath-tshark-golden-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const writer = new MadTraceWriter();
  for (const m of golden.mads) writer.add(0, 1, 4, 1, 1, Buffer.from(m.hex, 'hex'));
  const file = join(dir, 'golden.pcap');
  writer.writeFile(file);
  const { stdout } = await run(TSHARK, ['-r', file, '-T', 'pdml'], { maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' });
  const packets = parsePdml(stdout);
  t.is(packets.length, golden.mads.length);
  golden.mads.forEach((m, i) => {
    const p = packets[i]!;
    t.is(field(t, p, 'infiniband.mad.transactionid').value, m.hex.slice(16, 32), m.name);
    t.is(num(t, p, 'infiniband.mad.attributeid'), parseInt(m.hex.slice(32, 36), 16), m.name);
  });
  const pr = packets[golden.mads.findIndex((m) => m.name === 'pathrecord-getresp')]!;
  t.is(num(t, pr, 'infiniband.pathrecord.dlid'), 6);
  t.is(num(t, pr, 'infiniband.pathrecord.slid'), 4);
});
