// `repath bench` over the real suites at --quick sizes: the default comparison (table, result
// files, .hgrm, charts, BENCHMARKS.md), the sweep, the group selection, and the loud failure
// when a count leaves its closed form.
import test from 'ava';
import type { ExecutionContext } from 'ava';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createBenchCommand } from '../core/cli/bench-command.js';
import { BENCH_SUITES, type BenchSuiteEntry } from '../core/cli/bench-suites.js';
import type { CliIo } from '../core/cli/command.js';
import type { BenchResult } from '../bench/bench-result.js';
import { SCHEMES } from '../core/scenario/scenario.js';
import { progressLine } from '../bench/schemes.bench.js';

function capture(): { io: CliIo; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    io: { stdout: (s) => (out += s), stderr: (s) => (err += s), readStdin: async () => new Uint8Array(0) },
    out: () => out,
    err: () => err,
  };
}

function tempDir(t: ExecutionContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'repath-bench-suites-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const readResult = (path: string): BenchResult => JSON.parse(readFileSync(path, 'utf8')) as BenchResult;

test('no flags = the default group: five schemes, closed forms met, files and report written', async (t) => {
  const dir = tempDir(t);
  const c = capture();
  const results = join(dir, 'results');
  const report = join(dir, 'BENCHMARKS.md');
  const code = await createBenchCommand(BENCH_SUITES, dir).run(['--quick', '--results-dir', results, '--report-out', report], c.io);
  t.is(code, 0, c.err());
  // Progress: one finished bar per scheme run (storm and one-migration check), on stderr.
  for (const scheme of SCHEMES) t.is(c.err().split('\n').filter((l) => l.startsWith(scheme.padEnd(16)) && l.endsWith('done')).length, 2, scheme);
  t.regex(c.out(), /Signalling schemes compared/);
  t.regex(c.out(), /scheme\s+SM MADs\/migration\s+SM MADs\/migration \(closed form\)\s+fabric MADs\s+forwards/);
  for (const scheme of SCHEMES) t.regex(c.out(), new RegExp(`\\n${scheme}\\s+\\d`));

  const schemes = join(results, 'schemes');
  const def = readResult(join(schemes, 'default.json'));
  t.deepEqual(def.rows.map((r) => r.scheme), [...SCHEMES]);
  t.deepEqual(
    Object.keys(def.rows[0]!).slice(0, 8),
    ['scheme', 'SM MADs/migration', 'SM MADs/migration (closed form)', 'fabric MADs', 'forwards', 'forwards (closed form)', 'SA queries', 'SA queries (closed form)'],
  );
  t.is(def.rows.find((r) => r.scheme === 'per-vguid')!['reduction vs per-vguid'], 1);
  for (const row of def.rows) {
    t.is(row['cache updates'], row['cache updates (closed form)'], `${row.scheme}: cache updates = Σ deg(x_i)`);
    t.is(row.stale, 0);
  }
  t.is(def.targets.length, 2 * SCHEMES.length);
  t.true(def.targets.every((x) => x.met && x.name.startsWith('closed form:')));
  for (const scheme of SCHEMES) t.true(existsSync(join(schemes, `default-${scheme}.hgrm`)), scheme);
  t.true(existsSync(join(schemes, 'default-latency-cdf.svg')));
  t.regex(readFileSync(join(schemes, 'default-latency-cdf.svg'), 'utf8'), /^<svg/);
  const exact = readResult(join(schemes, 'exact-counts.json'));
  t.true(exact.rows.length > 40);
  t.true(exact.rows.every((r) => r.ok === '✓'));
  const model = readResult(join(results, 'about.json'));
  t.true(model.rows.some((r) => r.parameter === 'smServiceNs' && typeof r['where the default comes from'] === 'string'));

  const md = readFileSync(report, 'utf8');
  t.true(md.includes('## Signalling schemes compared: migration storm (default scenario)'));
  t.true(md.includes('## Method and cost model'));
  t.true(md.includes('](results/schemes/default-latency-cdf.svg)'));
});

test('--suite sweep --quick: points with .hgrm files, three summaries with plots, closed forms met', async (t) => {
  const dir = tempDir(t);
  const c = capture();
  const results = join(dir, 'results');
  const code = await createBenchCommand(BENCH_SUITES, dir).run(['--suite', 'sweep', '--quick', '--results-dir', results, '--report=false'], c.io);
  t.is(code, 0, c.err());
  const sweep = join(results, 'sweep');
  for (const name of ['hosts', 'vms-per-host', 'sm-service']) {
    const r = readResult(join(sweep, `${name}.json`));
    t.true(r.rows.length >= 2 * SCHEMES.length, name);
    t.true(r.targets.length >= 2 && r.targets.every((x) => x.met), name);
    t.is(r.plots?.length, 1);
    t.truthy(r.plots![0]!.spec, `${name}: the report draws the chart from its spec`);
  }
  const points = readdirSync(join(sweep, 'points'));
  t.true(points.includes('hosts-8.json') && points.includes('hosts-16.json'));
  t.true(points.includes('sm-service-5000ns-per-pf.hgrm'));
  const point = JSON.parse(readFileSync(join(sweep, 'points', 'hosts-16.json'), 'utf8')) as { schemes: Record<string, { smMads: number }>; checks: Array<{ ok: boolean }> };
  t.is(point.schemes['per-pf']!.smMads, 6 + 2 * 16, 'per-pf: 6 + 2H SM MADs for one migration');
  t.true(point.checks.every((x) => x.ok));
  const rows = readResult(join(sweep, 'hosts.json')).rows;
  t.deepEqual(
    rows.filter((r) => r.scheme === 'per-vguid').map((r) => r['SM MADs/migration']),
    [6 + 2 * 16, 6 + 2 * 32],
    'per-vguid: 6 + 2N SM MADs, N = 2 VMs per host',
  );
});

test('--suite selects default | micro | sweep | engine | reliability | all; --list shows them', async (t) => {
  const dir = tempDir(t);
  const command = createBenchCommand(BENCH_SUITES, dir);
  const names = async (suite: string) => {
    const c = capture();
    t.is(await command.run(['--suite', suite, '--list'], c.io), 0);
    return c.out().trimEnd().split('\n').map((l) => l.split('\t')[0]);
  };
  t.deepEqual(await names('default'), ['default/schemes']);
  t.deepEqual(await names('micro'), ['micro/mad-codec', 'micro/tables']);
  t.deepEqual(await names('sweep'), ['sweep/sweep']);
  t.deepEqual(await names('engine'), ['engine/engine-throughput']);
  t.deepEqual(await names('reliability'), ['reliability/loss']);
  t.deepEqual(await names('all'), [
    'default/schemes', 'micro/mad-codec', 'micro/tables', 'sweep/sweep', 'engine/engine-throughput', 'reliability/loss',
  ]);
  const c = capture();
  t.is(await command.run(['--list'], c.io), 0);
  t.is(c.out(), 'default/schemes\tall five schemes on the default storm (1,000 hosts x 16 VMs x 8 peers), counts beside closed forms\n');
});

test('a missed closed-form target exits 1 with a loud message, even without --check', async (t) => {
  const dir = tempDir(t);
  writeFileSync(
    join(dir, 'bad.bench.mjs'),
    `export async function runBad() {
  return {
    suite: 'bad', title: 'Bad counts', command: 'x', rows: [{ scheme: 'per-pf' }],
    targets: [{ name: 'closed form: per-pf, one migration: checks that hold', target: '= 9 of 9', measured: 8, met: false }],
    notes: ['CLOSED-FORM MISMATCH: per-pf single: Reports sent by the SM: closed form H = 10, measured 11 (must be equal)'],
    machine: { node: 'v20', cpus: 2, cpuModel: 'x', totalMemoryGiB: 1, platform: 'linux x64' },
    generatedAt: '2026-11-26T00:00:00.000Z',
  };
}
`,
  );
  const suites: BenchSuiteEntry[] = [{ name: 'bad', group: 'default', description: 'bad', module: pathToFileURL(join(dir, 'bad.bench.mjs')).href, exportName: 'runBad' }];
  const c = capture();
  t.is(await createBenchCommand(suites, dir).run(['--report=false'], c.io), 1);
  t.regex(c.err(), /MEASURED COUNTS DIFFER FROM THE CLOSED FORMS OF DESIGN\.md/);
  t.regex(c.err(), /closed form: per-pf, one migration: checks that hold: 8 \(required = 9 of 9\)/);
  t.regex(c.err(), /Reports sent by the SM: closed form H = 10, measured 11/);
});

test('the progress line shows the scheme, a bar, virtual and wall progress', (t) => {
  const line = progressLine({ scheme: 'per-pf', phase: 'migrations', virtualNs: 250e6, virtualEndNs: 1e9, wallMs: 1500, events: 2_500_000 }, 8);
  t.is(line, 'per-pf           ██░░░░░░  25%  virtual 0.25 s of ~1.00 s  wall 1.50 s  2.50 M events  migrating');
});
