// A whole run on one thread: build the fabric of a scenario under one scheme and cost model,
// set it up (VMs created, subscriptions, path caches), run its migrations to quiescence, and
// count stale cache entries against the SM's truth. The engine's sharded runner builds on the
// same pieces: host and VM work is keyed by host / VM index throughout, so it can be split.
import type { Scenario, SchemeName } from '../scenario/scenario.js';
import { MadView } from '../mad/mad-view.js';
import { defaultCostModel, type CostModel } from './cost-model.js';
import { EventQueue } from './event-queue.js';
import { EventKind } from './event-kinds.js';
import { Counter, Counters, type CounterName } from '../metrics/counters.js';
import { ArrayLatencyRecorder, type LatencyRecorder } from '../metrics/latency-recorder.js';
import { EmulatedFabric } from '../fabric/emulated-fabric.js';
import type { MadTap } from '../fabric/transport.js';
import { assignLids, type LidPlan } from '../sm/lid-assignment.js';
import { SubnetManager } from '../sm/subnet-manager.js';
import { attachVguid } from '../sm/sa-guid-info-record.js';
import { informFieldsFrom, subscribeDirect } from '../sm/sa-inform-info.js';
import { recordInterestDirect } from '../sm/sa-path-record.js';
import { InformFields } from '../sm/subscriptions.js';
import { Dom0, fillDom0InformInfo } from '../dom0/dom0.js';
import { VmAgents } from '../vm/vm-agents.js';
import { schemeConfig, Subscriber, type SchemeConfig } from '../schemes.js';

/** The SM's own port GUID when it has a port of its own ("repath SM"; never a host's or VM's). */
export const SM_PORT_GUID_HIGH = 0x5e9a7000;
export const SM_PORT_GUID_LOW = 0x00000001;

/** Edges (peer paths) above which setup defaults to 'direct' (no MADs). */
export const DIRECT_SETUP_THRESHOLD = 200_000;

export interface FabricOptions {
  readonly cost?: CostModel;
  readonly latency?: LatencyRecorder;
  readonly tap?: MadTap;
  /** Path-cache entries per VM; default: largest peer count + 4. */
  readonly cacheEntriesPerVm?: number;
  /** SM_Key the SM puts in its Reports and every Dom0 expects (issue 7); default 0 = none configured. */
  readonly smKeyHigh?: number;
  readonly smKeyLow?: number;
  /** Deliver forwarded notices one event per VF (the reference model) instead of the fast fan-out. */
  readonly perVfDelivery?: boolean;
  /** The hosts the SM sends Reports to (SubnetManagerOptions.reportHosts); default: every host. */
  readonly reportHosts?: Uint8Array;
}

/** One emulated subnet: SM, every Dom0, every VM, the fabric and the clock. */
export class EmulatedSubnet {
  readonly scenario: Scenario;
  readonly scheme: SchemeConfig;
  readonly cost: CostModel;
  readonly queue = new EventQueue(4096);
  readonly counters = new Counters();
  readonly latency: LatencyRecorder;
  readonly lids: LidPlan;
  readonly fabric: EmulatedFabric;
  readonly sm: SubnetManager;
  readonly dom0: Dom0;
  readonly vms: VmAgents;
  private migrationOffsetNs = 0;

  constructor(scenario: Scenario, scheme: SchemeName | string, o: FabricOptions = {}) {
    this.scenario = scenario;
    this.scheme = schemeConfig(scheme);
    this.cost = o.cost ?? defaultCostModel();
    this.latency = o.latency ?? new ArrayLatencyRecorder();
    const s = scenario;
    // Timers armed at a constant delay after a monotone time wait in FIFO lanes, not the heap
    // (event-queue.ts): Report timeouts (after the SM's FIFO transmitter), the Dom0 and VM
    // agents' request timeouts (after their service time) and RC failure detection; so do the
    // SM's fan-out turns.
    const q = this.queue;
    q.setLane(EventKind.SmReportTimeout, 0);
    q.setLane(EventKind.Dom0RequestTimeout, 1);
    q.setLane(EventKind.Dom0InformTimeout, 1);
    q.setLane(EventKind.Dom0TrapTimeout, 1);
    q.setLane(EventKind.VmQueryTimeout, 2);
    q.setLane(EventKind.VmInformTimeout, 2);
    q.setLane(EventKind.VmPeerDetect, 3);
    // The SM's fan-out turns: one pending at a time, at the transmitter's free time (monotone).
    q.setLane(EventKind.SmFanout, 4);
    // MADs on the wire, one lane each way: in a storm they arrive mostly in the order they were
    // sent, as the SM sends a Report every smServiceNs, longer than the spread of link latencies,
    // and each ReportResp leaves its Dom0 a fixed service time after its Report arrived. (One lane
    // for both would take only half: a Report is sent before the previous ReportResp, which
    // arrives first.) The few that overtake an earlier one go to the heap.
    q.setLane(EventKind.FabricDeliver, 5);
    q.setLane(EventKind.FabricDeliverToSm, 6);
    this.lids = assignLids(s.hosts);
    this.fabric = new EmulatedFabric({
      topology: s.topology,
      cost: this.cost,
      queue: this.queue,
      counters: this.counters,
      seed: s.seed,
      ...(o.tap !== undefined ? { tap: o.tap } : {}),
    });
    for (let h = 0; h < s.hosts; h++) this.fabric.setLidHost(this.lids.hostLid[h]!, h);
    if (this.lids.smHost < 0) this.fabric.setLidHost(this.lids.smLid, -1);
    const smGuidHigh = this.lids.smHost < 0 ? SM_PORT_GUID_HIGH : s.hostPortGuidHigh[this.lids.smHost]!;
    const smGuidLow = this.lids.smHost < 0 ? SM_PORT_GUID_LOW : s.hostPortGuidLow[this.lids.smHost]!;
    this.sm = new SubnetManager({
      hosts: s.hosts,
      slotsPerHost: s.slotsPerHost,
      hostPortGuidHigh: s.hostPortGuidHigh,
      hostPortGuidLow: s.hostPortGuidLow,
      lids: this.lids,
      smPortGuidHigh: smGuidHigh,
      smPortGuidLow: smGuidLow,
      transport: this.fabric,
      scheduler: this.queue,
      cost: this.cost,
      counters: this.counters,
      reportScope: this.scheme.reportScope,
      recordInterest: this.scheme.recordInterest,
      expectedVguids: s.vms,
      smKeyHigh: o.smKeyHigh ?? 0,
      smKeyLow: o.smKeyLow ?? 0,
      ...(o.reportHosts !== undefined ? { reportHosts: o.reportHosts } : {}),
    });
    this.dom0 = new Dom0({
      hosts: s.hosts,
      slotsPerHost: s.slotsPerHost,
      vms: s.vms,
      hostPortGuidHigh: s.hostPortGuidHigh,
      hostPortGuidLow: s.hostPortGuidLow,
      hostLid: this.lids.hostLid,
      smLid: this.lids.smLid,
      transport: this.fabric,
      scheduler: this.queue,
      slab: this.fabric.slab,
      cost: this.cost,
      counters: this.counters,
      forwardMode: this.scheme.forwardMode,
      // Issue 7: Reports must come from the SM's port; VFs may not subscribe in the per-pf schemes.
      smPortGuidHigh: smGuidHigh,
      smPortGuidLow: smGuidLow,
      vfSubscriptions: this.scheme.subscriber !== Subscriber.PerPf,
      perVfDelivery: o.perVfDelivery ?? false,
      smKeyHigh: o.smKeyHigh ?? 0,
      smKeyLow: o.smKeyLow ?? 0,
    });
    let maxDegree = 0;
    for (let v = 0; v < s.vms; v++) maxDegree = Math.max(maxDegree, s.peerStart[v + 1]! - s.peerStart[v]!);
    const zeros = new Uint32Array(s.vms);
    this.vms = new VmAgents({
      vms: s.vms,
      peerStart: s.peerStart,
      peerList: s.peerList,
      vmGuidHigh: this.scheme.dynamicGuids ? zeros : s.vmGuidHigh,
      vmGuidLow: this.scheme.dynamicGuids ? zeros : s.vmGuidLow,
      cacheEntriesPerVm: o.cacheEntriesPerVm ?? maxDegree + 4,
      tunnel: this.dom0,
      scheduler: this.queue,
      cost: this.cost,
      counters: this.counters,
      latency: this.latency,
      detectFailures: this.scheme.detectFailures,
      resolveAddress: this.scheme.resolveAddress,
    });
    this.dom0.attachVfEndpoint(this.vms);
  }

  /** Handles events until none is left (or the next one is later than untilNs). Returns events handled. */
  run(untilNs = Infinity): number {
    return this.runUntilHorizon({ horizonNs: untilNs });
  }

  /**
   * Handles events while the next one is not later than `limit.horizonNs`, read again before
   * every event (the sharded engine lowers it while the run goes on). Returns events handled.
   */
  runUntilHorizon(limit: { readonly horizonNs: number }): number {
    const q = this.queue;
    let n = 0;
    while (q.popNotAfter(limit.horizonNs)) {
      n++;
      this.handlePopped();
    }
    return n;
  }

  /** Hands the event the queue has just popped (its kind, a, b, c, nowNs) to the component that owns it. */
  handlePopped(): void {
    const q = this.queue;
    const kind = q.kind;
    switch (kind >>> 4) {
      case 0:
        this.fabric.deliver(q.a, q.nowNs);
        break;
      case 1:
        this.sm.onEvent(kind, q.a, q.b, q.nowNs);
        break;
      case 2:
        this.dom0.onEvent(kind, q.a, q.b, q.c, q.nowNs);
        break;
      case 3:
        this.vms.onEvent(kind, q.a, q.b, q.c, q.nowNs);
        break;
      case 4:
        this.onDriverEvent(kind, q.a, q.nowNs);
        break;
      default:
        throw new RangeError(`EmulatedSubnet event kind: ${kind} has no owner`);
    }
  }

  get nowNs(): number {
    return this.queue.nowNs;
  }

  /**
   * Setup. 'mads': every VM created by a GUIDInfoRecord Set, every subscription by an InformInfo
   * Set, every path by a PathRecord query, run to quiescence after each step. 'direct': the same
   * state written straight into the tables (no MADs, no time) for runs too big to set up by MAD.
   */
  setup(mode: 'mads' | 'direct' = this.scenario.peerStart[this.scenario.vms]! > DIRECT_SETUP_THRESHOLD ? 'direct' : 'mads'): void {
    const s = this.scenario;
    const dynamic = this.scheme.dynamicGuids;
    if (mode === 'mads') {
      // Requests are paced at the SA's service rate (as a boot script would throttle them):
      // fired all at once they would queue behind each other past the agents' timeouts.
      const setPace = 2 * this.cost.smServiceNs;
      let t = this.nowNs;
      for (let v = 0; v < s.vms; v++) {
        this.dom0.createVm(v, s.vmHost[v]!, s.vmSlot[v]!, dynamic ? 0 : s.vmGuidHigh[v]!, dynamic ? 0 : s.vmGuidLow[v]!, t + v * setPace);
      }
      this.run();
      t = this.nowNs;
      if (this.scheme.subscriber === Subscriber.PerPf) {
        for (let h = 0; h < s.hosts; h++) this.dom0.informInfo(h, 1, t + h * setPace);
      } else if (this.scheme.subscriber === Subscriber.PerVguid) {
        for (let v = 0; v < s.vms; v++) this.vms.informInfo(v, 1, t + v * setPace);
      }
      this.run();
      t = this.nowNs;
      const queryPace = this.cost.saPathRecordServiceNs;
      let i = 0;
      for (let v = 0; v < s.vms; v++) {
        for (let e = s.peerStart[v]!; e < s.peerStart[v + 1]!; e++) this.vms.queryPath(v, e, t + i++ * queryPace);
      }
      this.run();
      return;
    }
    const sm = this.sm;
    const out = new Uint32Array(2);
    for (let v = 0; v < s.vms; v++) {
      const host = s.vmHost[v]!;
      const slot = s.vmSlot[v]!;
      let gh = s.vmGuidHigh[v]!;
      let gl = s.vmGuidLow[v]!;
      if (dynamic) {
        if (!sm.assigner.assign(host, slot + 1, sm.lidVguid, out)) throw new RangeError(`setup: no vGUID left to assign (vm ${v})`);
        gh = out[0]!;
        gl = out[1]!;
      }
      attachVguid(sm, host, slot + 1, gh, gl, this.nowNs);
      this.dom0.placeVmDirect(v, host, slot, gh, gl, this.nowNs);
    }
    if (this.scheme.subscriber !== Subscriber.None) {
      const mad = new MadView().wrapForWrite(new Uint8Array(256));
      mad.initSa(0x02, 0x0003, 0, 0);
      fillDom0InformInfo(mad, 1);
      const f = informFieldsFrom(mad.informInfo, new InformFields());
      if (this.scheme.subscriber === Subscriber.PerPf) {
        for (let h = 0; h < s.hosts; h++) subscribeDirect(sm, s.hostPortGuidHigh[h]!, s.hostPortGuidLow[h]!, f);
      } else {
        for (let v = 0; v < s.vms; v++) subscribeDirect(sm, this.vms.guidHigh[v]!, this.vms.guidLow[v]!, f);
      }
    }
    const vms = this.vms;
    vms.preload(
      (h, l) => sm.lidVguid.lid(h, l),
      (v, h, l) => {
        this.dom0.noteCacheInsert(v, h, l);
        recordInterestDirect(sm, h, l, vms.guidHigh[v]!, vms.guidLow[v]!);
      },
    );
    this.run();
  }

  /** Schedules the scenario's migrations, their times counted from now. */
  scheduleMigrations(): void {
    const s = this.scenario;
    this.migrationOffsetNs = this.nowNs;
    this.sm.resetQueuePeaks(); // the migration phase's own peak SA / Report queue depths
    for (let i = 0; i < s.migrationVm.length; i++) {
      this.queue.push(this.migrationOffsetNs + s.migrationTimeNs[i]!, EventKind.DriverMigrateOut, i, 0, 0);
    }
  }

  /** One live migration of `vm` to `destHost`, starting now (library use and tests). */
  migrate(vm: number, destHost: number): void {
    this.startMigration(vm, destHost, this.nowNs);
  }

  private startMigration(vm: number, destHost: number, nowNs: number): void {
    if (this.dom0.vmHost[vm]! < 0 || destHost < 0 || destHost >= this.scenario.hosts) {
      this.counters.v[Counter.migrationsSkipped]!++;
      return;
    }
    this.counters.v[Counter.migrations]!++;
    this.dom0.migrateOut(vm, nowNs);
    // Driver events carry (vm, dest host) directly so library migrations need no scenario entry.
    this.queue.push(nowNs + this.cost.migrationDowntimeNs, EventKind.DriverMigrateIn, vm, destHost, 0);
  }

  private onDriverEvent(kind: number, a: number, nowNs: number): void {
    const q = this.queue;
    if (kind === EventKind.DriverMigrateOut) {
      this.startMigration(this.scenario.migrationVm[a]!, this.scenario.migrationDestHost[a]!, nowNs);
      return;
    }
    if (kind === EventKind.DriverMigrateIn) {
      const vm = a;
      const dest = q.b;
      const slot = this.dom0.freeSlot(dest);
      if (slot < 0) {
        this.counters.v[Counter.migrationsSkipped]!++;
        return;
      }
      const dynamic = this.scheme.dynamicGuids;
      this.dom0.migrateIn(vm, dest, slot, dynamic ? 0 : this.scenario.vmGuidHigh[vm]!, dynamic ? 0 : this.scenario.vmGuidLow[vm]!, nowNs);
      return;
    }
    throw new RangeError(`EmulatedSubnet driver event kind: ${kind} is unknown`);
  }

  /** Cache entries that disagree with the SM's LID-vGUID table; also written to the counters. */
  countStale(): { stale: number; entries: number } {
    const r = this.vms.staleEntries((h, l) => this.sm.lidVguid.lid(h, l));
    this.counters.v[Counter.staleEntries] = r.stale;
    this.counters.v[Counter.cacheEntries] = r.entries;
    return r;
  }
}

export interface RunOptions extends FabricOptions {
  readonly setup?: 'mads' | 'direct';
}

export interface RunResult {
  readonly scheme: SchemeName;
  /** Counts of the setup phase (VM creation, subscriptions, path queries). */
  readonly setup: Record<CounterName, number>;
  /** Counts of the migration phase only (including the stale entries at the end). */
  readonly counters: Record<CounterName, number>;
  readonly latency: LatencyRecorder;
  /** Events handled in the migration phase. */
  readonly events: number;
  /** Virtual time the migration phase took (first migration to quiescence). */
  readonly virtualTimeNs: number;
  /** Most MAD buffers in flight at once. */
  readonly peakMadBuffers: number;
}

/** Builds the subnet, sets it up, runs every migration of the scenario to quiescence. */
export function runSingleThread(scenario: Scenario, scheme: SchemeName | string, o: RunOptions = {}): RunResult {
  const subnet = new EmulatedSubnet(scenario, scheme, o);
  subnet.setup(o.setup);
  const setup = subnet.counters.snapshot();
  const start = subnet.nowNs;
  subnet.scheduleMigrations();
  const events = subnet.run();
  subnet.countStale();
  const phase = subnet.counters.minus(setup);
  return {
    scheme: subnet.scheme.name,
    setup: setup.toObject(),
    counters: phase.toObject(),
    latency: subnet.latency,
    events,
    virtualTimeNs: subnet.nowNs - start,
    peakMadBuffers: subnet.fabric.slab.peakInUse,
  };
}
