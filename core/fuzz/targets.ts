// What the fuzzer feeds, and how each input's fate is judged. Four targets:
//   decoder  MadView.wrap + decodeMadJson, and for what decodes, encode -> decode must give the
//            same JSON (a round trip); a MadError names a status (answerable) or MAD_DROP;
//   sa       SubnetManager.receive from a real requester address (a host LID, QP1, no GRH, the
//            port's GUID or a VM's vGUID as SGID);
//   dom0     Dom0.receive at a host's LID, from the SM's LID (mostly) or another port, for the
//            PF or for one of the host's VFs (by DGID);
//   vm       a VF's SA agent, reached as the fabric would: Dom0.receive with the VF's vGUID as
//            DGID, then the run loop delivers it through the PF.
// The oracle, per input: no exception other than the codec's MadError escapes (crash); for a
// codec error the answer, if any, carries exactly the codec's status (statusMismatch); an SA
// request that decodes is answered (unanswered); and otherwise some counter of the handler moved
// (silent = nothing answered, nothing counted: a lost input). Accepted/answered/dropped are the
// normal fates.
import { decodeMadJson, encodeMadJson } from '../mad/mad-json.js';
import { MadError } from '../mad/mad-error.js';
import { MadView } from '../mad/mad-view.js';
import { GSI_QP, MAD_DROP, MgmtClass, Method } from '../mad/constants.js';
import { Counter, type Counters } from '../metrics/counters.js';
import { generateScenario } from '../scenario/generator.js';
import { EmulatedSubnet } from '../engine/single-thread-run.js';
import { Xoshiro128 } from '../random.js';

export const FUZZ_TARGETS = ['decoder', 'sa', 'dom0', 'vm'] as const;
export type FuzzTargetName = (typeof FUZZ_TARGETS)[number];

export const Fate = {
  Accepted: 0,
  /** Answered with a non-zero status (the decoder: rejected with a status to answer). */
  Answered: 1,
  /** Dropped and counted (the decoder: rejected as MAD_DROP). */
  Dropped: 2,
  Crash: 3,
  Silent: 4,
  StatusMismatch: 5,
  Unanswered: 6,
  RoundTrip: 7,
} as const;
export const FATE_NAMES = ['accepted', 'answered', 'dropped', 'crash', 'silent', 'statusMismatch', 'unanswered', 'roundTrip'] as const;

export interface FuzzTarget {
  readonly name: FuzzTargetName;
  /** LIDs and GUID halves of its subnet, for the mutator. */
  readonly lids: readonly number[];
  readonly guids: Uint32Array;
  /** Judges one input (bytes[0..length)); returns a Fate. `error` holds a crash's message. */
  feed(bytes: Uint8Array, length: number): number;
  error: string;
  /** Lets queued work finish (events of the emulated subnet). */
  drain(): void;
}

/** Codec verdict on a 256-byte MAD: -2 decodes, MAD_DROP, or the status to answer with. */
const DECODES = -2;
const probe = new MadView();
function codecVerdict(bytes: Uint8Array): number {
  try {
    probe.wrap(bytes);
    return DECODES;
  } catch (e) {
    if (e instanceof MadError) return e.status;
    throw e;
  }
}

export class DecoderTarget implements FuzzTarget {
  readonly name = 'decoder' as const;
  readonly lids = [1, 2, 3];
  readonly guids = new Uint32Array([0x0002c903, 1]);
  error = '';
  private readonly view = new MadView();

  feed(bytes: Uint8Array, length: number): number {
    const b = bytes.subarray(0, length);
    try {
      try {
        this.view.wrap(b);
      } catch (e) {
        if (!(e instanceof MadError)) throw e;
        return e.status === MAD_DROP ? Fate.Dropped : Fate.Answered;
      }
      let json;
      try {
        json = decodeMadJson(b);
      } catch (e) {
        if (!(e instanceof MadError)) throw e;
        return e.status === MAD_DROP ? Fate.Dropped : Fate.Answered;
      }
      const again = decodeMadJson(encodeMadJson(json));
      if (JSON.stringify(again) !== JSON.stringify(json)) {
        this.error = `round trip changed the JSON: ${JSON.stringify(json)} -> ${JSON.stringify(again)}`;
        return Fate.RoundTrip;
      }
      return Fate.Accepted;
    } catch (e) {
      this.error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      return Fate.Crash;
    }
  }

  drain(): void {}
}

/** The emulated subnet every handler target runs in: per-pf-interest (interest index, PF forwarding). */
function harnessSubnet(seed: number): EmulatedSubnet {
  const s = generateScenario({ seed, hosts: 8, slotsPerHost: 6, vmsPerHost: 4, spareHosts: 1, peersPerVm: 3, migrations: 2 });
  const sub = new EmulatedSubnet(s, 'per-pf-interest');
  sub.setup('mads');
  sub.scheduleMigrations();
  sub.run();
  return sub;
}

abstract class HandlerTarget implements FuzzTarget {
  abstract readonly name: FuzzTargetName;
  readonly sub: EmulatedSubnet;
  readonly lids: number[];
  readonly guids: Uint32Array;
  error = '';
  protected readonly rng: Xoshiro128;
  protected readonly c: Float64Array;
  /** Responses seen on the wire during one feed: count, first status, first method, sender/receiver. */
  protected sent = 0;
  protected sentStatus = 0;
  protected sentMethod = 0;
  protected watchSrc = -1;
  protected watchDst = -1;

  constructor(seed: number) {
    this.sub = harnessSubnet(seed);
    this.rng = new Xoshiro128(seed, 0xf022);
    this.c = this.sub.counters.v;
    const sub = this.sub;
    this.lids = [sub.lids.smLid, ...sub.lids.hostLid];
    const g: number[] = [];
    for (let h = 0; h < sub.scenario.hosts; h++) g.push(sub.scenario.hostPortGuidHigh[h]!, sub.scenario.hostPortGuidLow[h]!);
    for (let v = 0; v < sub.scenario.vms; v++) g.push(sub.vms.guidHigh[v]!, sub.vms.guidLow[v]!);
    this.guids = Uint32Array.from(g);
    sub.fabric.setTap((mad, srcLid, _sq, dstLid) => {
      if (srcLid !== this.watchSrc || (this.watchDst >= 0 && dstLid !== this.watchDst)) return;
      if (this.sent++ === 0) {
        this.sentStatus = (mad[4]! << 8) | mad[5]!;
        this.sentMethod = mad[3]!;
      }
    });
  }

  protected sum(names: readonly number[]): number {
    let s = 0;
    for (const i of names) s += this.c[i]!;
    return s;
  }

  protected crashed(e: unknown): number {
    this.error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    return Fate.Crash;
  }

  abstract feed(bytes: Uint8Array, length: number): number;

  drain(): void {
    this.watchSrc = -1;
    this.sub.run();
  }
}

const SM_RECV = [
  Counter.smRecvReportResp,
  Counter.smRecvInformInfo,
  Counter.smRecvPathRecord,
  Counter.smRecvGuidInfoRecord,
  Counter.smRecvTrap,
  Counter.smRecvOther,
];
const SM_DROP = [Counter.smDroppedMalformed, Counter.smRecvOther, Counter.smReportRespUnmatched];

export class SaTarget extends HandlerTarget {
  readonly name = 'sa' as const;

  feed(bytes: Uint8Array, _length: number): number {
    const sub = this.sub;
    const mad = bytes.subarray(0, 256);
    const r = this.rng;
    const host = r.nextInt(sub.scenario.hosts);
    const srcLid = sub.lids.hostLid[host]!;
    let gh = 0;
    let gl = 0;
    const who = r.nextInt(3);
    if (who === 1) {
      gh = sub.scenario.hostPortGuidHigh[host]!;
      gl = sub.scenario.hostPortGuidLow[host]!;
    } else if (who === 2) {
      const v = r.nextInt(sub.scenario.vms);
      gh = sub.vms.guidHigh[v]!;
      gl = sub.vms.guidLow[v]!;
    }
    const verdict = codecVerdict(mad);
    const recv0 = this.sum(SM_RECV);
    const drop0 = this.sum(SM_DROP);
    const err0 = this.c[Counter.smSentErrorResp]!;
    const dup0 = this.c[Counter.smDuplicateRequests]!;
    this.sent = 0;
    this.watchSrc = sub.lids.smLid;
    this.watchDst = srcLid;
    try {
      sub.sm.receive(mad, srcLid, GSI_QP, gh, gl, sub.lids.smLid, GSI_QP, 0, 0, sub.nowNs);
    } catch (e) {
      return this.crashed(e);
    } finally {
      this.watchSrc = -1;
    }
    if (verdict !== DECODES) {
      if (this.sent > 0) {
        if (this.sentStatus !== verdict) {
          this.error = `codec says status 0x${verdict.toString(16)}, the SA answered 0x${this.sentStatus.toString(16)}`;
          return Fate.StatusMismatch;
        }
        return Fate.Answered;
      }
      return this.sum(SM_DROP) > drop0 ? Fate.Dropped : this.silent('a malformed MAD neither answered nor counted');
    }
    if (this.sent > 0) return this.sentStatus === 0 ? Fate.Accepted : Fate.Answered;
    // A re-sent copy of a query the SA still has queued: dropped and counted (core/sm/queued-requests.ts).
    if (this.c[Counter.smDuplicateRequests]! > dup0) return Fate.Dropped;
    const method = mad[3]!;
    if (mad[1] === MgmtClass.SubnAdm && (method & 0x80) === 0 && method !== Method.Report && method !== Method.Trap) {
      this.error = `SA request method 0x${method.toString(16)} attribute 0x${((mad[16]! << 8) | mad[17]!).toString(16)} got no answer`;
      return Fate.Unanswered;
    }
    if (this.sum(SM_DROP) > drop0) return Fate.Dropped;
    if (this.sum(SM_RECV) > recv0 || this.c[Counter.smSentErrorResp]! > err0) return Fate.Accepted;
    return this.silent('a well-formed MAD left no count');
  }

  private silent(why: string): number {
    this.error = why;
    return Fate.Silent;
  }
}

const DOM0_DROP = [Counter.dom0Unroutable, Counter.dom0Dropped, Counter.dom0SpoofedNotices];
const DOM0_TAKE = [
  Counter.dom0ReportsReceived,
  Counter.dom0DemuxToVf,
  Counter.dom0InformInfoAcks,
  Counter.dom0TrapRepressReceived,
  Counter.dom0GuidRecordAnswers,
];

export class Dom0Target extends HandlerTarget {
  readonly name = 'dom0' as const;

  feed(bytes: Uint8Array, _length: number): number {
    const sub = this.sub;
    const mad = bytes.subarray(0, 256);
    const r = this.rng;
    const host = r.nextInt(sub.scenario.hosts);
    const dstLid = sub.lids.hostLid[host]!;
    const srcLid = r.nextInt(5) === 0 ? sub.lids.hostLid[r.nextInt(sub.scenario.hosts)]! : sub.lids.smLid;
    const srcQp = r.nextInt(10) === 0 ? r.nextInt(8) : GSI_QP;
    let dh = 0;
    let dl = 0;
    const to = r.nextInt(10);
    if (to < 4) {
      const slot = r.nextInt(sub.scenario.slotsPerHost);
      if (sub.dom0.guidCache.isActive(host, slot)) {
        dh = sub.dom0.guidCache.guidHigh(host, slot);
        dl = sub.dom0.guidCache.guidLow(host, slot);
      }
    } else if (to === 4) {
      dh = sub.scenario.hostPortGuidHigh[host]!;
      dl = sub.scenario.hostPortGuidLow[host]!;
    } else if (to === 5) {
      dh = r.nextU32();
      dl = r.nextU32();
    }
    const drop0 = this.sum(DOM0_DROP);
    const take0 = this.sum(DOM0_TAKE);
    this.sent = 0;
    this.watchSrc = dstLid;
    this.watchDst = -1;
    try {
      sub.dom0.receive(mad, srcLid, srcQp, 0, 0, dstLid, GSI_QP, dh, dl, sub.nowNs);
    } catch (e) {
      return this.crashed(e);
    } finally {
      this.watchSrc = -1;
    }
    if (this.sum(DOM0_DROP) > drop0) return Fate.Dropped;
    if (this.sum(DOM0_TAKE) > take0 || this.sent > 0) return Fate.Accepted;
    this.error = 'Dom0 neither acted on it nor counted it';
    return Fate.Silent;
  }
}

const VM_DROP = [Counter.vmDropped, ...DOM0_DROP];
const VM_TAKE = [Counter.vmNoticesReceived, Counter.vmInformInfoAcks, Counter.vmPathRecordAnswers];

export class VmTarget extends HandlerTarget {
  readonly name = 'vm' as const;

  feed(bytes: Uint8Array, _length: number): number {
    const sub = this.sub;
    const mad = bytes.subarray(0, 256);
    const r = this.rng;
    let v = r.nextInt(sub.scenario.vms);
    for (let i = 0; i < 8 && sub.dom0.vmHost[v]! < 0; i++) v = r.nextInt(sub.scenario.vms);
    const host = sub.dom0.vmHost[v]!;
    if (host < 0) {
      this.error = 'no VM on any host';
      return Fate.Crash;
    }
    const slot = sub.dom0.vmSlot[v]!;
    const drop0 = this.sum(VM_DROP);
    const take0 = this.sum(VM_TAKE);
    const demux0 = this.c[Counter.dom0DemuxToVf]!;
    try {
      sub.dom0.receive(mad, sub.lids.smLid, GSI_QP, 0, 0, sub.lids.hostLid[host]!, GSI_QP, sub.dom0.guidCache.guidHigh(host, slot), sub.dom0.guidCache.guidLow(host, slot), sub.nowNs);
      sub.run();
    } catch (e) {
      return this.crashed(e);
    }
    if (this.sum(VM_DROP) > drop0) return Fate.Dropped;
    if (this.sum(VM_TAKE) > take0) return Fate.Accepted;
    this.error = this.c[Counter.dom0DemuxToVf]! > demux0 ? 'the VM agent neither acted on it nor counted it' : 'Dom0 did not hand it to the VF and did not count it';
    return Fate.Silent;
  }
}

export function makeTarget(name: FuzzTargetName, seed: number): FuzzTarget {
  switch (name) {
    case 'decoder':
      return new DecoderTarget();
    case 'sa':
      return new SaTarget(seed);
    case 'dom0':
      return new Dom0Target(seed);
    case 'vm':
      return new VmTarget(seed);
  }
}

export type { Counters };
