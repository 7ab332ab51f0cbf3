// Scenario generation at the full unicast LID space (issue 4, items 3 and 7): wall time,
// bytes of the scenario's typed arrays, bytes per VM and the process's peak RSS, for
// 49,151 hosts x 16 and x 128 VMs x 8 peers. Each case runs in a child process of its own, so
// the peak RSS is that case's alone.
//
// Run: node dist/bench/scenario-generate.bench.js [--quick] [--results-dir DIR]
import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateScenario } from '../core/scenario/generator.js';
import type { ScenarioOptions } from '../core/scenario/scenario-options.js';
import { machineFacts, writeBenchResult, type BenchResult } from './bench-result.js';
import { benchMain } from './bench-main.js';

interface Case {
  name: string;
  options: ScenarioOptions;
}

const FULL_LID_SPACE = 49_151;

function cases(quick: boolean): Case[] {
  const hosts = quick ? 2048 : FULL_LID_SPACE;
  const base = { hosts, peersPerVm: 8, migrations: 1000, lidSpace: 'hosts-only' as const, seed: 1 };
  return [
    { name: `${hosts} x 16 x 8 uniform`, options: { ...base, vmsPerHost: 16 } },
    { name: `${hosts} x 128 x 8 uniform`, options: { ...base, vmsPerHost: 128, spareHosts: 1 } },
    { name: `${hosts} x 128 x 8 tenant(32)`, options: { ...base, vmsPerHost: 128, spareHosts: 1, commPattern: 'tenant', tenantSize: 32 } },
    { name: `${hosts} x 128 x 8 ring`, options: { ...base, vmsPerHost: 128, spareHosts: 1, commPattern: 'ring' } },
  ];
}

function measureInThisProcess(options: ScenarioOptions): Record<string, number> {
  const t0 = performance.now();
  const s = generateScenario(options);
  const ms = performance.now() - t0;
  let bytes = 0;
  for (const value of Object.values(s)) if (ArrayBuffer.isView(value)) bytes += value.byteLength;
  return {
    vms: s.vms,
    peerEntries: s.peerList.length,
    migrations: s.migrationVm.length,
    ms: Math.round(ms),
    scenarioMiB: Math.round((bytes / 2 ** 20) * 10) / 10,
    bytesPerVm: Math.round((bytes / s.vms) * 10) / 10,
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
  };
}

function main(quick: boolean, resultsDir: string): void {
  const self = fileURLToPath(import.meta.url);
  const rows: Array<Record<string, string | number>> = [];
  for (const c of cases(quick)) {
    const out = execFileSync(process.execPath, [self, '--child', JSON.stringify(c.options)], { encoding: 'utf8', maxBuffer: 1 << 20 });
    const m = JSON.parse(out) as Record<string, number>;
    rows.push({ case: c.name, ...m });
    process.stderr.write(`${c.name}: ${JSON.stringify(m)}\n`);
  }
  const result: BenchResult = {
    suite: 'scenario-generate',
    title: 'Scenario generation at the full unicast LID space',
    command: `node dist/bench/scenario-generate.bench.js${quick ? ' --quick' : ''}`,
    rows,
    targets: [],
    notes: [
      'One child process per case; peakRssMiB is that process\'s maximum resident set (Node itself is about 40 MiB).',
      'scenarioMiB counts the scenario\'s typed arrays (placement, GUIDs, peers in CSR form, migrations).',
      '128 VMs per host fill all 128 VF slots, so one spare host (6,291,200 VMs) gives the 1,000-migration storm free slots.',
      'lidSpace "hosts-only": 49,151 hosts plus the fat tree\'s switches exceed the unicast LID space.',
    ],
    machine: machineFacts(),
    generatedAt: new Date().toISOString(),
  };
  process.stdout.write(`${writeBenchResult(join(resultsDir, 'scale', 'scenario-generate.json'), result)}\n`);
}

await benchMain(
  {
    script: 'scenario-generate.bench.js',
    about: 'Scenario generation at the full unicast LID space, one child process per case; writes results/scale/scenario-generate.json.',
    flags: {
      quick: { type: 'boolean', description: 'small cases (a smoke run)' },
      'results-dir': { type: 'string', valueName: 'DIR', default: 'results', description: 'where to write scale/scenario-generate.json' },
      child: { type: 'string', valueName: 'JSON', description: '(internal) generate this case\'s scenario in this process and print its figures' },
    },
  },
  ({ quick, 'results-dir': dir, child }) => {
    if (child !== undefined) process.stdout.write(JSON.stringify(measureInThisProcess(JSON.parse(child) as ScenarioOptions)));
    else main(quick === true, resolve(dir));
  },
);
