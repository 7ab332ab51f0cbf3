import test from 'ava';
import { LatencyHistogram } from '../core/metrics/latency-histogram.js';
import { Xoshiro128 } from '../core/random.js';

test.before(async () => {
  await LatencyHistogram.ready();
});

/** 1e5 seeded latencies: a body around 20 us with a long tail up to ~50 ms. */
function seededValues(seed: number, n: number): Float64Array {
  const rng = new Xoshiro128(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const u = rng.nextFloat();
    out[i] = u < 0.99 ? 5_000 + rng.nextFloat() * 30_000 : 1_000_000 + rng.nextFloat() * 50_000_000;
  }
  return out;
}

test('merging the same recordings in 1, 2 or 4 groups gives identical .hgrm text and summary', (t) => {
  const values = seededValues(42, 100_000);
  const whole = new LatencyHistogram();
  for (const v of values) whole.record(v);

  const merged = (groups: number, order: 'forward' | 'reverse'): LatencyHistogram => {
    const parts: LatencyHistogram[] = [];
    for (let g = 0; g < groups; g++) parts.push(new LatencyHistogram());
    // Interleaved split, so every part sees a different subset of the range.
    for (let i = 0; i < values.length; i++) parts[i % groups]!.record(values[i]!);
    const total = new LatencyHistogram();
    const seq = order === 'forward' ? parts : [...parts].reverse();
    for (const p of seq) {
      total.merge(p);
      p.destroy();
    }
    return total;
  };

  const expectedHgrm = whole.toHgrm();
  const expectedSummary = whole.summary();
  t.is(expectedSummary.count, 100_000);
  for (const groups of [2, 4]) {
    for (const order of ['forward', 'reverse'] as const) {
      const m = merged(groups, order);
      t.is(m.toHgrm(), expectedHgrm, `${groups} groups ${order}`);
      t.deepEqual(m.summary(), expectedSummary);
      m.destroy();
    }
  }
  whole.destroy();
});

test('encode/decode round-trips through compressed bytes and still merges identically', (t) => {
  const values = seededValues(7, 20_000);
  const a = new LatencyHistogram();
  const b = new LatencyHistogram();
  const whole = new LatencyHistogram();
  values.forEach((v, i) => {
    (i < 10_000 ? a : b).record(v);
    whole.record(v);
  });
  const bytesA = a.encode();
  const bytesB = b.encode();
  t.true(bytesA instanceof Uint8Array);
  // Compressed: far smaller than the 64-bit count array.
  t.true(bytesA.byteLength < 20_000);
  const decodedA = LatencyHistogram.decode(bytesA);
  const decodedB = LatencyHistogram.decode(bytesB);
  t.is(decodedA.toHgrm(), a.toHgrm());
  decodedA.merge(decodedB);
  t.is(decodedA.toHgrm(), whole.toHgrm());
  t.deepEqual(decodedA.summary(), whole.summary());
  // Encoding is deterministic: equal histograms give equal bytes.
  t.deepEqual(decodedA.encode(), whole.encode());
  for (const h of [a, b, whole, decodedA, decodedB]) h.destroy();
});

test('summary reports microseconds from nanosecond recordings', (t) => {
  const h = new LatencyHistogram();
  for (let i = 1; i <= 1000; i++) h.record(i * 1000); // 1..1000 us
  const s = h.summary();
  t.is(s.count, 1000);
  // 3 significant digits: within 0.1 % of the exact percentile.
  t.true(Math.abs(s.p50 - 500) <= 0.5, `p50 ${s.p50}`);
  t.true(Math.abs(s.p90 - 900) <= 0.9, `p90 ${s.p90}`);
  t.true(Math.abs(s.p99 - 990) <= 1, `p99 ${s.p99}`);
  t.true(Math.abs(s.p999 - 999) <= 1, `p999 ${s.p999}`);
  t.true(Math.abs(s.max - 1000) <= 1, `max ${s.max}`);
  t.true(Math.abs(s.mean - 500.5) <= 0.5, `mean ${s.mean}`);
  const hgrm = h.toHgrm();
  t.regex(hgrm, /Value\s+Percentile\s+TotalCount\s+1\/\(1-Percentile\)/);
  t.regex(hgrm, /#\[Max\s+=\s+1000\.\d+, Total count\s+=\s+1000\]/);
  h.destroy();
});

test('empty histogram summary is all zeros; bad input names the value', (t) => {
  const h = new LatencyHistogram();
  t.deepEqual(h.summary(), { count: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0, mean: 0 });
  t.throws(() => h.record(-1), { message: /valueNs: -1 / });
  t.throws(() => h.record(Number.NaN), { message: /valueNs: NaN / });
  t.throws(() => LatencyHistogram.decode(Uint8Array.of(1, 2, 3)), { message: /not a compressed HdrHistogram/ });
  h.destroy();
  t.throws(() => h.record(1), { message: /after destroy/ });
});

test('.hgrm prints fractions with their leading zeros (34.047 us, not 34.470)', (t) => {
  const h = new LatencyHistogram();
  h.recordWithCount(34_047, 10);
  const hgrm = h.toHgrm();
  t.regex(hgrm, /^\s+34\.047 0\.000000000000\s+10\s+1\.00$/m);
  t.notRegex(hgrm, /34\.470/);
  h.destroy();
});
