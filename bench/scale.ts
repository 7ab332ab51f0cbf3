// Scale cases (issue 4 item 7): the full unicast LID space, 49,151 hosts, at 16 and 128 VMs per
// host. Each case runs `repath run` in a child process of its own (so the peak RSS is that run's
// alone) and writes results/scale/<case>.json with the command that reproduces it, wall time,
// peak RSS and bytes per VM beside the signalling counts and stale entries (must be 0).
//
//   node dist/bench/scale.js <case> [--results-dir DIR] [--min-free-gib N]
//   node dist/bench/scale.js --list
//
// The machine is shared and has 24 GiB: run one case at a time. A case does not start when the
// free memory is below its stated need (--min-free-gib overrides), rather than pushing others
// into swap.
import { spawn } from 'node:child_process';
import { UsageError } from '../core/cli/args.js';
import { benchMain, isEntryPoint } from './bench-main.js';
import { freemem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { machineFacts, writeBenchResult, type BenchResult, resultsDirOr } from './bench-result.js';

export interface ScaleCase {
  readonly name: string;
  readonly title: string;
  /** `repath run` flags (without --json). */
  readonly args: readonly string[];
  readonly scheme: string;
  /** Free memory (GiB) the case needs before it starts. */
  readonly needGiB: number;
  readonly target: string;
}

const FULL = ['--hosts', '49151', '--lid-space', 'hosts-only', '--peers', '8', '--workers', '0', '--setup', 'direct'];
/** 16 VMs per host in 32 VF slots: room for the storm to land anywhere. */
const V16 = [...FULL, '--vms-per-host', '16', '--slots-per-host', '32'];
/**
 * 128 VMs per host fill all 128 VF slots (mlx4's alias GUID limit), so one host is left empty as
 * the migrations' destination: 49,150 x 128 = 6,291,200 VMs.
 */
const V128 = [...FULL, '--vms-per-host', '128', '--slots-per-host', '128', '--spare-hosts', '1'];

const SCHEMES_ALL = ['per-pf', 'per-pf-interest', 'per-vguid', 'dynamic', 'static-no-signal'] as const;

export const SCALE_CASES: readonly ScaleCase[] = [
  { name: 'full-16x8-storm1000-per-pf', title: 'Scale: 49151 hosts x 16 VMs, 1000 migrations', args: [...V16, '--migrations', '1000'], scheme: 'per-pf', needGiB: 2, target: 'runs, 0 stale' },
  {
    name: 'full-16x8-storm1000-per-pf-interest',
    title: 'Scale: 49151 hosts x 16 VMs, 1000 migrations',
    args: [...V16, '--migrations', '1000'],
    scheme: 'per-pf-interest',
    needGiB: 2,
    target: 'runs, 0 stale',
  },
  { name: 'full-16x8-storm100-per-vguid', title: 'Scale: 49151 hosts x 16 VMs, 100 migrations', args: [...V16, '--migrations', '100'], scheme: 'per-vguid', needGiB: 2, target: 'runs, 0 stale' },
  ...SCHEMES_ALL.map((scheme) => ({
    name: `full-128x8-m1-${scheme}`,
    title: 'Scale: 49151 hosts x 128 VMs (6.29 M VMs), one migration',
    args: [...V128, '--migrations', '1'],
    scheme,
    needGiB: 10,
    target: 'builds and runs within 24 GiB, 0 stale',
  })),
];

interface RunDoc {
  scenario: { hosts: number; vms: number; peerPaths: number; migrations: number };
  engine: { wallTimeMs: number; peakRssBytes: number };
  schemes: Array<{
    scheme: string;
    smSent: { report: number; total: number };
    smReceived: { total: number };
    dom0Forwards: number;
    vmCacheChecks: number;
    vmCacheUpdates: number;
    saQueries: number;
    staleEntries: number;
    migrations: number;
    smQueuePeaks?: { saRequests: number; reports: number };
    counters: Record<string, number>;
    reconnectionLatencyUs: { p99: number; max: number };
    engine: { events: number; wallTimeMs: number };
  }>;
}

/** Runs `repath run <args> --scheme S --json` in a child process; resolves to its JSON document. */
function runChild(mainJs: string, c: ScaleCase, log: (s: string) => void): Promise<RunDoc> {
  return new Promise((resolvePromise, reject) => {
    const args = [mainJs, 'run', ...c.args, '--scheme', c.scheme, '--json', '--progress'];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => log(b.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code !== 0) {
        reject(new Error(`scale case ${c.name}: repath run exited with ${code ?? signal}`));
        return;
      }
      try {
        resolvePromise(JSON.parse(Buffer.concat(out).toString('utf8')) as RunDoc);
      } catch (e) {
        reject(new Error(`scale case ${c.name}: repath run printed no JSON document (${(e as Error).message})`));
      }
    });
  });
}

export interface ScaleOptions {
  resultsDir?: string;
  minFreeGiB?: number;
  log?: (s: string) => void;
}

export async function runScaleCase(name: string, o: ScaleOptions = {}): Promise<BenchResult> {
  const c = SCALE_CASES.find((k) => k.name === name);
  if (c === undefined) throw new RangeError(`scale case: "${name}" is not one of ${SCALE_CASES.map((k) => k.name).join(', ')}`);
  const need = o.minFreeGiB ?? c.needGiB;
  const free = freemem() / 2 ** 30;
  if (free < need) throw new RangeError(`scale case ${c.name}: ${free.toFixed(1)} GiB free, the case needs ${need} GiB; not started`);
  const log = o.log ?? ((s: string) => process.stderr.write(s));
  const mainJs = fileURLToPath(new URL('../core/cli/main.js', import.meta.url));
  const doc = await runChild(mainJs, c, log);
  const r = doc.schemes[0]!;
  const rss = doc.engine.peakRssBytes;
  const counters = r.counters;
  const abandoned = (counters['smReportsAbandoned'] ?? 0) + (counters['dom0RequestsAbandoned'] ?? 0);
  const row: Record<string, string | number> = {
    scheme: r.scheme,
    hosts: doc.scenario.hosts,
    VMs: doc.scenario.vms,
    'peer paths': doc.scenario.peerPaths,
    migrations: r.migrations,
    'wall s': Math.round(doc.engine.wallTimeMs) / 1000,
    'migration phase events': r.engine.events,
    'peak RSS MiB': Math.round(rss / 2 ** 20),
    'bytes per VM': Math.round(rss / doc.scenario.vms),
    'SM Reports': r.smSent.report,
    'Dom0 forwards': r.dom0Forwards,
    'cache checks': r.vmCacheChecks,
    'cache updates': r.vmCacheUpdates,
    'SA queries': r.saQueries,
    'peak SA queue': r.smQueuePeaks?.saRequests ?? counters['smPeakSaQueue'] ?? 0,
    'peak Report queue': r.smQueuePeaks?.reports ?? counters['smPeakReportQueue'] ?? 0,
    'Dom0 re-sends': counters['dom0RequestRetries'] ?? 0,
    abandoned,
    stale: r.staleEntries,
    'p99 us': r.reconnectionLatencyUs.p99,
    'max us': r.reconnectionLatencyUs.max,
  };
  const fits = rss < 24 * 2 ** 30;
  const result: BenchResult = {
    suite: c.name,
    title: c.title,
    command: `node dist/bench/scale.js ${c.name}  (= node dist/core/cli/main.js run ${c.args.join(' ')} --scheme ${c.scheme} --json)`,
    rows: [row],
    targets: [
      {
        name: `${doc.scenario.hosts.toLocaleString('en-US')} hosts, ${doc.scenario.vms.toLocaleString('en-US')} VMs, ${r.migrations} migration(s), ${c.scheme}: stale entries + updates abandoned`,
        target: '0',
        measured: r.staleEntries + abandoned,
        met: r.staleEntries + abandoned === 0 && r.migrations > 0,
      },
      ...(c.needGiB >= 10 ? [{ name: `${c.name}: peak RSS, GiB`, target: '< 24', measured: Math.round((rss / 2 ** 30) * 100) / 100, met: fits }] : []),
    ],
    notes: [
      'Wall time covers scenario build, direct setup (tables written without MADs), the migrations and the stale-entry count; peak RSS is the child process maximum (getrusage), bytes per VM = peak RSS / VMs.',
      'One process per case, one case at a time, on the shared 2-core machine while other work ran: wall times are upper bounds.',
      ...(c.name.startsWith('full-128') ? ['128 VMs fill every VF slot of a host, so one host is left empty as the destination: 49,150 populated hosts x 128 = 6,291,200 VMs.'] : []),
    ],
    machine: machineFacts(),
    generatedAt: new Date().toISOString(),
  };
  const dir = resultsDirOr(o.resultsDir);
  writeBenchResult(join(dir, 'scale', `${c.name}.json`), result);
  return result;
}

if (isEntryPoint(import.meta.url)) {
  await benchMain(
    {
      script: 'scale.js',
      usage: '<case> [--results-dir DIR] [--min-free-gib N] | --list',
      about: `One scale case (issue 4 item 7) in a child \`repath run\`; writes results/scale/<case>.json. Cases: ${SCALE_CASES.map((k) => k.name).join(', ')}.`,
      flags: {
        list: { type: 'boolean', description: 'print the cases (name, scheme, repath run flags) and exit' },
        'results-dir': { type: 'string', valueName: 'DIR', description: "where to write scale/<case>.json [default: results/]" },
        'min-free-gib': { type: 'number', valueName: 'N', description: "start even with only this much free memory [default: the case's need]" },
      },
      positionals: { names: ['case'], min: 0, max: 1 },
    },
    async (flags, [name]) => {
      if (flags.list === true || name === undefined) {
        for (const c of SCALE_CASES) console.log(`${c.name}\t${c.scheme}\t${c.args.join(' ')}`);
        if (flags.list !== true) throw new UsageError('missing <case> (the cases are listed above)');
        return;
      }
      if (!SCALE_CASES.some((k) => k.name === name)) throw new UsageError(`<case>: "${name}" is not one of ${SCALE_CASES.map((k) => k.name).join(', ')}`);
      try {
        const r = await runScaleCase(name, {
          ...(flags['results-dir'] !== undefined ? { resultsDir: flags['results-dir'] } : {}),
          ...(flags['min-free-gib'] !== undefined ? { minFreeGiB: flags['min-free-gib'] } : {}),
        });
        console.table(r.rows);
        for (const t of r.targets) console.log(`${t.met ? 'met ' : 'MISS'} ${t.name}: ${t.measured} (target ${t.target})`);
      } catch (e) {
        // Not enough free memory, or the child run failed: one line, not a stack.
        console.error(`scale: ${(e as Error).message}`);
        return e instanceof RangeError ? 2 : 1;
      }
    },
  );
}
