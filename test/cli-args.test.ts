import test from 'ava';
import { UsageError, formatFlagHelp, parseArgs, type FlagSpecs } from '../core/cli/args.js';

const SPECS = {
  hosts: { type: 'positiveInteger', description: 'hosts' },
  seed: { type: 'nonNegativeInteger', default: 1, description: 'seed' },
  loss: { type: 'number', description: 'loss rate' },
  out: { type: 'string', valueName: 'FILE', description: 'output' },
  scheme: { type: 'choice', choices: ['per-pf', 'per-vguid'], description: 'scheme' },
  quick: { type: 'boolean', description: 'quick' },
  only: { type: 'string', multiple: true, description: 'only' },
  help: { type: 'boolean', short: 'h', description: 'help' },
} as const satisfies FlagSpecs;

function usageMessage(t: import('ava').ExecutionContext, argv: string[]): string {
  const err = t.throws(() => parseArgs(argv, SPECS, { names: ['file'], max: 1 }), { instanceOf: UsageError });
  t.false(err!.message.includes('\n'));
  return err!.message;
}

test('--flag value and --flag=value give typed values; defaults apply', (t) => {
  const { flags, positionals } = parseArgs(
    ['--hosts', '64', '--loss=0.25', '--out', 'x.pcap', '--scheme=per-pf', '--quick', 'file.json'],
    SPECS,
    { names: ['file'], max: 1 },
  );
  t.is(flags.hosts, 64);
  t.is(flags.loss, 0.25);
  t.is(flags.out, 'x.pcap');
  t.is(flags.scheme, 'per-pf');
  t.true(flags.quick);
  t.is(flags.seed, 1);
  t.deepEqual(flags.only, []);
  t.is(flags.help, undefined);
  t.deepEqual(positionals, ['file.json']);
});

test('repeatable flags collect in order; the last of a single flag wins', (t) => {
  const { flags } = parseArgs(['--only', 'a', '--only=b', '--hosts', '2', '--hosts', '3'], SPECS);
  t.deepEqual(flags.only, ['a', 'b']);
  t.is(flags.hosts, 3);
});

test('a lone - is a positional, -- ends the flags, a single-dash value is taken as a value', (t) => {
  t.deepEqual(parseArgs(['-'], SPECS, { max: 1 }).positionals, ['-']);
  t.deepEqual(parseArgs(['--', '--quick'], SPECS, { max: 1 }).positionals, ['--quick']);
  t.is(parseArgs(['--loss', '-0.5'], SPECS).flags.loss, -0.5);
  t.true(parseArgs(['-h'], SPECS).flags.help);
  t.false(parseArgs(['--quick=false'], SPECS).flags.quick);
});

test('bad numbers name the flag and the value', (t) => {
  t.is(usageMessage(t, ['--hosts', 'abc']), '--hosts: "abc" is not a positive integer');
  t.is(usageMessage(t, ['--hosts=0']), '--hosts: "0" is not a positive integer');
  t.is(usageMessage(t, ['--hosts', '1.5']), '--hosts: "1.5" is not a positive integer');
  t.is(usageMessage(t, ['--seed', '-1']), '--seed: "-1" is not a non-negative integer');
  t.is(usageMessage(t, ['--loss', 'lots']), '--loss: "lots" is not a number');
  t.is(usageMessage(t, ['--loss=']), '--loss: "" is not a number');
  t.is(usageMessage(t, ['--scheme', 'dynamic']), '--scheme: "dynamic" is not one of per-pf, per-vguid');
  t.is(usageMessage(t, ['--quick=yes']), '--quick: "yes" is not true or false');
});

test('unknown flags, missing values and extra arguments are one-line usage errors', (t) => {
  t.is(usageMessage(t, ['--nope']), '--nope: unknown option');
  t.is(usageMessage(t, ['-x']), '-x: unknown option');
  t.is(usageMessage(t, ['--out']), '--out: missing value');
  t.is(usageMessage(t, ['--out', '--quick']), '--out: missing value');
  t.is(usageMessage(t, ['a', 'b']), '"b": unexpected argument');
  const err = t.throws(() => parseArgs([], SPECS, { names: ['hex'], min: 1, max: 1 }), { instanceOf: UsageError });
  t.is(err!.message, 'missing <hex>');
  // Object.prototype names are not flags.
  t.is(usageMessage(t, ['--constructor']), '--constructor: unknown option');
});

test('help lists every flag with its value name, choices and default', (t) => {
  const help = formatFlagHelp(SPECS);
  const lines = help.split('\n');
  t.is(lines.length, Object.keys(SPECS).length);
  t.regex(help, /--out <FILE>\s+output/);
  t.regex(help, /--hosts <N>/);
  t.regex(help, /scheme \(per-pf\|per-vguid\)/);
  t.regex(help, /seed \[default: 1\]/);
  t.regex(help, /-h, --help\s+help/);
  t.regex(help, /only \(repeatable\)/);
});
