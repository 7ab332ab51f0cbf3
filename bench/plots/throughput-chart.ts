// A bar chart of a micro-benchmark's throughput columns, read from its BenchResult rows, so every
// micro suite gets a picture in BENCHMARKS.md without drawing code of its own. Suites name their
// columns "<implementation> <unit>/s ..." ("codec MADs/s (1 core)", "ours ops/s", "Map ops/s"):
// each such column is one bar colour, the implementation its legend entry; the columns left of
// the first throughput column name the case (operation, MAD, table size, ...).
import type { BenchResult } from '../bench-result.js';
import { barChart, type TopLevelSpec } from './charts.js';

export type { TopLevelSpec };

/** A column holding a rate: "ops/s", "MADs/s (1 core)", "roundTripsPerSec", "queries per second". */
const RATE_COLUMN = /\/s\b|per ?sec(ond)?\b/i;
/** The unit inside a rate column's name: "MADs" in "baseline (MADs/s)". */
const RATE_UNIT = /([A-Za-z][\w.-]*)\/s\b/;
/** Longest label line, in characters, before a case name is wrapped. */
const LABEL_LINE_CHARS = 40;
/** Figures spanning more than this factor get a log axis, so small bars stay visible. */
const LOG_RATIO = 30;

export interface ThroughputColumns {
  /** Columns naming the case, in column order. */
  labelColumns: string[];
  /** Rate columns, in column order. */
  rateColumns: string[];
}

/** The rate columns of a row set (numeric, named like a rate) and the case columns before them. */
export function throughputColumns(rows: BenchResult['rows']): ThroughputColumns {
  const columns: string[] = [];
  for (const row of rows) for (const key of Object.keys(row)) if (!columns.includes(key)) columns.push(key);
  const isRate = (c: string): boolean => RATE_COLUMN.test(c) && rows.some((r) => typeof r[c] === 'number') && rows.every((r) => r[c] === undefined || typeof r[c] === 'number');
  const first = columns.findIndex(isRate);
  if (first < 0) return { labelColumns: [], rateColumns: [] };
  return { labelColumns: columns.slice(0, first), rateColumns: columns.filter(isRate) };
}

/** The bar chart of a result's throughput, or undefined when its rows have no rate column. */
export function throughputChart(result: BenchResult): TopLevelSpec | undefined {
  const { labelColumns, rateColumns } = throughputColumns(result.rows);
  if (rateColumns.length === 0) return undefined;

  const split = rateColumns.map(splitRateColumn);
  const units = new Set(split.map((m) => m?.unit));
  // Legend by implementation only when every column splits and all share one unit.
  const byImplementation = split.every((m) => m !== null) && units.size === 1;
  const unit = byImplementation ? `${[...units][0]!}/s` : rateColumns.length === 1 ? rateColumns[0]! : 'throughput';
  const series = rateColumns.map((c, i) => (byImplementation ? split[i]!.implementation : humanize(c)));

  const long: Array<{ case: string; implementation: string; rate: number }> = [];
  const cases: string[] = [];
  for (const [index, row] of result.rows.entries()) {
    const label = caseLabel(row, labelColumns, index);
    if (!cases.includes(label)) cases.push(label);
    rateColumns.forEach((c, i) => {
      const v = row[c];
      if (typeof v === 'number' && Number.isFinite(v)) long.push({ case: label, implementation: series[i]!, rate: v });
    });
  }
  const positive = long.map((r) => r.rate).filter((v) => v > 0);
  const log = positive.length > 0 && Math.max(...positive) / Math.min(...positive) >= LOG_RATIO;
  const longestLine = Math.max(...cases.flatMap((c) => c.split('\n').map((l) => l.length)));
  return barChart(long, 'case', 'rate', rateColumns.length > 1 ? 'implementation' : undefined, {
    title: result.title,
    subtitle: ['higher is better'],
    xTitle: labelColumns.length > 0 ? labelColumns.map(humanize).join(', ') : 'case',
    yTitle: `${perSecond(humanize(unit))}${log ? ', log scale' : ''}`,
    colorTitle: 'implementation',
    log,
    horizontal: cases.length > 6 || longestLine > 18,
  });
}

/**
 * "codec, ring slot (MADs/s, 1 core)" -> implementation "codec, ring slot (1 core)", unit "MADs";
 * "ours ops/s" -> "ours", "ops". Null when the name holds no "<unit>/s".
 */
export function splitRateColumn(column: string): { implementation: string; unit: string } | null {
  const m = RATE_UNIT.exec(column);
  if (m === null) return null;
  const implementation = (column.slice(0, m.index) + column.slice(m.index + m[0].length))
    .replace(/\(\s*,\s*/g, '(')
    .replace(/\s*,\s*\)/g, ')')
    .replace(/\(\s*\)/g, '')
    .replace(/\s+/g, ' ')
    .replace(/^[\s,]+|[\s,]+$/g, '');
  return implementation === '' ? null : { implementation, unit: m[1]! };
}

/** "LID-vGUID lookup" + 1000 entries -> "LID-vGUID lookup, 1,000 entries", wrapped over lines. */
function caseLabel(row: BenchResult['rows'][number], labelColumns: readonly string[], index: number): string {
  const parts = labelColumns
    .map((c) => {
      const v = row[c];
      if (v === undefined || v === '') return '';
      return typeof v === 'number' ? `${groupThousands(v)} ${humanize(c)}` : String(v);
    })
    .filter((p) => p !== '');
  if (parts.length === 0) return `case ${index + 1}`;
  return wrap(parts.join(', '), LABEL_LINE_CHARS).join('\n');
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') lines.push(line);
  return lines;
}

/** "roundTripsPerSec" -> "round trips per sec"; names with spaces are kept. */
function humanize(name: string): string {
  if (/\s/.test(name) || !/[a-z][A-Z]/.test(name)) return name;
  return name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
}

/** "MADs/s (1 core)" -> "MADs per second (1 core)". */
function perSecond(unit: string): string {
  return unit.replace(/\/s\b/, ' per second');
}

function groupThousands(n: number): string {
  if (!Number.isInteger(n)) return String(n);
  const digits = String(Math.abs(n));
  let out = '';
  for (let i = 0; i < digits.length; i++) {
    if (i > 0 && (digits.length - i) % 3 === 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? `-${out}` : out;
}
