// The reliability table of BENCHMARKS.md (issue 7 item 7), generated from results/reliability/*.json:
// per source of faults (MAD loss, hostile input, load, crashes and restarts) the faults injected,
// the inputs tried, the retries spent and the updates lost. "Updates lost" is always a sum of
// counts a run measured — cache entries stale at the end plus updates abandoned (given up for
// good), or a suite's own "updates lost" / "silent losses" column — never a constant; the
// section says which columns each row was read from.
//
// Suites are read by their column names, so a new result file under results/reliability/ shows
// up here without a change (its row says which columns it contributed).
import type { BenchResult } from './bench-result.js';
import { isSignalling } from '../core/schemes.js';
import { SCHEMES, type SchemeName } from '../core/scenario/scenario.js';

/** A known signalling scheme (a row naming no known scheme counts as one). */
const signals = (name: string): boolean => !(SCHEMES as readonly string[]).includes(name) || isSignalling(name as SchemeName);

export interface ReliabilityRow {
  source: string;
  /** results/... path of the file the row was read from. */
  file: string;
  fault: string;
  faultsInjected: number;
  inputsTried: number;
  retriesSpent: number;
  updatesLost: number;
  /** Which columns the figures came from. */
  basis: string;
}

type Row = Record<string, string | number>;

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
const sum = (rows: readonly Row[], key: string): number => rows.reduce((s, r) => s + num(r[key]), 0);
const has = (rows: readonly Row[], key: string): boolean => rows.some((r) => key in r);

/** Columns that count re-sends or re-drives, by name. */
function retryColumns(rows: readonly Row[]): string[] {
  const keys = new Set<string>();
  for (const r of rows) for (const k of Object.keys(r)) if (/retr|re-send|re-drive|redrive/i.test(k)) keys.add(k);
  return [...keys];
}

/** "updates lost" of a set of rows: the suite's own column, else stale + abandoned (+ silent losses). */
function lostOf(rows: readonly Row[]): { lost: number; basis: string } {
  for (const k of ['updates lost', 'lost updates']) if (has(rows, k)) return { lost: sum(rows, k), basis: `"${k}"` };
  const parts: string[] = [];
  let lost = 0;
  for (const k of ['stale entries', 'stale', 'updates abandoned', 'abandoned', 'silent losses', 'lost']) {
    if (has(rows, k)) {
      lost += sum(rows, k);
      parts.push(`"${k}"`);
    }
  }
  return { lost, basis: parts.length > 0 ? parts.join(' + ') : 'no loss column' };
}

function firstColumn(rows: readonly Row[], keys: readonly string[]): { value: number; key: string } {
  for (const k of keys) if (has(rows, k)) return { value: sum(rows, k), key: k };
  return { value: 0, key: '' };
}

/** One or more table rows from one reliability result. */
export function reliabilityRowsOf(path: string, result: BenchResult): ReliabilityRow[] {
  const rows = result.rows as Row[];
  const file = `results/${path}`;
  const retries = (rs: readonly Row[]) => retryColumns(rs).reduce((s, k) => s + sum(rs, k), 0);
  if (result.suite === 'loss') {
    // One row per loss rate and kind mask (the lossless baselines inject nothing).
    const groups = new Map<string, Row[]>();
    for (const r of rows) {
      if (num(r['loss %']) === 0) continue;
      const key = `${String(r['loss %'])}% loss of ${r['lost kinds'] === 'all' ? 'every MAD kind' : `${String(r['lost kinds'])}s`}`;
      groups.set(key, [...(groups.get(key) ?? []), r]);
    }
    return [...groups].map(([fault, rs]) => {
      const { lost, basis } = lostOf(rs);
      return {
        source: `MAD loss (${[...new Set(rs.map((r) => String(r['scheme'])))].join(', ')})`,
        file,
        fault,
        faultsInjected: sum(rs, 'MADs dropped'),
        inputsTried: sum(rs, 'SM MADs'),
        retriesSpent: retries(rs),
        updatesLost: lost,
        basis: `faults "MADs dropped", inputs "SM MADs", retries ${retryColumns(rs).map((k) => `"${k}"`).join(' + ')}, lost ${basis}`,
      };
    });
  }
  if (result.suite === 'fuzz') {
    const inputs = sum(rows, 'inputs');
    const lost = sum(rows, 'silent losses') + sum(rows, 'unanswered');
    return [
      {
        source: `Hostile MADs (${rows.map((r) => String(r['target'])).join(', ')})`,
        file,
        fault: 'random and mutated MADs into the decoder and the SA, Dom0 and VM handlers',
        faultsInjected: inputs,
        inputsTried: inputs,
        retriesSpent: 0,
        updatesLost: lost,
        basis: 'faults and inputs "inputs", lost "silent losses" + "unanswered" (crashes and wrong answers are the suite\'s targets)',
      },
    ];
  }
  if (result.suite === 'load') {
    // Baselines without notices (dynamic, static-no-signal) carry no updates: not counted here.
    const signalling = rows.filter((r) => signals(String(r['scheme'])));
    const { basis } = lostOf(signalling);
    return signalling.map((r) => ({
      source: `Load (${String(r['scheme'])}${r['cost'] !== undefined && r['cost'] !== 'default' ? `, ${String(r['cost'])}` : ''})`,
      file,
      fault: `${String(r['storm %'])}% of ${num(r['VMs']).toLocaleString('en-US')} VMs migrating in one 100 ms window`,
      faultsInjected: num(r['migrations']),
      inputsTried: num(r['SA requests']) + num(r['SM Reports']),
      retriesSpent: retries([r]),
      updatesLost: lostOf([r]).lost,
      basis: `faults "migrations", inputs "SA requests" + "SM Reports", retries ${retryColumns([r]).map((k) => `"${k}"`).join(' + ')}, lost ${basis}`,
    }));
  }
  // Any other reliability suite (service store, crash recovery): read by column names.
  const faults = firstColumn(rows, ['faults injected', 'kills', 'crashes injected', 'crashes', 'faults', 'inputs']);
  const inputs = firstColumn(rows, ['inputs tried', 'inputs', 'acknowledged changes', 'operations', 'writes', 'migrations', 'rows']);
  let { lost, basis } = lostOf(rows);
  if (basis === 'no loss column') {
    // No loss column: a target that counts lost or mismatched updates stands for it.
    const counted = result.targets.filter((t) => /lost|mismatch/i.test(t.name));
    if (counted.length > 0) {
      lost = counted.reduce((s, t) => s + num(t.measured), 0);
      basis = counted.map((t) => `target "${t.name}"`).join(' + ');
    }
  }
  return [
    {
      source: result.title,
      file,
      fault: result.suite,
      faultsInjected: faults.value,
      inputsTried: inputs.value,
      retriesSpent: retries(rows),
      updatesLost: lost,
      basis: `faults ${faults.key ? `"${faults.key}"` : 'none'}, inputs ${inputs.key ? `"${inputs.key}"` : 'none'}, retries ${retryColumns(rows).map((k) => `"${k}"`).join(' + ') || 'none'}, lost ${basis}`,
    },
  ];
}

/** Every reliability result's rows, in path order. */
export function reliabilityRows(results: ReadonlyArray<{ path: string; result: BenchResult }>): ReliabilityRow[] {
  return results.filter(({ path }) => path.startsWith('reliability/')).flatMap(({ path, result }) => reliabilityRowsOf(path, result));
}

const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
const fmt = (n: number): string => (Number.isInteger(n) ? n.toLocaleString('en-US') : String(n));

/** The "## Reliability" section (markdown lines), empty when no reliability result exists. */
export function reliabilitySection(results: ReadonlyArray<{ path: string; result: BenchResult }>): string[] {
  const rows = reliabilityRows(results);
  if (rows.length === 0) return [];
  const lost = rows.reduce((s, r) => s + r.updatesLost, 0);
  const out: string[] = [];
  out.push('## Reliability');
  out.push('');
  out.push(
    `Generated from \`results/reliability/*.json\`. Updates lost in total: **${fmt(lost)}** (must be 0) — cache entries stale at the end plus updates given up for good, as each run counted them.`,
  );
  out.push('');
  out.push('| source | faults | faults injected | inputs tried | retries spent | updates lost | file |');
  out.push('|---|---|---:|---:|---:|---:|---|');
  for (const r of rows) {
    out.push(`| ${cell(r.source)} | ${cell(r.fault)} | ${fmt(r.faultsInjected)} | ${fmt(r.inputsTried)} | ${fmt(r.retriesSpent)} | ${fmt(r.updatesLost)}${r.updatesLost === 0 ? '' : ' ✗'} | \`${r.file}\` |`);
  }
  out.push('');
  out.push(
    'Load rows of the baselines without notices (dynamic, static-no-signal) are left out: they carry no updates, and their stale entries measure the SA\'s PathRecord capacity under the RC fallback (see the load suite).',
  );
  out.push('');
  out.push('Columns read from each file:');
  out.push('');
  for (const r of rows) out.push(`- ${cell(r.source)}, ${cell(r.fault)}: ${cell(r.basis)}.`);
  out.push('');
  return out;
}
