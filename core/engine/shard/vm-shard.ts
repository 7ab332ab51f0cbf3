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
//   that time order and published in batches (every PUBLISH_BATCH_WORDS, so that the shard works
//   while the main thread goes on; at a Sync; when a ring fills; at the end):
//     FANOUT  Dom0 forwards a notice (per-pf-interest: to the VMs caching the vGUID): trap,
//             vGUID, new LID, the forward's start and per-VF step, and the owned targets with
//             their VF positions.
//     FANOUT_HOST the same for Algorithm 2 (every active VF of a host, slot order): only the
//             host, and only to the shards with a VM of theirs there; each shard keeps every
//             host's VF occupancy from ATTACH/DETACH and takes its own VMs with their positions
//             among all of the host's, kept per host with their cache summaries bit-sliced
//             (rebuilt when a VF of the host or one of those VMs' summaries changes).
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
//   its PF at the Sync's time: a PathRecord query after an RC failure was detected), DORMANT (the
//   times of pending RC detections whose connection a notice has repaired: they send nothing
//   unless a DETACH breaks the connection again first) and NEXT (the earliest time one of the
//   shard's VMs may send again, dormant detections left out).
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
//   last Sync, every DETACH at t since + the RC detection time (the only timer a break arms) and
//   the first DORMANT time >= t (a detection the break may wake), every DELIVER since +
//   minCreateDelay) without waiting for anyone, then
//   SYNCs the shards at the horizon, sends the MADs their VMs sent then through Dom0 (in VM
//   order: the peers of one migrated VM detect its failure at the same time and query in VM
//   order on one thread too), and goes on. In a storm that is one Sync per RC detection instant
//   of a peer still broken (none under per-pf when every notice arrives in time: the storm runs
//   whole before its one Sync), not one per fabric hop. Under per-pf-interest a dropped cache entry (UnPath)
//   would have to reach Dom0's interest index mid-run, which the core does not do yet: the
//   shard reports it (feedback) and the run is redone on one thread (sharded-run.ts). Not
//   sharded: per-vguid, whose VMs answer each Report at once (no lookahead at all).
// - End. On END a shard drains its queues and returns its counters, its latency histogram
//   (encoded), the events it handled and the time of its last one; the main thread sums the
//   counters and merges the histograms.
// - Checkpoints (on unless ShardedRunOptions.checkpoints is false). A shard's consistent point
//   is its answer to a Sync. Before it first changes one of its VMs' shared rows in a window
//   (path cache region, summary, connection flags, PathRecord query state), it appends the row
//   as it was to its undo journal (undo-journal.ts, on shared memory), emptied when the next
//   window starts. With every Sync answer, before its NEXT, it sends CHECKPOINT records with
//   its thread-local state (shard-checkpoint.ts): counters, last record time, feedback flag and
//   notice table in full; latencies and its two event queues' push logs as increments (a Sync
//   costs what its window did, not what is pending). Only after the NEXT is published does the
//   next window start. The main thread keeps the last checkpoint whose NEXT it has read, a copy
//   of every record it sent since, and the Attach/Detach/SetSent records it sent to everyone.
// - Crash. A worker thread that dies mid-run (process.exit; tests inject it with ShardKill: at
//   a Sync, or on a record between two Syncs) runs no finally block: its exit hook
//   (workers/vm-shard-worker.ts) marks both its rings died, so the main thread's 50 ms ring
//   polls fail instead of waiting forever. Wherever the main thread notices (a full ring, a Sync
//   answer, the end), it rebuilds that shard alone, there and then (sharded-run.ts): it rolls
//   the dead shard's rows back with its journal (to exactly its last answer), starts a fresh
//   worker (a plain Worker) from the checkpoint and the replicated records up to that Sync,
//   writes it every record sent since (the Sync it died at included), and goes on; an answer
//   it was reading is read again in full from the successor. Other shards never notice. At most
//   maxRestarts per run; without a usable checkpoint the whole run is redone from scratch.
import { isMainThread } from 'node:worker_threads';
import type { Scenario, SchemeName } from '../../scenario/scenario.js';
import { schemeConfig } from '../../schemes.js';
import type { CostModel } from '../cost-model.js';
import { EventQueue } from '../event-queue.js';
import { EventKind } from '../event-kinds.js';
import { Counter, Counters } from '../../metrics/counters.js';
import { Conn, VmAgents, type PfTunnel, type VmSharedState } from '../../vm/vm-agents.js';
import { RecordRing, type RecordRingShared } from './record-ring.js';
import { decodeScenarioFb } from '../../scenario/scenario-fb.js';
import { defaultCostModel, withOverrides } from '../cost-model.js';
import { LatencyHistogram } from '../../metrics/latency-histogram.js';
import { UndoJournal } from './undo-journal.js';
import { threadCpuNs } from '../thread-cpu.js';
import { SUMMARY_BITS, sliceSummaries } from '../../dom0/vf-endpoint.js';
import { CounterDiff, PushLog, REPLICATED_WORDS, SyncedLatencies, WordLog, type ShardRestore } from './shard-checkpoint.js';

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
  /** Shard -> main, before a Next: part of the shard's checkpoint at this Sync (shard-checkpoint.ts): n, n words. */
  Checkpoint: 11,
  /** Shard -> main, before a Next: n, then n times (ascending) of dormant RC detections (see VmShard.answerNext). */
  Dormant: 12,
} as const;

/** The feedback a shard can raise before END (a checkpoint keeps it as a flag). */
const FEEDBACK_UNPATH = 'a VM dropped a cache entry (UnPath), which Dom0\'s interest index follows';

/** Fault injection (tests only): where a shard's worker thread ends itself. */
export interface ShardKill {
  /** On receiving this Sync (1 = the first), before answering it. */
  readonly atSync?: number;
  /** On reading the `records`-th record after its answer to Sync `afterSync` (0: from its start): records in flight. */
  readonly afterSync?: number;
  readonly records?: number;
}

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
  readonly latency: SyncedLatencies;
  /** The SM's LID (where the VMs' SA queries go). */
  readonly smLid: number;
  /** Does Dom0 keep an interest index (per-pf-interest)? Then a dropped cache entry is feedback. */
  readonly interestIndex: boolean;
  readonly hosts: number;
  readonly slotsPerHost: number;
  /** Dom0's VM placement at the start of the phase (-1: on no host). */
  readonly vmHost: Int32Array;
  readonly vmSlot: Int16Array;
  /**
   * The shard's undo journal (undo-journal.ts; shared.edgeQuery must be given too): with it the
   * shard journals its rows and sends a checkpoint with every Sync answer, so that it can be
   * rebuilt if its thread dies. Absent: checkpoints are off.
   */
  readonly journal?: SharedArrayBuffer;
  /** A rebuilt shard: where its predecessor's last checkpoint left it. */
  readonly restore?: ShardRestore;
}

export interface VmShardResult {
  readonly counters: Float64Array;
  readonly events: number;
  /** Virtual time of the shard's last event (0: none). */
  readonly lastEventNs: number;
  /** Why the shard's VMs were not independent of the main thread (the run must be redone on one thread), or ''. */
  readonly feedback: string;
  /** CPU time of the shard's thread while it read its records (threadCpuNs; NaN: unknown). A rebuilt shard's counts only its own. */
  readonly cpuNs: number;
}

export class VmShard {
  /** The VMs' own events (RC detection, query timers): the only ones that can send. */
  readonly queue = new EventQueue(1024);
  /** Notice changes at VF times. */
  readonly applyQueue = new EventQueue(1024);
  /** Every push to the two queues goes through their push logs (the checkpoint's view of them). */
  private readonly pushLog: PushLog;
  private readonly applyLog: PushLog;
  private readonly journal: UndoJournal | undefined;
  private readonly latency: SyncedLatencies;
  /** Syncs answered (a rebuilt shard: counting its predecessor's). */
  private answered = 0;
  private readonly ckpt = new WordLog();
  private counterDiff: CounterDiff | undefined;
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
  /**
   * FANOUT_HOST's targets per host, kept between notices (as Dom0 keeps its Algorithm 2 lists):
   * the owned VMs of the host's active VF slots in slot order at ownList[host * slotsPerHost ..],
   * ownCount[host] long (-1: a VF of the host or an owned VM's cache summary changed since),
   * their positions among all of the host's active VFs in ownPos, and their cache summaries
   * bit-sliced in ownSlices (made on the first FANOUT_HOST), so that a notice's checks for a
   * host are a dozen word ANDs instead of a slot walk and three loads per VM. Derived state: a
   * rebuilt shard starts with every host marked.
   */
  private ownList = new Int32Array(0);
  private ownPos = new Int32Array(0);
  private ownCount = new Int32Array(0);
  private ownSlices = new Uint32Array(0);
  private readonly sliceWords: number;
  private readonly dormantScratch = new WordLog();

  constructor(o: VmShardOptions) {
    const s = o.scenario;
    const cfg = schemeConfig(o.scheme);
    const tunnel: PfTunnel = {
      smLid: o.smLid,
      sendFromVf: (vm, mad, dstLid, dstQp, dstGuidHigh, dstGuidLow, departNs) => this.send(vm, mad, dstLid, dstQp, dstGuidHigh, dstGuidLow, departNs),
      noteCacheDrop: () => {
        if (o.interestIndex) this.flag(FEEDBACK_UNPATH);
      },
      noteSummaryChange: (vm) => this.markHostOf(vm),
    };
    const checkpoints = o.journal !== undefined;
    this.pushLog = new PushLog(this.queue, checkpoints);
    this.applyLog = new PushLog(this.applyQueue, checkpoints);
    this.latency = o.latency;
    this.vms = new VmAgents({
      vms: s.vms,
      peerStart: s.peerStart,
      peerList: s.peerList,
      vmGuidHigh: o.vmGuidHigh,
      vmGuidLow: o.vmGuidLow,
      cacheEntriesPerVm: o.cacheEntriesPerVm,
      tunnel,
      scheduler: this.pushLog,
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
    this.ownCount = new Int32Array(o.hosts).fill(-1);
    this.sliceWords = Math.ceil(o.slotsPerHost / 32);
    // An active VF slot is one whose vGUID is attached (what Algorithm 2 forwards to).
    for (let v = 0; v < s.vms; v++) {
      if (o.attached[v] === 1 && o.vmHost[v]! >= 0) this.occupy(v, o.vmHost[v]!, o.vmSlot[v]!);
    }
    if (o.journal !== undefined) {
      if (o.shared.edgeQuery === undefined) throw new RangeError('VmShard shared.edgeQuery: absent, but a journal needs the query state on shared memory');
      const v = this.vms;
      this.journal = new UndoJournal({ pathCache: v.pathCache, summary: v.cacheSummary, conn: v.conn, edgeQuery: new Uint8Array(o.shared.edgeQuery), peerStart: s.peerStart }, o.journal);
    }
    if (o.restore !== undefined) this.restoreFrom(o.restore);
    if (this.journal !== undefined) this.counterDiff = new CounterDiff(this.counters.v);
    this.journal?.startWindow(this.answered, s.vms);
  }

  /**
   * A rebuilt shard: the replicated state up to the checkpoint's Sync (state only: what those
   * records did to owned rows is in the rolled-back shared rows, the events they queued in the
   * queues), then the checkpoint's thread-local state. The rows themselves were rolled back by
   * the main thread (UndoJournal.rollBack).
   */
  private restoreFrom(r: ShardRestore): void {
    const rep = r.replicated;
    const vms = this.vms;
    for (let i = 0; i < rep.length; i += REPLICATED_WORDS) {
      const type = rep[i]!;
      const vm = rep[i + 2]!;
      if (type === ShardRecord.Attach) {
        this.vacate(vm);
        this.occupy(vm, rep[i + 5]!, rep[i + 6]!);
        vms.vfAttached(vm, rep[i + 3]!, rep[i + 4]!, rep[i + 1]!);
      } else if (type === ShardRecord.Detach) {
        this.vacate(vm);
        vms.markDetached(vm);
      } else if (type === ShardRecord.SetSent) {
        vms.vfSetSent(vm, rep[i + 1]!);
      } else throw new RangeError(`VmShard restore: replicated record type ${type} is not Attach, Detach or SetSent`);
    }
    const st = r.state;
    this.counters.v.set(r.counters.subarray(0, this.counters.v.length));
    if (st.length > 0) {
      let at = 0;
      this.lastRecordNs = st[at++]!;
      if (st[at++] === 1) this.feedback = FEEDBACK_UNPATH;
      const top = st[at++]!;
      this.noticeTop = top;
      let cap = 64;
      while (cap < top) cap *= 2;
      this.notices = new Float64Array(4 * cap);
      this.noticeRefs = new Uint32Array(cap);
      this.notices.set(st.subarray(at, at + 4 * top));
      at += 4 * top;
      for (let i = 0; i < top; i++) this.noticeRefs[i] = st[at++]!;
      const free = st[at++]!;
      this.noticeFree = Array.from(st.subarray(at, at + free));
      at += free;
      if (at !== st.length) throw new RangeError(`VmShard restore: checkpoint state of ${st.length} words, ${at} read`);
    }
    this.pushLog.restore(r.queue);
    this.applyLog.restore(r.applyQueue);
    this.answered = r.answered;
  }

  /**
   * The checkpoint sent with a Sync answer (shard-checkpoint.ts): the counters that changed, the
   * full part (last record time, feedback flag, notice table), then the increments (queue push
   * logs, latencies), in Checkpoint records small enough for the ring.
   */
  private writeCheckpoint(ret: RecordRing): void {
    const ck = this.ckpt;
    ck.n = 0;
    this.counterDiff!.writeTo(this.counters.v, ck);
    const lenAt = ck.n;
    ck.push(0);
    ck.push(this.lastRecordNs);
    ck.push(this.feedback === '' ? 0 : 1);
    const top = this.noticeTop;
    ck.push(top);
    ck.append(this.notices, 0, 4 * top);
    for (let i = 0; i < top; i++) ck.push(this.noticeRefs[i]!);
    ck.push(this.noticeFree.length);
    for (const row of this.noticeFree) ck.push(row);
    ck.w[lenAt] = ck.n - lenAt - 1;
    this.pushLog.writeTo(ck);
    this.applyLog.writeTo(ck);
    this.latency.writeTo(ck);
    const chunk = Math.max(1, Math.min(4096, (ret.capacity >> 1) - 2));
    const w = ck.w;
    for (let at = 0; at < ck.n; at += chunk) {
      const k = Math.min(chunk, ck.n - at);
      ret.begin(2 + k);
      ret.put(ShardRecord.Checkpoint);
      ret.put(k);
      for (let i = at; i < at + k; i++) ret.put(w[i]!);
      ret.end();
    }
  }

  /**
   * The end of a Sync answer: the times of the dormant RC detections, then NEXT, the earliest
   * other pending event. A detection whose connection is not broken now (a notice repaired it)
   * sends nothing when it fires unless a DETACH breaks the connection first, and only a DETACH
   * does: so NEXT leaves it out, and the main thread, on each DETACH at t, lowers its horizon to
   * the first dormant time >= t instead (ShardedVfEndpoint.vfDetached). In a storm shorter than
   * the RC detection time that is one Sync for the storm instead of one per migration.
   */
  private answerNext(ret: RecordRing): void {
    const conn = this.vms.conn;
    let next = Infinity;
    const times = this.dormantScratch;
    times.n = 0;
    this.queue.forEachPending((t, kind, _v, e) => {
      if (kind === EventKind.VmPeerDetect && (conn[e]! & Conn.Broken) === 0) times.push(t);
      else if (t < next) next = t;
    });
    const n = times.n;
    const sorted = times.w.subarray(0, n).sort();
    let k = 0;
    for (let i = 0; i < n; i++) if (k === 0 || sorted[i] !== sorted[k - 1]) sorted[k++] = sorted[i]!;
    const chunk = Math.max(1, Math.min(4096, (ret.capacity >> 1) - 2));
    for (let at = 0; at < k; at += chunk) {
      const m = Math.min(chunk, k - at);
      ret.begin(2 + m);
      ret.put(ShardRecord.Dormant);
      ret.put(m);
      for (let i = at; i < at + m; i++) ret.put(sorted[i]!);
      ret.end();
    }
    ret.begin(2);
    ret.put(ShardRecord.Next);
    ret.put(next);
    ret.end();
  }

  private occupy(vm: number, host: number, slot: number): void {
    const k = host * this.slotsPerHost + slot;
    this.occupant[k] = vm;
    this.vfOf[vm] = k;
    this.ownCount[host] = -1;
  }

  private vacate(vm: number): void {
    const k = this.vfOf[vm]!;
    if (k < 0) return;
    this.markHostOf(vm);
    if (this.occupant[k] === vm) this.occupant[k] = -1;
    this.vfOf[vm] = -1;
  }

  /** The VM's VF or cache summary changed: its host's FANOUT_HOST targets are rebuilt when next used. */
  private markHostOf(vm: number): void {
    const k = this.vfOf[vm]!;
    if (k >= 0) this.ownCount[(k / this.slotsPerHost) | 0] = -1;
  }

  /** Rebuilds the host's owned targets, their positions and bit-sliced summaries (see ownList). */
  private buildOwned(host: number): number {
    const S = this.slotsPerHost;
    if (this.ownList.length === 0) {
      this.ownList = new Int32Array(this.occupant.length);
      this.ownPos = new Int32Array(this.occupant.length);
      this.ownSlices = new Uint32Array(this.ownCount.length * SUMMARY_BITS * this.sliceWords);
    }
    const occ = this.occupant;
    const owner = this.ownerOf;
    const me = this.shard;
    const list = this.ownList;
    const positions = this.ownPos;
    const from = host * S;
    let pos = 0;
    let n = 0;
    for (let k = from, end = k + S; k < end; k++) {
      const vm = occ[k]!;
      if (vm < 0) continue;
      if (owner[vm] === me) {
        list[from + n] = vm;
        positions[from + n++] = pos;
      }
      pos++;
    }
    sliceSummaries(this.vms.cacheSummary, list, from, n, this.ownSlices, host * SUMMARY_BITS * this.sliceWords, this.sliceWords);
    this.ownCount[host] = n;
    return n;
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

  /** Reads records until END; returns what the main thread merges. `ret` carries Sends, Checkpoints and Nexts back. */
  run(ring: RecordRing, ret: RecordRing, kill: ShardKill = {}): VmShardResult {
    this.ret = ret;
    const killAtSync = kill.atSync ?? 0;
    const killAfterSync = kill.records !== undefined ? (kill.afterSync ?? 0) : -1;
    let sinceAnswer = 0;
    const cpu0 = threadCpuNs();
    const journal = this.journal;
    const inStart = this.vms.inStart;
    const inList = this.vms.inList;
    ring.markStarted();
    for (;;) {
      ring.waitForData();
      // Fault injection (tests only): records in flight after a Sync answer, never answered.
      if (this.answered === killAfterSync && ++sinceAnswer === kill.records) killThisWorker(`shard killed at record ${sinceAnswer} after Sync ${killAfterSync} (fault injection)`);
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
          if (journal !== undefined) {
            // vfDetached breaks the connections of the owned VMs that have vm as a peer.
            const owner = this.ownerOf;
            for (let i = inStart[vm]!, end = inStart[vm + 1]!; i < end; i++) {
              const v = inList[i]!;
              if (owner[v] === this.shard) journal.keep(v);
            }
          }
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
          journal?.keep(vm);
          this.vms.deliver(vm, this.madBytes, false, t);
          break;
        }
        case ShardRecord.Sync:
          // Fault injection (tests only, VmShardTask.kill.atSync): this worker thread dies here,
          // without answering, as a crashed worker would.
          if (this.answered + 1 === killAtSync) killThisWorker(`shard killed at Sync ${killAtSync} (fault injection)`);
          // Inclusive: own events at t itself too (the main thread has handled its own at t
          // first). Exclusive: a barrier in the middle of the main thread's time t.
          this.runUntil(t, ring.take() === 1);
          if (journal !== undefined) this.writeCheckpoint(ret);
          this.answerNext(ret);
          ret.publish();
          // Only now (answer published) does a new window start: a thread dying before this
          // point leaves the journal of the window just answered (see UndoJournal.rollBack).
          this.answered++;
          sinceAnswer = 0;
          journal?.startWindow(this.answered, this.vms.vms);
          break;
        default:
          throw new RangeError(`VmShard record type: ${type} is unknown`);
      }
      ring.doneRecord();
    }
    this.runUntil(Infinity, true);
    if (this.queue.size > 0) this.flag('VM events were left after the run ended');
    const last = Math.max(this.queue.popped > 0 ? this.queue.nowNs : 0, this.applyQueue.popped > 0 ? this.applyQueue.nowNs : 0);
    return { counters: this.counters.v, events: this.queue.popped + this.applyQueue.popped, lastEventNs: last, feedback: this.feedback, cpuNs: threadCpuNs() - cpu0 };
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
        this.applyLog.popped();
        this.journal?.keep(a.a);
        this.apply(a.a, a.b, a.nowNs);
      } else {
        q.pop();
        this.pushLog.popped();
        this.journal?.keep(q.a);
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
    if (this.hits.length < S) this.hits = new Int32Array(S);
    let n = this.ownCount[host]!;
    if (n < 0) n = this.buildOwned(host);
    if (n === 0) return;
    const from = host * S;
    const words = this.sliceWords;
    const k = this.vms.checkForwardedSliced(this.ownList, from, n, this.ownSlices, host * SUMMARY_BITS * words, words, trap, high, low, newLid, this.hits);
    if (k === 0) return;
    const row = this.noticeRow(trap, high, low, newLid, k);
    for (let j = 0; j < k; j++) {
      const i = from + this.hits[j]!;
      this.applyLog.push(startNs + (this.ownPos[i]! + 1) * stepNs, EventKind.ShardNoticeApply, this.ownList[i]!, row, 0);
    }
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
      this.applyLog.push(startNs + (this.positions[i]! + 1) * stepNs, EventKind.ShardNoticeApply, this.targets[i]!, row, 0);
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
  /** Fault injection, tests only (ShardedRunOptions.faults); absent: never. */
  readonly kill?: ShardKill;
  /** Checkpoints on: the shard's undo journal (VmShardOptions.journal). */
  readonly journal?: SharedArrayBuffer;
  /** A rebuilt shard (VmShardOptions.restore). */
  readonly restore?: ShardRestore;
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
  const latencies = new SyncedLatencies(task.restore?.latencies);
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
      ...(task.journal !== undefined ? { journal: task.journal } : {}),
      ...(task.restore !== undefined ? { restore: task.restore } : {}),
    });
    const r = shard.run(ring, ret, task.kill);
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
