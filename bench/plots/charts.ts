// Chart builders: plain data in, vega-lite specs out (render them with renderSvg). One look for
// every figure in BENCHMARKS.md and in papers: a Helvetica-metric sans serif, axis titles that
// carry units, one colour and one marker shape per scheme that stay the same from chart to
// chart (Okabe–Ito colours, which survive colour-blindness and grey-scale printing better than
// the defaults), about 640 x 400 px.
//
// Log axes cannot show zero or negative values. Rather than let vega drop them silently, the
// builders leave such points out and say so in the chart's subtitle: a scheme whose SM sends no
// MADs at all is a result, not a missing line. Legends list only the series drawn.
import type { TopLevelSpec } from 'vega-lite';
import { SCHEMES } from '../../core/scenario/scenario.js';
import { parseHgrm } from './hgrm.js';

export type { TopLevelSpec };

/** Font family every chart declares; text-width.ts holds its metrics. */
export const FONT_FAMILY = 'Helvetica, Arial, "Liberation Sans", "DejaVu Sans", sans-serif';
export const CHART_WIDTH = 640;
export const CHART_HEIGHT = 400;

/** Okabe & Ito's colour-blind-safe palette, most distinct first (yellow last: faint on white). */
const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#F0E442'];
const SHAPES = ['circle', 'square', 'triangle-up', 'diamond', 'cross', 'triangle-down', 'triangle-right', 'triangle-left'];
const DASHES: number[][] = [[1, 0], [6, 3], [2, 2], [8, 3, 2, 3], [4, 4], [1, 3], [10, 4], [3, 6]];

const VEGA_LITE_SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/**
 * Series in a stable order with stable styles: the five schemes in DESIGN.md's order keep their
 * slot (per-pf is always vermilion) whichever subset a chart shows; other names follow in the
 * order first seen.
 */
export function seriesStyles(names: Iterable<string>): { domain: string[]; colors: string[]; shapes: string[]; dashes: number[][] } {
  const present = new Set(names);
  const known = (SCHEMES as readonly string[]).filter((s) => present.has(s));
  const others = [...present].filter((s) => !(SCHEMES as readonly string[]).includes(s));
  const domain = [...known, ...others];
  const slot = (name: string, i: number): number => {
    const k = (SCHEMES as readonly string[]).indexOf(name);
    // Other names start after the scheme slots only when schemes share the chart.
    return k >= 0 ? k : (known.length > 0 ? SCHEMES.length : 0) + (i - known.length);
  };
  const slots = domain.map(slot);
  return {
    domain,
    colors: slots.map((k) => PALETTE[k % PALETTE.length]!),
    shapes: slots.map((k) => SHAPES[k % SHAPES.length]!),
    dashes: slots.map((k) => DASHES[k % DASHES.length]!),
  };
}

/** The shared look; charts add their own size and autosize. */
export function chartConfig() {
  return {
    font: FONT_FAMILY,
    background: 'white',
    padding: 8,
    view: { stroke: '#bbb' },
    axis: {
      labelFontSize: 12,
      titleFontSize: 13,
      titleFontWeight: 'normal' as const,
      titleColor: '#222',
      labelColor: '#222',
      domainColor: '#666',
      tickColor: '#666',
      gridColor: '#e6e6e6',
      titlePadding: 8,
    },
    legend: {
      labelFontSize: 12,
      titleFontSize: 12,
      titleFontWeight: 'bold' as const,
      symbolSize: 90,
      symbolStrokeWidth: 2,
      labelLimit: 280,
    },
    title: {
      fontSize: 15,
      fontWeight: 'bold' as const,
      anchor: 'start' as const,
      subtitleFontSize: 12,
      subtitleColor: '#444',
      offset: 12,
    },
  };
}

/** Options every chart takes. */
export interface ChartText {
  title?: string;
  /** Extra subtitle lines (e.g. the scenario); notes about omitted values are appended. */
  subtitle?: string[];
}

function titleBlock(title: string, subtitle: string[]): { text: string; subtitle?: string[] } {
  return subtitle.length > 0 ? { text: title, subtitle } : { text: title };
}

/** Keeps the points a log axis can draw; notes per series how many it had to leave out. */
function dropNonPositive<T>(rows: readonly T[], series: (r: T) => string, values: Array<(r: T) => number>, axis: string): { kept: T[]; notes: string[] } {
  const kept: T[] = [];
  const dropped = new Map<string, number>();
  const total = new Map<string, number>();
  for (const r of rows) {
    const s = series(r);
    total.set(s, (total.get(s) ?? 0) + 1);
    if (values.every((v) => v(r) > 0)) kept.push(r);
    else dropped.set(s, (dropped.get(s) ?? 0) + 1);
  }
  const notes = [...dropped].map(([s, n]) =>
    n === total.get(s) ? `${s}: every value is 0, not drawn on the log ${axis}` : `${s}: ${n} of ${total.get(s)} points are 0, not drawn on the log ${axis}`,
  );
  return { kept, notes };
}

function checkFinite(value: number, field: string, where: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new RangeError(`${where}: ${field} ${typeof value === 'number' ? String(value) : JSON.stringify(value)} is not a finite number`);
  }
}

/** Log scale with only powers of ten labelled; linear scale otherwise. */
function quantitativeAxis(log: boolean, title: string, format?: string) {
  return {
    scale: log ? { type: 'log' as const, nice: true } : { type: 'linear' as const, zero: false, nice: true },
    axis: log
      ? { title, labelExpr: 'isPowerOf10(datum.value) ? datum.label : ""', format: format ?? ',~r', tickCount: 10, grid: true }
      : { title, format: format ?? ',~r', grid: true },
  };
}

// vega's expression language has no log10 test; this one is exact for the tick values vega makes.
const POWER_OF_10_EXPR = '(abs(log(datum.value) / LN10 - round(log(datum.value) / LN10)) < 1e-9)';

function withPowerOf10(spec: unknown): unknown {
  return JSON.parse(JSON.stringify(spec).replaceAll('isPowerOf10(datum.value)', POWER_OF_10_EXPR));
}

// ---------------------------------------------------------------------------------------------

export interface SmMadsPoint {
  scheme: string;
  hosts: number;
  smMads: number;
}

export interface SmMadsOptions extends ChartText {
  /** Default "SM MADs per migration (sent + received)". */
  yTitle?: string;
  /** Default "fabric size (hosts)". */
  xTitle?: string;
}

/** SM MADs against fabric size, log-log, one line with markers per scheme. */
export function smMadsVsHosts(points: readonly SmMadsPoint[], options: SmMadsOptions = {}): TopLevelSpec {
  points.forEach((p, i) => {
    checkFinite(p.hosts, 'hosts', `smMadsVsHosts point ${i} (${p.scheme})`);
    checkFinite(p.smMads, 'smMads', `smMadsVsHosts point ${i} (${p.scheme})`);
  });
  const { kept, notes } = dropNonPositive(points, (p) => p.scheme, [(p) => p.hosts, (p) => p.smMads], 'axes');
  const styles = seriesStyles(kept.map((p) => p.scheme));
  const values = sortSeries(kept, styles.domain, (p) => p.scheme, (p) => p.hosts).map((p) => ({ scheme: p.scheme, hosts: p.hosts, smMads: p.smMads }));
  const x = quantitativeAxis(true, options.xTitle ?? 'fabric size (hosts)');
  const y = quantitativeAxis(true, options.yTitle ?? 'SM MADs per migration (sent + received)');
  return withPowerOf10({
    $schema: VEGA_LITE_SCHEMA,
    title: titleBlock(options.title ?? 'Subnet-manager MADs per migration against fabric size', [...(options.subtitle ?? []), ...notes]),
    width: CHART_WIDTH,
    height: CHART_HEIGHT,
    autosize: { type: 'fit', contains: 'padding' },
    config: chartConfig(),
    data: { values },
    mark: { type: 'line', point: { filled: true, size: 60 }, strokeWidth: 2 },
    encoding: {
      x: { field: 'hosts', type: 'quantitative', ...x },
      y: { field: 'smMads', type: 'quantitative', ...y },
      color: { field: 'scheme', type: 'nominal', title: 'scheme', scale: { domain: styles.domain, range: styles.colors } },
      shape: { field: 'scheme', type: 'nominal', title: 'scheme', scale: { domain: styles.domain, range: styles.shapes } },
      order: { field: 'hosts', type: 'quantitative' },
    },
  }) as TopLevelSpec;
}

// ---------------------------------------------------------------------------------------------

export interface CdfPoint {
  /** Latency in microseconds. */
  valueUs: number;
  /** Cumulative fraction of samples at or below valueUs, 0..1. */
  percentile: number;
}

export type LatencySeries = { scheme: string; hgrm: string } | { scheme: string; points: readonly CdfPoint[] };

export interface LatencyCdfOptions extends ChartText {
  /** Default "reconnection latency (µs, virtual time)". */
  xTitle?: string;
  /** Default "cumulative fraction of reconnections". */
  yTitle?: string;
  /** Logarithmic latency axis (default true: latencies span orders of magnitude across schemes). */
  logX?: boolean;
}

/** Reconnection-latency CDF, one line per scheme, from .hgrm text or (valueUs, percentile) pairs. */
export function latencyCdf(series: readonly LatencySeries[], options: LatencyCdfOptions = {}): TopLevelSpec {
  const logX = options.logX ?? true;
  const rows: Array<{ scheme: string; valueUs: number; percentile: number }> = [];
  const empty: string[] = [];
  for (const s of series) {
    let pts: readonly CdfPoint[];
    if ('hgrm' in s) {
      pts = parseHgrm(s.hgrm).points;
    } else {
      pts = s.points;
    }
    if (pts.length === 0) empty.push(s.scheme);
    pts.forEach((p, i) => {
      checkFinite(p.valueUs, 'valueUs', `latencyCdf ${s.scheme} point ${i}`);
      if (!(p.percentile >= 0 && p.percentile <= 1)) {
        throw new RangeError(`latencyCdf ${s.scheme} point ${i}: percentile ${p.percentile} is not a fraction in [0, 1]`);
      }
      rows.push({ scheme: s.scheme, valueUs: p.valueUs, percentile: p.percentile });
    });
  }
  const { kept, notes } = logX ? dropNonPositive(rows, (r) => r.scheme, [(r) => r.valueUs], 'latency axis') : { kept: rows, notes: [] };
  const styles = seriesStyles(kept.map((r) => r.scheme));
  // Keep each series in file order (values and percentiles both rise), series in scheme order.
  const values = styles.domain.flatMap((name) => kept.filter((r) => r.scheme === name));
  const emptyNotes = empty.map((s) => `${s}: no reconnections recorded`);
  const x = quantitativeAxis(logX, options.xTitle ?? 'reconnection latency (µs, virtual time)');
  return withPowerOf10({
    $schema: VEGA_LITE_SCHEMA,
    title: titleBlock(options.title ?? 'Reconnection latency, cumulative distribution', [...(options.subtitle ?? []), ...emptyNotes, ...notes]),
    width: CHART_WIDTH,
    height: CHART_HEIGHT,
    autosize: { type: 'fit', contains: 'padding' },
    config: chartConfig(),
    data: { values: values.map((r, i) => ({ ...r, seq: i })) },
    mark: { type: 'line', strokeWidth: 2, interpolate: 'linear' },
    encoding: {
      x: { field: 'valueUs', type: 'quantitative', ...x },
      y: {
        field: 'percentile',
        type: 'quantitative',
        scale: { domain: [0, 1] },
        axis: { title: options.yTitle ?? 'cumulative fraction of reconnections', format: '.2~f', values: [0, 0.25, 0.5, 0.75, 0.9, 1], grid: true },
      },
      color: { field: 'scheme', type: 'nominal', title: 'scheme', scale: { domain: styles.domain, range: styles.colors } },
      strokeDash: { field: 'scheme', type: 'nominal', title: 'scheme', scale: { domain: styles.domain, range: styles.dashes } },
      order: { field: 'seq', type: 'quantitative' },
    },
  }) as TopLevelSpec;
}

// ---------------------------------------------------------------------------------------------

export interface SensitivityPoint {
  scheme: string;
  parameterValue: number;
  metric: number;
}

export interface SensitivityOptions extends ChartText {
  /** Logarithmic parameter axis (default true: sweeps step by factors). */
  logX?: boolean;
  /** Logarithmic metric axis (default true). */
  logY?: boolean;
  /** Draws a dashed rule labelled "default" at the parameter's default value. */
  defaultValue?: number;
}

/**
 * How a metric (p99 reconnection latency, SM busy time, ...) moves with one cost-model parameter
 * (the SM's per-MAD service time), one line per scheme. `parameterName` and `metricName` are the
 * axis titles and should carry units, e.g. "SM service time per MAD (µs)".
 */
export function sensitivity(points: readonly SensitivityPoint[], parameterName: string, metricName: string, options: SensitivityOptions = {}): TopLevelSpec {
  const logX = options.logX ?? true;
  const logY = options.logY ?? true;
  points.forEach((p, i) => {
    checkFinite(p.parameterValue, 'parameterValue', `sensitivity point ${i} (${p.scheme})`);
    checkFinite(p.metric, 'metric', `sensitivity point ${i} (${p.scheme})`);
  });
  const checks: Array<(p: SensitivityPoint) => number> = [];
  if (logX) checks.push((p) => p.parameterValue);
  if (logY) checks.push((p) => p.metric);
  const axes = logX && logY ? 'axes' : 'axis';
  const { kept, notes } = checks.length > 0 ? dropNonPositive(points, (p) => p.scheme, checks, axes) : { kept: [...points], notes: [] };
  const styles = seriesStyles(kept.map((p) => p.scheme));
  const values = sortSeries(kept, styles.domain, (p) => p.scheme, (p) => p.parameterValue).map((p) => ({
    scheme: p.scheme,
    parameterValue: p.parameterValue,
    metric: p.metric,
  }));
  const x = quantitativeAxis(logX, parameterName);
  const y = quantitativeAxis(logY, metricName);
  const lines = {
    mark: { type: 'line', point: { filled: true, size: 60 }, strokeWidth: 2 },
    encoding: {
      x: { field: 'parameterValue', type: 'quantitative', ...x },
      y: { field: 'metric', type: 'quantitative', ...y },
      color: { field: 'scheme', type: 'nominal', title: 'scheme', scale: { domain: styles.domain, range: styles.colors } },
      shape: { field: 'scheme', type: 'nominal', title: 'scheme', scale: { domain: styles.domain, range: styles.shapes } },
      order: { field: 'parameterValue', type: 'quantitative' },
    },
  };
  const layers: unknown[] = [lines];
  if (options.defaultValue !== undefined) {
    checkFinite(options.defaultValue, 'defaultValue', 'sensitivity options');
    layers.unshift({
      data: { values: [{ parameterValue: options.defaultValue, label: 'default' }] },
      mark: { type: 'rule', strokeDash: [4, 4], color: '#888' },
      encoding: { x: { field: 'parameterValue', type: 'quantitative' } },
    });
    layers.push({
      data: { values: [{ parameterValue: options.defaultValue, label: 'default' }] },
      mark: { type: 'text', align: 'left', baseline: 'top', dx: 4, dy: 4, color: '#555', fontSize: 11 },
      encoding: { x: { field: 'parameterValue', type: 'quantitative' }, y: { value: 0 }, text: { field: 'label' } },
    });
  }
  return withPowerOf10({
    $schema: VEGA_LITE_SCHEMA,
    title: titleBlock(options.title ?? `Sensitivity of ${stripUnit(metricName)} to ${stripUnit(parameterName)}`, [...(options.subtitle ?? []), ...notes]),
    width: CHART_WIDTH,
    height: CHART_HEIGHT,
    autosize: { type: 'fit', contains: 'padding' },
    config: chartConfig(),
    data: { values },
    layer: layers,
  }) as TopLevelSpec;
}

/** "SM service time per MAD (µs)" -> "SM service time per MAD". */
function stripUnit(name: string): string {
  return name.replace(/\s*\([^)]*\)\s*$/, '');
}

// ---------------------------------------------------------------------------------------------

export interface BarChartOptions extends ChartText {
  /** Logarithmic value axis (for figures that span orders of magnitude). */
  log?: boolean;
  /** Category axis title (default: the x field name). */
  xTitle?: string;
  /** Value axis title (default: the y field name); give the unit, e.g. "operations per second". */
  yTitle?: string;
  /** Legend title (default: the color field name). */
  colorTitle?: string;
  /**
   * Bars run left to right with the categories down the side: for many categories or long names.
   * Category names may contain "\n" to break the label over lines.
   */
  horizontal?: boolean;
}

/**
 * Bars of `y` per category `x`, grouped side by side by `color` when given (e.g. codec vs
 * baseline). Categories and groups keep the order of `rows`.
 */
export function barChart(
  rows: ReadonlyArray<Record<string, unknown>>,
  x: string,
  y: string,
  color?: string,
  options: BarChartOptions = {},
): TopLevelSpec {
  const log = options.log ?? false;
  // The data goes in under fixed keys: vega-lite reads "." and "[" in a field name as a path into
  // the row, and benchmark columns are named like "ns/MAD (v1.2)".
  const data = rows.map((r, i) => {
    const category = r[x];
    const value = r[y];
    if (category === undefined || category === null) throw new RangeError(`barChart row ${i}: category field ${JSON.stringify(x)} is missing`);
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new RangeError(`barChart row ${i}: value field ${JSON.stringify(y)} is ${JSON.stringify(value)}, not a finite number`);
    }
    let group = y;
    if (color !== undefined) {
      const g = r[color];
      if (g === undefined || g === null) throw new RangeError(`barChart row ${i}: color field ${JSON.stringify(color)} is missing`);
      group = String(g);
    }
    return { category: String(category), value, group };
  });
  // What a screen reader says for a bar (vega would otherwise list the offset channel twice).
  const described = (r: { category: string; value: number; group: string }) => ({
    ...r,
    description: `${options.xTitle ?? x}: ${r.category.replace(/\n/g, ' ')}; ${color === undefined ? '' : `${options.colorTitle ?? color}: ${r.group}; `}${options.yTitle ?? y}: ${plainNumber(r.value)}`,
  });
  const { kept, notes } = log ? dropNonPositive(data, (r) => r.group, [(r) => r.value], 'value axis') : { kept: data, notes: [] };
  const categories = [...new Set(data.map((r) => r.category))];
  const groups = color === undefined ? [] : [...new Set(kept.map((r) => r.group))];
  const styles = seriesStyles(groups);
  const horizontal = options.horizontal ?? false;
  const nGroups = Math.max(1, groups.length);
  const multiLine = categories.some((c) => c.includes('\n'));

  const value = {
    field: 'value',
    type: 'quantitative',
    title: options.yTitle ?? y,
    // Groups stand side by side (offset channel), never stacked: a stack would also put zero
    // into a log scale's domain.
    stack: null,
    scale: log ? { type: 'log', zero: false, nice: true } : { type: 'linear', zero: true, nice: true },
    axis: log
      ? { format: ',~r', labelExpr: 'isPowerOf10(datum.value) ? datum.label : ""', tickCount: 10, grid: true }
      : { format: ',~r', grid: true },
  };
  const category = {
    field: 'category',
    type: 'nominal',
    title: options.xTitle ?? x,
    sort: categories,
    axis: {
      ...(multiLine ? { labelExpr: "split(datum.label, '\\n')" } : {}),
      // vega caps the space an axis takes at maxExtent (200 px), whatever the labels need.
      ...(horizontal ? { labelLimit: 300, maxExtent: 320, labelPadding: 6, labelFontSize: 11 } : { labelAngle: categories.length > 6 ? -30 : 0, labelLimit: 160 }),
      grid: false,
    },
  };
  const encoding: Record<string, unknown> = horizontal ? { y: category, x: value } : { x: category, y: value };
  if (color !== undefined) {
    encoding.color = { field: 'group', type: 'nominal', title: options.colorTitle ?? color, sort: styles.domain, scale: { domain: styles.domain, range: styles.colors } };
    encoding[horizontal ? 'yOffset' : 'xOffset'] = { field: 'group', type: 'nominal', sort: styles.domain };
  } else {
    encoding.color = { value: PALETTE[0] };
  }
  // Discrete axes cannot be fitted to a size, so the bars set it. With an offset channel the
  // step is one bar's; a category's bars together must leave room for its label's lines.
  const lines = multiLine ? Math.max(...categories.map((c) => c.split('\n').length)) : 1;
  const size = horizontal
    ? { width: CHART_WIDTH - 340, height: { step: Math.max(12, Math.ceil((lines * 13 + 8) / nGroups)) } }
    : categories.length * nGroups * 24 > CHART_WIDTH - 160
      ? { width: { step: 24 }, height: CHART_HEIGHT - 120 }
      : { width: CHART_WIDTH - 160, height: CHART_HEIGHT - 120 };
  return withPowerOf10({
    $schema: VEGA_LITE_SCHEMA,
    title: titleBlock(options.title ?? `${y} by ${x}`, [...(options.subtitle ?? []), ...notes]),
    ...size,
    config: chartConfig(),
    data: { values: kept.map(described) },
    mark: { type: 'bar' },
    encoding: { ...encoding, description: { field: 'description', type: 'nominal' } },
  }) as TopLevelSpec;
}

/** 18000000 -> "18,000,000", 0.123456 -> "0.1235": the same on every machine (no locale). */
function plainNumber(value: number): string {
  if (!Number.isInteger(value)) return String(Number(value.toPrecision(4)));
  const digits = String(Math.abs(value));
  let out = '';
  for (let i = 0; i < digits.length; i++) {
    if (i > 0 && (digits.length - i) % 3 === 0) out += ',';
    out += digits[i];
  }
  return value < 0 ? `-${out}` : out;
}

function sortSeries<T>(rows: readonly T[], domain: readonly string[], series: (r: T) => string, x: (r: T) => number): T[] {
  const rank = new Map(domain.map((s, i) => [s, i]));
  return [...rows].sort((a, b) => (rank.get(series(a))! - rank.get(series(b))!) || x(a) - x(b));
}
