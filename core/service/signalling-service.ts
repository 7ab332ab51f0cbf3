// The signalling service that runs beside a real SM (OpenSM), on any port: OpenSM accepts alias
// GUIDs and re-resolves PathRecords, but never sends RePath (69) or UnPath (68). The service
// supplies them with the emulation's own SM-side code, composed, not copied:
//
//   InformInfo Set (subscribe/unsubscribe)   -> SubnetManager (core/sm/sa-inform-info.ts), answered here
//   ReportResp                               -> SubnetManager's ReportSender (retries, counts)
//   GUIDInfoRecord Get/Set/Delete            -> relayed to the SM's SA; on its answer the slot the SM
//                                               echoes is checked (OpenSM answers status 0 with the slot
//                                               zeroed when another port holds the alias) and only what
//                                               the SM accepted goes into the mirror: Algorithm 1
//                                               (attachVguid / detachVguid: trap table, Report(69/68))
//   PathRecord Get                           -> relayed to the SM's SA (interest recorded for per-pf-interest)
//   anything else / malformed                -> answered with the MAD status the emulated SA would use
//
// The SubnetManager here is a mirror of the SM's alias tables, fed only by answers from the SM.
// Its host table is filled as hosts appear: the first MAD from an unknown port is parked while
// the service asks the SM for that port's GUIDInfoRecord block 0 (index 0 = the port GUID).
//
// Relays live in typed arrays indexed by slot; the relayed request goes out with TID
// (RELAY_TAG | generation, slot) and its bytes stay in a slab for re-sends.
//
// With a store (--db), the mirror's tables are loaded from SQLite at construction and every
// change is committed there before the MAD acknowledging it leaves (service-journal.ts): the
// service says what a MAD may change before the SM handles it, and flushes before each send.
import {
  GSI_QP,
  GuidInfoRecordMask,
  MadStatus,
  Method,
  MgmtClass,
  SaAttr,
  SMP_DATA_OFFSET,
  maskHasBit,
} from '../mad/constants.js';
import { GUIDS_PER_BLOCK } from '../mad/guid-info-record.js';
import { setU32, u32 } from '../mad/bytes.js';
import { MadError } from '../mad/mad-error.js';
import { MadView } from '../mad/mad-view.js';
import { NoticeView } from '../mad/notice.js';
import type { CostModel } from '../engine/cost-model.js';
import type { Scheduler } from '../engine/event-queue.js';
import { EventKind, eventOwner } from '../engine/event-kinds.js';
import { Counter, type Counters } from '../metrics/counters.js';
import { SinkRole, type MadSink, type Transport } from '../fabric/transport.js';
import { ReportScope, SubnetManager, responseMethod } from '../sm/subnet-manager.js';
import { attachVguid, detachVguid } from '../sm/sa-guid-info-record.js';
import { informFieldsFrom } from '../sm/sa-inform-info.js';
import type { ServiceStore } from './service-store.js';
import { ServiceJournal, type RestoreSummary } from './service-journal.js';

/** Event kinds of the service (owner 5: beside the engine's owners 0..4). */
export const ServiceEventKind = {
  /** a = relay slot, b = its generation: the SM did not answer a relayed request in time. */
  RelayTimeout: 0x50,
} as const;
const SERVICE_OWNER = 5;

const RELAY_TAG = 0x5e5a << 16;
const RelayKind = { HostLookup: 1, GuidRecord: 2, PathRecord: 3 } as const;
const MAD_SIZE = 256;

/** A transport that knows its own port and the SM's LID (UmadTransport). */
export interface PortTransport extends Transport {
  readonly lid: number;
  readonly portGuidHigh: number;
  readonly portGuidLow: number;
  readonly smLid: number;
}

export interface SignallingServiceOptions {
  readonly transport: PortTransport;
  readonly scheduler: Scheduler;
  readonly cost: CostModel;
  readonly counters: Counters;
  /** Host ports the service can track (default 1024). */
  readonly maxHosts?: number;
  /** Alias GUID indices per port beyond index 0 (default 32). */
  readonly slotsPerHost?: number;
  readonly reportScope?: ReportScope;
  readonly recordInterest?: boolean;
  /** Structured log lines (--json-log). */
  readonly log?: (event: Record<string, unknown>) => void;
  /**
   * Persistence (--db): the tables are loaded from it now, and every change is written to it
   * before the MAD that acknowledges the change leaves (service-journal.ts).
   */
  readonly store?: ServiceStore;
  /** Wall clock in ms for the store's park times (default Date.now; tests pass their own). */
  readonly wallClockMs?: () => number;
}

/** The service's own counts (the SM-side MAD counts are in `counters`). */
export interface ServiceStats {
  relayedGuidRecord: number;
  relayedPathRecord: number;
  relayAnswers: number;
  relayTimeouts: number;
  relaysAbandoned: number;
  relaysDroppedFull: number;
  /** Set answers from the SM whose echoed slot was zero: another port holds the alias. */
  setsRefusedBySm: number;
  /** GUIDInfoRecord answers from the SM with a non-zero status. */
  smErrorAnswers: number;
  hostLookups: number;
  hostsRegistered: number;
  /** Answers for a port whose GUID the service never learnt (not mirrored). */
  mirrorUnknownHost: number;
  /** Alias indices beyond slotsPerHost (not mirrored). */
  mirrorIndexOutOfRange: number;
}

export class SignallingService implements MadSink {
  readonly sm: SubnetManager;
  readonly stats: ServiceStats = {
    relayedGuidRecord: 0, relayedPathRecord: 0, relayAnswers: 0, relayTimeouts: 0, relaysAbandoned: 0, relaysDroppedFull: 0,
    setsRefusedBySm: 0, smErrorAnswers: 0, hostLookups: 0, hostsRegistered: 0, mirrorUnknownHost: 0, mirrorIndexOutOfRange: 0,
  };
  private readonly transport: PortTransport;
  private readonly scheduler: Scheduler;
  private readonly cost: CostModel;
  private readonly counters: Counters;
  private readonly log: ((event: Record<string, unknown>) => void) | undefined;
  private readonly view = new MadView();
  private readonly resView = new MadView();
  private readonly resBytes = new Uint8Array(MAD_SIZE);
  private readonly fwd = new Uint8Array(MAD_SIZE);
  private readonly fwdView = new MadView();
  private nextHost = 0;
  /** The write-ahead mirror in SQLite, when the service has a store. */
  readonly journal: ServiceJournal | undefined;
  /** What the start loaded from the store (undefined without one). */
  readonly restored: RestoreSummary | undefined;
  private readonly iiView = new MadView();
  private trapNotice: NoticeView | undefined;
  // ---- relays
  private readonly cap: number;
  private readonly rActive: Uint8Array;
  private readonly rKind: Uint8Array;
  private readonly rGen: Uint16Array;
  private readonly rRetries: Uint8Array;
  /** Requester: LID, QP, GUID (VF) halves, TID halves. */
  private readonly rLid: Uint16Array;
  private readonly rQp: Uint32Array;
  private readonly rGuid: Uint32Array;
  private readonly rTid: Uint32Array;
  /** Per slot: the MAD relayed to the SM (re-sends), and for lookups the parked request. */
  private readonly rOut: Uint8Array;
  private readonly rParked: Uint8Array;
  private readonly rFree: Int32Array;
  private rFreeCount: number;

  constructor(o: SignallingServiceOptions) {
    const hosts = o.maxHosts ?? 1024;
    this.transport = o.transport;
    this.scheduler = o.scheduler;
    this.cost = o.cost;
    this.counters = o.counters;
    this.log = o.log;
    const t = o.transport;
    // The mirror SM: bound to a facade so that MADs reach the service first; it sends through the port.
    const facade: Transport = {
      bind: () => undefined,
      send: (mad, sl, sq, sgh, sgl, dl, dq, dgh, dgl, depart) => {
        // Whatever the SM answers or reports leaves only after the change behind it is on disk.
        this.journal?.flush();
        t.send(mad, sl, sq, sgh, sgl, dl, dq, dgh, dgl, depart);
      },
    };
    this.sm = new SubnetManager({
      hosts,
      slotsPerHost: o.slotsPerHost ?? 32,
      hostPortGuidHigh: new Uint32Array(hosts),
      hostPortGuidLow: new Uint32Array(hosts),
      lids: { smLid: t.lid, smHost: -1, hostLid: new Uint16Array(hosts) },
      smPortGuidHigh: t.portGuidHigh,
      smPortGuidLow: t.portGuidLow,
      transport: facade,
      scheduler: o.scheduler,
      cost: o.cost,
      counters: o.counters,
      ...(o.reportScope !== undefined ? { reportScope: o.reportScope } : {}),
      ...(o.recordInterest !== undefined ? { recordInterest: o.recordInterest } : {}),
    });
    this.cap = 1024;
    this.rActive = new Uint8Array(this.cap);
    this.rKind = new Uint8Array(this.cap);
    this.rGen = new Uint16Array(this.cap);
    this.rRetries = new Uint8Array(this.cap);
    this.rLid = new Uint16Array(this.cap);
    this.rQp = new Uint32Array(this.cap);
    this.rGuid = new Uint32Array(this.cap * 2);
    this.rTid = new Uint32Array(this.cap * 2);
    this.rOut = new Uint8Array(this.cap * MAD_SIZE);
    this.rParked = new Uint8Array(this.cap * MAD_SIZE);
    this.rFree = new Int32Array(this.cap);
    for (let i = 0; i < this.cap; i++) this.rFree[i] = this.cap - 1 - i;
    this.rFreeCount = this.cap;
    this.resView.wrapForWrite(this.resBytes);
    this.fwdView.wrapForWrite(this.fwd);
    if (o.store !== undefined) {
      this.journal = new ServiceJournal(this.sm, o.store, o.scheduler, o.wallClockMs);
      const r = this.journal.restore(o.scheduler.nowNs);
      this.nextHost = r.nextHost;
      this.restored = r.summary;
      this.stats.hostsRegistered = r.summary.hosts;
    }
    t.bind(t.lid, SinkRole.Sm, this);
  }

  /** Routes a scheduler event to its owner (the mirror SM's Report timers and fan-out, or a relay timer). */
  onEvent(kind: number, a: number, b: number, _c: number, nowNs: number): void {
    if (eventOwner(kind) === SERVICE_OWNER) {
      if (kind === ServiceEventKind.RelayTimeout) this.onRelayTimeout(a, b, nowNs);
      return;
    }
    if (kind === EventKind.SmFanout || kind === EventKind.SmReportTimeout || kind === EventKind.SmTrapExpiry) {
      this.sm.onEvent(kind, a, b, nowNs);
      // Expiry changes the trap table; the last Report answered or given up retires pending notices.
      this.journal?.flush();
      return;
    }
    throw new RangeError(`SignallingService event kind: ${kind} is not a service or SM event`);
  }

  receive(
    mad: Uint8Array,
    srcLid: number,
    srcQp: number,
    srcGuidHigh: number,
    srcGuidLow: number,
    dstLid: number,
    dstQp: number,
    dstGuidHigh: number,
    dstGuidLow: number,
    nowNs: number,
  ): void {
    this.handle(mad, srcLid, srcQp, srcGuidHigh, srcGuidLow, dstLid, dstQp, dstGuidHigh, dstGuidLow, nowNs);
    this.journal?.flush();
  }

  private handle(
    mad: Uint8Array,
    srcLid: number,
    srcQp: number,
    srcGuidHigh: number,
    srcGuidLow: number,
    dstLid: number,
    dstQp: number,
    dstGuidHigh: number,
    dstGuidLow: number,
    nowNs: number,
  ): void {
    const v = this.view;
    try {
      v.wrap(mad);
    } catch (e) {
      if (!(e instanceof MadError)) throw e;
      // The mirror SM answers malformed input exactly as the emulated SA does.
      this.sm.receive(mad, srcLid, srcQp, srcGuidHigh, srcGuidLow, dstLid, dstQp, dstGuidHigh, dstGuidLow, nowNs);
      return;
    }
    const method = v.method;
    if (v.mgmtClass === MgmtClass.SubnAdm && (method & 0x80) !== 0 && method !== Method.ReportResp) {
      if ((v.tidHigh & 0xffff0000) >>> 0 === RELAY_TAG >>> 0) this.onRelayAnswer(v, nowNs);
      else this.counters.v[Counter.smRecvOther]!++;
      return;
    }
    if (v.mgmtClass !== MgmtClass.SubnAdm || method === Method.ReportResp || method === Method.Report) {
      if (this.journal !== undefined && v.mgmtClass === MgmtClass.SubnLid && method === Method.Trap) this.touchTrap(v);
      this.sm.receive(mad, srcLid, srcQp, srcGuidHigh, srcGuidLow, dstLid, dstQp, dstGuidHigh, dstGuidLow, nowNs);
      return;
    }
    const attr = v.attributeId;
    if (attr === SaAttr.InformInfo) {
      // Reports reach a subscriber through its port (a port GUID's, or a vGUID's host): learn
      // the requester's port first.
      if (this.sm.lidHost[srcLid]! < 0) {
        this.lookupHost(srcLid, mad, srcLid, srcQp, srcGuidHigh, srcGuidLow, nowNs);
        return;
      }
      this.log?.({ event: 'inform-info', lid: srcLid, subscribe: v.informInfo.subscribe, grhSgid: guidHex(srcGuidHigh, srcGuidLow) });
      this.noteInform(mad, srcLid, srcGuidHigh, srcGuidLow);
      this.sm.receive(mad, srcLid, srcQp, srcGuidHigh, srcGuidLow, dstLid, dstQp, dstGuidHigh, dstGuidLow, nowNs);
      return;
    }
    const c = this.counters.v;
    if (attr === SaAttr.GuidInfoRecord) {
      c[Counter.smRecvGuidInfoRecord]!++;
      const mh = v.componentMaskHigh;
      const ml = v.componentMaskLow;
      if (method !== Method.Get && method !== Method.Set && method !== Method.Delete) {
        this.answerError(MadStatus.UnsupportedMethodAttr, srcLid, srcQp, srcGuidHigh, srcGuidLow);
      } else if (!maskHasBit(mh, ml, GuidInfoRecordMask.LID) || !maskHasBit(mh, ml, GuidInfoRecordMask.BLOCK_NUM)) {
        this.answerError(MadStatus.SaInsufficientComponents, srcLid, srcQp, srcGuidHigh, srcGuidLow);
      } else if (method !== Method.Get && v.guidInfoRecord.blockNum === 0 && maskHasBit(mh, ml, GuidInfoRecordMask.GID0)) {
        this.answerError(MadStatus.SaRequestInvalid, srcLid, srcQp, srcGuidHigh, srcGuidLow);
      } else {
        this.stats.relayedGuidRecord++;
        this.relay(RelayKind.GuidRecord, mad, srcLid, srcQp, srcGuidHigh, srcGuidLow, nowNs);
      }
      return;
    }
    if (attr === SaAttr.PathRecord) {
      c[Counter.smRecvPathRecord]!++;
      if (method !== Method.Get) {
        this.answerError(MadStatus.UnsupportedMethodAttr, srcLid, srcQp, srcGuidHigh, srcGuidLow);
        return;
      }
      this.stats.relayedPathRecord++;
      this.relay(RelayKind.PathRecord, mad, srcLid, srcQp, srcGuidHigh, srcGuidLow, nowNs);
      return;
    }
    c[Counter.smRecvOther]!++;
    this.answerError(MadStatus.UnsupportedMethodAttr, srcLid, srcQp, srcGuidHigh, srcGuidLow);
  }

  /** Registers a host port now (an operator's static list, or a test); returns its host index. */
  registerHost(lid: number, guidHigh: number, guidLow: number): number {
    const h = this.addHost(lid, guidHigh, guidLow);
    this.journal?.flush();
    return h;
  }

  private addHost(lid: number, guidHigh: number, guidLow: number): number {
    const known = this.sm.lidHost[lid]!;
    if (known >= 0) return known;
    if (this.nextHost >= this.sm.hosts) throw new RangeError(`SignallingService hosts: more than maxHosts ${this.sm.hosts} ports`);
    const h = this.nextHost++;
    this.sm.registerHost(h, lid, guidHigh, guidLow);
    this.journal?.noteHost(h);
    this.stats.hostsRegistered++;
    this.log?.({ event: 'host', host: h, lid, portGuid: guidHex(guidHigh, guidLow) });
    return h;
  }

  /** Relays in flight. */
  get relaysInFlight(): number {
    return this.cap - this.rFreeCount;
  }

  // ------------------------------------------------------------------ relays

  private relay(kind: number, mad: Uint8Array, srcLid: number, srcQp: number, sgH: number, sgL: number, nowNs: number): void {
    const s = this.allocRelay();
    if (s < 0) return;
    this.rKind[s] = kind;
    this.rLid[s] = srcLid;
    this.rQp[s] = srcQp;
    this.rGuid[s * 2] = sgH >>> 0;
    this.rGuid[s * 2 + 1] = sgL >>> 0;
    this.rTid[s * 2] = u32(mad, 8);
    this.rTid[s * 2 + 1] = u32(mad, 12);
    const out = this.rOut.subarray(s * MAD_SIZE, s * MAD_SIZE + MAD_SIZE);
    out.set(mad.subarray(0, MAD_SIZE));
    this.sendRelay(s, nowNs);
  }

  /** Asks the SM for block 0 of the port at `lid` (index 0 = its port GUID), parking `parked` meanwhile. */
  private lookupHost(lid: number, parked: Uint8Array, srcLid: number, srcQp: number, sgH: number, sgL: number, nowNs: number): void {
    const s = this.allocRelay();
    if (s < 0) return;
    this.stats.hostLookups++;
    this.rKind[s] = RelayKind.HostLookup;
    this.rLid[s] = srcLid;
    this.rQp[s] = srcQp;
    this.rGuid[s * 2] = sgH >>> 0;
    this.rGuid[s * 2 + 1] = sgL >>> 0;
    this.rParked.subarray(s * MAD_SIZE, s * MAD_SIZE + MAD_SIZE).set(parked.subarray(0, MAD_SIZE));
    const out = this.rOut.subarray(s * MAD_SIZE, s * MAD_SIZE + MAD_SIZE);
    const v = this.fwdView.wrapForWrite(out).initSa(Method.Get, SaAttr.GuidInfoRecord, 0, 0);
    v.componentMaskHigh = 0;
    v.componentMaskLow = ((1 << GuidInfoRecordMask.LID) | (1 << GuidInfoRecordMask.BLOCK_NUM)) >>> 0;
    v.guidInfoRecord.lid = lid;
    v.guidInfoRecord.blockNum = 0;
    this.sendRelay(s, nowNs);
  }

  private sendRelay(s: number, nowNs: number): void {
    const t = this.transport;
    const out = this.rOut.subarray(s * MAD_SIZE, s * MAD_SIZE + MAD_SIZE);
    setU32(out, 8, (RELAY_TAG | this.rGen[s]!) >>> 0);
    setU32(out, 12, s);
    // The service asks the SM on its own behalf: no GRH (the record's SGID still names a VF).
    t.send(out, t.lid, GSI_QP, 0, 0, t.smLid, GSI_QP, 0, 0, nowNs);
    this.scheduler.push(nowNs + this.cost.clientRespTimeoutNs, ServiceEventKind.RelayTimeout, s, this.rGen[s]!, 0);
  }

  private onRelayTimeout(s: number, gen: number, nowNs: number): void {
    if (this.rActive[s] === 0 || this.rGen[s] !== gen) return;
    this.stats.relayTimeouts++;
    if (this.rRetries[s]! >= this.cost.clientMaxRetries) {
      this.stats.relaysAbandoned++;
      this.log?.({ event: 'relay-abandoned', kind: this.rKind[s], requesterLid: this.rLid[s] });
      this.freeRelay(s);
      return;
    }
    this.rRetries[s]!++;
    this.sendRelay(s, nowNs);
  }

  private onRelayAnswer(v: MadView, nowNs: number): void {
    const s = v.tidLow;
    if (s >= this.cap || this.rActive[s] === 0 || (v.tidHigh & 0xffff) !== this.rGen[s]) {
      this.counters.v[Counter.smRecvOther]!++; // a late answer to a relay already answered or abandoned
      return;
    }
    this.stats.relayAnswers++;
    const kind = this.rKind[s]!;
    if (kind === RelayKind.HostLookup) {
      if (v.status === MadStatus.Ok && v.attributeId === SaAttr.GuidInfoRecord) {
        const r = v.guidInfoRecord;
        if ((r.guidHigh(0) | r.guidLow(0)) !== 0) this.addHost(r.lid, r.guidHigh(0), r.guidLow(0));
      }
      const parked = this.rParked.slice(s * MAD_SIZE, s * MAD_SIZE + MAD_SIZE);
      const lid = this.rLid[s]!;
      const qp = this.rQp[s]!;
      const gh = this.rGuid[s * 2]!;
      const gl = this.rGuid[s * 2 + 1]!;
      this.freeRelay(s);
      // Handled now that the port is known (or answered SaRequestInvalid by the SM if it is still not).
      const t = this.transport;
      this.noteInform(parked, lid, gh, gl);
      this.sm.receive(parked, lid, qp, gh, gl, t.lid, GSI_QP, 0, 0, nowNs);
      return;
    }
    if (kind === RelayKind.GuidRecord) this.mirrorGuidRecord(s, v, nowNs);
    else if (kind === RelayKind.PathRecord) this.noteInterest(s, v);
    // Hand the SM's answer back to the requester with its own TID.
    const fwd = this.fwd;
    fwd.set(v.bytes.subarray(0, MAD_SIZE));
    setU32(fwd, 8, this.rTid[s * 2]!);
    setU32(fwd, 12, this.rTid[s * 2 + 1]!);
    // The requester's acknowledgement leaves only once what it acknowledges is on disk.
    this.journal?.flush();
    const t = this.transport;
    t.send(fwd, t.lid, GSI_QP, t.portGuidHigh, t.portGuidLow, this.rLid[s]!, this.rQp[s]!, this.rGuid[s * 2]!, this.rGuid[s * 2 + 1]!, nowNs);
    if (v.status !== MadStatus.Ok) this.counters.v[Counter.smSentErrorResp]!++;
    else if (kind === RelayKind.GuidRecord) this.counters.v[Counter.smSentGuidInfoRecordResp]!++;
    else this.counters.v[Counter.smSentPathRecordResp]!++;
    this.freeRelay(s);
  }

  /**
   * The SM answered a relayed Set or Delete: mirror what it accepted and run Algorithm 1 on it.
   * A Set's echoed slot must hold a GUID (the requested one, or the SM's own for a zero
   * request); a zero slot means the SM refused it (another port holds that alias).
   */
  private mirrorGuidRecord(s: number, v: MadView, nowNs: number): void {
    const req = this.fwdView.wrapForWrite(this.rOut.subarray(s * MAD_SIZE, s * MAD_SIZE + MAD_SIZE));
    const method = req.method;
    if (method === Method.Get) return;
    if (v.status !== MadStatus.Ok) {
      this.stats.smErrorAnswers++;
      return;
    }
    const sm = this.sm;
    const rec = v.guidInfoRecord;
    const block = rec.blockNum;
    let host = sm.lidHost[rec.lid]!;
    if (host < 0 && block === 0 && (rec.guidHigh(0) | rec.guidLow(0)) !== 0) host = this.addHost(rec.lid, rec.guidHigh(0), rec.guidLow(0));
    if (host < 0) {
      this.stats.mirrorUnknownHost++;
      return;
    }
    const mh = req.componentMaskHigh;
    const ml = req.componentMaskLow;
    const journal = this.journal;
    if (journal !== undefined) {
      // Everything this answer can change: each index's present alias and the GUID set there.
      for (let k = 0; k < GUIDS_PER_BLOCK; k++) {
        if (!maskHasBit(mh, ml, GuidInfoRecordMask.GID0 + k)) continue;
        const index = block * GUIDS_PER_BLOCK + k;
        if (index >= sm.guidCap) continue;
        journal.touch(sm.aliasHigh[host * sm.guidCap + index]!, sm.aliasLow[host * sm.guidCap + index]!);
        if (method === Method.Set) journal.touch(rec.guidHigh(k), rec.guidLow(k));
      }
    }
    for (let k = 0; k < GUIDS_PER_BLOCK; k++) {
      if (!maskHasBit(mh, ml, GuidInfoRecordMask.GID0 + k)) continue;
      const index = block * GUIDS_PER_BLOCK + k;
      if (index >= sm.guidCap) {
        this.stats.mirrorIndexOutOfRange++;
        continue;
      }
      if (method === Method.Delete) {
        detachVguid(sm, host, index, nowNs);
        continue;
      }
      const gh = rec.guidHigh(k);
      const gl = rec.guidLow(k);
      if ((gh | gl) === 0) {
        this.stats.setsRefusedBySm++;
        this.counters.v[Counter.smRefusedSets]!++;
        this.log?.({ event: 'set-refused', lid: rec.lid, index, requested: guidHex(req.guidInfoRecord.guidHigh(k), req.guidInfoRecord.guidLow(k)) });
        continue;
      }
      this.mirrorSet(host, index, gh, gl, nowNs);
    }
  }

  /** The SM holds vGUID (gh, gl) at (host, index) now: bring the mirror there, through Algorithm 1. */
  private mirrorSet(host: number, index: number, gh: number, gl: number, nowNs: number): void {
    const sm = this.sm;
    const k = host * sm.guidCap + index;
    if (sm.aliasHigh[k] === gh >>> 0 && sm.aliasLow[k] === gl >>> 0) return;
    if ((sm.aliasHigh[k]! | sm.aliasLow[k]!) !== 0) detachVguid(sm, host, index, nowNs);
    const holder = sm.lidVguid.host(gh, gl);
    // The SM accepted it, so it is no longer where the mirror had it (the SM drops a port's
    // aliases silently): delete it there first, so Algorithm 1 sees the move.
    if (holder >= 0) detachVguid(sm, holder, sm.lidVguid.port(gh, gl), nowNs);
    attachVguid(sm, host, index, gh, gl, nowNs);
    this.log?.({ event: 'alias-set', host, lid: sm.hostLid[host], index, vguid: guidHex(gh, gl) });
  }

  /** Persistence: an InformInfo Set is about to reach the SM; the journal learns whose and what. */
  private noteInform(mad: Uint8Array, srcLid: number, sgH: number, sgL: number): void {
    const journal = this.journal;
    if (journal === undefined) return;
    const v = this.iiView;
    try {
      v.wrap(mad);
    } catch (e) {
      if (!(e instanceof MadError)) throw e;
      return; // answered as malformed: changes nothing
    }
    if (v.mgmtClass !== MgmtClass.SubnAdm || v.attributeId !== SaAttr.InformInfo || v.method !== Method.Set) return;
    // The subscriber as the SA names it (sa-inform-info.ts): the GRH's SGID, else the port's GUID.
    let subH = sgH;
    let subL = sgL;
    if ((subH | subL) === 0) {
      const host = this.sm.lidHost[srcLid]!;
      if (host < 0) return;
      subH = this.sm.hostPortGuidHigh[host]!;
      subL = this.sm.hostPortGuidLow[host]!;
    }
    informFieldsFrom(v.informInfo, journal.informFields);
    journal.noteInform(subH, subL);
  }

  /** Persistence: a life-cycle trap may change the state of the vGUID it names. */
  private touchTrap(v: MadView): void {
    if (this.trapNotice === undefined || this.trapNotice.ref !== v.ref) this.trapNotice = new NoticeView(v.ref, SMP_DATA_OFFSET);
    const n = this.trapNotice;
    this.journal!.touch(n.vgid.guidHigh, n.vgid.guidLow);
  }

  /** per-pf-interest: remember who asked for a path to which vGUID (as the emulated SA does). */
  private noteInterest(s: number, v: MadView): void {
    const sm = this.sm;
    if (sm.interest === undefined || v.status !== MadStatus.Ok) return;
    const pr = v.pathRecord;
    const dh = pr.dgid.guidHigh;
    const dl = pr.dgid.guidLow;
    let ah = pr.sgid.guidHigh;
    let al = pr.sgid.guidLow;
    if ((ah | al) === 0) {
      ah = this.rGuid[s * 2]!;
      al = this.rGuid[s * 2 + 1]!;
    }
    if ((ah | al) !== 0 && sm.lidVguid.has(dh, dl)) sm.interest.add(dh, dl, sm.registryId(ah, al));
  }

  private answerError(status: number, lid: number, qp: number, gh: number, gl: number): void {
    const res = this.resView.initResponseTo(this.view, responseMethod(this.view.method), status);
    const t = this.transport;
    this.counters.v[Counter.smSentErrorResp]!++;
    t.send(res.bytes, t.lid, GSI_QP, t.portGuidHigh, t.portGuidLow, lid, qp, gh, gl, this.scheduler.nowNs);
  }

  private allocRelay(): number {
    if (this.rFreeCount === 0) {
      // The requester re-sends after its own timeout; by then relays will have drained.
      this.stats.relaysDroppedFull++;
      return -1;
    }
    const s = this.rFree[--this.rFreeCount]!;
    this.rActive[s] = 1;
    this.rRetries[s] = 0;
    return s;
  }

  private freeRelay(s: number): void {
    this.rActive[s] = 0;
    this.rGen[s] = (this.rGen[s]! + 1) & 0xffff;
    this.rFree[this.rFreeCount++] = s;
  }
}

export function guidHex(high: number, low: number): string {
  return `0x${(high >>> 0).toString(16).padStart(8, '0')}${(low >>> 0).toString(16).padStart(8, '0')}`;
}
