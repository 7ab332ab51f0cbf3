// The hypervisors' management domains (Dom0), one object for every host, indexed by host.
// Per host: the PF's LID and port GUID, the GUID admin table (GuidCache: VF slots -> vGUID)
// and which VM sits in which slot; for per-pf-interest an inverted index vGUID -> local VMs
// caching it. Dom0 talks to the SM only with MADs through the transport, and to its VMs only
// through the VfEndpoint interface (the PF<->VF tunnel, not on the wire). The native path runs
// this same class with hosts = 1 in one process per hypervisor.
//
// GSI demultiplexing: all VFs share the port's LID and QP1, so a MAD whose GRH DGID is a vGUID
// is handed to the VF holding it (GuidCache.findSlot); anything else is for Dom0 itself.
// Every MAD a VF sends leaves through the PF (sendFromVf) and is counted as tunnelled.
//
// Issue 7 (reliability, security): InformInfo Sets and life-cycle Traps are re-sent until
// answered (clientRespTimeoutNs, clientMaxRetries), like the GUIDInfoRecord requests; a Report
// is taken only from the SM's LID (or a trusted service LID), QP1, the SM's GID if a GRH names
// one, and the configured SM_Key; a VF may only speak for itself (tunnel-policy.ts). Every
// refusal and every MAD nothing is done with is counted (dom0SpoofedNotices, dom0TunnelRefused,
// dom0Dropped, dom0Unroutable): no silent loss.
import {
  DEFAULT_SUBNET_PREFIX_HIGH,
  DEFAULT_SUBNET_PREFIX_LOW,
  GSI_QP,
  GuidInfoRecordMask,
  INFORM_ALL_LIDS,
  INFORM_ANY_TRAP,
  INFORM_ANY_TYPE,
  MadStatus,
  Method,
  MgmtClass,
  NoticeType,
  ProducerType,
  SaAttr,
  SMP_DATA_OFFSET,
  SmpAttr,
  TrapNumber,
  VmState,
} from '../mad/constants.js';
import { BytesRef, setU16, setU32, u16, u32 } from '../mad/bytes.js';
import { GUIDS_PER_BLOCK } from '../mad/guid-info-record.js';
import { MadError } from '../mad/mad-error.js';
import { MadView } from '../mad/mad-view.js';
import { writeReportResp } from '../mad/report-resp.js';
import { NoticeView } from '../mad/notice.js';
import { GuidCache } from '../tables/guid-cache.js';
import { GuidMultiMap } from '../tables/guid-multimap.js';
import type { CostModel } from '../engine/cost-model.js';
import type { Scheduler } from '../engine/event-queue.js';
import { EventKind } from '../engine/event-kinds.js';
import { Counter, type Counters } from '../metrics/counters.js';
import type { MadSlab } from '../fabric/mad-slab.js';
import { SinkRole, type MadSink, type Transport } from '../fabric/transport.js';
import { LIFE_CYCLE_VENDOR_ID, LifeCycleDevice } from '../sm/life-cycle.js';
import { responseMethod } from '../sm/subnet-manager.js';
import { SUMMARY_BITS, sliceSummaries, type VfEndpoint } from './vf-endpoint.js';
import { PendingTraps } from './pending-traps.js';
import { checkTunnelled, TunnelVerdict } from './tunnel-policy.js';

/** Which VFs Dom0 forwards a RePath/UnPath notice to. */
export const ForwardMode = {
  /** Algorithm 2: every active VF of the host. */
  AllActive: 0,
  /** per-pf-interest: only the VMs whose cache holds the vGUID (inverted index). */
  Interested: 1,
} as const;
export type ForwardMode = (typeof ForwardMode)[keyof typeof ForwardMode];

/** Dom0's TID layout: high = tag(8) | op(8) | slot(16), low = host. */
const DOM0_TID_TAG = 0xd0;
const Op = { GuidSet: 1, GuidDelete: 2, InformInfo: 3, Trap: 4 } as const;

export interface Dom0Options {
  readonly hosts: number;
  readonly slotsPerHost: number;
  /** VMs in the whole run (global VM indices). */
  readonly vms: number;
  readonly hostPortGuidHigh: Uint32Array;
  readonly hostPortGuidLow: Uint32Array;
  /** Each host port's LID (set by the SM's sweep: PortInfo). */
  readonly hostLid: Uint16Array;
  /** The SM's LID (PortInfo.MasterSMLID). */
  readonly smLid: number;
  readonly transport: Transport;
  readonly scheduler: Scheduler;
  readonly slab: MadSlab;
  readonly cost: CostModel;
  readonly counters: Counters;
  readonly forwardMode?: ForwardMode;
  /**
   * SM_Key every Report must carry in its SA header (issue 7). 0 (the default) means "no key
   * configured": Reports must then carry SM_Key 0, so a deployment that sets a key on the SM must
   * set the same one here. The key is not a secret from the fabric (MADs are cleartext); it keeps
   * VMs, which never see it, from forging notices.
   */
  readonly smKeyHigh?: number;
  readonly smKeyLow?: number;
  /** The SM's port GUID: a Report that carries a GRH must name it as SGID. Omitted: not checked. */
  readonly smPortGuidHigh?: number;
  readonly smPortGuidLow?: number;
  /** Further LIDs whose notices are accepted (the repath service on an OpenSM fabric). */
  readonly trustedNoticeLids?: readonly number[];
  /** May VFs subscribe (InformInfo) themselves? false in per-pf modes: refused at the tunnel with SaDenied. */
  readonly vfSubscriptions?: boolean;
  /**
   * Hand a forwarded notice to every VF as its own delivery event (the reference model, for
   * tests) instead of the fast fan-out, which checks every VM's cache in one pass and schedules
   * events only for the VMs whose cache changes. Default false.
   */
  readonly perVfDelivery?: boolean;
}

export class Dom0 implements MadSink {
  readonly hosts: number;
  readonly slotsPerHost: number;
  readonly smLid: number;
  readonly hostLid: Uint16Array;
  readonly hostPortGuidHigh: Uint32Array;
  readonly hostPortGuidLow: Uint32Array;
  readonly lidHost = new Int32Array(0x10000).fill(-1);
  /** The GUID admin table of every host. */
  readonly guidCache: GuidCache;
  /** (host * slotsPerHost + slot) -> VM, -1 when free. */
  readonly vmOfSlot: Int32Array;
  /** VM -> host (-1: not on any host) and slot. */
  readonly vmHost: Int32Array;
  readonly vmSlot: Int16Array;
  /** per-pf-interest: vGUID -> VMs (global indices) whose SA-agent cache holds it. */
  readonly interestIndex: GuidMultiMap | undefined;
  readonly forwardMode: ForwardMode;
  private vf: VfEndpoint | undefined;
  private readonly transport: Transport;
  private readonly scheduler: Scheduler;
  private readonly slab: MadSlab;
  private readonly cost: CostModel;
  private readonly counters: Counters;
  private readonly view = new MadView();
  private readonly out = new Uint8Array(256);
  private readonly outView = new MadView();
  private readonly smpRef = new BytesRef(this.out);
  private readonly smpNotice = new NoticeView(this.smpRef, SMP_DATA_OFFSET);
  private readonly slotScratch: Int32Array;
  /**
   * Algorithm 2's target list of each host (its VMs in active VF slots, in slot order) at
   * fanVms[host * slotsPerHost ..], fanCount[host] long, -1 when a VF changed since it was built:
   * a notice's fan-out reads it as it is instead of walking the slot bitmap and the slot -> VM map
   * per Report. Every write to a host's GUID admin table or slot map goes through this class and
   * marks the host.
   */
  private readonly fanVms: Int32Array;
  private readonly fanCount: Int32Array;
  /**
   * The cache summaries of each host's list, bit-sliced (VmAgents.checkForwardedSliced): per host
   * SUMMARY_BITS rows of sliceWords words, bit i of a row = the list's i-th VM has that summary
   * bit. Built with the list (VmAgents reports every summary change: noteSummaryChange), made on
   * the first fan-out when the VMs' side supports it; empty otherwise.
   */
  private fanSlices = new Uint32Array(0);
  private readonly sliceWords: number;
  private sliced = false;
  private readonly hitScratch: Int32Array;
  private readonly perVfDelivery: boolean;
  private idScratch = new Uint32Array(64);
  /** Outstanding GUIDInfoRecord request per (host, slot): op (0 = none), generation, retries, GUID. */
  private readonly pendingOp: Uint8Array;
  private readonly pendingGen: Uint16Array;
  private readonly pendingRetries: Uint8Array;
  /** Re-drive rounds spent on the outstanding request (see onRequestTimeout). */
  private readonly pendingRedrives: Uint8Array;
  private readonly pendingGuid: Uint32Array;
  /** Per (host, slot): the pending Set is a migration's arrival (its refusal may be a race with a late Delete). */
  private readonly pendingMoveIn: Uint8Array;
  /** Last Report TID per host, to count retransmitted duplicates. */
  private readonly lastReportTid: Uint32Array;
  /** Outstanding InformInfo Set per host (0 none, else subscribe + 1), its generation and re-sends. */
  private readonly informPending: Uint8Array;
  private readonly informGen: Uint16Array;
  private readonly informRetries: Uint8Array;
  /** Outstanding life-cycle Traps (re-sent until TrapRepress). */
  readonly pendingTraps = new PendingTraps();
  /** Notice-source checks (issue 7). */
  private readonly smKeyHigh: number;
  private readonly smKeyLow: number;
  private readonly smGuidHigh: number;
  private readonly smGuidLow: number;
  private readonly checkSmGuid: boolean;
  private readonly trustedLid = new Uint8Array(0x10000);
  readonly vfSubscriptions: boolean;
  private readonly refusal = new Uint8Array(256);
  private readonly refusalView = new MadView();
  private readonly requestView = new MadView();

  constructor(o: Dom0Options) {
    this.hosts = o.hosts;
    this.slotsPerHost = o.slotsPerHost;
    this.smLid = o.smLid;
    this.hostLid = o.hostLid;
    this.hostPortGuidHigh = o.hostPortGuidHigh;
    this.hostPortGuidLow = o.hostPortGuidLow;
    this.transport = o.transport;
    this.scheduler = o.scheduler;
    this.slab = o.slab;
    this.cost = o.cost;
    this.counters = o.counters;
    this.forwardMode = o.forwardMode ?? ForwardMode.AllActive;
    this.guidCache = new GuidCache(o.hosts, o.slotsPerHost);
    this.vmOfSlot = new Int32Array(o.hosts * o.slotsPerHost).fill(-1);
    this.vmHost = new Int32Array(o.vms).fill(-1);
    this.vmSlot = new Int16Array(o.vms).fill(-1);
    this.slotScratch = new Int32Array(o.slotsPerHost);
    this.fanVms = new Int32Array(o.hosts * o.slotsPerHost);
    this.fanCount = new Int32Array(o.hosts).fill(-1);
    this.sliceWords = Math.ceil(o.slotsPerHost / 32);
    this.hitScratch = new Int32Array(o.slotsPerHost);
    this.perVfDelivery = o.perVfDelivery ?? false;
    this.lastReportTid = new Uint32Array(o.hosts * 2);
    const hs = o.hosts * o.slotsPerHost;
    this.pendingOp = new Uint8Array(hs);
    this.pendingGen = new Uint16Array(hs);
    this.pendingRetries = new Uint8Array(hs);
    this.pendingRedrives = new Uint8Array(hs);
    this.pendingGuid = new Uint32Array(hs * 2);
    this.pendingMoveIn = new Uint8Array(hs);
    this.informPending = new Uint8Array(o.hosts);
    this.informGen = new Uint16Array(o.hosts);
    this.informRetries = new Uint8Array(o.hosts);
    this.smKeyHigh = (o.smKeyHigh ?? 0) >>> 0;
    this.smKeyLow = (o.smKeyLow ?? 0) >>> 0;
    this.checkSmGuid = o.smPortGuidHigh !== undefined && o.smPortGuidLow !== undefined;
    this.smGuidHigh = (o.smPortGuidHigh ?? 0) >>> 0;
    this.smGuidLow = (o.smPortGuidLow ?? 0) >>> 0;
    this.trustedLid[o.smLid] = 1;
    for (const lid of o.trustedNoticeLids ?? []) {
      if (!Number.isInteger(lid) || lid < 1 || lid > 0xbfff) throw new RangeError(`Dom0 trustedNoticeLids: ${lid} is not a unicast LID`);
      this.trustedLid[lid] = 1;
    }
    this.vfSubscriptions = o.vfSubscriptions ?? true;
    this.refusalView.wrapForWrite(this.refusal);
    this.interestIndex =
      this.forwardMode === ForwardMode.Interested ? new GuidMultiMap(Math.max(1024, o.vms), { growable: true }) : undefined;
    this.outView.wrapForWrite(this.out);
    for (let h = 0; h < o.hosts; h++) {
      const lid = o.hostLid[h]!;
      this.lidHost[lid] = h;
      o.transport.bind(lid, SinkRole.Host, this);
    }
  }

  /** Connects the VMs' side (set once, before the run). */
  attachVfEndpoint(vf: VfEndpoint): void {
    this.vf = vf;
    this.sliced =
      this.forwardMode === ForwardMode.AllActive &&
      !this.perVfDelivery &&
      vf.forwardNotice === undefined &&
      vf.cacheSummary !== undefined &&
      vf.checkForwardedSliced !== undefined &&
      vf.applyForwarded !== undefined;
    this.fanCount.fill(-1);
  }

  private get vms(): VfEndpoint {
    if (this.vf === undefined) throw new Error('Dom0 vfEndpoint: not attached (call attachVfEndpoint first)');
    return this.vf;
  }

  // ------------------------------------------------------------------ subscription

  /**
   * InformInfo Set from the host's PF with its port GUID (per-pf, per-pf-interest): generic
   * notices of the SM (ProducerType ClassManager), any type and trap number — RePath and UnPath.
   */
  informInfo(host: number, subscribe: 0 | 1, nowNs: number): void {
    this.slotIndex(host, 0);
    this.informPending[host] = subscribe + 1;
    this.informGen[host] = (this.informGen[host]! + 1) & 0xffff;
    this.informRetries[host] = 0;
    this.transmitInformInfo(host, nowNs);
  }

  /** (Re)sends the host's outstanding InformInfo Set (generation in the TID) and arms its timer. */
  private transmitInformInfo(host: number, nowNs: number): void {
    const gen = this.informGen[host]!;
    const v = this.outView.initSa(Method.Set, SaAttr.InformInfo, this.tidHigh(Op.InformInfo, gen), host);
    fillDom0InformInfo(v, (this.informPending[host]! - 1) as 0 | 1);
    const depart = nowNs + this.cost.dom0ServiceNs;
    this.sendFromPf(host, depart);
    this.scheduler.push(depart + this.cost.clientRespTimeoutNs, EventKind.Dom0InformTimeout, host, gen, 0);
  }

  private onInformTimeout(host: number, gen: number, nowNs: number): void {
    if (this.informPending[host] === 0 || this.informGen[host] !== gen) return; // answered meanwhile
    const c = this.counters.v;
    if (this.informRetries[host]! >= this.cost.clientMaxRetries) {
      c[Counter.dom0InformInfoAbandoned]!++;
      this.informPending[host] = 0;
      return;
    }
    this.informRetries[host]!++;
    c[Counter.dom0InformInfoRetries]!++;
    this.transmitInformInfo(host, nowNs);
  }

  subscribeAllHosts(nowNs: number): void {
    for (let h = 0; h < this.hosts; h++) this.informInfo(h, 1, nowNs);
  }

  // ------------------------------------------------------------------ VM life cycle

  /**
   * Creates a VM in VF `slot` of `host`. Static assignment: (guidHigh, guidLow) from the VM's
   * configuration is written to the GUID admin table and set at the SA. Dynamic: pass 0, 0; the
   * SA assigns one and Dom0 writes it when the answer arrives.
   */
  createVm(vm: number, host: number, slot: number, guidHigh: number, guidLow: number, nowNs: number): void {
    this.checkVm(vm);
    if (this.vmHost[vm] !== -1) throw new Error(`Dom0 createVm vm: ${vm} is already on host ${this.vmHost[vm]}`);
    const k = this.slotIndex(host, slot);
    if (this.vmOfSlot[k] !== -1) throw new Error(`Dom0 createVm slot: ${slot} of host ${host} holds VM ${this.vmOfSlot[k]}`);
    this.vmOfSlot[k] = vm;
    this.vmHost[vm] = host;
    this.vmSlot[vm] = slot;
    this.fanCount[host] = -1;
    const vf = this.vms;
    if ((guidHigh | guidLow) !== 0) {
      this.guidCache.attach(host, slot, guidHigh, guidLow);
      vf.vfAttached(vm, guidHigh, guidLow, nowNs);
    }
    this.sendGuidRecord(Method.Set, host, slot, guidHigh, guidLow, nowNs);
    vf.vfSetSent(vm, nowNs);
  }

  /**
   * Warm start of a large run: the VM is in the slot with its vGUID already known to the SA
   * (the caller put it there directly); no MAD is sent.
   */
  placeVmDirect(vm: number, host: number, slot: number, guidHigh: number, guidLow: number, nowNs: number): void {
    this.checkVm(vm);
    const k = this.slotIndex(host, slot);
    if (this.vmHost[vm] !== -1 || this.vmOfSlot[k] !== -1) throw new Error(`Dom0 placeVmDirect vm: ${vm} or slot ${slot} of host ${host} is taken`);
    this.vmOfSlot[k] = vm;
    this.vmHost[vm] = host;
    this.vmSlot[vm] = slot;
    this.fanCount[host] = -1;
    this.guidCache.attach(host, slot, guidHigh, guidLow);
    this.vms.vfAttached(vm, guidHigh, guidLow, nowNs);
  }

  /** Shuts a VM down: GUIDInfoRecord Delete, slot cleared. */
  shutdownVm(vm: number, nowNs: number): void {
    this.leave(vm, nowNs);
  }

  /** Reboot on the same host and slot: Delete then Set of the same vGUID (Algorithm 1: no notice). */
  rebootVm(vm: number, nowNs: number): void {
    const host = this.vmHost[vm]!;
    if (host < 0) throw new Error(`Dom0 rebootVm vm: ${vm} is not on a host`);
    const slot = this.vmSlot[vm]!;
    const gh = this.guidCache.guidHigh(host, slot);
    const gl = this.guidCache.guidLow(host, slot);
    const keep = this.collectCached(vm);
    this.leave(vm, nowNs);
    this.createVm(vm, host, slot, gh, gl, nowNs);
    this.reindex(vm, keep);
  }

  /** Suspend: the VF stays, the SM is told by a life-cycle trap. */
  suspendVm(vm: number, nowNs: number): void {
    this.lifeCycleTrap(vm, VmState.Suspended, nowNs);
  }

  resumeVm(vm: number, nowNs: number): void {
    this.lifeCycleTrap(vm, VmState.Running, nowNs);
  }

  /** Live migration, source side: trap "migrating", GUIDInfoRecord Delete, VF detached. */
  migrateOut(vm: number, nowNs: number): void {
    this.lifeCycleTrap(vm, VmState.Migrating, nowNs);
    this.leave(vm, nowNs);
  }

  /**
   * Live migration, destination side: the VM (with its memory, so its SA-agent cache) arrives in
   * `slot` of `host`; its static vGUID (or 0, 0 for dynamic) is set as in createVm.
   */
  migrateIn(vm: number, host: number, slot: number, guidHigh: number, guidLow: number, nowNs: number): void {
    this.createVm(vm, host, slot, guidHigh, guidLow, nowNs);
    this.pendingMoveIn[this.slotIndex(host, slot)] = 1;
    if (this.interestIndex !== undefined) {
      this.vms.forEachCachedGuid(vm, (h, l) => this.interestIndex!.add(h, l, vm));
    }
  }

  /** A free VF slot of the host, or -1. */
  freeSlot(host: number): number {
    const base = host * this.slotsPerHost;
    for (let s = 0; s < this.slotsPerHost; s++) if (this.vmOfSlot[base + s] === -1) return s;
    return -1;
  }

  /** The VM left its cache entry for vGUID (high, low) (UnPath, dynamic re-resolution). */
  noteCacheDrop(vm: number, high: number, low: number): void {
    this.interestIndex?.remove(high, low, vm);
  }

  /** The VM's cache summary changed: its host's sliced summaries are rebuilt at the next fan-out. */
  noteSummaryChange(vm: number): void {
    const host = this.vmHost[vm]!;
    if (host >= 0) this.fanCount[host] = -1;
  }

  /** Warm start: the VM caches a path to (high, low) without a MAD having passed. */
  noteCacheInsert(vm: number, high: number, low: number): void {
    this.interestIndex?.add(high, low, vm);
  }

  private leave(vm: number, nowNs: number): void {
    this.checkVm(vm);
    const host = this.vmHost[vm]!;
    if (host < 0) throw new Error(`Dom0 vm: ${vm} is not on a host`);
    const slot = this.vmSlot[vm]!;
    this.sendGuidRecord(Method.Delete, host, slot, 0, 0, nowNs);
    this.guidCache.detach(host, slot);
    this.vmOfSlot[this.slotIndex(host, slot)] = -1;
    this.fanCount[host] = -1;
    this.vmHost[vm] = -1;
    this.vmSlot[vm] = -1;
    if (this.interestIndex !== undefined) {
      this.vms.forEachCachedGuid(vm, (h, l) => this.interestIndex!.remove(h, l, vm));
    }
    this.vms.vfDetached(vm, nowNs);
  }

  private collectCached(vm: number): Uint32Array {
    if (this.interestIndex === undefined) return new Uint32Array(0);
    const list: number[] = [];
    this.vms.forEachCachedGuid(vm, (h, l) => list.push(h, l));
    return Uint32Array.from(list);
  }

  private reindex(vm: number, guids: Uint32Array): void {
    if (this.interestIndex === undefined) return;
    for (let i = 0; i < guids.length; i += 2) this.interestIndex.add(guids[i]!, guids[i + 1]!, vm);
  }

  /** GUIDInfoRecord Set or Delete of the alias index of VF slot `slot` (index slot + 1: index 0 is the port GUID). */
  private sendGuidRecord(method: number, host: number, slot: number, guidHigh: number, guidLow: number, nowNs: number): void {
    const p = this.slotIndex(host, slot);
    this.pendingOp[p] = method === Method.Set ? Op.GuidSet : Op.GuidDelete;
    this.pendingMoveIn[p] = 0;
    this.pendingGen[p] = (this.pendingGen[p]! + 1) & 0xffff;
    this.pendingRetries[p] = 0;
    this.pendingRedrives[p] = 0;
    this.pendingGuid[p * 2] = guidHigh;
    this.pendingGuid[p * 2 + 1] = guidLow;
    this.transmitGuidRecord(p, nowNs);
  }

  /** (Re)sends the outstanding GUIDInfoRecord request of slot index p and arms its timer. */
  private transmitGuidRecord(p: number, nowNs: number): void {
    const host = (p / this.slotsPerHost) | 0;
    const slot = p - host * this.slotsPerHost;
    const method = this.pendingOp[p] === Op.GuidSet ? Method.Set : Method.Delete;
    const guidHigh = this.pendingGuid[p * 2]!;
    const guidLow = this.pendingGuid[p * 2 + 1]!;
    const index = slot + 1;
    const block = (index / GUIDS_PER_BLOCK) | 0;
    const k = index % GUIDS_PER_BLOCK;
    const v = this.outView.initSa(method, SaAttr.GuidInfoRecord, this.tidHigh(method === Method.Set ? Op.GuidSet : Op.GuidDelete, slot), host);
    v.componentMaskHigh = 0;
    v.componentMaskLow =
      ((1 << GuidInfoRecordMask.LID) | (1 << GuidInfoRecordMask.BLOCK_NUM) | (1 << (GuidInfoRecordMask.GID0 + k))) >>> 0;
    const r = v.guidInfoRecord;
    r.lid = this.hostLid[host]!;
    r.blockNum = block;
    r.setGuid(k, guidHigh, guidLow);
    const depart = nowNs + this.cost.dom0ServiceNs;
    this.sendFromPf(host, depart);
    this.scheduler.push(depart + this.cost.clientRespTimeoutNs, EventKind.Dom0RequestTimeout, p, this.pendingGen[p]!, 0);
  }

  private onRequestTimeout(p: number, gen: number, nowNs: number): void {
    if (this.pendingOp[p] === 0 || this.pendingGen[p] !== gen) return; // answered meanwhile
    const c = this.counters.v;
    if (this.pendingRetries[p]! >= this.cost.clientMaxRetries && this.pendingRedrives[p]! < this.cost.clientRedriveRounds) {
      // Issue 7: a busy or lossy SA must not cost a VM its GUID. The round's re-sends ran out:
      // re-drive the same request after a doubling back-off, with a fresh round of re-sends
      // (a Set or Delete of the same GUID is idempotent at the SA). Counted, never silent.
      const round = ++this.pendingRedrives[p]!;
      c[Counter.dom0RequestsRedriven]!++;
      this.pendingRetries[p] = 0;
      this.pendingGen[p] = (this.pendingGen[p]! + 1) & 0xffff;
      this.scheduler.push(nowNs + this.cost.clientRespTimeoutNs * 2 ** round, EventKind.Dom0RequestTimeout, p, this.pendingGen[p]!, 0);
      return;
    }
    if (this.pendingRetries[p]! >= this.cost.clientMaxRetries) {
      c[Counter.dom0RequestsAbandoned]!++;
      const wasSet = this.pendingOp[p] === Op.GuidSet;
      this.pendingOp[p] = 0;
      if (wasSet) {
        const host = (p / this.slotsPerHost) | 0;
        this.refused(host, p - host * this.slotsPerHost, nowNs);
      }
      return;
    }
    this.pendingRetries[p]!++;
    c[Counter.dom0RequestRetries]!++;
    this.transmitGuidRecord(p, nowNs);
  }

  /** An SMP Trap(Notice) to the SM with the VM's new life-cycle state (core/sm/life-cycle.ts). */
  private lifeCycleTrap(vm: number, state: number, nowNs: number): void {
    this.checkVm(vm);
    const host = this.vmHost[vm]!;
    if (host < 0) throw new Error(`Dom0 vm: ${vm} is not on a host`);
    const slot = this.vmSlot[vm]!;
    const t = this.pendingTraps.alloc(host, state, this.guidCache.guidHigh(host, slot), this.guidCache.guidLow(host, slot));
    this.transmitTrap(t, nowNs);
  }

  /** (Re)sends outstanding Trap `t`: TID high = tag | op | generation, low = t. */
  private transmitTrap(t: number, nowNs: number): void {
    const pt = this.pendingTraps;
    const host = pt.host[t]!;
    const b = this.out;
    b.fill(0);
    b[0] = 1;
    b[1] = MgmtClass.SubnLid;
    b[2] = 1;
    b[3] = Method.Trap;
    setU32(b, 8, this.tidHigh(Op.Trap, pt.gen[t]!));
    setU32(b, 12, t);
    setU16(b, 16, SmpAttr.Notice);
    const n = this.smpNotice;
    n.isGeneric = 0;
    n.type = NoticeType.Info;
    n.vendorId = LIFE_CYCLE_VENDOR_ID;
    n.deviceId = LifeCycleDevice.VmStateChange;
    n.issuerLid = this.hostLid[host]!;
    n.issuerGid.set(DEFAULT_SUBNET_PREFIX_HIGH, DEFAULT_SUBNET_PREFIX_LOW, this.hostPortGuidHigh[host]!, this.hostPortGuidLow[host]!);
    n.newLid = this.hostLid[host]!;
    n.oldLid = this.hostLid[host]!;
    n.vmState = pt.state[t]!;
    n.vgid.set(DEFAULT_SUBNET_PREFIX_HIGH, DEFAULT_SUBNET_PREFIX_LOW, pt.guidHigh[t]!, pt.guidLow[t]!);
    n.newPortGuidHigh = this.hostPortGuidHigh[host]!;
    n.newPortGuidLow = this.hostPortGuidLow[host]!;
    const depart = nowNs + this.cost.dom0ServiceNs;
    this.sendFromPf(host, depart);
    this.scheduler.push(depart + this.cost.clientRespTimeoutNs, EventKind.Dom0TrapTimeout, t, pt.gen[t]!, 0);
  }

  private onTrapTimeout(t: number, gen: number, nowNs: number): void {
    const pt = this.pendingTraps;
    if (!pt.isCurrent(t, gen)) return; // repressed meanwhile
    const c = this.counters.v;
    if (pt.retries[t]! >= this.cost.clientMaxRetries) {
      c[Counter.dom0TrapsAbandoned]!++;
      pt.release(t);
      return;
    }
    pt.retries[t]!++;
    c[Counter.dom0TrapRetries]!++;
    this.transmitTrap(t, nowNs);
  }

  /** TrapRepress: the SM has the Trap; stop re-sending it. */
  private onTrapRepress(v: MadView): void {
    const c = this.counters.v;
    const tidHigh = v.tidHigh;
    const t = v.tidLow;
    if (tidHigh >>> 24 === DOM0_TID_TAG && ((tidHigh >>> 16) & 0xff) === Op.Trap && this.pendingTraps.isCurrent(t, tidHigh & 0xffff)) {
      c[Counter.dom0TrapRepressReceived]!++;
      this.pendingTraps.release(t);
      return;
    }
    c[Counter.dom0Dropped]!++; // a duplicate (the Trap was re-sent) or a TrapRepress for no Trap of ours
  }

  private sendFromPf(host: number, departNs: number): void {
    this.transport.send(this.out, this.hostLid[host]!, GSI_QP, this.hostPortGuidHigh[host]!, this.hostPortGuidLow[host]!, this.smLid, GSI_QP, 0, 0, departNs);
  }

  /**
   * A VF's MAD leaves through the PF: GRH SGID = the VF's vGUID, so the SA can answer the VF.
   * `departNs` is when the VF handed it over; the tunnel adds cost.dom0ForwardNs.
   */
  sendFromVf(vm: number, mad: Uint8Array, dstLid: number, dstQp: number, dstGuidHigh: number, dstGuidLow: number, departNs: number): boolean {
    const host = this.vmHost[vm]!;
    const c = this.counters.v;
    if (host < 0) {
      c[Counter.dom0Unroutable]!++;
      return false;
    }
    const slot = this.vmSlot[vm]!;
    if (!this.guidCache.isActive(host, slot)) {
      c[Counter.dom0Unroutable]!++;
      return false;
    }
    const gh = this.guidCache.guidHigh(host, slot);
    const gl = this.guidCache.guidLow(host, slot);
    // Issue 7: a VF may only speak for itself (core/dom0/tunnel-policy.ts).
    const verdict = checkTunnelled(mad, gh, gl, this.hostLid[host]!, slot + 1, this.vfSubscriptions);
    if (verdict !== TunnelVerdict.Pass) {
      this.refuseTunnelled(vm, mad, verdict, departNs);
      return false;
    }
    c[Counter.dom0VfTunnelOut]!++;
    this.transport.send(
      mad,
      this.hostLid[host]!,
      GSI_QP,
      this.guidCache.guidHigh(host, slot),
      this.guidCache.guidLow(host, slot),
      dstLid,
      dstQp,
      dstGuidHigh,
      dstGuidLow,
      departNs + this.cost.dom0ForwardNs,
    );
    return true;
  }

  // ------------------------------------------------------------------ receive

  receive(
    mad: Uint8Array,
    srcLid: number,
    srcQp: number,
    srcGuidHigh: number,
    srcGuidLow: number,
    dstLid: number,
    _dstQp: number,
    dstGuidHigh: number,
    dstGuidLow: number,
    nowNs: number,
  ): void {
    const host = this.lidHost[dstLid]!;
    const c = this.counters.v;
    if (host < 0) {
      c[Counter.dom0Unroutable]!++;
      return;
    }
    // Issue 7: a notice (Report) is accepted, for the PF or for a VF, only from the SM.
    if (mad.length === 256 && mad[1] === MgmtClass.SubnAdm && mad[3] === Method.Report && !this.fromSm(mad, srcLid, srcQp, srcGuidHigh, srcGuidLow)) {
      c[Counter.dom0SpoofedNotices]!++;
      return;
    }
    if ((dstGuidHigh | dstGuidLow) !== 0 && !(dstGuidHigh === this.hostPortGuidHigh[host] && dstGuidLow === this.hostPortGuidLow[host])) {
      this.demuxToVf(host, mad, dstGuidHigh, dstGuidLow, nowNs, this.trustedLid[srcLid] === 1 && srcQp === GSI_QP);
      return;
    }
    const v = this.view;
    try {
      v.wrap(mad);
    } catch (e) {
      if (!(e instanceof MadError)) throw e;
      c[Counter.dom0Unroutable]!++;
      return;
    }
    const method = v.method;
    if (v.mgmtClass === MgmtClass.SubnAdm) {
      if (method === Method.Report && v.attributeId === SaAttr.Notice) {
        this.onReport(host, v, srcLid, srcQp, srcGuidHigh, srcGuidLow, nowNs);
        return;
      }
      if ((method === Method.GetResp || method === Method.DeleteResp) && v.attributeId === SaAttr.GuidInfoRecord) {
        this.onGuidRecordResp(host, v, nowNs);
        return;
      }
      if (method === Method.GetResp && v.attributeId === SaAttr.InformInfo) {
        this.onInformInfoResp(host, v);
        return;
      }
    } else if (v.mgmtClass === MgmtClass.SubnLid && method === Method.TrapRepress) {
      this.onTrapRepress(v);
      return;
    }
    // Nothing else is for the PF's agent: counted, never answered (a request to the PF's GSI
    // for a class Dom0 does not serve, or a stray response).
    c[Counter.dom0Dropped]!++;
  }

  private onInformInfoResp(host: number, v: MadView): void {
    const c = this.counters.v;
    const tidHigh = v.tidHigh;
    if (
      tidHigh >>> 24 !== DOM0_TID_TAG ||
      ((tidHigh >>> 16) & 0xff) !== Op.InformInfo ||
      v.tidLow !== host ||
      this.informPending[host] === 0 ||
      (tidHigh & 0xffff) !== this.informGen[host]
    ) {
      c[Counter.dom0Dropped]!++; // the answer to a re-sent copy, or to no request of ours
      return;
    }
    this.informPending[host] = 0;
    if (v.status === MadStatus.Ok) c[Counter.dom0InformInfoAcks]!++;
  }

  /** Report source check: the SM's (or a trusted) LID, QP1, the SM's GID if a GRH is present, and the SM_Key. */
  private fromSm(mad: Uint8Array, srcLid: number, srcQp: number, srcGuidHigh: number, srcGuidLow: number): boolean {
    if (this.trustedLid[srcLid] !== 1 || srcQp !== GSI_QP) return false;
    if (this.checkSmGuid && (srcGuidHigh | srcGuidLow) !== 0 && (srcGuidHigh >>> 0 !== this.smGuidHigh || srcGuidLow >>> 0 !== this.smGuidLow)) return false;
    return u32(mad, 36) === this.smKeyHigh && u32(mad, 40) === this.smKeyLow;
  }

  /**
   * A VF's MAD broke the tunnel policy: requests are answered to the VF with SaDenied (as the SA
   * would answer), anything else (Reports, Traps, responses other than ReportResp) is dropped.
   */
  private refuseTunnelled(vm: number, mad: Uint8Array, verdict: number, nowNs: number): void {
    const c = this.counters.v;
    c[Counter.dom0TunnelRefused]!++;
    if (verdict === TunnelVerdict.DenySubscription) c[Counter.dom0VfSubscriptionsRefused]!++;
    if (verdict === TunnelVerdict.Drop) return;
    this.requestView.wrapForWrite(mad);
    this.refusalView.initResponseTo(this.requestView, responseMethod(mad[3]!), MadStatus.SaDenied);
    const s = this.slab.allocCopy(this.refusal);
    this.scheduler.push(nowNs + this.cost.dom0ForwardNs, EventKind.Dom0VfDeliver, s, vm, 0);
  }

  private demuxToVf(host: number, mad: Uint8Array, guidHigh: number, guidLow: number, nowNs: number, fromSm: boolean): void {
    const c = this.counters.v;
    const slot = this.guidCache.findSlot(host, guidHigh, guidLow);
    if (slot < 0) {
      c[Counter.dom0Unroutable]!++;
      return;
    }
    const vm = this.vmOfSlot[this.slotIndex(host, slot)]!;
    // per-pf-interest: learn which VMs cache which vGUID from the PathRecord answers passing by.
    // Only the SA's own answers count (issue 7: a PathRecord answer forged by another port must not
    // grow the index), and only for a real destination (a zero DGID is no vGUID; found by fuzzing).
    if (
      this.interestIndex !== undefined &&
      fromSm &&
      (u32(mad, 56 + 16) | u32(mad, 56 + 20)) !== 0 &&
      mad[1] === MgmtClass.SubnAdm &&
      mad[3] === Method.GetResp &&
      u16(mad, 16) === SaAttr.PathRecord &&
      u16(mad, 4) === MadStatus.Ok
    ) {
      this.interestIndex.add(u32(mad, 56 + 16), u32(mad, 56 + 20), vm);
    }
    const s = this.slab.share(mad);
    c[Counter.dom0DemuxToVf]!++;
    this.scheduler.push(nowNs + this.cost.dom0ForwardNs, EventKind.Dom0VfDeliver, s, vm, 0);
  }

  private onReport(host: number, v: MadView, srcLid: number, srcQp: number, srcGuidHigh: number, srcGuidLow: number, nowNs: number): void {
    const c = this.counters.v;
    c[Counter.dom0ReportsReceived]!++;
    const t = host * 2;
    const duplicate = this.lastReportTid[t] === v.tidHigh && this.lastReportTid[t + 1] === v.tidLow;
    if (duplicate) c[Counter.dom0DuplicateReports]!++;
    this.lastReportTid[t] = v.tidHigh;
    this.lastReportTid[t + 1] = v.tidLow;
    // ReportResp first: the SM's retry timer should stop whatever the forwarding costs.
    const mad = v.bytes;
    writeReportResp(this.out, mad);
    const done = nowNs + this.cost.dom0ServiceNs;
    this.transport.send(this.out, this.hostLid[host]!, GSI_QP, this.hostPortGuidHigh[host]!, this.hostPortGuidLow[host]!, srcLid, srcQp, srcGuidHigh, srcGuidLow, done);
    const n = v.notice;
    if (n.isGeneric !== 1 || (n.trapNumber !== TrapNumber.RePath && n.trapNumber !== TrapNumber.UnPath)) return;
    this.forward(host, mad, n.trapNumber, n.vgid.guidHigh, n.vgid.guidLow, n.newLid, done);
  }

  /**
   * Algorithm 2 (or its interest variant): hand the notice to the host's VFs, the i-th (from 0)
   * at startNs + (i + 1) x dom0ForwardNs (the PF tunnels one MAD at a time).
   *
   * Fast fan-out: the VMs' Algorithm 3 checks all run here, in one pass over the active-slot
   * list and the path caches (VfEndpoint.checkForwarded); only a VM whose cache changes gets an
   * event, at its VF's time, which applies the change there (and re-checks, so whatever reached
   * the cache meanwhile wins). A check is counted when the notice is forwarded; a VM that leaves
   * its host before its VF's turn loses the change (counted dom0Unroutable), as with per-VF
   * delivery. Counts, latencies and convergence are those of per-VF delivery whenever nothing
   * else touches the same cache entry within the fan-out (a few hundred microseconds).
   */
  private forward(host: number, mad: Uint8Array, trap: number, vgHigh: number, vgLow: number, newLid: number, startNs: number): void {
    let n = 0;
    // The targets are list[from .. from + n): the host's cached list, or the scratch.
    let list = this.slotScratch;
    let from = 0;
    if (this.forwardMode === ForwardMode.AllActive) {
      n = this.fanCount[host]!;
      if (n < 0) n = this.buildFanList(host);
      list = this.fanVms;
      from = host * this.slotsPerHost;
    } else {
      const targets = this.slotScratch;
      const index = this.interestIndex!;
      const k = index.count(vgHigh, vgLow);
      if (k > this.idScratch.length) this.idScratch = new Uint32Array(Math.max(k, this.idScratch.length * 2));
      index.collect(vgHigh, vgLow, this.idScratch);
      for (let i = 0; i < k && n < targets.length; i++) {
        const vm = this.idScratch[i]!;
        if (this.vmHost[vm] === host) targets[n++] = vm;
      }
    }
    if (n === 0) return;
    this.counters.v[Counter.dom0NoticeForwards]! += n;
    const step = this.cost.dom0ForwardNs;
    const vf = this.vms;
    if (!this.perVfDelivery && vf.forwardNotice === undefined && vf.checkForwarded !== undefined && vf.applyForwarded !== undefined) {
      const hits = this.hitScratch;
      const k =
        this.sliced && list === this.fanVms
          ? vf.checkForwardedSliced!(list, from, n, this.fanSlices, host * SUMMARY_BITS * this.sliceWords, this.sliceWords, trap, vgHigh, vgLow, newLid, hits)
          : vf.checkForwarded(list, n, trap, vgHigh, vgLow, newLid, hits, from);
      if (k === 0) return;
      const slot = this.slab.share(mad);
      if (k > 1) this.slab.retain(slot, k - 1);
      for (let j = 0; j < k; j++) {
        const i = hits[j]!;
        this.scheduler.push(startNs + (i + 1) * step, EventKind.Dom0VfDeliver, slot, list[from + i]!, 2);
      }
      return;
    }
    if (vf.forwardNotice !== undefined) {
      vf.forwardNotice(host, this.forwardMode === ForwardMode.AllActive, list, from, n, trap, vgHigh, vgLow, newLid, this.scheduler.nowNs, startNs, step);
      return;
    }
    const targets = this.slotScratch;
    if (list !== targets) for (let i = 0; i < n; i++) targets[i] = list[from + i]!;
    const slot = this.slab.allocCopy(mad);
    if (n > 1) this.slab.retain(slot, n - 1);
    for (let i = 0; i < n; i++) {
      this.scheduler.push(startNs + (i + 1) * step, EventKind.Dom0VfDeliver, slot, targets[i]!, 1);
    }
  }

  /** Rebuilds the host's Algorithm 2 target list: the VMs of its active VF slots, in slot order. */
  private buildFanList(host: number): number {
    const slots = this.slotScratch;
    const k = this.guidCache.activeSlots(host, slots);
    const base = host * this.slotsPerHost;
    const list = this.fanVms;
    let n = 0;
    for (let i = 0; i < k; i++) {
      const vm = this.vmOfSlot[base + slots[i]!]!;
      if (vm >= 0) list[base + n++] = vm;
    }
    this.fanCount[host] = n;
    if (this.sliced) this.buildSlices(host, n);
    return n;
  }

  /** The host's bit-sliced summaries (see fanSlices), from its list's VMs' summaries. */
  private buildSlices(host: number, n: number): void {
    const words = this.sliceWords;
    if (this.fanSlices.length === 0) this.fanSlices = new Uint32Array(this.hosts * SUMMARY_BITS * words);
    sliceSummaries(this.vms.cacheSummary!, this.fanVms, host * this.slotsPerHost, n, this.fanSlices, host * SUMMARY_BITS * words, words);
  }

  private onGuidRecordResp(host: number, v: MadView, nowNs: number): void {
    const tidHigh = v.tidHigh;
    if (tidHigh >>> 24 !== DOM0_TID_TAG) {
      this.counters.v[Counter.dom0Dropped]!++;
      return;
    }
    const op = (tidHigh >>> 16) & 0xff;
    const slot = tidHigh & 0xffff;
    if (slot >= this.slotsPerHost) {
      this.counters.v[Counter.dom0Dropped]!++;
      return;
    }
    const p = this.slotIndex(host, slot);
    if (this.pendingOp[p] !== op) {
      // A late answer to a request already answered or replaced.
      this.counters.v[Counter.dom0Dropped]!++;
      return;
    }
    this.counters.v[Counter.dom0GuidRecordAnswers]!++;
    this.pendingOp[p] = 0;
    if (op !== Op.GuidSet || v.status !== MadStatus.Ok) {
      if (op === Op.GuidSet) this.refused(host, slot, nowNs);
      return;
    }
    const index = slot + 1;
    const k = index % GUIDS_PER_BLOCK;
    const gh = v.guidInfoRecord.guidHigh(k);
    const gl = v.guidInfoRecord.guidLow(k);
    const vm = this.vmOfSlot[this.slotIndex(host, slot)]!;
    if (vm < 0) return; // the VM left before the answer came
    const active = this.guidCache.isActive(host, slot);
    if ((gh | gl) === 0 || (active && (this.guidCache.guidHigh(host, slot) !== gh || this.guidCache.guidLow(host, slot) !== gl))) {
      const p = this.slotIndex(host, slot);
      if (this.pendingMoveIn[p] === 1 && this.pendingRetries[p]! < this.cost.clientMaxRetries) {
        // Issue 7: an arriving VM's vGUID may still sit at the source (its Delete lost, the
        // re-send pending): ask again after the agents' timeout, within the usual retry budget.
        this.pendingOp[p] = Op.GuidSet;
        this.scheduler.push(nowNs + this.cost.clientRespTimeoutNs, EventKind.Dom0RequestTimeout, p, this.pendingGen[p]!, 0);
        return;
      }
      this.refused(host, slot, nowNs);
      return;
    }
    if (active) return;
    // Dynamic assignment: the SA's GUID goes into the GUID admin table now.
    this.guidCache.attach(host, slot, gh, gl);
    this.fanCount[host] = -1;
    this.counters.v[Counter.dom0GuidsAssigned]!++;
    this.vms.vfAttached(vm, gh, gl, nowNs);
  }

  /** The SA refused the Set (duplicate vGUID or error): the VF cannot be used. */
  private refused(host: number, slot: number, nowNs: number): void {
    this.counters.v[Counter.dom0SetsRefused]!++;
    const k = this.slotIndex(host, slot);
    const vm = this.vmOfSlot[k]!;
    if (vm < 0) return;
    if (this.guidCache.isActive(host, slot)) this.guidCache.detach(host, slot);
    this.vmOfSlot[k] = -1;
    this.fanCount[host] = -1;
    this.vmHost[vm] = -1;
    this.vmSlot[vm] = -1;
    this.vms.vfDetached(vm, nowNs);
  }

  /** Handles a Dom0 event (VF delivery, request timeout). */
  onEvent(kind: number, a: number, b: number, c: number, nowNs: number): void {
    if (kind === EventKind.Dom0RequestTimeout) {
      this.onRequestTimeout(a, b, nowNs);
      return;
    }
    if (kind === EventKind.Dom0InformTimeout) {
      this.onInformTimeout(a, b, nowNs);
      return;
    }
    if (kind === EventKind.Dom0TrapTimeout) {
      this.onTrapTimeout(a, b, nowNs);
      return;
    }
    if (kind !== EventKind.Dom0VfDeliver) throw new RangeError(`Dom0 event kind: ${kind} is not a Dom0 event`);
    const vm = b;
    if (this.vmHost[vm]! < 0) this.counters.v[Counter.dom0Unroutable]!++;
    else if (c === 2) this.vms.applyForwarded!(vm, this.slab.bytes(a), nowNs);
    else this.vms.deliver(vm, this.slab.bytes(a), c === 1, nowNs);
    this.slab.release(a);
  }

  // ------------------------------------------------------------------ helpers

  private tidHigh(op: number, slot: number): number {
    return ((DOM0_TID_TAG << 24) | (op << 16) | (slot & 0xffff)) >>> 0;
  }

  private slotIndex(host: number, slot: number): number {
    if (!Number.isInteger(host) || host < 0 || host >= this.hosts) throw new RangeError(`Dom0 host: ${host} is not in 0..${this.hosts - 1}`);
    if (!Number.isInteger(slot) || slot < 0 || slot >= this.slotsPerHost) {
      throw new RangeError(`Dom0 slot: ${slot} is not in 0..${this.slotsPerHost - 1}`);
    }
    return host * this.slotsPerHost + slot;
  }

  private checkVm(vm: number): void {
    if (!Number.isInteger(vm) || vm < 0 || vm >= this.vmHost.length) throw new RangeError(`Dom0 vm: ${vm} is not in 0..${this.vmHost.length - 1}`);
  }
}

/** The InformInfo every subscriber of repath sends: generic SM notices, any type/trap (RePath, UnPath). */
export function fillDom0InformInfo(v: MadView, subscribe: 0 | 1): void {
  const ii = v.informInfo;
  ii.gid.set(0, 0, 0, 0);
  ii.lidRangeBegin = INFORM_ALL_LIDS;
  ii.lidRangeEnd = 0;
  ii.isGeneric = 1;
  ii.subscribe = subscribe;
  ii.type = INFORM_ANY_TYPE;
  ii.trapNumber = INFORM_ANY_TRAP;
  ii.qpn = GSI_QP;
  ii.respTimeValue = 18;
  ii.producerType = ProducerType.ClassManager;
}
