// A shard worker crashing mid-storm (core/engine/shard/sharded-run.ts): the fault-injection
// option makes shard 1's worker thread end itself (process.exit) at a Sync, or on a record
// between two Syncs, while the main thread goes on. The main thread notices (the worker's exit
// hook marks its rings died), rolls the dead shard's rows back with its undo journal, starts a
// fresh worker for that shard alone from its last Sync answer's checkpoint, replays the records
// sent since, and ends with the undisturbed run's counters, events, virtual time and .hgrm:
// the other shard's worker is never restarted and the run is never redone. With checkpoints off
// the run is redone from scratch; with no restarts left it fails naming the shard.
import test from 'ava';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { generateScenario } from '../core/scenario/generator.js';
import { runSchemeTask, type SchemeTask } from '../core/engine/scheme-run.js';
import { runShardedTask, vmOwners, type ShardedOutcome } from '../core/engine/shard/sharded-run.js';
import { LatencyHistogram } from '../core/metrics/latency-histogram.js';
import { Counter } from '../core/metrics/counters.js';
import { sameOutcome } from './support/same-outcome.js';
import { PathCache } from '../core/tables/path-cache.js';
import { UndoJournal } from '../core/engine/shard/undo-journal.js';
import { SUMMARY_WORDS } from '../core/vm/vm-agents.js';
import { EventQueue } from '../core/engine/event-queue.js';
import { CheckpointStore, PushLog, SyncedLatencies, WordLog } from '../core/engine/shard/shard-checkpoint.js';
import { Xoshiro128 } from '../core/random.js';

// Peers and migrations cross the 2-shard split; some peers detect RC failures and query the SA
// mid-run, so the main thread Syncs the shards several times (4 Syncs under per-pf, 13 under
// per-pf-interest: Sync 3 comes while VMs still query the SA).
const scenario = generateScenario({ seed: 11, hosts: 12, slotsPerHost: 8, vmsPerHost: 4, peersPerVm: 3, migrations: 6 });
// A bigger storm for the lossy case: every shard has VMs that query the SA, MADs are lost.
const lossy = generateScenario({ seed: 4, hosts: 32, slotsPerHost: 24, vmsPerHost: 20, peersPerVm: 6, migrations: 8 });

/** Only shard 1 was rebuilt, once, from the given Sync; shard 0's worker ran the whole run; never redone. */
function rebuiltAlone(t: import('ava').ExecutionContext, got: ShardedOutcome, fromSync: number, what: string): void {
  t.is(got.shardRestarts, 0, `${what}: the run was not redone`);
  t.is(got.shards, 2, `${what}: sharded`);
  t.is(got.shardFallback, '', `${what}: not redone on one thread`);
  t.deepEqual(got.shardStarts, [1, 2], `${what}: shard 0's worker never restarted, shard 1's once`);
  t.is(got.shardRebuilds.length, 1, `${what}: one rebuild`);
  t.is(got.shardRebuilds[0]!.shard, 1, `${what}: shard 1 rebuilt`);
  t.is(got.shardRebuilds[0]!.fromSync, fromSync, `${what}: resumed from Sync ${fromSync}`);
}

// Sharded runs need both shard threads at once: one run at a time (test.serial). A rebuilt
// shard runs on a thread of its own (not the pool's).
let pool: Piscina;

test.before(async () => {
  await LatencyHistogram.ready();
  pool = new Piscina({ filename: fileURLToPath(new URL('../workers/scheme-worker.js', import.meta.url)), minThreads: 0, maxThreads: 2, idleTimeout: 60_000 });
});

test.after.always(async () => {
  await pool.destroy();
});

test.serial('the scenarios cross shards: peers and migrations between shard 0 and shard 1', (t) => {
  for (const s of [scenario, lossy]) {
    const owner = vmOwners(s, 2);
    let crossPeers = 0;
    for (let v = 0; v < s.vms; v++) for (let e = s.peerStart[v]!; e < s.peerStart[v + 1]!; e++) if (owner[s.peerList[e]!] !== owner[v]) crossPeers++;
    t.true(crossPeers > 0, 'peers across shards');
    let crossMoves = 0;
    for (let i = 0; i < s.migrationVm.length; i++) if (Math.floor((s.migrationDestHost[i]! * 2) / s.hosts) !== owner[s.migrationVm[i]!]) crossMoves++;
    t.true(crossMoves > 0, 'migrations to hosts of the other shard');
  }
});

for (const scheme of ['per-pf', 'per-pf-interest'] as const) {
  test.serial(`${scheme}: shard 1 killed mid-storm is rebuilt alone from Sync 2 and the run equals an undisturbed run`, async (t) => {
    const task: SchemeTask = { scenario, scheme };
    const ref = await runShardedTask(task, 2, pool);
    t.is(ref.shardRestarts, 0, 'undisturbed: no restart');
    t.deepEqual(ref.shardRebuilds, [], 'undisturbed: no rebuild');
    t.deepEqual(ref.shardStarts, [1, 1]);
    t.is(ref.shardFallback, '', 'undisturbed: not redone on one thread');
    t.true(ref.shardSyncs > 3, `Sync 3 is not the last (${ref.shardSyncs} Syncs)`);
    t.true(ref.counters[Counter.vmConnectionsRestored]! > 0, 'connections were restored');
    sameOutcome(t, ref, runSchemeTask(task), `${scheme}, undisturbed vs one thread`);
    const got = await runShardedTask(task, 2, pool, { faults: { killShard: 1, atSync: 3 } });
    rebuiltAlone(t, got, 2, `${scheme}, killed at Sync 3`);
    t.true(got.shardRebuilds[0]!.records >= 1, 'the Sync it died at was replayed');
    sameOutcome(t, got, ref, `${scheme}, shard 1 killed at Sync 3`);
  });
}

test.serial('cross-shard peers at 2% loss: shard 1 killed mid-storm, rebuilt alone, same results', async (t) => {
  for (const scheme of ['per-pf', 'dynamic'] as const) {
    const task: SchemeTask = { scenario: lossy, scheme, cost: { lossProbability: 0.02 } };
    const one = runSchemeTask(task);
    t.true(one.counters[Counter.fabricDropped]! > 0, `${scheme}: MADs were lost`);
    if (scheme === 'dynamic') t.true(one.counters[Counter.smRecvPathRecord]! > 0, `${scheme}: VMs asked the SA`);
    // per-pf repairs every peer before any RC detection fires, so its only Syncs here are the
    // barriers that bound a small ring's windows.
    const o = scheme === 'per-pf' ? { ringWords: 512 } : {};
    const ref = await runShardedTask(task, 2, pool, o);
    sameOutcome(t, ref, one, `${scheme} at 2% loss, undisturbed vs one thread`);
    const at = Math.max(2, Math.floor(ref.shardSyncs / 2));
    t.true(at < ref.shardSyncs, `${scheme}: Sync ${at} is not the last of ${ref.shardSyncs}`);
    const got = await runShardedTask(task, 2, pool, { ...o, faults: { killShard: 1, atSync: at } });
    rebuiltAlone(t, got, at - 1, `${scheme} at 2% loss, killed at Sync ${at} of ${ref.shardSyncs}`);
    t.true(got.shardRebuilds[0]!.rowsRolledBack >= 0);
    sameOutcome(t, got, ref, `${scheme} at 2% loss, shard 1 killed at Sync ${at}`);
  }
});

test.serial('killed at the very first Sync: rebuilt from the start of the phase (Sync 0)', async (t) => {
  const task: SchemeTask = { scenario, scheme: 'per-pf' };
  const ref = await runShardedTask(task, 2, pool);
  const got = await runShardedTask(task, 2, pool, { faults: { killShard: 1, atSync: 1 } });
  rebuiltAlone(t, got, 0, 'killed at Sync 1');
  t.true(got.shardRebuilds[0]!.records > 1, 'every record since the start was replayed');
  sameOutcome(t, got, ref, 'killed at Sync 1');
});

test.serial('killed between two Syncs with records in flight (a ring that wraps): the logged records are replayed', async (t) => {
  // Under per-pf the storm's records reach shard 1 before its first Sync (a Detach needs a Sync
  // only an RC detection time later: the storm is over by then); with the default ring the kill
  // lands there (rebuilt from the start of the phase, every logged record replayed), with the
  // small ring between two checkpointed Syncs.
  const task: SchemeTask = { scenario, scheme: 'per-pf' };
  // A ring of 200 words wraps many times within a window (and its replay log is bounded by
  // barrier Syncs at a ring's worth of records: more Syncs, shorter windows).
  const syncs: number[] = [];
  for (const [ringWords, afterSync, records] of [
    [undefined, 0, 40],
    [200, 1, 10],
  ] as const) {
    const o = ringWords === undefined ? {} : { ringWords };
    const what = `ring ${ringWords ?? 'default'}: killed on record ${records} after Sync ${afterSync}`;
    const ref = await runShardedTask(task, 2, pool, o);
    syncs.push(ref.shardSyncs);
    const got = await runShardedTask(task, 2, pool, { ...o, faults: { killShard: 1, afterSync, records } });
    rebuiltAlone(t, got, afterSync, what);
    t.true(got.shardRebuilds[0]!.records >= records, `${what}: the records in flight were replayed (${got.shardRebuilds[0]!.records})`);
    t.true(got.shardRebuilds[0]!.rowsRolledBack > 0, `${what}: rows changed since the Sync were rolled back`);
    sameOutcome(t, got, ref, what);
  }
  t.true(syncs[1]! > syncs[0]!, `barrier Syncs bound the small ring's windows (${syncs[1]} Syncs, ${syncs[0]} with the default ring)`);
});

test.serial('killed after its last Sync answer (on END): rebuilt while the run settles; killed twice: rebuilt twice', async (t) => {
  const task: SchemeTask = { scenario, scheme: 'per-pf' };
  const ref = await runShardedTask(task, 2, pool);
  const end = await runShardedTask(task, 2, pool, { faults: { killShard: 1, afterSync: ref.shardSyncs, records: 1 } });
  rebuiltAlone(t, end, ref.shardSyncs, 'killed on END');
  sameOutcome(t, end, ref, 'killed on END');
  const twice = await runShardedTask(task, 2, pool, { faults: { killShard: 0, atSync: 3, attempts: 2 } });
  t.deepEqual(twice.shardStarts, [3, 1], 'shard 0 started three times, shard 1 once');
  t.deepEqual(
    twice.shardRebuilds.map((r) => [r.shard, r.fromSync]),
    [
      [0, 2],
      [0, 2],
    ],
  );
  t.is(twice.shardRestarts, 0);
  sameOutcome(t, twice, ref, 'shard 0 killed twice at Sync 3');
});

test.serial('checkpoints off: a killed shard makes the whole run redo from scratch, counted apart', async (t) => {
  const task: SchemeTask = { scenario, scheme: 'per-pf' };
  const ref = await runShardedTask(task, 2, pool, { checkpoints: false });
  const got = await runShardedTask(task, 2, pool, { checkpoints: false, faults: { killShard: 1, atSync: 3 } });
  t.is(got.shardRestarts, 1, 'one full re-run');
  t.deepEqual(got.shardRebuilds, [], 'no rebuild');
  t.deepEqual(got.shardStarts, [1, 1], 'the re-run started fresh workers');
  sameOutcome(t, got, ref, 'checkpoints off, killed at Sync 3');
});

test.serial('a killed shard with no restarts allowed, or every attempt killed, fails naming the shard', async (t) => {
  const task: SchemeTask = { scenario, scheme: 'per-pf' };
  await t.throwsAsync(runShardedTask(task, 2, pool, { maxRestarts: 0, faults: { killShard: 1, atSync: 2 } }), {
    message: /shard 1's worker thread died mid-run .*after 0 restarts, the most allowed \(maxRestarts 0\)/,
  });
  await t.throwsAsync(runShardedTask(task, 2, pool, { maxRestarts: 1, faults: { killShard: 0, atSync: 1, attempts: 5 } }), {
    message: /shard 0's worker thread died mid-run .*after 1 restart, the most allowed \(maxRestarts 1\)/,
  });
  await t.throwsAsync(runShardedTask(task, 2, pool, { maxRestarts: 2, checkpoints: false, faults: { killShard: 1, afterSync: 2, records: 1, attempts: 5 } }), {
    message: /shard 1's worker thread died mid-run .*after 2 restarts, the most allowed \(maxRestarts 2\)/,
  });
  // The pool is still usable afterwards: an undisturbed run completes.
  const o = await runShardedTask(task, 2, pool);
  t.is(o.shardRestarts, 0);
  t.deepEqual(o.shardStarts, [1, 1]);
  await t.throwsAsync(runShardedTask(task, 2, pool, { faults: { killShard: 2, atSync: 1 } }), { message: /faults: shard 2 at Sync 1/ });
  await t.throwsAsync(runShardedTask(task, 2, pool, { faults: { killShard: 1 } }), { message: /faults: atSync undefined, records undefined/ });
});

test('undo journal: a window\'s changed rows (cache region, summary, connection and query state) roll back exactly', (t) => {
  // Three VMs, peers 0 -> {1, 2}, 1 -> {0}, 2 -> {}; the journal covers shard 0 = VMs 0 and 1.
  const peerStart = Uint32Array.from([0, 2, 3, 3]);
  const edges = 3;
  const pathCache = new PathCache(3, 4);
  const summary = new Uint32Array(new SharedArrayBuffer(3 * SUMMARY_WORDS * 4));
  const conn = new Uint8Array(new SharedArrayBuffer(edges));
  const edgeQuery = new Uint8Array(new SharedArrayBuffer(4 * edges));
  const rows = { pathCache, summary, conn, edgeQuery, peerStart };
  const ownerOf = Uint8Array.from([0, 0, 1]);
  pathCache.insert(0, 0x11, 0x22, 5, 0, 4, 3);
  summary[1] = 0xf0;
  conn.set([1, 1, 1]);
  edgeQuery.set([7, 7, 7, 1, 1, 1, 0, 0, 0, 2, 2, 2]);
  const mainSide = new UndoJournal(rows, UndoJournal.wordsFor(rows, ownerOf, 0));
  const shardSide = new UndoJournal(rows, mainSide.buffer);
  const before = [Array.from(new Uint32Array(pathCache.toShared().buffer)), Array.from(summary), Array.from(conn), Array.from(edgeQuery)];
  shardSide.startWindow(3, 3);
  shardSide.keep(0);
  pathCache.updateDlid(0, 0x11, 0x22, 9);
  pathCache.insert(0, 0x33, 0x44, 6, 0, 4, 3);
  summary[1] = 0xff;
  conn[0] = 2;
  edgeQuery[1] = 8; // generation of edge 1 (VM 0's second peer)
  shardSide.keep(1);
  shardSide.keep(0); // once per window
  conn[2] = 6;
  edgeQuery[3 * edges + 2] = 1; // re-query rounds of edge 2 (VM 1's peer)
  pathCache.insert(0, 0x55, 0x66, 7, 0, 4, 3);
  t.is(mainSide.window, 3);
  t.is(mainSide.rollBack(2), -1, 'a journal of another window is refused');
  t.is(mainSide.rollBack(3), 2, 'two VMs rolled back');
  t.deepEqual([Array.from(new Uint32Array(pathCache.toShared().buffer)), Array.from(summary), Array.from(conn), Array.from(edgeQuery)], before);
  t.is(pathCache.lookup(0, 0x11, 0x22), 5);
  t.is(pathCache.lookup(0, 0x33, 0x44), -1);
  t.is(mainSide.usedWords, 0, 'emptied');
  // Died after answering Sync 4 but before starting its window: nothing to roll back.
  shardSide.startWindow(3, 3);
  shardSide.keep(0);
  conn[0] = 3;
  t.is(mainSide.rollBack(4), 0);
  t.is(conn[0], 3, 'changes made before the answer stay');
});

test('push logs: a queue restored from its checkpoints (increments and compactions) pops exactly as the original', (t) => {
  // Seeded random pushes and pops, many at equal times (ties pop in push order), a checkpoint
  // every few steps; the log is compacted whenever popped events dominate it. At every
  // checkpoint a queue restored from the main thread's mirror must hold exactly the pending
  // events, in the order a plain reference (a sorted list) pops them.
  const rng = new Xoshiro128(7);
  const q = new EventQueue(16);
  const log = new PushLog(q, true);
  const idle = new PushLog(new EventQueue(16), true);
  const lat = new SyncedLatencies();
  const store = new CheckpointStore();
  let pending: Array<[number, number, number, number]> = []; // time, push number, kind, a
  let pushed = 0;
  let replaced = 0;
  for (let step = 0; step < 400; step++) {
    const pushes = rng.nextInt(20);
    for (let i = 0; i < pushes; i++) {
      const time = q.nowNs + rng.nextInt(5) * 100;
      const kind = 1 + rng.nextInt(3);
      log.push(time, kind, pushed, 0, 0);
      pending.push([time, pushed++, kind, pushed - 1]);
    }
    pending.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
    const pops = rng.nextInt(20);
    for (let i = 0; i < pops && q.pop(); i++) {
      log.popped();
      const [time, , kind, a] = pending.shift()!;
      t.deepEqual([q.nowNs, q.kind, q.a], [time, kind, a]);
    }
    if (step % 7 !== 0) continue;
    const payload = new WordLog();
    payload.push(0); // no counter changed
    payload.push(1);
    payload.push(step); // a one-word "state"
    const at = payload.n;
    log.writeTo(payload);
    if (payload.w[at + 4] === 1) replaced++;
    idle.writeTo(payload);
    lat.writeTo(payload);
    store.stage(payload.w, 0, payload.n);
    store.commit();
    const copy = new EventQueue(16);
    new PushLog(copy, true).restore(store.restore(new Float64Array(0)).queue);
    t.is(copy.size, q.size, `step ${step}: pending events`);
    t.is(copy.popped, q.popped);
    t.is(copy.nowNs, q.nowNs);
    const got: number[] = [];
    while (copy.pop()) got.push(copy.nowNs, copy.kind, copy.a);
    t.deepEqual(got, pending.flatMap(([time, , kind, a]) => [time, kind, a]), `step ${step}: pop order`);
  }
  t.true(pending.length > 0, 'events were pending at the end');
  t.true(replaced > 0, 'the log was compacted at least once');
  pending = [];
});
