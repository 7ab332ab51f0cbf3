// The native Transport: the same interface the SM, Dom0 and VM logic use over the emulated
// fabric (core/fabric/transport.ts), over one libibumad port (native/umad.ts) in real time.
// One process owns one port: the service's or one hypervisor's.
//
// What the wire under libibumad does differently, and how this layer hides it:
// - TIDs. The MAD layer (kernel, or ibsim's umad2sim) owns the high 32 bits of a request's TID
//   (its agent/client id) and rewrites them; only the low 32 bits come back as sent. Callers
//   (Dom0, VM agents, the Report sender) encode state in both halves, and several of them share
//   a low half. So every request leaves with a transport sequence number in the low half; the
//   caller's TID is kept in a ring of typed arrays indexed by that number and put back into the
//   response before the caller sees it. Callers see the TID they sent, as over the fabric.
// - VFs. There are no real VFs here: a VF's own QP1 is stood in for by the same ring — the
//   response to a request a VF sent (source GUID = its vGUID) is handed back with that vGUID
//   as the destination GUID, which is how Dom0 demultiplexes it to the VF (GuidCache.findSlot).
// - Bounces. ibsim hands an undeliverable MAD back, status ETIMEDOUT (110), to an agent it picks
//   from the TID, not necessarily the sender's. Any MAD with a non-zero status is therefore
//   never delivered as a MAD: if its class and TID name one of our outstanding requests it is
//   that request's timeout (counted; the callers' own timers re-send), else a stray (counted).
// - GRH. The addon sends without a GRH and ibsim carries none, so the SGID/DGID GUIDs that name
//   a VF cannot travel in one. With `grhTrailer` (set only by the explicit --ibsim flag) they
//   travel in 20 bytes of the SA data (160..179) between repath processes — never to the SM
//   (whose LID is `smLid`), and only where the attribute leaves those bytes zero. Without it, MADs
//   carry no GUIDs: per-PF signalling works; per-vGUID subscriptions cannot be told apart.
import { GSI_QKEY, Method, MgmtClass, ClassVersion } from '../mad/constants.js';
import { SinkRole, type MadSink, type MadTap, type Transport } from '../fabric/transport.js';
import type { ReceivedMad, UmadPort } from '../../native/umad.js';
import type { Scheduler } from '../engine/event-queue.js';

const MAD_SIZE = 256;
/** Outstanding requests remembered (a power of two); a response older than this many requests is unmatched. */
const RING = 4096;
const RING_MASK = RING - 1;
/**
 * GRH trailer: magic at 160..163, SGID GUID at 164..171, DGID GUID at 172..179: after every SA
 * record repath sends (Notice, the largest, ends at 136). Not at the end of the MAD: through the
 * umad2sim shim the tail of a forwarded MAD does not arrive intact (seen: 24 bytes of an
 * InformInfo lost, the last 32 of a Report zeroed).
 */
const TRAILER_AT = 160;
const TRAILER_END = 180;
const TRAILER_MAGIC = 0x52475248; // "RGRH"
const ETIMEDOUT = 110;

export interface UmadTransportOptions {
  readonly port: UmadPort;
  /** Real-time clock for receive times and the trace. */
  readonly scheduler: Scheduler;
  /** Unsolicited SA request methods this process serves (Get/Set/Delete for the service, Report for Dom0). */
  readonly saMethods: readonly number[];
  /** The SM's LID (PortInfo.MasterSMLID): MADs to it never carry the GRH trailer. */
  readonly smLid: number;
  /** Carry SGID/DGID GUIDs in a trailer between repath processes (ibsim has no GRH; --ibsim only). */
  readonly grhTrailer?: boolean;
  /** Sees every MAD sent and received (pcap trace). */
  readonly tap?: MadTap;
  /** Called when the port refuses a send (the MAD is dropped and counted). */
  readonly onSendError?: (error: Error) => void;
}

/** What the transport counted. */
export interface UmadTransportStats {
  sent: number;
  received: number;
  sendErrors: number;
  /** Requests the MAD layer reported unanswered (status ETIMEDOUT with our class and TID). */
  timedOut: number;
  /** MADs with a non-zero status that named no request of ours (ibsim's bounces). */
  stray: number;
  /** Responses whose TID matched no outstanding request. */
  unmatchedResponses: number;
  /** SMPs the callers asked to send: not carried (SMPs go to QP0 of the SM, not ours to send). */
  smpNotCarried: number;
  /** VF GUIDs that could not be carried (no trailer mode, or the attribute uses the trailer bytes). */
  grhNotCarried: number;
  /** MADs delivered shorter than 256 bytes (zero-padded; ibsim passes on the sender's length). */
  shortMads: number;
}

export class UmadTransport implements Transport {
  readonly lid: number;
  readonly portGuidHigh: number;
  readonly portGuidLow: number;
  readonly smLid: number;
  readonly stats: UmadTransportStats = {
    sent: 0, received: 0, sendErrors: 0, timedOut: 0, stray: 0, unmatchedResponses: 0, smpNotCarried: 0, grhNotCarried: 0, shortMads: 0,
  };

  private readonly port: UmadPort;
  private readonly scheduler: Scheduler;
  private readonly agentId: number;
  private readonly trailer: boolean;
  private readonly tap: MadTap | undefined;
  private readonly onSendError: ((error: Error) => void) | undefined;
  private smSink: MadSink | undefined;
  private hostSink: MadSink | undefined;
  private readonly out = new Uint8Array(MAD_SIZE);
  private readonly outDv = new DataView(this.out.buffer);
  private readonly rx = new Uint8Array(MAD_SIZE);
  private readonly rxDv = new DataView(this.rx.buffer);
  private readonly address = { dlid: 0, dqpn: 1, qkey: GSI_QKEY };
  // The request ring: per sequence slot, the caller's TID, the sending GUID, the class, and the
  // full sequence number it was sent with (0 = free).
  private readonly ringSeq = new Uint32Array(RING);
  private readonly ringTidHigh = new Uint32Array(RING);
  private readonly ringTidLow = new Uint32Array(RING);
  private readonly ringGuidHigh = new Uint32Array(RING);
  private readonly ringGuidLow = new Uint32Array(RING);
  private readonly ringClass = new Uint8Array(RING);
  private seq = 0;

  constructor(o: UmadTransportOptions) {
    this.port = o.port;
    this.scheduler = o.scheduler;
    this.smLid = o.smLid;
    this.trailer = o.grhTrailer ?? false;
    this.tap = o.tap;
    this.onSendError = o.onSendError;
    const info = o.port.info();
    this.lid = info.lid;
    this.portGuidHigh = info.portGuidHigh >>> 0;
    this.portGuidLow = info.portGuidLow >>> 0;
    if (this.lid === 0) throw new Error(`UmadTransport port ${info.caName}/${info.portNum}: LID 0 (the port is not configured by an SM yet)`);
    this.agentId = o.port.register(
      { mgmtClass: MgmtClass.SubnAdm, classVersion: ClassVersion.SubnAdm, methods: o.saMethods },
      (mad) => this.onMad(mad),
    );
  }

  bind(lid: number, role: SinkRole, sink: MadSink): void {
    if (lid !== this.lid) throw new RangeError(`UmadTransport bind lid: ${lid} is not this port's LID ${this.lid}`);
    if (role === SinkRole.Sm) this.smSink = sink;
    else this.hostSink = sink;
  }

  send(
    mad: Uint8Array,
    srcLid: number,
    srcQp: number,
    srcGuidHigh: number,
    srcGuidLow: number,
    dstLid: number,
    dstQp: number,
    dstGuidHigh: number,
    dstGuidLow: number,
    _departNs: number,
  ): void {
    const out = this.out;
    out.set(mad.subarray(0, MAD_SIZE));
    if (out[1] !== MgmtClass.SubnAdm) {
      // Life-cycle traps are SMPs for the SM's QP0; a process beside OpenSM cannot deliver them.
      this.stats.smpNotCarried++;
      return;
    }
    const method = out[3]!;
    if (!isResponse(method)) {
      const seq = this.nextSeq();
      const s = seq & RING_MASK;
      this.ringSeq[s] = seq;
      this.ringTidHigh[s] = this.outDv.getUint32(8);
      this.ringTidLow[s] = this.outDv.getUint32(12);
      this.ringGuidHigh[s] = srcGuidHigh >>> 0;
      this.ringGuidLow[s] = srcGuidLow >>> 0;
      this.ringClass[s] = out[1]!;
      this.outDv.setUint32(12, seq);
    }
    if (((srcGuidHigh | srcGuidLow | dstGuidHigh | dstGuidLow) >>> 0) !== 0) this.putTrailer(dstLid, srcGuidHigh, srcGuidLow, dstGuidHigh, dstGuidLow);
    this.address.dlid = dstLid;
    this.address.dqpn = dstQp;
    try {
      this.port.send(this.agentId, out, this.address);
    } catch (error) {
      this.stats.sendErrors++;
      this.onSendError?.(error as Error);
      return;
    }
    this.stats.sent++;
    this.tap?.(out, srcLid, srcQp, dstLid, dstQp, this.scheduler.nowNs);
  }

  private putTrailer(dstLid: number, sgH: number, sgL: number, dgH: number, dgL: number): void {
    const out = this.out;
    if (!this.trailer || dstLid === this.smLid) {
      this.stats.grhNotCarried++;
      return;
    }
    for (let i = TRAILER_AT; i < TRAILER_END; i++) {
      if (out[i] !== 0) {
        this.stats.grhNotCarried++;
        return;
      }
    }
    const dv = this.outDv;
    dv.setUint32(TRAILER_AT, TRAILER_MAGIC);
    dv.setUint32(TRAILER_AT + 4, sgH >>> 0);
    dv.setUint32(TRAILER_AT + 8, sgL >>> 0);
    dv.setUint32(TRAILER_AT + 12, dgH >>> 0);
    dv.setUint32(TRAILER_AT + 16, dgL >>> 0);
  }

  private nextSeq(): number {
    this.seq = (this.seq + 1) >>> 0;
    if (this.seq === 0) this.seq = 1; // 0 marks a free ring slot
    return this.seq;
  }

  private onMad(mad: ReceivedMad): void {
    const b = mad.bytes;
    if (mad.status !== 0) {
      // Never a MAD for the sinks: a timeout or bounce of something sent (by us, or by another agent).
      const tidLow = ((b[12]! << 24) | (b[13]! << 16) | (b[14]! << 8) | b[15]!) >>> 0;
      const s = tidLow & RING_MASK;
      if (mad.status === ETIMEDOUT && this.ringSeq[s] === tidLow && tidLow !== 0 && this.ringClass[s] === b[1]) {
        this.stats.timedOut++;
        this.ringSeq[s] = 0;
      } else {
        this.stats.stray++;
      }
      return;
    }
    if (mad.length < MAD_SIZE) this.stats.shortMads++;
    const rx = this.rx;
    rx.set(b.subarray(0, MAD_SIZE));
    const dv = this.rxDv;
    let sgH = 0;
    let sgL = 0;
    let dgH = 0;
    let dgL = 0;
    if (this.trailer && dv.getUint32(TRAILER_AT) === TRAILER_MAGIC) {
      sgH = dv.getUint32(TRAILER_AT + 4);
      sgL = dv.getUint32(TRAILER_AT + 8);
      dgH = dv.getUint32(TRAILER_AT + 12);
      dgL = dv.getUint32(TRAILER_AT + 16);
      rx.fill(0, TRAILER_AT, TRAILER_END);
    }
    const method = rx[3]!;
    if (isResponse(method)) {
      const tidLow = dv.getUint32(12);
      const s = tidLow & RING_MASK;
      if (tidLow !== 0 && this.ringSeq[s] === tidLow) {
        dv.setUint32(8, this.ringTidHigh[s]!);
        dv.setUint32(12, this.ringTidLow[s]!);
        // The answer goes back to whoever asked: the VF's vGUID, or 0 for the port itself.
        dgH = this.ringGuidHigh[s]!;
        dgL = this.ringGuidLow[s]!;
        this.ringSeq[s] = 0;
      } else {
        this.stats.unmatchedResponses++;
      }
    }
    this.stats.received++;
    const now = this.scheduler.nowNs;
    this.tap?.(rx, mad.slid, mad.sqpn, this.lid, 1, now);
    const sink = this.sinkFor(method);
    if (sink === undefined) return;
    sink.receive(rx, mad.slid, mad.sqpn, sgH, sgL, this.lid, 1, dgH, dgL, now);
  }

  /** One sink: it gets everything. Both (an SM on a hypervisor's port): requests to the SM, the rest to the host. */
  private sinkFor(method: number): MadSink | undefined {
    if (this.smSink === undefined) return this.hostSink;
    if (this.hostSink === undefined) return this.smSink;
    const toSm = method === Method.ReportResp || !(isResponse(method) || method === Method.Report);
    return toSm ? this.smSink : this.hostSink;
  }
}

/** Responses carry the R bit; TrapRepress (0x07) is the one response without it. */
function isResponse(method: number): boolean {
  return (method & 0x80) !== 0 || method === Method.TrapRepress;
}
