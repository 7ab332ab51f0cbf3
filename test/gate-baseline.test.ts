// The regression gate: a baseline written from the quick scenario passes on a re-run and fails
// on a doctored baseline (a changed count; a throughput 50 % higher than achievable). The
// throughput comparison is tested on fixed figures, so no assertion depends on timing.
import test from 'ava';
import type { ExecutionContext } from 'ava';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBenchCommand } from '../core/cli/bench-command.js';
import { BENCH_SUITES } from '../core/cli/bench-suites.js';
import type { CliIo } from '../core/cli/command.js';
import { UsageError } from '../core/cli/args.js';
import { BASELINE_KIND, compareToBaseline, type Baseline, type GateMeasurement } from '../bench/gate.js';
import { SCHEMES } from '../core/scenario/scenario.js';

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
  const dir = mkdtempSync(join(tmpdir(), 'repath-gate-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function writeQuickBaseline(t: ExecutionContext, dir: string, extra: string[] = []): Promise<string> {
  const c = capture();
  const code = await createBenchCommand(BENCH_SUITES, dir).run(['--write-baseline', '--quick', '--results-dir', dir, ...extra], c.io);
  t.is(code, 0, c.err());
  t.regex(c.out(), /^wrote .*baseline\.json: 5 schemes, \d+ deterministic figures/);
  return join(dir, 'baseline.json');
}

async function gate(dir: string, path: string, extra: string[] = []): Promise<{ code: number; out: string; err: string }> {
  const c = capture();
  const code = await createBenchCommand(BENCH_SUITES, dir).run(['--gate', path, ...extra], c.io);
  return { code, out: c.out(), err: c.err() };
}

test('deterministic gate: passes on the real baseline, fails on a changed count naming it', async (t) => {
  const dir = tempDir(t);
  const path = await writeQuickBaseline(t, dir, ['--deterministic-only']);
  const b = JSON.parse(readFileSync(path, 'utf8')) as Baseline;
  t.is(b.kind, BASELINE_KIND);
  t.deepEqual(Object.keys(b.schemes), [...SCHEMES]);
  t.is(b.schemes['per-pf']!.counts['setup.smRecvInformInfo'], b.scenario.hosts!, 'per-pf: H InformInfo Sets at setup');

  const pass = await gate(dir, path, ['--deterministic-only']);
  t.is(pass.code, 0, pass.out + pass.err);
  t.regex(pass.out, /gate: passed, \d+ figures compared/);

  const doctored = structuredClone(b);
  doctored.schemes['per-pf']!.counts['migration.smSentReport']! += 1;
  const bad = join(dir, 'doctored.json');
  writeFileSync(bad, JSON.stringify(doctored));
  const fail = await gate(dir, bad, ['--deterministic-only']);
  t.is(fail.code, 1);
  const real = b.schemes['per-pf']!.counts['migration.smSentReport']!;
  t.regex(fail.out, new RegExp(`gate: FAILED, 1 of \\d+ figures differ:\\n  per-pf migration\\.smSentReport: baseline ${real + 1}, now ${real}\\n`));
});

function measurement(relative: Record<string, number>): GateMeasurement {
  return {
    scenario: { hosts: 4 },
    referenceOpsPerSecond: 1e7,
    deterministicOnly: false,
    schemes: Object.fromEntries(
      Object.entries(relative).map(([scheme, r]) => [scheme, { counts: { 'migration.smSentReport': 8, latencyP99Us: 12.5 }, eventsPerSecond: r * 1e7, relativeThroughput: r, gated: true }]),
    ),
  };
}

test('throughput: a baseline 50 % higher than achievable fails; the real one and noise within 10 % pass', (t) => {
  const now = measurement({ 'per-pf': 0.04, 'per-vguid': 0.05 });
  t.true(compareToBaseline(now, now).ok);
  const noisy = measurement({ 'per-pf': 0.04 * 0.95, 'per-vguid': 0.05 * 1.2 });
  t.true(compareToBaseline(now, noisy).ok, 'a 5 % fall is inside the 10 % threshold');
  const doctored = measurement({ 'per-pf': 0.04 * 1.5, 'per-vguid': 0.05 });
  const out = compareToBaseline(doctored, now);
  t.false(out.ok);
  t.is(out.failures.length, 1);
  t.regex(out.failures[0]!, /^per-pf relative throughput: baseline 0\.06000, now 0\.04000 \(-33\.3 %\): fell by more than 10 %$/);
  t.true(compareToBaseline(doctored, now, { threshold: 0.4 }).ok, '--gate-threshold 0.4 tolerates it');
  t.true(compareToBaseline(doctored, now, { deterministicOnly: true }).ok, '--deterministic-only ignores throughput');
  const ungated = measurement({ 'per-pf': 0.04 * 1.5 });
  ungated.schemes['per-pf']!.gated = false;
  t.true(compareToBaseline(ungated, measurement({ 'per-pf': 0.04 })).ok, 'an ungated figure is recorded, not compared');
  const missing = compareToBaseline(now, measurement({ 'per-pf': 0.04 }));
  t.deepEqual(missing.failures, ['per-vguid: in the baseline but not measured']);
});

test('full gate end to end: a baseline whose throughput no machine reaches fails on throughput alone', async (t) => {
  const dir = tempDir(t);
  const path = await writeQuickBaseline(t, dir);
  const b = JSON.parse(readFileSync(path, 'utf8')) as Baseline;
  t.true(b.referenceOpsPerSecond > 0);
  for (const s of SCHEMES) t.true(b.schemes[s]!.relativeThroughput > 0, s);
  // Far above anything this machine achieves: the gate must fail on throughput alone.
  const doctored = structuredClone(b);
  // The quick runs are too short to be gated by default (MIN_GATED_EVENTS); the doctored file gates them.
  for (const s of SCHEMES) {
    t.false(b.schemes[s]!.gated, `${s}: a few hundred events are not gated`);
    doctored.schemes[s]!.relativeThroughput *= 1000;
    doctored.schemes[s]!.gated = true;
  }
  const real = await gate(dir, path);
  t.is(real.code, 0, real.out);
  t.notRegex(real.out, /relative throughput/, 'nothing gated, nothing compared');
  const bad = join(dir, 'fast.json');
  writeFileSync(bad, JSON.stringify(doctored));
  const fail = await gate(dir, bad);
  t.is(fail.code, 1);
  t.regex(fail.out, /per-pf relative throughput: .*fell by more than 10 %/);
  t.notRegex(fail.out, /migration\./, 'no count differs');
});

test('bad gate input: threshold outside [0, 1) is a usage error; a non-baseline file exits 2 naming it', async (t) => {
  const dir = tempDir(t);
  const command = createBenchCommand(BENCH_SUITES, dir);
  await t.throwsAsync(command.run(['--gate', 'x.json', '--gate-threshold', '1.5'], capture().io), {
    instanceOf: UsageError,
    message: '--gate-threshold: 1.5 is not a fraction in [0, 1)',
  });
  const file = join(dir, 'not-a-baseline.json');
  writeFileSync(file, JSON.stringify({ suite: 'x' }));
  const r = await gate(dir, file);
  t.is(r.code, 2);
  t.regex(r.err, /baseline .*not-a-baseline\.json: kind is undefined, not "repath-bench-baseline"/);
});
