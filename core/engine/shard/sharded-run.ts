// One scheme's run with its VMs split across shard workers (the protocol is described at the top
// of vm-shard.ts): the SM/SA, the fabric and every Dom0 run here, on the main thread, exactly as
// in the one-thread engine; Dom0's VF endpoint is a ShardedVfEndpoint that turns every hand-off
// to a VM into a record in the owning shard's ring. Counters are summed and latency histograms
// merged at the end. When a shard reports feedback (under per-pf-interest, a VM dropped a cache
// entry that Dom0's interest index follows), the run is redone on one thread and the outcome
// says why (shardFallback).
//
// Throughput. Records are published in batches as they fill (PUBLISH_BATCH_WORDS), so a shard
// works while this thread writes on; a host's FANOUT_HOST goes only to the shards with a VM
// there; a Detach lowers the horizon by the RC detection time, and to a dormant detection it may
// wake (vm-shard.ts), not by the least delay of any VM timer. The outcome reports this thread's
// CPU time over the phase and each shard's (mainCpuNs, shardCpuNs): per Report they bound what
// sharding gives (bench/engine-throughput.bench.ts).
//
// Crash recovery. When a shard's worker thread dies mid-run, only that shard is rebuilt, from its
// last Sync answer, while the other shards and this thread's SM, fabric and Dom0s carry on:
// - every shard journals its shared rows (undo-journal.ts) and sends a checkpoint of its
//   thread-local state with every Sync answer (shard-checkpoint.ts); this thread keeps, per
//   shard, the last complete checkpoint and every record sent since (ReplayLog, a copy made as
//   each record is written: the ring may reuse the words before the shard dies);
// - the death is noticed wherever this thread next waits on the shard's rings (a full ring, a
//   Sync answer, the end; within one 50 ms poll of the worker's exit hook). There and then, in
//   the middle of whatever Dom0 was doing: the dead shard's rows are rolled back with its
//   journal, a fresh worker starts (a plain Worker: it runs without this thread's event loop,
//   which is blocked here) from the checkpoint and the replicated records up to that Sync, the
//   logged records are written to its new ring, and this thread goes on (re-reading the Sync
//   answer it was reading, if any: what the dead shard had sent of it is dropped);
// - a window never holds more than REPLAY_LIMIT_WORDS (or a ring's worth) of records: past
//   that, a barrier Sync makes a new consistent point (ShardedVfEndpoint.bound), so a rebuild
//   replays at most that much and the log stays small;
// - at most maxRestarts rebuilds and re-runs per run (ShardDiedError names the shard after
//   that); when no checkpoint can be used (checkpoints off, a journal of the wrong window) the
//   whole run is redone from scratch on fresh pool workers, counted in shardRestarts.
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import type { Piscina } from 'piscina';
import type { Scenario } from '../../scenario/scenario.js';
import { decodeScenarioFb, encodeScenarioFb } from '../../scenario/scenario-fb.js';
import { defaultCostModel, withOverrides, type CostModel } from '../cost-model.js';
import { EmulatedSubnet } from '../single-thread-run.js';
import { Counters } from '../../metrics/counters.js';
import { LatencyHistogram } from '../../metrics/latency-histogram.js';
import { ArrayLatencyRecorder } from '../../metrics/latency-recorder.js';
import type { VfEndpoint } from '../../dom0/vf-endpoint.js';
import type { VmAgents, VmSharedState } from '../../vm/vm-agents.js';
import { runSchemeTask, type SchemeOutcome, type SchemeTask } from '../scheme-run.js';
import { RecordRing } from './record-ring.js';
import { FANOUT_HEADER_WORDS, MAD_WORDS, ShardRecord, type ShardKill, type VmShardOutcome, type VmShardTask } from './vm-shard.js';
import { CheckpointStore, ReplayLog, ReplicatedLog, WordLog } from './shard-checkpoint.js';
import { UndoJournal } from './undo-journal.js';
import type { Dom0 } from '../../dom0/dom0.js';
import { rcDetectionNs } from '../cost-model.js';
import { threadCpuNs } from '../thread-cpu.js';

/**
 * Schemes whose VMs the sharded engine splits. per-vguid runs whole, one scheme per worker: its
 * VMs answer every Report themselves at once, so the main thread could never run ahead of them.
 */
export const SHARDED_SCHEMES: readonly string[] = ['per-pf', 'per-pf-interest', 'static-no-signal', 'dynamic'];

/** Words of each shard's ring (8 MiB): a few thousand fan-outs of 128 VMs between hand-offs. */
export const SHARD_RING_WORDS = 1 << 20;

/**
 * Unpublished words after which a ring is published before the next record (one Atomics store
 * and notify per batch): ~1,800 per-host fan-outs, a few ms of this thread's work. Each publish
 * may wake a waiting shard, which on a busy machine can cost this thread its core for a
 * scheduler slice, so batches are large; at a Sync the shard is at most one batch behind.
 */
export const PUBLISH_BATCH_WORDS = 16384;

export const SHARD_WORKER_FILE = fileURLToPath(new URL('../../../workers/vm-shard-worker.js', import.meta.url));

/** Can this task run with its VMs sharded? (A pcap trace is written by the one-thread engine; shard: false asks for a whole run.) */
export function canShard(task: SchemeTask): boolean {
  return SHARDED_SCHEMES.includes(task.scheme) && task.pcapPath === undefined && task.shard !== false;
}

/**
 * Owner shard of every VM: hosts split into `shards` contiguous ranges, each VM owned by the
 * shard of the host the scenario first places it on (for the whole run, wherever it migrates).
 */
export function vmOwners(scenario: Scenario, shards: number): Uint8Array {
  if (!Number.isInteger(shards) || shards < 1 || shards > 255) throw new RangeError(`shards: ${shards} is not an integer in 1..255`);
  const owner = new Uint8Array(scenario.vms);
  for (let v = 0; v < scenario.vms; v++) owner[v] = Math.floor((scenario.vmHost[v]! * shards) / scenario.hosts);
  return owner;
}

/** This thread's end of one shard: its rings, what it was sent since its last Sync answer, its last checkpoint. */
export class ShardLink {
  /** Records sent since the shard's last Sync answer (each copied here as it is written). */
  readonly replay = new ReplayLog();
  readonly store = new CheckpointStore();
  /** Workers started for this shard (1: never rebuilt). */
  starts = 1;
  /** Times (ascending) of the shard's dormant RC detections at its last Sync answer (VmShard.answerNext). */
  readonly dormant = new WordLog();

  /** The first dormant time >= t, or Infinity. */
  dormantFrom(t: number): number {
    const d = this.dormant.w;
    const n = this.dormant.n;
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (d[mid]! < t) lo = mid + 1;
      else hi = mid;
    }
    return lo < n ? d[lo]! : Infinity;
  }

  constructor(
    public ring: RecordRing,
    public ret: RecordRing,
    checkpoints: boolean,
  ) {
    if (checkpoints) ring.replayTo(this.replay);
  }

  /** Did the shard's worker thread die (its exit hook marked its rings)? */
  get died(): boolean {
    return this.ring.died || this.ret.died;
  }
}

/** The words a Fanout and a FanoutHost record share: type, the forward's times and the notice. */
function putFanoutHeader(r: RecordRing, type: number, nowNs: number, startNs: number, stepNs: number, trap: number, high: number, low: number, newLid: number): void {
  r.put(type);
  r.put(nowNs);
  r.put(startNs);
  r.put(stepNs);
  r.put(trap);
  r.put(high);
  r.put(low);
  r.put(newLid);
}

/** Dom0's VF side on the main thread of a sharded run: every hand-off becomes a ring record. */
export class ShardedVfEndpoint implements VfEndpoint {
  /** Why the run cannot be sharded after all ('' while it can). */
  feedback = '';
  /**
   * The main thread may handle its events up to this time before it must hear from the shards:
   * the earliest time a VM may send (a VM event pending in a shard, as of the last Sync, or one
   * a record since then can cause: minCreateDelayNs after it at the earliest).
   */
  horizonNs = Infinity;
  /** Syncs sent (each to every shard). */
  syncs = 0;
  /** Barriers sent only to bound the replay logs (see bound()). */
  boundingSyncs = 0;
  private readonly counts: Uint32Array;
  private readonly madBytes = new Uint8Array(256);
  private readonly madWords = new Uint32Array(this.madBytes.buffer);
  private sendVm = new Float64Array(0);
  private sendRec = new Float64Array(0);
  private sendCount = 0;
  private readonly sendOrder: number[] = [];
  /**
   * Per (host, shard): VMs of the shard whose vGUID was last attached at the host and not
   * detached since, and per VM the host it is counted at (-1: none). A shard's own view of a
   * host's active VFs (its occupancy, from the same Attach/Detach records) holds no more of its
   * VMs than this, so a host's FANOUT_HOST goes only to the shards with a VM counted there: a
   * shard would find no target of its own at any other (under per-pf, one record per Report
   * instead of one per shard).
   */
  private readonly ownedOn: Int32Array;
  private readonly countedHost: Int32Array;

  constructor(
    private readonly vms: VmAgents,
    private readonly links: readonly ShardLink[],
    /** Rebuilds shard s after its worker died (rings replaced, logged records replayed), or throws ShardDiedError. */
    private readonly rebuild: (s: number) => void,
    /** Attach/Detach/SetSent as sent (a rebuilt shard's replicated state); undefined: checkpoints off. */
    private readonly replicated: ReplicatedLog | undefined,
    private readonly ownerOf: Uint8Array,
    /** Least delay from a Deliver to a VM event it causes that may send (query retry, RC detection, address resolution, query timeout). */
    private readonly minCreateDelayNs: number,
    /** Least delay from a Detach to a VM event it causes: a peer's RC detection, the only timer a broken connection arms. */
    private readonly detachDelayNs: number,
    /** The main thread's clock. */
    private readonly clock: { readonly nowNs: number },
    private readonly dom0: Dom0,
    /** Replay log words past which a barrier Sync is sent (bound()). */
    private readonly replayLimitWords = Infinity,
  ) {
    this.counts = new Uint32Array(links.length);
    const shards = links.length;
    this.ownedOn = new Int32Array(dom0.hosts * shards);
    this.countedHost = new Int32Array(vms.vms).fill(-1);
    for (let v = 0; v < vms.vms; v++) {
      const host = dom0.vmHost[v]!;
      if (vms.attached[v] === 1 && host >= 0) this.count(v, host);
    }
  }

  /** VM vm is counted at `host` (-1: at none) from now on (see ownedOn). */
  private count(vm: number, host: number): void {
    const shards = this.links.length;
    const owner = this.ownerOf[vm]!;
    const was = this.countedHost[vm]!;
    if (was >= 0) this.ownedOn[was * shards + owner]!--;
    if (host >= 0) this.ownedOn[host * shards + owner]!++;
    this.countedHost[vm] = host;
  }

  /**
   * Starts a record of `words` on shard s's ring. A dead shard is noticed here when its ring is
   * full (records are still logged while it is not): it is rebuilt, and the record goes to its
   * successor's ring.
   */
  private open(s: number, words: number): RecordRing {
    const l = this.links[s]!;
    // Published in batches as they fill, not only at a Sync: the shard then works on one batch
    // while this thread writes the next, instead of the two taking turns window by window; to
    // an idle shard in smaller batches, so that a Sync finds it close behind.
    l.ring.publishWhenDue(PUBLISH_BATCH_WORDS);
    try {
      l.ring.begin(words);
    } catch (e) {
      if (!l.died) throw e;
      this.rebuild(s);
      l.ring.begin(words);
    }
    return l.ring;
  }

  /**
   * A window can be long (per-pf: a storm's fan-outs between two PathRecord queries), and so a
   * replay log: past `replayLimitWords`, a barrier Sync at this thread's time makes it a
   * consistent point, so that a rebuild never replays more and the log never holds more. A
   * barrier changes nothing else: a shard only handles its events before this time earlier
   * than it would have, and no VM can send before the horizon.
   */
  private bound(): void {
    if (this.replicated === undefined) return;
    const links = this.links;
    for (let s = 0; s < links.length; s++) {
      if (links[s]!.replay.n > this.replayLimitWords) {
        this.syncAt(this.clock.nowNs, false, undefined);
        this.boundingSyncs++;
        return;
      }
    }
  }

  /** A MAD for a VM's SA agent (a PathRecord answer, a refusal at the tunnel): to the VM's shard. */
  deliver(vm: number, mad: Uint8Array, _forwarded: boolean, nowNs: number): void {
    this.bound();
    this.madBytes.set(mad.subarray(0, 256));
    const r = this.open(this.ownerOf[vm]!, 3 + MAD_WORDS);
    r.put(ShardRecord.Deliver);
    r.put(nowNs);
    r.put(vm);
    for (let i = 0; i < MAD_WORDS; i++) r.put(this.madWords[i]!);
    r.end();
    this.lower(nowNs + this.minCreateDelayNs);
  }

  private lower(t: number): void {
    if (t < this.horizonNs) this.horizonNs = t;
  }

  /**
   * Sync at the horizon: every shard handles its events up to it and answers with the MADs its
   * VMs sent then (all at this very time) and its next possible send. The MADs go out through
   * Dom0 in VM order, as the one-thread engine sends the queries of the peers that detect one
   * VM's failure together (in VM order); the horizon moves to the earliest next send.
   */
  sync(dom0: Dom0): void {
    this.syncAt(this.horizonNs, true, dom0);
  }

  /**
   * Sync at t <= the horizon, handling shard events up to t (inclusive) or before it. An
   * exclusive Sync at the current time is a barrier: afterwards every shard is idle, waiting for
   * records, and its VMs' state is that of the one-thread engine just before t — the main thread
   * may read it (Dom0's interest index, per-pf-interest: the vGUIDs a migrating VM caches).
   */
  private syncAt(t: number, inclusive: boolean, dom0: Dom0 | undefined): void {
    if (t > this.horizonNs) throw new RangeError(`sharded run sync: ${t} is past the horizon ${this.horizonNs}`);
    for (let s = 0; s < this.links.length; s++) {
      const r = this.open(s, 3);
      r.put(ShardRecord.Sync);
      r.put(t);
      r.put(inclusive ? 1 : 0);
      r.end();
      r.publish();
    }
    this.replicated?.syncSent();
    this.syncs++;
    this.sendCount = 0;
    let next = Infinity;
    for (let s = 0; s < this.links.length; s++) {
      const l = this.links[s]!;
      for (;;) {
        const sendsBefore = this.sendCount;
        try {
          const n = this.readAnswer(l);
          if (n < next) next = n;
          break;
        } catch (e) {
          if (!l.died) throw e;
          // The shard died before its Next: what it sent of this answer is dropped, and its
          // successor (which replays this Sync too) answers in full.
          this.sendCount = sendsBefore;
          l.store.discard();
          this.rebuild(s);
        }
      }
    }
    const order = this.sendOrder;
    order.length = 0;
    for (let i = 0; i < this.sendCount; i++) order.push(i);
    order.sort((a, b) => this.sendVm[a]! - this.sendVm[b]! || a - b);
    if (order.length > 0 && dom0 === undefined) throw new Error(`sharded run: VMs sent ${order.length} MADs before the horizon ${this.horizonNs}`);
    for (const i of order) {
      const r = i * (6 + MAD_WORDS);
      const rec = this.sendRec;
      for (let w = 0; w < MAD_WORDS; w++) this.madWords[w] = rec[r + 6 + w]!;
      dom0!.sendFromVf(rec[r]!, this.madBytes, rec[r + 1]!, rec[r + 2]!, rec[r + 3]!, rec[r + 4]!, rec[r + 5]!);
    }
    this.horizonNs = next;
  }

  /** Reads one shard's answer to a Sync: its Sends, its checkpoint, then its Next (returned). */
  private readAnswer(l: ShardLink): number {
    const ret = l.ret;
    l.dormant.n = 0;
    for (;;) {
      ret.waitForData();
      const type = ret.take();
      if (type === ShardRecord.Next) {
        const n = ret.take();
        ret.doneRecord();
        l.store.commit();
        l.replay.clear();
        return n;
      }
      if (type === ShardRecord.Send) this.keepSend(ret);
      else if (type === ShardRecord.Dormant) {
        const k = ret.take();
        for (let i = 0; i < k; i++) l.dormant.push(ret.take());
      } else if (type === ShardRecord.Checkpoint) {
        const k = ret.take();
        const st = l.store.stageRoom(k);
        const w = st.w;
        for (let i = st.n, end = st.n + k; i < end; i++) w[i] = ret.take();
        st.n += k;
      } else throw new RangeError(`sharded run: record type ${type} from a shard is not Send, Dormant, Checkpoint or Next`);
      ret.doneRecord();
    }
  }

  /** Copies a Send record (after its type word) into the send buffer. */
  private keepSend(ret: RecordRing): void {
    const stride = 6 + MAD_WORDS;
    if ((this.sendCount + 1) * stride > this.sendRec.length) {
      const rec = new Float64Array(Math.max(16, this.sendCount * 2 + 2) * stride);
      rec.set(this.sendRec);
      this.sendRec = rec;
      const vm = new Float64Array(rec.length / stride);
      vm.set(this.sendVm);
      this.sendVm = vm;
    }
    ret.take(); // the VM's event time (= the Sync's)
    const r = this.sendCount * stride;
    const vm = ret.take();
    this.sendVm[this.sendCount] = vm;
    this.sendRec[r] = vm;
    for (let w = 1; w < stride; w++) this.sendRec[r + w] = ret.take();
    this.sendCount++;
  }

  vfSetSent(vm: number, nowNs: number): void {
    this.bound();
    this.vms.vfSetSent(vm, nowNs);
    this.replicated?.add(ShardRecord.SetSent, nowNs, vm, 0, 0, 0, 0);
    this.toEveryShard(ShardRecord.SetSent, nowNs, vm);
  }

  /** A record of just (type, time, VM) to every shard: each handles the VMs it owns. */
  private toEveryShard(type: number, nowNs: number, vm: number): void {
    for (let s = 0; s < this.links.length; s++) {
      const r = this.open(s, 3);
      r.put(type);
      r.put(nowNs);
      r.put(vm);
      r.end();
    }
  }

  vfAttached(vm: number, guidHigh: number, guidLow: number, nowNs: number): void {
    this.bound();
    this.vms.vfAttached(vm, guidHigh, guidLow, nowNs);
    // Dom0 attaches the vGUID to the VF slot the VM is in (GuidCache.attach) as it calls this.
    const host = this.dom0.vmHost[vm]!;
    const slot = this.dom0.vmSlot[vm]!;
    this.count(vm, host);
    this.replicated?.add(ShardRecord.Attach, nowNs, vm, guidHigh, guidLow, host, slot);
    for (let s = 0; s < this.links.length; s++) {
      const r = this.open(s, 7);
      r.put(ShardRecord.Attach);
      r.put(nowNs);
      r.put(vm);
      r.put(guidHigh);
      r.put(guidLow);
      r.put(host);
      r.put(slot);
      r.end();
    }
  }

  vfDetached(vm: number, nowNs: number): void {
    this.bound();
    this.vms.markDetached(vm);
    this.count(vm, -1);
    // The detections this Detach arms (RC detection time on), and any dormant one it may wake:
    // a pending detection of a repaired connection that this break makes count again.
    this.lower(nowNs + this.detachDelayNs);
    for (const l of this.links) this.lower(l.dormantFrom(nowNs));
    this.replicated?.add(ShardRecord.Detach, nowNs, vm, 0, 0, 0, 0);
    this.toEveryShard(ShardRecord.Detach, nowNs, vm);
  }

  forEachCachedGuid(vm: number, fn: (high: number, low: number) => void): void {
    // Dom0 (per-pf-interest) reads the vGUIDs a VM caches as it leaves or arrives; its shard may
    // still be behind in virtual time (inserting a PathRecord answer): a barrier first.
    this.syncAt(this.clock.nowNs, false, undefined);
    this.vms.forEachCachedGuid(vm, fn);
  }

  forwardNotice(host: number, allActive: boolean, vms: Int32Array, from: number, n: number, trap: number, high: number, low: number, newLid: number, nowNs: number, startNs: number, stepNs: number): void {
    this.bound();
    if (allActive) {
      // Algorithm 2's targets are every active VF of the host in slot order: each shard keeps
      // the hosts' VF occupancy (Attach/Detach records), so the record names only the host, and
      // goes only to the shards with a VM there.
      const shards = this.links.length;
      for (let s = 0; s < shards; s++) {
        if (this.ownedOn[host * shards + s] === 0) continue;
        const r = this.open(s, FANOUT_HEADER_WORDS);
        putFanoutHeader(r, ShardRecord.FanoutHost, nowNs, startNs, stepNs, trap, high, low, newLid);
        r.put(host);
        r.end();
      }
      return;
    }
    const counts = this.counts;
    const owner = this.ownerOf;
    counts.fill(0);
    for (let i = from, end = from + n; i < end; i++) counts[owner[vms[i]!]!]!++;
    for (let s = 0; s < this.links.length; s++) {
      const m = counts[s]!;
      if (m === 0) continue;
      const r = this.open(s, FANOUT_HEADER_WORDS + 2 * m);
      putFanoutHeader(r, ShardRecord.Fanout, nowNs, startNs, stepNs, trap, high, low, newLid);
      r.put(m);
      for (let i = 0; i < n; i++) {
        const vm = vms[from + i]!;
        if (owner[vm] !== s) continue;
        r.put(vm);
        r.put(i);
      }
      r.end();
    }
  }

  /**
   * Tells every shard the run is over and publishes what is left. `rebuildDead`: a shard found
   * dead is rebuilt first (the run went well); otherwise (the run failed) it is skipped.
   */
  finish(rebuildDead: boolean): void {
    for (let s = 0; s < this.links.length; s++) {
      const l = this.links[s]!;
      if (rebuildDead && l.died) this.rebuild(s);
      const r = l.ring;
      if (r.stopped) continue;
      try {
        r.begin(2);
      } catch (e) {
        if (rebuildDead && l.died) {
          this.rebuild(s);
          s--;
          continue;
        }
        if (r.stopped) continue;
        throw e;
      }
      r.put(ShardRecord.End);
      r.put(0);
      r.end();
      r.publish();
    }
  }
}

/** A shard rebuilt from its last Sync answer after its worker died. */
export interface ShardRebuild {
  readonly shard: number;
  /** Syncs the shard had answered: it resumed after the last of them (0: from the start of the phase). */
  readonly fromSync: number;
  /** Records replayed into it: those sent since that Sync (in flight when it died). */
  readonly records: number;
  /** VMs whose shared rows its journal rolled back. */
  readonly rowsRolledBack: number;
}

export interface ShardedOutcome extends SchemeOutcome {
  /** VM shards the run used (0: it was redone on one thread). */
  readonly shards: number;
  /** Why the run was redone on one thread, or ''. */
  readonly shardFallback: string;
  /** Times the whole run was redone from scratch because a dead shard could not be rebuilt from a checkpoint. */
  readonly shardRestarts: number;
  /** Shards rebuilt alone from their last Sync answer, in the order they died (in the run that finished). */
  readonly shardRebuilds: readonly ShardRebuild[];
  /** Worker threads started per shard in the run that finished (1: never rebuilt). */
  readonly shardStarts: readonly number[];
  /** Syncs the main thread sent every shard (0: redone on one thread). */
  readonly shardSyncs: number;
  /**
   * CPU time of the main thread over the migration phase and of each shard's thread while it read
   * records (threadCpuNs: NaN where unknown, [] when redone on one thread). With the Reports sent,
   * they are the main thread's and the shards' CPU per Report, which bound the sharded speed-up.
   */
  readonly mainCpuNs: number;
  readonly shardCpuNs: readonly number[];
}

export interface ShardedRunOptions {
  /** Words of each ring (tests: a small ring wraps and makes the main thread wait). */
  readonly ringWords?: number;
  /** Rebuilds and re-runs allowed after shard workers die (default 2, per run); 0: a dead shard fails the run. */
  readonly maxRestarts?: number;
  /**
   * Checkpoints (undo journals, a checkpoint with every Sync answer, replay logs; default on): a
   * dead shard is rebuilt alone from its last Sync answer. Off: the whole run is redone instead.
   */
  readonly checkpoints?: boolean;
  /**
   * Fault injection, tests only, never on by default: shard `killShard`'s worker ends its thread
   * (process.exit(1)) on receiving its `atSync`-th Sync (1 = the first), or on reading the
   * `records`-th record after its answer to Sync `afterSync` (records in flight); so do the
   * first `attempts` workers started for that shard (default 1: its successor runs undisturbed).
   */
  readonly faults?: { readonly killShard: number; readonly atSync?: number; readonly afterSync?: number; readonly records?: number; readonly attempts?: number };
}

/** A shard's worker thread died mid-run (its rings were marked died by its exit hook). */
export class ShardDiedError extends Error {
  constructor(
    readonly shard: number,
    why: string,
    /** No restart may follow: the run is abandoned. */
    readonly final = false,
  ) {
    super(`sharded run: shard ${shard}'s worker thread died mid-run (${why})`);
    this.name = 'ShardDiedError';
  }
}

/**
 * Replay log words (per shard) past which a barrier Sync starts a new window (or a ring's worth,
 * if less): 512 KiB stays in cache and never grows the log, and a barrier costs one round trip
 * per 64 k words of records (a per-pf storm: one per ~7 k fan-outs).
 */
export const REPLAY_LIMIT_WORDS = 1 << 16;

/** How long a rebuilt shard's worker may take to start reading (it loads its modules first). */
const REBUILD_START_TIMEOUT_MS = 30_000;

/** Restarts used so far in one runShardedTask, and the fault injections left. */
interface RestartBudget {
  used: number;
  readonly max: number;
  killsLeft: number;
}

function exhausted(b: RestartBudget): string {
  return `after ${b.used} restart${b.used === 1 ? '' : 's'}, the most allowed (maxRestarts ${b.max}); the run is abandoned`;
}

/**
 * Runs a task of a SHARDED_SCHEMES scheme with its VMs on `shards` workers of `pool` (which
 * must allow that many threads at once), the SM, fabric and Dom0s on this thread.
 */
export async function runShardedTask(task: SchemeTask, shards: number, pool: Piscina, o: ShardedRunOptions = {}): Promise<ShardedOutcome> {
  if (!canShard(task)) throw new RangeError(`sharded run scheme: "${task.scheme}" is not one of ${SHARDED_SCHEMES.join(', ')} (or a pcap trace was asked for)`);
  const maxRestarts = o.maxRestarts ?? 2;
  if (!Number.isInteger(maxRestarts) || maxRestarts < 0) throw new RangeError(`sharded run maxRestarts: ${maxRestarts} is not a non-negative integer`);
  const f = o.faults;
  if (f !== undefined) {
    if (!Number.isInteger(f.killShard) || f.killShard < 0 || f.killShard >= shards || (f.atSync !== undefined && (!Number.isInteger(f.atSync) || f.atSync < 1))) {
      throw new RangeError(`sharded run faults: shard ${f.killShard} at Sync ${f.atSync} is not a shard in 0..${shards - 1} and a Sync >= 1`);
    }
    if ((f.atSync === undefined) === (f.records === undefined) || (f.records !== undefined && (!Number.isInteger(f.records) || f.records < 1 || !Number.isInteger(f.afterSync ?? 0) || (f.afterSync ?? 0) < 0))) {
      throw new RangeError(`sharded run faults: atSync ${f.atSync}, records ${f.records} after Sync ${f.afterSync}: give either a Sync >= 1 or a record count >= 1 after a Sync >= 0`);
    }
  }
  const t0 = performance.now();
  // A dead shard is rebuilt alone from its checkpoint (runShardedOnce); when that is not
  // possible, the whole run is redone from scratch with fresh pool workers: the run is a pure
  // function of the task (scenario, scheme, cost, seed), so either way the results are the
  // undisturbed run's. Both count against maxRestarts.
  const budget: RestartBudget = { used: 0, max: maxRestarts, killsLeft: f?.attempts ?? 1 };
  for (let attempt = 0; ; attempt++) {
    try {
      const out = await runShardedOnce(task, shards, pool, o, budget);
      return { ...out, wallTimeMs: performance.now() - t0, shardRestarts: attempt };
    } catch (e) {
      if (!(e instanceof ShardDiedError) || e.final) throw e;
      if (budget.used >= maxRestarts) throw new ShardDiedError(e.shard, exhausted(budget), true);
      budget.used++;
    }
  }
}

/** A rebuilt shard on a plain Worker (started without the event loop, which is blocked mid-run). */
function startRebuiltWorker(task: VmShardTask): Promise<VmShardOutcome> {
  return new Promise((resolve, reject) => {
    const w = new Worker(SHARD_WORKER_FILE, { workerData: { vmShardRebuild: task } });
    let settled = false;
    w.once('message', (m: VmShardOutcome | { error: string }) => {
      settled = true;
      if ('error' in m) reject(new Error(`rebuilt shard ${task.shard}: ${m.error}`));
      else resolve(m);
    });
    w.once('error', (e) => {
      settled = true;
      reject(e);
    });
    w.once('exit', (code) => {
      if (!settled) reject(new Error(`rebuilt shard ${task.shard}'s worker exited (code ${code}) without an outcome`));
    });
  });
}

/** One attempt of a sharded run; a dead shard is rebuilt, or ShardDiedError thrown once every shard has settled. */
async function runShardedOnce(task: SchemeTask, shards: number, pool: Piscina, o: ShardedRunOptions, budget: RestartBudget): Promise<Omit<ShardedOutcome, 'shardRestarts'>> {
  const t0 = performance.now();
  await LatencyHistogram.ready();
  const scenario = task.scenario instanceof Uint8Array ? decodeScenarioFb(task.scenario, 'scenario (sharded task)') : task.scenario;
  const scenarioBytes = task.scenario instanceof Uint8Array ? task.scenario : encodeScenarioFb(scenario);
  const cost: CostModel = task.cost === undefined ? defaultCostModel() : withOverrides(defaultCostModel(), task.cost);
  const checkpoints = o.checkpoints ?? true;
  const ringWords = o.ringWords ?? SHARD_RING_WORDS;
  const f = o.faults;
  // Latencies are kept as plain numbers while the run awaits its shards: a WebAssembly
  // histogram must not live across awaits while other code on this thread makes and frees
  // histograms (see run-schemes.ts); the histogram is built and freed at the end, in one go.
  const latencies = new ArrayLatencyRecorder();
  {
    const subnet = new EmulatedSubnet(scenario, task.scheme, { cost, latency: latencies });
    subnet.setup(task.setup);
    const setup = subnet.counters.snapshot();
    const start = subnet.nowNs;
    const vms = subnet.vms;
    const ownerOf = vmOwners(scenario, shards);
    const edges = scenario.peerStart[scenario.vms]!;
    // With checkpoints the VMs' query state lives on shared memory too, so that a dead shard's
    // rows outlive it (starting from zero, as a shard's own arrays would).
    const shared: VmSharedState = { ...vms.toShared(), ...(checkpoints ? { edgeQuery: new SharedArrayBuffer(4 * edges) } : {}) };
    const journals = checkpoints
      ? Array.from({ length: shards }, (_, s) => {
          const rows = { pathCache: vms.pathCache, summary: vms.cacheSummary, conn: vms.conn, edgeQuery: new Uint8Array(shared.edgeQuery!), peerStart: scenario.peerStart };
          return new UndoJournal(rows, UndoJournal.wordsFor(rows, ownerOf, s));
        })
      : [];
    const replicated = checkpoints ? new ReplicatedLog() : undefined;
    // The phase's starting state, kept: a rebuilt shard starts from it too (then the replicated
    // records up to its checkpoint), while this thread's copies move on.
    const initial = {
      vmGuidHigh: vms.guidHigh.slice(),
      vmGuidLow: vms.guidLow.slice(),
      attached: vms.attached.slice(),
      setSentNs: vms.setSentNs.slice(),
      vmHost: subnet.dom0.vmHost.slice(),
      vmSlot: subnet.dom0.vmSlot.slice(),
    };
    const taskFor = (shard: number, ring: RecordRing, ret: RecordRing, restore: VmShardTask['restore'], kill: ShardKill | undefined): VmShardTask => ({
      scenario: scenarioBytes,
      scheme: task.scheme,
      ...(task.cost !== undefined ? { cost: task.cost } : {}),
      ring: ring.toShared(),
      ret: ret.toShared(),
      shared,
      ownerOf,
      shard,
      ...initial,
      cacheEntriesPerVm: vms.pathCache.entriesPerVm,
      smLid: subnet.dom0.smLid,
      hosts: scenario.hosts,
      slotsPerHost: scenario.slotsPerHost,
      interestIndex: subnet.dom0.interestIndex !== undefined,
      ...(checkpoints ? { journal: journals[shard]!.buffer } : {}),
      ...(restore !== undefined ? { restore } : {}),
      ...(kill !== undefined ? { kill } : {}),
    });
    const killFor = (shard: number): ShardKill | undefined => {
      if (f === undefined || f.killShard !== shard || budget.killsLeft <= 0) return undefined;
      budget.killsLeft--;
      return f.atSync !== undefined ? { atSync: f.atSync } : { afterSync: f.afterSync ?? 0, records: f.records! };
    };
    const links = Array.from({ length: shards }, () => new ShardLink(new RecordRing(ringWords), new RecordRing(ringWords), checkpoints));
    const running = links.map((l, shard) => pool.run(taskFor(shard, l.ring, l.ret, undefined, killFor(shard)), { filename: SHARD_WORKER_FILE }) as Promise<VmShardOutcome>);
    const rebuilds: ShardRebuild[] = [];
    /**
     * Shard s's worker died: roll its rows back to its last Sync answer, start a fresh worker
     * from its checkpoint, and write it the records sent since (see the header). Synchronous:
     * it runs wherever the death was noticed, in the middle of Dom0's work.
     */
    const rebuild = (s: number): void => {
      const l = links[s]!;
      const store = l.store;
      if (!checkpoints) throw new ShardDiedError(s, 'checkpoints are off, so the run is redone');
      if (!store.usable) throw new ShardDiedError(s, `no checkpoint of its Sync ${store.answered}, so the run is redone`);
      if (budget.used >= budget.max) throw new ShardDiedError(s, exhausted(budget), true);
      const journal = journals[s]!;
      const rolled = journal.rollBack(store.answered);
      if (rolled < 0) throw new ShardDiedError(s, `its journal is of the window after Sync ${journal.window}, not ${store.answered}, so the run is redone`);
      budget.used++;
      l.ring.replayTo(undefined);
      const ring = new RecordRing(ringWords);
      const ret = new RecordRing(ringWords);
      l.starts++;
      const worker = startRebuiltWorker(taskFor(s, ring, ret, store.restore(replicated!.upTo(store.answered)), killFor(s)));
      // Settled with the others at the end, unless it dies and is replaced first: never unhandled.
      worker.catch(() => undefined);
      running[s] = worker;
      l.ring = ring;
      l.ret = ret;
      const log = l.replay;
      rebuilds.push({ shard: s, fromSync: store.answered, records: log.records, rowsRolledBack: rolled });
      if (!ring.waitReaderStartedSync(REBUILD_START_TIMEOUT_MS)) throw new ShardDiedError(s, `its rebuilt worker did not start within ${REBUILD_START_TIMEOUT_MS} ms`, true);
      // The log stays as it is while it is replayed (not copied into itself): if the successor
      // dies during the replay, its own successor gets the whole log again.
      const w = log.w;
      for (let at = 0; at < log.n; ) {
        const k = w[at++]!;
        try {
          ring.begin(k);
        } catch (e) {
          if (!l.died) throw e;
          rebuild(s);
          return;
        }
        for (let i = 0; i < k; i++) ring.put(w[at++]!);
        ring.end();
      }
      ring.publish();
      ring.replayTo(log);
    };
    // The main thread may block on a full ring only once every reader runs; a shard that fails
    // to start rejects here instead.
    await Promise.race([Promise.all(links.map((l) => l.ring.waitReaderStarted())), Promise.all(running).then(() => undefined)]);
    const minCreateDelayNs = Math.min(rcDetectionNs(cost), cost.saQueryRetryNs, cost.addressResolutionNs, cost.clientRespTimeoutNs);
    const endpoint = new ShardedVfEndpoint(vms, links, rebuild, replicated, ownerOf, Math.max(1, minCreateDelayNs), Math.max(1, rcDetectionNs(cost)), subnet.queue, subnet.dom0, Math.min(ringWords, REPLAY_LIMIT_WORDS));
    subnet.dom0.attachVfEndpoint(endpoint);
    const p0 = performance.now();
    const cpu0 = threadCpuNs();
    let mainEvents = 0;
    let failure: { error: unknown } | undefined;
    let mainCpuNs = NaN;
    try {
      subnet.scheduleMigrations();
      // Conservative synchronisation: run ahead to the horizon (the earliest time a VM may
      // send), then Sync the shards there and inject what their VMs sent; done when nothing
      // is left on this thread and no VM can send any more.
      for (;;) {
        mainEvents += subnet.runUntilHorizon(endpoint);
        if (endpoint.horizonNs === Infinity) break;
        endpoint.sync(subnet.dom0);
      }
      endpoint.finish(true);
      mainCpuNs = threadCpuNs() - cpu0;
    } catch (error) {
      // A dead shard that could not be rebuilt fails here (within one 50 ms poll of its exit hook).
      failure = { error };
      // The main thread reads no more: a live shard writing Sends while it drains after END
      // fails instead of waiting for room forever, so its task settles.
      for (const l of links) if (!l.ret.stopped) l.ret.markStopped();
      try {
        endpoint.finish(false);
      } catch {
        // the failure above is what is reported
      }
    } finally {
      subnet.dom0.attachVfEndpoint(vms);
    }
    let settled: PromiseSettledResult<VmShardOutcome>[];
    for (;;) {
      settled = await Promise.allSettled(running.slice());
      if (failure !== undefined) break;
      // A shard that died after its last Sync answer (while draining after END) is rebuilt
      // too: it replays what it was sent since, END included.
      let again = false;
      try {
        for (let s = 0; s < shards; s++) {
          if (links[s]!.died && settled[s]!.status === 'rejected') {
            rebuild(s);
            again = true;
          }
        }
      } catch (error) {
        failure = { error };
        for (const l of links) if (!l.ret.stopped) l.ret.markStopped();
      }
      if (!again) break;
    }
    if (failure !== undefined && failure.error instanceof ShardDiedError) throw failure.error;
    for (let s = 0; s < shards; s++) {
      if (links[s]!.died) {
        const r = settled[s]!;
        throw new ShardDiedError(s, r.status === 'rejected' ? String((r.reason as Error)?.message ?? r.reason) : 'its exit hook ran after it returned');
      }
    }
    if (failure !== undefined) throw failure.error;
    const rejected = settled.find((r) => r.status === 'rejected');
    if (rejected !== undefined) throw (rejected as PromiseRejectedResult).reason;
    const outs = settled.map((r) => (r as PromiseFulfilledResult<VmShardOutcome>).value);
    const phaseWallMs = performance.now() - p0;
    const feedback = endpoint.feedback !== '' ? endpoint.feedback : (outs.find((o) => o.feedback !== '')?.feedback ?? '');
    if (feedback !== '') {
      const one = runSchemeTask(task);
      return { ...one, wallTimeMs: performance.now() - t0, shards: 0, shardFallback: feedback, shardRebuilds: rebuilds, shardStarts: links.map((l) => l.starts), shardSyncs: 0, mainCpuNs: NaN, shardCpuNs: [] };
    }
    subnet.countStale();
    const phase = subnet.counters.minus(setup);
    let events = mainEvents;
    let lastNs = subnet.nowNs;
    const histogram = new LatencyHistogram();
    let encoded: Uint8Array;
    try {
      const own = latencies.values();
      for (let i = 0; i < own.length; i++) histogram.record(own[i]!);
      for (const o of outs) {
        phase.addAll(new Counters(o.counters));
        events += o.events;
        if (o.lastEventNs > lastNs) lastNs = o.lastEventNs;
        const h = LatencyHistogram.decode(o.histogram);
        histogram.merge(h);
        h.destroy();
      }
      // encode() may return a view into Node's shared Buffer pool: copy it.
      encoded = histogram.encode().slice();
    } finally {
      histogram.destroy();
    }
    return {
      scheme: task.scheme,
      counters: phase.v,
      setupCounters: setup.v,
      histogram: encoded,
      events,
      virtualTimeNs: lastNs - start,
      wallTimeMs: performance.now() - t0,
      phaseWallMs,
      peakMadBuffers: subnet.fabric.slab.peakInUse,
      pcapRecords: 0,
      shards,
      shardFallback: '',
      shardRebuilds: rebuilds,
      shardStarts: links.map((l) => l.starts),
      shardSyncs: endpoint.syncs,
      mainCpuNs,
      shardCpuNs: outs.map((o) => o.cpuNs),
    };
  }
}
