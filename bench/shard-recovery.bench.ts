// The cost of shard crash recovery in the sharded engine (issue 7, item 2), side by side in one
// process on one storm, 2 shard workers: the run with checkpoints off and on (undo journal, a
// checkpoint with every Sync answer, replay logs), and with shard 1 killed halfway through the
// storm, rebuilt alone from its last Sync (checkpoints on) or the whole run redone (off).
// Every mode must end with the same counters, events and virtual time (checked).
//
//   node dist/bench/shard-recovery.bench.js [--migrations N] [--repeats R] [--results-dir DIR]
//
// Writes results/engine/shard-recovery.json. The schemes are those with one Sync per migration
// (every peer of a migrated VM detects the failure and asks the SA: static-no-signal, dynamic)
// and per-pf. Wall times on a shared machine are noisy: the modes are interleaved, each figure
// is the median of R repeats, and the ratios to the checkpoints-off run are the figures to read.
// CPU time (process.cpuUsage: every thread of this process, user + system) is the steadier
// measure of the work checkpointing adds: other processes' load stretches wall time, not it.
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { generateScenario } from '../core/scenario/generator.js';
import type { SchemeTask } from '../core/engine/scheme-run.js';
import { runShardedTask, type ShardedOutcome, type ShardedRunOptions } from '../core/engine/shard/sharded-run.js';
import { LatencyHistogram } from '../core/metrics/latency-histogram.js';
import { Counter } from '../core/metrics/counters.js';
import { machineFacts, writeBenchResult, type BenchResult } from './bench-result.js';
import { median } from './stats.js';
import { benchMain, isEntryPoint } from './bench-main.js';

interface Mode {
  readonly name: string;
  readonly checkpoints: boolean;
  readonly kill: boolean;
}

const MODES: readonly Mode[] = [
  { name: 'checkpoints off', checkpoints: false, kill: false },
  { name: 'checkpoints on', checkpoints: true, kill: false },
  { name: 'shard 1 killed, rebuilt alone', checkpoints: true, kill: true },
  { name: 'shard 1 killed, run redone', checkpoints: false, kill: true },
];

function sameResults(a: ShardedOutcome, b: ShardedOutcome, what: string): void {
  for (let i = 0; i < a.counters.length; i++) if (a.counters[i] !== b.counters[i]) throw new Error(`shard-recovery bench: ${what}: counter ${i} ${a.counters[i]} != ${b.counters[i]}`);
  if (a.events !== b.events || a.virtualTimeNs !== b.virtualTimeNs) throw new Error(`shard-recovery bench: ${what}: events or virtual time differ`);
}

export async function runShardRecoveryBench(o: { migrations: number; repeats: number; resultsDir: string }): Promise<BenchResult> {
  await LatencyHistogram.ready();
  const pool = new Piscina({ filename: fileURLToPath(new URL('../workers/scheme-worker.js', import.meta.url)), minThreads: 2, maxThreads: 2, idleTimeout: 60_000 });
  const scenario = generateScenario({ seed: 3, hosts: 64, slotsPerHost: 32, vmsPerHost: 24, peersPerVm: 8, migrations: o.migrations });
  const rows: Array<Record<string, string | number>> = [];
  const notes: string[] = [];
  let worstOverhead = 0;
  try {
    for (const scheme of ['static-no-signal', 'dynamic', 'per-pf'] as const) {
      const task: SchemeTask = { scenario, scheme, setup: 'direct' };
      // Warm-up (JIT, worker start-up), and the Sync count that places the kill mid-storm.
      const warm = await runShardedTask(task, 2, pool);
      await runShardedTask(task, 2, pool, { checkpoints: false });
      const killAt = Math.max(1, Math.floor(warm.shardSyncs / 2));
      const phase = new Map<string, number[]>();
      const wall = new Map<string, number[]>();
      const cpu = new Map<string, number[]>();
      const last = new Map<string, ShardedOutcome>();
      for (let r = 0; r < o.repeats; r++) {
        for (const m of MODES) {
          const opts: ShardedRunOptions = { checkpoints: m.checkpoints, ...(m.kill ? { faults: { killShard: 1, atSync: killAt } } : {}) };
          const c0 = process.cpuUsage();
          const out = await runShardedTask(task, 2, pool, opts);
          const dc = process.cpuUsage(c0);
          (cpu.get(m.name) ?? cpu.set(m.name, []).get(m.name)!).push((dc.user + dc.system) / 1000);
          sameResults(out, warm, `${scheme}, ${m.name}`);
          if (m.kill && m.checkpoints && (out.shardRebuilds.length !== 1 || out.shardRestarts !== 0)) throw new Error(`shard-recovery bench: ${scheme}: the killed shard was not rebuilt alone`);
          if (m.kill && !m.checkpoints && out.shardRestarts !== 1) throw new Error(`shard-recovery bench: ${scheme}: the run was not redone`);
          (phase.get(m.name) ?? phase.set(m.name, []).get(m.name)!).push(out.phaseWallMs);
          (wall.get(m.name) ?? wall.set(m.name, []).get(m.name)!).push(out.wallTimeMs);
          last.set(m.name, out);
        }
      }
      const off = median(wall.get('checkpoints off')!);
      const offPhase = median(phase.get('checkpoints off')!);
      const onPhase = median(phase.get('checkpoints on')!);
      const syncs = warm.shardSyncs;
      const offCpu = median(cpu.get('checkpoints off')!);
      const onCpu = median(cpu.get('checkpoints on')!);
      const overhead = onCpu / offCpu;
      worstOverhead = Math.max(worstOverhead, overhead);
      for (const m of MODES) {
        const w = median(wall.get(m.name)!);
        const rb = last.get(m.name)!.shardRebuilds[0];
        rows.push({
          scheme,
          mode: m.name,
          'wall ms (median)': Math.round(w),
          'wall / checkpoints off': Math.round((w / off) * 100) / 100,
          'phase ms (median)': Math.round(median(phase.get(m.name)!)),
          'CPU ms (median)': Math.round(median(cpu.get(m.name)!)),
          'CPU / checkpoints off': Math.round((median(cpu.get(m.name)!) / offCpu) * 100) / 100,
          syncs,
          'CPU µs per Sync over off': m.name === 'checkpoints on' ? Math.round(((onCpu - offCpu) * 1000) / syncs) : '',
          'phase µs per Sync over off': m.name === 'checkpoints on' ? Math.round(((onPhase - offPhase) * 1000) / syncs) : '',
          'resumed from Sync': rb !== undefined ? rb.fromSync : '',
          'records replayed': rb !== undefined ? rb.records : '',
          'rows rolled back': rb !== undefined ? rb.rowsRolledBack : '',
        });
      }
      notes.push(
        `${scheme}: ${scenario.vms} VMs, ${o.migrations} migrations, ${syncs} Syncs, ${warm.counters[Counter.smRecvPathRecord]} PathRecord queries; killed at Sync ${killAt}; checkpointing costs ${Math.round((overhead - 1) * 1000) / 10}% CPU time and ${Math.round((onPhase / offPhase - 1) * 1000) / 10}% of the phase's wall time.`,
      );
    }
  } finally {
    await pool.destroy();
  }
  notes.push('Each figure is the median of the repeats; the modes are interleaved within each repeat. "phase" is the migration phase alone (after setup); "wall" includes setup and, for a redone run, both attempts.');
  notes.push('A rebuilt shard starts on a fresh worker thread (module loading and the WebAssembly histogram included in its wall time); a redone run repeats setup and the whole phase.');
  const result: BenchResult = {
    suite: 'shard-recovery',
    title: 'Shard crash recovery: checkpoint cost and rebuild vs re-run (2 shard workers)',
    command: `node dist/bench/shard-recovery.bench.js --migrations ${o.migrations} --repeats ${o.repeats}`,
    rows,
    targets: [{ name: 'CPU time with checkpoints over without, worst scheme', target: '<= 1.15', measured: Math.round(worstOverhead * 100) / 100, met: worstOverhead <= 1.15 }],
    notes,
    machine: machineFacts(),
    generatedAt: new Date().toISOString(),
  };
  writeBenchResult(resolve(o.resultsDir, 'engine', 'shard-recovery.json'), result);
  return result;
}

if (isEntryPoint(import.meta.url)) {
  await benchMain(
    {
      script: 'shard-recovery.bench.js',
      about: 'Shard crash recovery: checkpoints off and on, and a shard killed halfway (rebuilt from its last Sync, or the run redone), side by side; writes results/engine/shard-recovery.json.',
      flags: {
        migrations: { type: 'positiveInteger', default: 200, description: 'migrations of the storm' },
        repeats: { type: 'positiveInteger', default: 3, description: 'repeats per mode (each figure is their median)' },
        'results-dir': { type: 'string', valueName: 'DIR', default: 'results', description: 'where to write engine/shard-recovery.json' },
      },
    },
    async ({ migrations, repeats, 'results-dir': resultsDir }) => {
      const r = await runShardRecoveryBench({ migrations, repeats, resultsDir });
      console.table(r.rows);
      for (const n of r.notes) console.log(n);
      for (const t of r.targets) console.log(`${t.name}: ${t.measured} (target ${t.target}) ${t.met ? 'met' : 'NOT met'}`);
    },
  );
}
