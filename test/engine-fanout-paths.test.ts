// The main thread's per-Report path, made cheaper without changing a result (issue 4 item 8):
// timers in FIFO lanes pop in exactly the heap's order; Dom0's bit-sliced summaries find exactly
// the VMs the per-VM check finds, also while caches change during the run; the ReportResp Dom0
// builds from the Report is byte for byte the one MadView.initResponseTo builds; every Report of
// a notice is the same MAD but for its TID.
import test from 'ava';
import { EventQueue, MAX_LANES } from '../core/engine/event-queue.js';
import { generateScenario } from '../core/scenario/generator.js';
import { EmulatedSubnet, runSingleThread } from '../core/engine/single-thread-run.js';
import { defaultCostModel, withOverrides } from '../core/engine/cost-model.js';
import { ArrayLatencyRecorder } from '../core/metrics/latency-recorder.js';
import { Counter } from '../core/metrics/counters.js';
import { MadView } from '../core/mad/mad-view.js';
import { MadStatus, Method, MgmtClass, SaAttr, TrapNumber } from '../core/mad/constants.js';
import { SUMMARY_BITS, SUMMARY_WORDS } from '../core/dom0/vf-endpoint.js';
import { Xoshiro128 } from '../core/random.js';
import { handScenario } from './patent-fixtures.js';

test('event queue lanes: the pop order is exactly that of the heap alone', (t) => {
  const rng = new Xoshiro128(31, 2);
  const laned = new EventQueue(16);
  const plain = new EventQueue(16);
  // Kinds 1 and 2 get lanes; kind 1 is mostly pushed in time order (a timer after a FIFO
  // server), kind 2 often out of order (those go to the heap), kind 3 never has a lane.
  laned.setLane(1, 0);
  laned.setLane(2, 1);
  let tick = 0;
  let popped = 0;
  for (let i = 0; i < 20_000; i++) {
    const op = rng.nextInt(10);
    if (op < 6) {
      const kind = 1 + rng.nextInt(3);
      let time: number;
      if (kind === 1) time = rng.nextInt(8) === 0 ? laned.nowNs + rng.nextInt(50) : (tick += rng.nextInt(3)) + 1000;
      else time = laned.nowNs + rng.nextInt(kind === 2 ? 400 : 2000);
      time = Math.max(time, laned.nowNs);
      laned.push(time, kind, i, kind * 7, 0);
      plain.push(time, kind, i, kind * 7, 0);
    } else if (laned.size > 0) {
      t.is(laned.peekTime(), plain.peekTime());
      // Half the pops go through popNotAfter (the run loop's), with a limit just before, at or
      // after the next event: it must refuse exactly when the next event is later.
      if (op < 8) {
        const limit = plain.peekTime() + rng.nextInt(3) - 1;
        const taken = laned.popNotAfter(limit);
        t.is(taken, plain.peekTime() <= limit);
        if (!taken) continue;
      } else t.true(laned.pop());
      t.true(plain.pop());
      if (laned.a !== plain.a || laned.nowNs !== plain.nowNs || laned.kind !== plain.kind || laned.b !== plain.b) {
        t.fail(`pop ${popped}: lanes gave event ${laned.a} at ${laned.nowNs}, the heap ${plain.a} at ${plain.nowNs}`);
        return;
      }
      popped++;
    }
    t.is(laned.size, plain.size);
  }
  while (plain.pop()) {
    t.true(laned.pop());
    t.is(laned.a, plain.a);
    popped++;
  }
  t.false(laned.pop());
  t.is(laned.popped, plain.popped);
  t.true(popped > 10_000, `events popped: ${popped}`);
});

test('event queue lanes: a kind outside 0..255 or a lane outside 0..MAX_LANES - 1 is refused by name', (t) => {
  const q = new EventQueue();
  t.throws(() => q.setLane(256, 0), { message: /setLane kind: 256/ });
  t.throws(() => q.setLane(1, MAX_LANES), { message: `EventQueue setLane lane: ${MAX_LANES} is not in 0..${MAX_LANES - 1}` });
});

test('event queue lanes: a lane that grows after wrapping around keeps its order', (t) => {
  const q = new EventQueue(16);
  q.setLane(1, 0);
  // 1,000 in and 900 out moves the ring's head far from 0; 5,000 more make it grow twice with
  // its live run wrapped around the end.
  let pushed = 0;
  let expect = 0;
  for (; pushed < 1000; pushed++) q.push(pushed, 1, pushed, 0, 0);
  for (let i = 0; i < 900; i++, expect++) {
    t.true(q.popNotAfter(Infinity));
    t.is(q.a, expect);
  }
  for (; pushed < 6000; pushed++) q.push(pushed, 1, pushed, 0, 0);
  while (q.popNotAfter(Infinity)) {
    if (q.a !== expect) {
      t.fail(`lane pop ${expect}: got event ${q.a}`);
      return;
    }
    expect++;
  }
  t.is(expect, 6000);
});

test('the engine keeps Report timeouts out of the heap: a storm leaves it a few events deep', (t) => {
  const s = generateScenario({ seed: 4, hosts: 40, slotsPerHost: 8, vmsPerHost: 6, peersPerVm: 4, migrations: 30 });
  const subnet = new EmulatedSubnet(s, 'per-pf');
  subnet.setup('direct');
  subnet.scheduleMigrations();
  const q = subnet.queue as unknown as { count: number; laneEvents: number };
  let maxHeap = 0;
  let maxLanes = 0;
  // Step through the storm in 1 ms slices, sampling the depths.
  while (subnet.queue.size > 0) {
    subnet.run(subnet.queue.peekTime() + 1_000_000);
    maxHeap = Math.max(maxHeap, q.count);
    maxLanes = Math.max(maxLanes, q.laneEvents);
  }
  t.true(maxLanes > 500, `timers waited in lanes: ${maxLanes}`);
  t.true(maxHeap < 50, `heap depth ${maxHeap}`);
});

/** Bit-sliced summaries of list[0..n), built here independently of Dom0. */
function slicesOf(summary: Uint32Array, list: Int32Array, n: number, words: number): Uint32Array {
  const sl = new Uint32Array(SUMMARY_BITS * words);
  for (let i = 0; i < n; i++) {
    for (let bit = 0; bit < SUMMARY_BITS; bit++) {
      if ((summary[list[i]! * SUMMARY_WORDS + (bit >>> 5)]! & (1 << (bit & 31))) !== 0) sl[bit * words + (i >>> 5)]! |= 1 << (i & 31);
    }
  }
  return sl;
}

test('the sliced check finds exactly what the per-VM check finds, and counts the same', (t) => {
  const s = generateScenario({ seed: 23, hosts: 16, slotsPerHost: 100, vmsPerHost: 90, peersPerVm: 8, migrations: 1 });
  const subnet = new EmulatedSubnet(s, 'per-pf');
  subnet.setup('direct');
  const vms = subnet.vms;
  const pc = vms.pathCache;
  const rng = new Xoshiro128(5, 3);
  for (let i = 0; i < 300; i++) {
    const v = rng.nextInt(s.vms);
    const e = s.peerStart[v]! + rng.nextInt(s.peerStart[v + 1]! - s.peerStart[v]!);
    pc.remove(v, vms.guidHigh[s.peerList[e]!]!, vms.guidLow[s.peerList[e]!]!);
  }
  const words = 4;
  const list = new Int32Array(200);
  const hitsA = new Int32Array(128);
  const hitsB = new Int32Array(128);
  let total = 0;
  let bloomTests = 0;
  for (let round = 0; round < 300; round++) {
    const n = 1 + rng.nextInt(128);
    const from = rng.nextInt(40);
    // Mostly VMs that cache the vGUID (peers of x), so hits are frequent.
    const x = rng.nextInt(s.vms);
    const gh = vms.guidHigh[x]!;
    const gl = vms.guidLow[x]!;
    for (let i = 0; i < n; i++) list[from + i] = rng.nextInt(3) === 0 ? rng.nextInt(s.vms) : (x + 1 + rng.nextInt(200)) % s.vms;
    const unpath = round % 5 === 0;
    const trap = unpath ? TrapNumber.UnPath : TrapNumber.RePath;
    const newLid = rng.nextInt(3) === 0 ? Math.max(0, pc.lookup(list[from]!, gh, gl)) : 1 + rng.nextInt(0xbffe);
    const c = subnet.counters.v;
    const before = c[Counter.vmCacheChecks]!;
    const a = vms.checkForwarded(list, n, trap, gh, gl, newLid, hitsA, from);
    t.is(c[Counter.vmCacheChecks]! - before, n);
    const sl = slicesOf(vms.cacheSummary, list.subarray(from), n, words);
    const b = vms.checkForwardedSliced(list, from, n, sl, 0, words, trap, gh, gl, newLid, hitsB);
    t.is(c[Counter.vmCacheChecks]! - before, 2 * n);
    t.deepEqual(Array.from(hitsB.subarray(0, b)), Array.from(hitsA.subarray(0, a)), `round ${round}`);
    total += a;
    bloomTests += n;
  }
  t.true(total > 100, `hits: ${total} of ${bloomTests}`);
});

test('Dom0 rebuilds a host\'s sliced summaries when caches change mid-run (UnPath drops, arrivals)', (t) => {
  // Parked records expire before the VMs arrive (trapExpiryNs below the downtime): UnPath
  // notices make VMs drop cache entries (summaries rebuilt) while RePath notices fan out.
  const s = generateScenario({ seed: 8, hosts: 14, slotsPerHost: 48, vmsPerHost: 40, peersPerVm: 6, migrations: 16 });
  const cost = withOverrides(defaultCostModel(), { trapExpiryNs: 50_000 });
  for (const scheme of ['per-pf', 'per-pf-interest'] as const) {
    const fastLat = new ArrayLatencyRecorder();
    const refLat = new ArrayLatencyRecorder();
    const fast = runSingleThread(s, scheme, { cost, latency: fastLat, setup: 'direct' });
    const ref = runSingleThread(s, scheme, { cost, latency: refLat, setup: 'direct', perVfDelivery: true });
    t.deepEqual(fast.counters, ref.counters, scheme);
    t.deepEqual(Array.from(fastLat.values()), Array.from(refLat.values()), scheme);
    t.is(fast.virtualTimeNs, ref.virtualTimeNs, scheme);
    t.true(fast.counters.smNoticesUnPath > 0, `${scheme}: UnPath notices ${fast.counters.smNoticesUnPath}`);
    t.true(fast.counters.vmCacheRemovals > 0, `${scheme}: cache removals ${fast.counters.vmCacheRemovals}`);
    t.true(fast.counters.vmCacheChecks > 0);
  }
});

test('Dom0 answers a Report with the ReportResp initResponseTo builds; the Reports of a notice differ only in the TID', (t) => {
  const s = generateScenario({ seed: 2, hosts: 10, slotsPerHost: 8, vmsPerHost: 5, peersPerVm: 3, migrations: 3 });
  const reports: Uint8Array[] = [];
  const resps: Uint8Array[] = [];
  const subnet = new EmulatedSubnet(s, 'per-pf', {
    tap: (mad) => {
      if (mad[1] !== MgmtClass.SubnAdm || ((mad[16]! << 8) | mad[17]!) !== SaAttr.Notice) return;
      if (mad[3] === Method.Report) reports.push(mad.slice());
      else if (mad[3] === Method.ReportResp) resps.push(mad.slice());
    },
  });
  subnet.setup('direct');
  subnet.scheduleMigrations();
  subnet.run();
  t.is(reports.length, 3 * 10);
  t.is(resps.length, reports.length);
  const req = new MadView();
  const expected = new MadView().wrapForWrite(new Uint8Array(256));
  const got = new MadView();
  for (const r of resps) {
    got.wrap(r);
    const report = reports.find((x) => req.wrap(x).tidHigh === got.tidHigh && req.tidLow === got.tidLow);
    if (report === undefined) {
      t.fail(`no Report with the TID of ReportResp ${got.tidHigh}:${got.tidLow}`);
      return;
    }
    req.wrap(report);
    expected.initResponseTo(req, Method.ReportResp, MadStatus.Ok);
    expected.bytes.set(report.subarray(56, 56 + 80), 56);
    t.deepEqual(Array.from(r), Array.from(expected.bytes));
  }
  // Per notice (vGID), the Reports are one MAD with the TID stamped (bytes 8..15).
  const byNotice = new Map<string, Uint8Array[]>();
  for (const r of reports) {
    const key = Array.from(r.subarray(56, 136)).join(',');
    byNotice.set(key, [...(byNotice.get(key) ?? []), r]);
  }
  t.is(byNotice.size, 3);
  for (const group of byNotice.values()) {
    t.is(group.length, 10);
    const tids = new Set<string>();
    for (const r of group) {
      const a = r.slice();
      const b = group[0]!.slice();
      a.fill(0, 8, 16);
      b.fill(0, 8, 16);
      t.deepEqual(Array.from(a), Array.from(b));
      tids.add(Array.from(r.subarray(8, 16)).join(','));
    }
    t.is(tids.size, group.length, 'every Report of a notice has its own TID');
  }
  t.is(subnet.counters.v[Counter.smReportRespUnmatched], 0);
});

test('a path a VM learns after its host\'s fan-out list was built is found by the next notice', (t) => {
  // VM 0 (host 0) caches VM 7 (host 1). It drops the entry (UnPath), a VM arrives on its host and
  // the host fans out that VM's notice (list and sliced summaries rebuilt without VM 7's bits), it asks the SA for VM 7's
  // path again (the insert reports a summary change), then VM 7 migrates: the RePath must reach
  // VM 0's cache, as it does with per-VF delivery.
  const s = handScenario({ hosts: 6, vmsPerHost: 5, peers: (v, n) => [(v + 7) % n, (v + 3) % n] });
  const outcome = (perVfDelivery: boolean) => {
    const subnet = new EmulatedSubnet(s, 'per-pf', { perVfDelivery });
    subnet.setup('direct');
    const vms = subnet.vms;
    const x = 7;
    subnet.migrate(20, 5);
    subnet.run();
    vms.applyNotice(0, TrapNumber.UnPath, vms.guidHigh[x]!, vms.guidLow[x]!, 0, subnet.nowNs);
    const dropped = vms.pathCache.lookup(0, vms.guidHigh[x]!, vms.guidLow[x]!);
    subnet.migrate(25, 0); // an arrival on host 0: its list is rebuilt at this notice's fan-out
    subnet.run();
    vms.queryPath(0, s.peerStart[0]!, subnet.nowNs);
    subnet.run();
    const relearned = vms.pathCache.lookup(0, vms.guidHigh[x]!, vms.guidLow[x]!);
    subnet.migrate(x, 3);
    subnet.run();
    return {
      dropped,
      relearned,
      after: vms.pathCache.lookup(0, vms.guidHigh[x]!, vms.guidLow[x]!),
      truth: subnet.sm.lidVguid.lid(vms.guidHigh[x]!, vms.guidLow[x]!),
      counters: subnet.counters.toObject(),
    };
  };
  const fast = outcome(false);
  const ref = outcome(true);
  t.is(fast.dropped, -1);
  t.true(fast.relearned > 0);
  t.not(fast.truth, fast.relearned, 'VM 7 moved to another LID');
  t.is(fast.after, fast.truth);
  t.deepEqual(fast, ref);
});
