// The benchmark suites `repath bench` knows, by group. Each suite lives in its own module under
// bench/ and is imported only when it runs, so a suite that is not built (or not written yet)
// never breaks the CLI. A new suite is one entry here.
import { fileURLToPath } from 'node:url';
import type { BenchResult } from '../../bench/bench-result.js';
import type { SchemeProgress } from '../../bench/schemes.bench.js';

export interface BenchRunOptions {
  quick?: boolean;
  resultsDir?: string;
  /** Progress of a scheme run (the CLI draws a bar on stderr). */
  progress?: (p: SchemeProgress) => void;
  /** A line of commentary for stderr (which run starts). */
  note?: (line: string) => void;
  /** Sweep: the largest fabric to run (hosts); bigger points are left out. */
  maxHosts?: number;
}

/** A suite's runner: one result, or several (a sweep writes one summary per dimension). */
export type BenchRunner = (options: BenchRunOptions) => Promise<BenchResult | BenchResult[]>;

export interface BenchSuiteEntry {
  /** Name used by `--only`, e.g. "mad-codec". */
  name: string;
  /** Group selected by `--suite`, e.g. "micro". */
  group: string;
  description: string;
  /** Module URL relative to this file (dist/core/cli/). */
  module: string;
  /** Name of the exported runner function. */
  exportName: string;
}

export const BENCH_SUITES: readonly BenchSuiteEntry[] = [
  {
    name: 'schemes',
    group: 'default',
    description: 'all five schemes on the default storm (1,000 hosts x 16 VMs x 8 peers), counts beside closed forms',
    module: '../../bench/schemes.bench.js',
    exportName: 'runSchemesBench',
  },
  {
    name: 'mad-codec',
    group: 'micro',
    description: 'MAD decode/encode (PathRecord, Notice): this codec vs a naive baseline',
    module: '../../bench/mad-codec.bench.js',
    exportName: 'runMadCodecBench',
  },
  {
    name: 'tables',
    group: 'micro',
    description: 'LID-vGUID and trap tables: insert, lookup, delete',
    module: '../../bench/tables.bench.js',
    exportName: 'runTablesBench',
  },
  {
    name: 'sweep',
    group: 'sweep',
    description: 'fabric size (hosts), VMs per host and the SM service time, one point per file under results/sweep/',
    module: '../../bench/sweep.bench.js',
    exportName: 'runSweepBench',
  },
  {
    name: 'engine-throughput',
    group: 'engine',
    description: 'emulated notice deliveries per second, 1 worker against 2 workers in one run',
    module: '../../bench/engine-throughput.bench.js',
    exportName: 'runEngineThroughput',
  },
  {
    name: 'loss',
    group: 'reliability',
    description: 'every scheme at 1% and 10% MAD loss: convergence and the cost of retries',
    module: '../../bench/loss.bench.js',
    exportName: 'runLossBench',
  },
];

/** `--suite` values: every group, and "all" for every group in table order. */
export const ALL_GROUPS = 'all';


export type LoadedSuite = { ok: true; run: BenchRunner } | { ok: false; reason: string };

/** Imports a suite's module; a missing module or export is reported, not thrown. */
export async function loadSuite(entry: BenchSuiteEntry): Promise<LoadedSuite> {
  const url = new URL(entry.module, import.meta.url);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(url.href)) as Record<string, unknown>;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    // Only the suite's own module being absent means "not built"; a missing import inside it is a bug.
    if (e.code === 'ERR_MODULE_NOT_FOUND' && e.message.includes(`'${fileURLToPath(url)}'`)) {
      return { ok: false, reason: `${entry.module.replace(/^(\.\.\/)+/, 'dist/')} is not built` };
    }
    throw err;
  }
  const run = mod[entry.exportName];
  if (typeof run !== 'function') {
    return { ok: false, reason: `${entry.module} does not export ${entry.exportName}()` };
  }
  return { ok: true, run: run as BenchRunner };
}
