// `repath bench --suite sweep`: how the schemes scale and how much the ranking leans on the
// cost model. Three dimensions, each point a run of all five schemes:
// - hosts: 64 .. 49,151 (log steps), 16 VMs per host, 8 peers, one migration: SM MADs per
//   migration, log-log, one line per scheme (each point checked against its closed form);
// - VMs per host: 1 .. 128 at 1,024 hosts (one spare host so 128-VM hosts have somewhere to go);
// - the SM's per-MAD service time (smServiceNs) on a storm of the default fabric: reconnection
//   p99, the figure the ranking depends on most.
// Each point is written to results/sweep/points/<dimension>-<value>.json (counters, latency
// summary, closed-form checks, wall time) with one .hgrm per scheme; each dimension's summary
// (table + plot) to results/sweep/<dimension>.json, which BENCHMARKS.md shows.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { machineFacts, writeBenchResult, type BenchResult } from './bench-result.js';
import { sensitivity, smMadsVsHosts } from './plots/index.js';
import { generateScenario } from '../core/scenario/generator.js';
import type { ScenarioOptions } from '../core/scenario/scenario-options.js';
import { SCHEMES, type Scenario, type SchemeName } from '../core/scenario/scenario.js';
import { COST_PARAMETERS, defaultCostModel, withOverrides, type CostModel } from '../core/engine/cost-model.js';
import { LatencyHistogram } from '../core/metrics/latency-histogram.js';
import { checkSingleMigration, checkStorm, singleMigrationForm, smMadsOf, type CountCheck } from './closed-forms.js';
import { closedFormFailures, closedFormTargets, costModelNote, runScheme, type SchemeRun } from './schemes.bench.js';
import type { BenchRunOptions } from '../core/cli/bench-suites.js';

/** Fabric sizes, log steps up to the full unicast LID space. */
export const SWEEP_HOSTS = [64, 256, 1024, 4096, 16384, 49151] as const;
/** Largest fabric the sweep runs unless --max-hosts says otherwise (minutes, not hours, on 2 cores). */
export const DEFAULT_MAX_HOSTS = 4096;
export const SWEEP_VMS_PER_HOST = [1, 2, 4, 8, 16, 32, 64, 128] as const;
/** SM service time per MAD, ns: 1 us .. 50 us around the 5 us default. */
export const SWEEP_SM_SERVICE_NS = [1000, 2000, 5000, 10000, 20000, 50000] as const;

interface SweepPlan {
  hosts: readonly number[];
  hostsBase: ScenarioOptions;
  vmsPerHost: readonly number[];
  vmsBase: ScenarioOptions;
  smServiceNs: readonly number[];
  smBase: ScenarioOptions;
}

function plan(quick: boolean, maxHosts: number): SweepPlan {
  if (quick) {
    return {
      hosts: [8, 16],
      hostsBase: { seed: 1, vmsPerHost: 2, peersPerVm: 2, migrationPattern: 'single' },
      vmsPerHost: [1, 4],
      vmsBase: { seed: 1, hosts: 9, spareHosts: 1, peersPerVm: 2, migrationPattern: 'single' },
      smServiceNs: [2000, 5000],
      smBase: { seed: 1, hosts: 12, vmsPerHost: 2, peersPerVm: 2, migrationPattern: 'storm', migrations: 3, migrationWindowNs: 100_000_000 },
    };
  }
  return {
    hosts: SWEEP_HOSTS.filter((h) => h <= maxHosts),
    hostsBase: { seed: 1, vmsPerHost: 16, peersPerVm: 8, migrationPattern: 'single' },
    vmsPerHost: SWEEP_VMS_PER_HOST,
    vmsBase: { seed: 1, hosts: 1024, spareHosts: 1, peersPerVm: 8, migrationPattern: 'single' },
    smServiceNs: SWEEP_SM_SERVICE_NS,
    smBase: { seed: 1, hosts: 1000, vmsPerHost: 16, peersPerVm: 8, migrationPattern: 'storm', migrations: 20, migrationWindowNs: 100_000_000 },
  };
}

/** Above this the fat tree's switches no longer fit beside the hosts in 49,151 LIDs. */
const STRICT_LID_SPACE_HOSTS = 40_000;

interface PointOutcome {
  name: string;
  scenario: Scenario;
  runs: SchemeRun[];
  checks: CountCheck[];
  wallSeconds: number;
}

/** Runs one point (all schemes, setup written into the tables) and writes its JSON and .hgrm files. */
function runPoint(dir: string, name: string, options: ScenarioOptions, cost: CostModel, o: BenchRunOptions): PointOutcome {
  const started = performance.now();
  const scenario = generateScenario({ ...options, ...((options.hosts ?? 0) > STRICT_LID_SPACE_HOSTS ? { lidSpace: 'hosts-only' as const } : {}) });
  o.note?.(`point ${name}: ${scenario.description.hosts} hosts x ${scenario.description.vmsPerHost} VMs, ${scenario.description.migrations} migration(s)\n`);
  const runs: SchemeRun[] = [];
  const checks: CountCheck[] = [];
  for (const scheme of SCHEMES) {
    const r = runScheme(scenario, scheme, { cost, setup: 'direct', ...(o.progress ? { onProgress: o.progress } : {}) });
    runs.push(r);
    const m = { counters: r.counters, setup: r.setup, reconnections: r.latency.count };
    checks.push(
      ...(scenario.migrationVm.length === 1
        ? checkSingleMigration(scenario, scheme, m, cost, { setupByMads: false })
        : checkStorm(scenario, scheme, m, { setupByMads: false })),
    );
  }
  const wallSeconds = (performance.now() - started) / 1000;
  const points = join(dir, 'points');
  mkdirSync(points, { recursive: true });
  for (const r of runs) writeFileSync(join(points, `${name}-${r.scheme}.hgrm`), r.latency.toHgrm());
  const point = {
    kind: 'repath-sweep-point',
    name,
    scenario: scenario.options,
    description: scenario.description,
    cost,
    wallSeconds,
    schemes: Object.fromEntries(
      runs.map((r) => [
        r.scheme,
        { counters: r.counters, smMads: smMadsOf(r.counters), latencyUs: r.latency.summary(), events: r.events, virtualTimeNs: r.virtualTimeNs, setupWallMs: r.setupWallMs, wallMs: r.wallMs },
      ]),
    ),
    checks,
    machine: machineFacts(),
    generatedAt: new Date().toISOString(),
  };
  // JSON has no Infinity (trapExpiryNs): write it as a string.
  writeFileSync(join(points, `${name}.json`), JSON.stringify(point, (_k, v: unknown) => (v === Infinity ? 'Infinity' : v), 2) + '\n');
  return { name, scenario, runs, checks, wallSeconds };
}

const runOf = (p: PointOutcome, scheme: SchemeName): SchemeRun => p.runs.find((r) => r.scheme === scheme)!;

export async function runSweepBench(options: BenchRunOptions = {}): Promise<BenchResult[]> {
  await LatencyHistogram.ready();
  const quick = options.quick === true;
  const maxHosts = options.maxHosts ?? DEFAULT_MAX_HOSTS;
  const p = plan(quick, maxHosts);
  const dir = join(options.resultsDir ?? 'results', 'sweep');
  mkdirSync(dir, { recursive: true });
  const cost = defaultCostModel();
  const machine = machineFacts();
  const generatedAt = new Date().toISOString();
  const flagsOf = quick ? ' --quick' : maxHosts !== DEFAULT_MAX_HOSTS ? ` --max-hosts ${maxHosts}` : '';
  const command = `repath bench --suite sweep${flagsOf}`;

  // ---- hosts
  const hostPoints = p.hosts.map((h) => runPoint(dir, `hosts-${h}`, { ...p.hostsBase, hosts: h }, cost, options));
  const hostRows: BenchResult['rows'] = [];
  for (const pt of hostPoints) {
    for (const scheme of SCHEMES) hostRows.push(singleRow('hosts', pt.scenario.hosts, pt, scheme));
  }
  const hostChecks = hostPoints.flatMap((pt) => pt.checks.map((c) => ({ ...c, run: `${pt.name}` })));
  const hosts: BenchResult = {
    suite: 'sweep-hosts',
    title: 'Sweep: SM MADs per migration against fabric size',
    command,
    rows: hostRows,
    targets: closedFormTargets(hostChecks, 'run'),
    notes: [
      `One migration (VM picked by seed 1) on fabrics of ${p.hosts.join(', ')} hosts, ${p.hostsBase.vmsPerHost} VMs per host, ${p.hostsBase.peersPerVm} uniform peers; state written into the tables (direct setup), so only the migration's MADs are counted. Closed form = DESIGN.md's single-migration count (6 MADs for the move + 2 per Report or PathRecord).`,
      `Largest point run: ${Math.max(...p.hosts)} hosts${quick ? ' (quick)' : maxHosts < 49151 ? `; larger points: repath bench --suite sweep --max-hosts 49151` : ''}. Wall time per point: ${hostPoints.map((pt) => `${pt.name} ${pt.wallSeconds.toFixed(1)} s`).join(', ')}.`,
      costModelNote(cost),
      ...closedFormFailures(hostChecks).map((f) => `CLOSED-FORM MISMATCH: ${f}`),
    ],
    machine,
    generatedAt,
    plots: [
      {
        file: 'hosts-sm-mads.svg',
        title: 'SM MADs per migration against fabric size (log-log)',
        spec: smMadsVsHosts(hostPoints.flatMap((pt) => SCHEMES.map((scheme) => ({ scheme, hosts: pt.scenario.hosts, smMads: smMadsOf(runOf(pt, scheme).counters) })))),
      },
    ],
  };

  // ---- VMs per host
  const vmPoints = p.vmsPerHost.map((v) => runPoint(dir, `vms-per-host-${v}`, { ...p.vmsBase, vmsPerHost: v }, cost, options));
  const vmRows: BenchResult['rows'] = [];
  for (const pt of vmPoints) {
    for (const scheme of SCHEMES) vmRows.push(singleRow('VMs per host', Number(pt.scenario.description.vmsPerHost), pt, scheme));
  }
  const vmChecks = vmPoints.flatMap((pt) => pt.checks.map((c) => ({ ...c, run: `${pt.name}` })));
  const vms: BenchResult = {
    suite: 'sweep-vms-per-host',
    title: 'Sweep: SM MADs per migration against VMs per host',
    command,
    rows: vmRows,
    targets: closedFormTargets(vmChecks, 'run'),
    notes: [
      `One migration on ${p.vmsBase.hosts} hosts (one left empty as a spare target), ${p.vmsPerHost.join(', ')} VMs per host, ${p.vmsBase.peersPerVm} uniform peers; direct setup. per-pf's Reports stay at H while per-vguid's grow with N = H x V.`,
      `Wall time per point: ${vmPoints.map((pt) => `${pt.name} ${pt.wallSeconds.toFixed(1)} s`).join(', ')}.`,
      ...closedFormFailures(vmChecks).map((f) => `CLOSED-FORM MISMATCH: ${f}`),
    ],
    machine,
    generatedAt,
    plots: [
      {
        file: 'vms-per-host-sm-mads.svg',
        title: 'SM MADs per migration against VMs per host (log-log)',
        spec: smMadsVsHosts(
          vmPoints.flatMap((pt) => SCHEMES.map((scheme) => ({ scheme, hosts: Number(pt.scenario.description.vmsPerHost), smMads: smMadsOf(runOf(pt, scheme).counters) }))),
          { title: 'Subnet-manager MADs per migration against VMs per host', xTitle: 'VMs per host' },
        ),
      },
    ],
  };

  // ---- SM service time
  const smPoints = p.smServiceNs.map((ns) => runPoint(dir, `sm-service-${ns}ns`, p.smBase, withOverrides(cost, { smServiceNs: ns }), options));
  const smRows: BenchResult['rows'] = [];
  const sens: Array<{ scheme: string; parameterValue: number; metric: number }> = [];
  p.smServiceNs.forEach((ns, i) => {
    const pt = smPoints[i]!;
    for (const scheme of SCHEMES) {
      const r = runOf(pt, scheme);
      const s = r.latency.summary();
      smRows.push({
        'smServiceNs (µs)': ns / 1000,
        scheme,
        'SM MADs/migration': smMadsOf(r.counters) / Math.max(1, pt.scenario.migrationVm.length),
        'SA queries': r.counters.vmSaQueries,
        'RC detections': r.counters.vmPeerDetections,
        'p50 (ms)': s.p50 / 1000,
        'p99 (ms)': s.p99 / 1000,
        'max (ms)': s.max / 1000,
        stale: r.counters.staleEntries,
      });
      sens.push({ scheme, parameterValue: ns / 1000, metric: s.p99 / 1000 });
    }
  });
  const smChecks = smPoints.flatMap((pt) => pt.checks.map((c) => ({ ...c, run: `${pt.name}` })));
  const sm: BenchResult = {
    suite: 'sweep-sm-service',
    title: 'Sweep: sensitivity to the SM service time per MAD',
    command,
    rows: smRows,
    targets: closedFormTargets(smChecks, 'run'),
    notes: [
      `Storm of ${p.smBase.migrations} migrations within ${(p.smBase.migrationWindowNs ?? 0) / 1e6} ms on ${p.smBase.hosts} hosts x ${p.smBase.vmsPerHost} VMs x ${p.smBase.peersPerVm} peers; smServiceNs = ${p.smServiceNs.map((n) => `${n / 1000} µs`).join(', ')} (default ${COST_PARAMETERS.smServiceNs.default / 1000} µs: ${COST_PARAMETERS.smServiceNs.source}). Every other parameter at its default.`,
      'The signalling schemes win only while the SM gets each notice out before the peers\' RC timeout; the slower the SM, the sooner per-vguid (and then per-pf) fall back to RC detection and PathRecord queries.',
      `Wall time per point: ${smPoints.map((pt) => `${pt.name} ${pt.wallSeconds.toFixed(1)} s`).join(', ')}.`,
      ...closedFormFailures(smChecks).map((f) => `CLOSED-FORM MISMATCH: ${f}`),
    ],
    machine,
    generatedAt,
    plots: [
      {
        file: 'sm-service-p99.svg',
        title: 'p99 reconnection latency against the SM service time per MAD',
        spec: sensitivity(sens, 'SM service time per MAD (µs)', 'p99 reconnection latency (ms, virtual time)', { defaultValue: COST_PARAMETERS.smServiceNs.default / 1000 }),
      },
    ],
  };

  writeBenchResult(join(dir, 'hosts.json'), hosts);
  writeBenchResult(join(dir, 'vms-per-host.json'), vms);
  writeBenchResult(join(dir, 'sm-service.json'), sm);
  return [hosts, vms, sm];
}

function singleRow(dimension: string, value: number, pt: PointOutcome, scheme: SchemeName): Record<string, string | number> {
  const r = runOf(pt, scheme);
  const s = r.latency.summary();
  const f = singleMigrationForm(pt.scenario, scheme, pt.scenario.migrationVm[0]!);
  const ok = pt.checks.filter((c) => c.scheme === scheme).every((c) => c.ok);
  return {
    [dimension]: value,
    scheme,
    'SM MADs/migration': smMadsOf(r.counters),
    'SM MADs (closed form)': f.smMads,
    Reports: r.counters.smSentReport,
    'Reports (closed form)': f.reports,
    forwards: r.counters.dom0NoticeForwards,
    'forwards (closed form)': f.forwards,
    'SA queries': r.counters.vmSaQueries,
    'p99 (ms)': s.p99 / 1000,
    'checks': ok ? '✓' : '✗',
    'wall (s)': Number(((r.setupWallMs + r.wallMs) / 1000).toFixed(2)),
  };
}
