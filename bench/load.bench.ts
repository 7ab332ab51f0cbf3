// Load benchmark (issue 7 item 6): a large share of all VMs migrating in the same 100 ms window
// at 10,000 hosts. Each row: the storm, the SM's peak queue depths (SA requests waiting or in
// service; Reports owed and not yet sent; Reports in flight), the retries and re-drives spent,
// updates abandoned and stale cache entries at the end (both must be 0).
//
//   node dist/bench/load.bench.js [--quick] [--hosts N] [--only SCHEME [--storm PERCENT]] [--results-dir DIR]
//
// Writes results/reliability/load.json. The counts are virtual-time results (machine
// independent); wall times are this machine's. With --only, the scheme's rows (and targets and
// notes) replace that scheme's in the existing file and the other schemes' rows are kept, so one
// long case can be re-run alone.
//
// Storm sizes: 10% of 10,000 x 16 VMs is 16,000 migrations. per-pf then owes 16,000 x 10,000 =
// 160 M Reports and 2.56 G VF deliveries; per-vguid 16,000 x 160,000 = 2.56 G Reports. Where a
// scheme cannot finish that in minutes here, it runs a stated smaller share (LOAD_CASES).
import { join } from 'node:path';
import { generateScenario } from '../core/scenario/generator.js';
import type { SchemeName } from '../core/scenario/scenario.js';
import { EmulatedSubnet } from '../core/engine/single-thread-run.js';
import { isSignalling } from '../core/schemes.js';
import { defaultCostModel, withOverrides } from '../core/engine/cost-model.js';
import { ArrayLatencyRecorder } from '../core/metrics/latency-recorder.js';
import { machineFacts, readBenchResult, writeBenchResult, type BenchResult, resultsDirOr } from './bench-result.js';
import { queriesAbandoned, redrivesOf, updatesAbandoned } from './updates-abandoned.js';
import { benchMain, isEntryPoint, resultsDirFlag } from './bench-main.js';
import { UsageError } from '../core/cli/args.js';
import { SCHEMES } from '../core/scenario/scenario.js';

export interface LoadCase {
  scheme: SchemeName;
  /** Share of all VMs migrating in the window, percent. */
  stormPercent: number;
  /** Why the share is below the issue's 10%, if it is. */
  reason?: string;
  /** Cost-model overrides of this row (default: none). */
  cost?: Readonly<Record<string, number>>;
}

/**
 * Agents that keep asking: 8 re-sends per round (1.8 s) instead of 3 (0.8 s). Under a 16,000-
 * migration storm the RC fallback of peers that were themselves migrating when their notice went
 * out queues tens of thousands of PathRecord queries at the SA's 7 k/s; with 3 re-sends and 3
 * re-query rounds a VM gives up after about 4.6 s, before the queue drains.
 */
export const PATIENT_AGENTS: Readonly<Record<string, number>> = { clientMaxRetries: 8 };

/** The issue's 10% where it runs in minutes on this machine; stated smaller shares elsewhere. */
export const LOAD_CASES: readonly LoadCase[] = [
  { scheme: 'per-pf-interest', stormPercent: 10 },
  { scheme: 'per-pf-interest', stormPercent: 10, cost: PATIENT_AGENTS },
  // 16,000 migrations x 10,000 hosts = 160 M Reports and 2.56 G VF deliveries: about 10 minutes.
  { scheme: 'per-pf', stormPercent: 10 },
  {
    scheme: 'per-vguid',
    stormPercent: 0.1,
    reason:
      'per-vguid owes one Report per VM per migration: 10% would be 16,000 x 160,000 = 2.56 G Reports, hours of main-thread work (the estimate below); 0.1% (160 migrations, 25.6 M Reports) runs in minutes (`--only per-vguid --storm 10` runs the full share)',
  },
  { scheme: 'static-no-signal', stormPercent: 10 },
  { scheme: 'static-no-signal', stormPercent: 10, cost: PATIENT_AGENTS },
  { scheme: 'dynamic', stormPercent: 10, cost: PATIENT_AGENTS },
];

export interface LoadRow {
  scheme: SchemeName;
  hosts: number;
  vms: number;
  migrations: number;
  stormPercent: number;
  reports: number;
  saRequests: number;
  peakSaQueue: number;
  peakReportQueue: number;
  peakReportsInFlight: number;
  reportWindowWaits: number;
  retries: number;
  redrives: number;
  abandoned: number;
  queriesAbandoned: number;
  duplicates: number;
  stale: number;
  virtualS: number;
  wallS: number;
  p99Ms: number;
  maxMs: number;
}

export interface LoadOptions {
  cost?: Readonly<Record<string, number>>;
  hosts?: number;
  vmsPerHost?: number;
  peers?: number;
  seed?: number;
  log?: (s: string) => void;
}

/** One storm of `stormPercent`% of all VMs under `scheme`, run to quiescence. */
export function runLoadCase(scheme: SchemeName, stormPercent: number, o: LoadOptions = {}): LoadRow {
  const hosts = o.hosts ?? 10_000;
  const vmsPerHost = o.vmsPerHost ?? 16;
  const t0 = performance.now();
  const scenario = generateScenario({
    seed: o.seed ?? 11,
    hosts,
    vmsPerHost,
    slotsPerHost: vmsPerHost * 2,
    peersPerVm: o.peers ?? 8,
    stormPercent,
    migrationWindowNs: 100_000_000,
  });
  const latency = new ArrayLatencyRecorder();
  const sub = new EmulatedSubnet(scenario, scheme, { latency, cost: withOverrides(defaultCostModel(), o.cost ?? {}) });
  sub.setup('direct');
  const before = sub.counters.snapshot();
  const start = sub.nowNs;
  sub.scheduleMigrations();
  sub.run();
  sub.countStale();
  const c = sub.counters.minus(before).toObject();
  const values = latency.values().slice().sort((a, b) => a - b);
  const q = (p: number) => (values.length === 0 ? 0 : values[Math.min(values.length - 1, Math.ceil(p * values.length) - 1)]!);
  return {
    scheme,
    hosts,
    vms: scenario.vms,
    migrations: c.migrations,
    stormPercent,
    reports: c.smSentReport,
    saRequests: c.smRecvGuidInfoRecord + c.smRecvInformInfo + c.smRecvPathRecord + c.smRecvTrap,
    peakSaQueue: c.smPeakSaQueue,
    peakReportQueue: c.smPeakReportQueue,
    peakReportsInFlight: c.smPeakReportsInFlight,
    reportWindowWaits: c.smReportWindowWaits,
    retries: c.smSentReportRetry + c.dom0RequestRetries + c.dom0InformInfoRetries + c.dom0TrapRetries + c.vmSaQueryTimeouts + c.vmInformInfoRetries,
    redrives: redrivesOf(c),
    abandoned: updatesAbandoned(c),
    queriesAbandoned: queriesAbandoned(c),
    duplicates: c.smDuplicateRequests,
    stale: c.staleEntries,
    virtualS: (sub.nowNs - start) / 1e9,
    wallS: Math.round(performance.now() - t0) / 1000,
    p99Ms: q(0.99) / 1e6,
    maxMs: (values.length === 0 ? 0 : values[values.length - 1]!) / 1e6,
  };
}

export interface LoadBenchOptions extends LoadOptions {
  quick?: boolean;
  only?: SchemeName;
  /** Storm share (percent) for the --only scheme instead of LOAD_CASES's. */
  storm?: number;
  resultsDir?: string;
}

export function runLoadBench(o: LoadBenchOptions = {}): BenchResult {
  const log = o.log ?? ((s: string) => process.stderr.write(s));
  const hosts = o.hosts ?? (o.quick ? 500 : 10_000);
  const rows: Array<Record<string, string | number>> = [];
  const targets: BenchResult['targets'] = [];
  const notes: string[] = [];
  for (const k of LOAD_CASES) {
    if (o.only !== undefined && k.scheme !== o.only) continue;
    const share = o.storm ?? k.stormPercent;
    log(`load: ${k.scheme}, ${share}% of ${hosts} hosts x ${o.vmsPerHost ?? 16} VMs ...\n`);
    const r = runLoadCase(k.scheme, share, { ...o, hosts, ...(k.cost !== undefined ? { cost: k.cost } : {}) });
    const costText = k.cost === undefined ? 'default' : Object.entries(k.cost).map(([key, v]) => `${key}=${v}`).join(' ');
    log(`load: ${k.scheme} done in ${r.wallS} s wall: ${r.migrations} migrations, peak SA queue ${r.peakSaQueue}, peak Report queue ${r.peakReportQueue}, stale ${r.stale}, abandoned ${r.abandoned}\n`);
    rows.push({
      scheme: r.scheme,
      cost: costText,
      hosts: r.hosts,
      VMs: r.vms,
      'storm %': r.stormPercent,
      migrations: r.migrations,
      'SM Reports': r.reports,
      'SA requests': r.saRequests,
      'peak SA queue': r.peakSaQueue,
      'peak Report queue': r.peakReportQueue,
      'peak Reports in flight': r.peakReportsInFlight,
      'window waits': r.reportWindowWaits,
      retries: r.retries,
      're-drives': r.redrives,
      'duplicate queries dropped': r.duplicates,
      'queries given up': r.queriesAbandoned,
      'updates abandoned': r.abandoned,
      'stale entries': r.stale,
      'virtual s': Math.round(r.virtualS * 1000) / 1000,
      'reconnect p99 ms': Math.round(r.p99Ms * 1000) / 1000,
      'reconnect max ms': Math.round(r.maxMs * 1000) / 1000,
      'wall s': r.wallS,
    });
    // The non-signalling baselines carry no notices: their rows show the SA under the RC
    // fallback alone (peak queue, stale entries left when the agents give up), with no target.
    if (isSignalling(r.scheme)) targets.push({
      name: `${r.scheme} (${costText} cost model): ${r.stormPercent}% of ${r.vms.toLocaleString('en-US')} VMs in one 100 ms window at ${r.hosts.toLocaleString('en-US')} hosts: stale entries + updates abandoned`,
      target: '0',
      measured: r.stale + r.abandoned,
      met: r.stale + r.abandoned === 0 && r.migrations > 0,
    });
    if (k.reason !== undefined && share === k.stormPercent) notes.push(`${k.scheme} at ${k.stormPercent}%: ${k.reason}.`);
    if (share < 10 && r.reports > 0) {
      // What the issue's 10% would cost at this run's wall time per Report (setup included).
      const reports10 = Math.round((r.reports * 10) / share);
      const perReportUs = (r.wallS * 1e6) / r.reports;
      notes.push(
        `${k.scheme} at ${share}%: ${perReportUs.toFixed(2)} µs of wall time per Report in this run (${r.reports.toLocaleString('en-US')} Reports in ${r.wallS} s); at that rate 10% (${reports10.toLocaleString('en-US')} Reports) would take about ${((reports10 * perReportUs) / 3.6e9).toFixed(1)} hours.`,
      );
    }
  }
  const quick = o.quick === true;
  const fresh: BenchResult = {
    suite: 'load',
    title: 'Load: a migration storm of 10% of all VMs in one window, SM queue depths',
    command: `node dist/bench/load.bench.js${quick ? ' --quick' : ''}${o.hosts !== undefined && !quick ? ` --hosts ${o.hosts}` : ''}${o.only !== undefined ? ` --only ${o.only}` : ''}${o.storm !== undefined ? ` --storm ${o.storm}` : ''}`,
    rows,
    targets,
    notes: [
      `Scenario: ${hosts} hosts x ${o.vmsPerHost ?? 16} VMs (${(o.vmsPerHost ?? 16) * 2} VF slots each), ${o.peers ?? 8} uniform peers per VM, the storm's migrations spread over one 100 ms window; seed ${o.seed ?? 11}; direct setup (tables written without MADs), default cost model.`,
      'peak SA queue: SA requests (GUIDInfoRecord, InformInfo, PathRecord, Trap) waiting or in service at the SA dispatcher; peak Report queue: Reports owed and not yet sent (subscriber entries still to walk over every active notice, plus Reports deferred behind a full subscriber window); both the maxima of the migration phase (counters smPeakSaQueue, smPeakReportQueue; `repath run --json` shows them as smQueuePeaks).',
      `"patient" rows: ${Object.entries(PATIENT_AGENTS).map(([key, v]) => `--cost ${key}=${v}`).join(' ')} (Dom0 and VM agents re-send up to 8 times per round instead of 3). With the default 3 re-sends a VM whose connection broke while its peer's notice was still queued, or while it was itself migrating, gives up its PathRecord re-queries after about 4.6 s, before the SA's PathRecord thread (7 k queries/s, cost.saPathRecordServiceNs) drains the storm's RC-fallback queries: those cache entries stay stale. "queries given up" counts them; "duplicate queries dropped" are re-sent copies of queries still queued at the SA.`,
      'retries: re-sends by the SM (Reports), Dom0 (GUIDInfoRecord, InformInfo, Trap) and VMs (PathRecord timeouts, InformInfo); re-drives: rounds started after a request\'s re-sends ran out (SM Reports, Dom0 requests, VM re-queries); updates abandoned: given up for good (bench/updates-abandoned.ts).',
      ...notes,
      'dynamic and static-no-signal are baselines without notices: every peer of a moved VM repairs through its RC timeout and a PathRecord query, so a 10% storm puts about 128,000 queries on the SA at once (7 k/s: about 18 s of work); their rows carry no target and stay out of the reliability table\'s "updates lost".',
    ],
    machine: machineFacts(),
    generatedAt: new Date().toISOString(),
  };
  const dir = resultsDirOr(o.resultsDir);
  const path = join(dir, 'reliability', 'load.json');
  const result = o.only !== undefined ? mergeInto(path, fresh, o.only, hosts) : fresh;
  writeBenchResult(path, result);
  return result;
}

/**
 * A run of one scheme (--only) replaces that scheme's rows, targets and "<scheme> at" notes in
 * the file at `path` when that file is a load result of the same host count; the other schemes'
 * rows stay, in LOAD_CASES order. Otherwise the run's result is written as it is.
 */
function mergeInto(path: string, fresh: BenchResult, scheme: SchemeName, hosts: number): BenchResult {
  const old = readBenchResult(path);
  if (old === undefined) return fresh;
  if (old.suite !== fresh.suite || !Array.isArray(old.rows) || old.rows.some((r) => r.hosts !== hosts)) return fresh;
  const order = (r: Record<string, string | number>): number => {
    const i = LOAD_CASES.findIndex((k) => k.scheme === r.scheme && (k.cost === undefined ? 'default' : Object.entries(k.cost).map(([key, v]) => `${key}=${v}`).join(' ')) === r.cost);
    return i < 0 ? LOAD_CASES.length : i;
  };
  const rows = [...old.rows.filter((r) => r.scheme !== scheme), ...fresh.rows].sort((a, b) => order(a) - order(b));
  const targets = [...old.targets.filter((t) => !t.name.startsWith(`${scheme} (`)), ...fresh.targets];
  const notes = old.notes.filter((n) => !n.startsWith(`${scheme} at `));
  for (const n of fresh.notes) if (!notes.includes(n)) notes.push(n);
  const command = old.command.split(' && ').includes(fresh.command) ? old.command : `${old.command} && ${fresh.command}`;
  return { ...fresh, command, rows, targets, notes };
}

if (isEntryPoint(import.meta.url)) {
  await benchMain(
    {
      script: 'load.bench.js',
      about: 'The SM/SA under migration storms of growing size, per scheme: queueing, retries, abandoned updates; writes results/scale/load.json (with --only, merged into it).',
      flags: {
        quick: { type: 'boolean', description: 'small storms (a smoke run)' },
        hosts: { type: 'positiveInteger', description: 'hosts of the subnet [default: the suite\'s]' },
        only: { type: 'choice', choices: SCHEMES, valueName: 'SCHEME', description: 'run one scheme and merge its rows into the committed result' },
        storm: { type: 'number', valueName: 'PERCENT', description: 'one storm size, in percent of the VMs (needs --only)' },
        'results-dir': resultsDirFlag('scale/load.json'),
      },
    },
    ({ quick, hosts, only, storm, 'results-dir': dir }) => {
      if (storm !== undefined && only === undefined) throw new UsageError('--storm needs --only SCHEME');
      if (storm !== undefined && !(storm > 0 && storm <= 100)) throw new UsageError(`--storm: ${storm} is not a percentage in (0, 100]`);
      const result = runLoadBench({
        quick: quick === true,
        ...(hosts !== undefined ? { hosts } : {}),
        ...(only !== undefined ? { only: only as SchemeName } : {}),
        ...(storm !== undefined ? { storm } : {}),
        ...(dir !== undefined ? { resultsDir: dir } : {}),
      });
      console.table(result.rows);
      for (const t of result.targets) if (!t.met) console.log(`MISS ${t.name}: ${t.measured} (target ${t.target})`);
    },
  );
}
