// The library API: a typed facade over the engine for embedding. Build an emulated fabric from
// a scenario (or the generator's options), drive it (migrate, create and shut down VMs), watch
// it through events, read its metrics. The CLI's `repath run` is a thin layer over runScenario().
//
// Events are collected while the engine runs and handed to the handlers in a batch, in virtual-
// time order, when runUntilQuiet() returns control (the engine never calls user code from inside
// its event loop, so a handler cannot disturb the run or its determinism). Each event carries
// the virtual time at which it happened.
import { SCHEMES, type Scenario, type SchemeName } from './scenario/scenario.js';
import type { ScenarioOptions } from './scenario/scenario-options.js';
import { generateScenario } from './scenario/generator.js';
import { defaultCostModel, withOverrides, type CostModel } from './engine/cost-model.js';
import { EmulatedSubnet } from './engine/single-thread-run.js';
import { LatencyHistogram } from './metrics/latency-histogram.js';
import { ArrayLatencyRecorder, type LatencyRecorder } from './metrics/latency-recorder.js';
import { Counter, type Counters } from './metrics/counters.js';
import { MadView } from './mad/mad-view.js';
import { MadError } from './mad/mad-error.js';
import { Method, MgmtClass, SaAttr, TrapNumber } from './mad/constants.js';
import type { VfEndpoint } from './dom0/vf-endpoint.js';
import { schemeReport, type SchemeReport } from './engine/run-report.js';
import { peakRssBytes, runSchemes, type SchemesRun } from './engine/run-schemes.js';

export interface FabricOptions {
  /** Signalling scheme (DESIGN.md). Default "per-pf". */
  readonly scheme?: SchemeName;
  /** Cost-model parameters that differ from the defaults (core/engine/cost-model.ts). */
  readonly cost?: Partial<CostModel>;
  /** How the initial state is made: by MADs, or written into the tables. Default by size. */
  readonly setup?: 'mads' | 'direct';
}

/** A Report carrying a RePath or UnPath notice left the SM. */
export interface NoticeSentEvent {
  readonly timeNs: number;
  /** LID of the subscriber the Report went to. */
  readonly dlid: number;
  readonly trap: 'RePath' | 'UnPath';
  /** The migrated vGUID, "0x" + 16 hex digits. */
  readonly vguid: string;
  /** Its new LID (0 for UnPath). */
  readonly newLid: number;
}

/** Dom0 handed a notice to one of its VFs (Algorithm 2). */
export interface NoticeForwardedEvent {
  readonly timeNs: number;
  readonly vm: number;
}

/** A VM's SA-agent cache took a new DLID for a peer (Algorithm 3, or a PathRecord answer). */
export interface CacheUpdatedEvent {
  readonly timeNs: number;
  readonly vm: number;
}

/** A peer's connection to a migrated VM works again; latency from the Set at the destination. */
export interface ConnectionRestoredEvent {
  readonly timeNs: number;
  readonly latencyNs: number;
}

export interface FabricEvents {
  'notice-sent': NoticeSentEvent;
  'notice-forwarded': NoticeForwardedEvent;
  'cache-updated': CacheUpdatedEvent;
  'connection-restored': ConnectionRestoredEvent;
}
export type FabricEventName = keyof FabricEvents;

export const FABRIC_EVENTS: readonly FabricEventName[] = ['notice-sent', 'notice-forwarded', 'cache-updated', 'connection-restored'];

type Handler<K extends FabricEventName> = (event: FabricEvents[K]) => void;

function isScenario(v: Scenario | ScenarioOptions): v is Scenario {
  return (v as Scenario).vmHost instanceof Uint32Array;
}

function guidHex(high: number, low: number): string {
  return `0x${(high >>> 0).toString(16).padStart(8, '0')}${(low >>> 0).toString(16).padStart(8, '0')}`;
}

/** One emulated subnet (SM/SA, every Dom0 and VM) under one scheme, on the calling thread. */
export class Fabric {
  readonly scenario: Scenario;
  readonly scheme: SchemeName;
  readonly cost: CostModel;
  private readonly subnet: EmulatedSubnet;
  /** Reconnection latencies (ns); histograms are built from them on demand (see latency()). */
  private readonly latencies: ArrayLatencyRecorder;
  private readonly setupCounts: Counters;
  private readonly handlers: { [K in FabricEventName]: Array<Handler<K>> } = {
    'notice-sent': [],
    'notice-forwarded': [],
    'cache-updated': [],
    'connection-restored': [],
  };
  /** Events of the current run step, in the order they happened. */
  private pending: Array<{ name: FabricEventName; event: FabricEvents[FabricEventName] }> = [];
  private readonly tapView = new MadView();
  private phaseEvents = 0;
  private phaseWallMs = 0;
  private closed = false;

  private constructor(scenario: Scenario, o: FabricOptions) {
    this.scenario = scenario;
    this.scheme = o.scheme ?? 'per-pf';
    if (!(SCHEMES as readonly string[]).includes(this.scheme)) throw new RangeError(`scheme: "${this.scheme}" is not one of ${SCHEMES.join(', ')}`);
    this.cost = o.cost === undefined ? defaultCostModel() : withOverrides(defaultCostModel(), o.cost);
    this.latencies = new ArrayLatencyRecorder();
    const recorder: LatencyRecorder = {
      record: (valueNs: number) => {
        this.latencies.record(valueNs);
        if (this.handlers['connection-restored'].length > 0) this.emit('connection-restored', { timeNs: this.subnet.nowNs, latencyNs: valueNs });
      },
    };
    this.subnet = new EmulatedSubnet(scenario, this.scheme, { cost: this.cost, latency: recorder });
    this.subnet.fabric.setTap((mad, _srcLid, _srcQp, dstLid, _dstQp, timeNs) => this.onWire(mad, dstLid, timeNs));
    this.watchVfs();
    this.subnet.setup(o.setup);
    this.setupCounts = this.subnet.counters.snapshot();
    this.pending = [];
  }

  /**
   * Builds the fabric of a scenario (or of generator options: hosts, vmsPerHost, peersPerVm,
   * pattern, migrations, seed, topology...) and sets it up: VMs placed, subscriptions made,
   * path caches filled. The scenario's own migrations are not started; see runScenario().
   */
  static async build(scenarioOrOptions: Scenario | ScenarioOptions, o: FabricOptions = {}): Promise<Fabric> {
    await LatencyHistogram.ready();
    const scenario = isScenario(scenarioOrOptions) ? scenarioOrOptions : generateScenario(scenarioOrOptions);
    return new Fabric(scenario, o);
  }

  /** Virtual time now, ns. */
  get nowNs(): number {
    return this.subnet.nowNs;
  }

  /** Registers a handler; returns a function that removes it. */
  on<K extends FabricEventName>(name: K, handler: Handler<K>): () => void {
    const list = this.handlers[name] as Array<Handler<K>> | undefined;
    if (list === undefined) throw new RangeError(`event: "${String(name)}" is not one of ${FABRIC_EVENTS.join(', ')}`);
    list.push(handler);
    return () => {
      const i = list.indexOf(handler);
      if (i >= 0) list.splice(i, 1);
    };
  }

  /** Live-migrates VM `vm` to `destHost`, starting now (it lands in the host's lowest free slot). */
  migrate(vm: number, destHost: number): void {
    this.check();
    this.checkVm(vm);
    this.checkHost(destHost);
    if (this.subnet.dom0.vmHost[vm]! < 0) throw new RangeError(`migrate vm: ${vm} is not on a host`);
    this.subnet.migrate(vm, destHost);
  }

  /** Starts the scenario's own migrations (storm, evacuation...), timed from now. */
  startScenarioMigrations(): void {
    this.check();
    this.subnet.scheduleMigrations();
  }

  /**
   * Creates VM `vm` (a VM index of the scenario that is on no host: never placed, or shut down)
   * on `host` in its lowest free VF slot, with its configured vGUID (the SA assigns one under
   * the dynamic scheme). Returns the slot.
   */
  createVm(vm: number, host: number): number {
    this.check();
    this.checkVm(vm);
    this.checkHost(host);
    const d = this.subnet.dom0;
    if (d.vmHost[vm]! >= 0) throw new RangeError(`createVm vm: ${vm} is already on host ${d.vmHost[vm]}`);
    const slot = d.freeSlot(host);
    if (slot < 0) throw new RangeError(`createVm host: ${host} has no free VF slot`);
    const dynamic = this.subnet.scheme.dynamicGuids;
    d.createVm(vm, host, slot, dynamic ? 0 : this.scenario.vmGuidHigh[vm]!, dynamic ? 0 : this.scenario.vmGuidLow[vm]!, this.nowNs);
    return slot;
  }

  /** Shuts VM `vm` down (its vGUID is deleted at the SA and parked in the trap table). */
  shutdownVm(vm: number): void {
    this.check();
    this.checkVm(vm);
    if (this.subnet.dom0.vmHost[vm]! < 0) throw new RangeError(`shutdownVm vm: ${vm} is not on a host`);
    this.subnet.dom0.shutdownVm(vm, this.nowNs);
  }

  /** Host a VM is on now, -1 for none. */
  hostOf(vm: number): number {
    this.checkVm(vm);
    return this.subnet.dom0.vmHost[vm]!;
  }

  /**
   * Runs the engine until no event is left, then hands the events of this step to the handlers
   * (in the order they happened). Resolves to the number of engine events handled.
   */
  async runUntilQuiet(): Promise<number> {
    this.check();
    const t0 = performance.now();
    const n = this.subnet.run();
    this.phaseWallMs += performance.now() - t0;
    this.phaseEvents += n;
    const batch = this.pending;
    this.pending = [];
    for (const { name, event } of batch) {
      for (const h of this.handlers[name] as Array<(e: unknown) => void>) h(event);
    }
    return n;
  }

  /** Counts since setup (migrations, creations, shutdowns), stale entries now, latency so far. */
  metrics(): SchemeReport {
    this.check();
    this.subnet.countStale();
    const phase = this.subnet.counters.minus(this.setupCounts);
    const summary = this.withHistogram((h) => h.summary());
    return schemeReport(this.scheme, phase, this.setupCounts, summary, {
      wallTimeMs: this.phaseWallMs,
      phaseWallMs: this.phaseWallMs,
      events: this.phaseEvents,
      eventsPerSecond: this.phaseWallMs > 0 ? this.phaseEvents / (this.phaseWallMs / 1000) : 0,
      virtualTimeNs: this.nowNs,
      peakRssBytes: peakRssBytes(),
      peakMadBuffers: this.subnet.fabric.slab.peakInUse,
      // An embedded fabric runs on the caller's thread.
      shards: 0,
      shardFallback: '',
      shardRebuilds: 0,
      shardRestarts: 0,
      shardSyncs: 0,
      // The caller's thread also runs whatever else the caller does between calls: not measured.
      phaseCpuMs: { main: null, shards: [] },
    });
  }

  /** The reconnection latencies so far as an HdrHistogram .hgrm text (microseconds). */
  latencyHgrm(): string {
    this.check();
    return this.withHistogram((h) => h.toHgrm());
  }

  /** The reconnection latencies so far, LatencyHistogram.encode()d (to merge with others). */
  latencyHistogramBytes(): Uint8Array {
    this.check();
    return this.withHistogram((h) => h.encode().slice());
  }

  private withHistogram<T>(fn: (h: LatencyHistogram) => T): T {
    const h = new LatencyHistogram();
    try {
      const values = this.latencies.values();
      for (let i = 0; i < values.length; i++) h.record(values[i]!);
      return fn(h);
    } finally {
      h.destroy();
    }
  }

  /** Ends the fabric: later calls throw, handlers are dropped. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.pending = [];
    for (const name of FABRIC_EVENTS) this.handlers[name].length = 0;
  }

  // ---------------------------------------------------------------- event capture

  private emit<K extends FabricEventName>(name: K, event: FabricEvents[K]): void {
    this.pending.push({ name, event });
  }

  private onWire(mad: Uint8Array, dstLid: number, timeNs: number): void {
    if (this.handlers['notice-sent'].length === 0) return;
    if (mad[1] !== MgmtClass.SubnAdm || mad[3] !== Method.Report || ((mad[16]! << 8) | mad[17]!) !== SaAttr.Notice) return;
    let v: MadView;
    try {
      v = this.tapView.wrap(mad);
    } catch (e) {
      if (e instanceof MadError) return;
      throw e;
    }
    const n = v.notice;
    if (n.isGeneric !== 1 || (n.trapNumber !== TrapNumber.RePath && n.trapNumber !== TrapNumber.UnPath)) return;
    this.emit('notice-sent', {
      timeNs,
      dlid: dstLid,
      trap: n.trapNumber === TrapNumber.RePath ? 'RePath' : 'UnPath',
      vguid: guidHex(n.vgid.guidHigh, n.vgid.guidLow),
      newLid: n.newLid,
    });
  }

  /** Puts a pass-through VfEndpoint between Dom0 and the VMs to see forwards and cache updates. */
  private watchVfs(): void {
    const vms = this.subnet.vms;
    const counters = this.subnet.counters.v;
    const updates = Counter.vmCacheUpdates;
    const endpoint: VfEndpoint = {
      deliver: (vm, mad, forwarded, nowNs) => {
        if (forwarded && this.handlers['notice-forwarded'].length > 0) this.emit('notice-forwarded', { timeNs: nowNs, vm });
        const before = counters[updates]!;
        vms.deliver(vm, mad, forwarded, nowNs);
        if (counters[updates]! !== before && this.handlers['cache-updated'].length > 0) this.emit('cache-updated', { timeNs: nowNs, vm });
      },
      vfSetSent: (vm, nowNs) => vms.vfSetSent(vm, nowNs),
      vfAttached: (vm, h, l, nowNs) => vms.vfAttached(vm, h, l, nowNs),
      vfDetached: (vm, nowNs) => vms.vfDetached(vm, nowNs),
      forEachCachedGuid: (vm, fn) => vms.forEachCachedGuid(vm, fn),
    };
    this.subnet.dom0.attachVfEndpoint(endpoint);
  }

  private check(): void {
    if (this.closed) throw new Error('Fabric: used after close()');
  }

  private checkVm(vm: number): void {
    if (!Number.isInteger(vm) || vm < 0 || vm >= this.scenario.vms) throw new RangeError(`vm: ${vm} is not in 0..${this.scenario.vms - 1}`);
  }

  private checkHost(host: number): void {
    if (!Number.isInteger(host) || host < 0 || host >= this.scenario.hosts) {
      throw new RangeError(`host: ${host} is not in 0..${this.scenario.hosts - 1}`);
    }
  }
}

export interface RunScenarioOptions {
  /** Schemes to run, in report order. Default every scheme. */
  readonly schemes?: readonly SchemeName[];
  /** Worker threads running schemes side by side; 0 = the calling thread. Default 0. */
  readonly workers?: number;
  readonly cost?: Partial<CostModel>;
  readonly setup?: 'mads' | 'direct';
  readonly pcapPath?: string;
  readonly pcapLimitBytes?: number;
  readonly onSchemeDone?: (report: SchemeReport) => void;
}

/**
 * Runs a scenario's migrations under each scheme (a fresh fabric per scheme) and reports every
 * scheme: the library form of `repath run`.
 */
export async function runScenario(
  scenarioOrOptions: Scenario | ScenarioOptions,
  o: RunScenarioOptions = {},
): Promise<SchemesRun> {
  const scenario = isScenario(scenarioOrOptions) ? scenarioOrOptions : generateScenario(scenarioOrOptions);
  const run = await runSchemes(scenario, o.schemes ?? SCHEMES, {
    workers: o.workers ?? 0,
    ...(o.cost !== undefined ? { cost: o.cost } : {}),
    ...(o.setup !== undefined ? { setup: o.setup } : {}),
    ...(o.pcapPath !== undefined ? { pcapPath: o.pcapPath } : {}),
    ...(o.pcapLimitBytes !== undefined ? { pcapLimitBytes: o.pcapLimitBytes } : {}),
    ...(o.onSchemeDone !== undefined ? { onSchemeDone: o.onSchemeDone } : {}),
  });
  return run;
}
