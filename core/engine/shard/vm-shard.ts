// The sharded engine's VM side: the VMs' SA agents (Algorithm 3, connections, reconnection
// latency, their PathRecord queries) split across worker threads, each shard owning a
// contiguous range of VMs (those the scenario places on a contiguous range of hosts). The
// SM/SA, the fabric and every Dom0 stay on the main thread.
//
// Protocol.
// - State. Path caches, connection flags and cache summaries live in the main thread's
//   SharedArrayBuffers (VmAgents.toShared); a shard writes only the rows of the VMs it owns
//   (VM v's cache, summary and the flags of v's own peer edges), so no two threads write one
//   word. A VM keeps its owner for the whole run, wherever it migrates.
// - Main -> shard. Every interaction Dom0 has with the VMs during the migration phase is a
//   record in the shard's RecordRing, stamped with the main thread's virtual time, written in
//   that time order and published in batches (at a Sync, when a ring fills, at the end):
//     FANOUT  Dom0 forwards a notice (per-pf-interest: to the VMs caching the vGUID): trap,
//             vGUID, new LID, the forward's start and per-VF step, and the owned targets with
//             their VF positions.
//     FANOUT_HOST the same for Algorithm 2 (every active VF of a host, slot order): only the
//             host; each shard keeps every host's VF occupancy from ATTACH/DETACH and takes
//             its own VMs with their positions among all of the host's.
//     DETACH  a VM's VF is gone (migration out, refusal): its peers' connections break; sent
//             to every shard (each handles the peers it owns).
//     ATTACH  a VM's vGUID is on a port again, in VF slot (host, slot); to every shard.
//     SETSENT Dom0 sent the Set that starts a VM's reconnection latency; to every shard.
//     DELIVER a MAD for a VM's SA agent (a PathRecord answer); to the VM's owner.
//     SYNC    handle your events up to this time (inclusive or not) and answer (below); an
//             exclusive one is a barrier before the main thread reads VM state (per-pf-interest:
//             the vGUIDs a leaving or arriving VM caches, for Dom0's interest index).
//     END     the main thread's run is over.
// - Shard -> main, on a second ring, only in answer to a SYNC: SEND (a MAD a VM sent through
//   its PF at the Sync's time: a PathRecord query after an RC failure was detected) and NEXT
//   (the earliest time one of the shard's VMs may send again).
// - Order. A shard keeps its own event queues (notice changes at VF times; the VMs' own timers:
//   RC detection, query timeouts and retries). Before a record stamped t it handles its own
//   events earlier than t, then the record; at equal times the main thread's record goes
//   first, as in the one-thread engine, where every Dom0 action at t comes from an event queued
//   long before the VF deliveries a forward queues. The fan-out's cache checks run when the
//   record is read (the forward's time, as on one thread), the changes at each VF's time.
// - Synchronisation (conservative, lookahead from the model). Only a VM's own timers make it
//   send, and a timer is armed at least minCreateDelay after whatever arms it (RC detection
//   ~470 ms after a break, a query retry 10 ms after a no-record answer, a query timeout 200 ms
//   after a send). So the main thread runs ahead to the horizon = min(each shard's NEXT at the
//   last Sync, every DETACH or DELIVER since + minCreateDelay) without waiting for anyone, then
//   SYNCs the shards at the horizon, sends the MADs their VMs sent then through Dom0 (in VM
//   order: the peers of one migrated VM detect its failure at the same time and query in VM
//   order on one thread too), and goes on. In a storm that is one Sync per migration whose
//   notice left some peer unrepaired (static-no-signal and dynamic: one per migration, as every
//   peer detects), not one per fabric hop. Under per-pf-interest a dropped cache entry (UnPath)
//   would have to reach Dom0's interest index mid-run, which the core does not do yet: the
//   shard reports it (feedback) and the run is redone on one thread (sharded-run.ts). Not
//   sharded: per-vguid, whose VMs answer each Report at once (no lookahead at all).
// - End. On END a shard drains its queues and returns its counters, its latency histogram
//   (encoded), the events it handled and the time of its last one; the main thread sums the
//   counters and merges the histograms.
// - Crash. A worker thread that dies mid-run (process.exit; tests inject it with
//   VmShardTask.killAtSync) runs no finally block: its exit hook (workers/vm-shard-worker.ts)
//   marks both its rings died, so the main thread's 50 ms ring polls fail instead of waiting
//   forever, and the main thread redoes the whole run from scratch (sharded-run.ts).
import { isMainThread } from 'node:worker_threads';
import type { Scenario, SchemeName } from '../../scenario/scenario.js';
import { schemeConfig } from '../../schemes.js';
import type { CostModel } from '../cost-model.js';
import { EventQueue } from '../event-queue.js';
import { EventKind } from '../event-kinds.js';
import { Counter, Counters } from '../../metrics/counters.js';
import type { LatencyRecorder } from '../../metrics/latency-recorder.js';
import { VmAgents, type PfTunnel, type VmSharedState } from '../../vm/vm-agents.js';
import { RecordRing, type RecordRingShared } from './record-ring.js';
import { decodeScenarioFb } from '../../scenario/scenario-fb.js';
import { defaultCostModel, withOverrides } from '../cost-model.js';
import { LatencyHistogram } from '../../metrics/latency-histogram.js';
import { ArrayLatencyRecorder } from '../../metrics/latency-recorder.js';

/** Record types of the main -> shard ring, and (Send, Next) of the shard -> main ring. */
export const ShardRecord = {
  Fanout: 1,
  /** Algorithm 2's fan-out to every active VF of a host: the shard knows the host's VF slots. */
  FanoutHost: 10,
  Detach: 2,
  Attach: 3,
  SetSent: 4,
  /** A MAD for a VM's SA agent (a PathRecord answer...): vm, 64 u32 words of the MAD. */
  Deliver: 5,
  /** Handle your events up to and including this time, then answer with your Sends and a Next. */
  Sync: 6,
  /** Shard -> main: a VM's MAD through its PF: vm, dst LID, QP, GUID high, low, depart time, 64 u32 words. */
  Send: 7,
  /** Shard -> main: the earliest time a VM of the shard may send again (Infinity: none pending). */
  Next: 8,
  End: 9,
} as const;

/** u32 words of a MAD in a record. */
export const MAD_WORDS = 64;

/** Words of a record before its variable part. */
export const FANOUT_HEADER_WORDS = 9;

export interface VmShardOptions {
  readonly scenario: Scenario;
  readonly scheme: SchemeName;
  readonly cost: CostModel;
  readonly shared: VmSharedState;
  /** Each VM's owner shard, and this shard's index. */
  readonly ownerOf: Uint8Array;
  readonly shard: number;
  /** The main thread's VM state at the start of the phase (VmAgents after setup). */
  readonly vmGuidHigh: Uint32Array;
  readonly vmGuidLow: Uint32Array;
  readonly attached: Uint8Array;
  readonly setSentNs: Float64Array;
  readonly cacheEntriesPerVm: number;
  readonly latency: LatencyRecorder;
  /** The SM's LID (where the VMs' SA queries go). */
  readonly smLid: number;
  /** Does Dom0 keep an interest index (per-pf-interest)? Then a dropped cache entry is feedback. */
  readonly interestIndex: boolean;
  readonly hosts: number;
  readonly slotsPerHost: number;
  /** Dom0's VM placement at the start of the phase (-1: on no host). */
  readonly vmHost: Int32Array;
  readonly vmSlot: Int16Array;
}

export interface VmShardResult {
  readonly counters: Float64Array;
  readonly events: number;
  /** Virtual time of the shard's last event (0: none). */
  readonly lastEventNs: number;
  /** Why the shard's VMs were not independent of the main thread (the run must be redone on one thread), or ''. */
  readonly feedback: string;
}

export class VmShard {
  /** The VMs' own events (RC detection, query timers): the only ones that can send. */
  readonly queue = new EventQueue(1024);
  /** Notice changes at VF times. */
  readonly applyQueue = new EventQueue(1024);
  private ret: RecordRing | undefined;
  private readonly madBytes = new Uint8Array(256);
  private readonly madWords = new Uint32Array(this.madBytes.buffer);
  readonly counters = new Counters();
  readonly vms: VmAgents;
  private feedback = '';
  /** Notices with changes pending: trap, vGUID high, low, new LID per row (rows reused when free). */
  private notices = new Float64Array(4 * 64);
  private noticeRefs = new Uint32Array(64);
  private noticeFree: number[] = [];
  private noticeTop = 0;
  private targets = new Int32Array(128);
  private positions = new Float64Array(128);
  private hits = new Int32Array(128);
  private lastRecordNs = 0;
  private readonly slotsPerHost: number;
  private readonly ownerOf: Uint8Array;
  private readonly shard: number;
  /** Every host's VF slots: (host * slotsPerHost + slot) -> VM with its vGUID attached there, -1. */
  private readonly occupant: Int32Array;
  private readonly vfOf: Int32Array;

  constructor(o: VmShardOptions) {
    const s = o.scenario;
    const cfg = schemeConfig(o.scheme);
    const tunnel: PfTunnel = {
      smLid: o.smLid,
      sendFromVf: (vm, mad, dstLid, dstQp, dstGuidHigh, dstGuidLow, departNs) => this.send(vm, mad, dstLid, dstQp, dstGuidHigh, dstGuidLow, departNs),
      noteCacheDrop: () => {
        if (o.interestIndex) this.flag('a VM dropped a cache entry (UnPath), which Dom0\'s interest index follows');
      },
    };
    this.vms = new VmAgents({
      vms: s.vms,
      peerStart: s.peerStart,
      peerList: s.peerList,
      vmGuidHigh: o.vmGuidHigh,
      vmGuidLow: o.vmGuidLow,
      cacheEntriesPerVm: o.cacheEntriesPerVm,
      tunnel,
      scheduler: this.queue,
      cost: o.cost,
      counters: this.counters,
      latency: o.latency,
      detectFailures: cfg.detectFailures,
      resolveAddress: cfg.resolveAddress,
      shared: o.shared,
      ownerOf: o.ownerOf,
      ownerId: o.shard,
    });
    this.vms.attached.set(o.attached);
    this.vms.setSentNs.set(o.setSentNs);
    this.slotsPerHost = o.slotsPerHost;
    this.ownerOf = o.ownerOf;
    this.shard = o.shard;
    this.occupant = new Int32Array(o.hosts * o.slotsPerHost).fill(-1);
    this.vfOf = new Int32Array(s.vms).fill(-1);
    // An active VF slot is one whose vGUID is attached (what Algorithm 2 forwards to).
    for (let v = 0; v < s.vms; v++) {
      if (o.attached[v] === 1 && o.vmHost[v]! >= 0) this.occupy(v, o.vmHost[v]!, o.vmSlot[v]!);
    }
  }

  private occupy(vm: number, host: number, slot: number): void {
    const k = host * this.slotsPerHost + slot;
    this.occupant[k] = vm;
    this.vfOf[vm] = k;
  }

  private vacate(vm: number): void {
    const k = this.vfOf[vm]!;
    if (k < 0) return;
    if (this.occupant[k] === vm) this.occupant[k] = -1;
    this.vfOf[vm] = -1;
  }

  private flag(why: string): void {
    if (this.feedback === '') this.feedback = why;
  }

  /**
   * A VM's MAD leaves through its PF: it goes to the main thread (Dom0.sendFromVf) at the next
   * Sync. The PF takes it iff the VM is on a host (all Dom0 checks a VM's own query or answer
   * can fail), which the VM learns at once, as from Dom0.
   */
  private send(vm: number, mad: Uint8Array, dstLid: number, dstQp: number, dstGuidHigh: number, dstGuidLow: number, departNs: number): boolean {
    const r = this.ret!;
    this.madBytes.set(mad.subarray(0, 256));
    r.begin(8 + MAD_WORDS);
    r.put(ShardRecord.Send);
    r.put(departNs);
    r.put(vm);
    r.put(dstLid);
    r.put(dstQp);
    r.put(dstGuidHigh);
    r.put(dstGuidLow);
    r.put(departNs);
    for (let i = 0; i < MAD_WORDS; i++) r.put(this.madWords[i]!);
    r.end();
    return this.vms.attached[vm] === 1;
  }

  /** Reads records until END; returns what the main thread merges. `ret` carries Sends and Nexts back. */
  run(ring: RecordRing, ret: RecordRing, killAtSync = 0): VmShardResult {
    this.ret = ret;
    let syncs = 0;
    ring.markStarted();
    for (;;) {
      ring.waitForData();
      const type = ring.take();
      const t = ring.take();
      if (type === ShardRecord.End) {
        ring.doneRecord();
        break;
      }
      if (t < this.lastRecordNs) throw new RangeError(`VmShard record time: ${t} is before the previous record's ${this.lastRecordNs}`);
      this.lastRecordNs = t;
      this.runUntil(t);
      switch (type) {
        case ShardRecord.Fanout:
          this.fanout(ring, t);
          break;
        case ShardRecord.FanoutHost:
          this.fanoutHost(ring, t);
          break;
        case ShardRecord.Detach: {
          const vm = ring.take();
          this.vacate(vm);
          this.vms.vfDetached(vm, t);
          break;
        }
        case ShardRecord.Attach: {
          const vm = ring.take();
          const high = ring.take();
          const low = ring.take();
          const host = ring.take();
          const slot = ring.take();
          this.vacate(vm);
          this.occupy(vm, host, slot);
          this.vms.vfAttached(vm, high, low, t);
          break;
        }
        case ShardRecord.SetSent:
          this.vms.vfSetSent(ring.take(), t);
          break;
        case ShardRecord.Deliver: {
          const vm = ring.take();
          for (let i = 0; i < MAD_WORDS; i++) this.madWords[i] = ring.take();
          this.vms.deliver(vm, this.madBytes, false, t);
          break;
        }
        case ShardRecord.Sync:
          // Fault injection (tests only, VmShardTask.killAtSync): this worker thread dies here,
          // without answering, as a crashed worker would.
          if (++syncs === killAtSync) killThisWorker(`shard killed at Sync ${syncs} (fault injection)`);
          // Inclusive: own events at t itself too (the main thread has handled its own at t
          // first). Exclusive: a barrier in the middle of the main thread's time t.
          this.runUntil(t, ring.take() === 1);
          ret.begin(2);
          ret.put(ShardRecord.Next);
          ret.put(this.queue.peekTime());
          ret.end();
          ret.publish();
          break;
        default:
          throw new RangeError(`VmShard record type: ${type} is unknown`);
      }
      ring.doneRecord();
    }
    this.runUntil(Infinity, true);
    if (this.queue.size > 0) this.flag('VM events were left after the run ended');
    const last = Math.max(this.queue.popped > 0 ? this.queue.nowNs : 0, this.applyQueue.popped > 0 ? this.applyQueue.nowNs : 0);
    return { counters: this.counters.v, events: this.queue.popped + this.applyQueue.popped, lastEventNs: last, feedback: this.feedback };
  }

  /** Handles the shard's own events earlier than t (or not later, `inclusive`); at equal times a notice change goes first. */
  private runUntil(t: number, inclusive = false): void {
    const q = this.queue;
    const a = this.applyQueue;
    for (;;) {
      const ta = a.peekTime();
      const tq = q.peekTime();
      const next = ta <= tq ? ta : tq;
      if (next === Infinity || next > t || (next === t && !inclusive)) return;
      if (ta <= tq) {
        a.pop();
        this.apply(a.a, a.b, a.nowNs);
      } else {
        q.pop();
        this.vms.onEvent(q.kind, q.a, q.b, q.c, q.nowNs);
      }
    }
  }

  /** FANOUT: Algorithm 3's checks for the owned targets now; changes queued at each VF's time. */
  private fanout(ring: RecordRing, nowNs: number): void {
    const startNs = ring.take();
    const stepNs = ring.take();
    const trap = ring.take();
    const high = ring.take();
    const low = ring.take();
    const newLid = ring.take();
    const n = ring.take();
    if (this.targets.length < n) {
      this.targets = new Int32Array(n);
      this.positions = new Float64Array(n);
      this.hits = new Int32Array(n);
    }
    const targets = this.targets;
    const positions = this.positions;
    for (let i = 0; i < n; i++) {
      targets[i] = ring.take();
      positions[i] = ring.take();
    }
    this.checkAndQueue(n, trap, high, low, newLid, startNs, stepNs);
    void nowNs;
  }

  /** FANOUT_HOST: Algorithm 2's targets from the host's VF slots (slot order), the owned ones checked. */
  private fanoutHost(ring: RecordRing, nowNs: number): void {
    const startNs = ring.take();
    const stepNs = ring.take();
    const trap = ring.take();
    const high = ring.take();
    const low = ring.take();
    const newLid = ring.take();
    const host = ring.take();
    const S = this.slotsPerHost;
    if (this.targets.length < S) {
      this.targets = new Int32Array(S);
      this.positions = new Float64Array(S);
      this.hits = new Int32Array(S);
    }
    const occ = this.occupant;
    const owner = this.ownerOf;
    const me = this.shard;
    const targets = this.targets;
    const positions = this.positions;
    let pos = 0;
    let n = 0;
    for (let k = host * S, end = k + S; k < end; k++) {
      const vm = occ[k]!;
      if (vm < 0) continue;
      if (owner[vm] === me) {
        targets[n] = vm;
        positions[n++] = pos;
      }
      pos++;
    }
    this.checkAndQueue(n, trap, high, low, newLid, startNs, stepNs);
    void nowNs;
  }

  /** Algorithm 3's checks of targets[0..n); changes queued at each VF's time. */
  private checkAndQueue(n: number, trap: number, high: number, low: number, newLid: number, startNs: number, stepNs: number): void {
    if (n === 0) return;
    const k = this.vms.checkForwarded(this.targets, n, trap, high, low, newLid, this.hits);
    if (k === 0) return;
    const row = this.noticeRow(trap, high, low, newLid, k);
    for (let j = 0; j < k; j++) {
      const i = this.hits[j]!;
      this.applyQueue.push(startNs + (this.positions[i]! + 1) * stepNs, EventKind.ShardNoticeApply, this.targets[i]!, row, 0);
    }
  }

  /** The VF's turn: apply the notice if the VM is still on its host (else Dom0 could not deliver it). */
  private apply(vm: number, row: number, nowNs: number): void {
    const r = row * 4;
    const nt = this.notices;
    if (this.vms.attached[vm] === 1) this.vms.applyNotice(vm, nt[r]!, nt[r + 1]!, nt[r + 2]!, nt[r + 3]!, nowNs);
    else this.counters.v[Counter.dom0Unroutable]!++;
    if (--this.noticeRefs[row]! === 0) this.noticeFree.push(row);
  }

  private noticeRow(trap: number, high: number, low: number, newLid: number, refs: number): number {
    let row = this.noticeFree.pop();
    if (row === undefined) {
      row = this.noticeTop++;
      if (row >= this.noticeRefs.length) {
        const refsN = new Uint32Array(this.noticeRefs.length * 2);
        refsN.set(this.noticeRefs);
        this.noticeRefs = refsN;
        const nt = new Float64Array(this.notices.length * 2);
        nt.set(this.notices);
        this.notices = nt;
      }
    }
    const r = row * 4;
    this.notices[r] = trap;
    this.notices[r + 1] = high;
    this.notices[r + 2] = low;
    this.notices[r + 3] = newLid;
    this.noticeRefs[row] = refs;
    return row;
  }
}

/** What a shard worker is given (everything structured-clonable; the buffers are shared, not copied). */
export interface VmShardTask {
  /** The scenario's flatbuffers encoding. */
  readonly scenario: Uint8Array;
  readonly scheme: SchemeName;
  readonly cost?: Partial<CostModel>;
  readonly ring: RecordRingShared;
  /** Shard -> main: Sends and Nexts. */
  readonly ret: RecordRingShared;
  readonly shared: VmSharedState;
  readonly ownerOf: Uint8Array;
  readonly shard: number;
  readonly vmGuidHigh: Uint32Array;
  readonly vmGuidLow: Uint32Array;
  readonly attached: Uint8Array;
  readonly setSentNs: Float64Array;
  readonly cacheEntriesPerVm: number;
  readonly smLid: number;
  readonly interestIndex: boolean;
  readonly hosts: number;
  readonly slotsPerHost: number;
  readonly vmHost: Int32Array;
  readonly vmSlot: Int16Array;
  /** Fault injection, tests only (ShardedRunOptions.faults): die at this Sync (1 = the first); absent: never. */
  readonly killAtSync?: number;
}

/** Ends this worker thread at once (process.exit in a worker ends only its thread); refused on the main thread. */
function killThisWorker(why: string): never {
  if (isMainThread) throw new Error(`VmShard: ${why} asked for on the main thread, which it would end`);
  process.exit(1);
}

export interface VmShardOutcome extends VmShardResult {
  /** LatencyHistogram.encode() of the latencies this shard's VMs recorded. */
  readonly histogram: Uint8Array;
}

/** Runs one shard to the END record (inside a worker; a test may call it on a thread of its own). */
export function runVmShardTask(task: VmShardTask): VmShardOutcome {
  const ring = new RecordRing(task.ring);
  const ret = new RecordRing(task.ret);
  // Plain numbers during the run, one WebAssembly histogram at the end (built, encoded, freed).
  const latencies = new ArrayLatencyRecorder();
  try {
    const scenario = decodeScenarioFb(task.scenario, 'scenario (shard task)');
    const cost = task.cost === undefined ? defaultCostModel() : withOverrides(defaultCostModel(), task.cost);
    const shard = new VmShard({
      scenario,
      scheme: task.scheme,
      cost,
      shared: task.shared,
      ownerOf: task.ownerOf,
      shard: task.shard,
      vmGuidHigh: task.vmGuidHigh,
      vmGuidLow: task.vmGuidLow,
      attached: task.attached,
      setSentNs: task.setSentNs,
      cacheEntriesPerVm: task.cacheEntriesPerVm,
      latency: latencies,
      smLid: task.smLid,
      interestIndex: task.interestIndex,
      hosts: task.hosts,
      slotsPerHost: task.slotsPerHost,
      vmHost: task.vmHost,
      vmSlot: task.vmSlot,
    });
    const r = shard.run(ring, ret, task.killAtSync ?? 0);
    const histogram = new LatencyHistogram();
    try {
      const values = latencies.values();
      for (let i = 0; i < values.length; i++) histogram.record(values[i]!);
      return { ...r, histogram: histogram.encode().slice() };
    } finally {
      histogram.destroy();
    }
  } finally {
    ring.markStopped();
    ret.markStopped();
  }
}
