// Runs one scenario under several signalling schemes, on the calling thread (workers: 0) or on
// a Piscina pool (workers >= 1), and turns each scheme's outcome into its report (run-report.ts).
//
// What runs in parallel (workers >= 1): runs of every scheme but per-vguid are sharded — the
// SM, fabric and Dom0s on this thread, the VMs split across `workers` shard threads
// (core/engine/shard/); per-vguid runs whole, one scheme per worker task, side by side, before
// the sharded ones. Either way a scheme's counts and histograms are those of the
// one-thread engine (test/engine-workers.test.ts); reports come back in the caller's order.
//
// Scenarios cross into workers as flatbuffers (a generated scenario as its parameters only, so
// each worker regenerates it from the seed; a hand-written one with its arrays).
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type { Scenario, SchemeName } from '../scenario/scenario.js';
import { encodeScenarioFb } from '../scenario/scenario-fb.js';
import { LatencyHistogram } from '../metrics/latency-histogram.js';
import { Counters } from '../metrics/counters.js';
import type { CostModel } from './cost-model.js';
import { runSchemeTask, type SchemeOutcome, type SchemeTask } from './scheme-run.js';
import { canShard, runShardedTask } from './shard/sharded-run.js';
import { countersFrom, phaseCpuMs, schemeReport, type SchemeReport } from './run-report.js';

export interface RunSchemesOptions {
  /** Worker threads; 0 runs every scheme on the calling thread. Default 0. */
  readonly workers?: number;
  readonly cost?: Partial<CostModel>;
  readonly setup?: 'mads' | 'direct';
  /** One pcap per scheme: the path itself for one scheme, else "<stem>.<scheme><ext>". */
  readonly pcapPath?: string;
  readonly pcapLimitBytes?: number;
  /** Called as each scheme finishes (in completion order). */
  readonly onSchemeDone?: (report: SchemeReport) => void;
}

export interface SchemeResult {
  readonly report: SchemeReport;
  /** The reconnection latencies as HdrHistogram's percentile distribution (.hgrm, microseconds). */
  readonly hgrm: string;
  /** The same histogram, LatencyHistogram.encode()d (decode it to merge or query it). */
  readonly histogramBytes: Uint8Array;
  readonly pcapPath?: string;
}

export interface SchemesRun {
  readonly results: SchemeResult[];
  readonly workers: number;
  /** Wall time of all schemes together, ms. */
  readonly wallTimeMs: number;
  /** Peak resident set size of the process, bytes. */
  readonly peakRssBytes: number;
}

const WORKER_FILE = fileURLToPath(new URL('../../workers/scheme-worker.js', import.meta.url));

/** Path of the trace of `scheme` when several schemes share one --pcap FILE. */
export function pcapPathFor(path: string, scheme: string, schemes: number): string {
  if (schemes <= 1) return path;
  const dot = path.lastIndexOf('.');
  const slash = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  return dot > slash ? `${path.slice(0, dot)}.${scheme}${path.slice(dot)}` : `${path}.${scheme}`;
}

export function peakRssBytes(): number {
  // resourceUsage().maxRSS is in kilobytes (the whole process, every thread).
  return process.resourceUsage().maxRSS * 1024;
}

export async function runSchemes(scenario: Scenario, schemes: readonly SchemeName[], o: RunSchemesOptions = {}): Promise<SchemesRun> {
  const workers = o.workers ?? 0;
  if (!Number.isInteger(workers) || workers < 0 || workers > 256) throw new RangeError(`workers: ${workers} is not an integer in 0..256`);
  if (schemes.length === 0) throw new RangeError('schemes: the list is empty');
  await LatencyHistogram.ready();
  const t0 = performance.now();
  const tasks: SchemeTask[] = schemes.map((scheme) => ({
    scenario,
    scheme,
    ...(o.cost !== undefined ? { cost: o.cost } : {}),
    ...(o.setup !== undefined ? { setup: o.setup } : {}),
    ...(o.pcapPath !== undefined ? { pcapPath: pcapPathFor(o.pcapPath, scheme, schemes.length) } : {}),
    ...(o.pcapLimitBytes !== undefined ? { pcapLimitBytes: o.pcapLimitBytes } : {}),
  }));
  const done: SchemeResult[] = new Array<SchemeResult>(tasks.length);
  const finish = (index: number, outcome: SchemeOutcome): void => {
    // Summary and .hgrm are taken at once and the WebAssembly histogram freed: long-lived
    // hdr-histogram-js WASM histograms were seen to return corrupt encodings once many other
    // histograms had been allocated meanwhile (concurrent runs in one thread).
    const histogram = LatencyHistogram.decode(outcome.histogram);
    const summary = histogram.summary();
    const hgrm = histogram.toHgrm();
    histogram.destroy();
    const report = schemeReport(outcome.scheme, countersFrom(outcome.counters), countersFrom(outcome.setupCounters), summary, {
      wallTimeMs: outcome.wallTimeMs,
      phaseWallMs: outcome.phaseWallMs,
      events: outcome.events,
      eventsPerSecond: outcome.phaseWallMs > 0 ? outcome.events / (outcome.phaseWallMs / 1000) : 0,
      virtualTimeNs: outcome.virtualTimeNs,
      peakRssBytes: peakRssBytes(),
      peakMadBuffers: outcome.peakMadBuffers,
      shards: outcome.shards ?? 0,
      shardFallback: outcome.shardFallback ?? '',
      shardRebuilds: outcome.shardRebuilds?.length ?? 0,
      shardRestarts: outcome.shardRestarts ?? 0,
      shardSyncs: outcome.shardSyncs ?? 0,
      // A sharded run measures its main thread itself; one redone on one thread has NaN there.
      phaseCpuMs: phaseCpuMs(Number.isFinite(outcome.mainCpuNs) ? outcome.mainCpuNs : outcome.phaseCpuNs, outcome.shardCpuNs),
    });
    const t = tasks[index]!;
    done[index] = { report, hgrm, histogramBytes: outcome.histogram, ...(t.pcapPath !== undefined ? { pcapPath: t.pcapPath } : {}) };
    o.onSchemeDone?.(report);
  };
  await runTasks(tasks, workers, finish);
  const results = done;
  return { results, workers, wallTimeMs: performance.now() - t0, peakRssBytes: peakRssBytes() };
}

/**
 * A Piscina pool of `workers` scheme worker threads that stay up (until destroy()): pass it to
 * runTasks to run several batches on the same, already warm threads. A fresh thread starts its
 * tasks cold (module loading, the JIT's warm-up in interpreted and baseline code), which for a
 * storm of 10 k Reports costs several times the storm itself.
 */
export function createSchemePool(workers: number): Piscina {
  if (!Number.isInteger(workers) || workers < 1 || workers > 256) throw new RangeError(`workers: ${workers} is not an integer in 1..256`);
  return new Piscina({ filename: WORKER_FILE, minThreads: workers, maxThreads: workers, idleTimeout: 60_000 });
}

/**
 * Runs scheme tasks on `workers` Piscina threads (0: one after another on this thread) and
 * resolves to their outcomes in task order. A task's scenario object is sent as its
 * flatbuffers encoding (once per distinct scenario). With `pool` (createSchemePool(workers))
 * the tasks run on its threads and the pool stays up; otherwise a pool is made for the call.
 */
export async function runTasks(
  tasks: readonly SchemeTask[],
  workers: number,
  onDone?: (index: number, outcome: SchemeOutcome) => void,
  sharedPool?: Piscina,
): Promise<SchemeOutcome[]> {
  if (!Number.isInteger(workers) || workers < 0 || workers > 256) throw new RangeError(`workers: ${workers} is not an integer in 0..256`);
  if (workers === 0) {
    return tasks.map((t, i) => {
      const out = runSchemeTask(t);
      onDone?.(i, out);
      return out;
    });
  }
  const encoded = new Map<Scenario | Uint8Array, Uint8Array>();
  const bytesOf = (s: Scenario | Uint8Array): Uint8Array => {
    if (s instanceof Uint8Array) return s;
    let b = encoded.get(s);
    if (b === undefined) {
      b = encodeScenarioFb(s);
      encoded.set(s, b);
    }
    return b;
  };
  const pool = sharedPool ?? new Piscina({ filename: WORKER_FILE, minThreads: 0, maxThreads: workers, idleTimeout: 100 });
  const outs: SchemeOutcome[] = new Array<SchemeOutcome>(tasks.length);
  try {
    // Whole-scheme tasks side by side first; then each sharded run, which needs every thread.
    await Promise.all(
      tasks.map(async (t, i) => {
        if (canShard(t)) return;
        const out = (await pool.run({ ...t, scenario: bytesOf(t.scenario) } satisfies SchemeTask)) as SchemeOutcome;
        outs[i] = out;
        onDone?.(i, out);
      }),
    );
    for (let i = 0; i < tasks.length; i++) {
      const t = tasks[i]!;
      if (!canShard(t)) continue;
      const out = await runShardedTask({ ...t, scenario: bytesOf(t.scenario) }, workers, pool);
      outs[i] = out;
      onDone?.(i, out);
    }
    return outs;
  } finally {
    if (sharedPool === undefined) await pool.destroy();
  }
}

/**
 * Merges outcomes of runs that together make one measurement (e.g. the same scheme on several
 * seeds, or the tasks of several workers): counters summed, histograms merged.
 */
export function mergeOutcomes(outcomes: readonly SchemeOutcome[]): { counters: Counters; histogram: LatencyHistogram; events: number } {
  const counters = new Counters();
  const histogram = new LatencyHistogram();
  let events = 0;
  for (const out of outcomes) {
    counters.addAll(countersFrom(out.counters));
    const h = LatencyHistogram.decode(out.histogram);
    histogram.merge(h);
    h.destroy();
    events += out.events;
  }
  return { counters, histogram, events };
}
