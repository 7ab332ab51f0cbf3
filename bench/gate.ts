// The regression gate: `repath bench --gate results/baseline.json`.
//
// A baseline holds, per scheme, every deterministic figure of one scenario (all counters of the
// setup and migration phases, the virtual time, the reconnection-latency percentiles in virtual
// time) and one throughput figure. Deterministic figures must be equal, to the unit: any change
// is a behaviour change. Throughput is the engine's events/s on the migration phase divided by
// the ops/s of a fixed reference workload timed in the same process, so the speed of the machine
// cancels; it fails when it falls by more than the threshold (default 10 %).
import { readFileSync } from 'node:fs';
import { machineFacts, type MachineFacts } from './bench-result.js';
import { generateScenario } from '../core/scenario/generator.js';
import type { ScenarioOptions } from '../core/scenario/scenario-options.js';
import { SCHEMES, type SchemeName } from '../core/scenario/scenario.js';
import { EventQueue } from '../core/engine/event-queue.js';
import { LatencyHistogram } from '../core/metrics/latency-histogram.js';
import { runScheme, type SchemeProgress } from './schemes.bench.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const BASELINE_KIND = 'repath-bench-baseline';
export const BASELINE_VERSION = 1;
export const DEFAULT_GATE_THRESHOLD = 0.1;

export interface SchemeFigures {
  /** Every deterministic figure, by name ("setup.smRecvInformInfo", "latencyP99Us", ...). */
  counts: Record<string, number>;
  /** Engine events per second on the migration phase (wall clock), for the record. */
  eventsPerSecond: number;
  /** eventsPerSecond / reference ops per second: the gated throughput figure. */
  relativeThroughput: number;
  /**
   * Whether the throughput is gated: only runs of at least MIN_GATED_EVENTS events, since a
   * migration phase of a few thousand events lasts milliseconds and its rate is mostly noise.
   */
  gated: boolean;
}

/** Migration-phase events below which a scheme's throughput is recorded but not gated. */
export const MIN_GATED_EVENTS = 200_000;

export interface GateMeasurement {
  scenario: ScenarioOptions;
  schemes: Partial<Record<SchemeName, SchemeFigures>>;
  /** Reference workload: event-queue push/pop operations per second, timed in this run. */
  referenceOpsPerSecond: number;
  /** True when throughput was not measured (deterministic-only). */
  deterministicOnly: boolean;
}

export interface Baseline extends GateMeasurement {
  kind: typeof BASELINE_KIND;
  version: number;
  command: string;
  machine: MachineFacts;
  generatedAt: string;
}

export class GateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GateError';
  }
}

/** Pushes and pops REFERENCE_EVENTS seeded events through the engine's own event queue. */
const REFERENCE_EVENTS = 200_000;

/**
 * The reference workload: the engine's event queue under a seeded load (what the engine spends
 * most of its time on), so it speeds up and slows down with the machine as the engine does.
 * Best of `rounds`: the least disturbed figure on a shared machine.
 */
export function referenceOpsPerSecond(rounds = 2): number {
  let best = 0;
  for (let r = 0; r < rounds; r++) {
    const q = new EventQueue(1024);
    let x = 0x9e3779b9;
    const t0 = performance.now();
    for (let i = 0; i < REFERENCE_EVENTS; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      q.push(q.nowNs + 1 + ((x >>> 0) % 5000), 0, i, 0, 0);
      if ((i & 3) === 3) {
        q.pop();
        q.pop();
      }
    }
    while (q.size > 0) q.pop();
    const seconds = (performance.now() - t0) / 1000;
    best = Math.max(best, (REFERENCE_EVENTS * 2) / seconds);
  }
  return best;
}

/** Runs `scenario` under each scheme and collects the gate's figures. */
export async function measureForGate(
  scenario: ScenarioOptions,
  o: { schemes?: readonly SchemeName[]; deterministicOnly?: boolean; onProgress?: (p: SchemeProgress) => void } = {},
): Promise<GateMeasurement> {
  await LatencyHistogram.ready();
  const s = generateScenario(scenario);
  const deterministicOnly = o.deterministicOnly === true;
  const schemes: Partial<Record<SchemeName, SchemeFigures>> = {};
  const references: number[] = [];
  for (const scheme of o.schemes ?? SCHEMES) {
    // The reference is timed right before and right after each run, so a machine that is busier
    // during one scheme's run is busier for its reference too.
    const before = deterministicOnly ? 0 : referenceOpsPerSecond(2);
    const r = runScheme(s, scheme, { setup: 'mads', ...(o.onProgress ? { onProgress: o.onProgress } : {}) });
    const after = deterministicOnly ? 0 : referenceOpsPerSecond(2);
    const reference = (before + after) / 2;
    references.push(reference);
    const counts: Record<string, number> = {};
    for (const [k, v] of Object.entries(r.setup)) counts[`setup.${k}`] = v;
    for (const [k, v] of Object.entries(r.counters)) counts[`migration.${k}`] = v;
    counts.events = r.events;
    counts.virtualTimeNs = r.virtualTimeNs;
    const sum = r.latency.summary();
    counts.reconnections = sum.count;
    counts.latencyP50Us = sum.p50;
    counts.latencyP99Us = sum.p99;
    counts.latencyMaxUs = sum.max;
    const eventsPerSecond = deterministicOnly ? 0 : r.events / Math.max(1e-6, r.wallMs / 1000);
    schemes[r.scheme] = {
      counts,
      eventsPerSecond,
      relativeThroughput: deterministicOnly ? 0 : eventsPerSecond / reference,
      gated: !deterministicOnly && r.events >= MIN_GATED_EVENTS,
    };
  }
  const reference = references.length === 0 ? 0 : references.reduce((a, b) => a + b, 0) / references.length;
  return { scenario: s.options, schemes, referenceOpsPerSecond: reference, deterministicOnly };
}

export function baselineFrom(m: GateMeasurement, command: string): Baseline {
  return { kind: BASELINE_KIND, version: BASELINE_VERSION, command, ...m, machine: machineFacts(), generatedAt: new Date().toISOString() };
}

export function writeBaseline(path: string, b: Baseline): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(b, null, 2) + '\n');
}

/** Reads and checks a baseline file; problems name the file and the field. */
export function readBaseline(path: string): Baseline {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new GateError(`baseline ${path}: cannot be read as JSON (${(err as Error).message})`);
  }
  const b = parsed as Partial<Baseline>;
  if (typeof b !== 'object' || b === null || b.kind !== BASELINE_KIND) {
    throw new GateError(`baseline ${path}: kind is ${JSON.stringify((b as { kind?: unknown } | null)?.kind)}, not "${BASELINE_KIND}"`);
  }
  if (b.version !== BASELINE_VERSION) throw new GateError(`baseline ${path}: version ${JSON.stringify(b.version)} is not ${BASELINE_VERSION}`);
  if (typeof b.scenario !== 'object' || b.scenario === null) throw new GateError(`baseline ${path}: scenario is missing`);
  if (typeof b.schemes !== 'object' || b.schemes === null) throw new GateError(`baseline ${path}: schemes is missing`);
  for (const [name, f] of Object.entries(b.schemes)) {
    if (!(SCHEMES as readonly string[]).includes(name)) throw new GateError(`baseline ${path}: schemes.${name} is not a scheme (${SCHEMES.join(', ')})`);
    if (typeof f !== 'object' || f === null || typeof f.counts !== 'object' || typeof f.relativeThroughput !== 'number' || typeof f.gated !== 'boolean') {
      throw new GateError(`baseline ${path}: schemes.${name} lacks counts, relativeThroughput or gated`);
    }
  }
  // JSON has no Infinity: a scenario never holds one, so the options go back to the generator as read.
  return b as Baseline;
}

export interface GateOutcome {
  ok: boolean;
  /** One line per failed comparison, naming scheme, figure, baseline and now. */
  failures: string[];
  /** Comparisons made. */
  compared: number;
  /** Throughput lines (pass or fail), for the log. */
  throughput: string[];
}

/**
 * Compares a measurement with the baseline: every deterministic figure equal; relative
 * throughput not below baseline x (1 - threshold) unless deterministicOnly.
 */
export function compareToBaseline(baseline: GateMeasurement, now: GateMeasurement, o: { threshold?: number; deterministicOnly?: boolean } = {}): GateOutcome {
  const threshold = o.threshold ?? DEFAULT_GATE_THRESHOLD;
  if (!(threshold >= 0 && threshold < 1)) throw new GateError(`gate threshold: ${threshold} is not a fraction in [0, 1)`);
  const failures: string[] = [];
  const throughput: string[] = [];
  let compared = 0;
  for (const [scheme, base] of Object.entries(baseline.schemes) as Array<[SchemeName, SchemeFigures]>) {
    const cur = now.schemes[scheme];
    if (cur === undefined) {
      failures.push(`${scheme}: in the baseline but not measured`);
      continue;
    }
    const names = new Set([...Object.keys(base.counts), ...Object.keys(cur.counts)]);
    for (const name of names) {
      compared++;
      const b = base.counts[name];
      const c = cur.counts[name];
      if (b !== c) failures.push(`${scheme} ${name}: baseline ${b ?? '(absent)'}, now ${c ?? '(absent)'}`);
    }
    if (o.deterministicOnly !== true && !now.deterministicOnly && base.gated && base.relativeThroughput > 0) {
      compared++;
      const ratio = cur.relativeThroughput / base.relativeThroughput;
      const line = `${scheme} relative throughput: baseline ${base.relativeThroughput.toPrecision(4)}, now ${cur.relativeThroughput.toPrecision(4)} (${((ratio - 1) * 100).toFixed(1)} %)`;
      throughput.push(line);
      if (ratio < 1 - threshold) failures.push(`${line}: fell by more than ${(threshold * 100).toFixed(0)} %`);
    }
  }
  return { ok: failures.length === 0, failures, compared, throughput };
}

export interface GateCommandOptions {
  /** Baseline to gate against (absent with writeBaseline alone). */
  gate?: string | undefined;
  writeBaseline: boolean;
  threshold: number;
  deterministicOnly: boolean;
  /** Baseline of the small scenario (tests). */
  quick: boolean;
  resultsDir: string;
  tty: boolean;
}

export const GATE_CI_COMMAND = 'node dist/core/cli/main.js bench --gate results/baseline.json --deterministic-only';

/** `repath bench --gate FILE` / `--write-baseline`: returns the exit code. */
export async function runGateCommand(o: GateCommandOptions, io: { stdout(t: string): void; stderr(t: string): void }): Promise<number> {
  const { progressPrinter, DEFAULT_SCENARIO, QUICK_SCENARIO } = await import('./schemes.bench.js');
  const progress = progressPrinter((t) => io.stderr(t), o.tty);
  if (o.gate === undefined) {
    const scenario = o.quick ? QUICK_SCENARIO : DEFAULT_SCENARIO;
    io.stderr(`bench: measuring the ${o.quick ? 'quick' : 'default'} scenario for a baseline${o.deterministicOnly ? ' (deterministic figures only)' : ''}\n`);
    const m = await measureForGate(scenario, { deterministicOnly: o.deterministicOnly, onProgress: progress });
    const path = join(o.resultsDir, 'baseline.json');
    const command = `repath bench --write-baseline${o.quick ? ' --quick' : ''}${o.deterministicOnly ? ' --deterministic-only' : ''}`;
    writeBaseline(path, baselineFrom(m, command));
    io.stdout(`wrote ${path}: ${Object.keys(m.schemes).length} schemes, ${Object.values(m.schemes).reduce((n, f) => n + Object.keys(f!.counts).length, 0)} deterministic figures${o.deterministicOnly ? '' : `, reference ${Math.round(m.referenceOpsPerSecond).toLocaleString('en-US')} ops/s`}\n`);
    return 0;
  }
  let baseline: Baseline;
  try {
    baseline = readBaseline(o.gate);
  } catch (err) {
    if (!(err instanceof GateError)) throw err;
    io.stderr(`bench: ${err.message}\n`);
    return 2;
  }
  const deterministicOnly = o.deterministicOnly || baseline.deterministicOnly;
  io.stderr(`bench: gate against ${o.gate} (${Object.keys(baseline.schemes).join(', ')})${deterministicOnly ? ', deterministic figures only' : `, throughput threshold ${(o.threshold * 100).toFixed(0)} %`}\n`);
  const now = await measureForGate(baseline.scenario, { schemes: Object.keys(baseline.schemes) as SchemeName[], deterministicOnly, onProgress: progress });
  const outcome = compareToBaseline(baseline, now, { threshold: o.threshold, deterministicOnly });
  for (const line of outcome.throughput) io.stdout(`${line}\n`);
  if (outcome.ok) {
    io.stdout(`gate: passed, ${outcome.compared} figures compared\n`);
    return 0;
  }
  io.stdout(`gate: FAILED, ${outcome.failures.length} of ${outcome.compared} figures differ:\n${outcome.failures.map((f) => `  ${f}`).join('\n')}\n`);
  return 1;
}
