// Micro benchmark of the MAD codec against a naive baseline:
//   decode (wrap + validate + read the fields a consumer acts on) and encode (fill a whole MAD) of
//   RePath Notice Reports and PathRecord GetResps.
// The codec reads in place through a reusable MadView (no allocation per MAD). The baseline is an
// ordinary implementation: the same validation with Sets, a fresh DataView and a fresh object per MAD
// holding exactly the fields the consumer reads (64-bit values as BigInt, as DataView offers them),
// and for encode a fresh object and a fresh 256-byte buffer per MAD written through DataView.
// MADs come from a ring of 256-byte slots in a SharedArrayBuffer, as the engine's rings hold them.
//
// Each measurement runs in its own child process (default 8, one after another; 2 with --quick), because
// V8's optimisation decisions are made per process: a figure from one process can be that process's
// luck. Eight catch a mode that shows up in one process in eight with probability 1 - (7/8)^8 = 66%,
// and take about 90 s. The result reports, per case, the median and the slowest of the processes.
//
// Each process also times a canary, a codec-free loop whose code is the same in every process, next to
// the codec: when a process is slow, a slow canary says the core was slowed, a normal one that the
// codec's code was (the machine check in the notes).
//
// Run: node dist/bench/mad-codec.bench.js [--quick] [--processes N] [--results-dir DIR]
import { Bench, type Task } from 'tinybench';
import { PerformanceObserver, constants as perfConstants } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { MadView, MadStatus, Method, SaAttr, MgmtClass, NoticeType, ProducerType, TrapNumber, VmState, SmpAttr } from '../core/mad/index.js';
import { Xoshiro128 } from '../core/random.js';
import { type BenchResult, machineFacts, writeBenchResult, resultsDirOr } from './bench-result.js';
import { median } from './stats.js';
import { benchMain, isEntryPoint, resultsDirFlag } from './bench-main.js';

const RING = 1024; // slots; a power of two
const BATCH = 10_000; // MADs per timed iteration, so timer overhead is negligible

let sink = 0;

// ---------------- the data: a ring of real MADs ----------------

interface Rings {
  /** The whole SharedArrayBuffer as one array: Notices in slots 0..RING-1, PathRecords next, then output slots. */
  ring: Uint8Array;
  notices: Uint8Array[];
  paths: Uint8Array[];
  out: Uint8Array[];
  lids: Uint16Array;
  guids: Uint32Array;
  /** The Notice slots as 32-bit words, for the canary loop. */
  words: Uint32Array;
}

function buildRings(seed: number): Rings {
  const r = new Xoshiro128(seed);
  const sab = new SharedArrayBuffer(RING * 256 * 3);
  const slot = (i: number): Uint8Array => new Uint8Array(sab, i * 256, 256);
  const notices: Uint8Array[] = [];
  const paths: Uint8Array[] = [];
  const out: Uint8Array[] = [];
  const lids = new Uint16Array(RING * 2);
  const guids = new Uint32Array(RING * 2);
  for (let i = 0; i < lids.length; i++) lids[i] = 1 + r.nextInt(0xbfff);
  for (let i = 0; i < guids.length; i++) guids[i] = r.nextU32();
  const m = new MadView();
  for (let i = 0; i < RING; i++) {
    const n = slot(i);
    m.wrapForWrite(n).initSa(Method.Report, SaAttr.Notice, 0, i);
    fillRePath(m, i, lids, guids);
    notices.push(n);
    const p = slot(RING + i);
    m.wrapForWrite(p).initSa(Method.GetResp, SaAttr.PathRecord, 2, i);
    fillPathRecord(m, i, lids, guids);
    paths.push(p);
    out.push(slot(2 * RING + i));
  }
  return { ring: new Uint8Array(sab), notices, paths, out, lids, guids, words: new Uint32Array(sab, 0, RING * 64) };
}

function fillRePath(m: MadView, i: number, lids: Uint16Array, guids: Uint32Array): void {
  const n = m.notice;
  n.isGeneric = 1;
  n.type = NoticeType.Info;
  n.producerType = ProducerType.ClassManager;
  n.trapNumber = TrapNumber.RePath;
  n.issuerLid = 1;
  n.issuerGid.set(0xfe800000, 0, 0, 0x00100001);
  n.newLid = lids[2 * i]!;
  n.oldLid = lids[2 * i + 1]!;
  n.vmState = VmState.Running;
  n.vgid.set(0xfe800000, 0, guids[2 * i]!, guids[2 * i + 1]!);
  n.newPortGuidHigh = 0x0002c903;
  n.newPortGuidLow = lids[2 * i]!;
  n.oldPortGuidHigh = 0x0002c903;
  n.oldPortGuidLow = lids[2 * i + 1]!;
  n.sequence = i;
}

function fillPathRecord(m: MadView, i: number, lids: Uint16Array, guids: Uint32Array): void {
  m.componentMaskLow = 0x100c;
  const p = m.pathRecord;
  p.dgid.set(0xfe800000, 0, guids[2 * i]!, guids[2 * i + 1]!);
  p.sgid.set(0xfe800000, 0, 0x0002c903, 0x00100004);
  p.dlid = lids[2 * i]!;
  p.slid = lids[2 * i + 1]!;
  p.reversible = 1;
  p.numbPath = 1;
  p.pkey = 0xffff;
  p.sl = i & 15;
  p.mtu = 0x84;
  p.rate = 0x83;
  p.pktLife = 0x92;
}

// ---------------- the codec ----------------

const view = new MadView();
const NOTICE_SLOT0 = 0;
const PATH_SLOT0 = RING * 256;
const OUT_SLOT0 = 2 * RING * 256;

/**
 * What Dom0 reads from a RePath Report before it answers and forwards it: the header (method, status,
 * attribute, TID), IsGeneric and the trap number, the producer type and issuer LID, and the DataDetails
 * (new LID, old LID, the vGID read as a GID view: prefix and GUID halves in place, never copied).
 */
function readRePath(v: MadView): number {
  const n = v.notice;
  if (v.method === Method.Report && v.status === MadStatus.Ok && v.attributeId === SaAttr.Notice && n.isGeneric === 1 && n.trapNumber === TrapNumber.RePath) {
    const g = n.vgid;
    // >>> 0: the XORs as unsigned, so the checksum equals the baseline's (checked before timing).
    return ((v.tidHigh ^ v.tidLow) >>> 0) + n.producerType + n.issuerLid + n.newLid + n.oldLid + ((g.prefixHigh ^ g.prefixLow ^ g.guidHigh ^ g.guidLow) >>> 0);
  }
  return 0;
}

/** The fields a VM's SA agent keeps from a PathRecord GetResp. */
function readPath(v: MadView): number {
  const p = v.pathRecord;
  if (v.method === Method.GetResp && v.status === 0) {
    const s = v.tidLow + p.dlid + p.slid + p.pkey + p.sl + p.mtu + p.rate + p.pktLife + p.numbPath;
    return s + (p.dgid.guidHigh ^ p.dgid.guidLow ^ p.sgid.guidLow);
  }
  return 0;
}

/** Engine path: MADs in place in a ring of 256-byte slots of one SharedArrayBuffer (wrapSlot). */
function codecDecodeNoticesSlot(ring: Uint8Array, start: number): number {
  let s = 0;
  for (let k = 0; k < BATCH; k++) s += readRePath(view.wrapSlot(ring, NOTICE_SLOT0 + ((start + k) & (RING - 1)) * 256));
  return s;
}

/** One Uint8Array per MAD (wrap): each new array costs two typed-array lookups to bind. */
function codecDecodeNoticesArray(mads: Uint8Array[], start: number): number {
  let s = 0;
  for (let k = 0; k < BATCH; k++) s += readRePath(view.wrap(mads[(start + k) & (RING - 1)]!));
  return s;
}

function codecDecodePathsSlot(ring: Uint8Array, start: number): number {
  let s = 0;
  for (let k = 0; k < BATCH; k++) s += readPath(view.wrapSlot(ring, PATH_SLOT0 + ((start + k) & (RING - 1)) * 256));
  return s;
}

function codecDecodePathsArray(mads: Uint8Array[], start: number): number {
  let s = 0;
  for (let k = 0; k < BATCH; k++) s += readPath(view.wrap(mads[(start + k) & (RING - 1)]!));
  return s;
}

function codecEncodeNoticesSlot(rings: Rings, start: number): number {
  const { ring, lids, guids } = rings;
  for (let k = 0; k < BATCH; k++) {
    const i = (start + k) & (RING - 1);
    fillRePath(view.wrapSlotForWrite(ring, OUT_SLOT0 + i * 256).initSa(Method.Report, SaAttr.Notice, 0, start + k), i, lids, guids);
  }
  return ring[OUT_SLOT0 + 67]!;
}

function codecEncodeNoticesArray(rings: Rings, start: number): number {
  const { out, lids, guids } = rings;
  for (let k = 0; k < BATCH; k++) {
    const i = (start + k) & (RING - 1);
    fillRePath(view.wrapForWrite(out[i]!).initSa(Method.Report, SaAttr.Notice, 0, start + k), i, lids, guids);
  }
  return out[0]![67]!;
}

function codecEncodePathsSlot(rings: Rings, start: number): number {
  const { ring, lids, guids } = rings;
  for (let k = 0; k < BATCH; k++) {
    const i = (start + k) & (RING - 1);
    fillPathRecord(view.wrapSlotForWrite(ring, OUT_SLOT0 + i * 256).initSa(Method.GetResp, SaAttr.PathRecord, 2, start + k), i, lids, guids);
  }
  return ring[OUT_SLOT0 + 97]!;
}

function codecEncodePathsArray(rings: Rings, start: number): number {
  const { out, lids, guids } = rings;
  for (let k = 0; k < BATCH; k++) {
    const i = (start + k) & (RING - 1);
    fillPathRecord(view.wrapForWrite(out[i]!).initSa(Method.GetResp, SaAttr.PathRecord, 2, start + k), i, lids, guids);
  }
  return out[0]![97]!;
}

// ---------------- the canary: how fast this core is right now ----------------

/**
 * A fixed loop that does not touch the codec: XORs the first 16 words of each Notice slot. It has no
 * calls, so its optimised code is the same in every process, and its rate changes only with the core
 * it runs on. On this shared 2-vCPU machine a core sometimes runs at about half speed for seconds at a
 * time (a busy sibling hyperthread or a slower host core), which neither steal time nor run-queue wait
 * shows; the canary does, and dividing by it tells a slow mode of the codec from a slowed machine.
 */
function canaryXorWords(words: Uint32Array, start: number): number {
  let s = 0;
  for (let k = 0; k < BATCH; k++) {
    const o = ((start + k) & (RING - 1)) * 64;
    let x = 0;
    for (let j = 0; j < 16; j++) x ^= words[o + j]!;
    s += x >>> 0;
  }
  return s;
}

// ---------------- the naive baseline ----------------

class BaselineError extends Error {}
const SA_ATTRS = new Set<number>(Object.values(SaAttr));
const SMP_ATTRS = new Set<number>(Object.values(SmpAttr));
const SA_METHODS = new Set<number>([0x01, 0x02, 0x81, 0x06, 0x86, 0x12, 0x92, 0x13, 0x14, 0x94, 0x15, 0x95]);
const CLASS_VERSIONS: Record<number, number> = { 0x01: 1, 0x81: 1, 0x03: 2, 0x04: 1 };

interface NaiveGid {
  prefix: bigint;
  guid: bigint;
}
interface NaiveHeader {
  baseVersion: number;
  mgmtClass: number;
  classVersion: number;
  method: number;
  status: number;
  transactionId: bigint;
  attributeId: number;
  attributeModifier: number;
  attributeOffset: number;
  componentMask: bigint;
}
interface NaiveNotice extends NaiveHeader {
  notice: {
    isGeneric: boolean; type: number; producerType: number; trapNumber: number; issuerLid: number; toggle: boolean;
    newLid: number; oldLid: number; vmState: number; vgid: NaiveGid; newPortGuid: bigint; oldPortGuid: bigint; sequence: number; issuerGid: NaiveGid;
  };
}
interface NaivePath extends NaiveHeader {
  pathRecord: {
    serviceId: bigint; dgid: NaiveGid; sgid: NaiveGid; dlid: number; slid: number; flowLabel: number; hopLimit: number; tclass: number;
    reversible: boolean; numbPath: number; pkey: number; sl: number; mtu: number; rate: number; pktLife: number;
  };
}

function naiveGid(dv: DataView, o: number): NaiveGid {
  return { prefix: dv.getBigUint64(o), guid: dv.getBigUint64(o + 8) };
}

/** Pads, wraps in a DataView and validates, as an ordinary decoder would before reading fields. */
function naiveCheck(buf: Uint8Array): DataView {
  if (buf.length > 256 || buf.length === 0) throw new BaselineError(`length ${buf.length}`);
  let b = buf;
  if (b.length < 256) {
    b = new Uint8Array(256);
    b.set(buf);
  }
  const dv = new DataView(b.buffer, b.byteOffset, 256);
  const baseVersion = dv.getUint8(0);
  const mgmtClass = dv.getUint8(1);
  const method = dv.getUint8(3);
  const attributeId = dv.getUint16(16);
  if (baseVersion !== 1) throw new BaselineError(`baseVersion ${baseVersion}`);
  if (CLASS_VERSIONS[mgmtClass] === undefined) throw new BaselineError(`class ${mgmtClass}`);
  if (CLASS_VERSIONS[mgmtClass] !== dv.getUint8(2)) throw new BaselineError(`classVersion ${dv.getUint8(2)}`);
  if (mgmtClass === MgmtClass.SubnAdm) {
    if (!SA_METHODS.has(method)) throw new BaselineError(`method ${method}`);
    if (!SA_ATTRS.has(attributeId)) throw new BaselineError(`attribute ${attributeId}`);
    if (dv.getUint16(44) * 8 > 200) throw new BaselineError(`attributeOffset ${dv.getUint16(44)}`);
  } else if (!SMP_ATTRS.has(attributeId)) throw new BaselineError(`attribute ${attributeId}`);
  return dv;
}

/** What the baseline decodes from a RePath Report: exactly the fields readRePath reads. */
interface NaiveRePath {
  method: number;
  status: number;
  attributeId: number;
  transactionId: bigint;
  notice: { isGeneric: boolean; trapNumber: number; producerType: number; issuerLid: number; newLid: number; oldLid: number; vgid: NaiveGid };
}

function naiveDecodeRePath(buf: Uint8Array): NaiveRePath {
  const dv = naiveCheck(buf);
  const o = 56;
  return {
    method: dv.getUint8(3),
    status: dv.getUint16(4),
    attributeId: dv.getUint16(16),
    transactionId: dv.getBigUint64(8),
    notice: {
      isGeneric: (dv.getUint8(o) & 0x80) !== 0,
      trapNumber: dv.getUint16(o + 4),
      producerType: (dv.getUint8(o + 1) << 16) | dv.getUint16(o + 2),
      issuerLid: dv.getUint16(o + 6),
      newLid: dv.getUint16(o + 10),
      oldLid: dv.getUint16(o + 12),
      vgid: naiveGid(dv, o + 16),
    },
  };
}

function naiveDecodePath(buf: Uint8Array): NaivePath {
  const dv = naiveCheck(buf);
  const o = 56;
  const word = dv.getUint32(o + 44);
  return {
    baseVersion: dv.getUint8(0),
    mgmtClass: dv.getUint8(1),
    classVersion: dv.getUint8(2),
    method: dv.getUint8(3),
    status: dv.getUint16(4),
    transactionId: dv.getBigUint64(8),
    attributeId: dv.getUint16(16),
    attributeModifier: dv.getUint32(20),
    attributeOffset: dv.getUint16(44),
    componentMask: dv.getBigUint64(48),
    pathRecord: {
      serviceId: dv.getBigUint64(o),
      dgid: naiveGid(dv, o + 8),
      sgid: naiveGid(dv, o + 24),
      dlid: dv.getUint16(o + 40),
      slid: dv.getUint16(o + 42),
      flowLabel: (word >>> 8) & 0xfffff,
      hopLimit: word & 0xff,
      tclass: dv.getUint8(o + 48),
      reversible: (dv.getUint8(o + 49) & 0x80) !== 0,
      numbPath: dv.getUint8(o + 49) & 0x7f,
      pkey: dv.getUint16(o + 50),
      sl: dv.getUint16(o + 52) & 0xf,
      mtu: dv.getUint8(o + 54),
      rate: dv.getUint8(o + 55),
      pktLife: dv.getUint8(o + 56),
    },
  };
}

/** The baseline's consumer: the same reads and the same checksum as readRePath. */
function baselineReadRePath(m: NaiveRePath): number {
  const n = m.notice;
  if (m.method === Method.Report && m.status === MadStatus.Ok && m.attributeId === SaAttr.Notice && n.isGeneric && n.trapNumber === TrapNumber.RePath) {
    const t = m.transactionId;
    const g = n.vgid;
    const gid = Number(((g.prefix >> 32n) ^ g.prefix ^ (g.guid >> 32n) ^ g.guid) & 0xffffffffn);
    return Number(((t >> 32n) ^ t) & 0xffffffffn) + n.producerType + n.issuerLid + n.newLid + n.oldLid + gid;
  }
  return 0;
}

function baselineDecodeNotices(ring: Uint8Array[], start: number): number {
  let s = 0;
  for (let k = 0; k < BATCH; k++) s += baselineReadRePath(naiveDecodeRePath(ring[(start + k) & (RING - 1)]!));
  return s;
}

function baselineDecodePaths(ring: Uint8Array[], start: number): number {
  let s = 0;
  for (let k = 0; k < BATCH; k++) {
    const m = naiveDecodePath(ring[(start + k) & (RING - 1)]!);
    const p = m.pathRecord;
    if (m.method === Method.GetResp && m.status === 0) {
      s += Number(m.transactionId & 0xffffffffn) + p.dlid + p.slid + p.pkey + p.sl + p.mtu + p.rate + p.pktLife + p.numbPath;
      s += Number(p.dgid.guid & 0xffffffffn) ^ Number(p.dgid.guid >> 32n) ^ Number(p.sgid.guid & 0xffffffffn);
    }
  }
  return s;
}

function naiveEncodeHeader(dv: DataView, method: number, attributeId: number, tid: bigint, attributeOffset: number, componentMask: bigint): void {
  dv.setUint8(0, 1);
  dv.setUint8(1, MgmtClass.SubnAdm);
  dv.setUint8(2, 2);
  dv.setUint8(3, method);
  dv.setBigUint64(8, tid);
  dv.setUint16(16, attributeId);
  dv.setUint16(44, attributeOffset);
  dv.setBigUint64(48, componentMask);
}

function naiveEncodeNotice(n: NaiveNotice['notice'], tid: bigint): Uint8Array {
  const out = new Uint8Array(256);
  const dv = new DataView(out.buffer);
  naiveEncodeHeader(dv, Method.Report, SaAttr.Notice, tid, 10, 0n);
  const o = 56;
  dv.setUint8(o, (n.isGeneric ? 0x80 : 0) | n.type);
  dv.setUint8(o + 1, n.producerType >>> 16);
  dv.setUint16(o + 2, n.producerType & 0xffff);
  dv.setUint16(o + 4, n.trapNumber);
  dv.setUint16(o + 6, n.issuerLid);
  dv.setUint16(o + 10, n.newLid);
  dv.setUint16(o + 12, n.oldLid);
  dv.setUint8(o + 14, n.vmState);
  dv.setBigUint64(o + 16, n.vgid.prefix);
  dv.setBigUint64(o + 24, n.vgid.guid);
  dv.setBigUint64(o + 32, n.newPortGuid);
  dv.setBigUint64(o + 40, n.oldPortGuid);
  dv.setUint32(o + 48, n.sequence);
  dv.setBigUint64(o + 64, n.issuerGid.prefix);
  dv.setBigUint64(o + 72, n.issuerGid.guid);
  return out;
}

function naiveEncodePath(p: NaivePath['pathRecord'], tid: bigint): Uint8Array {
  const out = new Uint8Array(256);
  const dv = new DataView(out.buffer);
  naiveEncodeHeader(dv, Method.GetResp, SaAttr.PathRecord, tid, 8, 0x100cn);
  const o = 56;
  dv.setBigUint64(o, p.serviceId);
  dv.setBigUint64(o + 8, p.dgid.prefix);
  dv.setBigUint64(o + 16, p.dgid.guid);
  dv.setBigUint64(o + 24, p.sgid.prefix);
  dv.setBigUint64(o + 32, p.sgid.guid);
  dv.setUint16(o + 40, p.dlid);
  dv.setUint16(o + 42, p.slid);
  dv.setUint32(o + 44, ((p.flowLabel & 0xfffff) << 8) | p.hopLimit);
  dv.setUint8(o + 48, p.tclass);
  dv.setUint8(o + 49, (p.reversible ? 0x80 : 0) | p.numbPath);
  dv.setUint16(o + 50, p.pkey);
  dv.setUint16(o + 52, p.sl);
  dv.setUint8(o + 54, p.mtu);
  dv.setUint8(o + 55, p.rate);
  dv.setUint8(o + 56, p.pktLife);
  return out;
}

const PREFIX = 0xfe80000000000000n;

function baselineEncodeNotices(rings: Rings, start: number): number {
  const { lids, guids } = rings;
  let s = 0;
  for (let k = 0; k < BATCH; k++) {
    const i = (start + k) & (RING - 1);
    const out = naiveEncodeNotice(
      {
        isGeneric: true, type: NoticeType.Info, producerType: ProducerType.ClassManager, trapNumber: TrapNumber.RePath, issuerLid: 1, toggle: false,
        newLid: lids[2 * i]!, oldLid: lids[2 * i + 1]!, vmState: VmState.Running,
        vgid: { prefix: PREFIX, guid: (BigInt(guids[2 * i]!) << 32n) | BigInt(guids[2 * i + 1]!) },
        newPortGuid: 0x0002c90300000000n | BigInt(lids[2 * i]!), oldPortGuid: 0x0002c90300000000n | BigInt(lids[2 * i + 1]!),
        sequence: i, issuerGid: { prefix: PREFIX, guid: 0x00100001n },
      },
      BigInt(start + k),
    );
    s += out[67]!;
  }
  return s;
}

function baselineEncodePaths(rings: Rings, start: number): number {
  const { lids, guids } = rings;
  let s = 0;
  for (let k = 0; k < BATCH; k++) {
    const i = (start + k) & (RING - 1);
    const out = naiveEncodePath(
      {
        serviceId: 0n, dgid: { prefix: PREFIX, guid: (BigInt(guids[2 * i]!) << 32n) | BigInt(guids[2 * i + 1]!) },
        sgid: { prefix: PREFIX, guid: 0x0002c90300100004n }, dlid: lids[2 * i]!, slid: lids[2 * i + 1]!, flowLabel: 0, hopLimit: 0, tclass: 0,
        reversible: true, numbPath: 1, pkey: 0xffff, sl: i & 15, mtu: 0x84, rate: 0x83, pktLife: 0x92,
      },
      BigInt(2 * 2 ** 32 + start + k),
    );
    s += out[97]!;
  }
  return s;
}

// ---------------- allocation check ----------------

interface AllocationFacts {
  mads: number;
  /** Young-generation collections: these happen only when new objects fill new space. */
  scavenges: number;
  /** Other GC events (incremental marking steps, mark-compact) that may be finishing earlier work. */
  otherGcs: number;
  heapGrowthBytes: number;
  bytesPerMad: number;
}

/**
 * Runs `batches` of fn with a GC observer attached (no --expose-gc needed). A loop that allocates per
 * MAD fills the young generation within a few hundred thousand MADs and shows up as scavenges and heap
 * growth; an allocation-free loop shows neither.
 */
async function measureAllocation(fn: (start: number) => number, batches: number): Promise<AllocationFacts> {
  for (let i = 0; i < 200; i++) sink += fn(i * BATCH); // settle the optimised code first (2 M MADs: enough on a busy machine)
  let scavenges = 0;
  let otherGcs = 0;
  let counting = false;
  const observer = new PerformanceObserver((list) => {
    if (!counting) return;
    for (const entry of list.getEntries()) {
      const kind = (entry as unknown as { detail?: { kind?: number } }).detail?.kind;
      if (kind === perfConstants.NODE_PERFORMANCE_GC_MINOR) scavenges++;
      else otherGcs++;
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  await new Promise((resolve) => setTimeout(resolve, 20)); // deliver anything pending from before
  counting = true;
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < batches; i++) sink += fn(i * BATCH);
  const after = process.memoryUsage().heapUsed;
  await new Promise((resolve) => setTimeout(resolve, 50)); // let the observer deliver
  observer.disconnect();
  const mads = batches * BATCH;
  const growth = after - before;
  return { mads, scavenges, otherGcs, heapGrowthBytes: growth, bytesPerMad: scavenges === 0 ? Math.max(0, growth) / mads : NaN };
}

// ---------------- one process's measurement ----------------

function allocationNote(what: string, a: AllocationFacts): string {
  const perMad = Number.isNaN(a.bytesPerMad) ? 'not measurable (collections ran)' : `${a.bytesPerMad.toFixed(4)} bytes/MAD`;
  return `Allocation, ${what}: ${a.mads} MADs, ${a.scavenges} scavenges, ${a.otherGcs} other GC events, heap grew ${a.heapGrowthBytes} bytes: ${perMad}.`;
}

function madsPerSecond(task: Task | undefined): { median: number; mean: number } {
  const r = task?.result;
  if (!r || !('latency' in r)) throw new Error(`benchmark task ${task?.name ?? '?'} did not complete: ${r ? JSON.stringify(r.state) : 'no result'}`);
  return { median: (BATCH * 1000) / r.latency.p50, mean: (BATCH * 1000) / r.latency.mean };
}

const CASES = [
  ['decode', 'Notice', 'Notice (RePath Report)'],
  ['decode', 'PathRecord', 'PathRecord (GetResp)'],
  ['encode', 'Notice', 'Notice (RePath Report)'],
  ['encode', 'PathRecord', 'PathRecord (GetResp)'],
] as const;
const MODES = ['slot', 'array', 'baseline'] as const;
type Mode = (typeof MODES)[number];

/** What one process measured: MADs/s (median and mean of its batches) per task, and its allocation checks. */
interface ProcessFigures {
  /** rates[`${mode} ${op} ${mad}`] */
  rates: Record<string, { median: number; mean: number }>;
  alloc: { noticeSlot: AllocationFacts; noticeArray: AllocationFacts; pathSlot: AllocationFacts; baseline: AllocationFacts };
  /** Canary (ring words) per second, wall clock, from the timed task run just before the ring-slot Notice decode. */
  canaryWall: number;
  /** Ring-slot Notice decodes and canary batches run alternately, per second of this thread's CPU time. */
  cpu: CpuFigures;
  /**
   * Whether the ring-slot decode loop (codecDecodeNoticesSlot) ran as TurboFan code after the timed tasks
   * and after the CPU rounds; null when the child cannot ask V8 (no --allow-natives-syntax).
   */
  loopOptimised: { timed: boolean | null; cpu: boolean | null };
  checksum: number;
}

interface CpuFigures {
  /** Notice decodes (ring slot) per CPU-second: median of CPU_ROUNDS runs. */
  codec: number;
  /** Canary MADs per CPU-second, median of the runs interleaved with the codec's. */
  canary: number;
  /** Median over the rounds of codec run rate / the canary run right after it. */
  ratio: number;
  /** The same rounds by wall clock: codec and canary MADs per second, medians. */
  codecWall: number;
  canaryWall: number;
  /** Time this thread was runnable but waiting for a core during the rounds (schedstat field 2), ms; NaN off Linux. */
  waitMs: number;
  /** Steal time of the whole machine during the rounds (/proc/stat), ms; NaN off Linux. */
  stealMs: number;
}

const CPU_ROUNDS = 5;

/**
 * This thread's [ns on a CPU, ns runnable but waiting for one] from /proc/thread-self/schedstat (this
 * thread only, so V8's compiler and GC threads are left out), or null off Linux. For a thread that is
 * running, the kernel updates the first figure only at scheduler ticks (4 ms at HZ=250): a run must
 * last long enough that a tick is a small error (cpuRun runs >= 200 ms, so < 2%). Before this, runs of
 * 28-52 ms gave rates that were exact tick multiples: 19.2 M/s is 1 M MADs in 13 ticks.
 */
function schedstat(): [number, number] | null {
  try {
    const f = readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ');
    return [Number(f[0]), Number(f[1])];
  } catch {
    return null;
  }
}

/** CPU-ns of this thread (process CPU time, all threads, where schedstat is missing). */
function threadCpuNs(): number {
  const s = schedstat();
  if (s !== null) return s[0];
  const u = process.cpuUsage();
  return (u.user + u.system) * 1000;
}

/** Machine-wide steal time in ms from /proc/stat's cpu line (USER_HZ = 100 ticks/s), NaN off Linux. */
function stealMs(): number {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/);
    return Number(f[8]) * 10;
  } catch {
    return NaN;
  }
}

/** Runs batches of fn for at least minWallMs of wall time; MADs per second of this thread's CPU time and of wall time. */
function cpuRun(fn: (start: number) => number, minWallMs: number): { cpu: number; wall: number } {
  const before = threadCpuNs();
  const start = process.hrtime.bigint();
  const until = start + BigInt(Math.round(minWallMs * 1e6));
  let mads = 0;
  let now = start;
  do {
    for (let i = 0; i < 10; i++, mads += BATCH) sink += fn(mads);
    now = process.hrtime.bigint();
  } while (now < until);
  return { cpu: mads / ((threadCpuNs() - before) / 1e9), wall: mads / (Number(now - start) / 1e9) };
}

/**
 * CPU_ROUNDS rounds of (codec run, canary run), each at least minWallMs long. Alternating them means a
 * slowed core slows both alike and leaves their ratio alone, while a slow mode of the codec's code
 * lowers the ratio.
 */
function interleavedCpuRates(codec: (start: number) => number, canary: (start: number) => number, minWallMs: number): CpuFigures {
  const codecRates: number[] = [];
  const canaryRates: number[] = [];
  const ratios: number[] = [];
  const codecWall: number[] = [];
  const canaryWall: number[] = [];
  const s0 = schedstat();
  const steal0 = stealMs();
  for (let r = 0; r < CPU_ROUNDS; r++) {
    const c = cpuRun(codec, minWallMs);
    const k = cpuRun(canary, minWallMs);
    codecRates.push(c.cpu);
    canaryRates.push(k.cpu);
    ratios.push(c.cpu / k.cpu);
    codecWall.push(c.wall);
    canaryWall.push(k.wall);
  }
  const s1 = schedstat();
  return {
    codec: median(codecRates),
    canary: median(canaryRates),
    ratio: median(ratios),
    codecWall: median(codecWall),
    canaryWall: median(canaryWall),
    waitMs: s0 !== null && s1 !== null ? (s1[1] - s0[1]) / 1e6 : NaN,
    stealMs: stealMs() - steal0,
  };
}

/**
 * V8's own answer to "is fn TurboFan code now" (%GetOptimizationStatus bit 4), or null unless this
 * process runs with --allow-natives-syntax (the parent starts its children so). It tells a slow mode
 * of the code from a slow machine directly: in Node 20 a loop function whose first tier-up is a
 * concurrent OSR compile that finishes after the loop has returned can stay unoptimised for the rest
 * of the process (seen in 2 of 30 fresh processes of a driver that runs only this decode: 27.8 M/s
 * instead of 35.7, with wrapSlot and readRePath optimised on their own and called from Sparkplug code).
 */
function isTurboFan(fn: (...args: never[]) => unknown): boolean | null {
  let status: (f: unknown) => number;
  try {
    status = new Function('f', 'return %GetOptimizationStatus(f);') as (f: unknown) => number;
  } catch {
    return null;
  }
  return (status(fn) & 16) !== 0;
}

/** The codec's and the baseline's Notice consumers must read the same values: compare over the whole ring. */
function checkSameFields(rings: Rings): void {
  const codec = codecDecodeNoticesSlot(rings.ring, 0);
  const base = baselineDecodeNotices(rings.notices, 0);
  if (codec !== base || codec === 0) throw new Error(`Notice checksums differ: codec ${codec}, baseline ${base} (the two consumers must read the same fields)`);
}

/** Measures every task in this process. */
export async function measureMadCodecInThisProcess(quick: boolean): Promise<ProcessFigures> {
  const rings = buildRings(0x0b5e55ed);
  checkSameFields(rings);
  // Allocation first, on a quiet heap (before the baseline's garbage exists).
  const allocBatches = quick ? 100 : 300; // 1 M or 3 M decodes each
  const alloc = {
    noticeSlot: await measureAllocation((s) => codecDecodeNoticesSlot(rings.ring, s), allocBatches),
    noticeArray: await measureAllocation((s) => codecDecodeNoticesArray(rings.notices, s), allocBatches),
    pathSlot: await measureAllocation((s) => codecDecodePathsSlot(rings.ring, s), allocBatches),
    baseline: await measureAllocation((s) => baselineDecodeNotices(rings.notices, s), allocBatches),
  };

  let cursor = 0;
  const next = (): number => (cursor = (cursor + BATCH) % 0x40000000);
  // 0.5 s per task is 150-1,700 timed batches of 10,000 MADs: plenty for a median, and it keeps eight
  // processes within about 90 s.
  const bench = new Bench({ time: quick ? 150 : 500, warmupTime: quick ? 50 : 200, iterations: 10, throws: true });
  const add = (name: string, fn: (start: number) => number): void => void bench.add(name, () => void (sink += fn(next())));
  // The canary goes first, so it is timed just before the ring-slot Notice decode (tinybench warms every
  // task up, then times them in this order).
  add('canary', (s) => canaryXorWords(rings.words, s));
  add('slot decode Notice', (s) => codecDecodeNoticesSlot(rings.ring, s));
  add('array decode Notice', (s) => codecDecodeNoticesArray(rings.notices, s));
  add('baseline decode Notice', (s) => baselineDecodeNotices(rings.notices, s));
  add('slot decode PathRecord', (s) => codecDecodePathsSlot(rings.ring, s));
  add('array decode PathRecord', (s) => codecDecodePathsArray(rings.paths, s));
  add('baseline decode PathRecord', (s) => baselineDecodePaths(rings.paths, s));
  add('slot encode Notice', (s) => codecEncodeNoticesSlot(rings, s));
  add('array encode Notice', (s) => codecEncodeNoticesArray(rings, s));
  add('baseline encode Notice', (s) => baselineEncodeNotices(rings, s));
  add('slot encode PathRecord', (s) => codecEncodePathsSlot(rings, s));
  add('array encode PathRecord', (s) => codecEncodePathsArray(rings, s));
  add('baseline encode PathRecord', (s) => baselineEncodePaths(rings, s));
  await bench.run();
  const rates: ProcessFigures['rates'] = {};
  for (const [op, short] of CASES) for (const mode of MODES) rates[`${mode} ${op} ${short}`] = madsPerSecond(bench.getTask(`${mode} ${op} ${short}`));
  const canaryWall = madsPerSecond(bench.getTask('canary')).median;
  const timed = isTurboFan(codecDecodeNoticesSlot);
  const cpu = interleavedCpuRates((s) => codecDecodeNoticesSlot(rings.ring, s), (s) => canaryXorWords(rings.words, s), quick ? 40 : 200);
  return { rates, alloc, canaryWall, cpu, loopOptimised: { timed, cpu: isTurboFan(codecDecodeNoticesSlot) }, checksum: sink >>> 0 };
}

// ---------------- the run: one child process per measurement ----------------

const yesNo = (b: boolean | null): string => (b === null ? 'unknown' : b ? 'yes' : 'no');

/** A process whose canary ran below this share of the fastest process's canary ran on a slowed core. */
const SLOWED_CORE = 0.8;

/**
 * Tells a slowed machine from a slow mode of the codec, from each process's canary: which processes ran
 * on a slowed core (canary below SLOWED_CORE of the best process's, by CPU time and by wall clock), the
 * slowest codec rate among the others, and how far the lowest codec/canary ratio is below the median
 * (a code mode lowers it in its own process; a slowed core slows both and leaves it alone).
 */
function machineCheck(runs: ProcessFigures[], slotWall: number[]): { note: string } {
  const m1 = (x: number): string => (x / 1e6).toFixed(1);
  const list = (xs: number[]): string => (xs.length === 0 ? 'none' : xs.map((i) => i + 1).join(', '));
  const canaryCpu = runs.map((r) => r.cpu.canary);
  const canaryWall = runs.map((r) => r.canaryWall);
  const bestCpu = Math.max(...canaryCpu);
  const bestWall = Math.max(...canaryWall);
  const idx = runs.map((_, i) => i);
  const slowedCpu = idx.filter((i) => canaryCpu[i]! < SLOWED_CORE * bestCpu);
  const slowedWall = idx.filter((i) => canaryWall[i]! < SLOWED_CORE * bestWall);
  const fastCpu = idx.filter((i) => !slowedCpu.includes(i)).map((i) => runs[i]!.cpu.codec);
  const fastWall = idx.filter((i) => !slowedWall.includes(i)).map((i) => slotWall[i]!);
  const ratios = runs.map((r) => r.cpu.ratio);
  const lowest = Math.min(...ratios);
  const note =
    `Machine check: the canary ran at ${m1(Math.min(...canaryCpu))}-${m1(bestCpu)} M per CPU-second and ${m1(Math.min(...canaryWall))}-${m1(bestWall)} M/s by wall clock across the processes. ` +
    `Processes whose canary ran below ${SLOWED_CORE * 100}% of the fastest process's were on a slowed core: ${list(slowedCpu)} in the CPU-second rounds, ${list(slowedWall)} in the timed tasks. ` +
    `Among the others the slowest ring-slot Notice decode is ${m1(Math.min(...fastCpu))} M per CPU-second and ${m1(Math.min(...fastWall))} M/s by wall clock. ` +
    `Codec / canary per CPU-second: lowest ${lowest.toFixed(3)} (process ${ratios.indexOf(lowest) + 1}), median ${median(ratios).toFixed(3)}, lowest / median ${(lowest / median(ratios)).toFixed(2)}: a slow mode of the codec's code would lower this in its own process only.`;
  return { note };
}

const CHILD_FLAG = '--child-json' as const;

/** Runs the measurement in a fresh Node process and returns what it printed. */
function measureInChild(quick: boolean): ProcessFigures {
  // --allow-natives-syntax only lets the child ask V8 whether its decode loop is optimised (isTurboFan).
  const args = ['--allow-natives-syntax', fileURLToPath(import.meta.url), CHILD_FLAG, ...(quick ? ['--quick'] : [])];
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 16 << 20 });
  if (r.status !== 0) throw new Error(`mad-codec child process failed (exit ${r.status ?? r.signal}): ${(r.stderr || r.stdout).trim().split('\n').pop() ?? ''}`);
  const last = r.stdout.trim().split('\n').pop() ?? '';
  const figures = JSON.parse(last) as ProcessFigures;
  // JSON carries NaN ("not measurable") as null.
  for (const a of Object.values(figures.alloc)) if (typeof a.bytesPerMad !== 'number') a.bytesPerMad = NaN;
  return figures;
}

const round2 = (x: number): number => Number(x.toFixed(2));

export async function runMadCodecBench(options: { quick?: boolean; resultsDir?: string; processes?: number } = {}): Promise<BenchResult> {
  const quick = options.quick ?? false;
  const processes = options.processes ?? (quick ? 2 : 8);
  if (!Number.isInteger(processes) || processes < 1) throw new Error(`mad-codec processes: ${processes} is not an integer >= 1`);
  const runs: ProcessFigures[] = [];
  for (let i = 0; i < processes; i++) runs.push(measureInChild(quick));

  const rate = (mode: Mode, op: string, short: string): number[] => runs.map((r) => r.rates[`${mode} ${op} ${short}`]!.median);
  const rows: Array<Record<string, string | number>> = [];
  const summary: Array<{ slot: number[]; array: number[]; slotRatio: number[]; arrayRatio: number[] }> = [];
  for (const [op, short, what] of CASES) {
    const slot = rate('slot', op, short);
    const array = rate('array', op, short);
    const base = rate('baseline', op, short);
    const slotRatio = slot.map((x, i) => x / base[i]!);
    const arrayRatio = array.map((x, i) => x / base[i]!);
    summary.push({ slot, array, slotRatio, arrayRatio });
    rows.push({
      operation: op,
      mad: what,
      'codec, ring slot (MADs/s, 1 core; median of processes)': Math.round(median(slot)),
      'ring slot, slowest process (MADs/s)': Math.round(Math.min(...slot)),
      'codec, own 256-byte array (MADs/s; median)': Math.round(median(array)),
      'baseline (MADs/s; median)': Math.round(median(base)),
      'ring slot / baseline (median)': round2(median(slotRatio)),
      'ring slot / baseline (min)': round2(Math.min(...slotRatio)),
      'own array / baseline (median)': round2(median(arrayRatio)),
      'own array / baseline (min)': round2(Math.min(...arrayRatio)),
      'codec ns/MAD (ring slot, median)': Number((1e9 / median(slot)).toFixed(1)),
      'baseline ns/MAD (median)': Number((1e9 / median(base)).toFixed(1)),
    });
  }
  const allocs = runs.flatMap((r) => [r.alloc.noticeSlot, r.alloc.noticeArray, r.alloc.pathSlot]);
  const noAllocation = allocs.every((a) => a.scavenges === 0 && a.bytesPerMad < 0.1);
  const notice = summary[0]!;
  const cpu = runs.map((r) => r.cpu.codec);
  const machine = machineCheck(runs, notice.slot);
  const m1 = (x: number): string => (x / 1e6).toFixed(1);
  const perProcess = runs.map((r, i) =>
    `process ${i + 1}: canary ${m1(r.canaryWall)}, ` + CASES.map(([op, short]) => `${op} ${short} ${(r.rates[`slot ${op} ${short}`]!.median / 1e6).toFixed(1)}/${(r.rates[`array ${op} ${short}`]!.median / 1e6).toFixed(1)}/${(r.rates[`baseline ${op} ${short}`]!.median / 1e6).toFixed(2)}`).join(', '));

  const result: BenchResult = {
    suite: 'mad-codec',
    title: 'MAD codec vs naive baseline: decode and encode of RePath Notice and PathRecord MADs',
    command: 'node dist/bench/mad-codec.bench.js',
    rows,
    targets: [
      { name: `Notice decodes per second, one core (ring slot), median of ${processes} processes`, target: '>= 20e6', measured: Math.round(median(notice.slot)), met: median(notice.slot) >= 20e6 },
      { name: `Notice decodes per second, one core (ring slot), slowest of ${processes} processes`, target: '>= 20e6', measured: Math.round(Math.min(...notice.slot)), met: Math.min(...notice.slot) >= 20e6 },
      { name: `Notice decodes per CPU-second (ring slot), median of ${processes} processes`, target: '>= 20e6', measured: Math.round(median(cpu)), met: median(cpu) >= 20e6 },
      { name: `Notice decodes per CPU-second (ring slot), slowest of ${processes} processes`, target: '>= 20e6', measured: Math.round(Math.min(...cpu)), met: Math.min(...cpu) >= 20e6 },
      { name: `Notice decodes per second, one core (own 256-byte array), median of ${processes} processes`, target: '>= 20e6', measured: Math.round(median(notice.array)), met: median(notice.array) >= 20e6 },
      ...CASES.map(([op, short], i) => ({
        name: `${short} ${op}, codec (ring slot) / baseline, median of ${processes} processes`,
        target: '>= 5',
        measured: round2(median(summary[i]!.slotRatio)),
        met: median(summary[i]!.slotRatio) >= 5,
      })),
      {
        name: `Notice decode, codec (ring slot) / baseline, slowest of ${processes} processes`,
        target: '>= 5',
        measured: round2(Math.min(...notice.slotRatio)),
        met: Math.min(...notice.slotRatio) >= 5,
      },
      ...CASES.map(([op, short], i) => ({
        name: `${short} ${op}, codec (own array) / baseline, median of ${processes} processes`,
        target: '>= 5',
        measured: round2(median(summary[i]!.arrayRatio)),
        met: median(summary[i]!.arrayRatio) >= 5,
      })),
      {
        name: `Scavenges during ${allocs.length} x ${allocs[0]!.mads.toLocaleString('en-US')} codec decodes (no allocation per MAD)`,
        target: '== 0 (and heap growth < 0.1 byte/MAD)',
        measured: allocs.reduce((n, a) => n + a.scavenges, 0),
        met: noAllocation,
      },
    ],
    notes: [
      `${processes} child processes, one after another, each measuring every task; a row gives the median over the processes of each process's median batch rate, and the slowest process. Rates in a process are from the median of timed batches of ${BATCH} MADs (tinybench 6.2.5), one thread; MADs cycle through a ring of ${RING} 256-byte slots in one SharedArrayBuffer.`,
      'ring slot = MadView.wrapSlot(ring, offset) over one Uint8Array spanning the SharedArrayBuffer (the engine\'s path); own array = MadView.wrap(u8) with a distinct 256-byte Uint8Array per slot, where binding each new array reads its .buffer and .byteOffset (runtime calls in Node 20).',
      'Notice decode = bind + validate (BaseVersion, class, ClassVersion, method, attribute, AttributeOffset) + what Dom0 reads from a RePath Report: method, status, attribute id, TID (both halves), IsGeneric, trap number, producer type, issuer LID, new LID, old LID and the vGID through a GID view (prefix and GUID halves read in place). PathRecord decode reads the 12 fields a VM\'s SA agent keeps. The codec\'s and the baseline\'s Notice checksums are compared over the whole ring before timing.',
      'encode = initSa (zero 256 bytes, header) + write every field of the RePath Notice / PathRecord.',
      'Baseline: the same checks with Sets, a DataView and one fresh object literal per MAD holding exactly the fields the consumer reads (TID and GID halves as BigInt, as DataView offers 64-bit values); encode builds a fresh object and writes a fresh 256-byte array through DataView.',
      'Why several processes: what V8 inlines into a hot loop is decided per process, by which functions happened to be optimised first. Every field getter fits V8\'s always-inline size (core/mad/bytes.ts) and wrapSlot with bindKnown and checkMad fits the budget left after this consumer even when wrapSlot was optimised on its own first (core/mad/mad-view.ts; test/mad-inlining.test.ts checks three orders), so all processes should run the same code, with one exception V8 itself makes: the decode loop\'s first tier-up is a concurrent OSR compile, and when that finishes after the loop has returned, Node 20 can leave the loop function unoptimised for the rest of the process (a few processes in a hundred; it then calls wrapSlot and readRePath as separate optimised functions, about 22% slower): the note on TurboFan code below says per process whether that happened. What else differs between processes is the machine: on this shared machine a core sometimes runs at about half speed for seconds (no steal time, no run-queue wait), so each process also times a codec-free canary loop next to the codec (see the machine check below).',
      `Per process, ring slot / own array / baseline in M MADs/s: ${perProcess.join('; ')}.`,
      `Per CPU-second: after the timed tasks each process runs ${CPU_ROUNDS} rounds of ring-slot Notice decodes then canary, each for at least ${quick ? 40 : 200} ms, and divides by the CPU time its main thread was given (/proc/thread-self/schedstat; the kernel updates it only at scheduler ticks, 4 ms here, for a running thread, so a run must last many ticks: short runs gave rates that were exact tick multiples, e.g. 19.2 M/s = 1 M MADs in 13 ticks), which leaves out time spent waiting for a core. Per process, codec / canary in M per CPU-second (median ratio of the rounds), the same by wall clock, run-queue wait and machine steal during the rounds: ${runs.map((r, i) => `process ${i + 1}: ${m1(r.cpu.codec)} / ${m1(r.cpu.canary)} (${r.cpu.ratio.toFixed(3)}), wall ${m1(r.cpu.codecWall)} / ${m1(r.cpu.canaryWall)}, wait ${r.cpu.waitMs.toFixed(1)} ms, steal ${r.cpu.stealMs} ms`).join('; ')}.`,
      machine.note,
      `Decode loop (codecDecodeNoticesSlot) running as TurboFan code, per process, after the timed tasks / after the CPU rounds (V8's %GetOptimizationStatus): ${runs.map((r, i) => `process ${i + 1}: ${yesNo(r.loopOptimised.timed)}/${yesNo(r.loopOptimised.cpu)}`).join(', ')}.`,
      allocationNote('codec Notice decode (ring slot), process 1', runs[0]!.alloc.noticeSlot),
      allocationNote('codec Notice decode (own array), process 1', runs[0]!.alloc.noticeArray),
      allocationNote('codec PathRecord decode (ring slot), process 1', runs[0]!.alloc.pathSlot),
      allocationNote('baseline Notice decode, process 1', runs[0]!.alloc.baseline),
      `Checksums ${runs.map((r) => r.checksum).join(', ')} (keep the reads from being optimised away).`,
    ],
    machine: machineFacts(),
    generatedAt: new Date().toISOString(),
  };
  writeBenchResult(join(resultsDirOr(options.resultsDir), 'micro', 'mad-codec.json'), result);
  return result;
}

if (isEntryPoint(import.meta.url)) {
  await benchMain(
    {
      script: 'mad-codec.bench.js',
      about: 'The MAD codec against the baseline decoders (tinybench), in several fresh processes; writes results/micro/mad-codec.json.',
      flags: {
        quick: { type: 'boolean', description: 'short tasks (a smoke run)' },
        processes: { type: 'positiveInteger', valueName: 'N', description: 'fresh processes to measure in [default: the suite\'s]' },
        'results-dir': resultsDirFlag('micro/mad-codec.json'),
        [CHILD_FLAG.slice(2)]: { type: 'boolean', description: '(internal) measure in this process and print the figures as JSON' },
      },
    },
    async (flags) => {
      const quick = flags.quick === true;
      if (flags[CHILD_FLAG.slice(2)] === true) {
        process.stdout.write(JSON.stringify(await measureMadCodecInThisProcess(quick)) + '\n');
        return;
      }
      const result = await runMadCodecBench({
        quick,
        ...(flags.processes === undefined ? {} : { processes: flags.processes }),
        ...(flags['results-dir'] === undefined ? {} : { resultsDir: flags['results-dir'] }),
      });
      console.table(result.rows);
      for (const t of result.targets) console.log(`${t.met ? 'met    ' : 'NOT met'} ${t.name}: ${t.measured} (target ${t.target})`);
      for (const n of result.notes) console.log(n);
    },
  );
}
