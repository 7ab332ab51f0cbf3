// Every bench script (`node dist/bench/NAME.js`) checks its command line before it measures
// anything or writes under results/: a wrong flag, value or argument is one line on stderr naming
// it, exit code 2, nothing on stdout. (A mistyped flag used to be ignored: the full bench ran and
// replaced its committed figures.)
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BENCH_DIR = fileURLToPath(new URL('../bench/', import.meta.url));

/** The scripts a user runs by hand: each names itself in its messages by its stem. */
const SCRIPTS = [
  'engine-throughput.bench.js',
  'fuzz.bench.js',
  'independent-copies.js',
  'load.bench.js',
  'loss.bench.js',
  'mad-codec.bench.js',
  'report.js',
  'scale.js',
  'scenario-generate.bench.js',
  'service-store.bench.js',
  'shard-recovery.bench.js',
  'tables.bench.js',
  'umad-pathrecord.bench.js',
];

function runScript(script: string, args: readonly string[]) {
  const r = spawnSync(process.execPath, [join(BENCH_DIR, script), ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const stem = (script: string) => script.replace(/(\.bench)?\.js$/, '');

test('every bench script with a command line parses it with benchMain, and is in the list above', (t) => {
  const js = readdirSync(BENCH_DIR).filter((f) => f.endsWith('.js'));
  const text = (f: string) => readFileSync(join(BENCH_DIR, f), 'utf8');
  t.deepEqual(js.filter((f) => text(f).includes('benchMain(') && f !== 'bench-main.js').sort(), [...SCRIPTS].sort());
  // The others that read argv: the helper itself and the addon bench's child, which the bench
  // starts with its own arguments.
  t.deepEqual(js.filter((f) => text(f).includes('process.argv')).sort(), ['bench-main.js', 'umad-pathrecord-child.js']);
});

for (const script of SCRIPTS) {
  test(`${script}: an unknown flag stops it with one line and exit code 2, writing nothing`, (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'repath-bench-args-'));
    try {
      const r = runScript(script, ['--quick-run', '--results-dir', dir]);
      t.is(r.status, 2, r.stderr);
      t.is(r.stdout, '');
      t.is(r.stderr, `${stem(script)}: --quick-run: unknown option\n`);
      t.deepEqual(readdirSync(dir), []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test(`${script}: --help prints its usage and flags and exits 0`, (t) => {
    const r = runScript(script, ['--help']);
    t.is(r.status, 0, r.stderr);
    t.true(r.stdout.startsWith(`usage: node dist/bench/${script} `));
    t.regex(r.stdout, /--help +print this help and exit/);
  });
}

// Values: each message names the flag (or argument) and the value.
const BAD_VALUES: ReadonlyArray<[string, string[], string]> = [
  ['fuzz.bench.js', ['--count', 'many'], 'fuzz: --count: "many" is not a non-negative integer'],
  ['fuzz.bench.js', ['--seed'], 'fuzz: --seed: missing value'],
  ['load.bench.js', ['--only', 'per-host'], 'load: --only: "per-host" is not one of '],
  ['load.bench.js', ['--storm', '5'], 'load: --storm needs --only SCHEME'],
  ['load.bench.js', ['--only', 'per-pf', '--storm', '150'], 'load: --storm: 150 is not a percentage in (0, 100]'],
  ['mad-codec.bench.js', ['--processes', '0'], 'mad-codec: --processes: "0" is not a positive integer'],
  ['scale.js', ['full-16x8'], 'scale: <case>: "full-16x8" is not one of full-16x8-storm1000-per-pf, '],
  ['scale.js', ['--min-free-gib', 'lots', 'full-16x8-storm1000-per-pf'], 'scale: --min-free-gib: "lots" is not a number'],
  ['service-store.bench.js', ['--migrations', '-3'], 'service-store: --migrations: "-3" is not a positive integer'],
  ['shard-recovery.bench.js', ['--repeats', '1.5'], 'shard-recovery: --repeats: "1.5" is not a positive integer'],
  ['tables.bench.js', ['--only', 'lid,hash'], 'tables: --only: "hash" is not one of lid, trap, scan16, scan128, path'],
  ['tables.bench.js', ['--sizes', '1e5,,1e7'], 'tables: --sizes: "" is not a positive integer'],
  ['umad-pathrecord.bench.js', ['4000', 'x'], 'umad-pathrecord: <rounds>: "x" is not a positive integer'],
  ['umad-pathrecord.bench.js', ['1', '2', '3'], 'umad-pathrecord: "3": unexpected argument'],
];

for (const [script, args, message] of BAD_VALUES) {
  test(`${script} ${args.join(' ')}: ${message}`, (t) => {
    const r = runScript(script, args);
    t.is(r.status, 2, r.stderr);
    t.is(r.stdout, '');
    t.true(r.stderr.startsWith(message), r.stderr);
    t.is(r.stderr.split('\n').length, 2, 'one line');
  });
}
