// A fuzz run: for each target, `count` inputs from a seeded MadMutator, each judged by the
// target's oracle (targets.ts), timed, with heap use before and after. runFuzz runs in this
// thread; runFuzzWatched runs it in a worker and watches a heartbeat in shared memory, so an
// input that never returns (a hang) is caught, the worker terminated and the input named (the
// seed, target and index reproduce it).
import { Worker } from 'node:worker_threads';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { FUZZ_TARGETS, FATE_NAMES, Fate, makeTarget, type FuzzTargetName } from './targets.js';
import { MadMutator } from './mutator.js';
import { engineMads, goldenMads } from './corpus.js';

export interface FuzzOptions {
  /** Inputs per target. */
  readonly count: number;
  readonly seed: number;
  readonly targets?: readonly FuzzTargetName[];
  /** An input taking longer than this is counted as slow (default 100 ms). */
  readonly slowMs?: number;
  /** Inputs between drains of the emulated subnet's queue (default 64). */
  readonly drainEvery?: number;
  /** Watchdog self-test: the first target spins forever at this input index (tests only). */
  readonly stallAt?: number;
}

export interface FuzzSample {
  readonly index: number;
  readonly fate: string;
  readonly error: string;
  readonly hex: string;
}

export interface FuzzTargetReport {
  readonly target: FuzzTargetName;
  readonly inputs: number;
  /** Count per fate name (accepted, answered, dropped, and the violations). */
  readonly fates: Record<(typeof FATE_NAMES)[number], number>;
  /** crash + silent + statusMismatch + unanswered + roundTrip. */
  readonly violations: number;
  readonly samples: FuzzSample[];
  readonly maxInputUs: number;
  readonly slowInputs: number;
  readonly heapBeforeBytes: number;
  readonly heapAfterBytes: number;
  readonly heapGrowthBytes: number;
  readonly externalGrowthBytes: number;
  readonly seconds: number;
}

export interface FuzzReport {
  readonly seed: number;
  readonly countPerTarget: number;
  readonly corpus: { golden: number; engine: number };
  readonly targets: FuzzTargetReport[];
  readonly violations: number;
  /** Set when the watchdog stopped a hung input. */
  readonly hang?: { target: FuzzTargetName; index: number; stalledMs: number };
}

const VIOLATIONS = [Fate.Crash, Fate.Silent, Fate.StatusMismatch, Fate.Unanswered, Fate.RoundTrip];
const MAX_SAMPLES = 8;

let gcFn: (() => void) | undefined;

/**
 * A full collection before each heap reading, so that growth means retained memory. Without
 * --expose-gc the flag is switched on at run time and gc() fetched from a fresh context (V8's
 * documented way; worker threads refuse --expose-gc in execArgv).
 */
function gc(): void {
  if (gcFn === undefined) {
    const g = (globalThis as { gc?: () => void }).gc;
    if (g !== undefined) gcFn = g;
    else {
      v8.setFlagsFromString('--expose-gc');
      gcFn = runInNewContext('gc') as () => void;
    }
  }
  gcFn();
  gcFn();
}

/**
 * Runs the fuzzer in this thread. `heartbeat`, if given, gets [target ordinal, input index + 1,
 * beats]: beats goes up after every input and after each setup step (the watchdog reads it).
 */
export function runFuzz(o: FuzzOptions, heartbeat?: Int32Array): FuzzReport {
  if (!Number.isInteger(o.count) || o.count < 1) throw new RangeError(`fuzz count: ${o.count} is not a positive integer`);
  if (!Number.isInteger(o.seed) || o.seed < 0 || o.seed > 0xffffffff) throw new RangeError(`fuzz seed: ${o.seed} is not an unsigned 32-bit integer`);
  const names = o.targets ?? FUZZ_TARGETS;
  for (const n of names) if (!FUZZ_TARGETS.includes(n)) throw new RangeError(`fuzz target: "${n}" is not one of ${FUZZ_TARGETS.join(', ')}`);
  const slowMs = o.slowMs ?? 100;
  const drainEvery = o.drainEvery ?? 64;
  const golden = goldenMads();
  const engine = engineMads(o.seed);
  const corpus = [...golden, ...engine];
  const beat = () => {
    if (heartbeat !== undefined) Atomics.add(heartbeat, 2, 1);
  };
  beat();
  const reports: FuzzTargetReport[] = [];
  names.forEach((name, ordinal) => {
    const target = makeTarget(name, o.seed);
    if (heartbeat !== undefined) {
      Atomics.store(heartbeat, 0, ordinal);
      Atomics.store(heartbeat, 1, 0);
    }
    beat();
    const mutator = new MadMutator(o.seed, 0xf000 + ordinal, { corpus, lids: target.lids, guids: target.guids, varyLength: name === 'decoder' });
    const fates = new Float64Array(FATE_NAMES.length);
    const samples: FuzzSample[] = [];
    let maxUs = 0;
    let slow = 0;
    target.drain();
    gc();
    const mem0 = process.memoryUsage();
    const start = performance.now();
    for (let i = 0; i < o.count; i++) {
      const len = mutator.next();
      if (i === o.stallAt && ordinal === 0) for (;;) {
        // spin: the watchdog must notice and stop the worker
      }
      const t0 = performance.now();
      const fate = target.feed(mutator.out, len);
      const us = (performance.now() - t0) * 1000;
      if (us > maxUs) maxUs = us;
      if (us > slowMs * 1000) slow++;
      fates[fate]!++;
      if (VIOLATIONS.includes(fate as 3) && samples.length < MAX_SAMPLES) {
        samples.push({ index: i, fate: FATE_NAMES[fate]!, error: target.error, hex: Buffer.from(mutator.out.subarray(0, len)).toString('hex') });
      }
      if ((i + 1) % drainEvery === 0) target.drain();
      if (heartbeat !== undefined) {
        Atomics.store(heartbeat, 1, i + 1);
        Atomics.add(heartbeat, 2, 1);
      }
    }
    target.drain();
    const seconds = (performance.now() - start) / 1000;
    gc();
    const mem1 = process.memoryUsage();
    const f = Object.fromEntries(FATE_NAMES.map((n, i) => [n, fates[i]!])) as FuzzTargetReport['fates'];
    reports.push({
      target: name,
      inputs: o.count,
      fates: f,
      violations: VIOLATIONS.reduce((s, v) => s + fates[v]!, 0),
      samples,
      maxInputUs: Math.round(maxUs),
      slowInputs: slow,
      heapBeforeBytes: mem0.heapUsed,
      heapAfterBytes: mem1.heapUsed,
      heapGrowthBytes: mem1.heapUsed - mem0.heapUsed,
      externalGrowthBytes: mem1.external + mem1.arrayBuffers - (mem0.external + mem0.arrayBuffers),
      seconds: Math.round(seconds * 100) / 100,
    });
  });
  return {
    seed: o.seed,
    countPerTarget: o.count,
    corpus: { golden: golden.length, engine: engine.length },
    targets: reports,
    violations: reports.reduce((s, r) => s + r.violations, 0),
  };
}

export interface WatchOptions {
  /** No progress for this long = a hang (default 10 s). */
  readonly hangMs?: number;
}

/** runFuzz in a worker, watched for hangs. */
export function runFuzzWatched(o: FuzzOptions, w: WatchOptions = {}): Promise<FuzzReport> {
  const hangMs = w.hangMs ?? 10_000;
  const beat = new Int32Array(new SharedArrayBuffer(12));
  const worker = new Worker(new URL('./fuzz-worker.js', import.meta.url), {
    workerData: { options: o, heartbeat: beat },
  });
  return new Promise((resolve, reject) => {
    let last = -1;
    let since = Date.now();
    let settled = false;
    const names = o.targets ?? FUZZ_TARGETS;
    const timer = setInterval(() => {
      const t = Atomics.load(beat, 0);
      const i = Atomics.load(beat, 1);
      const beats = Atomics.load(beat, 2);
      if (beats !== last) {
        last = beats;
        since = Date.now();
        return;
      }
      const stalled = Date.now() - since;
      // Before the first beat the worker is still loading modules and building the corpus:
      // allow it a minute, so that a slow start on a busy machine is not called a hang.
      const budget = last <= 0 ? Math.max(hangMs, 60_000) : hangMs;
      if (stalled > budget && !settled) {
        settled = true;
        clearInterval(timer);
        void worker.terminate();
        resolve({
          seed: o.seed,
          countPerTarget: o.count,
          corpus: { golden: 0, engine: 0 },
          targets: [],
          violations: 1,
          hang: { target: names[t] ?? names[0]!, index: i, stalledMs: stalled },
        });
      }
    }, 250);
    worker.once('message', (report: FuzzReport) => {
      if (settled) return;
      settled = true;
      clearInterval(timer);
      resolve(report);
    });
    worker.once('error', (e) => {
      if (settled) return;
      settled = true;
      clearInterval(timer);
      reject(e);
    });
    worker.once('exit', (code) => {
      if (settled) return;
      settled = true;
      clearInterval(timer);
      reject(new Error(`fuzz worker exited with code ${code} before reporting`));
    });
  });
}

/** One line: inputs, per-target fates, violations. */
export function fuzzSummary(r: FuzzReport): string {
  if (r.hang !== undefined) return `fuzz seed ${r.seed}: HANG in ${r.hang.target} at input ${r.hang.index} (no progress for ${r.hang.stalledMs} ms)`;
  const parts = r.targets.map(
    (t) => `${t.target} ${t.fates.accepted}/${t.fates.answered}/${t.fates.dropped} max ${(t.maxInputUs / 1000).toFixed(1)} ms heap ${t.heapGrowthBytes >= 0 ? '+' : ''}${(t.heapGrowthBytes / 2 ** 20).toFixed(1)} MiB${t.violations > 0 ? ` VIOLATIONS ${t.violations}` : ''}`,
  );
  return `fuzz seed ${r.seed}: ${r.countPerTarget} inputs per target (accepted/answered/dropped): ${parts.join('; ')}; violations ${r.violations}`;
}
