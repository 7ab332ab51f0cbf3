import test from 'ava';
import { readFileSync } from 'node:fs';
import {
  IB_MAD_PACKET_SIZE,
  LINKTYPE_ERF,
  MadTraceWriter,
  PCAP_GLOBAL_HEADER_SIZE,
  PCAP_RECORD_HEADER_SIZE,
  readMadTrace,
} from '../core/trace/erf-pcap.js';
import { TraceError } from '../core/trace/trace-error.js';

interface Golden {
  mads: Array<{ name: string; hex: string }>;
}
const golden = JSON.parse(readFileSync(new URL('../../test/fixtures/opensm-3.3.23-mads.json', import.meta.url), 'utf8')) as Golden;
const pathRecordHex = golden.mads.find((m) => m.name === 'pathrecord-getresp')!.hex;
const pathRecord = Uint8Array.from(Buffer.from(pathRecordHex, 'hex'));

/** mulberry32: a seeded generator, so the random cases are the same on every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const RECORD = PCAP_RECORD_HEADER_SIZE + 16 + IB_MAD_PACKET_SIZE;

test('pcap global header: magic a1b2c3d4, version 2.4, snaplen, link type ERF (197), little-endian', (t) => {
  const bytes = new MadTraceWriter().toBuffer();
  t.is(bytes.length, PCAP_GLOBAL_HEADER_SIZE);
  t.deepEqual([...bytes.subarray(0, 8)], [0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0]);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  t.is(v.getInt32(8, true), 0);
  t.is(v.getUint32(16, true), 65535);
  t.is(v.getUint32(20, true), LINKTYPE_ERF);
  t.is(LINKTYPE_ERF, 197);
});

test('one record: pcap header, ERF header, LRH, BTH, DETH, MAD, zero CRCs at the documented offsets', (t) => {
  const w = new MadTraceWriter();
  const ts = 3 * 1e9 + 250_000_123; // 3.250000123 s
  w.add(ts, 0x0004, 0x0006, 1, 1, pathRecord);
  t.is(w.count, 1);
  const b = w.toBuffer();
  t.is(b.length, PCAP_GLOBAL_HEADER_SIZE + RECORD);
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let o = PCAP_GLOBAL_HEADER_SIZE;
  // pcap record header: seconds, microseconds, incl_len, orig_len (little-endian)
  t.is(v.getUint32(o, true), 3);
  t.is(v.getUint32(o + 4, true), 250_000);
  t.is(v.getUint32(o + 8, true), 16 + 290);
  t.is(v.getUint32(o + 12, true), 16 + 290);
  o += 16;
  // ERF: timestamp u64 little-endian (seconds in the high half, binary fraction in the low half)
  t.is(v.getUint32(o + 4, true), 3);
  t.is(v.getUint32(o, true), Math.round(250_000_123 * 4.294967296));
  t.is(b[o + 8], 21); // InfiniBand
  t.is(b[o + 9], 0x04); // varying-length record
  t.is(v.getUint16(o + 10), 306); // rlen, big-endian
  t.is(v.getUint16(o + 12), 0); // loss counter
  t.is(v.getUint16(o + 14), 290); // wlen: LRH 8 + BTH 12 + DETH 8 + MAD 256 + ICRC 4 + VCRC 2
  o += 16;
  // LRH: VL0/LVer0, SL0/LNH=2, DLID, PktLen 72 words, SLID
  t.deepEqual([...b.subarray(o, o + 8)], [0x00, 0x02, 0x00, 0x06, 0x00, 72, 0x00, 0x04]);
  o += 8;
  // BTH: UD SEND only, P_Key ffff, DestQP 1, PSN 0
  t.deepEqual([...b.subarray(o, o + 12)], [0x64, 0, 0xff, 0xff, 0, 0, 0, 1, 0, 0, 0, 0]);
  o += 12;
  // DETH: Q_Key 0x80010000, SrcQP 1
  t.deepEqual([...b.subarray(o, o + 8)], [0x80, 0x01, 0x00, 0x00, 0, 0, 0, 1]);
  o += 8;
  t.deepEqual([...b.subarray(o, o + pathRecord.length)], [...pathRecord]);
  // The golden MAD is 120 bytes as OpenSM delivered it: the rest is zero padding, then zero CRCs.
  t.true(b.subarray(o + pathRecord.length, o + 256 + 6).every((x) => x === 0));
  t.is(o + 256 + 6, b.length);
});

test('an SMP to QP0 travels on VL15 with a zero Q_Key; PSN counts records', (t) => {
  const w = new MadTraceWriter();
  w.add(0, 1, 2, 0, 1, pathRecord);
  w.add(0, 1, 2, 0, 0, pathRecord);
  const b = w.toBuffer();
  const lrh = PCAP_GLOBAL_HEADER_SIZE + RECORD + 16 + 16;
  t.is(b[lrh], 0xf0);
  const v = new DataView(b.buffer, b.byteOffset);
  t.is(v.getUint32(lrh + 8 + 8), 1); // PSN of the second record
  t.is(v.getUint32(lrh + 8 + 12), 0); // Q_Key
});

test('records read back exactly: addressing, nanosecond timestamps and MAD bytes, across buffer growth', (t) => {
  const next = rng(0x5eed);
  const w = new MadTraceWriter(1);
  const expected: Array<{ timestampNs: number; slid: number; dlid: number; srcQp: number; destQp: number; mad: number[] }> = [];
  const edgeTimes = [0, 1, 999_999_999, 1_000_000_000, 1_000_000_001];
  let ts = 0;
  for (let i = 0; i < 1500; i++) {
    ts = i < edgeTimes.length ? edgeTimes[i]! : ts + Math.floor(next() * 5e9);
    const mad = new Uint8Array(1 + Math.floor(next() * 256));
    for (let j = 0; j < mad.length; j++) mad[j] = Math.floor(next() * 256);
    const r = {
      timestampNs: ts,
      slid: Math.floor(next() * 0x10000),
      dlid: Math.floor(next() * 0x10000),
      srcQp: Math.floor(next() * 0x1000000),
      destQp: Math.floor(next() * 0x1000000),
      mad: [...mad, ...new Array<number>(256 - mad.length).fill(0)],
    };
    expected.push(r);
    w.add(r.timestampNs, r.slid, r.dlid, r.srcQp, r.destQp, mad);
  }
  t.is(w.count, 1500);
  t.is(w.byteLength, PCAP_GLOBAL_HEADER_SIZE + 1500 * RECORD);
  const read = [...readMadTrace(w.toBuffer())].map((r) => ({ ...r, mad: [...r.mad] }));
  t.is(read.length, expected.length);
  for (let i = 0; i < read.length; i++) {
    if (JSON.stringify(read[i]) !== JSON.stringify(expected[i])) {
      t.deepEqual(read[i], expected[i], `record ${i}`);
      return;
    }
  }
  t.deepEqual(read[0], expected[0]);
});

test('the largest safe-integer timestamp round-trips to the nanosecond', (t) => {
  const w = new MadTraceWriter();
  w.add(Number.MAX_SAFE_INTEGER, 1, 2, 1, 1, pathRecord);
  t.is([...readMadTrace(w.toBuffer())][0]!.timestampNs, Number.MAX_SAFE_INTEGER);
});

test('the reader accepts big-endian and nanosecond pcap headers, and skips ERF extension headers', (t) => {
  const w = new MadTraceWriter();
  w.add(7_000_000_500, 10, 20, 1, 1, pathRecord);
  const le = w.toBuffer();
  // Re-write as a big-endian, nanosecond-magic file whose ERF record carries one extension header.
  const be = new Uint8Array(le.length + 8);
  const dst = new DataView(be.buffer);
  dst.setUint32(0, 0xa1b23c4d, false);
  dst.setUint16(4, 2, false);
  dst.setUint16(6, 4, false);
  dst.setUint32(16, 65535, false);
  dst.setUint32(20, 197, false);
  const rec = PCAP_GLOBAL_HEADER_SIZE;
  dst.setUint32(rec, 7, false);
  dst.setUint32(rec + 4, 500, false);
  dst.setUint32(rec + 8, 306 + 8, false);
  dst.setUint32(rec + 12, 306 + 8, false);
  be.set(le.subarray(rec + 16, rec + 32), rec + 16); // ERF header
  be[rec + 16 + 8] = 21 | 0x80; // extension header present
  be[rec + 32] = 0x00; // one extension header, none after it
  be.set(le.subarray(rec + 32), rec + 40);
  const [r] = [...readMadTrace(be)];
  t.is(r!.timestampNs, 7_000_000_500);
  t.is(r!.slid, 10);
  t.is(r!.dlid, 20);
  t.deepEqual([...r!.mad.subarray(0, pathRecord.length)], [...pathRecord]);
});

test('bad arguments are TraceErrors naming the argument and the value, and add nothing', (t) => {
  const w = new MadTraceWriter();
  const cases: Array<[() => void, RegExp]> = [
    [() => w.add(-1, 1, 1, 1, 1, pathRecord), /^trace timestampNs: -1 /],
    [() => w.add(1.5, 1, 1, 1, 1, pathRecord), /^trace timestampNs: 1\.5 /],
    [() => w.add(0, 0x10000, 1, 1, 1, pathRecord), /^trace slid: 65536 is not a 16-bit LID$/],
    [() => w.add(0, 1, -2, 1, 1, pathRecord), /^trace dlid: -2 /],
    [() => w.add(0, 1, 1, 0x1000000, 1, pathRecord), /^trace srcQp: 16777216 is not a 24-bit QP number$/],
    [() => w.add(0, 1, 1, 1, 2.5, pathRecord), /^trace destQp: 2\.5 /],
    [() => w.add(0, 1, 1, 1, 1, new Uint8Array(257)), /^trace mad\.length: 257 is over 256 bytes$/],
  ];
  for (const [fn, message] of cases) {
    const err = t.throws(fn, { instanceOf: TraceError });
    t.regex(err!.message, message);
  }
  t.is(w.count, 0);
  t.is(w.toBuffer().length, PCAP_GLOBAL_HEADER_SIZE);
});

test('the reader rejects files that are not ERF InfiniBand pcaps with a TraceError', (t) => {
  const w = new MadTraceWriter();
  w.add(0, 1, 2, 1, 1, pathRecord);
  const good = w.toBuffer();
  const withByte = (offset: number, value: number) => {
    const copy = good.slice();
    copy[offset] = value;
    return copy;
  };
  const read = (bytes: Uint8Array) => [...readMadTrace(bytes)];
  t.regex(t.throws(() => read(new Uint8Array(10)), { instanceOf: TraceError })!.message, /pcap\.length: 10/);
  t.regex(t.throws(() => read(withByte(0, 0)), { instanceOf: TraceError })!.message, /pcap\.magic/);
  t.regex(t.throws(() => read(withByte(20, 1)), { instanceOf: TraceError })!.message, /pcap\.linktype: 1 is not ERF/);
  t.regex(t.throws(() => read(good.subarray(0, good.length - 1)), { instanceOf: TraceError })!.message, /record\[0\]\.incl_len: 306 runs past/);
  t.regex(t.throws(() => read(withByte(24 + 16 + 8, 2)), { instanceOf: TraceError })!.message, /record\[0\]\.erf\.type: 2 is not InfiniBand/);
  t.regex(t.throws(() => read(withByte(24 + 32 + 8, 0x04)), { instanceOf: TraceError })!.message, /bth\.opcode: "0x04" is not UD SEND Only/);
});
