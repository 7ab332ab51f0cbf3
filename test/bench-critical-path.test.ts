// bench/critical-path.ts: the schedules of a traced storm on two ideal threads, on hand-made
// traces whose makespans are worked out by hand, and a real storm's trace (its events, their
// causes, and the order of the bounds; no timing is asserted).
import test from 'ava';
import {
  bestSplit,
  causalMakespan,
  conservativeMakespan,
  criticalPathNs,
  entityListMakespan,
  interleavedSplit,
  SM_OWNER,
  smShareOf,
  withReceiptsAtSender,
  traceStorm,
  type EventTrace,
} from '../bench/critical-path.js';
import { generateScenario } from '../core/scenario/generator.js';
import { EmulatedSubnet } from '../core/engine/single-thread-run.js';

/** A hand-made trace: [time, owner, cost, creator, 1 for the SM's receipt of a ReportResp] per event, in time order. */
function traceOf(hosts: number, events: readonly (readonly [number, number, number, number, number?])[]): EventTrace {
  const n = events.length;
  const reportResp = new Uint8Array(n);
  const timeNs = new Float64Array(n);
  const owner = new Int32Array(n);
  const costNs = new Float64Array(n);
  const creator = new Int32Array(n);
  let total = 0;
  events.forEach(([t, o, c, k, r], i) => {
    reportResp[i] = r ?? 0;
    timeNs[i] = t;
    owner[i] = o;
    costNs[i] = c;
    creator[i] = k;
    total += c;
  });
  return { events: n, hosts, timeNs, owner, costNs, creator, reportResp, oneThreadNs: total, cacheChecks: 1000, reports: 1 };
}

// The SM sends a Report to host 0 and to host 1 in turn, and takes host 0's answer:
//   0: SM turn (t 0, 4 ns)   1: SM turn (t 5, 4 ns)   2: host 0's Report (t 10, 10 ns), queued by 0
//   3: host 1's Report (t 15, 10 ns), queued by 1     4: the SM takes host 0's answer (t 20, 2 ns), queued by 2
const chain = traceOf(2, [
  [0, SM_OWNER, 4, -1],
  [5, SM_OWNER, 4, -1],
  [10, 0, 10, 0],
  [15, 1, 10, 1],
  [20, SM_OWNER, 2, 2, 1],
]);

test('causalMakespan: threads in time order, an event after the one that queued it', (t) => {
  // Both hosts with the SM: one thread does everything (30 ns of work).
  t.is(causalMakespan(chain, Uint8Array.of(0, 0)), 30);
  // Both hosts on the second thread: host 0 starts at 4 (its turn done), host 1 at 14 (after host 0,
  // and its turn done at 8); the SM's answer waits for host 0 (done at 14): 14 + 2 = 16. Thread 1 ends at 24.
  t.is(causalMakespan(chain, Uint8Array.of(1, 1)), 24);
  // Host 1 alone on the second thread: thread 0 runs turn, turn, host 0 (8..18), answer (18..20); host 1 runs 8..18.
  t.is(causalMakespan(chain, Uint8Array.of(0, 1)), 20);
  t.throws(() => causalMakespan(chain, Uint8Array.of(0)), { message: 'split: 1 hosts, the trace has 2' });
});

test('conservativeMakespan: no lookahead limit is the causal schedule with independent threads; a short one serialises', (t) => {
  t.is(conservativeMakespan(chain, Uint8Array.of(1, 1), Infinity, Infinity), Math.max(4 + 4 + 2, 10 + 10));
  // Lookahead 0 both ways: an event waits for every event of the other thread at or before its time.
  // Thread 0: turn 0..4, turn 4..8; thread 1: host 0 (t 10) waits for both turns: 8..18, host 1 18..28;
  // the answer (t 20) waits for host 0 (t 10) and host 1 (t 15): 28..30.
  t.is(conservativeMakespan(chain, Uint8Array.of(1, 1), 0, 0), 30);
  // With lookahead 6 from the SM and 3 back: host 0 (t 10) waits for SM events at <= 4 (the first
  // turn, done at 4): 4..14; host 1 (t 15) waits for the turn at 5: 14..24; the answer (t 20) waits for
  // host events at <= 17 (both): 24..26.
  t.is(conservativeMakespan(chain, Uint8Array.of(1, 1), 6, 3), 26);
});

test('entityListMakespan: a thread interleaves its hosts out of time order when their causes allow', (t) => {
  // Two hosts on one thread, the later-queued one ready first: host 1's event (t 15) was queued by an
  // event done at 1, host 0's (t 10) by one done at 50 (a long SM event).
  const tr = traceOf(2, [
    [0, SM_OWNER, 50, -1],
    [1, SM_OWNER, 1, -1],
    [10, 0, 10, 0],
    [15, 1, 10, 1],
  ]);
  // In time order the second thread waits for host 0's cause: 50..60, then host 1: 60..70.
  t.is(causalMakespan(tr, Uint8Array.of(1, 1)), 70);
  // Hosts scheduled on their own: host 0 is ready at 50, host 1 at 51; the greedy takes host 0 first.
  t.is(entityListMakespan(tr, Uint8Array.of(1, 1)), 70);
  // The SM events in the other order (the short one first): host 1's cause is done at 1.
  const tr2 = traceOf(2, [
    [0, SM_OWNER, 1, -1],
    [1, SM_OWNER, 50, -1],
    [10, 0, 10, 1],
    [15, 1, 10, 0],
  ]);
  t.is(causalMakespan(tr2, Uint8Array.of(1, 1)), 71); // host 0 waits for 51, host 1 behind it
  t.is(entityListMakespan(tr2, Uint8Array.of(1, 1)), 61); // host 1 at 1..11, host 0 at 51..61
});

test('criticalPathNs: each owner in order, an event after its cause, unbounded threads', (t) => {
  // SM: 0..4, 4..8; host 0: 4..14; host 1: 8..18; answer: after host 0 and the SM's turns: 14..16.
  t.is(criticalPathNs(chain), 18);
});

test('withReceiptsAtSender: the SM\'s receipt of a ReportResp moves to the host that sent it, nothing else', (t) => {
  const moved = withReceiptsAtSender(chain);
  t.deepEqual([...moved.owner], [SM_OWNER, SM_OWNER, 0, 1, 0]);
  t.deepEqual([...chain.owner], [SM_OWNER, SM_OWNER, 0, 1, SM_OWNER]);
  // Host 1 alone on the second thread: thread 0 runs both turns, host 0's Report and its answer: 20, as before;
  // with both hosts there, the answer follows host 1's Report in time order on the second thread: 24..26.
  t.is(causalMakespan(moved, Uint8Array.of(0, 1)), 20);
  t.is(causalMakespan(moved, Uint8Array.of(1, 1)), 26);
  t.is(smShareOf(moved), 8 / 30);
});

test('interleavedSplit and bestSplit: hosts spread evenly; the split with the least makespan', (t) => {
  t.deepEqual([...interleavedSplit(4, 0.5)], [0, 1, 0, 1]);
  t.deepEqual([...interleavedSplit(4, 1)], [1, 1, 1, 1]);
  t.deepEqual([...interleavedSplit(4, 0)], [0, 0, 0, 0]);
  t.throws(() => interleavedSplit(4, 1.5), { message: 'interleavedSplit fraction: 1.5 is not in 0..1' });
  const b = bestSplit(chain, (split) => causalMakespan(chain, split), [0, 0.5, 1]);
  t.is(b.fraction, 0.5);
  t.is(b.makespanNs, 20);
  t.is(b.speedup, 30 / 20);
  t.is(b.cacheChecksPerSecond, 1000 / (20 / 1e9));
});

test('traceStorm: every event of a real storm, its owner and cause; the bounds in their order', (t) => {
  const scenario = generateScenario({ seed: 3, hosts: 16, slotsPerHost: 16, vmsPerHost: 12, peersPerVm: 4, migrations: 6 });
  const tr = traceStorm(scenario, 'per-pf', {}, 2);
  // The same storm run plainly handles as many events.
  const subnet = new EmulatedSubnet(scenario, 'per-pf');
  subnet.setup('direct');
  subnet.scheduleMigrations();
  t.is(tr.events, subnet.run());
  t.is(tr.hosts, 16);
  // Only the scheduled migrations were queued before the storm; every other event has a cause before it.
  let uncaused = 0;
  for (let i = 0; i < tr.events; i++) {
    const c = tr.creator[i]!;
    if (c < 0) uncaused++;
    else t.true(c < i && tr.timeNs[c]! <= tr.timeNs[i]!);
    if (i > 0) t.true(tr.timeNs[i]! >= tr.timeNs[i - 1]!);
    t.true(tr.owner[i]! >= SM_OWNER && tr.owner[i]! < 16);
  }
  t.is(uncaused, scenario.migrationVm.length);
  let sum = 0;
  for (let i = 0; i < tr.events; i++) sum += tr.costNs[i]!;
  t.true(Math.abs(sum - tr.oneThreadNs) <= 1e-6 * tr.oneThreadNs);
  t.true(tr.reports > 0 && tr.cacheChecks > 0);
  // One ReportResp per Report (no loss), each received by the SM and queued by its host's receipt of the Report.
  let answers = 0;
  for (let i = 0; i < tr.events; i++) {
    if (tr.reportResp[i] !== 1) continue;
    answers++;
    t.is(tr.owner[i], SM_OWNER);
    t.true(tr.owner[tr.creator[i]!]! >= 0);
  }
  t.is(answers, tr.reports);
  t.true(smShareOf(withReceiptsAtSender(tr)) < smShareOf(tr));
  // The conservative rule with the model's lookaheads implies every cause's wait, so it is never
  // shorter than the causal schedule; neither beats the causal chain or half the work.
  for (const f of [0.5, 1]) {
    const split = interleavedSplit(16, f);
    const causal = causalMakespan(tr, split);
    t.true(conservativeMakespan(tr, split, 6000, 3000) >= causal - 1e-6);
    t.true(causal >= criticalPathNs(tr) - 1e-6);
    t.true(causal >= tr.oneThreadNs / 2 - 1e-6);
    t.true(entityListMakespan(tr, split) >= Math.max(criticalPathNs(tr), tr.oneThreadNs / 2) - 1e-6);
  }
});
