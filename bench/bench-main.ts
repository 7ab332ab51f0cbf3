// The command line of a bench script (`node dist/bench/NAME.js ...`): its flags are declared once
// and parsed by core/cli/args.ts, the parser of the `repath` commands, so a wrong flag or value
// stops the script with one line naming it and exit code 2 before anything is measured, and
// before a committed result under results/ is overwritten (a mistyped `--quick` used to run the
// full bench and replace its figures).
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { EXIT_USAGE, UsageError, formatFlagHelp, parseArgs, type FlagSpecs, type ParsedFlags, type PositionalSpec } from '../core/cli/args.js';

/** True when the module at `moduleUrl` is the script node was started with (not an import). */
export function isEntryPoint(moduleUrl: string): boolean {
  const script = process.argv[1];
  return script !== undefined && moduleUrl === pathToFileURL(resolve(script)).href;
}

/** The --results-dir flag of a script that writes `file` under the repository's results/ by default. */
export function resultsDirFlag(file: string) {
  return { type: 'string', valueName: 'DIR', description: `where to write ${file} [default: the repository's results/]` } as const;
}

const HELP = { help: { type: 'boolean', short: 'h', description: 'print this help and exit' } } as const;

export interface BenchCommand<S extends FlagSpecs> {
  /** The script's file under dist/bench/, e.g. 'engine-throughput.bench.js'; messages start with its stem. */
  script: string;
  /** The usage line's arguments after the script, e.g. '[--quick] [--results-dir DIR]'. */
  usage?: string;
  /** What the script measures and writes, for --help. */
  about: string;
  flags: S;
  positionals?: PositionalSpec;
}

/**
 * Parses the script's arguments and runs `body` with them. --help prints the flags; a bad flag,
 * value or argument (a UsageError, from the parser or from `body`'s own checks) prints
 * `NAME: message` (NAME: the script's stem) and sets exit code 2. `body`'s number, if any, is the exit code.
 */
export async function benchMain<S extends FlagSpecs>(
  command: BenchCommand<S>,
  body: (flags: ParsedFlags<S>, positionals: string[]) => Promise<number | void> | number | void,
  argv: readonly string[] = process.argv.slice(2),
): Promise<void> {
  try {
    const { flags, positionals } = parseArgs(argv, { ...command.flags, ...HELP }, command.positionals);
    if (flags.help === true) {
      const usage = command.usage ?? '[options]';
      process.stdout.write(`usage: node dist/bench/${command.script} ${usage}\n${command.about}\n\n${formatFlagHelp({ ...command.flags, ...HELP })}\n`);
      return;
    }
    const code = await body(flags as ParsedFlags<S>, positionals);
    if (typeof code === 'number') process.exitCode = code;
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`${command.script.replace(/(\.bench)?\.js$/, '')}: ${err.message}\n`);
    process.exitCode = EXIT_USAGE;
  }
}
