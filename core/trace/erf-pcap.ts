// MAD traces as pcap files that Wireshark/tshark decode.
//
// tshark 4.0 does not decode pcap link type 247 (LINKTYPE_INFINIBAND), so every MAD is framed as
// it would be captured by an Endace DAG card on an InfiniBand link: pcap link type ERF (197), each
// packet an ERF record of type 21 (InfiniBand) holding a complete local-routed UD packet:
//
//   pcap record header 16 (little-endian: ts_sec, ts_usec, incl_len, orig_len)
//   ERF header 16: timestamp u64 LITTLE-endian (high 32 bits seconds, low 32 bits binary fraction
//                  of a second), type u8 = 21, flags u8, rlen u16 BE, lctr u16 BE, wlen u16 BE
//   LRH 8 | BTH 12 | DETH 8 | MAD 256 | ICRC 4 | VCRC 2
//
// The ERF byte order is the one Wireshark's wiretap reads (pletoh64 for the timestamp, pntoh16
// for rlen/lctr/wlen). The CRCs are written as zero: tshark does not check them, and computing
// the ICRC would need the masked-field rules for no benefit to a reader of the trace.
//
// The writer appends into one growing byte buffer: adding a MAD allocates nothing unless the
// buffer has to grow (doubling), so a simulation can trace millions of MADs.
import { writeFileSync } from 'node:fs';
import { TraceError } from './trace-error.js';

export const PCAP_MAGIC_MICROS = 0xa1b2c3d4;
export const PCAP_MAGIC_NANOS = 0xa1b23c4d;
export const PCAP_VERSION_MAJOR = 2;
export const PCAP_VERSION_MINOR = 4;
export const PCAP_SNAPLEN = 65535;
export const LINKTYPE_ERF = 197;
export const PCAP_GLOBAL_HEADER_SIZE = 24;
export const PCAP_RECORD_HEADER_SIZE = 16;

export const ERF_HEADER_SIZE = 16;
export const ERF_TYPE_INFINIBAND = 21;
/** ERF flags bit 2: varying-length record, so rlen need not be a multiple of 8. */
export const ERF_FLAG_VARLEN = 0x04;
/** High bit of the ERF type byte: an extension header follows the 16-byte header. */
const ERF_TYPE_EXTENSION = 0x80;

export const LRH_SIZE = 8;
export const GRH_SIZE = 40;
export const BTH_SIZE = 12;
export const DETH_SIZE = 8;
export const TRACE_MAD_SIZE = 256;
export const ICRC_SIZE = 4;
export const VCRC_SIZE = 2;
/** One local-routed UD packet carrying a MAD, as it is on the wire. */
export const IB_MAD_PACKET_SIZE = LRH_SIZE + BTH_SIZE + DETH_SIZE + TRACE_MAD_SIZE + ICRC_SIZE + VCRC_SIZE;
const ERF_RECORD_SIZE = ERF_HEADER_SIZE + IB_MAD_PACKET_SIZE;
const TRACE_RECORD_SIZE = PCAP_RECORD_HEADER_SIZE + ERF_RECORD_SIZE;

/** LRH Link Next Header: 2 = IBA local (BTH follows), 3 = IBA global (GRH follows). */
const LNH_IBA_LOCAL = 2;
const LNH_IBA_GLOBAL = 3;
/** BTH OpCode: UD transport (0b011) SEND Only (0b00100). MADs always travel this way. */
export const BTH_OPCODE_UD_SEND_ONLY = 0x64;
const DEFAULT_PKEY = 0xffff;
const GSI_QKEY = 0x80010000;
/** SMPs (QP0) travel on VL15; everything else on VL0. */
const VL_SMP = 15;
/** LRH PktLen counts 4-byte words from the LRH to the ICRC inclusive (not the VCRC). */
const LRH_PACKET_WORDS = (LRH_SIZE + BTH_SIZE + DETH_SIZE + TRACE_MAD_SIZE + ICRC_SIZE) / 4;

/** 2^32 / 1e9: ERF timestamp fraction units per nanosecond (exact in binary64). */
const ERF_FRACTION_PER_NS = 4.294967296;
const NS_PER_S = 1e9;

const INITIAL_CAPACITY_RECORDS = 64;

export interface MadTraceRecord {
  timestampNs: number;
  slid: number;
  dlid: number;
  srcQp: number;
  destQp: number;
  /** The 256 MAD bytes: a view into the trace bytes, not a copy. */
  mad: Uint8Array;
}

/** Appends MADs as ERF/InfiniBand records; `toBuffer()` gives the pcap file. */
export class MadTraceWriter {
  private bytes: Uint8Array;
  private view: DataView;
  private length = PCAP_GLOBAL_HEADER_SIZE;
  private records = 0;

  constructor(initialRecords: number = INITIAL_CAPACITY_RECORDS) {
    const capacity = PCAP_GLOBAL_HEADER_SIZE + Math.max(1, initialRecords | 0) * TRACE_RECORD_SIZE;
    this.bytes = new Uint8Array(capacity);
    this.view = new DataView(this.bytes.buffer);
    writePcapGlobalHeader(this.view);
  }

  /** Number of MADs added so far. */
  get count(): number {
    return this.records;
  }

  /** Size in bytes of the pcap file so far. */
  get byteLength(): number {
    return this.length;
  }

  /**
   * Appends one MAD sent from (slid, srcQp) to (dlid, destQp) at `timestampNs` (a non-negative
   * integer; virtual or wall-clock time). A MAD shorter than 256 bytes is zero-padded, as the
   * codec does. Throws TraceError naming the argument when one is out of range.
   */
  add(timestampNs: number, slid: number, dlid: number, srcQp: number, destQp: number, mad: Uint8Array): void {
    if (!Number.isSafeInteger(timestampNs) || timestampNs < 0) {
      throw new TraceError('timestampNs', timestampNs, 'is not a non-negative integer number of nanoseconds');
    }
    checkU16('slid', slid);
    checkU16('dlid', dlid);
    checkQp('srcQp', srcQp);
    checkQp('destQp', destQp);
    if (mad.length > TRACE_MAD_SIZE) {
      throw new TraceError('mad.length', mad.length, `is over ${TRACE_MAD_SIZE} bytes`);
    }
    if (this.length + TRACE_RECORD_SIZE > this.bytes.length) this.grow();

    const v = this.view;
    const b = this.bytes;
    let o = this.length;
    const seconds = Math.floor(timestampNs / NS_PER_S);
    const remainderNs = timestampNs - seconds * NS_PER_S;

    // pcap record header (little-endian, like the global header).
    v.setUint32(o, seconds, true);
    v.setUint32(o + 4, Math.floor(remainderNs / 1000), true);
    v.setUint32(o + 8, ERF_RECORD_SIZE, true);
    v.setUint32(o + 12, ERF_RECORD_SIZE, true);
    o += PCAP_RECORD_HEADER_SIZE;

    // ERF header. A whole number of ns maps to a fraction that rounds back to the same ns.
    v.setUint32(o, Math.round(remainderNs * ERF_FRACTION_PER_NS), true);
    v.setUint32(o + 4, seconds, true);
    b[o + 8] = ERF_TYPE_INFINIBAND;
    b[o + 9] = ERF_FLAG_VARLEN;
    v.setUint16(o + 10, ERF_RECORD_SIZE);
    v.setUint16(o + 12, 0); // loss counter
    v.setUint16(o + 14, IB_MAD_PACKET_SIZE);
    o += ERF_HEADER_SIZE;

    // LRH: VL/LVer, SL/LNH, DLID, PktLen, SLID.
    b[o] = destQp === 0 ? VL_SMP << 4 : 0;
    b[o + 1] = LNH_IBA_LOCAL;
    v.setUint16(o + 2, dlid);
    v.setUint16(o + 4, LRH_PACKET_WORDS);
    v.setUint16(o + 6, slid);
    o += LRH_SIZE;

    // BTH: opcode, SE/M/Pad/TVer = 0, P_Key, reserved + DestQP, AckReq/reserved + PSN.
    b[o] = BTH_OPCODE_UD_SEND_ONLY;
    b[o + 1] = 0;
    v.setUint16(o + 2, DEFAULT_PKEY);
    v.setUint32(o + 4, destQp);
    v.setUint32(o + 8, this.records & 0xffffff);
    o += BTH_SIZE;

    // DETH: Q_Key (QP0 ignores it; QP1 requires the well-known GSI Q_Key), reserved + SrcQP.
    v.setUint32(o, destQp === 0 ? 0 : GSI_QKEY);
    v.setUint32(o + 4, srcQp);
    o += DETH_SIZE;

    b.set(mad, o);
    // Zero the padding, the ICRC and the VCRC: the buffer may hold bytes from before a grow.
    b.fill(0, o + mad.length, o + TRACE_MAD_SIZE + ICRC_SIZE + VCRC_SIZE);
    o += TRACE_MAD_SIZE + ICRC_SIZE + VCRC_SIZE;

    this.length = o;
    this.records++;
  }

  /** The pcap file: a view of the internal buffer, valid until the next `add`. */
  toBuffer(): Uint8Array {
    return this.bytes.subarray(0, this.length);
  }

  writeFile(path: string): void {
    writeFileSync(path, this.toBuffer());
  }

  private grow(): void {
    const next = new Uint8Array(Math.max(this.bytes.length * 2, this.length + TRACE_RECORD_SIZE));
    next.set(this.bytes.subarray(0, this.length));
    this.bytes = next;
    this.view = new DataView(next.buffer);
  }
}

function writePcapGlobalHeader(v: DataView): void {
  v.setUint32(0, PCAP_MAGIC_MICROS, true);
  v.setUint16(4, PCAP_VERSION_MAJOR, true);
  v.setUint16(6, PCAP_VERSION_MINOR, true);
  v.setInt32(8, 0, true); // thiszone: timestamps are UTC
  v.setUint32(12, 0, true); // sigfigs
  v.setUint32(16, PCAP_SNAPLEN, true);
  v.setUint32(20, LINKTYPE_ERF, true);
}

function checkU16(field: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff) {
    throw new TraceError(field, value, 'is not a 16-bit LID');
  }
}

function checkQp(field: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffff) {
    throw new TraceError(field, value, 'is not a 24-bit QP number');
  }
}

/**
 * Reads the MADs back from a pcap file of ERF InfiniBand records (the writer's output, or a DAG
 * capture holding local- or global-routed UD packets). Each `mad` is a view into `bytes`. Throws
 * TraceError for anything that is not such a file.
 */
export function* readMadTrace(bytes: Uint8Array): Iterable<MadTraceRecord> {
  if (bytes.length < PCAP_GLOBAL_HEADER_SIZE) {
    throw new TraceError('pcap.length', bytes.length, `is shorter than the ${PCAP_GLOBAL_HEADER_SIZE}-byte pcap header`);
  }
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let little: boolean;
  let nanos: boolean;
  const magicLe = v.getUint32(0, true);
  const magicBe = v.getUint32(0, false);
  if (magicLe === PCAP_MAGIC_MICROS || magicLe === PCAP_MAGIC_NANOS) {
    little = true;
    nanos = magicLe === PCAP_MAGIC_NANOS;
  } else if (magicBe === PCAP_MAGIC_MICROS || magicBe === PCAP_MAGIC_NANOS) {
    little = false;
    nanos = magicBe === PCAP_MAGIC_NANOS;
  } else {
    throw new TraceError('pcap.magic', hex32(magicBe), 'is not a pcap magic number');
  }
  const linkType = v.getUint32(20, little) & 0x0fffffff;
  if (linkType !== LINKTYPE_ERF) {
    throw new TraceError('pcap.linktype', linkType, `is not ERF (${LINKTYPE_ERF})`);
  }

  let o = PCAP_GLOBAL_HEADER_SIZE;
  let index = 0;
  while (o < bytes.length) {
    if (o + PCAP_RECORD_HEADER_SIZE > bytes.length) {
      throw new TraceError(`record[${index}]`, bytes.length - o, 'bytes left is shorter than a pcap record header');
    }
    const pcapSeconds = v.getUint32(o, little);
    const pcapFraction = v.getUint32(o + 4, little);
    const inclLen = v.getUint32(o + 8, little);
    const start = o + PCAP_RECORD_HEADER_SIZE;
    const end = start + inclLen;
    if (end > bytes.length) {
      throw new TraceError(`record[${index}].incl_len`, inclLen, 'runs past the end of the file');
    }
    if (inclLen < ERF_HEADER_SIZE) {
      throw new TraceError(`record[${index}].incl_len`, inclLen, 'is shorter than an ERF header');
    }
    const erfType = bytes[start + 8]!;
    if ((erfType & 0x7f) !== ERF_TYPE_INFINIBAND) {
      throw new TraceError(`record[${index}].erf.type`, erfType & 0x7f, `is not InfiniBand (${ERF_TYPE_INFINIBAND})`);
    }
    let p = start + ERF_HEADER_SIZE;
    if (erfType & ERF_TYPE_EXTENSION) {
      // Extension headers are 8 bytes each; the high bit of each one's first byte says another follows.
      let more = true;
      while (more) {
        if (p + 8 > end) throw new TraceError(`record[${index}].erf.extension`, p - start, 'runs past the record');
        more = (bytes[p]! & 0x80) !== 0;
        p += 8;
      }
    }
    // ERF carries its own, finer timestamp; fall back to the pcap one only if it is zero.
    const erfFraction = v.getUint32(start, true);
    const erfSeconds = v.getUint32(start + 4, true);
    const timestampNs =
      erfSeconds !== 0 || erfFraction !== 0
        ? erfSeconds * NS_PER_S + Math.round(erfFraction / ERF_FRACTION_PER_NS)
        : pcapSeconds * NS_PER_S + (nanos ? pcapFraction : pcapFraction * 1000);

    if (p + LRH_SIZE > end) throw new TraceError(`record[${index}].lrh`, end - p, 'bytes is shorter than an LRH');
    const lnh = bytes[p + 1]! & 0x03;
    const dlid = v.getUint16(p + 2);
    const slid = v.getUint16(p + 6);
    p += LRH_SIZE;
    if (lnh === LNH_IBA_GLOBAL) p += GRH_SIZE;
    else if (lnh !== LNH_IBA_LOCAL) throw new TraceError(`record[${index}].lrh.lnh`, lnh, 'is not an IBA transport header');
    if (p + BTH_SIZE + DETH_SIZE + TRACE_MAD_SIZE > end) {
      throw new TraceError(`record[${index}].length`, inclLen, 'is too short for BTH + DETH + 256-byte MAD');
    }
    const opcode = bytes[p]!;
    if (opcode !== BTH_OPCODE_UD_SEND_ONLY) {
      throw new TraceError(`record[${index}].bth.opcode`, hex8(opcode), 'is not UD SEND Only (0x64)');
    }
    const destQp = v.getUint32(p + 4) & 0xffffff;
    p += BTH_SIZE;
    const srcQp = v.getUint32(p + 4) & 0xffffff;
    p += DETH_SIZE;
    yield { timestampNs, slid, dlid, srcQp, destQp, mad: bytes.subarray(p, p + TRACE_MAD_SIZE) };
    o = end;
    index++;
  }
}

function hex32(n: number): string {
  return '0x' + (n >>> 0).toString(16).padStart(8, '0');
}

function hex8(n: number): string {
  return '0x' + n.toString(16).padStart(2, '0');
}
