// The subnet manager / subnet administrator: one object for the whole subnet. It owns the
// SM-side state in typed-array tables (port alias GUID tables, LID-vGUID table, trap table,
// vGUID registry, subscriptions, per-vGUID interest) and answers MADs that arrive through the
// transport. It never calls Dom0 or VM code: everything it learns arrives as a MAD.
//
// Service model (virtual time), separate servers as in a real SM (issue 7 item 6):
//  - the SA request dispatcher (`sa`, a FIFO ServiceQueue): every GUIDInfoRecord, InformInfo,
//    Trap or unsupported request costs cost.smServiceNs; work starts when the dispatcher is free
//    and the response leaves when it is done;
//  - the SA's PathRecord thread (`saQueries`, FIFO): each query costs
//    cost.saPathRecordServiceNs. OpenSM's dispatcher runs a thread per CPU, so a flood of path
//    queries (the RC fallback of a storm) does not hold up the hypervisors' GUIDInfoRecord Sets;
//    a query re-sent with the same TID while its original still waits is dropped and counted
//    (smDuplicateRequests): the original's answer satisfies it (queued-requests.ts);
//  - the Report transmit path (ReportSender): each Report sent or re-sent costs cost.smServiceNs
//    there, and OpenSM's linear InformInfo list walk per notice costs
//    cost.smScanPerSubscriptionNs per subscription there, so a fan-out to 49,151 hosts never
//    holds up the GUIDInfoRecord Sets that arrive meanwhile.
// A ReportResp is matched to its Report by TID in the transaction layer (as OpenSM's umad
// receiver matches responses against its outstanding sends) and costs neither server.
// Before this split one server did everything and a storm's notice scans (1 ms each at 49,151
// subscriptions) were reserved ahead of every later request: Sets waited past 4 x 200 ms and
// Dom0 abandoned them (results/scale: 98 abandoned, 3 stale entries).
//
// Malformed input is never thrown out of receive(): the codec's MadError names the status to
// answer with (sent as an error response) or says drop (counted in smDroppedMalformed).
import {
  DEFAULT_SUBNET_PREFIX_HIGH,
  DEFAULT_SUBNET_PREFIX_LOW,
  GSI_QP,
  MadStatus,
  Method,
  MgmtClass,
  SaAttr,
  MAD_DROP,
} from '../mad/constants.js';
import { MadError } from '../mad/mad-error.js';
import { MadView } from '../mad/mad-view.js';
import { GuidHashTable } from '../tables/guid-hash.js';
import { GuidMultiMap } from '../tables/guid-multimap.js';
import { LidVguidTable, VguidState } from '../tables/lid-vguid-table.js';
import { TrapTable } from '../tables/trap-table.js';
import type { CostModel } from '../engine/cost-model.js';
import type { Scheduler } from '../engine/event-queue.js';
import { EventKind } from '../engine/event-kinds.js';
import { Counter, type Counters } from '../metrics/counters.js';
import { SinkRole, type MadSink, type Transport } from '../fabric/transport.js';
import type { LidPlan } from './lid-assignment.js';
import { VguidAssigner } from './vguid-assignment.js';
import { Subscriptions } from './subscriptions.js';
import { ReportSender } from './report-sender.js';
import { ServiceQueue } from './service-queue.js';
import { QueuedRequests, madDigest } from './queued-requests.js';
import { handleGuidInfoRecord, expireParked } from './sa-guid-info-record.js';
import { handleInformInfo } from './sa-inform-info.js';
import { handlePathRecord } from './sa-path-record.js';
import { handleTrap } from './trap-receiver.js';

/** Which subscribers a RePath/UnPath goes to. */
export const ReportScope = {
  /** Every matching subscription (per-vguid, per-pf). */
  All: 0,
  /** Only hosts whose VMs asked the SA for a path to the vGUID (per-pf-interest). */
  Interested: 1,
} as const;
export type ReportScope = (typeof ReportScope)[keyof typeof ReportScope];

export interface SubnetManagerOptions {
  readonly hosts: number;
  /** VF slots per host; the port's alias GUID table has slotsPerHost + 1 entries (index 0 = port GUID). */
  readonly slotsPerHost: number;
  readonly hostPortGuidHigh: Uint32Array;
  readonly hostPortGuidLow: Uint32Array;
  readonly lids: LidPlan;
  /** The SM's own port GUID (its notices' IssuerGID). */
  readonly smPortGuidHigh: number;
  readonly smPortGuidLow: number;
  readonly transport: Transport;
  readonly scheduler: Scheduler;
  readonly cost: CostModel;
  readonly counters: Counters;
  readonly reportScope?: ReportScope;
  /** Remember which endpoints asked for a path to each vGUID (needed by ReportScope.Interested). */
  readonly recordInterest?: boolean;
  /** Capacity hint: vGUIDs expected (tables grow past it). */
  readonly expectedVguids?: number;
  /** OpenSM's sm_assigned_guid byte for dynamically assigned vGUIDs. */
  readonly assignedGuidByte?: number;
  /**
   * SM_Key written into the SA header of every Report (issue 7); Dom0 accepts a notice only with
   * the key it was configured with. Default 0: no key configured (Dom0's default expects 0 too).
   */
  readonly smKeyHigh?: number;
  readonly smKeyLow?: number;
  /** Bound on InformInfo subscriptions (OpenSM's list is unbounded). Default 2 x (every port GUID and vGUID) + 1024. */
  readonly maxSubscriptions?: number;
  /** Bound on one subscriber's subscriptions, so one VM cannot fill the table. Default 16. */
  readonly maxSubscriptionsPerSubscriber?: number;
  /** Bound on parked trap-table records; when full the oldest is expired early (UnPath). Default 4 x hosts x slots + 1024. */
  readonly maxParked?: number;
  /**
   * The hosts this SM sends Reports to (1 per host; default: every host). A Report to any other
   * host takes its transmitter turn, as it would, and nothing else: no MAD, no outstanding
   * Report, no count. One replica's share of a storm in an engine that replays the whole subnet
   * on every thread and sends each thread's own hosts' Reports only (bench/replica-bound.ts).
   */
  readonly reportHosts?: Uint8Array;
}

export class SubnetManager implements MadSink {
  readonly hosts: number;
  readonly slotsPerHost: number;
  readonly guidCap: number;
  readonly smLid: number;
  readonly smHost: number;
  readonly smPortGuidHigh: number;
  readonly smPortGuidLow: number;
  readonly hostLid: Uint16Array;
  readonly hostPortGuidHigh: Uint32Array;
  readonly hostPortGuidLow: Uint32Array;
  /** LID -> host index (-1: not a host port). */
  readonly lidHost = new Int32Array(0x10000).fill(-1);
  /** SubnetManagerOptions.reportHosts (undefined: Reports go to every host). */
  readonly reportHosts: Uint8Array | undefined;
  /** Port GUID -> host index. */
  readonly portHost: GuidHashTable;
  /** Counts registerHost calls: what the Report walk remembers of a GUID's port-ness is good while it stands. */
  portEpoch = 0;
  /** Per port alias GUID table: (host * guidCap + index) -> GUID halves; index 0 is the port GUID. */
  readonly aliasHigh: Uint32Array;
  readonly aliasLow: Uint32Array;
  /** vGUID -> (LID, alias index, host, state): who holds each vGUID now. */
  readonly lidVguid: LidVguidTable;
  /** Parked path records of deleted vGUIDs (Algorithm 1). */
  readonly trapTable: TrapTable;
  /** Every vGUID the SM has seen -> dense id; per id: state and notice sequence. */
  readonly registry: GuidHashTable;
  regHigh: Uint32Array;
  regLow: Uint32Array;
  regState: Uint8Array;
  regSeq: Uint32Array;
  regCount = 0;
  /**
   * Port GUIDs that are also in the LID-vGUID table (the SA refuses such Sets, so normally 0):
   * while 0, a port GUID's LID is its port's, and a Report to a port subscriber skips the
   * LID-vGUID probe (a miss, the longest probe of linear probing) on the per-Report path.
   */
  portGuidsAsVguids = 0;
  /** Target vGUID -> registry ids of the endpoints that asked the SA for a path to it. */
  readonly interest: GuidMultiMap | undefined;
  readonly subscriptions: Subscriptions;
  readonly smKeyHigh: number;
  readonly smKeyLow: number;
  readonly maxParked: number;
  readonly reports: ReportSender;
  readonly assigner: VguidAssigner;
  readonly reportScope: ReportScope;
  readonly transport: Transport;
  readonly scheduler: Scheduler;
  readonly cost: CostModel;
  readonly counters: Counters;
  /** The SA request dispatcher (FIFO): its depth is the SA queue of `repath run --json`. */
  readonly sa = new ServiceQueue();
  /** The SA's PathRecord thread (FIFO). */
  readonly saQueries = new ServiceQueue();
  private readonly queuedQueries = new QueuedRequests();
  /** Counter values at the last resetQueuePeaks(): peaks are written as base + peak so a phase's difference is its own peak. */
  private saPeakBase = 0;
  private saPeakSeen = 0;

  /** Reusable views: the request being handled and the response being built. */
  readonly req = new MadView();
  readonly res = new MadView();
  readonly resBytes = new Uint8Array(256);
  /** Scratch for two GUID halves. */
  readonly guidOut = new Uint32Array(2);

  constructor(o: SubnetManagerOptions) {
    if (!Number.isInteger(o.slotsPerHost) || o.slotsPerHost < 1 || o.slotsPerHost > 255) {
      throw new RangeError(`SubnetManager slotsPerHost: ${o.slotsPerHost} is not 1..255`);
    }
    this.hosts = o.hosts;
    if (o.reportHosts !== undefined && o.reportHosts.length !== o.hosts) {
      throw new RangeError(`SubnetManager reportHosts.length: ${o.reportHosts.length} is not the host count ${o.hosts}`);
    }
    this.reportHosts = o.reportHosts;
    this.slotsPerHost = o.slotsPerHost;
    this.guidCap = o.slotsPerHost + 1;
    this.smLid = o.lids.smLid;
    this.smHost = o.lids.smHost;
    this.smPortGuidHigh = o.smPortGuidHigh >>> 0;
    this.smPortGuidLow = o.smPortGuidLow >>> 0;
    this.hostLid = o.lids.hostLid;
    this.hostPortGuidHigh = o.hostPortGuidHigh;
    this.hostPortGuidLow = o.hostPortGuidLow;
    this.transport = o.transport;
    this.scheduler = o.scheduler;
    this.cost = o.cost;
    this.counters = o.counters;
    this.reportScope = o.reportScope ?? ReportScope.All;
    this.smKeyHigh = (o.smKeyHigh ?? 0) >>> 0;
    this.smKeyLow = (o.smKeyLow ?? 0) >>> 0;
    const ports = o.hosts * (o.slotsPerHost + 1);
    this.subscriptions = new Subscriptions(1024, {
      maxRows: o.maxSubscriptions ?? 2 * ports + 1024,
      maxPerSubscriber: o.maxSubscriptionsPerSubscriber ?? 16,
    });
    this.maxParked = o.maxParked ?? 4 * o.hosts * o.slotsPerHost + 1024;
    if (!Number.isInteger(this.maxParked) || this.maxParked < 1) throw new RangeError(`SubnetManager maxParked: ${this.maxParked} is not a positive integer`);
    const expected = Math.max(1024, o.expectedVguids ?? o.hosts * o.slotsPerHost);
    this.portHost = new GuidHashTable(Math.max(16, o.hosts), { growable: true });
    this.aliasHigh = new Uint32Array(o.hosts * this.guidCap);
    this.aliasLow = new Uint32Array(o.hosts * this.guidCap);
    for (let h = 0; h < o.hosts; h++) {
      // A host slot with port GUID 0 is not registered yet (the native service learns its
      // hosts from the SM as they appear: registerHost).
      if ((o.hostPortGuidHigh[h]! | o.hostPortGuidLow[h]!) === 0) continue;
      this.registerHost(h, this.hostLid[h]!, o.hostPortGuidHigh[h]!, o.hostPortGuidLow[h]!);
    }
    this.lidVguid = new LidVguidTable(expected, { growable: true });
    this.trapTable = new TrapTable(Math.max(1024, expected >>> 4), { growable: true });
    // Room for the hosts' port GUIDs too: they join the registry at their first Report (as
    // subscribers), and growing it then would rehash every vGUID in the middle of the storm.
    const registered = expected + o.hosts;
    this.registry = new GuidHashTable(registered, { growable: true });
    this.regHigh = new Uint32Array(registered);
    this.regLow = new Uint32Array(registered);
    this.regState = new Uint8Array(registered);
    this.regSeq = new Uint32Array(registered);
    this.interest = o.recordInterest || this.reportScope === ReportScope.Interested ? new GuidMultiMap(expected, { growable: true }) : undefined;
    this.assigner = new VguidAssigner(o.hosts, this.guidCap, o.assignedGuidByte ?? 0);
    this.reports = new ReportSender(this);
    this.res.wrapForWrite(this.resBytes);
    o.transport.bind(this.smLid, SinkRole.Sm, this);
  }

  /**
   * Puts host slot `h` at `lid` with port GUID (high, low): the LID map, the port-GUID map and
   * index 0 of its alias table. The emulation registers every host at construction; the
   * native service (core/service) registers each host port when it first hears of it.
   */
  registerHost(h: number, lid: number, high: number, low: number): void {
    if (!Number.isInteger(h) || h < 0 || h >= this.hosts) throw new RangeError(`SubnetManager registerHost h: ${h} is not in 0..${this.hosts - 1}`);
    if (!Number.isInteger(lid) || lid < 0 || lid > 0xffff) throw new RangeError(`SubnetManager registerHost lid: ${lid} is not a 16-bit LID`);
    if (((high | low) >>> 0) === 0) throw new RangeError(`SubnetManager registerHost port GUID of host ${h}: 0 is not a port GUID`);
    this.hostLid[h] = lid;
    this.hostPortGuidHigh[h] = high >>> 0;
    this.hostPortGuidLow[h] = low >>> 0;
    this.lidHost[lid] = h;
    const known = this.portHost.get(high >>> 0, low >>> 0) >= 0;
    this.portHost.set(high >>> 0, low >>> 0, h);
    this.portEpoch++;
    // The native service learns ports as they appear: one may already be held as a vGUID.
    if (!known && this.lidVguid !== undefined && this.lidVguid.lid(high >>> 0, low >>> 0) >= 0) this.portGuidsAsVguids++;
    this.aliasHigh[h * this.guidCap] = high >>> 0;
    this.aliasLow[h * this.guidCap] = low >>> 0;
  }

  // ---------------------------------------------------------------- receive

  receive(
    mad: Uint8Array,
    srcLid: number,
    srcQp: number,
    srcGuidHigh: number,
    srcGuidLow: number,
    _dstLid: number,
    _dstQp: number,
    _dstGuidHigh: number,
    _dstGuidLow: number,
    nowNs: number,
  ): void {
    const c = this.counters.v;
    const req = this.req;
    try {
      req.wrap(mad);
    } catch (e) {
      if (!(e instanceof MadError)) throw e;
      this.answerMalformed(mad, e.status, srcLid, srcQp, srcGuidHigh, srcGuidLow, nowNs);
      return;
    }
    const cls = req.mgmtClass;
    const method = req.method;
    if (cls === MgmtClass.SubnLid) {
      if (method === Method.Trap) {
        c[Counter.smRecvTrap]!++;
        handleTrap(this, srcLid, srcQp, srcGuidHigh, srcGuidLow, this.serve(nowNs, this.cost.smServiceNs));
        return;
      }
      c[Counter.smRecvOther]!++;
      return;
    }
    if (cls !== MgmtClass.SubnAdm) {
      c[Counter.smRecvOther]!++;
      return;
    }
    const attr = req.attributeId;
    if (method === Method.ReportResp) {
      // Matched in the transaction layer: no SA service time (see the header).
      c[Counter.smRecvReportResp]!++;
      this.reports.onReportResp(req.tidHigh, req.tidLow, nowNs);
      return;
    }
    if ((method & 0x80) !== 0 || method === Method.Report) {
      // A response or Report addressed to the SA that it did not ask for: nothing to answer.
      c[Counter.smRecvOther]!++;
      return;
    }
    switch (attr) {
      case SaAttr.GuidInfoRecord:
        c[Counter.smRecvGuidInfoRecord]!++;
        handleGuidInfoRecord(this, srcLid, srcQp, srcGuidHigh, srcGuidLow, this.serve(nowNs, this.cost.smServiceNs));
        return;
      case SaAttr.InformInfo:
        c[Counter.smRecvInformInfo]!++;
        handleInformInfo(this, srcLid, srcQp, srcGuidHigh, srcGuidLow, this.serve(nowNs, this.cost.smServiceNs));
        return;
      case SaAttr.PathRecord: {
        c[Counter.smRecvPathRecord]!++;
        const tidHigh = req.tidHigh;
        const tidLow = req.tidLow;
        const digest = madDigest(mad);
        if (this.queuedQueries.isQueued(srcLid, srcGuidLow, tidHigh, tidLow, digest, nowNs)) {
          c[Counter.smDuplicateRequests]!++;
          return;
        }
        const done = this.serveQuery(nowNs, this.cost.saPathRecordServiceNs);
        this.queuedQueries.add(srcLid, srcGuidLow, tidHigh, tidLow, digest, done, nowNs);
        handlePathRecord(this, srcLid, srcQp, srcGuidHigh, srcGuidLow, done);
        return;
      }
      default:
        c[Counter.smRecvOther]!++;
        this.sendError(MadStatus.UnsupportedMethodAttr, srcLid, srcQp, srcGuidHigh, srcGuidLow, this.serve(nowNs, this.cost.smServiceNs));
        return;
    }
  }

  /** Handles an SM-owned event (fan-out step, Report timeout, trap-table expiry). */
  onEvent(kind: number, a: number, b: number, nowNs: number): void {
    switch (kind) {
      case EventKind.SmFanout:
        this.reports.fanoutTurn(nowNs);
        return;
      case EventKind.SmReportTimeout:
        this.reports.onTimeout(a, b, nowNs);
        return;
      case EventKind.SmTrapExpiry:
        expireParked(this, nowNs);
        return;
      default:
        throw new RangeError(`SubnetManager event kind: ${kind} is not an SM event`);
    }
  }

  // ---------------------------------------------------------------- helpers for the handlers

  /** Takes the SA dispatcher for `costNs` starting when it is free; returns the time the answer leaves. */
  serve(nowNs: number, costNs: number): number {
    const done = this.sa.serve(nowNs, costNs);
    this.notePeakSa(nowNs);
    return done;
  }

  /** Takes the SA's PathRecord thread for `costNs`; returns the time the answer leaves. */
  serveQuery(nowNs: number, costNs: number): number {
    const done = this.saQueries.serve(nowNs, costNs);
    this.notePeakSa(nowNs);
    return done;
  }

  /** The SA queue depth is both threads' requests waiting or in service. */
  private notePeakSa(nowNs: number): void {
    const depth = this.sa.depth(nowNs) + this.saQueries.depth(nowNs);
    if (depth > this.saPeakSeen) {
      this.saPeakSeen = depth;
      this.counters.v[Counter.smPeakSaQueue] = this.saPeakBase + depth;
    }
  }

  /** When the SA dispatcher is free again. */
  get busyUntilNs(): number {
    return this.sa.busyUntilNs;
  }

  /**
   * Starts a new phase for the peak queue counters (smPeakSaQueue, smPeakReportQueue,
   * smPeakReportsInFlight): the engine calls it when the migrations start, so the phase's
   * counter difference is the phase's own peak, not the setup's.
   */
  resetQueuePeaks(): void {
    this.sa.resetPeak();
    this.saQueries.resetPeak();
    this.saPeakSeen = 0;
    this.saPeakBase = this.counters.v[Counter.smPeakSaQueue]!;
    this.reports.resetPeaks();
  }

  /** Sends the response built in `res` back to the requester. */
  sendResponse(srcLid: number, srcQp: number, srcGuidHigh: number, srcGuidLow: number, departNs: number): void {
    this.transport.send(this.resBytes, this.smLid, GSI_QP, this.smPortGuidHigh, this.smPortGuidLow, srcLid, srcQp, srcGuidHigh, srcGuidLow, departNs);
  }

  /** Answers the request in `req` with an error status and no record. */
  sendError(status: number, srcLid: number, srcQp: number, srcGuidHigh: number, srcGuidLow: number, departNs: number): void {
    const method = this.req.method;
    this.res.initResponseTo(this.req, responseMethod(method), status);
    this.counters.v[Counter.smSentErrorResp]!++;
    this.sendResponse(srcLid, srcQp, srcGuidHigh, srcGuidLow, departNs);
  }

  private answerMalformed(
    mad: Uint8Array,
    status: number,
    srcLid: number,
    srcQp: number,
    srcGuidHigh: number,
    srcGuidLow: number,
    nowNs: number,
  ): void {
    const c = this.counters.v;
    // Only a request of a class whose header is readable can be answered; everything else is dropped.
    if (status === MAD_DROP || mad.length !== 256 || mad[0] !== 1 || (mad[3]! & 0x80) !== 0 || mad[3] === Method.Report || mad[3] === Method.Trap) {
      c[Counter.smDroppedMalformed]!++;
      return;
    }
    this.req.wrapForWrite(mad);
    this.res.initResponseTo(this.req, responseMethod(mad[3]!), status);
    c[Counter.smSentErrorResp]!++;
    this.sendResponse(srcLid, srcQp, srcGuidHigh, srcGuidLow, this.serve(nowNs, this.cost.smServiceNs));
  }

  /** Host of an endpoint GUID: a vGUID's current host, or a port GUID's host; -1 when unknown. */
  hostOfGuid(high: number, low: number): number {
    const h = this.lidVguid.host(high, low);
    if (h >= 0) return h;
    return this.portHost.get(high, low);
  }

  /** LID at which a GUID (vGUID or port GUID) is reachable now, or -1. */
  lidOfGuid(high: number, low: number): number {
    const l = this.lidVguid.lid(high, low);
    if (l >= 0) return l;
    const h = this.portHost.get(high, low);
    return h >= 0 ? this.hostLid[h]! : -1;
  }

  /** Registry id of a GUID, adding it (state unknown) if new. */
  registryId(high: number, low: number): number {
    const id = this.registry.get(high, low);
    if (id >= 0) return id;
    const n = this.regCount++;
    if (n === this.regHigh.length) this.growRegistry();
    this.regHigh[n] = high;
    this.regLow[n] = low;
    this.regState[n] = 0;
    this.regSeq[n] = 0;
    this.registry.set(high, low, n);
    return n;
  }

  /** Life-cycle state the SM holds for a vGUID (VguidState), 0 when never seen. */
  vguidState(high: number, low: number): number {
    const id = this.registry.get(high, low);
    return id < 0 ? 0 : this.regState[id]!;
  }

  /** Changes a vGUID's life-cycle state; reports it to life-cycle subscribers when it changed. */
  setVguidState(high: number, low: number, state: number, nowNs: number): void {
    const id = this.registryId(high, low);
    if (this.regState[id] === state) return;
    this.regState[id] = state;
    this.lidVguid.setState(high, low, state);
    if (this.subscriptions.vendorRows > 0) {
      const lid = this.lidVguid.lid(high, low);
      this.reports.emitLifeCycle(high, low, lid < 0 ? 0 : lid, state, ++this.regSeq[id]!, nowNs);
    }
  }

  /** Next notice sequence for a vGUID. */
  nextSequence(high: number, low: number): number {
    const id = this.registryId(high, low);
    return ++this.regSeq[id]!;
  }

  /** The GID prefix the SM uses for every GID it builds. */
  readonly prefixHigh = DEFAULT_SUBNET_PREFIX_HIGH;
  readonly prefixLow = DEFAULT_SUBNET_PREFIX_LOW;

  /** vGUIDs currently on a port (the SM's truth). */
  get vguidsOnPorts(): number {
    return this.lidVguid.size;
  }

  /** Schedules a trap-table expiry check at `timeNs`. */
  scheduleExpiry(timeNs: number): void {
    this.scheduler.push(timeNs, EventKind.SmTrapExpiry, 0, 0, 0);
  }

  private growRegistry(): void {
    const n = this.regHigh.length * 2;
    const h = new Uint32Array(n);
    h.set(this.regHigh);
    this.regHigh = h;
    const l = new Uint32Array(n);
    l.set(this.regLow);
    this.regLow = l;
    const s = new Uint8Array(n);
    s.set(this.regState);
    this.regState = s;
    const q = new Uint32Array(n);
    q.set(this.regSeq);
    this.regSeq = q;
  }
}

/** The response method of a request method (IBA 13.4.5: Set is answered by GetResp). */
export function responseMethod(method: number): number {
  switch (method) {
    case Method.Get:
    case Method.Set:
      return Method.GetResp;
    case Method.GetTable:
      return Method.GetTableResp;
    case Method.Delete:
      return Method.DeleteResp;
    case Method.GetMulti:
      return Method.GetMultiResp;
    default:
      return (method | 0x80) & 0xff;
  }
}

export { VguidState };
