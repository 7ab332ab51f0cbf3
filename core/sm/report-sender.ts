// Reports: the SM forwards each notice to the matching subscribers as Report(Notice) MADs,
// each answered by a ReportResp, re-sent after cost.reportRespTimeoutNs up to
// cost.reportMaxRetries times (same TID, as OpenSM's transaction layer does), all counted.
//
// A notice becomes a fan-out job: its Report MAD is built once into the job's 256-byte buffer,
// and one SmFanout event per Report walks the subscribers (the whole subscription list, as
// OpenSM's osm_report_notice does, or the interested hosts' list), so a notice to 6 M
// subscribers holds one buffer, not 6 M. Outstanding Reports live in typed arrays indexed by a
// slot that is also the TID's low word; the TID's high word carries the slot's generation, so
// a late ReportResp for a reused slot is recognised and ignored.
import {
  GSI_QP,
  Method,
  NoticeType,
  ProducerType,
  SaAttr,
  TrapNumber,
} from '../mad/constants.js';
import { MadView } from '../mad/mad-view.js';
import { EventKind } from '../engine/event-kinds.js';
import { Counter } from '../metrics/counters.js';
import { NoticeFields } from './subscriptions.js';
import type { SubnetManager } from './subnet-manager.js';
import { LIFE_CYCLE_VENDOR_ID, LifeCycleDevice } from './life-cycle.js';

/** High 16 bits of a Report TID: marks it as the SM's; the low 16 bits carry the slot generation. */
const REPORT_TID_TAG = 0x5e90 << 16;
const JOB_SCAN_ALL = 0;
const JOB_LIST = 1;

export class ReportSender {
  private readonly view = new MadView();
  private readonly fields = new NoticeFields();
  // ---- jobs (one per notice being reported)
  private jobMad = new Uint8Array(0);
  private jobRefs = new Uint32Array(0);
  private jobMode = new Uint8Array(0);
  private jobCursor = new Uint32Array(0);
  private jobEnd = new Uint32Array(0);
  /** Matching fields per job: isGeneric, type, trapNumber, producerType, issuerLid. */
  private jobMatch = new Uint32Array(0);
  private jobFree = new Int32Array(0);
  private jobFreeCount = 0;
  private jobCap = 0;
  activeJobs = 0;
  // ---- subscriber GUID lists of JOB_LIST jobs (arena, reset when no list job is active)
  private list = new Uint32Array(1024);
  private listTop = 0;
  private activeListJobs = 0;
  // ---- per-pf-interest scratch
  private idScratch = new Uint32Array(256);
  private hostStamp: Uint32Array;
  private stamp = 0;
  // ---- outstanding Reports
  private outJob = new Int32Array(0);
  private outGen = new Uint16Array(0);
  private outRetries = new Uint8Array(0);
  private outHigh = new Uint32Array(0);
  private outLow = new Uint32Array(0);
  private outActive = new Uint8Array(0);
  private outFree = new Int32Array(0);
  private outFreeCount = 0;
  private outCap = 0;
  outstanding = 0;

  constructor(private readonly sm: SubnetManager) {
    this.hostStamp = new Uint32Array(sm.hosts);
    this.growJobs(16);
    this.growOut(256);
  }

  // ------------------------------------------------------------------ notices

  /**
   * RePath (69) or UnPath (68) for a vGUID, reported per the SM's report scope. newLid 0 and no
   * new port for UnPath.
   */
  emitPath(
    trap: number,
    high: number,
    low: number,
    newLid: number,
    oldLid: number,
    vmState: number,
    newPortHigh: number,
    newPortLow: number,
    oldPortHigh: number,
    oldPortLow: number,
    sequence: number,
    nowNs: number,
  ): void {
    const sm = this.sm;
    const job = this.newJob();
    const v = this.view.wrapForWrite(this.jobBytes(job));
    v.initSa(Method.Report, SaAttr.Notice, 0, 0);
    v.smKeyHigh = sm.smKeyHigh;
    v.smKeyLow = sm.smKeyLow;
    const n = v.notice;
    n.isGeneric = 1;
    n.type = NoticeType.SubnetManagement;
    n.producerType = ProducerType.ClassManager;
    n.trapNumber = trap;
    n.issuerLid = sm.smLid;
    n.issuerGid.set(sm.prefixHigh, sm.prefixLow, sm.smPortGuidHigh, sm.smPortGuidLow);
    n.newLid = newLid;
    n.oldLid = oldLid;
    n.vmState = vmState;
    n.vgid.set(sm.prefixHigh, sm.prefixLow, high, low);
    n.newPortGuidHigh = newPortHigh;
    n.newPortGuidLow = newPortLow;
    n.oldPortGuidHigh = oldPortHigh;
    n.oldPortGuidLow = oldPortLow;
    n.sequence = sequence;
    this.setMatch(job, 1, NoticeType.SubnetManagement, trap, ProducerType.ClassManager);
    sm.counters.v[trap === TrapNumber.RePath ? Counter.smNoticesRePath : Counter.smNoticesUnPath]!++;
    // 1 = ReportScope.Interested (a literal: report-sender must not import subnet-manager at load time).
    if (sm.reportScope === 1 && sm.interest !== undefined) this.startInterested(job, high, low, nowNs);
    else this.startScan(job, nowNs);
  }

  /** A life-cycle (vendor) notice: the vGUID's state changed. */
  emitLifeCycle(high: number, low: number, lid: number, state: number, sequence: number, nowNs: number): void {
    const sm = this.sm;
    const job = this.newJob();
    const v = this.view.wrapForWrite(this.jobBytes(job));
    v.initSa(Method.Report, SaAttr.Notice, 0, 0);
    v.smKeyHigh = sm.smKeyHigh;
    v.smKeyLow = sm.smKeyLow;
    const n = v.notice;
    n.isGeneric = 0;
    n.type = NoticeType.Info;
    n.vendorId = LIFE_CYCLE_VENDOR_ID;
    n.deviceId = LifeCycleDevice.VmStateChange;
    n.issuerLid = sm.smLid;
    n.issuerGid.set(sm.prefixHigh, sm.prefixLow, sm.smPortGuidHigh, sm.smPortGuidLow);
    n.newLid = lid;
    n.oldLid = lid;
    n.vmState = state;
    n.vgid.set(sm.prefixHigh, sm.prefixLow, high, low);
    n.sequence = sequence;
    this.setMatch(job, 0, NoticeType.Info, LifeCycleDevice.VmStateChange, LIFE_CYCLE_VENDOR_ID);
    sm.counters.v[Counter.smNoticesLifeCycle]!++;
    this.startScan(job, nowNs);
  }

  private setMatch(job: number, isGeneric: number, type: number, trap: number, producer: number): void {
    const m = job * 5;
    this.jobMatch[m] = isGeneric;
    this.jobMatch[m + 1] = type;
    this.jobMatch[m + 2] = trap;
    this.jobMatch[m + 3] = producer;
    this.jobMatch[m + 4] = this.sm.smLid;
  }

  private loadFields(job: number): NoticeFields {
    const f = this.fields;
    const m = job * 5;
    const sm = this.sm;
    f.isGeneric = this.jobMatch[m]!;
    f.type = this.jobMatch[m + 1]!;
    f.trapNumber = this.jobMatch[m + 2]!;
    f.producerType = this.jobMatch[m + 3]!;
    f.issuerLid = this.jobMatch[m + 4]!;
    f.issuerGidPrefixHigh = sm.prefixHigh;
    f.issuerGidPrefixLow = sm.prefixLow;
    f.issuerGidGuidHigh = sm.smPortGuidHigh;
    f.issuerGidGuidLow = sm.smPortGuidLow;
    return f;
  }

  /** OpenSM: walk the whole InformInfo list for the notice. */
  private startScan(job: number, nowNs: number): void {
    const sm = this.sm;
    this.jobMode[job] = JOB_SCAN_ALL;
    this.jobCursor[job] = 0;
    this.jobEnd[job] = sm.subscriptions.count;
    sm.serve(nowNs, sm.subscriptions.count * sm.cost.smScanPerSubscriptionNs);
    sm.scheduler.push(sm.busyUntilNs, EventKind.SmFanout, job, 0, 0);
  }

  /**
   * per-pf-interest: the hosts whose endpoints asked for a path to the vGUID, each once, as of
   * now (askers that migrated are found at their current host). Each host's subscription must
   * still match the notice under OpenSM's rules.
   */
  private startInterested(job: number, high: number, low: number, nowNs: number): void {
    const sm = this.sm;
    const interest = sm.interest!;
    const k = interest.count(high, low);
    if (k > this.idScratch.length) this.idScratch = new Uint32Array(Math.max(k, this.idScratch.length * 2));
    const ids = this.idScratch;
    interest.collect(high, low, ids);
    const f = this.loadFields(job);
    if (++this.stamp === 0xffffffff) {
      this.hostStamp.fill(0);
      this.stamp = 1;
    }
    const stamp = this.stamp;
    const start = this.listTop;
    for (let i = 0; i < k; i++) {
      const id = ids[i]!;
      const host = sm.hostOfGuid(sm.regHigh[id]!, sm.regLow[id]!);
      if (host < 0 || this.hostStamp[host] === stamp) continue;
      this.hostStamp[host] = stamp;
      const ph = sm.hostPortGuidHigh[host]!;
      const pl = sm.hostPortGuidLow[host]!;
      if (sm.subscriptions.firstMatchOf(ph, pl, f) < 0) continue;
      if (this.listTop + 2 > this.list.length) {
        const l = new Uint32Array(this.list.length * 2);
        l.set(this.list);
        this.list = l;
      }
      this.list[this.listTop++] = ph;
      this.list[this.listTop++] = pl;
    }
    this.jobMode[job] = JOB_LIST;
    this.jobCursor[job] = start;
    this.jobEnd[job] = this.listTop;
    this.activeListJobs++;
    // The candidates were looked up, not scanned: charge the lookups like list entries.
    sm.serve(nowNs, k * sm.cost.smScanPerSubscriptionNs);
    sm.scheduler.push(sm.busyUntilNs, EventKind.SmFanout, job, 0, 0);
  }

  /** One SmFanout event: send the job's next Report (if any), schedule the one after. */
  fanoutStep(job: number, nowNs: number): void {
    const sm = this.sm;
    let cursor = this.jobCursor[job]!;
    const end = this.jobEnd[job]!;
    let sent = false;
    if (this.jobMode[job] === JOB_SCAN_ALL) {
      const subs = sm.subscriptions;
      const f = this.loadFields(job);
      const limit = end < subs.count ? end : subs.count;
      while (cursor < limit) {
        const r = cursor++;
        if (subs.matches(r, f)) {
          sent = this.sendReport(job, subs.subscriberHigh(r), subs.subscriberLow(r), nowNs);
          if (sent) break;
        }
      }
    } else {
      while (cursor < end) {
        const h = this.list[cursor]!;
        const l = this.list[cursor + 1]!;
        cursor += 2;
        sent = this.sendReport(job, h, l, nowNs);
        if (sent) break;
      }
    }
    this.jobCursor[job] = cursor;
    const limit = this.jobMode[job] === JOB_SCAN_ALL ? Math.min(end, sm.subscriptions.count) : end;
    if (cursor < limit) {
      sm.scheduler.push(sm.busyUntilNs > nowNs ? sm.busyUntilNs : nowNs, EventKind.SmFanout, job, 0, 0);
    } else {
      if (this.jobMode[job] === JOB_LIST && --this.activeListJobs === 0) this.listTop = 0;
      this.unrefJob(job);
    }
  }

  /** Sends one Report of `job` to subscriber GUID (high, low); false when it is unreachable. */
  private sendReport(job: number, high: number, low: number, nowNs: number): boolean {
    const sm = this.sm;
    const c = sm.counters.v;
    const lid = sm.lidOfGuid(high, low);
    if (lid < 0) {
      c[Counter.smReportsUndeliverable]!++;
      return false;
    }
    const slot = this.allocOut();
    this.outJob[slot] = job;
    this.outHigh[slot] = high;
    this.outLow[slot] = low;
    this.outRetries[slot] = 0;
    this.jobRefs[job]!++;
    c[Counter.smSentReport]!++;
    this.transmit(slot, lid, sm.serve(nowNs, sm.cost.smServiceNs));
    return true;
  }

  private transmit(slot: number, lid: number, departNs: number): void {
    const sm = this.sm;
    const job = this.outJob[slot]!;
    const v = this.view.wrapForWrite(this.jobBytes(job));
    const gen = this.outGen[slot]!;
    v.tidHigh = (REPORT_TID_TAG | gen) >>> 0;
    v.tidLow = slot;
    const high = this.outHigh[slot]!;
    const low = this.outLow[slot]!;
    // A port subscriber is the PF itself (no GRH needed); a vGUID subscriber is named by the DGID.
    const isPort = sm.portHost.get(high, low) >= 0;
    sm.transport.send(v.bytes, sm.smLid, GSI_QP, sm.smPortGuidHigh, sm.smPortGuidLow, lid, GSI_QP, isPort ? 0 : high, isPort ? 0 : low, departNs);
    sm.scheduler.push(departNs + sm.cost.reportRespTimeoutNs, EventKind.SmReportTimeout, slot, gen, 0);
  }

  /** A ReportResp arrived. */
  onReportResp(tidHigh: number, tidLow: number): void {
    const slot = tidLow;
    if (
      slot >= this.outCap ||
      this.outActive[slot] === 0 ||
      tidHigh >>> 0 !== (REPORT_TID_TAG | this.outGen[slot]!) >>> 0
    ) {
      this.sm.counters.v[Counter.smReportRespUnmatched]!++;
      return;
    }
    this.finishOut(slot);
  }

  /** The ReportResp timer of `slot` ran out. */
  onTimeout(slot: number, gen: number, nowNs: number): void {
    if (slot >= this.outCap || this.outActive[slot] === 0 || this.outGen[slot] !== gen) return; // answered meanwhile
    const sm = this.sm;
    const c = sm.counters.v;
    if (this.outRetries[slot]! >= sm.cost.reportMaxRetries) {
      c[Counter.smReportsAbandoned]!++;
      this.finishOut(slot);
      return;
    }
    const lid = sm.lidOfGuid(this.outHigh[slot]!, this.outLow[slot]!);
    if (lid < 0) {
      c[Counter.smReportsUndeliverable]!++;
      this.finishOut(slot);
      return;
    }
    this.outRetries[slot]!++;
    c[Counter.smSentReportRetry]!++;
    this.transmit(slot, lid, sm.serve(nowNs, sm.cost.smServiceNs));
  }

  private finishOut(slot: number): void {
    const job = this.outJob[slot]!;
    this.outActive[slot] = 0;
    this.outGen[slot] = (this.outGen[slot]! + 1) & 0xffff;
    this.outFree[this.outFreeCount++] = slot;
    this.outstanding--;
    this.unrefJob(job);
  }

  // ------------------------------------------------------------------ pools

  private jobBytes(job: number): Uint8Array {
    return this.jobMad.subarray(job * 256, job * 256 + 256);
  }

  private newJob(): number {
    if (this.jobFreeCount === 0) this.growJobs(this.jobCap * 2);
    const job = this.jobFree[--this.jobFreeCount]!;
    this.jobRefs[job] = 1; // the fan-out itself
    this.activeJobs++;
    return job;
  }

  private unrefJob(job: number): void {
    if (--this.jobRefs[job]! === 0) {
      this.jobFree[this.jobFreeCount++] = job;
      this.activeJobs--;
    }
  }

  private allocOut(): number {
    if (this.outFreeCount === 0) this.growOut(this.outCap * 2);
    const slot = this.outFree[--this.outFreeCount]!;
    this.outActive[slot] = 1;
    this.outstanding++;
    return slot;
  }

  private growJobs(n: number): void {
    const old = this.jobCap;
    const mad = new Uint8Array(n * 256);
    mad.set(this.jobMad);
    this.jobMad = mad;
    this.jobRefs = grow(this.jobRefs, n, Uint32Array);
    this.jobMode = grow(this.jobMode, n, Uint8Array);
    this.jobCursor = grow(this.jobCursor, n, Uint32Array);
    this.jobEnd = grow(this.jobEnd, n, Uint32Array);
    this.jobMatch = grow(this.jobMatch, n * 5, Uint32Array);
    const free = new Int32Array(n);
    free.set(this.jobFree.subarray(0, this.jobFreeCount));
    let f = this.jobFreeCount;
    for (let i = n - 1; i >= old; i--) free[f++] = i;
    this.jobFree = free;
    this.jobFreeCount = f;
    this.jobCap = n;
  }

  private growOut(n: number): void {
    const old = this.outCap;
    this.outJob = grow(this.outJob, n, Int32Array);
    this.outGen = grow(this.outGen, n, Uint16Array);
    this.outRetries = grow(this.outRetries, n, Uint8Array);
    this.outHigh = grow(this.outHigh, n, Uint32Array);
    this.outLow = grow(this.outLow, n, Uint32Array);
    this.outActive = grow(this.outActive, n, Uint8Array);
    const free = new Int32Array(n);
    free.set(this.outFree.subarray(0, this.outFreeCount));
    let f = this.outFreeCount;
    for (let i = n - 1; i >= old; i--) free[f++] = i;
    this.outFree = free;
    this.outFreeCount = f;
    this.outCap = n;
  }
}

type TypedArrayCtor<T> = { new (n: number): T };
function grow<T extends { length: number; set(a: ArrayLike<number>): void }>(a: T, n: number, ctor: TypedArrayCtor<T>): T {
  const b = new ctor(n);
  b.set(a as unknown as ArrayLike<number>);
  return b;
}

