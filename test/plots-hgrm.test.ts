import test from 'ava';
import { LatencyHistogram } from '../core/metrics/latency-histogram.js';
import { Xoshiro128 } from '../core/random.js';
import { HgrmError, parseHgrm } from '../bench/plots/hgrm.js';

test.before(async () => {
  await LatencyHistogram.ready();
});

test('parseHgrm reads LatencyHistogram.toHgrm(): monotone rows, footer, percentiles that match the summary', (t) => {
  const h = new LatencyHistogram();
  // 1 us .. 1000 us in 1 us steps (recorded in ns), so percentile p sits near p * 1000 us.
  for (let us = 1; us <= 1000; us++) h.record(us * 1000);
  const text = h.toHgrm();
  const summary = h.summary();
  h.destroy();

  const parsed = parseHgrm(text);
  t.is(parsed.totalCount, 1000);
  t.true(parsed.points.length > 20);
  const first = parsed.points[0]!;
  const last = parsed.points[parsed.points.length - 1]!;
  t.is(first.percentile, 0);
  t.is(first.totalCount, 1);
  t.is(last.percentile, 1);
  t.is(last.totalCount, 1000);
  for (let i = 1; i < parsed.points.length; i++) {
    const [a, b] = [parsed.points[i - 1]!, parsed.points[i]!];
    t.true(b.valueUs >= a.valueUs && b.percentile >= a.percentile && b.totalCount >= a.totalCount);
  }
  // Values are microseconds, within the histogram's 3 significant digits of the summary.
  t.is(parsed.max, summary.max);
  t.true(Math.abs(parsed.mean! - summary.mean) < 0.001 * summary.mean + 0.001);
  t.true(parsed.stdDeviation! > 280 && parsed.stdDeviation! < 300);
  const median = parsed.points.find((p) => p.percentile === 0.5)!;
  t.true(Math.abs(median.valueUs - summary.p50) <= 0.001 * summary.p50, `${median.valueUs} vs ${summary.p50}`);
  t.is(median.totalCount, 500);
});

test('parseHgrm: a long-tailed seeded histogram keeps every row; an empty histogram has none', (t) => {
  const rng = new Xoshiro128(5);
  const h = new LatencyHistogram();
  for (let i = 0; i < 20_000; i++) h.record(rng.nextFloat() < 0.99 ? 5_000 + rng.nextFloat() * 30_000 : 1e6 + rng.nextFloat() * 5e7);
  const text = h.toHgrm();
  h.destroy();
  const dataRows = text.split('\n').filter((l) => /^\s*\d/.test(l)).length;
  const parsed = parseHgrm(text);
  t.is(parsed.points.length, dataRows);
  t.is(parsed.totalCount, 20_000);
  // The 1 % tail starts above 1 ms.
  t.true(parsed.points.find((p) => p.percentile >= 0.995)!.valueUs > 1000);

  const empty = new LatencyHistogram();
  const none = parseHgrm(empty.toHgrm());
  empty.destroy();
  t.deepEqual(none.points, []);
  t.is(none.totalCount, 0);
});

test('parseHgrm reads the CSV variant and a Java-style "Infinity" last column', (t) => {
  const csv = ['"Value","Percentile","TotalCount","1/(1-Percentile)"', '1.000,0.000000000000,1,1.00', '2.500,0.500000000000,2,2.00', '4.000,1.000000000000,4,Infinity', ''].join('\n');
  const parsed = parseHgrm(csv);
  t.deepEqual(parsed.points, [
    { valueUs: 1, percentile: 0, totalCount: 1 },
    { valueUs: 2.5, percentile: 0.5, totalCount: 2 },
    { valueUs: 4, percentile: 1, totalCount: 4 },
  ]);
  t.is(parsed.totalCount, 4);
  t.is(parsed.max, undefined);
});

test('parseHgrm errors name the line and the field', (t) => {
  const header = '       Value     Percentile TotalCount 1/(1-Percentile)\n\n';
  t.throws(() => parseHgrm('hello\n'), { instanceOf: HgrmError, message: /^hgrm line 1: expected the header/ });
  t.throws(() => parseHgrm(''), { instanceOf: HgrmError, message: /no "Value Percentile TotalCount" header/ });
  t.throws(() => parseHgrm(`${header}  1.0 1.5 1 1.00\n`), { instanceOf: HgrmError, message: 'hgrm line 3: Percentile "1.5" is not a fraction in [0, 1]' });
  t.throws(() => parseHgrm(`${header}  abc 0.5 1 1.00\n`), { instanceOf: HgrmError, message: 'hgrm line 3: Value "abc" is not a number >= 0' });
  t.throws(() => parseHgrm(`${header}  1.0 0.5 1.5 2.00\n`), { instanceOf: HgrmError, message: 'hgrm line 3: TotalCount "1.5" is not an integer >= 0' });
  t.throws(() => parseHgrm(`${header}  1.0 0.5\n`), { instanceOf: HgrmError, message: /^hgrm line 3: expected 3 or 4 columns/ });
  t.throws(() => parseHgrm(`${header}  5.0 0.5 2 2.00\n  4.0 0.6 3 2.50\n`), { instanceOf: HgrmError, message: /^hgrm line 4: row .* decreases after Value 5/ });
});
