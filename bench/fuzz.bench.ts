// The recorded fuzz run (issue 7, item 4): 1,000,000 seeded inputs per target (decoder, SA,
// Dom0, VM) through `repath fuzz`'s engine in a watched worker. Each row: the fates of the
// inputs, the violations (must be 0), the slowest input and the heap growth across the run.
//
//   node dist/bench/fuzz.bench.js [--count N] [--seed S] [--results-dir DIR]
//
// Writes results/reliability/fuzz.json. Per-input times are wall clock (noisy on a shared machine).
import { join } from 'node:path';
import { runFuzzWatched, fuzzSummary, type FuzzReport } from '../core/fuzz/run-fuzz.js';
import { machineFacts, writeBenchResult, type BenchResult, resultsDirOr } from './bench-result.js';
import { benchMain, isEntryPoint, resultsDirFlag } from './bench-main.js';

/** Heap growth (after a full GC) above which a target is said not to have bounded memory. */
export const HEAP_GROWTH_LIMIT_MIB = 64;

export function fuzzBenchResult(report: FuzzReport, command: string): BenchResult {
  const mib = (b: number) => Math.round((b / 2 ** 20) * 100) / 100;
  const rows = report.targets.map((t) => ({
    target: t.target,
    inputs: t.inputs,
    accepted: t.fates.accepted,
    'answered with status': t.fates.answered,
    'dropped, counted': t.fates.dropped,
    crashes: t.fates.crash,
    'silent losses': t.fates.silent,
    'wrong status': t.fates.statusMismatch,
    unanswered: t.fates.unanswered,
    'round-trip changes': t.fates.roundTrip,
    'max per-input ms': Math.round(t.maxInputUs) / 1000,
    'slow inputs (>100 ms)': t.slowInputs,
    'heap growth MiB': mib(t.heapGrowthBytes),
    'external growth MiB': mib(t.externalGrowthBytes),
    'inputs/s': Math.round(t.inputs / Math.max(t.seconds, 1e-9)),
  }));
  const total = report.targets.reduce((s, t) => s + t.inputs, 0);
  const targets: BenchResult['targets'] = [
    { name: 'Fuzz inputs tried (all targets)', target: '>= 1e6', measured: total, met: total >= 1e6 },
    { name: 'Violations (crash, hang, silent loss, wrong status, unanswered, round trip)', target: '0', measured: report.violations, met: report.violations === 0 && report.hang === undefined },
    ...report.targets.map((t) => ({
      name: `${t.target}: heap growth after ${t.inputs} inputs, MiB`,
      target: `< ${HEAP_GROWTH_LIMIT_MIB}`,
      measured: mib(t.heapGrowthBytes),
      met: t.heapGrowthBytes < HEAP_GROWTH_LIMIT_MIB * 2 ** 20,
    })),
  ];
  const notes = [
    `Seed ${report.seed}; corpus: ${report.corpus.golden} golden OpenSM MADs + ${report.corpus.engine} distinct MADs the engine sent; inputs: 10% random bytes, 20% plausible header over random bytes, 70% corpus MADs with 1-6 mutations.`,
    'accepted: well-formed and handled; answered with status: an error response whose status equals the one the codec names (SA), or a codec rejection with a status (decoder); dropped, counted: refused with a counter moving (malformed, spoofed, unroutable, stale answers).',
    'The SA, Dom0 and VM targets run in one small per-pf-interest subnet (8 hosts, 32 VMs), fed through MadSink.receive with real addressing; its event queue is drained every 64 inputs (every input for the VM target).',
    'A watchdog in the parent thread stops the worker if no input completes for 10 s (a hang) and names the input.',
  ];
  if (report.hang !== undefined) notes.push(`HANG: ${report.hang.target} input ${report.hang.index}`);
  for (const t of report.targets) for (const s of t.samples.slice(0, 2)) notes.push(`${t.target} input ${s.index}: ${s.fate}: ${s.error} (${s.hex})`);
  return { suite: 'fuzz', title: 'MAD fuzzing: decoder, SA, Dom0 and VM handlers', command, rows, targets, notes, machine: machineFacts(), generatedAt: new Date().toISOString() };
}

if (isEntryPoint(import.meta.url)) {
  await benchMain(
    {
      script: 'fuzz.bench.js',
      about: 'Feeds mutated and random MADs to every agent (core/fuzz) and counts crashes, wrong statuses and lost MADs; writes results/reliability/fuzz.json, exit code 1 on any violation.',
      flags: {
        count: { type: 'nonNegativeInteger', default: 1_000_000, description: 'MADs to feed' },
        seed: { type: 'nonNegativeInteger', default: 1, description: 'seed of the mutations' },
        'results-dir': resultsDirFlag('reliability/fuzz.json'),
      },
    },
    async ({ count, seed, 'results-dir': dir }) => {
      const report = await runFuzzWatched({ count, seed });
      console.log(fuzzSummary(report));
      const resultsDir = resultsDirOr(dir);
      const command = `node dist/bench/fuzz.bench.js${count !== 1_000_000 ? ` --count ${count}` : ''}${seed !== 1 ? ` --seed ${seed}` : ''}`;
      const path = writeBenchResult(join(resultsDir, 'reliability', 'fuzz.json'), fuzzBenchResult(report, command));
      console.log(`wrote ${path}`);
      return report.violations > 0 ? 1 : 0;
    },
  );
}
