// bench/independent-copies.ts: the arithmetic of the ceiling, and a short real run of its two
// child copies (no timing is asserted: only that every window did work and was counted).
import test from 'ava';
import { independentCopiesCeiling, neighbourRatios } from '../bench/independent-copies.js';
import { median } from '../bench/stats.js';

test('neighbourRatios: each pair window over the mean of the solo windows around it', (t) => {
  t.deepEqual(neighbourRatios([4, 6, 5], [9, 11]), [9 / 5, 11 / 5.5]);
  t.throws(() => neighbourRatios([4, 6], [9, 11]), { message: 'neighbourRatios: 2 solo windows around 2 pair windows (want one more)' });
});

test('median (bench/stats.ts): the middle value, or the mean of the two middle ones; none is an error', (t) => {
  t.is(median([3, 1, 2]), 2);
  t.is(median([4, 1, 3, 2]), 2.5);
  t.throws(() => median([]), { message: 'median of no values' });
});

test('independentCopiesCeiling: two child copies, solo and pair windows alternating, every window counted', async (t) => {
  const c = await independentCopiesCeiling({
    storm: { seed: 5, hosts: 16, slotsPerHost: 16, vmsPerHost: 8, peersPerVm: 4, migrations: 4 },
    scheme: 'per-pf',
    windows: 2,
    windowMs: 150,
    warmupStorms: 1,
  });
  t.is(c.soloRates.length, 3);
  t.is(c.pairRates.length, 2);
  t.is(c.ratios.length, 2);
  for (const r of [...c.soloRates, ...c.pairRates, ...c.ratios, c.phaseSlowdown]) t.true(r > 0 && Number.isFinite(r), String(r));
  t.is(c.medianRatio, median(c.ratios));
  t.deepEqual(c.ratios, neighbourRatios(c.soloRates, c.pairRates));
});

test('independentCopiesCeiling: a copy that cannot start is an error naming it, not a hang', async (t) => {
  await t.throwsAsync(
    independentCopiesCeiling({ storm: { seed: 5, hosts: 0, slotsPerHost: 16, vmsPerHost: 8, peersPerVm: 4, migrations: 4 }, scheme: 'per-pf', windows: 1, windowMs: 100, warmupStorms: 1 }),
    { message: /^independent copy exited 1: .*hosts/ },
  );
});
