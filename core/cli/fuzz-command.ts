// `repath fuzz`: seeded random and mutated MADs into the codec and the SA, Dom0 and VM handlers
// (core/fuzz). Prints a one-line summary (and the violating inputs, as hex, to reproduce), or the
// whole report as JSON with --json. Exit code 0: no violation; 1: a crash, hang, silent loss,
// wrong status or unanswered request was found; 2: bad arguments.
import { UsageError, formatFlagHelp, parseArgs, type FlagSpecs } from './args.js';
import type { CliIo, Command } from './command.js';
import { FUZZ_TARGETS, type FuzzTargetName } from '../fuzz/targets.js';
import { fuzzSummary, runFuzz, runFuzzWatched } from '../fuzz/run-fuzz.js';

const FLAGS = {
  count: { type: 'positiveInteger', valueName: 'N', default: 10_000, description: 'inputs per target' },
  seed: { type: 'nonNegativeInteger', valueName: 'S', default: 1, description: 'PRNG seed (same seed, same inputs, same report)' },
  target: { type: 'choice', choices: [...FUZZ_TARGETS, 'all'], default: 'all', description: 'what to feed' },
  json: { type: 'boolean', description: 'print the whole report as JSON' },
  'hang-ms': { type: 'positiveInteger', valueName: 'MS', default: 10_000, description: 'watchdog: no progress for this long is a hang' },
  'slow-ms': { type: 'positiveInteger', valueName: 'MS', default: 100, description: 'an input taking longer is counted as slow' },
  'in-process': { type: 'boolean', description: 'run in this thread, without the watchdog worker' },
  help: { type: 'boolean', short: 'h', description: 'show this help' },
} as const satisfies FlagSpecs;

function help(): string {
  return `usage: repath fuzz [--count N] [--seed S] [--target decoder|sa|dom0|vm|all] [--json]

Feeds random and mutated MADs (from OpenSM's golden MADs and the MADs the engine sends) into:
  decoder  the MAD codec (decode, and encode -> decode must round-trip)
  sa       the SA's handlers, from real requester addresses
  dom0     a hypervisor's PF agent (for itself, or for a VF by DGID)
  vm       a VF's SA agent, reached through the PF
Each input must end accepted, answered with the status the codec names, or dropped and counted:
never a crash, a hang (a watchdog worker), a silent loss, or an SA request left unanswered.

options:
${formatFlagHelp(FLAGS)}
`;
}

export const fuzzCommand: Command = {
  name: 'fuzz',
  summary: 'fuzz the MAD codec and the SA, Dom0 and VM handlers with seeded mutated MADs',
  help,
  async run(argv: string[], io: CliIo): Promise<number> {
    const { flags } = parseArgs(argv, FLAGS);
    if (flags.help) {
      io.stdout(help());
      return 0;
    }
    if (flags.seed > 0xffffffff) throw new UsageError(`--seed: ${flags.seed} is not an unsigned 32-bit integer`);
    const targets: readonly FuzzTargetName[] = flags.target === 'all' ? FUZZ_TARGETS : [flags.target as FuzzTargetName];
    const options = { count: flags.count, seed: flags.seed, targets, slowMs: flags['slow-ms'] };
    const report = flags['in-process'] ? runFuzz(options) : await runFuzzWatched(options, { hangMs: flags['hang-ms'] });
    if (flags.json) {
      io.stdout(JSON.stringify(report, null, 2) + '\n');
    } else {
      io.stdout(fuzzSummary(report) + '\n');
      for (const t of report.targets) {
        for (const s of t.samples) io.stdout(`  ${t.target} input ${s.index}: ${s.fate}: ${s.error}\n    ${s.hex}\n`);
      }
    }
    return report.violations === 0 ? 0 : 1;
  },
};
