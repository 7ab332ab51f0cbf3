import test from 'ava';
import { LatencyHistogram } from '../core/metrics/latency-histogram.js';
import { Xoshiro128 } from '../core/random.js';
import type { BenchResult } from '../bench/bench-result.js';
import { barChart, latencyCdf, sensitivity, seriesStyles, smMadsVsHosts, type SmMadsPoint } from '../bench/plots/charts.js';
import { renderSvg } from '../bench/plots/render-svg.js';
import { splitRateColumn, throughputChart, throughputColumns } from '../bench/plots/throughput-chart.js';

test.before(async () => {
  await LatencyHistogram.ready();
});

// --- a small SVG reader: enough XML to check well-formedness and find the text a reader sees ---

interface SvgText {
  text: string;
  x: number;
  y: number;
}

/** Throws unless every element opened is closed in order; returns the element names seen. */
function checkWellFormed(svg: string): string[] {
  const stack: string[] = [];
  const names: string[] = [];
  for (const m of svg.matchAll(/<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"]*")*)\s*(\/?)>/g)) {
    const [, closing, name, , selfClosing] = m;
    names.push(name!);
    if (closing) {
      const open = stack.pop();
      if (open !== name) throw new Error(`</${name}> closes <${open}>`);
    } else if (!selfClosing) {
      stack.push(name!);
    }
  }
  if (stack.length > 0) throw new Error(`unclosed: ${stack.join(', ')}`);
  // Nothing but tags and text between them: a stray "<" or ">" would have broken the match above.
  const stripped = svg.replace(/<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"]*")*)\s*(\/?)>/g, '');
  if (/[<>]/.test(stripped)) throw new Error('stray angle bracket outside a tag');
  return names;
}

function decode(text: string): string {
  return text.replace(/&(lt|gt|quot|apos|amp);/g, (_, e: string) => ({ lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' })[e]!);
}

/** Text elements (tspans joined by "\n") with their translate() position, grouped by vega role. */
function textsByRole(svg: string): Map<string, SvgText[]> {
  const out = new Map<string, SvgText[]>();
  for (const group of svg.matchAll(/<g class="mark-text role-([\w-]+)[^"]*"[^>]*>(.*?)<\/g>/g)) {
    const role = group[1]!;
    const list = out.get(role) ?? [];
    // vega writes an empty label (a log axis's unlabelled tick) as <text .../>.
    for (const t of group[2]!.matchAll(/<text((?:\s+[\w:-]+="[^"]*")*)\s*(?:\/>|>(.*?)<\/text>)/g)) {
      const pos = /translate\((-?[\d.e+-]+),(-?[\d.e+-]+)\)/.exec(t[1]!);
      const body = t[2] ?? '';
      const spans = [...body.matchAll(/<tspan[^>]*>(.*?)<\/tspan>/g)].map((s) => decode(s[1]!));
      list.push({ text: spans.length > 0 ? spans.join('\n') : decode(body), x: Number(pos?.[1] ?? NaN), y: Number(pos?.[2] ?? NaN) });
    }
    out.set(role, list);
  }
  return out;
}

/** Every text element, whole (lines joined by "\n") and line by line. */
function allText(svg: string): string[] {
  return [...textsByRole(svg).values()].flat().flatMap((t) => (t.text.includes('\n') ? [t.text, ...t.text.split('\n')] : [t.text]));
}

function assertSvg(t: import('ava').ExecutionContext, svg: string): void {
  t.true(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'), svg.slice(0, 80));
  t.true(svg.endsWith('</svg>\n'));
  t.notThrows(() => checkWellFormed(svg));
}

/** Labels of one axis as (value, position): the bottom axis varies in x, the left one in y. */
function axisTicks(labels: SvgText[], along: 'x' | 'y'): Array<{ value: number; at: number }> {
  return labels.filter((l) => l.text !== '').map((l) => ({ value: Number(l.text.replace(/,/g, '')), at: along === 'x' ? l.x : l.y }));
}

/** True when the labelled ticks are exactly powers of ten at equal distances: a log axis. */
function isLogAxis(ticks: Array<{ value: number; at: number }>): boolean {
  if (ticks.length < 3) return false;
  const logs = ticks.map((tk) => Math.log10(tk.value));
  if (!logs.every((l) => Math.abs(l - Math.round(l)) < 1e-9)) return false;
  const gap = (ticks[1]!.at - ticks[0]!.at) / (logs[1]! - logs[0]!);
  return ticks.every((tk, i) => Math.abs(tk.at - ticks[0]!.at - gap * (logs[i]! - logs[0]!)) < 0.5);
}

/** The two axis-label groups: the one whose labels share a y is the x axis. */
function axes(svg: string): { x: SvgText[]; y: SvgText[] } {
  const groups = [...svg.matchAll(/<g class="mark-text role-axis-label"[^>]*>(.*?)<\/g>/g)].map((g) => textsByRole(`<g class="mark-text role-axis-label">${g[1]}</g>`).get('axis-label')!);
  const x = groups.find((g) => g.length > 1 && g.every((l) => l.y === g[0]!.y))!;
  const y = groups.find((g) => g !== x)!;
  return { x, y };
}

// --- data ---

const HOSTS = [64, 256, 1024, 4096, 16384, 49151];

/** The closed forms of DESIGN.md for V = 16: per-vguid 2N, per-pf 2H, per-pf-interest 2*H_x (8 here), none for the others. */
function smMadsPoints(): SmMadsPoint[] {
  return HOSTS.flatMap((h) => [
    { scheme: 'per-vguid', hosts: h, smMads: 2 * h * 16 },
    { scheme: 'per-pf', hosts: h, smMads: 2 * h },
    { scheme: 'per-pf-interest', hosts: h, smMads: 16 },
    { scheme: 'dynamic', hosts: h, smMads: 0 },
  ]);
}

function seededHgrm(seed: number, baseNs: number): string {
  const rng = new Xoshiro128(seed);
  const h = new LatencyHistogram();
  for (let i = 0; i < 2000; i++) h.record(baseNs * (1 + 4 * rng.nextFloat() ** 3));
  const text = h.toHgrm();
  h.destroy();
  return text;
}

// --- tests ---

test('smMadsVsHosts: valid SVG with every drawn scheme, axis titles with units, log-log axes', async (t) => {
  const spec = smMadsVsHosts(smMadsPoints(), { subtitle: ['16 VMs per host'] });
  const svg = await renderSvg(spec);
  assertSvg(t, svg);
  const texts = allText(svg);
  for (const s of ['per-vguid', 'per-pf', 'per-pf-interest']) t.true(texts.includes(s), s);
  t.true(texts.includes('fabric size (hosts)'));
  t.true(texts.includes('SM MADs per migration (sent + received)'));
  t.true(texts.includes('16 VMs per host'));
  // A scheme with no SM MADs cannot sit on a log axis: left out, and the chart says so.
  t.true(texts.includes('dynamic: every value is 0, not drawn on the log axes'));
  t.false(texts.includes('dynamic'));
  const { x, y } = axes(svg);
  t.true(isLogAxis(axisTicks(x, 'x')), JSON.stringify(x));
  t.true(isLogAxis(axisTicks(y, 'y')), JSON.stringify(y));
  // 64 .. 49,151 hosts: the x axis covers 10 .. 100,000 in decades.
  t.deepEqual(axisTicks(x, 'x').map((tk) => tk.value), [10, 100, 1000, 10_000, 100_000]);
  // The spec carries the data in scheme order (DESIGN.md's), then by hosts.
  const values = (spec as { data: { values: SmMadsPoint[] } }).data.values;
  t.deepEqual([...new Set(values.map((v) => v.scheme))], ['per-vguid', 'per-pf', 'per-pf-interest']);
  t.deepEqual(values.filter((v) => v.scheme === 'per-pf').map((v) => v.hosts), HOSTS);
});

test('renderSvg is deterministic: the same spec gives byte-identical SVG, whatever was rendered before', async (t) => {
  const spec = smMadsVsHosts(smMadsPoints());
  const first = await renderSvg(spec);
  // A chart with clip paths in between: vega numbers them from a process-wide counter.
  await renderSvg(sensitivity([{ scheme: 'per-pf', parameterValue: 1, metric: 2 }, { scheme: 'per-pf', parameterValue: 10, metric: 20 }], 'p (µs)', 'm (µs)', { defaultValue: 2 }));
  const second = await renderSvg(spec);
  t.is(second, first);
  t.false(/\d{4}-\d\d-\d\dT\d\d:/.test(first), 'no timestamps');
  const cdf = latencyCdf([{ scheme: 'per-pf', hgrm: seededHgrm(7, 30_000) }]);
  t.is(await renderSvg(cdf), await renderSvg(cdf));
  // A clipped mark: its clip path id and reference come out the same on every render.
  const clipped = {
    width: 100,
    height: 50,
    data: { values: [{ x: 1, y: 5 }, { x: 2, y: 50 }] },
    mark: { type: 'line' as const, clip: true },
    encoding: { x: { field: 'x', type: 'quantitative' as const }, y: { field: 'y', type: 'quantitative' as const, scale: { domain: [0, 10] } } },
  };
  const c1 = await renderSvg(clipped);
  const c2 = await renderSvg(clipped);
  t.is(c2, c1);
  t.deepEqual(c1.match(/id="[^"]*"|url\(#[^)]*\)/g), ['url(#p1)', 'id="p1"']);
});

test('latencyCdf: one line per scheme from real .hgrm text and from (valueUs, percentile) pairs', async (t) => {
  const spec = latencyCdf([
    { scheme: 'per-vguid', hgrm: seededHgrm(1, 400_000) },
    { scheme: 'per-pf', hgrm: seededHgrm(2, 40_000) },
    { scheme: 'custom', points: [{ valueUs: 5, percentile: 0 }, { valueUs: 50, percentile: 0.5 }, { valueUs: 500, percentile: 1 }] },
    { scheme: 'per-pf-interest', points: [] },
  ]);
  const svg = await renderSvg(spec);
  assertSvg(t, svg);
  const texts = allText(svg);
  for (const s of ['per-vguid', 'per-pf', 'custom']) t.true(texts.includes(s), s);
  t.true(texts.includes('reconnection latency (µs, virtual time)'));
  t.true(texts.includes('cumulative fraction of reconnections'));
  t.true(texts.includes('per-pf-interest: no reconnections recorded'));
  const { x, y } = axes(svg);
  t.true(isLogAxis(axisTicks(x, 'x')));
  t.deepEqual(axisTicks(y, 'y').map((tk) => tk.value), [0, 0.25, 0.5, 0.75, 0.9, 1]);
  // Each scheme's rows are in the file's order: percentiles never fall within a series.
  const rows = (spec as { data: { values: Array<{ scheme: string; percentile: number; valueUs: number }> } }).data.values;
  for (const scheme of ['per-vguid', 'per-pf']) {
    const own = rows.filter((r) => r.scheme === scheme);
    t.true(own.length > 10);
    t.true(own.every((r, i) => i === 0 || (r.percentile >= own[i - 1]!.percentile && r.valueUs >= own[i - 1]!.valueUs)));
    t.is(own[own.length - 1]!.percentile, 1);
  }
  // A linear latency axis when asked.
  const linear = await renderSvg(latencyCdf([{ scheme: 'per-pf', hgrm: seededHgrm(2, 40_000) }], { logX: false }));
  t.false(isLogAxis(axisTicks(axes(linear).x, 'x')));
  t.throws(() => latencyCdf([{ scheme: 'bad', points: [{ valueUs: 1, percentile: 1.5 }] }]), { message: /latencyCdf bad point 0: percentile 1.5/ });
});

test('sensitivity: metric against the SM service time per scheme, log or linear, with the default marked', async (t) => {
  const points = [0.5, 1, 2, 5, 10, 20].flatMap((us) => [
    { scheme: 'per-vguid', parameterValue: us, metric: us * 16_000 },
    { scheme: 'per-pf', parameterValue: us, metric: us * 1_000 + 50 },
  ]);
  const svg = await renderSvg(sensitivity(points, 'SM service time per MAD (µs)', 'p99 reconnection latency (µs)', { defaultValue: 2 }));
  assertSvg(t, svg);
  const texts = allText(svg);
  for (const s of ['per-vguid', 'per-pf', 'SM service time per MAD (µs)', 'p99 reconnection latency (µs)', 'default']) t.true(texts.includes(s), s);
  t.true(texts.includes('Sensitivity of p99 reconnection latency to SM service time per MAD'));
  const logAxes = axes(svg);
  t.true(isLogAxis(axisTicks(logAxes.x, 'x')));
  t.true(isLogAxis(axisTicks(logAxes.y, 'y')));
  const linear = await renderSvg(sensitivity(points, 'SM service time per MAD (µs)', 'SM busy time (ms)', { logX: false, logY: false }));
  assertSvg(t, linear);
  const linAxes = axes(linear);
  t.false(isLogAxis(axisTicks(linAxes.x, 'x')));
  t.false(isLogAxis(axisTicks(linAxes.y, 'y')));
  t.false(allText(linear).includes('default'));
  t.throws(() => sensitivity([{ scheme: 'x', parameterValue: Number.NaN, metric: 1 }], 'p', 'm'), { message: /parameterValue NaN is not a finite number/ });
});

test('barChart: grouped bars in row order, log option, errors name the field', async (t) => {
  const rows = [
    { op: 'decode Notice', impl: 'codec', rate: 18e6 },
    { op: 'decode Notice', impl: 'baseline', rate: 2e5 },
    { op: 'encode PathRecord', impl: 'codec', rate: 1.6e6 },
    { op: 'encode PathRecord', impl: 'baseline', rate: 5e5 },
  ];
  const log = barChart(rows, 'op', 'rate', 'impl', { log: true, xTitle: 'operation', yTitle: 'MADs per second (1 core)' });
  const svg = await renderSvg(log);
  assertSvg(t, svg);
  const texts = allText(svg);
  for (const s of ['codec', 'baseline', 'decode Notice', 'encode PathRecord', 'operation', 'MADs per second (1 core)']) t.true(texts.includes(s), s);
  t.true(isLogAxis(axisTicks(axes(svg).y, 'y')));
  // One bar per row, all drawn.
  // One bar per row, all drawn, each described by its category, group and value.
  const bars = svg.match(/<path aria-label="[^"]*" role="graphics-symbol" aria-roledescription="bar"/g) ?? [];
  t.is(bars.length, 4);
  t.true(svg.includes('aria-label="operation: decode Notice; impl: baseline; MADs per second (1 core): 200,000" role="graphics-symbol" aria-roledescription="bar"'));
  // Field names with "." or "[" are data, not paths.
  const dotted = await renderSvg(barChart([{ 'case v1.2': 'a', 'ns/op [p50]': 3 }], 'case v1.2', 'ns/op [p50]'));
  t.is(dotted.match(/aria-roledescription="bar"/g)?.length, 1);
  t.true(allText(dotted).includes('ns/op [p50]'));
  const linear = await renderSvg(barChart(rows, 'op', 'rate', 'impl'));
  t.false(isLogAxis(axisTicks(axes(linear).y, 'y')));
  // Sideways with labels over two lines.
  const sideways = await renderSvg(barChart(rows.map((r) => ({ ...r, op: r.op.replace(' ', '\n') })), 'op', 'rate', 'impl', { horizontal: true, log: true }));
  assertSvg(t, sideways);
  t.true(allText(sideways).includes('decode\nNotice'));
  t.true(isLogAxis(axisTicks(axes(sideways).x, 'x')));
  t.throws(() => barChart([{ op: 'a', rate: 'fast' }], 'op', 'rate'), { message: 'barChart row 0: value field "rate" is "fast", not a finite number' });
  t.throws(() => barChart([{ rate: 1 }], 'op', 'rate'), { message: 'barChart row 0: category field "op" is missing' });
});

test('seriesStyles: a scheme keeps its colour and marker whichever schemes share the chart', (t) => {
  const all = seriesStyles(['per-pf-interest', 'dynamic', 'per-pf', 'static-no-signal', 'per-vguid']);
  t.deepEqual(all.domain, ['dynamic', 'static-no-signal', 'per-vguid', 'per-pf', 'per-pf-interest']);
  const some = seriesStyles(['per-pf', 'extra']);
  t.deepEqual(some.domain, ['per-pf', 'extra']);
  t.is(some.colors[0], all.colors[3]);
  t.is(some.shapes[0], all.shapes[3]);
  t.false(all.colors.includes(some.colors[1]!), 'a non-scheme series takes a colour no scheme uses');
  t.is(new Set(all.colors).size, 5);
  // Without schemes, series start at the first (strongest) colour.
  t.deepEqual(seriesStyles(['codec', 'baseline']).colors, [all.colors[0], all.colors[1]]);
});

function micro(rows: BenchResult['rows']): BenchResult {
  return {
    suite: 'mad-codec',
    title: 'MAD codec vs baseline',
    command: 'node dist/bench/mad-codec.bench.js',
    rows,
    targets: [],
    notes: [],
    machine: { node: 'v20.0.0', cpus: 2, cpuModel: 'Test CPU', totalMemoryGiB: 8, platform: 'linux x64' },
    generatedAt: '2026-11-26T03:00:00.000Z',
  };
}

test('throughputChart: one bar colour per rate column, cases named by the columns before them', async (t) => {
  t.deepEqual(splitRateColumn('codec, ring slot (MADs/s, 1 core)'), { implementation: 'codec, ring slot (1 core)', unit: 'MADs' });
  t.deepEqual(splitRateColumn('baseline (MADs/s)'), { implementation: 'baseline', unit: 'MADs' });
  t.deepEqual(splitRateColumn('Map ops/s'), { implementation: 'Map', unit: 'ops' });
  t.is(splitRateColumn('roundTripsPerSec'), null);

  const rows = [
    { operation: 'decode', mad: 'Notice (RePath Report)', 'codec (MADs/s, 1 core)': 26e6, 'baseline (MADs/s)': 146_267, 'codec ns/MAD': 38.1 },
    { operation: 'encode', mad: 'PathRecord (GetResp)', 'codec (MADs/s, 1 core)': 1.6e6, 'baseline (MADs/s)': 494_539, 'codec ns/MAD': 598 },
  ];
  t.deepEqual(throughputColumns(rows), { labelColumns: ['operation', 'mad'], rateColumns: ['codec (MADs/s, 1 core)', 'baseline (MADs/s)'] });
  const spec = throughputChart(micro(rows));
  t.not(spec, undefined);
  const svg = await renderSvg(spec!);
  assertSvg(t, svg);
  const texts = allText(svg);
  for (const s of ['codec (1 core)', 'baseline', 'MAD codec vs baseline', 'higher is better', 'operation, mad', 'MADs per second, log scale']) t.true(texts.includes(s), s);
  t.true(texts.some((s) => s.startsWith('decode, Notice (RePath')), texts.join(' | '));
  t.is(svg.match(/aria-roledescription="bar"/g)?.length, 4);

  // Numeric case columns read as "1,000 entries"; one rate column draws one colour, no legend.
  const single = throughputChart(micro([
    { bench: 'lookup', entries: 1000, roundTripsPerSec: 10_655 },
    { bench: 'lookup', entries: 100_000, roundTripsPerSec: 7_586 },
  ]));
  const singleSvg = await renderSvg(single!);
  t.true(allText(singleSvg).includes('lookup, 1,000 entries'));
  t.true(allText(singleSvg).includes('round trips per sec'));
  t.false(singleSvg.includes('role-legend'));
  // No rate column, no chart.
  t.is(throughputChart(micro([{ case: 'x', ms: 981, vms: 786_416 }])), undefined);
});
