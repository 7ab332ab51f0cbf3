// `repath run`: the flag contract, --json, --out (run.json + .hgrm per scheme), --pcap, and
// one-line errors with exit code 2. Runs the real bin in a child process for the contract
// checks, and in-process (runCli) for the rest.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '../core/cli/cli.js';
import type { CliIo } from '../core/cli/command.js';
import { readMadTrace } from '../core/trace/erf-pcap.js';
import { writeScenarioFile } from '../core/scenario/scenario-file.js';
import { SCHEMES } from '../core/scenario/scenario.js';
import { generateScenario } from '../core/scenario/generator.js';
import { HUGE_TLB_TUNABLE, thpMode } from '../core/tables/huge-pages.js';

const MAIN = fileURLToPath(new URL('../core/cli/main.js', import.meta.url));
const SMALL = ['--hosts', '8', '--slots-per-host', '8', '--vms-per-host', '3', '--peers', '3', '--seed', '4'];

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: (s) => (stdout += s),
    stderr: (s) => (stderr += s),
    readStdin: async () => new Uint8Array(0),
  };
  const code = await runCli(['run', ...args], io);
  return { code, stdout, stderr };
}

test('--json: one document, every scheme with the figures of the contract', async (t) => {
  const r = await cli([...SMALL, '--migrations', '3', '--scheme', 'all', '--workers', '0', '--json']);
  t.is(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as { format: string; scenario: { hosts: number; migrations: number }; schemes: Array<Record<string, any>>; engine: Record<string, number> };
  t.is(doc.format, 'repath-run/1');
  t.is(doc.scenario.hosts, 8);
  t.is(doc.scenario.migrations, 3);
  t.deepEqual(doc.schemes.map((s) => s.scheme), [...SCHEMES]);
  for (const s of doc.schemes) {
    for (const k of ['report', 'reportResp', 'informInfo', 'pathRecord', 'guidInfoRecord', 'retries', 'total']) t.is(typeof s.smSent[k], 'number', `smSent.${k}`);
    for (const k of ['reportResp', 'informInfo', 'pathRecord', 'guidInfoRecord', 'total']) t.is(typeof s.smReceived[k], 'number', `smReceived.${k}`);
    for (const k of ['fabricMads', 'dom0Forwards', 'vmCacheChecks', 'vmCacheUpdates', 'saQueries', 'staleEntries']) t.is(typeof s[k], 'number', k);
    t.deepEqual(Object.keys(s.reconnectionLatencyUs), ['p50', 'p90', 'p99', 'p999', 'max', 'count']);
    for (const k of ['wallTimeMs', 'events', 'eventsPerSecond', 'peakRssBytes']) t.is(typeof s.engine[k], 'number', `engine.${k}`);
  }
  const perPf = doc.schemes.find((s) => s.scheme === 'per-pf')!;
  t.is(perPf.smSent.report, 8 * 3, 'one Report per host per migration');
  t.is(perPf.staleEntries, 0);
  t.true(doc.engine.peakRssBytes! > 0);
});

test('the same figures with 0, 1 and 2 workers; text table without --json', async (t) => {
  const args = [...SMALL, '--storm', '10', '--scheme', 'per-pf,per-vguid,dynamic'];
  const docs = [];
  for (const w of ['0', '1', '2']) {
    const r = await cli([...args, '--workers', w, '--json']);
    t.is(r.code, 0, r.stderr);
    docs.push(
      JSON.parse(r.stdout) as {
        schemes: Array<{
          scheme: string;
          counters: unknown;
          reconnectionLatencyUs: unknown;
          engine: { shards: number; shardFallback: string; shardRebuilds: number; shardRestarts: number; shardSyncs: number; phaseWallMs: number; phaseCpuMs: { main: number | null; shards: (number | null)[] } };
        }>;
      },
    );
  }
  for (const d of docs.slice(1)) {
    t.deepEqual(d.schemes.map((s) => s.counters), docs[0]!.schemes.map((s) => s.counters));
    t.deepEqual(d.schemes.map((s) => s.reconnectionLatencyUs), docs[0]!.schemes.map((s) => s.reconnectionLatencyUs));
  }
  // The engine says where each scheme ran: per-vguid always whole, the others on the shards asked for.
  const shards = docs.map((d) => d.schemes.map((s) => `${s.scheme}:${s.engine.shards}:${s.engine.shardRebuilds}:${s.engine.shardRestarts}:${s.engine.shardFallback}`));
  t.deepEqual(shards, [
    ['per-pf:0:0:0:', 'per-vguid:0:0:0:', 'dynamic:0:0:0:'],
    ['per-pf:1:0:0:', 'per-vguid:0:0:0:', 'dynamic:1:0:0:'],
    ['per-pf:2:0:0:', 'per-vguid:0:0:0:', 'dynamic:2:0:0:'],
  ]);
  // Phase CPU: the SM's thread always (this is Linux: /proc/thread-self/schedstat), and one figure
  // per shard thread, each a real measurement (not a placeholder zero: a shard reads records).
  for (const d of docs) {
    for (const s of d.schemes) {
      const cpu = s.engine.phaseCpuMs;
      t.true(cpu.main !== null && cpu.main >= 0, `${s.scheme}: main thread CPU ${cpu.main}`);
      t.true(s.engine.phaseWallMs >= 0, `${s.scheme}: phase wall time ${s.engine.phaseWallMs}`);
      t.is(cpu.shards.length, s.engine.shards, `${s.scheme}: one CPU figure per shard`);
      for (const ms of cpu.shards) t.true(ms !== null && ms > 0, `${s.scheme}: shard CPU ${ms}`);
      if (s.engine.shards > 0) t.true(s.engine.shardSyncs >= 1, `${s.scheme}: a sharded run syncs at least at its end`);
      else t.is(s.engine.shardSyncs, 0);
    }
  }
  const text = await cli([...args, '--workers', '0']);
  t.is(text.code, 0);
  t.regex(text.stdout, /^scheme\s+SM sent/);
  t.is(text.stdout.trim().split('\n').length, 2 + 3);
});

test('--out writes run.json and one .hgrm per scheme; --pcap a trace Wireshark reads', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'repath-run-'));
  const pcap = join(dir, 'trace.pcap');
  const r = await cli([...SMALL, '--migrations', '2', '--scheme', 'per-pf,per-pf-interest', '--workers', '2', '--out', join(dir, 'out'), '--pcap', pcap, '--cost', 'hopLatencyNs=300', '--progress']);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stderr, /per-pf done/);
  const files = readdirSync(join(dir, 'out')).sort();
  t.deepEqual(files, ['per-pf-interest.hgrm', 'per-pf.hgrm', 'run.json']);
  const doc = JSON.parse(readFileSync(join(dir, 'out', 'run.json'), 'utf8')) as { costOverrides: Record<string, number>; schemes: Array<{ scheme: string; fabricMads: number; setupCounters: { fabricMads: number } }> };
  t.deepEqual(doc.costOverrides, { hopLatencyNs: 300 });
  t.regex(readFileSync(join(dir, 'out', 'per-pf.hgrm'), 'utf8'), /Value\s+Percentile\s+TotalCount/);
  for (const s of doc.schemes) {
    const records = [...readMadTrace(new Uint8Array(readFileSync(join(dir, `trace.${s.scheme}.pcap`))))];
    t.is(records.length, s.fabricMads + s.setupCounters.fabricMads, `${s.scheme}: every MAD on the wire is traced`);
  }
});

test('--pcap refuses a trace past its limit with a clear message', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'repath-run-'));
  const r = await cli(['--hosts', '64', '--slots-per-host', '32', '--vms-per-host', '16', '--peers', '8', '--storm', '50', '--scheme', 'per-vguid', '--workers', '0', '--setup', 'mads', '--pcap', join(dir, 't.pcap'), '--pcap-limit-mb', '1']);
  t.is(r.code, 2);
  t.regex(r.stderr, /^repath: --pcap: the MAD trace passed the limit of 1048576 bytes after \d+ MADs; trace a smaller run/);
  t.is(r.stderr.trim().split('\n').length, 1);
});

test('--scenario FILE runs a scenario file; generator flags are refused with it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'repath-run-'));
  const file = join(dir, 's.json');
  writeScenarioFile(file, { hosts: 6, slotsPerHost: 4, vmsPerHost: 2, peersPerVm: 2, migrations: 2, seed: 2 });
  const r = await cli(['--scenario', file, '--scheme', 'per-pf', '--workers', '0', '--json']);
  t.is(r.code, 0, r.stderr);
  t.is((JSON.parse(r.stdout) as { scenario: { hosts: number } }).scenario.hosts, 6);
  // An explicit (hand-written style) scenario crosses into the workers with its arrays.
  const explicit = join(dir, 'e.fb');
  writeScenarioFile(explicit, generateScenario({ hosts: 6, slotsPerHost: 4, vmsPerHost: 2, peersPerVm: 2, migrations: 2, seed: 2 }), { explicit: true });
  const inThread = await cli(['--scenario', explicit, '--scheme', 'per-pf,dynamic', '--workers', '0', '--json']);
  const inWorkers = await cli(['--scenario', explicit, '--scheme', 'per-pf,dynamic', '--workers', '2', '--json']);
  t.is(inWorkers.code, 0, inWorkers.stderr);
  const counters = (text: string) => (JSON.parse(text) as { schemes: Array<{ counters: unknown }> }).schemes.map((x) => x.counters);
  t.deepEqual(counters(inWorkers.stdout), counters(inThread.stdout));
  t.deepEqual(counters(inThread.stdout)[0], counters(r.stdout)[0], 'explicit arrays and parameters give the same run');
  const bad = await cli(['--scenario', file, '--hosts', '3']);
  t.is(bad.code, 2);
  t.is(bad.stderr, 'repath: --hosts: cannot be combined with --scenario (the file fixes the scenario)\n');
});

test('--topology takes an ibnetdiscover net file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'repath-run-'));
  const net = join(dir, 'fabric.net');
  const lines = ['Switch\t8 "S-0000000000000100"\t\t# "sw0" base port 0 lid 1 lmc 0'];
  for (let i = 0; i < 4; i++) lines.push(`[${i + 1}]\t"H-00000000000002${i}0"[1]\t\t# "host${i}" lid ${i + 2} 4xQDR`);
  lines.push('');
  for (let i = 0; i < 4; i++) {
    lines.push(`Ca\t1 "H-00000000000002${i}0"\t\t# "host${i}"`, `[1](00000000000002${i}1)\t"S-0000000000000100"[${i + 1}]\t\t# lid ${i + 2} lmc 0 "sw0" lid 1 4xQDR`, '');
  }
  writeFileSync(net, lines.join('\n'));
  const r = await cli(['--topology', net, '--slots-per-host', '4', '--vms-per-host', '2', '--peers', '1', '--migrations', '1', '--scheme', 'per-pf', '--workers', '0', '--json']);
  t.is(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as { scenario: { hosts: number; topology: string }; schemes: Array<{ smSent: { report: number } }> };
  t.is(doc.scenario.hosts, 4);
  t.is(doc.scenario.topology, 'ibnetdiscover');
  t.is(doc.schemes[0]!.smSent.report, 4);
});

test('bad flags: one line on stderr, exit code 2 (the real bin)', (t) => {
  const cases: Array<[string[], RegExp]> = [
    [['--hosts', 'abc'], /^repath: --hosts: "abc" is not a positive integer\n$/],
    [['--hosts', '4', '--scheme', 'per-host'], /^repath: --scheme: "per-host" is not one of dynamic, static-no-signal, per-vguid, per-pf, per-pf-interest, all\n$/],
    [['--hosts', '4', '--migrations', '2', '--storm', '5'], /^repath: --storm: give either --migrations N or --storm PERCENT, not both\n$/],
    [['--hosts', '4', '--storm', '150'], /^repath: --storm: 150 is not a percentage in \(0, 100\]\n$/],
    [['--hosts', '4', '--cost', 'smServiceNs'], /^repath: --cost: "smServiceNs" is not KEY=VALUE\n$/],
    [['--hosts', '4', '--cost', 'smServiceNs=-5'], /^repath: --cost: cost model smServiceNs: -5 is below 0\n$/],
    [['--hosts', '4', '--topology', '/nonexistent/net'], /^repath: --topology: "\/nonexistent\/net" cannot be read \(ENOENT\)\n$/],
    [['--vms-per-host', '4'], /^repath: --hosts: missing/],
    [['--hosts', '70000'], /^repath: .*hosts.*70000/],
    [['--bogus'], /^repath: --bogus: unknown option\n$/],
  ];
  for (const [args, expected] of cases) {
    const r = spawnSync(process.execPath, [MAIN, 'run', ...args], { encoding: 'utf8' });
    t.is(r.status, 2, args.join(' '));
    t.regex(r.stderr, expected, args.join(' '));
    t.is(r.stdout, '');
  }
});

test('--help lists the contract flags', async (t) => {
  const r = await cli(['--help']);
  t.is(r.code, 0);
  for (const flag of ['--hosts', '--vms-per-host', '--peers', '--pattern', '--migrations', '--storm', '--scheme', '--seed', '--workers', '--topology', '--scenario', '--json', '--out', '--pcap', '--cost']) {
    t.true(r.stdout.includes(flag), flag);
  }
});

test('the bin runs with huge pages for its tables where THP allows it, and REPATH_HUGE_PAGES=0 keeps 4 KiB pages', (t) => {
  const env = { ...process.env };
  delete env['GLIBC_TUNABLES'];
  delete env['REPATH_HUGE_PAGES'];
  const args = [MAIN, 'run', ...SMALL, '--migrations', '1', '--scheme', 'per-pf', '--json'];
  const run = (extra: Record<string, string>) => {
    const r = spawnSync(process.execPath, args, { encoding: 'utf8', env: { ...env, ...extra } });
    t.is(r.status, 0, r.stderr);
    return (JSON.parse(r.stdout) as { engine: { hugePages: boolean } }).engine.hugePages;
  };
  const mode = thpMode();
  // "madvise" needs the glibc tunable at exec, which the bin adds by re-executing itself.
  t.is(run({}), mode === 'always' || mode === 'madvise', `THP ${mode}: re-executed with ${HUGE_TLB_TUNABLE}=1`);
  t.is(run({ REPATH_HUGE_PAGES: '0' }), mode === 'always', `THP ${mode}, REPATH_HUGE_PAGES=0`);
  // A failing child's exit status and one-line message come through the re-execution.
  const bad = spawnSync(process.execPath, [MAIN, 'run', '--hosts', 'x'], { encoding: 'utf8', env });
  t.is(bad.status, 2);
  t.is(bad.stderr.trim().split('\n').length, 1, bad.stderr);
});
