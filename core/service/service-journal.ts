// Between the signalling service's mirror SM (typed arrays, the hot path) and its SQLite store
// (service-store.ts): what one handled MAD changed, written as one transaction before the MAD
// that acknowledges it leaves, and, on start, the tables loaded back from the store.
//
// The SM's handlers (core/sm) know nothing of persistence. The service tells the journal what a
// step may change before it runs — the vGUIDs a GUIDInfoRecord answer or a life-cycle trap
// names (touch), an InformInfo (noteInform), a new host port (noteHost) — and the journal,
// at flush, compares each touched vGUID with the state it saw at touch time and writes only the
// rows that differ. Notices are derived the way Algorithm 1 emits them: a vGUID now on a port at
// LID L1 that was parked (or on a port) at LID L0 != L1 got a RePath; a parked record that is
// neither parked nor on a port any more (trap expiry, or eviction from a full trap table) got an
// UnPath. The SM's notice counters cross-check the derivation (journal mismatches, must stay 0).
//
// Pending notices: a RePath/UnPath is written with the change that caused it, and all pending
// notices are retired when the Report sender is idle (no fan-out running, no Report waiting for
// its ReportResp). On restart the pending ones are reported again to every matching subscriber:
// delivery is at least once; a repeat is harmless (Algorithm 3 updates a cache only when the
// DLID differs, and the notice carries the same sequence).
import { TrapNumber, VmState } from '../mad/constants.js';
import type { Scheduler } from '../engine/event-queue.js';
import { Counter } from '../metrics/counters.js';
import type { SubnetManager } from '../sm/subnet-manager.js';
import { InformFields, SUBSCRIPTION_EXISTS } from '../sm/subscriptions.js';
import { ServiceStoreError, type ServiceStore } from './service-store.js';

/** What a start found in the database. */
export interface RestoreSummary {
  hosts: number;
  aliases: number;
  parked: number;
  subscriptions: number;
  /** Pending RePath/UnPath notices reported again. */
  noticesResent: number;
}

export interface JournalStats {
  /** Transactions written (one per handled MAD or event that changed something). */
  transactions: number;
  /** Notices the journal derived and the SM's counters did not agree with (must be 0). */
  mismatches: number;
  noticesWritten: number;
  noticesRetired: number;
}

const NONE = -1;

export class ServiceJournal {
  readonly stats: JournalStats = { transactions: 0, mismatches: 0, noticesWritten: 0, noticesRetired: 0 };
  /** Scratch the service fills from an InformInfo before handing it to the SM. */
  readonly informFields = new InformFields();
  private readonly sm: SubnetManager;
  private readonly store: ServiceStore;
  /** Wall-clock ms at scheduler time 0: park times are kept as wall time across processes. */
  private readonly wallAtZeroMs: number;
  // ---- touched vGUIDs and their state when first touched since the last flush
  private cap = 64;
  private count = 0;
  private key = new Uint32Array(this.cap * 2);
  /** On a port: LID, host, alias index (NONE when not on a port). */
  private bLid = new Int32Array(this.cap);
  private bHost = new Int32Array(this.cap);
  private bIndex = new Int32Array(this.cap);
  /** Parked: old LID (NONE when not parked), park time, port GUID halves. */
  private bParkLid = new Int32Array(this.cap);
  private bParkAt = new Float64Array(this.cap);
  private bPort = new Uint32Array(this.cap * 2);
  private bState = new Int32Array(this.cap);
  private bSeq = new Float64Array(this.cap);
  // ---- other pending writes
  private hosts = new Int32Array(16);
  private hostCount = 0;
  private informPending = false;
  private informSubHigh = 0;
  private informSubLow = 0;
  private readonly pendingFields = new InformFields();
  private subBase = 0;
  private rePathBase = 0;
  private unPathBase = 0;
  /** Notices written and not yet retired. */
  private pendingNotices = 0;
  // ---- what the current flush found (read by writeStep)
  private stepRetire = false;
  private stepSubDelta = 0;
  private stepUnPathDelta = 0;
  private stepRePaths = 0;
  private stepUnPaths = 0;

  constructor(sm: SubnetManager, store: ServiceStore, scheduler: Scheduler, wallClockMs: () => number = Date.now) {
    this.sm = sm;
    this.store = store;
    this.wallAtZeroMs = wallClockMs() - scheduler.nowNs / 1e6;
    this.rebase();
  }

  // ------------------------------------------------------------------ noting what a step may change

  /** The step about to run may change vGUID (high, low): remember its state now (first touch wins). */
  touch(high: number, low: number): void {
    if ((high | low) === 0) return;
    high >>>= 0;
    low >>>= 0;
    const k = this.key;
    for (let i = 0; i < this.count; i++) if (k[i * 2] === high && k[i * 2 + 1] === low) return;
    if (this.count === this.cap) this.grow();
    const i = this.count++;
    this.key[i * 2] = high;
    this.key[i * 2 + 1] = low;
    const sm = this.sm;
    const lid = sm.lidVguid.lid(high, low);
    this.bLid[i] = lid;
    this.bHost[i] = lid >= 0 ? sm.lidVguid.host(high, low) : NONE;
    this.bIndex[i] = lid >= 0 ? sm.lidVguid.port(high, low) : NONE;
    const t = sm.trapTable;
    const s = t.find(high, low);
    this.bParkLid[i] = s >= 0 ? t.oldLid(s) : NONE;
    this.bParkAt[i] = s >= 0 ? t.parkedAt(s) : 0;
    this.bPort[i * 2] = s >= 0 ? t.portGuidHigh(s) : lid >= 0 ? sm.hostPortGuidHigh[this.bHost[i]!]! : 0;
    this.bPort[i * 2 + 1] = s >= 0 ? t.portGuidLow(s) : lid >= 0 ? sm.hostPortGuidLow[this.bHost[i]!]! : 0;
    const id = sm.registry.get(high, low);
    this.bState[i] = id >= 0 ? sm.regState[id]! : NONE;
    this.bSeq[i] = id >= 0 ? sm.regSeq[id]! : NONE;
  }

  /** Host slot `host` was registered (or re-registered) in this step. */
  noteHost(host: number): void {
    if (this.hostCount === this.hosts.length) {
      const h = new Int32Array(this.hosts.length * 2);
      h.set(this.hosts);
      this.hosts = h;
    }
    this.hosts[this.hostCount++] = host;
  }

  /** The SM is about to handle an InformInfo Set from subscriber (high, low) with `informFields`. */
  noteInform(subHigh: number, subLow: number): void {
    const f = this.informFields;
    const p = this.pendingFields;
    this.informPending = true;
    this.informSubHigh = subHigh >>> 0;
    this.informSubLow = subLow >>> 0;
    p.gidPrefixHigh = f.gidPrefixHigh;
    p.gidPrefixLow = f.gidPrefixLow;
    p.gidGuidHigh = f.gidGuidHigh;
    p.gidGuidLow = f.gidGuidLow;
    p.lidRangeBegin = f.lidRangeBegin;
    p.lidRangeEnd = f.lidRangeEnd;
    p.isGeneric = f.isGeneric;
    p.type = f.type;
    p.trapNumber = f.trapNumber;
    p.qpnWord = f.qpnWord;
    p.producerType = f.producerType;
  }

  // ------------------------------------------------------------------ flush

  /**
   * Writes what the step changed, in one transaction. Called before any MAD leaves the service
   * and after every handled MAD or event; nearly free when nothing changed.
   */
  flush(): void {
    const sm = this.sm;
    const c = sm.counters.v;
    const subDelta = sm.subscriptions.count - this.subBase;
    const unPathDelta = c[Counter.smNoticesUnPath]! - this.unPathBase;
    const rePathDelta = c[Counter.smNoticesRePath]! - this.rePathBase;
    const retire = this.pendingNotices > 0 && sm.reports.activeJobs === 0;
    if (this.count === 0 && this.hostCount === 0 && subDelta === 0 && unPathDelta === 0 && rePathDelta === 0 && !retire) {
      this.informPending = false;
      return;
    }
    this.stepRetire = retire;
    this.stepSubDelta = subDelta;
    this.stepUnPathDelta = unPathDelta;
    this.stepRePaths = 0;
    this.stepUnPaths = 0;
    this.store.transaction(this.writeStep);
    this.stats.transactions++;
    if (this.stepRePaths !== rePathDelta || this.stepUnPaths !== unPathDelta) this.stats.mismatches++;
    this.count = 0;
    this.hostCount = 0;
    this.informPending = false;
    this.rebase();
  }

  /** The body of flush's transaction (one bound function: no closure per step). */
  private readonly writeStep = (): void => {
    const sm = this.sm;
    // Retired first: when the sender is idle, no notice was emitted in this step.
    if (this.stepRetire) {
      this.stats.noticesRetired += this.store.retireNotices();
      this.pendingNotices = 0;
    }
    for (let i = 0; i < this.hostCount; i++) {
      const h = this.hosts[i]!;
      this.store.putHost(h, sm.hostLid[h]!, sm.hostPortGuidHigh[h]!, sm.hostPortGuidLow[h]!);
    }
    const subDelta = this.stepSubDelta;
    if (subDelta !== 0) {
      if (!this.informPending || (subDelta !== 1 && subDelta !== -1)) {
        this.stats.mismatches++;
      } else if (subDelta === 1) {
        this.store.addSubscription(this.informSubHigh, this.informSubLow, this.pendingFields);
      } else if (!this.store.removeSubscription(this.informSubHigh, this.informSubLow, this.pendingFields)) {
        this.stats.mismatches++;
      }
    }
    if (this.stepUnPathDelta > 0) this.stepUnPaths = this.reconcileParked();
    for (let i = 0; i < this.count; i++) this.stepRePaths += this.syncTouched(i);
  };

  /** Writes touched vGUID i's rows where they changed; returns 1 when it got a RePath. */
  private syncTouched(i: number): number {
    const sm = this.sm;
    const store = this.store;
    const high = this.key[i * 2]!;
    const low = this.key[i * 2 + 1]!;
    const lid = sm.lidVguid.lid(high, low);
    let rePath = 0;
    if (lid >= 0) {
      const host = sm.lidVguid.host(high, low);
      const index = sm.lidVguid.port(high, low);
      if (lid !== this.bLid[i] || host !== this.bHost[i] || index !== this.bIndex[i]) store.putAlias(high, low, host, index, lid);
      const oldLid = this.bParkLid[i]! >= 0 ? this.bParkLid[i]! : this.bLid[i]!;
      if (oldLid >= 0 && oldLid !== lid) {
        rePath = 1;
        this.writeNotice(TrapNumber.RePath, high, low, lid, oldLid, VmState.Running, sm.hostPortGuidHigh[host]!, sm.hostPortGuidLow[host]!, this.bPort[i * 2]!, this.bPort[i * 2 + 1]!);
      }
    } else if (this.bLid[i]! >= 0) {
      store.deleteAlias(high, low);
    }
    const t = sm.trapTable;
    const s = t.find(high, low);
    if (s >= 0) {
      if (this.bParkLid[i]! < 0 || t.parkedAt(s) !== this.bParkAt[i]) {
        store.park(high, low, t.oldLid(s), t.host(s), t.portGuidHigh(s), t.portGuidLow(s), this.wallMs(t.parkedAt(s)));
      }
    } else if (this.bParkLid[i]! >= 0) {
      store.unpark(high, low);
    }
    this.syncRegistry(high, low, this.bState[i]!, this.bSeq[i]!);
    return rePath;
  }

  /** The vGUID's life-cycle state and notice sequence, when they changed. */
  private syncRegistry(high: number, low: number, beforeState: number, beforeSeq: number): void {
    const sm = this.sm;
    const id = sm.registry.get(high, low);
    if (id < 0) return;
    if (sm.regState[id] !== beforeState || sm.regSeq[id] !== beforeSeq) this.store.putVguid(high, low, sm.regState[id]!, sm.regSeq[id]!);
  }

  /**
   * UnPath notices left the trap table without a Set (expiry, or eviction when full): the stored
   * parked rows that are neither parked nor on a port any more. Rare: reads the parked rows.
   */
  private reconcileParked(): number {
    const sm = this.sm;
    const gone: number[] = [];
    this.store.forEachParked((high, low, oldLid, _host, portHigh, portLow) => {
      if (sm.trapTable.find(high, low) < 0 && sm.lidVguid.lid(high, low) < 0) gone.push(high, low, oldLid, portHigh, portLow);
    });
    for (let g = 0; g < gone.length; g += 5) {
      const high = gone[g]!;
      const low = gone[g + 1]!;
      this.store.unpark(high, low);
      this.writeNotice(TrapNumber.UnPath, high, low, 0, gone[g + 2]!, VmState.Gone, 0, 0, gone[g + 3]!, gone[g + 4]!);
      this.syncRegistry(high, low, NONE, NONE);
    }
    return gone.length / 5;
  }

  private writeNotice(trap: number, high: number, low: number, newLid: number, oldLid: number, vmState: number, nph: number, npl: number, oph: number, opl: number): void {
    const sm = this.sm;
    const id = sm.registry.get(high, low);
    this.store.addNotice(trap, high, low, newLid, oldLid, vmState, nph, npl, oph, opl, id >= 0 ? sm.regSeq[id]! : 0);
    this.pendingNotices++;
    this.stats.noticesWritten++;
  }

  // ------------------------------------------------------------------ restore

  /**
   * Loads the tables from the store into the mirror SM (which must be fresh) and reports the
   * pending notices again. Returns what was loaded and the next free host slot.
   */
  restore(nowNs: number): { summary: RestoreSummary; nextHost: number } {
    const sm = this.sm;
    const store = this.store;
    const fail = (problem: string): never => {
      throw new ServiceStoreError(store.path, problem);
    };
    let nextHost = 0;
    let hosts = 0;
    store.forEachHost((h, lid, gh, gl) => {
      if (h >= sm.hosts) fail(`host slot ${h} is beyond --max-hosts ${sm.hosts}`);
      sm.registerHost(h, lid, gh, gl);
      if (h + 1 > nextHost) nextHost = h + 1;
      hosts++;
    });
    store.forEachVguid((high, low, state, seq) => {
      const id = sm.registryId(high, low);
      sm.regState[id] = state;
      sm.regSeq[id] = seq;
    });
    let aliases = 0;
    store.forEachAlias((high, low, host, index, _lid) => {
      if (host >= sm.hosts || (sm.hostPortGuidHigh[host]! | sm.hostPortGuidLow[host]!) === 0) fail(`alias ${guid(high, low)} names host slot ${host}, which is not in the host table`);
      if (index < 1 || index >= sm.guidCap) fail(`alias ${guid(high, low)} at index ${index}, outside 1..${sm.guidCap - 1}`);
      const k = host * sm.guidCap + index;
      sm.aliasHigh[k] = high;
      sm.aliasLow[k] = low;
      const state = sm.vguidState(high, low);
      sm.lidVguid.set(high, low, sm.hostLid[host]!, index, host, state === 0 ? 1 : state);
      aliases++;
    });
    let parked = 0;
    let lastNs = -Infinity;
    store.forEachParked((high, low, oldLid, host, ph, pl, wallMs) => {
      // Park order is preserved; wall clocks can step back, the trap table's ring cannot.
      const ns = Math.max(lastNs, (wallMs - this.wallAtZeroMs) * 1e6);
      lastNs = ns;
      sm.trapTable.park(high, low, oldLid, host, ph, pl, ns);
      parked++;
    });
    let subscriptions = 0;
    store.forEachSubscription(new InformFields(), (subHigh, subLow, f) => {
      const r = sm.subscriptions.add(subHigh, subLow, f);
      if (r < 0 && r !== SUBSCRIPTION_EXISTS) fail(`subscription of ${guid(subHigh, subLow)} does not fit the subscription table's bounds`);
      subscriptions++;
    });
    if (sm.cost.trapExpiryNs !== Infinity && sm.trapTable.size > 0) {
      sm.scheduleExpiry(sm.trapTable.parkedAt(sm.trapTable.oldest) + sm.cost.trapExpiryNs);
    }
    const notices = store.notices();
    for (const n of notices) {
      sm.reports.emitPath(n.trap, n.vguidHigh, n.vguidLow, n.newLid, n.oldLid, n.vmState, n.newPortHigh, n.newPortLow, n.oldPortHigh, n.oldPortLow, n.seq, nowNs);
    }
    this.pendingNotices = notices.length;
    this.rebase();
    return { summary: { hosts, aliases, parked, subscriptions, noticesResent: notices.length }, nextHost };
  }

  private rebase(): void {
    const c = this.sm.counters.v;
    this.subBase = this.sm.subscriptions.count;
    this.rePathBase = c[Counter.smNoticesRePath]!;
    this.unPathBase = c[Counter.smNoticesUnPath]!;
  }

  private wallMs(ns: number): number {
    return this.wallAtZeroMs + ns / 1e6;
  }

  private grow(): void {
    const n = this.cap * 2;
    const g32 = (a: Int32Array, m = 1) => {
      const b = new Int32Array(n * m);
      b.set(a);
      return b;
    };
    const k = new Uint32Array(n * 2);
    k.set(this.key);
    this.key = k;
    const p = new Uint32Array(n * 2);
    p.set(this.bPort);
    this.bPort = p;
    const at = new Float64Array(n);
    at.set(this.bParkAt);
    this.bParkAt = at;
    const sq = new Float64Array(n);
    sq.set(this.bSeq);
    this.bSeq = sq;
    this.bLid = g32(this.bLid);
    this.bHost = g32(this.bHost);
    this.bIndex = g32(this.bIndex);
    this.bParkLid = g32(this.bParkLid);
    this.bState = g32(this.bState);
    this.cap = n;
  }
}

function guid(high: number, low: number): string {
  return `0x${(high >>> 0).toString(16).padStart(8, '0')}${(low >>> 0).toString(16).padStart(8, '0')}`;
}
