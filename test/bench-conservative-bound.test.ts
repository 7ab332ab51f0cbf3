// The bound of bench/conservative-bound.ts: its arithmetic, the SM <-> host cut's spacing (the
// SM's and the Dom0s' events alternate under the default costs, and stop alternating when the
// SM sends faster than the lookahead), and the fan-out's profile share finding its functions.
import test from 'ava';
import { generateScenario } from '../core/scenario/generator.js';
import { defaultCostModel } from '../core/engine/cost-model.js';
import { runSchemeTask } from '../core/engine/scheme-run.js';
import { Counter } from '../core/metrics/counters.js';
import { LatencyHistogram } from '../core/metrics/latency-histogram.js';
import { Dom0 } from '../core/dom0/dom0.js';
import { VmAgents } from '../core/vm/vm-agents.js';
import { ReportSender } from '../core/sm/report-sender.js';
import { cutSpacing, isChainEntry, isFanoutEntry, isSmFrame, overlappingNextTurn, parallelBound, phaseShares, spinRoundTripNs } from '../bench/conservative-bound.js';
import { WordLog } from '../core/engine/shard/shard-checkpoint.js';

test.before(async () => {
  await LatencyHistogram.ready();
});

const storm = generateScenario({ seed: 3, hosts: 32, slotsPerHost: 16, vmsPerHost: 12, peersPerVm: 4, migrations: 6 });

test('parallelBound: max(serial, T / cores) per Report, and what it allows', (t) => {
  // A serial path of four fifths bounds the speed-up.
  const serial = parallelBound(2000, 1600, 120, 2);
  t.is(serial.leastNsPerReport, 1600);
  t.is(serial.maxSpeedup, 1.25);
  t.is(serial.maxCacheChecksPerSecond, 75e6);
  // A serial path of a quarter: the cores bound it.
  const cores = parallelBound(2000, 500, 120, 2);
  t.is(cores.leastNsPerReport, 1000);
  t.is(cores.maxSpeedup, 2);
  t.is(cores.maxCacheChecksPerSecond, 120e6);
  t.is(parallelBound(2000, 500, 120, 4).maxSpeedup, 4);
  t.throws(() => parallelBound(2000, 0, 120, 2), { message: 'parallelBound serialNsPerReport: 0 is not a positive finite number' });
  t.throws(() => parallelBound(NaN, 400, 120, 2), { message: /oneThreadNsPerReport: NaN/ });
  // Cores that slow each other down by a quarter when both are busy stretch either bound alike.
  const shared = parallelBound(2000, 500, 120, 2, 1.25);
  t.is(shared.leastNsPerReport, 1250);
  t.is(shared.maxSpeedup, 1.6);
  t.is(shared.maxCacheChecksPerSecond, 96e6);
  t.is(parallelBound(2000, 1600, 120, 2, 1.25).maxSpeedup, 1);
  t.throws(() => parallelBound(2000, 500, 120, 2, 0), { message: 'parallelBound slowdown: 0 is not a positive finite number' });
});

test('cutSpacing: under the default costs the SM and the Dom0s alternate; an SM faster than the lookahead breaks that', (t) => {
  const cost = defaultCostModel();
  const spaced = cutSpacing(storm, 'per-pf');
  const run = runSchemeTask({ scenario: storm, scheme: 'per-pf', setup: 'direct' });
  t.is(spaced.reports, run.counters[Counter.smSentReport], 'every Report of the phase is seen on the cut');
  t.true(spaced.reports > 100);
  t.is(spaced.lookaheadNs, cost.hcaMadNs, 'the least latency: the SM and a host one switch-free hop apart');
  t.true(spaced.minReportSpacingNs >= cost.smServiceNs, `Reports ${spaced.minReportSpacingNs} ns apart`);
  t.true(spaced.cutMads >= 2 * spaced.reports, 'each Report and its ReportResp cross the cut');
  t.true(spaced.hostEvents >= spaced.reports);
  t.true(spaced.hostEventsWithinLeastLookahead <= spaced.hostEvents * 0.05, `${spaced.hostEventsWithinLeastLookahead} of ${spaced.hostEvents} host events near an SM event`);
  // A lookahead per host (longer for hosts switches away) lets more of them near: never fewer.
  t.true(spaced.hostEventsWithinHostLookahead >= spaced.hostEventsWithinLeastLookahead);
  // The SM's transmitter serving a Report every 100 ns: the next Reports leave while the last
  // one's host handles it, so most host events are within L of an SM event.
  const fast = cutSpacing(storm, 'per-pf', { smServiceNs: 100 });
  t.is(fast.reports, spaced.reports);
  t.is(fast.minReportSpacingNs, 100);
  t.true(fast.hostEventsWithinLeastLookahead >= fast.hostEvents * 0.9, `${fast.hostEventsWithinLeastLookahead} of ${fast.hostEvents}`);
});

test("cutSpacing: the senders' least service times, and the Reports whose answer comes after the SM's next turn", (t) => {
  const cost = defaultCostModel();
  const spaced = cutSpacing(storm, 'per-pf');
  t.is(spaced.smLeadNs, cost.smServiceNs, "a MAD leaves the SM its transmitter's service after the event that sends it");
  t.is(spaced.hostLeadNs, cost.dom0ServiceNs, "and a host Dom0's service after");
  const slowDom0 = cutSpacing(storm, 'per-pf', { dom0ServiceNs: 500, smServiceNs: 7000 });
  t.is(slowDom0.smLeadNs, 7000);
  t.is(slowDom0.hostLeadNs, 500);
  // Within a migration's fan-out the transmitter is never idle: the next turn comes when the
  // Report leaves, before its answer can be back. Only a fan-out's last Report may wait for
  // its answer (the next turn is the next migration's, later): at most one per migration.
  const notPipelined = spaced.reports - spaced.reportsOverlappingNextTurn;
  t.true(notPipelined >= 1 && notPipelined <= storm.migrationVm.length, `${notPipelined} Reports not pipelined`);
});

test('overlappingNextTurn: each host answers its Reports in order; an answer before the next turn holds the chain', (t) => {
  const log = (xs: number[]) => {
    const l = new WordLog();
    for (const x of xs) l.push(x);
    return l;
  };
  // Reports at turns 0, 10, 20, 30 to LIDs 1, 2, 1, 3; answers from LID 2 at 15, from LID 1 at 12 and 40, none from 3.
  const n = overlappingNextTurn(log([0, 10, 20, 30]), log([1, 2, 1, 3]), log([15, 12, 40]), log([2, 1, 1]));
  // Report 0: answered at 12, after the next turn (10). Report 1: at 15, before the next turn (20): held.
  // Report 2: answered at 40, after the next turn (30). Report 3: no answer, nothing waits for it.
  t.is(n, 3);
  t.is(overlappingNextTurn(log([0, 10]), log([1, 1]), log([5, 30]), log([1, 1])), 0, 'answered before the next turn; the last has no next turn');
});

test('phaseShares: the profile finds the fan-out and the Report chain by their functions (a rename would zero a share silently)', async (t) => {
  const dom0 = Dom0.prototype as unknown as Record<string, unknown>;
  t.is(typeof dom0['forward'], 'function');
  t.is(typeof dom0['receive'], 'function');
  t.is(typeof VmAgents.prototype.applyForwarded, 'function');
  t.is(typeof ReportSender.prototype.fanoutTurn, 'function');
  t.true(isFanoutEntry({ functionName: 'forward', url: 'file:///x/dist/core/dom0/dom0.js' }));
  t.true(isFanoutEntry({ functionName: 'applyForwarded', url: 'file:///x/dist/core/vm/vm-agents.js' }));
  t.false(isFanoutEntry({ functionName: 'forward', url: 'file:///x/dist/core/fabric/emulated-fabric.js' }));
  t.false(isFanoutEntry({ functionName: 'onReport', url: 'file:///x/dist/core/dom0/dom0.js' }));
  t.true(isChainEntry({ functionName: 'fanoutTurn', url: 'file:///x/dist/core/sm/report-sender.js' }));
  t.true(isChainEntry({ functionName: 'receive', url: 'file:///x/dist/core/dom0/dom0.js' }));
  t.false(isChainEntry({ functionName: 'receive', url: 'file:///x/dist/core/sm/subnet-manager.js' }));
  const big = generateScenario({ seed: 5, hosts: 128, slotsPerHost: 128, vmsPerHost: 120, peersPerVm: 8, migrations: 30 });
  const shares = await phaseShares(big, 'per-pf', {}, 2);
  t.true(shares.samples > 0, 'the profiler sampled the phases');
  t.true(shares.fanoutSamples > 0 && shares.chainSamples > 0, `${shares.fanoutSamples} fan-out and ${shares.chainSamples} chain samples of ${shares.samples}`);
  t.true(shares.fanoutSamples + shares.chainSamples <= shares.samples, 'a sample is in one place at most');
  t.is(shares.fanoutShare, shares.fanoutSamples / shares.samples);
  t.is(shares.chainShare, shares.chainSamples / shares.samples);
  // The SM's own code: its turns (in the chain) and its receipt of the ReportResps (outside it).
  t.true(isSmFrame({ url: 'file:///x/dist/core/sm/report-sender.js' }));
  t.false(isSmFrame({ url: 'file:///x/dist/core/dom0/dom0.js' }));
  t.true(shares.smSamples > 0, `${shares.smSamples} SM samples`);
  t.is(shares.smShare, shares.smSamples / shares.samples);
  t.true(shares.dom0ReceiveShare > 0 && shares.dom0ReceiveShare < shares.chainShare, 'Dom0 receipt: the chain less the SM turns');
  t.true(shares.smShare + shares.dom0ReceiveShare + shares.fanoutShare <= 1 + 1e-12);
});

test('spinRoundTripNs: a word handed to another thread and back, timed', async (t) => {
  const ns = await spinRoundTripNs(200, 2);
  t.true(Number.isFinite(ns) && ns > 0, `${ns} ns`);
});
