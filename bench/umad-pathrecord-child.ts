// The addon side of bench/umad-pathrecord.bench.ts, run under the umad2sim
// shim: the same loop as bench/c/pathrecord_loop.c — SA PathRecord Get to the
// SM LID, wait for the GetResp with the same TID, repeat, one in flight.
//   node umad-pathrecord-child.js <round trips> <warm-up> <destination port GUID, hex> [receive spin µs]
// Prints one JSON line like the C program's, plus the port's receive counters.
import { writeSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { ClassVersion, MadView, Method, MgmtClass, PathRecordMask, SA_DATA_OFFSET, SaAttr, maskWithBit } from '../core/mad/index.js';
import { DEFAULT_RECEIVE_SPIN_US, UmadPort, type ReceivedMad, type SendAddress } from '../native/umad.js';

const [countArg, warmupArg, guidArg, spinArg] = process.argv.slice(2);
const count = Number(countArg);
const warmup = Number(warmupArg);
const spinUs = spinArg === undefined ? DEFAULT_RECEIVE_SPIN_US : Number(spinArg);
if (!Number.isInteger(count) || count <= 0 || !Number.isInteger(warmup) || warmup < 0 || guidArg === undefined
  || !Number.isInteger(spinUs) || spinUs < 0) {
  process.stderr.write('usage: umad-pathrecord-child.js <round trips> <warm-up> <destination port GUID> [receive spin µs]\n');
  process.exit(2);
}
const guidDigits = guidArg.replace(/^0x/, '').padStart(16, '0');

const port = UmadPort.open({ receiveSpinUs: spinUs });
const own = port.info();
const request = new MadView().wrapForWrite(new Uint8Array(256));
request.initSa(Method.Get, SaAttr.PathRecord, 0, 0);
maskWithBit(request, PathRecordMask.DGID);
maskWithBit(request, PathRecordMask.SGID);
request.pathRecord.dgid.set(0xfe800000, 0, Number.parseInt(guidDigits.slice(0, 8), 16), Number.parseInt(guidDigits.slice(8), 16));
request.pathRecord.sgid.set(0xfe800000, 0, own.portGuidHigh, own.portGuidLow);
const bytes = request.bytes;
const address: SendAddress = { dlid: own.smLid, dqpn: 1, timeoutMs: 1000, retries: 3 };
const latencies = new Float64Array(count);
const DLID_OFFSET = SA_DATA_OFFSET + 40;

let i = 0;
let sentAt = 0;
let start = 0;
let lastDlid = 0;

function sendNext(): void {
  if (i === warmup) start = performance.now();
  request.tidLow = i + 1;
  sentAt = performance.now();
  port.send(agent, bytes, address);
}

function finish(): void {
  const seconds = (performance.now() - start) / 1000;
  const sorted = latencies.slice().sort();
  writeSync(1, `${JSON.stringify({
    roundTrips: count, seconds, p50Us: sorted[count >> 1]!, p99Us: sorted[Math.floor((count * 99) / 100)]!, dlid: lastDlid,
    receive: port.stats(),
  })}\n`);
  port.close();
}

function onMad(mad: ReceivedMad): void {
  const b = mad.bytes;
  if (mad.status !== 0) {
    process.stderr.write(`PathRecord Get ${i + 1}: MAD status ${mad.status}\n`);
    process.exit(1);
  }
  const tid = ((b[12]! << 24) | (b[13]! << 16) | (b[14]! << 8) | b[15]!) >>> 0;
  if (b[3] !== Method.GetResp || tid !== i + 1) return;
  if (b[4] !== 0 || b[5] !== 0) {
    process.stderr.write(`PathRecord Get ${tid}: SA status 0x${((b[4]! << 8) | b[5]!).toString(16)}\n`);
    process.exit(1);
  }
  lastDlid = (b[DLID_OFFSET]! << 8) | b[DLID_OFFSET + 1]!;
  if (i >= warmup) latencies[i - warmup] = (performance.now() - sentAt) * 1000;
  i++;
  if (i < warmup + count) sendNext();
  else finish();
}

const agent = port.register({ mgmtClass: MgmtClass.SubnAdm, classVersion: ClassVersion.SubnAdm }, onMad);
sendNext();
