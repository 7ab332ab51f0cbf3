// Plain-text tables for the terminal, with the same cell formatting as BENCHMARKS.md.
import { formatValue, tableColumns } from '../../bench/report.js';

/** Renders rows as an aligned table: text columns left-aligned, numeric columns right-aligned. */
export function renderTextTable(rows: ReadonlyArray<Record<string, string | number | boolean>>): string {
  const columns = tableColumns(rows);
  const numeric = columns.map((c) => rows.every((r) => r[c] === undefined || typeof r[c] === 'number'));
  const cells = rows.map((row) => columns.map((c) => formatValue(row[c])));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i]!.length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => (numeric[i] ? v.padStart(widths[i]!) : v.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(columns), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}
