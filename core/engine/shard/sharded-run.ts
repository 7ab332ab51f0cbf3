// One scheme's run with its VMs split across shard workers (the protocol is described at the top
// of vm-shard.ts): the SM/SA, the fabric and every Dom0 run here, on the main thread, exactly as
// in the one-thread engine; Dom0's VF endpoint is a ShardedVfEndpoint that turns every hand-off
// to a VM into a record in the owning shard's ring. Counters are summed and latency histograms
// merged at the end. When a shard reports feedback (under per-pf-interest, a VM dropped a cache
// entry that Dom0's interest index follows), the run is redone on one thread and the outcome
// says why (shardFallback). When a shard's worker thread dies mid-run, the run is redone from
// scratch with fresh pool workers (at most maxRestarts times; counted in shardRestarts).
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
import type { VmAgents } from '../../vm/vm-agents.js';
import { runSchemeTask, type SchemeOutcome, type SchemeTask } from '../scheme-run.js';
import { RecordRing } from './record-ring.js';
import { FANOUT_HEADER_WORDS, MAD_WORDS, ShardRecord, type VmShardOutcome, type VmShardTask } from './vm-shard.js';
import type { Dom0 } from '../../dom0/dom0.js';
import { rcDetectionNs } from '../cost-model.js';

/**
 * Schemes whose VMs the sharded engine splits. per-vguid runs whole, one scheme per worker: its
 * VMs answer every Report themselves at once, so the main thread could never run ahead of them.
 */
export const SHARDED_SCHEMES: readonly string[] = ['per-pf', 'per-pf-interest', 'static-no-signal', 'dynamic'];

/** Words of each shard's ring (8 MiB): a few thousand fan-outs of 128 VMs between hand-offs. */
export const SHARD_RING_WORDS = 1 << 20;

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
  private readonly counts: Uint32Array;
  private readonly madBytes = new Uint8Array(256);
  private readonly madWords = new Uint32Array(this.madBytes.buffer);
  private sendVm = new Float64Array(0);
  private sendRec = new Float64Array(0);
  private sendCount = 0;
  private readonly sendOrder: number[] = [];

  constructor(
    private readonly vms: VmAgents,
    private readonly rings: readonly RecordRing[],
    private readonly rets: readonly RecordRing[],
    private readonly ownerOf: Uint8Array,
    /** Least delay from a record to a VM event it causes that may send (RC detection, query retry, address resolution). */
    private readonly minCreateDelayNs: number,
    /** The main thread's clock. */
    private readonly clock: { readonly nowNs: number },
    private readonly dom0: Dom0,
  ) {
    this.counts = new Uint32Array(rings.length);
  }

  /** A MAD for a VM's SA agent (a PathRecord answer, a refusal at the tunnel): to the VM's shard. */
  deliver(vm: number, mad: Uint8Array, _forwarded: boolean, nowNs: number): void {
    const r = this.rings[this.ownerOf[vm]!]!;
    this.madBytes.set(mad.subarray(0, 256));
    r.begin(3 + MAD_WORDS);
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
    for (const r of this.rings) {
      r.begin(3);
      r.put(ShardRecord.Sync);
      r.put(t);
      r.put(inclusive ? 1 : 0);
      r.end();
      r.publish();
    }
    this.sendCount = 0;
    let next = Infinity;
    for (const ret of this.rets) {
      for (;;) {
        ret.waitForData();
        const type = ret.take();
        if (type === ShardRecord.Next) {
          const n = ret.take();
          ret.doneRecord();
          if (n < next) next = n;
          break;
        }
        if (type !== ShardRecord.Send) throw new RangeError(`sharded run: record type ${type} from a shard is not Send or Next`);
        this.keepSend(ret);
        ret.doneRecord();
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
    this.vms.vfSetSent(vm, nowNs);
    for (const r of this.rings) {
      r.begin(3);
      r.put(ShardRecord.SetSent);
      r.put(nowNs);
      r.put(vm);
      r.end();
    }
  }

  vfAttached(vm: number, guidHigh: number, guidLow: number, nowNs: number): void {
    this.vms.vfAttached(vm, guidHigh, guidLow, nowNs);
    // Dom0 attaches the vGUID to the VF slot the VM is in (GuidCache.attach) as it calls this.
    const host = this.dom0.vmHost[vm]!;
    const slot = this.dom0.vmSlot[vm]!;
    for (const r of this.rings) {
      r.begin(7);
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
    this.vms.markDetached(vm);
    this.lower(nowNs + this.minCreateDelayNs);
    for (const r of this.rings) {
      r.begin(3);
      r.put(ShardRecord.Detach);
      r.put(nowNs);
      r.put(vm);
      r.end();
    }
  }

  forEachCachedGuid(vm: number, fn: (high: number, low: number) => void): void {
    // Dom0 (per-pf-interest) reads the vGUIDs a VM caches as it leaves or arrives; its shard may
    // still be behind in virtual time (inserting a PathRecord answer): a barrier first.
    this.syncAt(this.clock.nowNs, false, undefined);
    this.vms.forEachCachedGuid(vm, fn);
  }

  forwardNotice(host: number, allActive: boolean, vms: Int32Array, n: number, trap: number, high: number, low: number, newLid: number, nowNs: number, startNs: number, stepNs: number): void {
    if (allActive) {
      // Algorithm 2's targets are every active VF of the host in slot order: each shard keeps
      // the hosts' VF occupancy (Attach/Detach records), so the record names only the host.
      for (const r of this.rings) {
        r.begin(FANOUT_HEADER_WORDS);
        r.put(ShardRecord.FanoutHost);
        r.put(nowNs);
        r.put(startNs);
        r.put(stepNs);
        r.put(trap);
        r.put(high);
        r.put(low);
        r.put(newLid);
        r.put(host);
        r.end();
      }
      return;
    }
    const counts = this.counts;
    const owner = this.ownerOf;
    counts.fill(0);
    for (let i = 0; i < n; i++) counts[owner[vms[i]!]!]!++;
    for (let s = 0; s < this.rings.length; s++) {
      const m = counts[s]!;
      if (m === 0) continue;
      const r = this.rings[s]!;
      r.begin(FANOUT_HEADER_WORDS + 2 * m);
      r.put(ShardRecord.Fanout);
      r.put(nowNs);
      r.put(startNs);
      r.put(stepNs);
      r.put(trap);
      r.put(high);
      r.put(low);
      r.put(newLid);
      r.put(m);
      for (let i = 0; i < n; i++) {
        const vm = vms[i]!;
        if (owner[vm] !== s) continue;
        r.put(vm);
        r.put(i);
      }
      r.end();
    }
  }

  /** Tells every shard the run is over and publishes what is left (a stopped or dead shard is skipped). */
  finish(): void {
    for (const r of this.rings) {
      if (r.stopped) continue;
      r.begin(2);
      r.put(ShardRecord.End);
      r.put(0);
      r.end();
      r.publish();
    }
  }
}

export interface ShardedOutcome extends SchemeOutcome {
  /** VM shards the run used (0: it was redone on one thread). */
  readonly shards: number;
  /** Why the run was redone on one thread, or ''. */
  readonly shardFallback: string;
  /** Times the run was restarted from scratch because a shard worker died. */
  readonly shardRestarts: number;
}

export interface ShardedRunOptions {
  /** Words of each ring (tests: a small ring wraps and makes the main thread wait). */
  readonly ringWords?: number;
  /** Restarts allowed after a shard worker dies (default 2); 0: a dead shard fails the run. */
  readonly maxRestarts?: number;
  /**
   * Fault injection, tests only, never on by default: shard `killShard`'s worker ends its thread
   * (process.exit(1)) on receiving its `atSync`-th Sync (1 = the first), in each of the first
   * `attempts` attempts (default 1: the restart runs undisturbed).
   */
  readonly faults?: { readonly killShard: number; readonly atSync: number; readonly attempts?: number };
}

/** A shard's worker thread died mid-run (its rings were marked died by its exit hook). */
export class ShardDiedError extends Error {
  constructor(
    readonly shard: number,
    why: string,
  ) {
    super(`sharded run: shard ${shard}'s worker thread died mid-run (${why})`);
    this.name = 'ShardDiedError';
  }
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
  if (f !== undefined && (!Number.isInteger(f.killShard) || f.killShard < 0 || f.killShard >= shards || !Number.isInteger(f.atSync) || f.atSync < 1)) {
    throw new RangeError(`sharded run faults: shard ${f.killShard} at Sync ${f.atSync} is not a shard in 0..${shards - 1} and a Sync >= 1`);
  }
  const t0 = performance.now();
  // Recovery is the simplest one that is exact: a dead shard's VM state lives partly in its
  // thread (event queues, notices), so instead of rebuilding it from a snapshot the whole run
  // is redone from scratch with fresh pool workers. The run is a pure function of the task
  // (scenario, scheme, cost, seed), so the restart gives the undisturbed run's results; the
  // work done before the crash is lost (at most maxRestarts times).
  for (let attempt = 0; ; attempt++) {
    const killAtSync = f !== undefined && attempt < (f.attempts ?? 1) ? { shard: f.killShard, atSync: f.atSync } : undefined;
    try {
      const out = await runShardedOnce(task, shards, pool, o.ringWords, killAtSync);
      return { ...out, wallTimeMs: performance.now() - t0, shardRestarts: attempt };
    } catch (e) {
      if (!(e instanceof ShardDiedError)) throw e;
      if (attempt >= maxRestarts) {
        throw new ShardDiedError(e.shard, `after ${attempt} restart${attempt === 1 ? '' : 's'}, the most allowed (maxRestarts ${maxRestarts}); the run is abandoned`);
      }
    }
  }
}

/** One attempt of a sharded run; a dead shard worker throws ShardDiedError once every shard has settled. */
async function runShardedOnce(
  task: SchemeTask,
  shards: number,
  pool: Piscina,
  ringWords: number | undefined,
  kill: { shard: number; atSync: number } | undefined,
): Promise<Omit<ShardedOutcome, 'shardRestarts'>> {
  const t0 = performance.now();
  await LatencyHistogram.ready();
  const scenario = task.scenario instanceof Uint8Array ? decodeScenarioFb(task.scenario, 'scenario (sharded task)') : task.scenario;
  const scenarioBytes = task.scenario instanceof Uint8Array ? task.scenario : encodeScenarioFb(scenario);
  const cost: CostModel = task.cost === undefined ? defaultCostModel() : withOverrides(defaultCostModel(), task.cost);
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
    const rings = Array.from({ length: shards }, () => new RecordRing(ringWords ?? SHARD_RING_WORDS));
    const rets = Array.from({ length: shards }, () => new RecordRing(ringWords ?? SHARD_RING_WORDS));
    const shared = vms.toShared();
    const running = rings.map((ring, shard) => {
      const t: VmShardTask = {
        scenario: scenarioBytes,
        scheme: task.scheme,
        ...(task.cost !== undefined ? { cost: task.cost } : {}),
        ring: ring.toShared(),
        ret: rets[shard]!.toShared(),
        shared,
        ownerOf,
        shard,
        vmGuidHigh: vms.guidHigh,
        vmGuidLow: vms.guidLow,
        attached: vms.attached,
        setSentNs: vms.setSentNs,
        cacheEntriesPerVm: vms.pathCache.entriesPerVm,
        smLid: subnet.dom0.smLid,
        hosts: scenario.hosts,
        slotsPerHost: scenario.slotsPerHost,
        vmHost: subnet.dom0.vmHost,
        vmSlot: subnet.dom0.vmSlot,
        interestIndex: subnet.dom0.interestIndex !== undefined,
        ...(kill !== undefined && kill.shard === shard ? { killAtSync: kill.atSync } : {}),
      };
      return pool.run(t, { filename: SHARD_WORKER_FILE }) as Promise<VmShardOutcome>;
    });
    // The main thread may block on a full ring only once every reader runs; a shard that fails
    // to start rejects here instead.
    await Promise.race([Promise.all(rings.map((r) => r.waitReaderStarted())), Promise.all(running).then(() => undefined)]);
    const minCreateDelayNs = Math.min(rcDetectionNs(cost), cost.saQueryRetryNs, cost.addressResolutionNs, cost.clientRespTimeoutNs);
    const endpoint = new ShardedVfEndpoint(vms, rings, rets, ownerOf, Math.max(1, minCreateDelayNs), subnet.queue, subnet.dom0);
    subnet.dom0.attachVfEndpoint(endpoint);
    const p0 = performance.now();
    let mainEvents = 0;
    let failure: { error: unknown } | undefined;
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
    } catch (error) {
      // A dead shard's ring waits fail here (within one 50 ms poll of its exit hook).
      failure = { error };
      // The main thread reads no more: a live shard writing Sends while it drains after END
      // fails instead of waiting for room forever, so its task settles.
      for (const ret of rets) if (!ret.stopped) ret.markStopped();
    } finally {
      endpoint.finish();
      subnet.dom0.attachVfEndpoint(vms);
    }
    const settled = await Promise.allSettled(running);
    for (let s = 0; s < shards; s++) {
      if (rings[s]!.died || rets[s]!.died) {
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
      return { ...one, wallTimeMs: performance.now() - t0, shards: 0, shardFallback: feedback };
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
    };
  }
}
