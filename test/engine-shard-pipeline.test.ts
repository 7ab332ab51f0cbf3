// How the sharded engine hands its work to the shards (core/engine/shard): records are published
// in batches as they fill, so the shards work while the main thread goes on; a Detach needs a
// Sync only an RC detection time later (the only VM timer it arms) or at a dormant detection it
// may wake (a repaired peer's pending one, left out of the shards' NEXT); a host's FANOUT_HOST
// goes only to the shards with a VM there; each shard keeps its own targets per host with their
// cache summaries bit-sliced (sliceSummaries, shared with Dom0). The outcome still equals the
// one-thread run's, and it reports each thread's CPU time (what bounds the sharded speed-up).
import test from 'ava';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { generateScenario } from '../core/scenario/generator.js';
import type { Scenario } from '../core/scenario/scenario.js';
import { runSchemeTask, type SchemeTask } from '../core/engine/scheme-run.js';
import { PUBLISH_BATCH_WORDS, runShardedTask } from '../core/engine/shard/sharded-run.js';
import { RecordRing } from '../core/engine/shard/record-ring.js';
import { threadCpuNs } from '../core/engine/thread-cpu.js';
import { SUMMARY_BITS, SUMMARY_WORDS, sliceSummaries } from '../core/dom0/vf-endpoint.js';
import { LatencyHistogram } from '../core/metrics/latency-histogram.js';
import { Counter } from '../core/metrics/counters.js';
import { sameOutcome } from './support/same-outcome.js';
import { Xoshiro128 } from '../core/random.js';

let pool: Piscina;

test.before(async () => {
  await LatencyHistogram.ready();
  pool = new Piscina({ filename: fileURLToPath(new URL('../workers/scheme-worker.js', import.meta.url)), minThreads: 0, maxThreads: 4, idleTimeout: 60_000 });
});

test.after.always(async () => {
  await pool.destroy();
});

test('record ring: finished records stay unpublished until publish(), which shows them all at once', (t) => {
  const w = new RecordRing(256);
  const r = new RecordRing(w.toShared());
  t.is(w.unpublishedWords, 0);
  for (let k = 0; k < 3; k++) {
    w.begin(5);
    for (let i = 0; i < 5; i++) w.put(10 * k + i);
    t.is(w.unpublishedWords, 5 * k, 'a record being written is not counted');
    w.end();
  }
  t.is(w.unpublishedWords, 15);
  w.publish();
  t.is(w.unpublishedWords, 0);
  for (let k = 0; k < 3; k++) {
    r.waitForData();
    for (let i = 0; i < 5; i++) t.is(r.take(), 10 * k + i);
    r.doneRecord();
  }
  // Many times round a ring whose reader keeps up: the writer finds room from the read position
  // it last loaded, reloading it only when that says the ring is short.
  let next = 0;
  let read = 0;
  for (let round = 0; round < 200; round++) {
    w.begin(40);
    for (let i = 0; i < 40; i++) w.put(next++);
    w.end();
    t.is(w.unpublishedWords, 40);
    w.publish();
    r.waitForData();
    for (let i = 0; i < 40; i++) if (r.take() !== read++) t.fail(`word ${read - 1}`);
    r.doneRecord();
  }
  t.is(read, 200 * 40);
});

test('sliceSummaries: bit i of row b is summary bit b of the list\'s i-th VM (what Dom0 and the shards read)', (t) => {
  const rng = new Xoshiro128(7, 1);
  const vms = 300;
  const summary = new Uint32Array(vms * SUMMARY_WORDS);
  for (let i = 0; i < summary.length; i++) summary[i] = (rng.nextInt(0x10000) << 16) | rng.nextInt(0x10000);
  const list = new Int32Array(200);
  for (let i = 0; i < list.length; i++) list[i] = rng.nextInt(vms);
  const words = 3; // up to 96 VMs per list
  const from = 50;
  const n = 70;
  const base = 2 * SUMMARY_BITS * words;
  const slices = new Uint32Array(4 * SUMMARY_BITS * words).fill(0xffffffff);
  sliceSummaries(summary, list, from, n, slices, base, words);
  let ones = 0;
  for (let b = 0; b < SUMMARY_BITS; b++) {
    for (let i = 0; i < 32 * words; i++) {
      const got = (slices[base + b * words + (i >>> 5)]! >>> (i & 31)) & 1;
      const want = i < n ? (summary[list[from + i]! * SUMMARY_WORDS + (b >>> 5)]! >>> (b & 31)) & 1 : 0;
      if (got !== want) t.fail(`row ${b}, VM ${i}: ${got}, want ${want}`);
      ones += got;
    }
  }
  t.true(ones > 0);
  t.is(slices[base - 1], 0xffffffff, 'the rows before are untouched');
  t.is(slices[base + SUMMARY_BITS * words], 0xffffffff, 'the rows after are untouched');
});

test('threadCpuNs: this thread\'s CPU time, growing with its work (NaN only where the kernel does not say)', (t) => {
  const a = threadCpuNs();
  let x = 0;
  for (let i = 0; i < 2e7; i++) x = (x + i * 7) % 1_000_003;
  const b = threadCpuNs();
  t.true(x >= 0);
  if (Number.isNaN(a)) {
    t.true(Number.isNaN(b), 'unknown stays unknown');
    return;
  }
  t.true(b > a, `${b} > ${a}`);
});

// A per-pf storm on a fat tree whose migrations all fall within one RC detection time: the
// notices repair almost every peer before its detection fires, so the main thread runs the
// whole storm before its first Sync (then one per detection of a peer still broken: a few peers
// in transit miss their notice and query the SA), its records reaching the shards in published
// batches meanwhile.
const storm = generateScenario({ seed: 21, hosts: 112, slotsPerHost: 24, vmsPerHost: 20, peersPerVm: 6, migrations: 64, topology: { kind: 'fat-tree', radix: 8 } });

test.serial('per-pf storm on 1, 2 and 4 shards: the records go out in batches, few Syncs, the one-thread outcome, CPU per thread', async (t) => {
  const task: SchemeTask = { scenario: storm, scheme: 'per-pf' };
  const ref = runSchemeTask(task);
  const reports = ref.counters[Counter.smSentReport]!;
  t.is(reports, 112 * 64, 'one Report per host per migration');
  t.true(ref.counters[Counter.vmCacheUpdates]! > 0, 'caches were updated');
  // FANOUT_HOST records alone are several publish batches.
  t.true(reports * 9 > 2 * PUBLISH_BATCH_WORDS, 'several batches of records');
  const known = Number.isFinite(threadCpuNs());
  for (const shards of [1, 2, 4]) {
    const o = await runShardedTask(task, shards, pool);
    t.is(o.shards, shards);
    t.is(o.shardFallback, '');
    sameOutcome(t, o, ref, `${shards} shards`);
    // A Detach alone would need a Sync 1 ms later (the least delay of any VM timer) if its
    // lookahead were not the RC detection time, and every repaired peer's detection instant one
    // if it were not left out as dormant: a Sync per migration, twice.
    const bound = 1 + ref.counters[Counter.vmPeerDetections]! + 3 * ref.counters[Counter.vmSaQueries]!;
    t.true(
      o.shardSyncs <= bound,
      `${o.shardSyncs} Syncs: at most one per detection instant, three per SA query (its answer's lookahead, its timeout timer, a retry) and the end (${bound}), for ${storm.migrationVm.length} migrations`,
    );
    t.is(o.shardCpuNs.length, shards);
    if (known) {
      t.true(o.mainCpuNs > 0, 'main thread CPU measured');
      for (const ns of o.shardCpuNs) t.true(ns > 0, 'every shard read records');
    } else {
      t.true(Number.isNaN(o.mainCpuNs));
    }
  }
});

test.serial('per-pf-interest and per-pf at 2% loss on the same fat-tree storm, 2 shards: the one-thread outcome', async (t) => {
  for (const task of [
    { scenario: storm, scheme: 'per-pf-interest' },
    { scenario: storm, scheme: 'per-pf', cost: { lossProbability: 0.02 } },
  ] satisfies SchemeTask[]) {
    const what = `${task.scheme}${'cost' in task ? ' at 2% loss' : ''}`;
    const ref = runSchemeTask(task);
    const o = await runShardedTask(task, 2, pool);
    t.is(o.shardFallback, '', `${what}: sharded`);
    sameOutcome(t, o, ref, what);
    if ('cost' in task) t.true(ref.counters[Counter.vmPathRecordAnswers]! > 0, `${what}: VMs queried the SA mid-run (their summaries changed under the shards' per-host lists)`);
  }
});

// VM x migrates twice, 420 ms apart, and VM y once before. x's peers' connections break at its
// first move and their RC detections are armed for 470 ms later; x's first notice repairs them,
// so at the Sync of y's detection instant (between x's moves) they are dormant: left out of the
// shards' NEXT. x's second move breaks the connections again 50 ms before those detections fire,
// and its notice comes only after them: they detect the failure and query the SA. The main thread
// must Sync at their time (the Detach lowers its horizon to the first dormant time after it), or
// their queries would reach it late. With 200 ms between x's moves both of its notices repair in
// time and nothing is detected.
function movedTwice(gapNs: number): Scenario {
  const base = generateScenario({ seed: 3, hosts: 16, slotsPerHost: 8, vmsPerHost: 4, peersPerVm: 4, migrations: 2 });
  const y = base.migrationVm[0]!;
  const x = base.migrationVm[1]!;
  const first = base.migrationDestHost[1]!;
  let second = 0;
  while (second === first || second === base.vmHost[x] || second === base.migrationDestHost[0]) second++;
  const t1 = 500_000_000;
  return {
    ...base,
    migrationTimeNs: Float64Array.from([150_000_000, t1, t1 + gapNs]),
    migrationVm: Uint32Array.from([y, x, x]),
    migrationDestHost: Uint32Array.from([base.migrationDestHost[0]!, first, second]),
    // The second host's last slot: free (the generator fills the lowest slots).
    migrationDestSlot: Uint8Array.from([base.migrationDestSlot![0]!, base.migrationDestSlot![1]!, base.slotsPerHost - 1]),
  };
}

test.serial('a dormant RC detection woken by a later Detach fires at its time on 1 and 2 shards, as on one thread', async (t) => {
  for (const [gapNs, woken] of [
    [420_000_000, true],
    [200_000_000, false],
  ] as const) {
    const s = movedTwice(gapNs);
    t.not(s.migrationVm[0], s.migrationVm[1], 'x and y are two VMs');
    const task: SchemeTask = { scenario: s, scheme: 'per-pf' };
    const ref = runSchemeTask(task);
    const what = `x's moves ${gapNs / 1e6} ms apart`;
    t.is(ref.counters[Counter.vmConnectionsRestored], ref.counters[Counter.vmConnectionsBroken], `${what}: every break repaired`);
    if (woken) t.true(ref.counters[Counter.vmPeerDetections]! > 0, `${what}: peers detected the second break`);
    else t.is(ref.counters[Counter.vmPeerDetections], 0, `${what}: no detection`);
    for (const shards of [1, 2]) {
      const o = await runShardedTask(task, shards, pool);
      t.is(o.shardFallback, '');
      sameOutcome(t, o, ref, `${what}, ${shards} shards`);
      t.true(o.shardSyncs >= 2, `${what}: a Sync between x's moves (${o.shardSyncs} Syncs)`);
    }
  }
});
