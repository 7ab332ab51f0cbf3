// One hypervisor's Dom0 on the native path: the emulation's own Dom0 (hosts = 1) and VmAgents,
// over the umad transport, for VMs emulated in this process (there are no real VFs here).
//
// VM indices: 0..slots-1 are the VMs (VM index = its VF slot). A VM's peers live on other
// hypervisors, so VmAgents's peer graph is built with one placeholder "VM" per possible peer
// edge: VM v's edges are v*maxPeers .. v*maxPeers+maxPeers-1 and edge e names placeholder
// slots + e, whose vGUID is set when the operator names the peer. Caches then fill with real
// PathRecord queries (Algorithm 3 keeps them right when a Report arrives).
//
// Where a VM's SA queries go: per-pf, straight to the SM (OpenSM) unless pathVia = service;
// per-vguid, to the service (the VM's own subscription and ReportResps must reach it, and it
// relays the PathRecords to the SM).
import { Dom0, ForwardMode } from '../dom0/dom0.js';
import { VmAgents, type PfTunnel } from '../vm/vm-agents.js';
import { MadSlab } from '../fabric/mad-slab.js';
import type { CostModel } from '../engine/cost-model.js';
import type { Scheduler } from '../engine/event-queue.js';
import { eventOwner, EventOwner } from '../engine/event-kinds.js';
import type { Counters } from '../metrics/counters.js';
import type { LatencyRecorder } from '../metrics/latency-recorder.js';
import type { PortTransport } from '../service/signalling-service.js';
import { guidHex } from '../service/signalling-service.js';

export type Dom0Subscriber = 'pf' | 'vguid';

export interface Dom0AgentOptions {
  readonly transport: PortTransport;
  readonly scheduler: Scheduler;
  readonly cost: CostModel;
  readonly counters: Counters;
  /** LID of `repath service`. */
  readonly serviceLid: number;
  /** VF slots (alias indices 1..slots; must fit the port's GUIDCap). */
  readonly slots: number;
  /** Peers per VM. */
  readonly maxPeers: number;
  readonly subscriber: Dom0Subscriber;
  /** per-pf: VM PathRecord queries to the SM ('sm', default) or through the service. */
  readonly pathVia?: 'sm' | 'service';
}

/** What `cache` shows of one VM. */
export interface VmCacheState {
  name: string;
  vm: number;
  vguid: string;
  attached: boolean;
  entries: { vguid: string; dlid: number }[];
}

const noLatency: LatencyRecorder = { record: () => undefined };

export class Dom0Agent {
  readonly dom0: Dom0;
  readonly vms: VmAgents;
  readonly slots: number;
  readonly maxPeers: number;
  readonly subscriber: Dom0Subscriber;
  private readonly scheduler: Scheduler;
  private readonly names = new Map<string, number>();
  private readonly peerCount: Uint16Array;

  constructor(o: Dom0AgentOptions) {
    if (!Number.isInteger(o.slots) || o.slots < 1 || o.slots > 127) throw new RangeError(`Dom0Agent slots: ${o.slots} is not 1..127`);
    if (!Number.isInteger(o.maxPeers) || o.maxPeers < 1 || o.maxPeers > 1024) throw new RangeError(`Dom0Agent maxPeers: ${o.maxPeers} is not 1..1024`);
    this.slots = o.slots;
    this.maxPeers = o.maxPeers;
    this.subscriber = o.subscriber;
    this.scheduler = o.scheduler;
    const t = o.transport;
    const edges = o.slots * o.maxPeers;
    const total = o.slots + edges;
    this.peerCount = new Uint16Array(o.slots);
    this.dom0 = new Dom0({
      hosts: 1,
      slotsPerHost: o.slots,
      vms: total,
      hostPortGuidHigh: Uint32Array.of(t.portGuidHigh),
      hostPortGuidLow: Uint32Array.of(t.portGuidLow),
      hostLid: Uint16Array.of(t.lid),
      smLid: o.serviceLid,
      transport: t,
      scheduler: o.scheduler,
      slab: new MadSlab(64),
      cost: o.cost,
      counters: o.counters,
      forwardMode: ForwardMode.AllActive,
    });
    const peerStart = new Uint32Array(total + 1);
    for (let v = 0; v <= total; v++) peerStart[v] = Math.min(v, o.slots) * o.maxPeers;
    const peerList = new Uint32Array(edges);
    for (let e = 0; e < edges; e++) peerList[e] = o.slots + e;
    const dom0 = this.dom0;
    const saLid = o.subscriber === 'vguid' || o.pathVia === 'service' ? o.serviceLid : t.smLid;
    const tunnel: PfTunnel = {
      smLid: saLid,
      sendFromVf: (vm, mad, dl, dq, dgh, dgl, depart) => dom0.sendFromVf(vm, mad, dl, dq, dgh, dgl, depart),
      noteCacheDrop: (vm, h, l) => dom0.noteCacheDrop(vm, h, l),
    };
    this.vms = new VmAgents({
      vms: total,
      peerStart,
      peerList,
      vmGuidHigh: new Uint32Array(total),
      vmGuidLow: new Uint32Array(total),
      cacheEntriesPerVm: o.maxPeers,
      tunnel,
      scheduler: o.scheduler,
      cost: o.cost,
      counters: o.counters,
      latency: noLatency,
      detectFailures: false,
      resolveAddress: false,
    });
    dom0.attachVfEndpoint(this.vms);
  }

  /** Routes a scheduler event to Dom0 or the VM agents. */
  onEvent(kind: number, a: number, b: number, c: number, nowNs: number): void {
    const owner = eventOwner(kind);
    if (owner === EventOwner.Dom0) this.dom0.onEvent(kind, a, b, c, nowNs);
    else if (owner === EventOwner.Vm) this.vms.onEvent(kind, a, b, c, nowNs);
    else throw new RangeError(`Dom0Agent event kind: ${kind} is not a Dom0 or VM event`);
  }

  /** per-pf: the PF subscribes with its port GUID (InformInfo Set to the service). */
  subscribePf(): void {
    this.dom0.informInfo(0, 1, this.scheduler.nowNs);
  }

  create(name: string, guidHigh: number, guidLow: number, migrating = false): number {
    if (this.names.has(name)) throw new Error(`vm ${name}: already on this host (VM ${this.names.get(name)})`);
    const slot = this.dom0.freeSlot(0);
    if (slot < 0) throw new Error(`vm ${name}: no free VF slot (all ${this.slots} taken)`);
    const now = this.scheduler.nowNs;
    this.clearVm(slot);
    this.names.set(name, slot);
    if (migrating) this.dom0.migrateIn(slot, 0, slot, guidHigh, guidLow, now);
    else this.dom0.createVm(slot, 0, slot, guidHigh, guidLow, now);
    // per-vguid: the VM subscribes with its own vGUID, through its PF.
    // A migrating VM keeps its subscription: the SA addresses it by vGUID, wherever it is now.
    if (this.subscriber === 'vguid' && !migrating) this.vms.informInfo(slot, 1, now);
    return slot;
  }

  /** Caches a path to `peer` in VM `name`'s SA agent with a PathRecord query. */
  peer(name: string, guidHigh: number, guidLow: number): number {
    const v = this.vmOf(name);
    const n = this.peerCount[v]!;
    if (n >= this.maxPeers) throw new Error(`vm ${name}: already has ${this.maxPeers} peers (--max-peers)`);
    this.peerCount[v] = n + 1;
    const e = v * this.maxPeers + n;
    const now = this.scheduler.nowNs;
    this.vms.vfAttached(this.slots + e, guidHigh, guidLow, now);
    this.vms.queryPath(v, e, now);
    return e;
  }

  /** Live migration, source side: the VM leaves (Dom0.migrateOut: life-cycle trap, GUIDInfoRecord Delete). */
  migrateOut(name: string): number {
    const v = this.vmOf(name);
    this.dom0.migrateOut(v, this.scheduler.nowNs);
    this.names.delete(name);
    return v;
  }

  /** The VMs' cache state (what tests compare with the SM's PathRecords). */
  cache(): VmCacheState[] {
    const out: VmCacheState[] = [];
    for (const [name, v] of this.names) {
      const entries: { vguid: string; dlid: number }[] = [];
      this.vms.pathCache.forEach(v, (h, l, dlid) => entries.push({ vguid: guidHex(h, l), dlid }));
      out.push({ name, vm: v, vguid: guidHex(this.vms.guidHigh[v]!, this.vms.guidLow[v]!), attached: this.vms.attached[v] === 1, entries });
    }
    return out;
  }

  private vmOf(name: string): number {
    const v = this.names.get(name);
    if (v === undefined) throw new Error(`vm ${name}: not on this host`);
    return v;
  }

  /** A VF slot is reused: the previous VM's cache and peers go with it. */
  private clearVm(v: number): void {
    this.vms.pathCache.clearVm(v);
    const base = v * this.maxPeers;
    for (let p = 0; p < this.maxPeers; p++) this.vms.conn[base + p] = 0;
    this.peerCount[v] = 0;
  }
}
