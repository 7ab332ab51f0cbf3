// Micro benchmark of the MAD codec against a naive baseline, in one run:
//   decode (wrap + validate + read the fields an agent acts on) and encode (fill a whole MAD) of
//   RePath Notice Reports and PathRecord GetResps.
// The codec reads in place through a reusable MadView (no allocation per MAD). The baseline is an
// ordinary implementation: the same validation with Sets, a fresh object per MAD, fields read one by
// one through DataView (64-bit values as BigInt, as DataView offers them), and for encode a fresh
// object and a fresh 256-byte buffer per MAD written through DataView.
// MADs come from a ring of 256-byte slots in a SharedArrayBuffer, as the engine's rings hold them.
import { Bench, type Task } from 'tinybench';
import { PerformanceObserver, constants as perfConstants } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { MadView, Method, SaAttr, MgmtClass, NoticeType, ProducerType, TrapNumber, VmState, SmpAttr } from '../core/mad/index.js';
import { Xoshiro128 } from '../core/random.js';
import { type BenchResult, machineFacts, writeBenchResult } from './bench-result.js';

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
  return { ring: new Uint8Array(sab), notices, paths, out, lids, guids };
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

/** The fields an agent acts on when a RePath Report arrives. */
function readRePath(v: MadView): number {
  const n = v.notice;
  if (v.method === Method.Report && n.isGeneric === 1 && n.trapNumber === TrapNumber.RePath) {
    let s = v.tidLow + n.type + n.producerType + n.issuerLid + n.newLid + n.oldLid + n.vmState;
    s += n.vgid.guidHigh ^ n.vgid.guidLow;
    return s + n.newPortGuidLow + n.oldPortGuidLow + n.sequence + n.issuerGid.guidLow;
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

function naiveDecodeNotice(buf: Uint8Array): NaiveNotice {
  const dv = naiveCheck(buf);
  const o = 56;
  const first = dv.getUint8(o);
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
    notice: {
      isGeneric: (first & 0x80) !== 0,
      type: first & 0x7f,
      producerType: (dv.getUint8(o + 1) << 16) | dv.getUint16(o + 2),
      trapNumber: dv.getUint16(o + 4),
      issuerLid: dv.getUint16(o + 6),
      toggle: (dv.getUint8(o + 8) & 0x80) !== 0,
      newLid: dv.getUint16(o + 10),
      oldLid: dv.getUint16(o + 12),
      vmState: dv.getUint8(o + 14),
      vgid: naiveGid(dv, o + 16),
      newPortGuid: dv.getBigUint64(o + 32),
      oldPortGuid: dv.getBigUint64(o + 40),
      sequence: dv.getUint32(o + 48),
      issuerGid: naiveGid(dv, o + 64),
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

function baselineDecodeNotices(ring: Uint8Array[], start: number): number {
  let s = 0;
  for (let k = 0; k < BATCH; k++) {
    const m = naiveDecodeNotice(ring[(start + k) & (RING - 1)]!);
    const n = m.notice;
    if (m.method === Method.Report && n.isGeneric && n.trapNumber === TrapNumber.RePath) {
      s += Number(m.transactionId & 0xffffffffn) + n.type + n.producerType + n.issuerLid + n.newLid + n.oldLid + n.vmState;
      s += Number(n.vgid.guid & 0xffffffffn) ^ Number(n.vgid.guid >> 32n);
      s += Number(n.newPortGuid & 0xffffffffn) + Number(n.oldPortGuid & 0xffffffffn) + n.sequence + Number(n.issuerGid.guid & 0xffffffffn);
    }
  }
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
  for (let i = 0; i < 50; i++) sink += fn(i * BATCH); // settle the optimised code first
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

// ---------------- the run ----------------

function allocationNote(what: string, a: AllocationFacts): string {
  const perMad = Number.isNaN(a.bytesPerMad) ? 'not measurable (collections ran)' : `${a.bytesPerMad.toFixed(4)} bytes/MAD`;
  return `Allocation, ${what}: ${a.mads} MADs, ${a.scavenges} scavenges, ${a.otherGcs} other GC events, heap grew ${a.heapGrowthBytes} bytes: ${perMad}.`;
}

function madsPerSecond(task: Task | undefined): { median: number; mean: number } {
  const r = task?.result;
  if (!r || !('latency' in r)) throw new Error(`benchmark task ${task?.name ?? '?'} did not complete: ${r ? JSON.stringify(r.state) : 'no result'}`);
  return { median: (BATCH * 1000) / r.latency.p50, mean: (BATCH * 1000) / r.latency.mean };
}

export async function runMadCodecBench(options: { quick?: boolean; resultsDir?: string } = {}): Promise<BenchResult> {
  const quick = options.quick ?? false;
  const rings = buildRings(0x0b5e55ed);
  // Allocation first, on a quiet heap (before the baseline's garbage exists).
  const allocBatches = quick ? 100 : 300; // 1 M or 3 M decodes each
  const alloc = {
    noticeSlot: await measureAllocation((s) => codecDecodeNoticesSlot(rings.ring, s), allocBatches),
    noticeArray: await measureAllocation((s) => codecDecodeNoticesArray(rings.notices, s), allocBatches),
    pathSlot: await measureAllocation((s) => codecDecodePathsSlot(rings.ring, s), allocBatches),
    baseline: await measureAllocation((s) => baselineDecodeNotices(rings.notices, s), allocBatches),
  };
  const codecAllocs = [alloc.noticeSlot, alloc.noticeArray, alloc.pathSlot];
  const noAllocation = codecAllocs.every((a) => a.scavenges === 0 && a.bytesPerMad < 0.1);

  let cursor = 0;
  const next = (): number => (cursor = (cursor + BATCH) % 0x40000000);
  const bench = new Bench({ time: quick ? 150 : 1500, warmupTime: quick ? 50 : 300, iterations: 10, throws: true });
  const add = (name: string, fn: (start: number) => number): void => void bench.add(name, () => void (sink += fn(next())));
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

  const cases = [
    ['decode', 'Notice', 'Notice (RePath Report)'],
    ['decode', 'PathRecord', 'PathRecord (GetResp)'],
    ['encode', 'Notice', 'Notice (RePath Report)'],
    ['encode', 'PathRecord', 'PathRecord (GetResp)'],
  ] as const;
  const rows: Array<Record<string, string | number>> = [];
  const measured: Array<{ slot: number; array: number; base: number }> = [];
  const meanRates: string[] = [];
  for (const [op, short, what] of cases) {
    const slot = madsPerSecond(bench.getTask(`slot ${op} ${short}`));
    const array = madsPerSecond(bench.getTask(`array ${op} ${short}`));
    const base = madsPerSecond(bench.getTask(`baseline ${op} ${short}`));
    measured.push({ slot: slot.median, array: array.median, base: base.median });
    meanRates.push(`${op} ${short}: ring slot ${Math.round(slot.mean)}, own array ${Math.round(array.mean)}, baseline ${Math.round(base.mean)}`);
    rows.push({
      operation: op,
      mad: what,
      'codec, ring slot (MADs/s, 1 core)': Math.round(slot.median),
      'codec, own 256-byte array (MADs/s)': Math.round(array.median),
      'baseline (MADs/s)': Math.round(base.median),
      'ring slot / baseline': Number((slot.median / base.median).toFixed(2)),
      'own array / baseline': Number((array.median / base.median).toFixed(2)),
      'codec ns/MAD (ring slot)': Number((1e9 / slot.median).toFixed(1)),
      'baseline ns/MAD': Number((1e9 / base.median).toFixed(1)),
    });
  }
  const ratio = (i: number, k: 'slot' | 'array'): number => Number((measured[i]![k] / measured[i]!.base).toFixed(2));

  const result: BenchResult = {
    suite: 'mad-codec',
    title: 'MAD codec vs naive baseline: decode and encode of RePath Notice and PathRecord MADs',
    command: 'node dist/bench/mad-codec.bench.js',
    rows,
    targets: [
      { name: 'Notice decodes per second, one core (ring slot)', target: '>= 20e6', measured: Math.round(measured[0]!.slot), met: measured[0]!.slot >= 20e6 },
      { name: 'Notice decodes per second, one core (own 256-byte array)', target: '>= 20e6', measured: Math.round(measured[0]!.array), met: measured[0]!.array >= 20e6 },
      ...cases.map(([op, short], i) => ({
        name: `${short} ${op}, codec (ring slot) / baseline`,
        target: '>= 5',
        measured: ratio(i, 'slot'),
        met: ratio(i, 'slot') >= 5,
      })),
      ...cases.map(([op, short], i) => ({
        name: `${short} ${op}, codec (own array) / baseline`,
        target: '>= 5',
        measured: ratio(i, 'array'),
        met: ratio(i, 'array') >= 5,
      })),
      {
        name: `Scavenges during ${codecAllocs.length} x ${alloc.noticeSlot.mads.toLocaleString('en-US')} codec decodes (no allocation per MAD)`,
        target: '== 0 (and heap growth < 0.1 byte/MAD)',
        measured: codecAllocs.reduce((n, a) => n + a.scavenges, 0),
        met: noAllocation,
      },
    ],
    notes: [
      `Rates are from the median of timed batches of ${BATCH} MADs (tinybench 6.2.5), one thread; MADs cycle through a ring of ${RING} 256-byte slots in one SharedArrayBuffer.`,
      'ring slot = MadView.wrapSlot(ring, offset) over one Uint8Array spanning the SharedArrayBuffer (the engine\'s path); own array = MadView.wrap(u8) with a distinct 256-byte Uint8Array per slot, where binding each new array reads its .buffer and .byteOffset (runtime calls in Node 20).',
      'decode = bind + validate (BaseVersion, class, ClassVersion, method, attribute, AttributeOffset) + read the fields an agent acts on (RePath: 13 fields incl. the vGUID; PathRecord: 12); encode = initSa (zero 256 bytes, header) + write every field of the RePath Notice / PathRecord.',
      'Baseline: the same checks with Sets, one fresh object literal per MAD, fields read one by one through a DataView made per MAD (64-bit values and GID halves as BigInt); encode builds a fresh object and writes a fresh 256-byte array through DataView.',
      allocationNote('codec Notice decode (ring slot)', alloc.noticeSlot),
      allocationNote('codec Notice decode (own array)', alloc.noticeArray),
      allocationNote('codec PathRecord decode (ring slot)', alloc.pathSlot),
      allocationNote('baseline Notice decode', alloc.baseline),
      `Mean-based MADs/s (noisier on a shared machine): ${meanRates.join('; ')}.`,
      `Checksum ${sink >>> 0} (keeps the reads from being optimised away).`,
    ],
    machine: machineFacts(),
    generatedAt: new Date().toISOString(),
  };
  writeBenchResult(join(options.resultsDir ?? 'results', 'micro', 'mad-codec.json'), result);
  return result;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const quick = process.argv.includes('--quick');
  const result = await runMadCodecBench({ quick });
  console.table(result.rows);
  for (const t of result.targets) console.log(`${t.met ? 'met    ' : 'NOT met'} ${t.name}: ${t.measured} (target ${t.target})`);
  for (const n of result.notes) console.log(n);
}
