// `repath run`: generate (or read) a scenario, run its migrations under one or more signalling
// schemes, print the figures. A thin layer over the library's runScenario() (core/api.ts); the
// flags are a contract scripts rely on (issue 4): --hosts, --vms-per-host, --peers, --pattern,
// --migrations N or --storm PERCENT, --scheme NAME[,NAME...] or all, --seed, --workers,
// --topology, --scenario FILE, --json, --out DIR, --pcap FILE, plus --cost key=value.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import os from 'node:os';
import { UsageError, formatFlagHelp, parseArgs, type FlagSpecs } from './args.js';
import type { CliIo, Command } from './command.js';
import { renderTextTable } from './text-table.js';
import { SCHEMES, COMM_PATTERNS, MIGRATION_PATTERNS, type Scenario, type SchemeName } from '../scenario/scenario.js';
import type { ScenarioOptions } from '../scenario/scenario-options.js';
import { LID_SPACE_RULES } from '../scenario/scenario-options.js';
import { generateScenario } from '../scenario/generator.js';
import { readScenarioFile } from '../scenario/scenario-file.js';
import { COST_PARAMETERS, checkCostParameter, type CostModel } from '../engine/cost-model.js';
import { runScenario } from '../api.js';
import type { SchemeReport } from '../engine/run-report.js';
import { DEFAULT_PCAP_LIMIT_BYTES } from '../engine/scheme-run.js';
import { hugePagesExpected } from '../tables/huge-pages.js';

export const RUN_FORMAT = 'repath-run/1';

const RUN_FLAGS = {
  hosts: { type: 'positiveInteger', description: 'physical hosts (1..49151)' },
  'vms-per-host': { type: 'positiveInteger', description: 'VMs placed on each populated host (1..slots per host)' },
  'slots-per-host': { type: 'positiveInteger', description: 'VF slots per host (1..128) [default: 128]' },
  'spare-hosts': { type: 'nonNegativeInteger', description: 'empty hosts at the end of the range, as migration targets [default: 0]' },
  peers: { type: 'nonNegativeInteger', description: 'peers each VM talks to and caches a path to [default: 8]' },
  pattern: { type: 'choice', choices: COMM_PATTERNS, description: 'who talks to whom [default: uniform]' },
  'tenant-size': { type: 'positiveInteger', description: 'VMs per tenant for --pattern tenant [default: 32]' },
  'migration-pattern': { type: 'choice', choices: MIGRATION_PATTERNS, description: 'which VMs migrate [default: single, or storm with --migrations/--storm]' },
  migrations: { type: 'positiveInteger', description: 'storm of N distinct VMs migrating' },
  storm: { type: 'number', valueName: 'PERCENT', description: 'storm of PERCENT of all VMs migrating, (0, 100]' },
  'evacuate-host': { type: 'nonNegativeInteger', description: 'host emptied by --migration-pattern evacuate' },
  'rolling-hosts': { type: 'positiveInteger', description: 'hosts maintained one after another by --migration-pattern rolling' },
  'migration-window-ms': { type: 'number', description: 'migrations are spread over this many ms of virtual time [default: 100]' },
  scheme: { type: 'string', valueName: 'NAME[,NAME...]|all', description: `signalling schemes: ${SCHEMES.join(', ')}, or all`, default: 'all' },
  seed: { type: 'nonNegativeInteger', description: 'PRNG seed of the scenario (and of MAD loss) [default: 1]' },
  // Default 0: until the Dom0s move into the shards, one thread is faster than one shard
  // (results/engine/throughput.json), so splitting is asked for, not imposed.
  workers: { type: 'nonNegativeInteger', description: 'worker threads: a run splits its VMs across them (per-vguid runs whole, side by side); 0 = this thread', default: 0 },
  topology: { type: 'string', valueName: 'fat-tree|FILE', description: 'a fat tree sized to the hosts, or an ibnetdiscover/ibsim net file', default: 'fat-tree' },
  radix: { type: 'positiveInteger', description: 'switch radix of the generated fat tree [default: 36]' },
  'lid-space': { type: 'choice', choices: LID_SPACE_RULES, description: 'strict: hosts, switches and SM fit the unicast LIDs; hosts-only: hosts alone (full-subnet runs)' },
  scenario: { type: 'string', valueName: 'FILE', description: 'read the scenario from a .json or .fb file (no generator flags then)' },
  cost: { type: 'string', valueName: 'KEY=VALUE', multiple: true, description: 'override a cost-model parameter, e.g. smServiceNs=2000' },
  setup: { type: 'choice', choices: ['mads', 'direct'], description: 'initial state by MADs or written into the tables [default: by size]' },
  json: { type: 'boolean', description: 'print one JSON document on stdout' },
  out: { type: 'string', valueName: 'DIR', description: 'write run.json and one <scheme>.hgrm per scheme into DIR' },
  pcap: { type: 'string', valueName: 'FILE', description: 'write the MAD trace (pcap, Wireshark); FILE.<scheme>.pcap per scheme when several' },
  'pcap-limit-mb': { type: 'positiveInteger', description: `refuse a trace larger than this [default: ${DEFAULT_PCAP_LIMIT_BYTES / 2 ** 20}]` },
  progress: { type: 'boolean', description: 'progress lines on stderr (default: when stderr is a terminal)' },
  help: { type: 'boolean', short: 'h', description: 'show this help' },
} as const satisfies FlagSpecs;

type RunFlags = ReturnType<typeof parseArgs<typeof RUN_FLAGS>>['flags'];

const GENERATOR_FLAGS = [
  'hosts', 'vms-per-host', 'slots-per-host', 'spare-hosts', 'peers', 'pattern', 'tenant-size', 'migration-pattern', 'migrations',
  'storm', 'evacuate-host', 'rolling-hosts', 'migration-window-ms', 'seed', 'radix', 'lid-space',
] as const;

function help(): string {
  return `usage: repath run [options]

Builds an emulated InfiniBand SR-IOV subnet (SM/SA, Dom0 per host, VMs with SA-agent path
caches), migrates VMs, and reports per signalling scheme: the SM's MADs by kind, fabric MADs,
Dom0 forwards, VM cache checks and updates, SA queries, stale cache entries and reconnection
latency (virtual time), plus the engine's wall time, events per second and peak memory.

  repath run --hosts 64 --vms-per-host 16 --peers 8 --storm 5 --scheme per-pf,per-vguid --json
  repath run --scenario storm.json --scheme all --workers 2 --out results/run1

options:
${formatFlagHelp(RUN_FLAGS)}

cost parameters: ${Object.keys(COST_PARAMETERS).join(', ')}
With --workers N, a run keeps the SM, fabric and Dom0s on this thread and splits its VMs across
N shard threads (per-vguid runs whole, one scheme per thread, side by side).
Every scheme's figures are the same for any worker count and seed. Bad flags print one line on stderr and exit with code 2.
`;
}

function parseSchemes(text: string): SchemeName[] {
  if (text === 'all') return [...SCHEMES];
  const out: SchemeName[] = [];
  for (const raw of text.split(',')) {
    const name = raw.trim();
    if (!(SCHEMES as readonly string[]).includes(name)) {
      throw new UsageError(`--scheme: ${JSON.stringify(name)} is not one of ${SCHEMES.join(', ')}, all`);
    }
    if (!out.includes(name as SchemeName)) out.push(name as SchemeName);
  }
  return out;
}

function parseCost(entries: readonly string[]): Partial<CostModel> {
  const out: Record<string, number> = {};
  for (const entry of entries) {
    const eq = entry.indexOf('=');
    if (eq <= 0) throw new UsageError(`--cost: ${JSON.stringify(entry)} is not KEY=VALUE`);
    const key = entry.slice(0, eq).trim();
    const text = entry.slice(eq + 1).trim();
    const value = text === 'Infinity' || text === 'inf' ? Infinity : text === '' ? NaN : Number(text);
    try {
      checkCostParameter(key, value);
    } catch (e) {
      throw new UsageError(`--cost: ${(e as Error).message}`);
    }
    out[key] = value;
  }
  return out as Partial<CostModel>;
}

function scenarioOf(f: RunFlags): Scenario {
  if (f.scenario !== undefined) {
    for (const name of GENERATOR_FLAGS) {
      if (f[name] !== undefined) throw new UsageError(`--${name}: cannot be combined with --scenario (the file fixes the scenario)`);
    }
    if (f.topology !== 'fat-tree') throw new UsageError('--topology: cannot be combined with --scenario (the file fixes the topology)');
    return asUsage(() => readScenarioFile(f.scenario!));
  }
  const o: ScenarioOptions = {};
  if (f.hosts !== undefined) o.hosts = f.hosts;
  if (f['slots-per-host'] !== undefined) o.slotsPerHost = f['slots-per-host'];
  if (f['vms-per-host'] !== undefined) o.vmsPerHost = f['vms-per-host'];
  if (f['spare-hosts'] !== undefined) o.spareHosts = f['spare-hosts'];
  if (f.peers !== undefined) o.peersPerVm = f.peers;
  if (f.pattern !== undefined) o.commPattern = f.pattern as ScenarioOptions['commPattern'];
  if (f['tenant-size'] !== undefined) o.tenantSize = f['tenant-size'];
  if (f['migration-pattern'] !== undefined) o.migrationPattern = f['migration-pattern'] as ScenarioOptions['migrationPattern'];
  if (f.migrations !== undefined && f.storm !== undefined) throw new UsageError('--storm: give either --migrations N or --storm PERCENT, not both');
  if (f.migrations !== undefined) o.migrations = f.migrations;
  if (f.storm !== undefined) {
    if (!(f.storm > 0 && f.storm <= 100)) throw new UsageError(`--storm: ${f.storm} is not a percentage in (0, 100]`);
    o.stormPercent = f.storm;
  }
  if (f['evacuate-host'] !== undefined) o.evacuateHost = f['evacuate-host'];
  if (f['rolling-hosts'] !== undefined) o.rollingHosts = f['rolling-hosts'];
  if (f['migration-window-ms'] !== undefined) {
    if (!(f['migration-window-ms'] >= 0)) throw new UsageError(`--migration-window-ms: ${f['migration-window-ms']} is not >= 0`);
    o.migrationWindowNs = Math.round(f['migration-window-ms'] * 1e6);
  }
  if (f.seed !== undefined) o.seed = f.seed;
  if (f['lid-space'] !== undefined) o.lidSpace = f['lid-space'] as ScenarioOptions['lidSpace'];
  if (f.topology === 'fat-tree') {
    o.topology = f.radix !== undefined ? { kind: 'fat-tree', radix: f.radix } : { kind: 'fat-tree' };
  } else {
    if (f.radix !== undefined) throw new UsageError('--radix: only applies to --topology fat-tree');
    let text: string;
    try {
      text = readFileSync(f.topology, 'utf8');
    } catch (e) {
      throw new UsageError(`--topology: ${JSON.stringify(f.topology)} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    o.topology = { kind: 'ibnetdiscover', text };
  }
  if (o.hosts === undefined && o.topology.kind === 'fat-tree') throw new UsageError('--hosts: missing (or give --scenario FILE or a --topology net file)');
  return asUsage(() => generateScenario(o));
}

/** Scenario and topology errors are the caller's input errors: one line, exit 2. */
function asUsage<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    const name = e instanceof Error ? e.name : '';
    if (name === 'ScenarioError' || name === 'TopologyError' || e instanceof RangeError) throw new UsageError((e as Error).message);
    throw e;
  }
}

function textReport(reports: readonly SchemeReport[]): string {
  const rows = reports.map((r) => ({
    scheme: r.scheme,
    'SM sent': r.smSent.total,
    'SM recv': r.smReceived.total,
    Reports: r.smSent.report,
    retries: r.smSent.retries,
    'fabric MADs': r.fabricMads,
    'Dom0 fwd': r.dom0Forwards,
    'cache checks': r.vmCacheChecks,
    'cache upd': r.vmCacheUpdates,
    'SA queries': r.saQueries,
    stale: r.staleEntries,
    'p50 us': r.reconnectionLatencyUs.p50,
    'p99 us': r.reconnectionLatencyUs.p99,
    'max us': r.reconnectionLatencyUs.max,
    'wall ms': Math.round(r.engine.wallTimeMs),
  }));
  return renderTextTable(rows);
}

export const runCommand: Command = {
  name: 'run',
  summary: 'emulate VM migrations on a subnet and report each signalling scheme',
  help,
  async run(argv: string[], io: CliIo): Promise<number> {
    const { flags: f } = parseArgs(argv, RUN_FLAGS);
    if (f.help) {
      io.stdout(help());
      return 0;
    }
    const schemes = parseSchemes(f.scheme);
    const cost = parseCost(f.cost);
    const progress = f.progress || process.stderr.isTTY === true;
    const t0 = performance.now();
    const scenario = scenarioOf(f);
    if (progress) io.stderr(`repath run: scenario of ${scenario.hosts} hosts, ${scenario.vms} VMs, ${scenario.migrationVm.length} migrations built in ${Math.round(performance.now() - t0)} ms\n`);
    const pcapLimit = f['pcap-limit-mb'] !== undefined ? f['pcap-limit-mb'] * 2 ** 20 : DEFAULT_PCAP_LIMIT_BYTES;
    let run;
    try {
      run = await runScenario(scenario, {
        schemes,
        workers: f.workers,
        cost,
        ...(f.setup !== undefined ? { setup: f.setup as 'mads' | 'direct' } : {}),
        ...(f.pcap !== undefined ? { pcapPath: f.pcap, pcapLimitBytes: pcapLimit } : {}),
        ...(progress
          ? {
              onSchemeDone: (r: SchemeReport) =>
                io.stderr(`repath run: ${r.scheme} done: ${r.engine.events} events in ${Math.round(r.engine.wallTimeMs)} ms, ${r.staleEntries} stale\n`),
            }
          : {}),
      });
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      if (message.startsWith('--pcap:')) throw new UsageError(message);
      throw e;
    }
    {
      const reports = run.results.map((r) => r.report);
      const doc = {
        format: RUN_FORMAT,
        scenario: {
          seed: scenario.seed,
          hosts: scenario.hosts,
          slotsPerHost: scenario.slotsPerHost,
          vms: scenario.vms,
          peerPaths: scenario.peerStart[scenario.vms]!,
          migrations: scenario.migrationVm.length,
          topology: scenario.topology.kind,
          description: scenario.description,
        },
        costOverrides: cost,
        workers: run.workers,
        engine: { wallTimeMs: performance.now() - t0, schemesWallTimeMs: run.wallTimeMs, peakRssBytes: run.peakRssBytes, cpus: os.cpus().length, hugePages: hugePagesExpected() },
        schemes: reports,
        ...(f.pcap !== undefined ? { pcap: run.results.map((r) => ({ scheme: r.report.scheme, path: r.pcapPath })) } : {}),
      };
      const json = JSON.stringify(doc, (_k, v: unknown) => (v === Infinity ? 'Infinity' : v), 2);
      if (f.out !== undefined) {
        mkdirSync(f.out, { recursive: true });
        writeFileSync(join(f.out, 'run.json'), json + '\n');
        for (const r of run.results) writeFileSync(join(f.out, `${r.report.scheme}.hgrm`), r.hgrm);
        if (progress) io.stderr(`repath run: wrote ${join(f.out, 'run.json')} and ${run.results.length} .hgrm files\n`);
      }
      if (f.json) io.stdout(json + '\n');
      else io.stdout(textReport(reports) + '\n');
      return 0;
    }
  },
};
