// The in-process emulated fabric: delivers MADs in virtual time through the event queue.
// A sent MAD is copied into a slab slot; its addressing goes into per-slot typed arrays and
// one FabricDeliver event carries the slot number. Latency = HCA cost + hops x hop latency,
// hops from the scenario's topology. Per-link FIFO order holds because the latency between
// two ports is a constant and the queue breaks time ties by insertion order.
import { MgmtClass, Method, SaAttr, SmpAttr } from '../mad/constants.js';
import type { Topology } from '../scenario/scenario.js';
import { Xoshiro128 } from '../random.js';
import type { CostModel } from '../engine/cost-model.js';
import type { EventQueue } from '../engine/event-queue.js';
import { EventKind } from '../engine/event-kinds.js';
import { Counter, type Counters } from '../metrics/counters.js';
import { MadSlab } from './mad-slab.js';
import { lossKindOf } from './loss-kinds.js';
import { SinkRole, type MadSink, type MadTap, type Transport } from './transport.js';

const LID_SPACE = 0x10000;
/** Stream id of the loss PRNG, so loss draws never share a stream with scenario generation. */
const LOSS_STREAM = 0x1055;

export interface EmulatedFabricOptions {
  readonly topology: Topology;
  readonly cost: CostModel;
  readonly queue: EventQueue;
  readonly counters: Counters;
  /** Seed of the loss PRNG (used only when cost.lossProbability > 0). */
  readonly seed: number;
  readonly slab?: MadSlab;
  readonly tap?: MadTap;
}

export class EmulatedFabric implements Transport {
  readonly slab: MadSlab;
  private readonly topology: Topology;
  private readonly cost: CostModel;
  private readonly queue: EventQueue;
  private readonly counters: Counters;
  private readonly rng: Xoshiro128;
  private tap: MadTap | undefined;
  /** LID -> host index, -1 for a port that is no host's (the SM's own port), -2 unbound. */
  private readonly hostOfLid = new Int32Array(LID_SPACE).fill(-2);
  /** LID -> sink index + 1 per role (0 = none). */
  private readonly smSinkOf = new Uint8Array(LID_SPACE);
  private readonly hostSinkOf = new Uint8Array(LID_SPACE);
  private readonly sinks: MadSink[] = [];
  // In-flight addressing, per slab slot.
  private srcLid = new Uint16Array(0);
  private srcQp = new Uint32Array(0);
  private dstLid = new Uint16Array(0);
  private dstQp = new Uint32Array(0);
  private guids = new Uint32Array(0);

  constructor(o: EmulatedFabricOptions) {
    this.topology = o.topology;
    this.cost = o.cost;
    this.queue = o.queue;
    this.counters = o.counters;
    this.slab = o.slab ?? new MadSlab(1024);
    this.rng = new Xoshiro128(o.seed, LOSS_STREAM);
    this.tap = o.tap;
  }

  setTap(tap: MadTap | undefined): void {
    this.tap = tap;
  }

  /** Declares which host a LID belongs to (-1: a port of no host, e.g. a dedicated SM node). */
  setLidHost(lid: number, host: number): void {
    checkLid(lid);
    this.hostOfLid[lid] = host;
  }

  bind(lid: number, role: SinkRole, sink: MadSink): void {
    checkLid(lid);
    let i = this.sinks.indexOf(sink);
    if (i < 0) {
      if (this.sinks.length >= 255) throw new RangeError(`EmulatedFabric sinks: more than 255 distinct sinks`);
      this.sinks.push(sink);
      i = this.sinks.length - 1;
    }
    if (role === SinkRole.Sm) this.smSinkOf[lid] = i + 1;
    else this.hostSinkOf[lid] = i + 1;
    if (this.hostOfLid[lid] === -2) this.hostOfLid[lid] = -1;
  }

  /** Switch hops between two bound LIDs, from the topology. */
  hops(lidA: number, lidB: number): number {
    if (lidA === lidB) return 0;
    const a = this.hostOfLid[lidA]!;
    const b = this.hostOfLid[lidB]!;
    if (a >= 0 && b >= 0) return this.topology.hopsBetweenHosts(a, b);
    if (a >= 0) return this.topology.hopsToSm(a);
    if (b >= 0) return this.topology.hopsToSm(b);
    return 0;
  }

  /** One-way latency of a MAD between two LIDs. */
  latencyNs(lidA: number, lidB: number): number {
    return this.cost.hcaMadNs + this.hops(lidA, lidB) * this.cost.hopLatencyNs;
  }

  send(
    mad: Uint8Array,
    srcLid: number,
    srcQp: number,
    srcGuidHigh: number,
    srcGuidLow: number,
    dstLid: number,
    dstQp: number,
    dstGuidHigh: number,
    dstGuidLow: number,
    departNs: number,
  ): void {
    if (mad.length < 256) throw new RangeError(`EmulatedFabric mad.length: ${mad.length} is not 256`);
    const c = this.counters.v;
    c[Counter.fabricMads]!++;
    c[kindCounter(mad)]!++;
    if (this.tap !== undefined) this.tap(mad, srcLid, srcQp, dstLid, dstQp, departNs);
    // One PRNG draw per MAD whatever its kind, so a kind mask changes which MADs are lost
    // but not the draw sequence (runs with different masks stay comparable).
    if (this.cost.lossProbability > 0 && this.rng.nextFloat() < this.cost.lossProbability && (lossKindOf(mad) & this.cost.lossKinds) !== 0) {
      c[Counter.fabricDropped]!++;
      return;
    }
    const slot = this.slab.allocCopy(mad);
    if (slot >= this.srcLid.length) this.growMeta();
    this.srcLid[slot] = srcLid;
    this.srcQp[slot] = srcQp;
    this.dstLid[slot] = dstLid;
    this.dstQp[slot] = dstQp;
    const g = slot * 4;
    this.guids[g] = srcGuidHigh;
    this.guids[g + 1] = srcGuidLow;
    this.guids[g + 2] = dstGuidHigh;
    this.guids[g + 3] = dstGuidLow;
    const kind = this.smSinkOf[dstLid] !== 0 ? EventKind.FabricDeliverToSm : EventKind.FabricDeliver;
    this.queue.push(departNs + this.latencyNs(srcLid, dstLid), kind, slot, 0, 0);
  }

  /** Host of the port an in-flight MAD (slab slot) is addressed to; -1 for a port of no host (the SM's own). */
  destinationHost(slot: number): number {
    const h = this.hostOfLid[this.dstLid[slot]!]!;
    return h >= 0 ? h : -1;
  }

  /** Handles a FabricDeliver(ToSm) event: hands the MAD to the sink bound at its LID, then frees it. */
  deliver(slot: number, nowNs: number): void {
    const lid = this.dstLid[slot]!;
    const mad = this.slab.bytes(slot);
    let sinkIndex = this.hostSinkOf[lid]!;
    const smIndex = this.smSinkOf[lid]!;
    if (smIndex !== 0 && (sinkIndex === 0 || isForSm(mad))) sinkIndex = smIndex;
    if (sinkIndex === 0) {
      this.counters.v[Counter.fabricDropped]!++;
    } else {
      const g = slot * 4;
      this.sinks[sinkIndex - 1]!.receive(
        mad,
        this.srcLid[slot]!,
        this.srcQp[slot]!,
        this.guids[g]!,
        this.guids[g + 1]!,
        lid,
        this.dstQp[slot]!,
        this.guids[g + 2]!,
        this.guids[g + 3]!,
        nowNs,
      );
    }
    this.slab.release(slot);
  }

  private growMeta(): void {
    const n = this.slab.slots;
    const grow16 = (a: Uint16Array) => {
      const b = new Uint16Array(n);
      b.set(a);
      return b;
    };
    const grow32 = (a: Uint32Array, k: number) => {
      const b = new Uint32Array(n * k);
      b.set(a);
      return b;
    };
    this.srcLid = grow16(this.srcLid);
    this.dstLid = grow16(this.dstLid);
    this.srcQp = grow32(this.srcQp, 1);
    this.dstQp = grow32(this.dstQp, 1);
    this.guids = grow32(this.guids, 4);
  }
}

function checkLid(lid: number): void {
  if (!Number.isInteger(lid) || lid < 1 || lid > 0xbfff) throw new RangeError(`EmulatedFabric lid: ${lid} is not a unicast LID`);
}

/**
 * When the SM runs on a host's port, the port's GSI serves two agents; umad hands a MAD to the
 * one registered for it: the SA gets requests of the SA class (but not Reports, which the host
 * agent subscribed to), ReportResps to its own Reports, and SMP Traps; the host gets the rest.
 */
function isForSm(mad: Uint8Array): boolean {
  const cls = mad[1]!;
  const method = mad[3]!;
  if (cls === MgmtClass.SubnAdm) {
    if (method === Method.ReportResp) return true;
    return (method & 0x80) === 0 && method !== Method.Report;
  }
  if (cls === MgmtClass.SubnLid) return method === Method.Trap;
  return false;
}

function kindCounter(mad: Uint8Array): number {
  const cls = mad[1]!;
  const method = mad[3]!;
  const attr = (mad[16]! << 8) | mad[17]!;
  if (cls === MgmtClass.SubnAdm) {
    if (attr === SaAttr.Notice) {
      if (method === Method.Report) return Counter.fabricReport;
      if (method === Method.ReportResp) return Counter.fabricReportResp;
    }
    if (attr === SaAttr.InformInfo) return Counter.fabricInformInfo;
    if (attr === SaAttr.PathRecord) return Counter.fabricPathRecord;
    if (attr === SaAttr.GuidInfoRecord) return Counter.fabricGuidInfoRecord;
    return Counter.fabricOther;
  }
  if (cls === MgmtClass.SubnLid && attr === SmpAttr.Notice) return Counter.fabricTrap;
  return Counter.fabricOther;
}
