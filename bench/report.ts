// Renders BENCHMARKS.md from every BenchResult file under results/.
//
// Benchmark documentation is regenerated from result files, never edited by hand (pino's rule):
// the figures in the repository are then always the ones a command produced. Output is
// deterministic for the same files: suites ordered by their path under results/, rows in file
// order, columns in first-seen order, numbers formatted without the locale.
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, posix, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchResult, PlotRef, TargetCheck } from './bench-result.js';
import { throughputChart, type TopLevelSpec } from './plots/throughput-chart.js';
import { reliabilitySection } from './reliability-table.js';
import { benchMain, isEntryPoint } from './bench-main.js';

export const REPORT_COMMAND = 'npm run report';
export const REPORT_SCRIPT = 'node dist/bench/report.js';

export interface LoadedResult {
  /** Path relative to the results directory, with forward slashes, e.g. "micro/mad-codec.json". */
  path: string;
  result: BenchResult;
  /** Pictures shown under the suite's table (see suitePlots). */
  plots?: PlotImage[];
}

/** An SVG to embed in BENCHMARKS.md. */
export interface PlotImage {
  /** Relative to the results directory, with forward slashes, e.g. "micro/tables-throughput.svg". */
  path: string;
  title: string;
  /** False when a result names the file but it is not there (and has no spec to render it from). */
  exists: boolean;
}

/** Result groups (first directory under results/) whose rate columns get a bar chart each. */
export const THROUGHPUT_CHART_GROUPS: readonly string[] = ['micro', 'native'];
/** File name of a suite's throughput chart, beside its JSON: "<stem>-throughput.svg". */
export const THROUGHPUT_CHART_SUFFIX = '-throughput.svg';

/**
 * Every *.json under `resultsDir` (recursively) that has the BenchResult shape, ordered by path,
 * each with its plots: those its `plots` list names, then the *.svg files beside it whose name
 * starts with its file stem ("tables.json" claims "tables.svg", "tables-throughput.svg").
 */
export function loadBenchResults(resultsDir: string): LoadedResult[] {
  const loaded = loadResultFiles(resultsDir);
  const svgs = listSvgFiles(resultsDir);
  for (const entry of loaded) entry.plots = suitePlots(resultsDir, entry, loaded, svgs);
  return loaded;
}

function loadResultFiles(resultsDir: string): LoadedResult[] {
  const files: string[] = [];
  collectFiles(resultsDir, '.json', files);
  const loaded: LoadedResult[] = [];
  for (const file of files) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'));
    } catch {
      continue; // not JSON: not a result file (e.g. a half-written file from an interrupted run)
    }
    if (isBenchResult(parsed)) {
      loaded.push({ path: relative(resultsDir, file).split(sep).join('/'), result: parsed });
    }
  }
  loaded.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return loaded;
}

function collectFiles(dir: string, extension: string, out: string[]): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const full = join(dir, name);
    let isDir: boolean;
    try {
      isDir = statSync(full).isDirectory();
    } catch {
      continue;
    }
    if (isDir) collectFiles(full, extension, out);
    else if (name.endsWith(extension)) out.push(full);
  }
}

/** True when `value` has every field of BenchResult with the right types. */
export function isBenchResult(value: unknown): value is BenchResult {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as Record<string, unknown>;
  const strings = ['suite', 'title', 'command', 'generatedAt'];
  if (!strings.every((k) => typeof r[k] === 'string')) return false;
  if (!Array.isArray(r.rows) || !r.rows.every((row) => typeof row === 'object' && row !== null && !Array.isArray(row))) {
    return false;
  }
  if (!Array.isArray(r.notes) || !r.notes.every((n) => typeof n === 'string')) return false;
  if (!Array.isArray(r.targets) || !r.targets.every(isTargetCheck)) return false;
  if (r.plots !== undefined && !(Array.isArray(r.plots) && r.plots.every(isPlotRef))) return false;
  const m = r.machine as Record<string, unknown> | null;
  if (typeof m !== 'object' || m === null) return false;
  return (
    typeof m.node === 'string' &&
    typeof m.cpus === 'number' &&
    typeof m.cpuModel === 'string' &&
    typeof m.totalMemoryGiB === 'number' &&
    typeof m.platform === 'string'
  );
}

/** A plot entry: a relative .svg path that stays inside the result's directory, a title, maybe a spec. */
function isPlotRef(value: unknown): value is PlotRef {
  if (typeof value !== 'object' || value === null) return false;
  const p = value as Record<string, unknown>;
  if (typeof p.file !== 'string' || typeof p.title !== 'string') return false;
  if (p.spec !== undefined && (typeof p.spec !== 'object' || p.spec === null || Array.isArray(p.spec))) return false;
  const segments = p.file.split(/[\\/]/);
  return p.file.endsWith('.svg') && !posix.isAbsolute(p.file) && !/^[A-Za-z]:/.test(p.file) && !segments.includes('..') && !segments.includes('');
}

/** Every *.svg under `resultsDir`, relative with forward slashes, ordered by path. */
function listSvgFiles(resultsDir: string): string[] {
  const files: string[] = [];
  collectFiles(resultsDir, '.svg', files);
  return files.map((f) => relative(resultsDir, f).split(sep).join('/')).sort(byPath);
}

function byPath(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** "micro/tables.json" -> directory "micro", stem "tables". */
function splitResultPath(path: string): { dir: string; stem: string } {
  const dir = posix.dirname(path);
  return { dir: dir === '.' ? '' : dir, stem: posix.basename(path, '.json') };
}

/** The plots of one result: its declared ones first, in their order, then the SVGs it claims by name. */
function suitePlots(resultsDir: string, entry: LoadedResult, all: readonly LoadedResult[], svgs: readonly string[]): PlotImage[] {
  const { dir } = splitResultPath(entry.path);
  const plots: PlotImage[] = [];
  const seen = new Set<string>();
  for (const ref of entry.result.plots ?? []) {
    const path = posix.join(dir, ref.file.split('\\').join('/'));
    if (seen.has(path)) continue;
    seen.add(path);
    plots.push({ path, title: ref.title, exists: existsSync(join(resultsDir, path)) });
  }
  for (const svg of svgs) {
    if (!seen.has(svg) && svgOwner(svg, all) === entry) {
      seen.add(svg);
      plots.push({ path: svg, title: svgTitle(join(resultsDir, svg)), exists: true });
    }
  }
  return plots;
}

/**
 * The result an SVG belongs to by name: same directory, and the SVG's name is the result's stem
 * followed by ".svg", "-..." or "....". The longest stem wins ("tables-big.json" over "tables.json").
 */
function svgOwner(svg: string, results: readonly LoadedResult[]): LoadedResult | undefined {
  const svgDir = posix.dirname(svg) === '.' ? '' : posix.dirname(svg);
  const name = posix.basename(svg, '.svg');
  let best: LoadedResult | undefined;
  let bestLength = -1;
  for (const r of results) {
    const { dir, stem } = splitResultPath(r.path);
    if (dir !== svgDir) continue;
    if ((name === stem || name.startsWith(`${stem}-`) || name.startsWith(`${stem}.`)) && stem.length > bestLength) {
      best = r;
      bestLength = stem.length;
    }
  }
  return best;
}

/** The chart title vega wrote into the SVG, else the file name. */
function svgTitle(file: string): string {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    // unreadable: fall back to the name
  }
  const m = /role-title-text[^>]*>\s*<text[^>]*>([^<]+)<\/text>/.exec(text);
  if (m !== null) return decodeXml(m[1]!);
  return posix.basename(file.split(sep).join('/'), '.svg').replace(/[-_]+/g, ' ');
}

function decodeXml(text: string): string {
  return text.replace(/&(lt|gt|quot|apos|amp);/g, (_, e: string) => ({ lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' })[e]!);
}

/** SVGs under `resultsDir` that no result claims by name or lists, ordered by path. */
export function unclaimedPlots(resultsDir: string, results: readonly LoadedResult[]): PlotImage[] {
  const claimed = new Set(results.flatMap((r) => (r.plots ?? []).map((p) => p.path)));
  return listSvgFiles(resultsDir)
    .filter((svg) => !claimed.has(svg) && svgOwner(svg, results) === undefined)
    .map((svg) => ({ path: svg, title: svgTitle(join(resultsDir, svg)), exists: true }));
}

function isTargetCheck(value: unknown): value is TargetCheck {
  if (typeof value !== 'object' || value === null) return false;
  const t = value as Record<string, unknown>;
  return typeof t.name === 'string' && typeof t.target === 'string' && typeof t.measured === 'number' && typeof t.met === 'boolean';
}

/**
 * Formats a table cell: integers and values of 1000 or more as whole numbers with comma groups
 * (23,456,789), smaller values to 3 significant digits (5.23, 0.000123). Never locale-dependent.
 */
export function formatValue(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'string') return value;
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value) || Math.abs(value) >= 1000) return groupThousands(Math.round(value));
  const rounded = Number(value.toPrecision(3));
  return Math.abs(rounded) >= 1000 ? groupThousands(rounded) : String(rounded);
}

function groupThousands(n: number): string {
  const digits = String(Math.abs(n));
  let out = '';
  for (let i = 0; i < digits.length; i++) {
    if (i > 0 && (digits.length - i) % 3 === 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? `-${out}` : out;
}

/** Columns of a row set: the first row's keys in order, then any key first seen later. */
export function tableColumns(rows: ReadonlyArray<Record<string, unknown>>): string[] {
  const columns: string[] = [];
  const seen = new Set<string>();
  for (const row of rows) {
    for (const key of Object.keys(row)) {
      if (!seen.has(key)) {
        seen.add(key);
        columns.push(key);
      }
    }
  }
  return columns;
}

/** Text outside code spans: `<` escaped so `<LIDADDR>` is not taken for an HTML tag. */
function markdownText(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/</g, '\\<').replace(/\r?\n/g, ' ');
}

function markdownCell(text: string): string {
  return markdownText(text).replace(/\|/g, '\\|');
}

function markdownTable(header: string[], body: string[][], numericColumns: boolean[]): string {
  const lines = [
    `| ${header.map(markdownCell).join(' | ')} |`,
    `| ${header.map((_, i) => (numericColumns[i] ? '---:' : '---')).join(' | ')} |`,
  ];
  for (const row of body) lines.push(`| ${row.map(markdownCell).join(' | ')} |`);
  return lines.join('\n');
}

function rowsTable(rows: BenchResult['rows']): string {
  const columns = tableColumns(rows);
  const numeric = columns.map((c) => rows.some((r) => typeof r[c] === 'number') && rows.every((r) => r[c] === undefined || typeof r[c] === 'number'));
  const body = rows.map((row) => columns.map((c) => formatValue(row[c])));
  return markdownTable(columns, body, numeric);
}

function targetsTable(targets: TargetCheck[], suite?: string): string {
  const header = suite === undefined ? ['target', 'required', 'measured', 'met'] : ['suite', 'target', 'required', 'measured', 'met'];
  const numeric = suite === undefined ? [false, false, true, false] : [false, false, false, true, false];
  const body = targets.map((t) => {
    const cells = [t.name, t.target, formatValue(t.measured), t.met ? '✓' : '✗'];
    return suite === undefined ? cells : [suite, ...cells];
  });
  return markdownTable(header, body, numeric);
}

function machineLine(m: BenchResult['machine']): string {
  return `Node ${m.node}, ${m.cpus} × ${m.cpuModel}, ${m.totalMemoryGiB} GiB, ${m.platform}`;
}

/** BENCHMARKS.md for every result under `resultsDir`. */
export function renderBenchmarksMarkdown(resultsDir: string, outPath?: string): string {
  const results = loadBenchResults(resultsDir);
  return renderResults(results, { otherPlots: unclaimedPlots(resultsDir, results), resultsHref: resultsHrefFor(resultsDir, outPath) });
}

export interface RenderOptions {
  /**
   * How BENCHMARKS.md reaches the results directory in image links: "results" (the default, for
   * BENCHMARKS.md at the repository root), "" when it sits inside the results directory.
   */
  resultsHref?: string;
  /** SVGs no result claims; shown in a section of their own at the end. */
  otherPlots?: readonly PlotImage[];
}

/** The results directory as seen from `outPath`'s directory ("results" when no output path is given). */
function resultsHrefFor(resultsDir: string, outPath: string | undefined): string {
  if (outPath === undefined) return 'results';
  return relative(dirname(resolve(outPath)), resolve(resultsDir)).split(sep).join('/');
}

/** `![title](href)` for an SVG under the results directory; path segments URL-encoded. */
function plotMarkdown(plot: PlotImage, resultsHref: string): string {
  const href = [...(resultsHref === '' ? [] : resultsHref.split('/')), ...plot.path.split('/')]
    .map((segment) => (segment === '..' || segment === '.' ? segment : encodeURIComponent(segment)))
    .join('/');
  if (!plot.exists) return `_Plot "${markdownText(plot.title)}": \`results/${plot.path}\` is missing; re-run the suite, then \`${REPORT_COMMAND}\`._`;
  const alt = markdownText(plot.title).replace(/[[\]]/g, (c) => `\\${c}`);
  return `![${alt}](${href})`;
}

/** BENCHMARKS.md for already loaded results (ordered as given). */
export function renderResults(results: readonly LoadedResult[], options: RenderOptions = {}): string {
  const resultsHref = options.resultsHref ?? 'results';
  const otherPlots = options.otherPlots ?? [];
  const out: string[] = [];
  out.push(`<!-- Generated by \`${REPORT_COMMAND}\` (\`${REPORT_SCRIPT}\`) from results/**/*.json. Do not edit by hand: re-run the benchmarks, then the report. -->`);
  out.push('# repath benchmarks');
  out.push('');
  out.push(
    `_This file is generated by \`${REPORT_COMMAND}\` (\`${REPORT_SCRIPT}\`) from the result files under \`results/\`; edits by hand are overwritten. \`repath bench\` runs the suites and regenerates it._`,
  );
  out.push('');
  if (results.length === 0) {
    out.push('No benchmark results yet: run `repath bench` (or `npm start`).');
    out.push('');
    return out.join('\n');
  }

  const allTargets = results.flatMap(({ result }) => result.targets.map((t) => ({ suite: result.suite, t })));
  const met = allTargets.filter(({ t }) => t.met).length;
  out.push('## Targets');
  out.push('');
  if (allTargets.length === 0) {
    out.push('No suite declares a target.');
  } else {
    out.push(`${met} of ${allTargets.length} targets met.`);
    out.push('');
    const header = ['suite', 'target', 'required', 'measured', 'met'];
    const body = allTargets.map(({ suite, t }) => [suite, t.name, t.target, formatValue(t.measured), t.met ? '✓' : '✗']);
    out.push(markdownTable(header, body, [false, false, false, true, false]));
  }
  out.push('');

  // Issue 7 item 7: faults injected, inputs tried, retries spent, updates lost (bench/reliability-table.ts).
  out.push(...reliabilitySection(results));

  out.push('## Suites');
  out.push('');
  for (const { path, result } of results) {
    out.push(`- [${markdownCell(result.title)}](#${anchorOf(result.title)}) — \`results/${path}\``);
  }
  out.push('');

  for (const loaded of results) {
    const { path, result } = loaded;
    out.push(`## ${markdownText(result.title)}`);
    out.push('');
    out.push(`- Suite: \`${result.suite}\`, file \`results/${path}\`, generated ${result.generatedAt}`);
    out.push(`- Reproduce: \`${result.command}\``);
    out.push(`- Machine: ${machineLine(result.machine)}`);
    out.push('');
    if (result.rows.length > 0) {
      out.push(rowsTable(result.rows));
      out.push('');
    }
    for (const plot of loaded.plots ?? []) {
      out.push(plotMarkdown(plot, resultsHref));
      out.push('');
    }
    if (result.targets.length > 0) {
      out.push('Targets:');
      out.push('');
      out.push(targetsTable(result.targets));
      out.push('');
    }
    if (result.notes.length > 0) {
      out.push('Notes:');
      out.push('');
      for (const note of result.notes) out.push(`- ${markdownText(note)}`);
      out.push('');
    }
  }
  if (otherPlots.length > 0) {
    out.push('## Other plots');
    out.push('');
    for (const plot of otherPlots) {
      out.push(plotMarkdown(plot, resultsHref));
      out.push('');
      out.push(`\`results/${plot.path}\``);
      out.push('');
    }
  }
  return out.join('\n');
}

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens. */
function anchorOf(title: string): string {
  return title
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .trim()
    .replace(/\s/g, '-');
}

/**
 * Renders and writes BENCHMARKS.md with the SVGs already on disk; returns how many suites it
 * holds. writeBenchmarksReport also draws the charts first.
 */
export function writeBenchmarksMarkdown(resultsDir: string, outPath: string): { path: string; suites: number } {
  const results = loadBenchResults(resultsDir);
  writeFileSync(outPath, renderResults(results, { otherPlots: unclaimedPlots(resultsDir, results), resultsHref: resultsHrefFor(resultsDir, outPath) }));
  return { path: outPath, suites: results.length };
}

/**
 * Draws every chart the results call for, beside their JSON files:
 * - each `plots` entry that carries a vega-lite spec, at its `file`;
 * - for results under THROUGHPUT_CHART_GROUPS with no `plots` list, a bar chart of their rate
 *   columns at "<stem>-throughput.svg" (throughputChart).
 * Files whose content would not change are left alone. Returns the paths written or checked,
 * relative to `resultsDir`, in result order.
 */
export async function writeSuitePlots(resultsDir: string): Promise<string[]> {
  const results = loadResultFiles(resultsDir);
  const jobs: Array<{ path: string; spec: TopLevelSpec }> = [];
  for (const { path, result } of results) {
    const { dir, stem } = splitResultPath(path);
    if (result.plots !== undefined) {
      for (const ref of result.plots) {
        if (ref.spec !== undefined) jobs.push({ path: posix.join(dir, ref.file.split('\\').join('/')), spec: ref.spec });
      }
    } else if (THROUGHPUT_CHART_GROUPS.includes(dir.split('/')[0]!)) {
      const spec = throughputChart(result);
      if (spec !== undefined) jobs.push({ path: posix.join(dir, `${stem}${THROUGHPUT_CHART_SUFFIX}`), spec });
    }
  }
  if (jobs.length === 0) return [];
  // vega is loaded only when there is something to draw: the report itself does not need it.
  const { renderSvg } = await import('./plots/render-svg.js');
  const done: string[] = [];
  for (const job of jobs) {
    const file = join(resultsDir, job.path);
    const svg = await renderSvg(job.spec);
    let current: string | undefined;
    try {
      current = readFileSync(file, 'utf8');
    } catch {
      current = undefined;
    }
    if (current !== svg) {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, svg);
    }
    done.push(job.path);
  }
  return done;
}

/** Draws the charts (writeSuitePlots), then writes BENCHMARKS.md; what `npm run report` does. */
export async function writeBenchmarksReport(resultsDir: string, outPath: string): Promise<{ path: string; suites: number; plots: string[] }> {
  const plots = await writeSuitePlots(resultsDir);
  return { ...writeBenchmarksMarkdown(resultsDir, outPath), plots };
}

/** The repository root, found from this module's place in dist/bench/ (or bench/ when run from source). */
export function repositoryRoot(): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  const up = here.split(sep).includes('dist') ? '../..' : '..';
  return resolve(here, up);
}

if (isEntryPoint(import.meta.url)) {
  await benchMain(
    {
      script: 'report.js',
      about: 'Draws the charts of the results (SVG beside their JSON) and regenerates BENCHMARKS.md from every\nBenchResult file under results/, with the charts embedded.',
      flags: {
        'results-dir': { type: 'string', valueName: 'DIR', description: 'where the result files are [default: results/]' },
        out: { type: 'string', valueName: 'FILE', description: 'the file to write [default: BENCHMARKS.md]' },
      },
    },
    async (flags) => {
      const resultsDir = resolve(flags['results-dir'] ?? join(repositoryRoot(), 'results'));
      const outPath = resolve(flags.out ?? join(repositoryRoot(), 'BENCHMARKS.md'));
      const { path, suites, plots } = await writeBenchmarksReport(resultsDir, outPath);
      const drawn = plots.length > 0 ? ` and ${plots.length} chart${plots.length === 1 ? '' : 's'}` : '';
      process.stderr.write(`report: wrote ${path} from ${suites} result file${suites === 1 ? '' : 's'}${drawn}\n`);
    },
  );
}
