// `repath bench`: runs benchmark suites, prints their tables, regenerates BENCHMARKS.md; and the
// regression gate (`--gate FILE`, `--write-baseline`). Groups: "default" (the scheme comparison,
// what `npm start` runs), "micro" (codec and tables), "sweep", and "all" of them in order.
import { join, resolve } from 'node:path';
import type { BenchResult } from '../../bench/bench-result.js';
import { formatValue, repositoryRoot, writeBenchmarksReport } from '../../bench/report.js';
import { UsageError, formatFlagHelp, parseArgs, type FlagSpecs } from './args.js';
import { ALL_GROUPS, BENCH_SUITES, loadSuite, type BenchSuiteEntry } from './bench-suites.js';
import { processIo, type CliIo, type Command } from './command.js';
import { renderTextTable } from './text-table.js';

function benchFlags(groups: readonly string[]) {
  return {
    suite: {
      type: 'choice',
      choices: [...groups, ALL_GROUPS],
      default: groups.includes('default') ? 'default' : groups[0]!,
      valueName: 'GROUP',
      description: `which group of suites to run (${ALL_GROUPS} = every group)`,
    },
    only: { type: 'string', multiple: true, valueName: 'NAME', description: 'run only this suite of the group' },
    quick: { type: 'boolean', description: 'short runs, for a smoke test (figures are not comparable)' },
    'results-dir': { type: 'string', valueName: 'DIR', description: 'where suites write result files [default: results/]' },
    report: { type: 'boolean', default: true, description: 'regenerate BENCHMARKS.md afterwards (--report=false to skip)' },
    'report-out': { type: 'string', valueName: 'FILE', description: 'where to write the report [default: BENCHMARKS.md]' },
    check: { type: 'boolean', description: 'exit with code 1 if a target is not met (for CI gates)' },
    list: { type: 'boolean', description: 'list the suites of the group and exit' },
    'max-hosts': { type: 'positiveInteger', valueName: 'N', description: 'sweep: largest fabric to run [default: 4096; 49151 = the full LID space]' },
    gate: { type: 'string', valueName: 'FILE', description: 'regression gate: re-run the baseline\'s scenario, exit 1 if a count changed or throughput fell' },
    'gate-threshold': { type: 'number', default: 0.1, valueName: 'FRACTION', description: 'gate: largest allowed fall of relative throughput' },
    'deterministic-only': { type: 'boolean', description: 'gate / baseline: counts and virtual-time figures only, no throughput (for CI)' },
    'write-baseline': { type: 'boolean', description: 'measure the default scenario (--quick: the small one) and write results/baseline.json' },
    help: { type: 'boolean', short: 'h', description: 'show this help' },
  } as const satisfies FlagSpecs;
}

/**
 * Builds the command over a suite table; `root` is the repository root (results/ and
 * BENCHMARKS.md live there). Tests pass their own suites and root.
 */
export function createBenchCommand(suites: readonly BenchSuiteEntry[] = BENCH_SUITES, root: string = repositoryRoot()): Command {
  const groups = [...new Set(suites.map((s) => s.group))];
  const flagSpecs = benchFlags(groups);

  const help = (): string => {
    const names = suites.map((s) => `${s.group}/${s.name}`);
    const width = Math.max(0, ...names.map((n) => n.length));
    return `usage: repath bench [options]

Runs the benchmark suites of a group one after another (progress on stderr), prints each
suite's table and targets on stdout, writes its result files under results/ and regenerates
BENCHMARKS.md (and its charts) from every result file. With no flags: the default comparison
of the five signalling schemes (npm start). A measured count that differs from its closed form
(DESIGN.md) always exits with status 1.

Regression gate: \`repath bench --gate results/baseline.json\` re-runs the baseline's scenario
and exits 1 when a deterministic count changed or a relative throughput fell by more than
--gate-threshold; \`repath bench --write-baseline\` writes the baseline.

${formatFlagHelp(flagSpecs)}

suites:
${suites.map((s, i) => `  ${names[i]!.padEnd(width)}  ${s.description}`).join('\n')}
`;
  };

  return {
    name: 'bench',
    summary: 'run the benchmark suites and regenerate BENCHMARKS.md',
    help,
    async run(argv: string[], io: CliIo): Promise<number> {
      const { flags } = parseArgs(argv, flagSpecs);
      if (flags.help) {
        io.stdout(help());
        return 0;
      }
      const resultsDir = resolve(flags['results-dir'] ?? join(root, 'results'));
      const tty = io === processIo && process.stderr.isTTY === true;
      if (flags.gate !== undefined || flags['write-baseline'] === true) {
        const threshold = flags['gate-threshold'];
        if (!(threshold >= 0 && threshold < 1)) throw new UsageError(`--gate-threshold: ${threshold} is not a fraction in [0, 1)`);
        const { runGateCommand } = await import('../../bench/gate.js');
        return runGateCommand(
          {
            gate: flags.gate,
            writeBaseline: flags['write-baseline'] === true,
            threshold: flags['gate-threshold'],
            deterministicOnly: flags['deterministic-only'] === true,
            quick: flags.quick === true,
            resultsDir,
            tty,
          },
          io,
        );
      }
      const inGroup = flags.suite === ALL_GROUPS ? [...suites] : suites.filter((s) => s.group === flags.suite);
      if (flags.list) {
        io.stdout(inGroup.map((s) => `${s.group}/${s.name}\t${s.description}`).join('\n') + '\n');
        return 0;
      }
      for (const name of flags.only) {
        if (!inGroup.some((s) => s.name === name)) {
          throw new UsageError(`--only: ${JSON.stringify(name)} is not a suite of ${flags.suite} (${inGroup.map((s) => s.name).join(', ')})`);
        }
      }
      const selected = flags.only.length > 0 ? inGroup.filter((s) => flags.only.includes(s.name)) : inGroup;

      const results: BenchResult[] = [];
      for (let i = 0; i < selected.length; i++) {
        const entry = selected[i]!;
        const tag = `bench [${i + 1}/${selected.length}] ${entry.name}`;
        const loaded = await loadSuite(entry);
        if (!loaded.ok) {
          io.stderr(`${tag}: skipped: ${loaded.reason}\n`);
          continue;
        }
        io.stderr(`${tag}: running${flags.quick ? ' (quick)' : ''}...\n`);
        const started = performance.now();
        const { progressPrinter } = await import('../../bench/schemes.bench.js');
        const out = await loaded.run({
          quick: flags.quick === true,
          resultsDir,
          progress: progressPrinter(io.stderr, tty),
          note: (line) => io.stderr(`${tag}: ${line}`),
          ...(flags['max-hosts'] !== undefined ? { maxHosts: flags['max-hosts'] } : {}),
        });
        const seconds = (performance.now() - started) / 1000;
        io.stderr(`${tag}: done in ${seconds.toFixed(1)} s\n`);
        for (const result of Array.isArray(out) ? out : [out]) {
          results.push(result);
          io.stdout(renderResult(result));
        }
      }
      if (results.length === 0) {
        io.stderr(`bench: no suite of ${flags.suite} could run\n`);
        return 1;
      }
      if (flags.report) {
        const out = resolve(flags['report-out'] ?? join(root, 'BENCHMARKS.md'));
        const { suites: count } = await writeBenchmarksReport(resultsDir, out);
        io.stderr(`bench: regenerated ${out} from ${count} result file${count === 1 ? '' : 's'}\n`);
      }
      const targets = results.flatMap((r) => r.targets);
      const missed = targets.filter((t) => !t.met);
      io.stderr(`bench: ${targets.length - missed.length} of ${targets.length} targets met\n`);
      // A count that left its closed form is a bug in the engine, not a slow machine: always fail.
      const closedForm = missed.filter((t) => t.name.startsWith(CLOSED_FORM_PREFIX));
      if (closedForm.length > 0) {
        const notes = results.flatMap((r) => r.notes.filter((n) => n.startsWith('CLOSED-FORM MISMATCH')));
        io.stderr(
          `\n${'!'.repeat(72)}\nbench: MEASURED COUNTS DIFFER FROM THE CLOSED FORMS OF DESIGN.md\n${closedForm.map((t) => `  ${t.name}: ${formatValue(t.measured)} (required ${t.target})`).join('\n')}\n${notes.map((n) => `  ${n}`).join('\n')}\n${'!'.repeat(72)}\n`,
        );
        return 1;
      }
      return flags.check && missed.length > 0 ? 1 : 0;
    },
  };
}

/** Targets whose name starts with this are closed-form checks (bench/schemes.bench.ts). */
export const CLOSED_FORM_PREFIX = 'closed form:';

export const benchCommand: Command = createBenchCommand();

function renderResult(result: BenchResult): string {
  let out = `\n${result.title}\n\n`;
  if (result.rows.length > 0) out += renderTextTable(result.rows) + '\n';
  if (result.targets.length > 0) {
    out += '\n';
    out += renderTextTable(
      result.targets.map((t) => ({ target: t.name, required: t.target, measured: formatValue(t.measured), met: t.met ? '✓' : '✗' })),
    );
    out += '\n';
  }
  return out;
}
