// `repath bench`: runs benchmark suites, prints their tables, regenerates BENCHMARKS.md.
// Today the only group is "micro" (codec and tables); the scheme comparison will be another group
// in bench-suites.ts, with its own flags added here.
import { join, resolve } from 'node:path';
import type { BenchResult } from '../../bench/bench-result.js';
import { formatValue, repositoryRoot, writeBenchmarksMarkdown } from '../../bench/report.js';
import { UsageError, formatFlagHelp, parseArgs, type FlagSpecs } from './args.js';
import { BENCH_SUITES, loadSuite, type BenchSuiteEntry } from './bench-suites.js';
import type { CliIo, Command } from './command.js';
import { renderTextTable } from './text-table.js';

function benchFlags(groups: readonly string[]) {
  return {
    suite: { type: 'choice', choices: groups, default: 'micro', valueName: 'GROUP', description: 'which group of suites to run' },
    only: { type: 'string', multiple: true, valueName: 'NAME', description: 'run only this suite of the group' },
    quick: { type: 'boolean', description: 'short runs, for a smoke test (figures are not comparable)' },
    'results-dir': { type: 'string', valueName: 'DIR', description: 'where suites write result files [default: results/]' },
    report: { type: 'boolean', default: true, description: 'regenerate BENCHMARKS.md afterwards (--report=false to skip)' },
    'report-out': { type: 'string', valueName: 'FILE', description: 'where to write the report [default: BENCHMARKS.md]' },
    check: { type: 'boolean', description: 'exit with code 1 if a target is not met (for CI gates)' },
    list: { type: 'boolean', description: 'list the suites of the group and exit' },
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
suite's table and targets on stdout, writes its result file under results/ and regenerates
BENCHMARKS.md from every result file.

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
      const inGroup = suites.filter((s) => s.group === flags.suite);
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
      const resultsDir = resolve(flags['results-dir'] ?? join(root, 'results'));

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
        const result = await loaded.run({ quick: flags.quick === true, resultsDir });
        const seconds = (performance.now() - started) / 1000;
        io.stderr(`${tag}: done in ${seconds.toFixed(1)} s\n`);
        results.push(result);
        io.stdout(renderResult(result));
      }
      if (results.length === 0) {
        io.stderr(`bench: no suite of ${flags.suite} could run\n`);
        return 1;
      }
      if (flags.report) {
        const out = resolve(flags['report-out'] ?? join(root, 'BENCHMARKS.md'));
        const { suites: count } = writeBenchmarksMarkdown(resultsDir, out);
        io.stderr(`bench: regenerated ${out} from ${count} result file${count === 1 ? '' : 's'}\n`);
      }
      const targets = results.flatMap((r) => r.targets);
      const missed = targets.filter((t) => !t.met);
      io.stderr(`bench: ${targets.length - missed.length} of ${targets.length} targets met\n`);
      return flags.check && missed.length > 0 ? 1 : 0;
    },
  };
}

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
