// Reports: the SM forwards each notice to the matching subscribers as Report(Notice) MADs,
// each answered by a ReportResp, re-sent after cost.reportRespTimeoutNs up to
// cost.reportMaxRetries times (same TID, as OpenSM's transaction layer does), then re-driven in
// up to cost.reportRedriveRounds rounds with a doubling back-off before the subscriber is given
// up (smReportsAbandoned: a dead subscriber), all counted.
//
// A notice becomes a fan-out job: its Report MAD is built once into the job's 256-byte buffer,
// and one SmFanout event per Report walks the subscribers (the whole subscription list, as
// OpenSM's osm_report_notice does, or the interested hosts' list), so a notice to 6 M
// subscribers holds one buffer, not 6 M. Outstanding Reports live in typed arrays indexed by a
// slot that is also the TID's low word; the TID's high word carries the slot's generation, so
// a late ReportResp for a reused slot is recognised and ignored.
//
// The transmit path (issue 7 item 6) is a server of its own (`tx`), apart from the SA's request
// dispatcher: the list walk of a notice and every Report sent or re-sent take it, so Reports are
// paced by it while SA requests are answered from their own queue. Notices being reported wait
// in a run queue and take turns (round robin, one Report per turn); one SmFanout event fires
// each time the transmitter is free, so a Report's send decision and its departure happen at
// the same virtual time and a storm of notices costs one event per Report. Flow control: at most
// cost.reportWindow unanswered Reports in flight to one subscriber port (LID); a fan-out whose
// next subscriber's window is full waits on that port (FIFO per LID) and resumes when one of its
// Reports is answered, re-sent elsewhere or given up. Re-sends are never held back by the window.
// The backlog (subscriber entries still to walk, over every active notice) and the Reports in
// flight are tracked with their peaks: `repath run --json` shows them.
import {
  GSI_QP,
  Method,
  NoticeType,
  ProducerType,
  SaAttr,
  TrapNumber,
} from '../mad/constants.js';
import { MadView } from '../mad/mad-view.js';
import { setU32 } from '../mad/bytes.js';
import { EventKind } from '../engine/event-kinds.js';
import { Counter } from '../metrics/counters.js';
import { NoticeFields } from './subscriptions.js';
import type { SubnetManager } from './subnet-manager.js';
import { LIFE_CYCLE_VENDOR_ID, LifeCycleDevice } from './life-cycle.js';
import { ServiceQueue } from './service-queue.js';

/** High 16 bits of a Report TID: marks it as the SM's; the low 16 bits carry the slot generation. */
const REPORT_TID_TAG = 0x5e90 << 16;
const JOB_SCAN_ALL = 0;
const JOB_LIST = 1;

export class ReportSender {
  /** The transmit path: list walks and Reports (sent and re-sent) are served here, FIFO. */
  readonly tx = new ServiceQueue();
  private readonly view = new MadView();
  private readonly fields = new NoticeFields();
  // ---- jobs (one per notice being reported)
  private jobMad = new Uint8Array(0);
  /** Each job's 256 bytes as its own array (made when the pool grows, so sending allocates nothing). */
  private jobViews: Uint8Array[] = [];
  private jobRefs = new Uint32Array(0);
  private jobMode = new Uint8Array(0);
  private jobCursor = new Uint32Array(0);
  private jobEnd = new Uint32Array(0);
  /** Matching fields per job: isGeneric, type, trapNumber, producerType, issuerLid. */
  private jobMatch = new Uint32Array(0);
  /** Subscriber entries the job has still to walk (its share of the backlog). */
  private jobRemain = new Uint32Array(0);
  private jobFree = new Int32Array(0);
  private jobFreeCount = 0;
  private jobCap = 0;
  activeJobs = 0;
  /** Transmit-path cost still to charge at the job's next turn (its list walk or lookups). */
  private jobCharge = new Float64Array(0);
  // ---- run queue of notices waiting for the transmitter (ring of job ids)
  private run = new Int32Array(16);
  private runHead = 0;
  private runSize = 0;
  /** An SmFanout event is pending (the transmitter will take the next turn). */
  private turnPending = false;
  // ---- subscriber GUID lists of JOB_LIST jobs (arena, reset when no list job is active)
  private list = new Uint32Array(1024);
  private listTop = 0;
  private activeListJobs = 0;
  // ---- per-pf-interest scratch
  private idScratch = new Uint32Array(256);
  private hostStamp: Uint32Array;
  private stamp = 0;
  /** Registry id of each host's port GUID once a Report went to it (-1: not yet): saves a probe per Report. */
  private readonly hostKey: Int32Array;
  /**
   * Per subscription row, what the walk found the last time it offered that row a Report: the
   * subscriber's registry id (-1: never), its host if it is a port (else -1) and the SM's port
   * epoch then. A per-vguid fan-out offers every VM's row a Report per migration; with these the
   * offer probes one table (the vGUID's LID) instead of three (port map, LID, registry). A row
   * moved or reused holds another GUID, which its registry id's GUID no longer matches.
   */
  private rowKey = new Int32Array(0);
  private rowHost = new Int32Array(0);
  private rowEpoch = new Uint32Array(0);
  // ---- outstanding Reports
  private outJob = new Int32Array(0);
  private outGen = new Uint16Array(0);
  private outRetries = new Uint8Array(0);
  private outRedrives = new Uint8Array(0);
  private outHigh = new Uint32Array(0);
  private outLow = new Uint32Array(0);
  private outActive = new Uint8Array(0);
  /** Subscriber key (registry id) of the slot's Report: its place in that subscriber's window. */
  private outKey = new Uint32Array(0);
  private outFree = new Int32Array(0);
  private outFreeCount = 0;
  private outCap = 0;
  outstanding = 0;
  // ---- flow control per subscriber (indexed by the SM's registry id of the subscriber GUID)
  private inFlight = new Uint32Array(1024);
  private deferHead = new Int32Array(1024).fill(-1);
  private deferTail = new Int32Array(1024).fill(-1);
  /** Deferred Reports: pool entries (job, next in the subscriber's FIFO) and their free list. */
  private deferJob = new Int32Array(0);
  private deferNext = new Int32Array(0);
  private deferFree = new Int32Array(0);
  private deferFreeCount = 0;
  deferred = 0;
  // ---- notices owed to askers that were migrating when their notice went out (per-pf-interest)
  private owedHead = new Int32Array(0);
  private owedJob = new Int32Array(0);
  private owedNext = new Int32Array(0);
  private owedFree = new Int32Array(0);
  private owedFreeCount = 0;
  owed = 0;
  // ---- queue figures: Reports still to send (entries to walk) and in flight, with peaks
  backlog = 0;
  private peakBacklog = 0;
  private peakInFlight = 0;
  private backlogBase = 0;
  private inFlightBase = 0;

  constructor(private readonly sm: SubnetManager) {
    this.hostStamp = new Uint32Array(sm.hosts);
    this.hostKey = new Int32Array(sm.hosts).fill(-1);
    this.growJobs(16);
    this.growOut(256);
    this.growDeferred(64);
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
    this.addBacklog(job, sm.subscriptions.count);
    this.jobCharge[job] = sm.subscriptions.count * sm.cost.smScanPerSubscriptionNs;
    this.ready(job, nowNs);
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
      if (host < 0) {
        // The asker is migrating itself (deleted, parked, not yet set at its destination): the
        // notice is owed to it and goes to its new host when it arrives (onArrival).
        if (sm.trapTable.find(sm.regHigh[id]!, sm.regLow[id]!) >= 0) this.owe(job, id);
        continue;
      }
      if (this.hostStamp[host] === stamp) continue;
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
    this.addBacklog(job, (this.listTop - start) >>> 1);
    // The candidates were looked up, not scanned: charge the lookups like list entries.
    this.jobCharge[job] = k * sm.cost.smScanPerSubscriptionNs;
    this.ready(job, nowNs);
  }

  /** The job (a notice) wants the transmitter: into the run queue, and a turn scheduled if none is. */
  private ready(job: number, nowNs: number): void {
    if (this.runSize === this.run.length) {
      const r = new Int32Array(this.run.length * 2);
      for (let i = 0; i < this.runSize; i++) r[i] = this.run[(this.runHead + i) % this.run.length]!;
      this.run = r;
      this.runHead = 0;
    }
    this.run[(this.runHead + this.runSize) % this.run.length] = job;
    this.runSize++;
    this.scheduleTurn(nowNs);
  }

  private scheduleTurn(nowNs: number): void {
    if (this.turnPending || this.runSize === 0) return;
    this.turnPending = true;
    const busy = this.tx.busyUntilNs;
    this.sm.scheduler.push(busy > nowNs ? busy : nowNs, EventKind.SmFanout, 0, 0, 0);
  }

  /** One SmFanout event: the transmitter is free; the notice whose turn it is sends its next Report. */
  fanoutTurn(nowNs: number): void {
    this.turnPending = false;
    if (this.runSize === 0) return;
    const job = this.run[this.runHead]!;
    this.runHead = (this.runHead + 1) % this.run.length;
    this.runSize--;
    if (this.jobCharge[job]! > 0) {
      this.tx.serve(nowNs, this.jobCharge[job]!);
      this.jobCharge[job] = 0;
    }
    this.fanoutStep(job, nowNs);
    this.scheduleTurn(nowNs);
  }

  /**
   * The job's turn: send its next Report (if any) and queue the job for another turn. A
   * subscriber whose window is full does not hold the notice up: its Report is deferred to the
   * subscriber's own queue and the walk goes on to the next subscriber.
   */
  private fanoutStep(job: number, nowNs: number): void {
    const sm = this.sm;
    let cursor = this.jobCursor[job]!;
    const from = cursor;
    const end = this.jobEnd[job]!;
    const scan = this.jobMode[job] === JOB_SCAN_ALL;
    const limit = scan ? Math.min(end, sm.subscriptions.count) : end;
    if (scan) {
      const subs = sm.subscriptions;
      const f = this.loadFields(job);
      while (cursor < limit) {
        const r = cursor++;
        if (subs.matches(r, f) && this.offer(job, subs.subscriberHigh(r), subs.subscriberLow(r), nowNs, r)) break;
      }
    } else {
      while (cursor < end) {
        const high = this.list[cursor]!;
        const low = this.list[cursor + 1]!;
        cursor += 2;
        if (this.offer(job, high, low, nowNs)) break;
      }
    }
    this.jobCursor[job] = cursor;
    this.walked(job, scan ? cursor - from : (cursor - from) >>> 1);
    if (cursor < limit) {
      this.ready(job, nowNs);
    } else {
      this.walked(job, this.jobRemain[job]!);
      if (!scan && --this.activeListJobs === 0) this.listTop = 0;
      this.unrefJob(job);
    }
  }

  /**
   * The job's Report for subscriber (high, low), of subscription row `row` (-1: from a list):
   * sent now (true: this turn's Report), deferred behind the subscriber's full window, or counted
   * undeliverable (false: the walk goes on).
   */
  private offer(job: number, high: number, low: number, nowNs: number, row = -1): boolean {
    const sm = this.sm;
    let key = -1;
    let host: number;
    const remembered = row >= 0 && row < this.rowKey.length && this.rowEpoch[row] === sm.portEpoch && (key = this.rowKey[row]!) >= 0 && sm.regHigh[key] === high && sm.regLow[key] === low;
    if (remembered) {
      host = this.rowHost[row]!;
    } else {
      key = -1;
      host = sm.portHost.get(high, low);
    }
    // sm.lidOfGuid and transmit's port test in one pass: a vGUID's LID first, else the port's
    // (a port GUID is in the LID-vGUID table only if portGuidsAsVguids says so).
    let lid = host >= 0 && sm.portGuidsAsVguids === 0 ? -1 : sm.lidVguid.lid(high, low);
    if (lid < 0 && host >= 0) lid = sm.hostLid[host]!;
    if (lid < 0) {
      sm.counters.v[Counter.smReportsUndeliverable]!++;
      return false;
    }
    if (key < 0 && host >= 0) {
      // A port subscriber (per-pf): its registry id is remembered per host.
      key = this.hostKey[host]!;
      if (key < 0 || sm.regHigh[key] !== high || sm.regLow[key] !== low) {
        key = this.subscriberKey(high, low);
        this.hostKey[host] = key;
      }
    } else if (key < 0) {
      key = this.subscriberKey(high, low);
    }
    if (row >= 0 && !remembered) this.rememberRow(row, key, host);
    const reportHosts = sm.reportHosts;
    if (reportHosts !== undefined && reportHosts[sm.lidHost[lid]!] !== 1) {
      // Another replica's host: the turn is taken (the transmitter's time), nothing is sent.
      this.tx.serve(nowNs, sm.cost.smServiceNs);
      return true;
    }
    if (this.inFlight[key]! >= sm.cost.reportWindow) {
      this.defer(job, key);
      return false;
    }
    this.sendReport(job, high, low, key, lid, host >= 0, nowNs);
    return true;
  }

  private rememberRow(row: number, key: number, host: number): void {
    if (row >= this.rowKey.length) {
      const n = Math.max(row + 1, this.rowKey.length * 2, 256);
      const k = new Int32Array(n).fill(-1);
      k.set(this.rowKey);
      this.rowKey = k;
      this.rowHost = grow(this.rowHost, n, Int32Array);
      this.rowEpoch = grow(this.rowEpoch, n, Uint32Array);
    }
    this.rowKey[row] = key;
    this.rowHost[row] = host;
    this.rowEpoch[row] = this.sm.portEpoch;
  }

  /** Sends one Report of `job` to subscriber GUID (high, low) at `lid`. */
  private sendReport(job: number, high: number, low: number, key: number, lid: number, isPort: boolean, nowNs: number): void {
    const sm = this.sm;
    const c = sm.counters.v;
    const slot = this.allocOut();
    this.outJob[slot] = job;
    this.outHigh[slot] = high;
    this.outLow[slot] = low;
    this.outRetries[slot] = 0;
    this.outRedrives[slot] = 0;
    this.outKey[slot] = key;
    this.inFlight[key]!++;
    this.jobRefs[job]!++;
    c[Counter.smSentReport]!++;
    if (this.outstanding > this.peakInFlight) {
      this.peakInFlight = this.outstanding;
      c[Counter.smPeakReportsInFlight] = this.inFlightBase + this.peakInFlight;
    }
    this.transmit(slot, lid, isPort, this.tx.serve(nowNs, sm.cost.smServiceNs));
  }

  // ------------------------------------------------------------------ flow control, backlog

  /** Dense per-subscriber index (the SM's GUID registry), with the per-subscriber arrays grown to fit. */
  private subscriberKey(high: number, low: number): number {
    const key = this.sm.registryId(high, low);
    if (key >= this.inFlight.length) {
      const n = Math.max(key + 1, this.inFlight.length * 2);
      this.inFlight = grow(this.inFlight, n, Uint32Array);
      const h = new Int32Array(n).fill(-1);
      h.set(this.deferHead);
      this.deferHead = h;
      const t = new Int32Array(n).fill(-1);
      t.set(this.deferTail);
      this.deferTail = t;
    }
    return key;
  }

  /** The subscriber's window is full: the job's Report waits in the subscriber's FIFO. */
  private defer(job: number, key: number): void {
    if (this.deferFreeCount === 0) this.growDeferred(this.deferJob.length * 2);
    const e = this.deferFree[--this.deferFreeCount]!;
    this.deferJob[e] = job;
    this.deferNext[e] = -1;
    const tail = this.deferTail[key]!;
    if (tail < 0) this.deferHead[key] = e;
    else this.deferNext[tail] = e;
    this.deferTail[key] = e;
    this.jobRefs[job]!++; // the job's MAD must outlive the walk
    this.deferred++;
    this.sm.counters.v[Counter.smReportWindowWaits]!++;
    this.notePeakBacklog();
  }

  /** One of the subscriber's Reports left its window: its oldest deferred Report goes out now. */
  private release(key: number, nowNs: number): void {
    this.inFlight[key]!--;
    const sm = this.sm;
    while (this.deferHead[key]! >= 0 && this.inFlight[key]! < sm.cost.reportWindow) {
      const e = this.deferHead[key]!;
      const job = this.deferJob[e]!;
      const next = this.deferNext[e]!;
      this.deferHead[key] = next;
      if (next < 0) this.deferTail[key] = -1;
      this.deferFree[this.deferFreeCount++] = e;
      this.deferred--;
      const high = sm.regHigh[key]!;
      const low = sm.regLow[key]!;
      const lid = sm.lidOfGuid(high, low);
      if (lid < 0) sm.counters.v[Counter.smReportsUndeliverable]!++;
      else this.sendReport(job, high, low, key, lid, sm.portHost.get(high, low) >= 0, nowNs);
      this.unrefJob(job); // the deferral's reference (sendReport took its own)
    }
  }

  /** Remembers that `job`'s notice is owed to registry id `id` (a migrating asker). */
  private owe(job: number, id: number): void {
    if (id >= this.owedHead.length) {
      const h = new Int32Array(Math.max(id + 1, this.owedHead.length * 2, 1024)).fill(-1);
      h.set(this.owedHead);
      this.owedHead = h;
    }
    if (this.owedFreeCount === 0) {
      const n = Math.max(64, this.owedJob.length * 2);
      const old = this.owedJob.length;
      this.owedJob = grow(this.owedJob, n, Int32Array);
      this.owedNext = grow(this.owedNext, n, Int32Array);
      const free = new Int32Array(n);
      free.set(this.owedFree.subarray(0, this.owedFreeCount));
      let f = this.owedFreeCount;
      for (let i = n - 1; i >= old; i--) free[f++] = i;
      this.owedFree = free;
      this.owedFreeCount = f;
    }
    const e = this.owedFree[--this.owedFreeCount]!;
    this.owedJob[e] = job;
    this.owedNext[e] = this.owedHead[id]!;
    this.owedHead[id] = e;
    this.jobRefs[job]!++; // the job's MAD must outlive its walk
    this.owed++;
    this.sm.counters.v[Counter.smNoticesOwed]!++;
  }

  /**
   * The vGUID (high, low) is set at a port again: the notices owed to it while it migrated go to
   * its new host now, if that host's subscription matches (Dom0 forwards them to the VMs caching
   * the notice's vGUID, the arriving one among them). With `deliver` false (the vGUID is gone for
   * good) they are dropped.
   */
  onArrival(high: number, low: number, nowNs: number, deliver = true): void {
    if (this.owed === 0) return;
    const sm = this.sm;
    const id = sm.registry.get(high, low);
    if (id < 0 || id >= this.owedHead.length || this.owedHead[id]! < 0) return;
    const host = deliver ? sm.hostOfGuid(high, low) : -1;
    let e = this.owedHead[id]!;
    this.owedHead[id] = -1;
    while (e >= 0) {
      const job = this.owedJob[e]!;
      const next = this.owedNext[e]!;
      this.owedFree[this.owedFreeCount++] = e;
      this.owed--;
      if (host >= 0) {
        const ph = sm.hostPortGuidHigh[host]!;
        const pl = sm.hostPortGuidLow[host]!;
        if (sm.subscriptions.firstMatchOf(ph, pl, this.loadFields(job)) >= 0) {
          sm.counters.v[Counter.smNoticesOwedDelivered]!++;
          this.offer(job, ph, pl, nowNs);
        }
      }
      this.unrefJob(job);
      e = next;
    }
  }

  private growDeferred(n: number): void {
    const old = this.deferJob.length;
    this.deferJob = grow(this.deferJob, n, Int32Array);
    this.deferNext = grow(this.deferNext, n, Int32Array);
    const free = new Int32Array(n);
    free.set(this.deferFree.subarray(0, this.deferFreeCount));
    let f = this.deferFreeCount;
    for (let i = n - 1; i >= old; i--) free[f++] = i;
    this.deferFree = free;
    this.deferFreeCount = f;
  }

  private addBacklog(job: number, entries: number): void {
    this.jobRemain[job] = entries;
    this.backlog += entries;
    this.notePeakBacklog();
  }

  /** Reports owed and not yet sent: entries still to walk plus Reports deferred behind a window. */
  private notePeakBacklog(): void {
    const q = this.backlog + this.deferred;
    if (q > this.peakBacklog) {
      this.peakBacklog = q;
      this.sm.counters.v[Counter.smPeakReportQueue] = this.backlogBase + this.peakBacklog;
    }
  }

  private walked(job: number, entries: number): void {
    const n = entries < this.jobRemain[job]! ? entries : this.jobRemain[job]!;
    this.jobRemain[job] = this.jobRemain[job]! - n;
    this.backlog -= n;
  }

  /** Starts a new phase for the peak counters (see SubnetManager.resetQueuePeaks). */
  resetPeaks(): void {
    const c = this.sm.counters.v;
    this.peakBacklog = this.backlog + this.deferred;
    this.peakInFlight = this.outstanding;
    this.backlogBase = c[Counter.smPeakReportQueue]! - this.peakBacklog;
    this.inFlightBase = c[Counter.smPeakReportsInFlight]! - this.peakInFlight;
  }

  /**
   * Puts the Report of `slot` on the wire. The notice was encoded once into its job's MAD; only
   * the TID (the slot and its generation) is stamped per Report, in place.
   */
  private transmit(slot: number, lid: number, isPort: boolean, departNs: number): void {
    const sm = this.sm;
    const job = this.outJob[slot]!;
    const mad = this.jobViews[job]!;
    const gen = this.outGen[slot]!;
    setU32(mad, 8, (REPORT_TID_TAG | gen) >>> 0);
    setU32(mad, 12, slot);
    const high = this.outHigh[slot]!;
    const low = this.outLow[slot]!;
    // A port subscriber is the PF itself (no GRH needed); a vGUID subscriber is named by the DGID.
    sm.transport.send(mad, sm.smLid, GSI_QP, sm.smPortGuidHigh, sm.smPortGuidLow, lid, GSI_QP, isPort ? 0 : high, isPort ? 0 : low, departNs);
    sm.scheduler.push(departNs + sm.cost.reportRespTimeoutNs, EventKind.SmReportTimeout, slot, gen, 0);
  }

  /** A ReportResp arrived (matched by TID; no service time). */
  onReportResp(tidHigh: number, tidLow: number, nowNs: number): void {
    const slot = tidLow;
    if (
      slot >= this.outCap ||
      this.outActive[slot] === 0 ||
      tidHigh >>> 0 !== (REPORT_TID_TAG | this.outGen[slot]!) >>> 0
    ) {
      this.sm.counters.v[Counter.smReportRespUnmatched]!++;
      return;
    }
    this.finishOut(slot, nowNs);
  }

  /** The ReportResp timer of `slot` ran out. */
  onTimeout(slot: number, gen: number, nowNs: number): void {
    if (slot >= this.outCap || this.outActive[slot] === 0 || this.outGen[slot] !== gen) return; // answered meanwhile
    const sm = this.sm;
    const c = sm.counters.v;
    if (this.outRetries[slot]! >= sm.cost.reportMaxRetries && this.outRedrives[slot]! < sm.cost.reportRedriveRounds) {
      // The round's re-sends ran out. A lossy fabric must not lose the update: re-drive the same
      // Report (same TID) after a doubling back-off with a fresh round of re-sends. The slot keeps
      // its place in the subscriber's window meanwhile: a silent subscriber holds no more.
      const round = ++this.outRedrives[slot]!;
      c[Counter.smReportsRedriven]!++;
      this.outRetries[slot] = 0;
      sm.scheduler.push(nowNs + sm.cost.reportRespTimeoutNs * 2 ** round, EventKind.SmReportTimeout, slot, gen, 0);
      return;
    }
    if (this.outRetries[slot]! >= sm.cost.reportMaxRetries) {
      c[Counter.smReportsAbandoned]!++;
      this.finishOut(slot, nowNs);
      return;
    }
    const lid = sm.lidOfGuid(this.outHigh[slot]!, this.outLow[slot]!);
    if (lid < 0) {
      c[Counter.smReportsUndeliverable]!++;
      this.finishOut(slot, nowNs);
      return;
    }
    this.outRetries[slot]!++;
    c[Counter.smSentReportRetry]!++;
    this.transmit(slot, lid, sm.portHost.get(this.outHigh[slot]!, this.outLow[slot]!) >= 0, this.tx.serve(nowNs, sm.cost.smServiceNs));
  }

  private finishOut(slot: number, nowNs: number): void {
    const job = this.outJob[slot]!;
    this.outActive[slot] = 0;
    this.outGen[slot] = (this.outGen[slot]! + 1) & 0xffff;
    this.outFree[this.outFreeCount++] = slot;
    this.outstanding--;
    this.release(this.outKey[slot]!, nowNs);
    this.unrefJob(job);
  }

  // ------------------------------------------------------------------ pools

  private jobBytes(job: number): Uint8Array {
    return this.jobViews[job]!;
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
    const views: Uint8Array[] = new Array<Uint8Array>(n);
    for (let i = 0; i < n; i++) views[i] = mad.subarray(i * 256, i * 256 + 256);
    this.jobViews = views;
    this.jobRefs = grow(this.jobRefs, n, Uint32Array);
    this.jobMode = grow(this.jobMode, n, Uint8Array);
    this.jobCursor = grow(this.jobCursor, n, Uint32Array);
    this.jobEnd = grow(this.jobEnd, n, Uint32Array);
    this.jobMatch = grow(this.jobMatch, n * 5, Uint32Array);
    this.jobRemain = grow(this.jobRemain, n, Uint32Array);
    this.jobCharge = grow(this.jobCharge, n, Float64Array);
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
    this.outRedrives = grow(this.outRedrives, n, Uint8Array);
    this.outHigh = grow(this.outHigh, n, Uint32Array);
    this.outLow = grow(this.outLow, n, Uint32Array);
    this.outActive = grow(this.outActive, n, Uint8Array);
    this.outKey = grow(this.outKey, n, Uint32Array);
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

