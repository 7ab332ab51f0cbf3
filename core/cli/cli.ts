// The `repath` command table and dispatcher; main.ts is the bin that calls it.
//
// Command modules are imported only when their command runs, so `--help` and `--version` work
// even if a part of the tree is not built. Every failure ends as one line on stderr: a bad
// argument or input (UsageError, or the codec's and trace writer's typed errors) exits with 2,
// anything else is an internal error and exits with 1. Stack traces are shown only with
// REPATH_DEBUG=1.
import { readFileSync } from 'node:fs';
import { EXIT_USAGE, UsageError } from './args.js';
import { processIo, type CliIo, type Command } from './command.js';

interface CommandEntry {
  name: string;
  summary: string;
  load(): Promise<Command>;
}

const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'mad',
    summary: 'decode and encode MADs (hex <-> JSON); write MAD traces for Wireshark',
    load: async () => (await import('./mad-command.js')).madCommand,
  },
  { name: 'run', summary: 'emulate VM migrations on a subnet and report each signalling scheme', load: async () => (await import('./run-command.js')).runCommand },
  {
    name: 'bench',
    summary: 'run the benchmark suites and regenerate BENCHMARKS.md',
    load: async () => (await import('./bench-command.js')).benchCommand,
  },
  { name: 'service', summary: 'run the RePath/UnPath signalling service beside a real SM (OpenSM)', load: async () => (await import('./service-command.js')).serviceCommand },
  { name: 'fuzz', summary: 'fuzz the MAD codec and the SA, Dom0 and VM handlers with seeded mutated MADs', load: async () => (await import('./fuzz-command.js')).fuzzCommand },
  { name: 'dom0', summary: "run one hypervisor's Dom0 agent (emulated VMs) against repath service", load: async () => (await import('./dom0-command.js')).dom0Command },
];

export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  return typeof pkg.version === 'string' ? pkg.version : 'unknown';
}

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return `usage: repath <command> [options]

repath: VM-migration signalling on InfiniBand SR-IOV subnets, over real MADs.

commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

options:
  -h, --help     show this help (repath <command> --help for a command's own)
  --version      print the version

Bad arguments or input print one line on stderr and exit with code 2.
`;
}

/** Runs the CLI with `argv` (the words after `repath`); resolves to the exit code. */
export async function runCli(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  try {
    const [first, ...rest] = argv;
    if (first === undefined) {
      throw new UsageError(`missing command (${COMMANDS.map((c) => c.name).join(', ')}; see repath --help)`);
    }
    if (first === '--help' || first === '-h' || first === 'help') {
      io.stdout(usage());
      return 0;
    }
    if (first === '--version' || first === '-V') {
      io.stdout(`${packageVersion()}\n`);
      return 0;
    }
    if (first.startsWith('-')) throw new UsageError(`${first}: unknown option`);
    const entry = COMMANDS.find((c) => c.name === first);
    if (entry === undefined) {
      throw new UsageError(`${JSON.stringify(first)} is not a command (${COMMANDS.map((c) => c.name).join(', ')}; see repath --help)`);
    }
    const command = await entry.load();
    if (rest[0] === '--help' || rest[0] === '-h') {
      io.stdout(command.help());
      return 0;
    }
    return await command.run(rest, io);
  } catch (err) {
    return reportError(err, io);
  }
}

/** Input errors are the caller's to fix (exit 2); everything else is ours (exit 1). */
function reportError(err: unknown, io: CliIo): number {
  const name = err instanceof Error ? err.name : '';
  const message = err instanceof Error ? err.message : String(err);
  const line = message.replace(/\s*\n\s*/g, ' ');
  // By name, not instanceof: importing the codec here would make --help depend on it.
  const ctor = err instanceof Error ? err.constructor.name : '';
  const isInputError =
    err instanceof UsageError || name === 'MadError' || ctor === 'MadError' || name === 'TraceError' || ctor === 'TraceError';
  if (process.env.REPATH_DEBUG === '1' && err instanceof Error && err.stack) io.stderr(`${err.stack}\n`);
  if (isInputError) {
    io.stderr(`repath: ${line}\n`);
    return EXIT_USAGE;
  }
  io.stderr(`repath: internal error: ${name ? `${name}: ` : ''}${line}\n`);
  return 1;
}

