// Loss benchmark (issue 7, item 1): every scheme under 1% and 10% MAD loss on the emulated
// fabric, with VMs created, subscriptions made and paths resolved by MADs on the same lossy
// fabric, then a migration storm. Each row: stale entries at the end (must be 0), the MADs the
// SM handled (the MMO) against the lossless run of the same scenario (the cost of the loss), the
// retries spent by each party, and the reconnection latency p99.
//
//   node dist/bench/loss.bench.js [--quick] [--results-dir DIR]
//
// Writes results/reliability/loss.json. Virtual time: the figures do not depend on the machine.
import { join } from 'node:path';
import { generateScenario } from '../core/scenario/generator.js';
import type { Scenario, SchemeName } from '../core/scenario/scenario.js';
import { SCHEMES } from '../core/scenario/scenario.js';
import { EmulatedSubnet } from '../core/engine/single-thread-run.js';
import { defaultCostModel, withOverrides } from '../core/engine/cost-model.js';
import { ALL_LOSS_KINDS, LossKind } from '../core/fabric/loss-kinds.js';
import { ArrayLatencyRecorder } from '../core/metrics/latency-recorder.js';
import { smMadsOf } from './closed-forms.js';
import { machineFacts, writeBenchResult, type BenchResult, resultsDirOr } from './bench-result.js';
import { redrivesOf, updatesAbandoned } from './updates-abandoned.js';
import { benchMain, isEntryPoint, resultsDirFlag } from './bench-main.js';

export interface LossCase {
  scheme: SchemeName;
  loss: number;
  lossKinds: number;
  /** Cache entries disagreeing with the SM at the end (must be 0). */
  stale: number;
  entries: number;
  /** MADs the fabric dropped (setup and storm). */
  dropped: number;
  /** SM MADs, whole run (setup + storm). */
  smMads: number;
  /** Re-sends: SM Reports, Dom0 GUIDInfoRecord / InformInfo / Trap, VM PathRecord / InformInfo. */
  reportRetries: number;
  dom0Retries: number;
  vmRetries: number;
  /** Rounds re-driven after their re-sends ran out (SM Reports, Dom0 requests, VM re-queries). */
  redrives: number;
  /** Updates given up for good (bench/updates-abandoned.ts). */
  abandoned: number;
  migrations: number;
  /** Reconnection latency p50 / p99 of the storm, ms (virtual time). */
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface LossScenarioOptions {
  hosts?: number;
  vmsPerHost?: number;
  migrations?: number;
  seed?: number;
}

/** The benchmark's scenario: a storm on a small fat tree, every VM with a few peers. */
export function lossScenario(o: LossScenarioOptions = {}): Scenario {
  const hosts = o.hosts ?? 16;
  const vmsPerHost = o.vmsPerHost ?? 6;
  return generateScenario({
    seed: o.seed ?? 7,
    hosts,
    slotsPerHost: vmsPerHost + 2,
    vmsPerHost,
    spareHosts: 2,
    peersPerVm: 4,
    migrations: o.migrations ?? 12,
    migrationWindowNs: 100_000_000,
  });
}

/** One run of `scheme` on `scenario` with loss probability `loss` on the MAD kinds of `lossKinds`. */
export function runLossCase(scenario: Scenario, scheme: SchemeName, loss: number, lossKinds = ALL_LOSS_KINDS): LossCase {
  const cost = withOverrides(defaultCostModel(), { lossProbability: loss, lossKinds });
  const latency = new ArrayLatencyRecorder();
  const sub = new EmulatedSubnet(scenario, scheme, { cost, latency });
  sub.setup('mads');
  sub.scheduleMigrations();
  sub.run();
  const { stale, entries } = sub.countStale();
  const c = sub.counters.toObject();
  const values = latency.values().slice().sort((a, b) => a - b);
  const q = (p: number) => (values.length === 0 ? 0 : values[Math.min(values.length - 1, Math.ceil(p * values.length) - 1)]!);
  return {
    scheme,
    loss,
    lossKinds,
    stale,
    entries,
    dropped: c.fabricDropped,
    smMads: smMadsOf(c),
    reportRetries: c.smSentReportRetry,
    dom0Retries: c.dom0RequestRetries + c.dom0InformInfoRetries + c.dom0TrapRetries,
    vmRetries: c.vmSaQueryTimeouts - c.vmSaQueriesAbandoned + c.vmInformInfoRetries + c.vmRequeriesAfterAbandon,
    redrives: redrivesOf(c),
    abandoned: updatesAbandoned(c),
    migrations: c.migrations,
    p50Ms: q(0.5) / 1e6,
    p99Ms: q(0.99) / 1e6,
    maxMs: (values.length === 0 ? 0 : values[values.length - 1]!) / 1e6,
  };
}

export interface LossBenchOptions {
  quick?: boolean;
  resultsDir?: string | undefined;
  rates?: readonly number[];
}

export function runLossBench(options: LossBenchOptions = {}): BenchResult {
  const scenario = options.quick ? lossScenario({ hosts: 8, vmsPerHost: 4, migrations: 6 }) : lossScenario();
  const rates = options.rates ?? [0.01, 0.1];
  const rows: Array<Record<string, string | number>> = [];
  const targets: BenchResult['targets'] = [];
  const perKind: [SchemeName, string, number][] = [
    ['per-pf', 'ReportResp', LossKind.ReportResp],
    ['per-pf', 'Report', LossKind.Report],
    ['per-vguid', 'ReportResp', LossKind.ReportResp],
    ['static-no-signal', 'PathRecord', LossKind.PathRecord],
  ];
  const cases: [SchemeName, string, number, number][] = [];
  for (const scheme of SCHEMES) for (const loss of [0, ...rates]) cases.push([scheme, 'all', ALL_LOSS_KINDS, loss]);
  for (const [scheme, name, mask] of perKind) cases.push([scheme, name, mask, rates[rates.length - 1]!]);
  const bases = new Map<SchemeName, LossCase>();
  for (const [scheme, kinds, mask, loss] of cases) {
    let base = bases.get(scheme);
    if (base === undefined) {
      base = runLossCase(scenario, scheme, 0);
      bases.set(scheme, base);
    }
    const r = loss === 0 ? base : runLossCase(scenario, scheme, loss, mask);
    rows.push({
      scheme,
      'lost kinds': kinds,
      'loss %': loss * 100,
      'MADs dropped': r.dropped,
      'SM MADs': r.smMads,
      'extra SM MADs': r.smMads - base.smMads,
      'extra SM MADs %': base.smMads === 0 ? 0 : Math.round(((r.smMads - base.smMads) / base.smMads) * 1000) / 10,
      'Report retries': r.reportRetries,
      'Dom0 retries': r.dom0Retries,
      'VM retries': r.vmRetries,
      're-drives': r.redrives,
      'updates abandoned': r.abandoned,
      'stale entries': r.stale,
      'reconnect p50 ms': Math.round(r.p50Ms * 1000) / 1000,
      'reconnect p99 ms': Math.round(r.p99Ms * 1000) / 1000,
      'reconnect max ms': Math.round(r.maxMs * 1000) / 1000,
    });
    targets.push({
      name: `${scheme}, ${loss * 100}% loss of ${kinds === 'all' ? 'every MAD kind' : `${kinds}s only`}: stale cache entries at the end + updates abandoned`,
      target: '0',
      measured: r.stale + r.abandoned,
      met: r.stale + r.abandoned === 0,
    });
  }
  const quick = options.quick === true;
  const result: BenchResult = {
    suite: 'loss',
    title: 'Signalling under MAD loss: cost of the retries, convergence',
    command: `node dist/bench/loss.bench.js${quick ? ' --quick' : ''}`,
    rows,
    targets,
    notes: [
      `Scenario: ${scenario.hosts} hosts, ${scenario.vms} VMs, ${scenario.peerList.length} peer paths, ${scenario.migrationVm.length} migrations in 100 ms; seed ${scenario.seed}.`,
      'Loss applies to every MAD on the wire (cost.lossProbability, cost.lossKinds = 0x7f), setup included: VM creation, subscriptions and path queries also run on the lossy fabric. The last rows lose one kind only (cost.lossKinds), isolating one recovery path.',
      '"SM MADs" counts every MAD the SM sent or received over the whole run; "extra" is against the lossless run of the same scenario and scheme.',
      'Recovery: Reports re-sent after reportRespTimeoutNs (200 ms), agents re-send after clientRespTimeoutNs (200 ms); when a round of re-sends runs out the SM and Dom0 re-drive it (reportRedriveRounds, clientRedriveRounds) and a VM asks again after its next RC timeout; peers whose notice was lost repair through the RC timeout (470 ms) and a PathRecord query. Latencies are virtual time.',
      '"updates abandoned" counts updates given up for good (bench/updates-abandoned.ts); with the stale entries it is the "updates lost" of the reliability table.',
    ],
    machine: machineFacts(),
    generatedAt: new Date().toISOString(),
  };
  const resultsDir = resultsDirOr(options.resultsDir);
  writeBenchResult(join(resultsDir, 'reliability', 'loss.json'), result);
  return result;
}

if (isEntryPoint(import.meta.url)) {
  await benchMain(
    {
      script: 'loss.bench.js',
      about: 'Every scheme under MAD loss, by kind of MAD lost: convergence, retries, abandoned updates; writes results/reliability/loss.json.',
      flags: {
        quick: { type: 'boolean', description: 'a small subnet (a smoke run)' },
        'results-dir': resultsDirFlag('reliability/loss.json'),
      },
    },
    ({ quick, 'results-dir': dir }) => {
      const result = runLossBench({ quick: quick === true, resultsDir: dir });
      console.table(result.rows);
      for (const t of result.targets) if (!t.met) console.log(`MISS ${t.name}: ${t.measured} (target ${t.target})`);
    },
  );
}
