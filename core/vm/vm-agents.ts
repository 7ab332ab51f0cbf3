// The VMs' SA agents, one object for every VM of the run, indexed by VM. Per VM: its vGUID,
// its SA-agent path cache (PathCache: peer vGUID -> DLID and path fields) and the state of its
// RC connections to its peers (one byte per edge of the scenario's peer graph). A VM talks to
// the SA only through its host's PF (Dom0.sendFromVf) and hears from it only through Dom0.
//
// Algorithm 3: on a RePath notice, look the vGUID up in the cache and update it only when the
// DLID differs (every look-up counted as a check, every change as an update).
// Without signalling (static-no-signal, dynamic), a peer learns of a migration the hard way:
// its RC connection fails after the local ACK timeout x retries; for `dynamic` it must then
// resolve the peer's new vGUID (address resolution, ARP on IPoIB); then it asks the SA for a
// PathRecord (re-asking after a pause while the SA has no record).
//
// What the emulation knows that a real VM would not: which VM a vGUID belongs to (guidToVm),
// used to model RC failures of the peers and address resolution, and to attribute latencies.
import {
  DEFAULT_SUBNET_PREFIX_HIGH,
  DEFAULT_SUBNET_PREFIX_LOW,
  GSI_QP,
  MadStatus,
  Method,
  PathRecordMask,
  SaAttr,
  TrapNumber,
} from '../mad/constants.js';
import { MadError } from '../mad/mad-error.js';
import { MadView } from '../mad/mad-view.js';
import { writeReportResp } from '../mad/report-resp.js';
import { GuidHashTable } from '../tables/guid-hash.js';
import { PathCache, type PathCacheShared } from '../tables/path-cache.js';
import { guidHash } from '../tables/guid-slots.js';
import { rcDetectionNs, type CostModel } from '../engine/cost-model.js';
import type { Scheduler } from '../engine/event-queue.js';
import { EventKind } from '../engine/event-kinds.js';
import { Counter, type Counters } from '../metrics/counters.js';
import type { LatencyRecorder } from '../metrics/latency-recorder.js';
import { fillDom0InformInfo } from '../dom0/dom0.js';

/** What a VM needs from its host's PF: the tunnel out, and intra-host index upkeep. */
export interface PfTunnel {
  readonly smLid: number;
  sendFromVf(vm: number, mad: Uint8Array, dstLid: number, dstQp: number, dstGuidHigh: number, dstGuidLow: number, departNs: number): boolean;
  noteCacheDrop(vm: number, high: number, low: number): void;
  /** The VM's cache summary changed (bits added, or rebuilt): Dom0 rebuilds its host's sliced copy. */
  noteSummaryChange?(vm: number): void;
}

/** Connection state per edge (bit flags). */
export const Conn = {
  Connected: 1,
  Broken: 2,
  QueryPending: 4,
} as const;

import { SUMMARY_WORDS, type VfEndpoint } from '../dom0/vf-endpoint.js';
/** 32-bit words of each VM's cache summary (VmAgents.cacheSummary): 128 bits. */
export { SUMMARY_WORDS };

/** VM TID layout: high = tag(8) | op(8) | peer ordinal(16), low = VM. */
const VM_TID_TAG = 0x7e;
const VmOp = { PathRecord: 1, InformInfo: 2 } as const;

export interface VmAgentsOptions {
  readonly vms: number;
  /** Peers in CSR form (the scenario's): VM v caches paths to peerList[peerStart[v]..peerStart[v+1]). */
  readonly peerStart: Uint32Array;
  readonly peerList: Uint32Array;
  /** Configured (static) vGUID of each VM; the dynamic scheme replaces them with the SA's. */
  readonly vmGuidHigh: Uint32Array;
  readonly vmGuidLow: Uint32Array;
  /** Path-cache entries per VM (at least the largest peer count). */
  readonly cacheEntriesPerVm: number;
  readonly tunnel: PfTunnel;
  readonly scheduler: Scheduler;
  readonly cost: CostModel;
  readonly counters: Counters;
  readonly latency: LatencyRecorder;
  /** Peers detect failures by RC timeouts and re-query (static-no-signal, dynamic). */
  readonly detectFailures: boolean;
  /** After a failure, resolve the peer's (new) vGUID first (dynamic). */
  readonly resolveAddress: boolean;
  /**
   * Use this hot state (path caches, connection flags, cache summaries) instead of new tables:
   * a VM shard of the sharded engine works on the main thread's SharedArrayBuffers, each shard
   * writing only the rows of the VMs it owns.
   */
  readonly shared?: VmSharedState;
  /** Owner of each VM (shard index) and the owner this instance is: vfDetached breaks only owned peers' connections. */
  readonly ownerOf?: Uint8Array;
  readonly ownerId?: number;
}

/** The VMs' hot state as SharedArrayBuffers (VmAgents.toShared). */
export interface VmSharedState {
  readonly pathCache: PathCacheShared;
  readonly conn: SharedArrayBuffer;
  readonly summary: SharedArrayBuffer;
  /**
   * Optional: the per-edge PathRecord query state (generation, re-sends, no-record re-tries,
   * re-query rounds: 4 bytes per edge, in that order) on a SharedArrayBuffer, so that a dead VM
   * shard's rows survive its thread and can be rolled back (core/engine/shard/undo-journal.ts).
   */
  readonly edgeQuery?: SharedArrayBuffer;
}

export class VmAgents implements VfEndpoint {
  readonly vms: number;
  readonly pathCache: PathCache;
  /** Current vGUID of each VM (0 until a dynamic one is assigned). */
  readonly guidHigh: Uint32Array;
  readonly guidLow: Uint32Array;
  /** Every vGUID a VM ever had -> VM (emulation knowledge: RC failures, ARP, latency attribution). */
  readonly guidToVm: GuidHashTable;
  readonly peerStart: Uint32Array;
  readonly peerList: Uint32Array;
  /** Reverse peer graph: VMs that cache a path to x are inList[inStart[x]..inStart[x+1]). */
  readonly inStart: Uint32Array;
  readonly inList: Uint32Array;
  /** Conn flags per edge of the peer graph. */
  readonly conn: Uint8Array;
  /**
   * Per VM, a 128-bit summary of the vGUIDs its path cache holds (SUMMARY_WORDS words, three
   * hash bits per vGUID, a Bloom filter: with 8-16 cached paths, 3 bits leave a third to half of
   * the false positives 2 bits do, and each false positive is a cold path-cache probe): the fan-out's check skips the cache probe of a VM whose
   * summary lacks the notice's bits — on a busy fabric most VMs of a host do not cache the
   * migrated VM, and the probe is a cache miss per VM while the summaries of a host's VMs are a
   * few contiguous cache lines. A superset is always safe (a removal leaves its bits, rebuilt
   * at the VM's next removal); every insert goes through this class and sets the bits.
   */
  readonly cacheSummary: Uint32Array;
  /** Per edge: generation and re-sends of the outstanding PathRecord query. */
  private readonly queryGen: Uint8Array;
  private readonly queryRetries: Uint8Array;
  private readonly noRecordRetries: Uint8Array;
  /** Per edge: rounds of RC detection + query started after a query was abandoned (bounded). */
  private readonly requeryRounds: Uint8Array;
  /** Is the VM's vGUID on a port (attached), per VM. */
  readonly attached: Uint8Array;
  /** When Dom0 last sent the Set that put the VM's vGUID on a port (reconnection latency start). */
  readonly setSentNs: Float64Array;
  private readonly tunnel: PfTunnel;
  private readonly scheduler: Scheduler;
  private readonly cost: CostModel;
  private readonly counters: Counters;
  private readonly latency: LatencyRecorder;
  private readonly detectFailures: boolean;
  private readonly resolveAddress: boolean;
  private readonly rcDetectNs: number;
  private readonly view = new MadView();
  private readonly out = new Uint8Array(256);
  private readonly outView = new MadView();
  private readonly dropScratch: Uint32Array;
  private readonly ownerOf: Uint8Array | undefined;
  private readonly ownerId: number;
  /** Outstanding InformInfo Set per VM (per-vguid; 0 none, else subscribe + 1), generation, re-sends. */
  private readonly informPending: Uint8Array;
  private readonly informGen: Uint16Array;
  private readonly informRetries: Uint8Array;

  constructor(o: VmAgentsOptions) {
    const n = o.vms;
    if (o.peerStart.length !== n + 1) throw new RangeError(`VmAgents peerStart.length: ${o.peerStart.length} is not vms + 1 = ${n + 1}`);
    this.vms = n;
    this.peerStart = o.peerStart;
    this.peerList = o.peerList;
    this.pathCache = o.shared !== undefined ? PathCache.fromShared(o.shared.pathCache) : new PathCache(n, o.cacheEntriesPerVm);
    if (this.pathCache.vms !== n) throw new RangeError(`VmAgents shared.pathCache: ${this.pathCache.vms} VMs, not ${n}`);
    this.guidHigh = Uint32Array.from(o.vmGuidHigh);
    this.guidLow = Uint32Array.from(o.vmGuidLow);
    this.guidToVm = new GuidHashTable(Math.max(1024, n), { growable: true });
    const edges = o.peerStart[n]!;
    const inCount = new Uint32Array(n + 1);
    for (let e = 0; e < edges; e++) {
      const x = o.peerList[e]!;
      if (x >= n) throw new RangeError(`VmAgents peerList[${e}]: ${x} is not a VM (vms ${n})`);
      inCount[x + 1]!++;
    }
    for (let x = 0; x < n; x++) inCount[x + 1]! += inCount[x]!;
    this.inStart = inCount;
    this.inList = new Uint32Array(edges);
    const fill = inCount.slice(0, n);
    for (let v = 0; v < n; v++) {
      for (let e = o.peerStart[v]!; e < o.peerStart[v + 1]!; e++) this.inList[fill[o.peerList[e]!]!++] = v;
    }
    // On SharedArrayBuffers so that VM shards (core/engine/shard) can work on them in place.
    this.conn = new Uint8Array(o.shared?.conn ?? new SharedArrayBuffer(edges));
    this.cacheSummary = new Uint32Array(o.shared?.summary ?? new SharedArrayBuffer(n * SUMMARY_WORDS * 4));
    if (this.conn.length !== edges) throw new RangeError(`VmAgents shared.conn: ${this.conn.length} bytes, not one per edge (${edges})`);
    if (this.cacheSummary.length !== n * SUMMARY_WORDS) throw new RangeError(`VmAgents shared.summary: ${this.cacheSummary.length} words, not ${n * SUMMARY_WORDS}`);
    this.ownerOf = o.ownerOf;
    this.ownerId = o.ownerId ?? 0;
    const eq = o.shared?.edgeQuery ?? new ArrayBuffer(4 * edges);
    if (eq.byteLength !== 4 * edges) throw new RangeError(`VmAgents shared.edgeQuery: ${eq.byteLength} bytes, not 4 per edge (${4 * edges})`);
    this.queryGen = new Uint8Array(eq, 0, edges);
    this.queryRetries = new Uint8Array(eq, edges, edges);
    this.noRecordRetries = new Uint8Array(eq, 2 * edges, edges);
    this.requeryRounds = new Uint8Array(eq, 3 * edges, edges);
    this.attached = new Uint8Array(n);
    this.setSentNs = new Float64Array(n);
    this.tunnel = o.tunnel;
    this.scheduler = o.scheduler;
    this.cost = o.cost;
    this.counters = o.counters;
    this.latency = o.latency;
    this.detectFailures = o.detectFailures;
    this.resolveAddress = o.resolveAddress;
    this.rcDetectNs = rcDetectionNs(o.cost);
    this.outView.wrapForWrite(this.out);
    this.dropScratch = new Uint32Array(2 * Math.max(1, o.cacheEntriesPerVm));
    this.informPending = new Uint8Array(n);
    this.informGen = new Uint16Array(n);
    this.informRetries = new Uint8Array(n);
    for (let v = 0; v < n; v++) {
      if ((this.guidHigh[v]! | this.guidLow[v]!) !== 0) this.guidToVm.set(this.guidHigh[v]!, this.guidLow[v]!, v);
    }
  }

  // ------------------------------------------------------------------ VfEndpoint (from Dom0)

  vfSetSent(vm: number, nowNs: number): void {
    this.setSentNs[vm] = nowNs;
  }

  vfAttached(vm: number, guidHigh: number, guidLow: number, _nowNs: number): void {
    this.guidHigh[vm] = guidHigh;
    this.guidLow[vm] = guidLow;
    this.guidToVm.set(guidHigh, guidLow, vm);
    this.attached[vm] = 1;
  }

  /**
   * The VM's VF is gone: every peer's RC connection to it fails. Signalling schemes repair them
   * when the notice arrives; without signalling, each peer notices after the RC detection time.
   */
  vfDetached(x: number, nowNs: number): void {
    this.attached[x] = 0;
    const c = this.counters.v;
    const owner = this.ownerOf;
    for (let i = this.inStart[x]!; i < this.inStart[x + 1]!; i++) {
      const v = this.inList[i]!;
      if (owner !== undefined && owner[v] !== this.ownerId) continue; // another shard's peer
      const e = this.edgeOf(v, x);
      if (e < 0) continue;
      const s = this.conn[e]!;
      if ((s & Conn.Connected) === 0) continue;
      this.conn[e] = (s & ~Conn.Connected) | Conn.Broken;
      c[Counter.vmConnectionsBroken]!++;
      if (this.detectFailures) this.scheduler.push(nowNs + this.rcDetectNs, EventKind.VmPeerDetect, v, e, 0);
    }
  }

  forEachCachedGuid(vm: number, fn: (high: number, low: number) => void): void {
    this.pathCache.forEach(vm, (h, l) => fn(h, l));
  }

  deliver(vm: number, mad: Uint8Array, forwarded: boolean, nowNs: number): void {
    const v = this.view;
    if (forwarded) {
      // Dom0 validated this notice when it arrived at the PF: no second decode check per VF.
      v.wrapForWrite(mad);
    } else {
      try {
        v.wrap(mad);
      } catch (e) {
        if (!(e instanceof MadError)) throw e;
        this.counters.v[Counter.vmDropped]!++;
        return;
      }
    }
    if (v.mgmtClass !== 0x03) {
      this.counters.v[Counter.vmDropped]!++;
      return;
    }
    const method = v.method;
    const attr = v.attributeId;
    const done = nowNs + this.cost.vmServiceNs;
    if (method === Method.Report && attr === SaAttr.Notice) {
      if (!forwarded) {
        // per-vguid: the Report came to this VF's own subscription; it answers the SM itself.
        writeReportResp(this.out, v.bytes);
        this.tunnel.sendFromVf(vm, this.out, this.tunnel.smLid, GSI_QP, 0, 0, done);
      }
      this.onNotice(vm, v, done);
      return;
    }
    if (method === Method.GetResp && attr === SaAttr.PathRecord) {
      this.onPathRecordResp(vm, v, done);
      return;
    }
    if (method === Method.GetResp && attr === SaAttr.InformInfo) {
      this.onInformInfoResp(vm, v);
      return;
    }
    // Nothing else is for a VM's SA agent (a request to it, a stray response): counted.
    this.counters.v[Counter.vmDropped]!++;
  }

  private onInformInfoResp(vm: number, v: MadView): void {
    const c = this.counters.v;
    const tidHigh = v.tidHigh;
    if (
      tidHigh >>> 24 !== VM_TID_TAG ||
      ((tidHigh >>> 16) & 0xff) !== VmOp.InformInfo ||
      v.tidLow !== vm ||
      this.informPending[vm] === 0 ||
      (tidHigh & 0xffff) !== this.informGen[vm]
    ) {
      c[Counter.vmDropped]!++; // the answer to a re-sent copy, or to no request of ours
      return;
    }
    this.informPending[vm] = 0;
    if (v.status === MadStatus.Ok) c[Counter.vmInformInfoAcks]!++;
  }

  // ------------------------------------------------------------------ Algorithm 3

  private onNotice(vm: number, v: MadView, nowNs: number): void {
    const c = this.counters.v;
    const n = v.notice;
    c[Counter.vmNoticesReceived]!++;
    if (n.isGeneric !== 1) return;
    const trap = n.trapNumber;
    if (trap === TrapNumber.RePath) {
      c[Counter.vmCacheChecks]!++;
      this.applyRePath(vm, n.vgid.guidHigh, n.vgid.guidLow, n.newLid, nowNs);
    } else if (trap === TrapNumber.UnPath) {
      c[Counter.vmCacheChecks]!++;
      this.applyUnPath(vm, n.vgid.guidHigh, n.vgid.guidLow);
    }
  }

  /** RePath: update the cached DLID when it differs; a broken connection to the peer is restored. */
  private applyRePath(vm: number, gh: number, gl: number, newLid: number, nowNs: number): void {
    const dlid = this.pathCache.lookup(vm, gh, gl);
    if (dlid >= 0 && dlid !== newLid) {
      this.pathCache.updateDlid(vm, gh, gl, newLid);
      this.counters.v[Counter.vmCacheUpdates]!++;
      this.peerFixed(vm, gh, gl, nowNs);
    }
  }

  /** UnPath: the peer's vGUID is gone from the subnet; drop it from the cache. */
  private applyUnPath(vm: number, gh: number, gl: number): void {
    if (this.pathCache.remove(vm, gh, gl)) {
      this.summaryRebuild(vm);
      this.counters.v[Counter.vmCacheRemovals]!++;
      this.tunnel.noteCacheDrop(vm, gh, gl);
      // The peer is gone: its connection is closed, not broken (no RC timeout to chase).
      const x = this.guidToVm.get(gh, gl);
      const e = x < 0 ? -1 : this.edgeOf(vm, x);
      if (e >= 0) this.conn[e] = 0;
    }
  }

  /**
   * Fast fan-out, check side (VfEndpoint.checkForwarded): every VM's notice and cache check is
   * counted here, in one pass over the cache summaries (the path cache is probed only where a
   * summary has the vGUID's bits); only the VMs whose cache changes come
   * back, and get applyForwarded at their VF's time.
   */
  checkForwarded(vms: Int32Array, n: number, trap: number, high: number, low: number, newLid: number, hits: Int32Array, from = 0): number {
    const c = this.counters.v;
    c[Counter.vmNoticesReceived]! += n;
    if (trap !== TrapNumber.RePath && trap !== TrapNumber.UnPath) return 0;
    c[Counter.vmCacheChecks]! += n;
    const h = guidHash(high, low);
    const w1 = (h & 127) >>> 5;
    const m1 = 1 << (h & 31);
    const w2 = ((h >>> 7) & 127) >>> 5;
    const m2 = 1 << ((h >>> 7) & 31);
    const w3 = ((h >>> 14) & 127) >>> 5;
    const m3 = 1 << ((h >>> 14) & 31);
    const sum = this.cacheSummary;
    // Only VMs whose summary has all three bits are probed (PathCache.lookup); a RePath hits a VM
    // whose cached DLID differs, an UnPath every VM that caches the vGUID.
    const pc = this.pathCache;
    const rePath = trap === TrapNumber.RePath;
    let k = 0;
    const end = from + n;
    for (let t = from; t < end; t++) {
      const vm = vms[t]!;
      const b = vm * SUMMARY_WORDS;
      if ((sum[b + w1]! & m1) === 0 || (sum[b + w2]! & m2) === 0 || (sum[b + w3]! & m3) === 0) continue;
      const dlid = pc.lookup(vm, high, low);
      if (dlid >= 0 && (!rePath || dlid !== newLid)) hits[k++] = t - from;
    }
    return k;
  }

  /**
   * Fast fan-out over bit-sliced summaries (Dom0 keeps them per host: see Dom0.buildFanList):
   * slices[base + bit * words + w] has bit j set when the VM at position 32w + j of the list
   * vms[from..from + n) has summary bit `bit`. The VMs whose summary has the vGUID's three bits
   * are then those of (slice of bit 1) AND (slice of bit 2) AND (slice of bit 3): 32 VMs' Bloom tests per word
   * operation instead of three loads per VM. Same checks, hits and counts as checkForwarded.
   */
  checkForwardedSliced(
    vms: Int32Array,
    from: number,
    n: number,
    slices: Uint32Array,
    base: number,
    words: number,
    trap: number,
    high: number,
    low: number,
    newLid: number,
    hits: Int32Array,
  ): number {
    const c = this.counters.v;
    c[Counter.vmNoticesReceived]! += n;
    if (trap !== TrapNumber.RePath && trap !== TrapNumber.UnPath) return 0;
    c[Counter.vmCacheChecks]! += n;
    const h = guidHash(high, low);
    const s1 = base + (h & 127) * words;
    const s2 = base + ((h >>> 7) & 127) * words;
    const s3 = base + ((h >>> 14) & 127) * words;
    const pc = this.pathCache;
    const rePath = trap === TrapNumber.RePath;
    let k = 0;
    for (let w = 0; w < words; w++) {
      let cand = slices[s1 + w]! & slices[s2 + w]! & slices[s3 + w]!;
      while (cand !== 0) {
        const i = (w << 5) | (31 - Math.clz32(cand & -cand));
        cand &= cand - 1;
        if (i >= n) break;
        const vm = vms[from + i]!;
        const dlid = pc.lookup(vm, high, low);
        if (dlid >= 0 && (!rePath || dlid !== newLid)) hits[k++] = i;
      }
    }
    return k;
  }

  /** Sets the summary bits of vGUID (high, low) for `vm` (every insert into its cache). */
  private summaryAdd(vm: number, high: number, low: number): void {
    const h = guidHash(high, low);
    const b = vm * SUMMARY_WORDS;
    const s = this.cacheSummary;
    s[b + ((h & 127) >>> 5)]! |= 1 << (h & 31);
    s[b + (((h >>> 7) & 127) >>> 5)]! |= 1 << ((h >>> 7) & 31);
    s[b + (((h >>> 14) & 127) >>> 5)]! |= 1 << ((h >>> 14) & 31);
    this.tunnel.noteSummaryChange?.(vm);
  }

  /** Recomputes the VM's summary from its cache (after a removal, so stale bits go). */
  private summaryRebuild(vm: number): void {
    this.cacheSummary.fill(0, vm * SUMMARY_WORDS, (vm + 1) * SUMMARY_WORDS);
    this.pathCache.forEach(vm, (h, l) => this.summaryAdd(vm, h, l));
    this.tunnel.noteSummaryChange?.(vm);
  }

  /** Fast fan-out, apply side: the VM's SA agent handles the notice (vmServiceNs) and changes its cache. */
  applyForwarded(vm: number, mad: Uint8Array, nowNs: number): void {
    const n = this.view.wrapForWrite(mad).notice;
    this.applyNotice(vm, n.trapNumber, n.vgid.guidHigh, n.vgid.guidLow, n.newLid, nowNs);
  }

  /** applyForwarded from the notice's fields (a VM shard keeps fields, not MADs). */
  applyNotice(vm: number, trap: number, high: number, low: number, newLid: number, nowNs: number): void {
    const done = nowNs + this.cost.vmServiceNs;
    if (trap === TrapNumber.RePath) this.applyRePath(vm, high, low, newLid, done);
    else if (trap === TrapNumber.UnPath) this.applyUnPath(vm, high, low);
  }

  /** The VM's VF is gone, as far as this thread's copy goes (the sharded engine: shards break the peers' connections). */
  markDetached(x: number): void {
    this.attached[x] = 0;
  }

  /** The hot state as SharedArrayBuffers, for VM shards. */
  toShared(): VmSharedState {
    return { pathCache: this.pathCache.toShared(), conn: this.conn.buffer as SharedArrayBuffer, summary: this.cacheSummary.buffer as SharedArrayBuffer };
  }

  /** The cache of `vm` now holds the right DLID for vGUID (high, low): repair the connection. */
  private peerFixed(vm: number, high: number, low: number, nowNs: number): void {
    const x = this.guidToVm.get(high, low);
    if (x < 0) return;
    const e = this.edgeOf(vm, x);
    if (e < 0) return;
    const s = this.conn[e]!;
    if ((s & Conn.Broken) === 0) return;
    this.conn[e] = (s & ~Conn.Broken) | Conn.Connected;
    this.counters.v[Counter.vmConnectionsRestored]!++;
    this.latency.record(nowNs - this.setSentNs[x]!);
  }

  // ------------------------------------------------------------------ SA queries

  /** Asks the SA for a path to every peer (setup through MADs). */
  resolveAllPeers(nowNs: number): void {
    for (let v = 0; v < this.vms; v++) {
      for (let e = this.peerStart[v]!; e < this.peerStart[v + 1]!; e++) this.queryPath(v, e, nowNs);
    }
  }

  /** PathRecord Get for peer edge `e` of VM `v`, DGID = the peer's vGUID as `v` knows it. */
  queryPath(v: number, e: number, nowNs: number): void {
    this.queryRetries[e] = 0;
    this.queryGen[e] = (this.queryGen[e]! + 1) & 0xff;
    this.counters.v[Counter.vmSaQueries]!++;
    this.transmitQuery(v, e, nowNs);
  }

  private transmitQuery(v: number, e: number, nowNs: number): void {
    const x = this.peerList[e]!;
    const ordinal = e - this.peerStart[v]!;
    const o = this.outView.initSa(Method.Get, SaAttr.PathRecord, ((VM_TID_TAG << 24) | (VmOp.PathRecord << 16) | (ordinal & 0xffff)) >>> 0, v);
    o.componentMaskHigh = 0;
    o.componentMaskLow = ((1 << PathRecordMask.DGID) | (1 << PathRecordMask.SGID) | (1 << PathRecordMask.NUMB_PATH)) >>> 0;
    const pr = o.pathRecord;
    pr.dgid.set(DEFAULT_SUBNET_PREFIX_HIGH, DEFAULT_SUBNET_PREFIX_LOW, this.guidHigh[x]!, this.guidLow[x]!);
    pr.sgid.set(DEFAULT_SUBNET_PREFIX_HIGH, DEFAULT_SUBNET_PREFIX_LOW, this.guidHigh[v]!, this.guidLow[v]!);
    pr.numbPath = 1;
    pr.reversible = 1;
    this.conn[e]! |= Conn.QueryPending;
    const depart = nowNs + this.cost.vmServiceNs;
    if (!this.tunnel.sendFromVf(v, this.out, this.tunnel.smLid, GSI_QP, 0, 0, depart)) {
      this.conn[e]! &= ~Conn.QueryPending;
      return;
    }
    this.scheduler.push(depart + this.cost.clientRespTimeoutNs, EventKind.VmQueryTimeout, v, e, this.queryGen[e]!);
  }

  private onQueryTimeout(v: number, e: number, gen: number, nowNs: number): void {
    if ((this.conn[e]! & Conn.QueryPending) === 0 || this.queryGen[e] !== gen) return; // answered
    const c = this.counters.v;
    c[Counter.vmSaQueryTimeouts]!++;
    if (this.queryRetries[e]! >= this.cost.clientMaxRetries) {
      this.conn[e]! &= ~Conn.QueryPending;
      c[Counter.vmSaQueriesAbandoned]!++;
      // Issue 7: the connection is still broken, so the application's next attempt fails again
      // after the RC timeout and asks again: a lossy fabric delays the repair rather than losing
      // it. Bounded (clientMaxRetries rounds) so that an SA that never answers ends the run.
      if (this.detectFailures && (this.conn[e]! & Conn.Broken) !== 0 && this.requeryRounds[e]! < this.cost.clientMaxRetries) {
        this.requeryRounds[e]!++;
        c[Counter.vmRequeriesAfterAbandon]!++;
        this.scheduler.push(nowNs + this.rcDetectNs, EventKind.VmPeerDetect, v, e, 0);
      }
      return;
    }
    this.queryRetries[e]!++;
    this.transmitQuery(v, e, nowNs);
  }

  private onPathRecordResp(v: number, m: MadView, nowNs: number): void {
    const c = this.counters.v;
    const tidHigh = m.tidHigh;
    const e = this.peerStart[v]! + (tidHigh & 0xffff);
    if (
      tidHigh >>> 24 !== VM_TID_TAG ||
      ((tidHigh >>> 16) & 0xff) !== VmOp.PathRecord ||
      m.tidLow !== v ||
      e >= this.peerStart[v + 1]! ||
      // a duplicate answer (the query was re-sent)
      (this.conn[e]! & Conn.QueryPending) === 0
    ) {
      c[Counter.vmDropped]!++;
      return;
    }
    c[Counter.vmPathRecordAnswers]!++;
    this.conn[e]! &= ~Conn.QueryPending;
    if (m.status !== MadStatus.Ok) {
      c[Counter.vmSaNoRecords]!++;
      if (this.noRecordRetries[e]! >= this.cost.saNoRecordsMaxRetries) {
        c[Counter.vmSaQueriesAbandoned]!++;
        return;
      }
      this.noRecordRetries[e]!++;
      this.scheduler.push(nowNs + this.cost.saQueryRetryNs, EventKind.VmQueryRetry, v, e, 0);
      return;
    }
    this.noRecordRetries[e] = 0;
    this.requeryRounds[e] = 0;
    const pr = m.pathRecord;
    const gh = pr.dgid.guidHigh;
    const gl = pr.dgid.guidLow;
    const dlid = pr.dlid;
    const x = this.peerList[e]!;
    if (this.resolveAddress) this.dropOtherGuidsOf(v, x, gh, gl);
    const cur = this.pathCache.lookup(v, gh, gl);
    if (cur < 0) {
      if (this.pathCache.insert(v, gh, gl, dlid, pr.sl, pr.mtu & 0x3f, pr.rate & 0x3f)) {
        this.summaryAdd(v, gh, gl);
        // A re-inserted path after a failure counts as the cache update that repaired it.
        c[(this.conn[e]! & Conn.Broken) !== 0 ? Counter.vmCacheUpdates : Counter.vmCacheInserts]!++;
      } else {
        c[Counter.vmCacheFull]!++;
        return;
      }
    } else if (cur !== dlid) {
      this.pathCache.updateDlid(v, gh, gl, dlid);
      c[Counter.vmCacheUpdates]!++;
    }
    const s = this.conn[e]!;
    if ((s & Conn.Broken) !== 0) {
      this.peerFixed(v, gh, gl, nowNs);
    } else {
      this.conn[e] = s | Conn.Connected;
    }
  }

  /** dynamic: the peer's old vGUIDs in v's cache are dead; drop them. */
  private dropOtherGuidsOf(v: number, x: number, keepHigh: number, keepLow: number): void {
    let n = 0;
    const d = this.dropScratch;
    this.pathCache.forEach(v, (h, l) => {
      if ((h !== keepHigh || l !== keepLow) && this.guidToVm.get(h, l) === x && n + 2 <= d.length) {
        d[n++] = h;
        d[n++] = l;
      }
    });
    for (let i = 0; i < n; i += 2) {
      this.pathCache.remove(v, d[i]!, d[i + 1]!);
      this.counters.v[Counter.vmCacheRemovals]!++;
      this.tunnel.noteCacheDrop(v, d[i]!, d[i + 1]!);
    }
    if (n > 0) this.summaryRebuild(v);
  }

  // ------------------------------------------------------------------ subscriptions (per-vguid)

  /** Every VM subscribes with its own vGUID (per-vguid): InformInfo Set through its PF. */
  subscribeAll(nowNs: number): void {
    for (let v = 0; v < this.vms; v++) this.informInfo(v, 1, nowNs);
  }

  informInfo(v: number, subscribe: 0 | 1, nowNs: number): void {
    if (!Number.isInteger(v) || v < 0 || v >= this.vms) throw new RangeError(`VmAgents informInfo vm: ${v} is not in 0..${this.vms - 1}`);
    this.informPending[v] = subscribe + 1;
    this.informGen[v] = (this.informGen[v]! + 1) & 0xffff;
    this.informRetries[v] = 0;
    this.transmitInformInfo(v, nowNs);
  }

  /** (Re)sends the VM's outstanding InformInfo Set (generation in the TID) and arms its timer. */
  private transmitInformInfo(v: number, nowNs: number): void {
    const gen = this.informGen[v]!;
    const o = this.outView.initSa(Method.Set, SaAttr.InformInfo, ((VM_TID_TAG << 24) | (VmOp.InformInfo << 16) | gen) >>> 0, v);
    fillDom0InformInfo(o, (this.informPending[v]! - 1) as 0 | 1);
    const depart = nowNs + this.cost.vmServiceNs;
    if (!this.tunnel.sendFromVf(v, this.out, this.tunnel.smLid, GSI_QP, 0, 0, depart)) {
      this.informPending[v] = 0; // no VF (or refused at the tunnel, answered there): nothing to wait for
      return;
    }
    this.scheduler.push(depart + this.cost.clientRespTimeoutNs, EventKind.VmInformTimeout, v, gen, 0);
  }

  private onInformTimeout(v: number, gen: number, nowNs: number): void {
    if (this.informPending[v] === 0 || this.informGen[v] !== gen) return; // answered meanwhile
    const c = this.counters.v;
    if (this.informRetries[v]! >= this.cost.clientMaxRetries) {
      c[Counter.vmInformInfoAbandoned]!++;
      this.informPending[v] = 0;
      return;
    }
    this.informRetries[v]!++;
    c[Counter.vmInformInfoRetries]!++;
    this.transmitInformInfo(v, nowNs);
  }

  // ------------------------------------------------------------------ events

  onEvent(kind: number, v: number, e: number, gen: number, nowNs: number): void {
    const c = this.counters.v;
    switch (kind) {
      case EventKind.VmQueryTimeout:
        this.onQueryTimeout(v, e, gen, nowNs);
        return;
      case EventKind.VmPeerDetect:
        // Repaired by a notice meanwhile (or the peer is not cached any more): nothing failed.
        if ((this.conn[e]! & Conn.Broken) === 0) return;
        c[Counter.vmPeerDetections]!++;
        if (this.resolveAddress) this.scheduler.push(nowNs + this.cost.addressResolutionNs, EventKind.VmResolved, v, e, 0);
        else this.queryPath(v, e, nowNs);
        return;
      case EventKind.VmResolved: {
        const x = this.peerList[e]!;
        if (this.attached[x] === 0) {
          // The peer has no address yet (still migrating): ask again later.
          this.scheduler.push(nowNs + this.cost.saQueryRetryNs, EventKind.VmResolved, v, e, 0);
          return;
        }
        c[Counter.vmAddressResolutions]!++;
        this.queryPath(v, e, nowNs);
        return;
      }
      case EventKind.VmInformTimeout:
        this.onInformTimeout(v, e, nowNs);
        return;
      case EventKind.VmQueryRetry:
        c[Counter.vmSaQueryRetries]!++;
        if (this.resolveAddress) this.scheduler.push(nowNs + this.cost.addressResolutionNs, EventKind.VmResolved, v, e, 0);
        else this.queryPath(v, e, nowNs);
        return;
      default:
        throw new RangeError(`VmAgents event kind: ${kind} is not a VM event`);
    }
  }

  // ------------------------------------------------------------------ helpers

  /** Edge index of peer x in v's list, or -1. */
  edgeOf(v: number, x: number): number {
    const end = this.peerStart[v + 1]!;
    for (let e = this.peerStart[v]!; e < end; e++) if (this.peerList[e] === x) return e;
    return -1;
  }

  /**
   * Warm start without MADs: v's cache gets the path to each peer at `lidOf(peer vGUID)`, and the
   * connection is up. Returns the entries inserted.
   */
  preload(lidOf: (high: number, low: number) => number, onInsert?: (v: number, high: number, low: number) => void): number {
    let inserted = 0;
    for (let v = 0; v < this.vms; v++) {
      for (let e = this.peerStart[v]!; e < this.peerStart[v + 1]!; e++) {
        const x = this.peerList[e]!;
        const h = this.guidHigh[x]!;
        const l = this.guidLow[x]!;
        const lid = lidOf(h, l);
        if (lid < 0) continue;
        if (this.pathCache.lookup(v, h, l) < 0 && this.pathCache.insert(v, h, l, lid, 0, 0x84 & 0x3f, 0x87 & 0x3f)) {
          this.summaryAdd(v, h, l);
          inserted++;
        }
        this.conn[e] = Conn.Connected;
        if (onInsert !== undefined) onInsert(v, h, l);
      }
    }
    return inserted;
  }

  /** Cache entries whose DLID differs from `truth` (the SM's LID-vGUID table; -1 = no such vGUID). */
  staleEntries(truth: (high: number, low: number) => number): { stale: number; entries: number } {
    let stale = 0;
    let entries = 0;
    for (let v = 0; v < this.vms; v++) {
      this.pathCache.forEach(v, (h, l, dlid) => {
        entries++;
        if (truth(h, l) !== dlid) stale++;
      });
    }
    return { stale, entries };
  }
}
