// The machine's own ceiling for 2 workers (issue 4 item 8): how much more work do two copies of
// the one-thread storm do side by side, in two processes that share nothing (no heap, no GC or
// compiler threads, no synchronisation, no data), than one copy alone in the same time?
// No split of the same work across two threads can beat two independent copies of it: it does
// that work plus its hand-offs, with its threads' caches shared the same way. What two copies
// lose against 2x is what the cores lose to each other here (the shared last-level cache and
// memory, and whatever the hypervisor gives both vCPUs), a ceiling below any engine's bound.
//
// Two long-lived child processes, each warmed up on the storm; then windows alternate: one copy
// alone, both copies at once, and so on. In a window each copy runs whole storms (direct setup
// and the migration phase, as the throughput bench's whole runs) until the window closes; its
// rate is storms over the time to the end of its last storm. Each pair window is compared with
// the solo windows on either side (their mean), so a drift of the machine's speed over the run
// moves both sides of a ratio alike.
//
//   node dist/bench/independent-copies.js [--windows N] [--window-ms MS]   (prints, writes nothing)
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { generateScenario } from '../core/scenario/generator.js';
import type { ScenarioOptions } from '../core/scenario/scenario-options.js';
import type { SchemeName } from '../core/scenario/scenario.js';
import { EmulatedSubnet } from '../core/engine/single-thread-run.js';
import { LatencyHistogram } from '../core/metrics/latency-histogram.js';
import { benchMain, isEntryPoint } from './bench-main.js';
import { median } from './stats.js';

export interface CopiesOptions {
  /** The storm each copy runs (generator options). */
  storm: ScenarioOptions;
  scheme: SchemeName;
  /** Solo/pair window pairs (the run ends with one more solo window). */
  windows: number;
  windowMs: number;
  /** Storms each copy runs before the first window (JIT warm-up). */
  warmupStorms: number;
}

/** What one copy did in one window. */
export interface CopyWindow {
  /** Whole storms (setup and phase) finished. */
  storms: number;
  /** From the window's start to the end of the copy's last storm, ms. */
  elapsedMs: number;
  /** The migration phases alone, ms. */
  phaseMs: number;
}

export interface CopiesCeiling {
  /** Storms per second of one copy alone, per solo window (windows + 1 of them). */
  soloRates: number[];
  /** Storms per second of both copies together, per pair window. */
  pairRates: number[];
  /** Each pair window's rate over the mean of the solo windows before and after it. */
  ratios: number[];
  medianRatio: number;
  /** Median phase time of a storm with the other copy running, over the median alone. */
  phaseSlowdown: number;
}

const rate = (w: CopyWindow) => (w.storms * 1000) / w.elapsedMs;

/** Pair windows' rates over their neighbouring solo windows' mean: solo[i] and solo[i + 1] surround pair[i]. */
export function neighbourRatios(soloRates: readonly number[], pairRates: readonly number[]): number[] {
  if (soloRates.length !== pairRates.length + 1) throw new RangeError(`neighbourRatios: ${soloRates.length} solo windows around ${pairRates.length} pair windows (want one more)`);
  return pairRates.map((p, i) => p / ((soloRates[i]! + soloRates[i + 1]!) / 2));
}

/** The line of a child's stderr that says what it threw (Node prints the source line, the error, its stack and its version). */
function thrownLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  return lines.find((l) => /^[A-Za-z]*Error\b.*: /.test(l)) ?? lines.pop() ?? '';
}

/** A child copy: warmed up, then runs a window per line it is sent. */
class Copy {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly lines: Interface;
  private readonly pending: Array<(line: string) => void> = [];
  private stderr = '';

  constructor(o: CopiesOptions) {
    const script = fileURLToPath(import.meta.url);
    this.child = spawn(process.execPath, [script, '--child', JSON.stringify({ storm: o.storm, scheme: o.scheme, warmupStorms: o.warmupStorms })], { stdio: 'pipe' });
    this.child.stderr.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.lines = createInterface({ input: this.child.stdout });
    this.lines.on('line', (line) => this.pending.shift()?.(line));
  }

  /** The next line the copy prints (its warm-up's end, or a window's figures). */
  private next(): Promise<string> {
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`independent copy exited ${code}: ${thrownLine(this.stderr)}`));
      this.child.once('exit', onExit);
      this.pending.push((line) => {
        this.child.off('exit', onExit);
        resolve(line);
      });
    });
  }

  ready(): Promise<string> {
    return this.next();
  }

  window(startAtMs: number, windowMs: number): Promise<CopyWindow> {
    const answer = this.next();
    this.child.stdin.write(`${startAtMs} ${windowMs}\n`);
    return answer.then((line) => JSON.parse(line) as CopyWindow);
  }

  close(): void {
    this.child.stdin.end();
  }
}

export async function independentCopiesCeiling(o: CopiesOptions): Promise<CopiesCeiling> {
  const a = new Copy(o);
  const b = new Copy(o);
  try {
    await Promise.all([a.ready(), b.ready()]);
    // Both copies start a window on the same wall-clock millisecond (each spins until then).
    const startAt = () => Date.now() + 50;
    const soloRates: number[] = [];
    const pairRates: number[] = [];
    const soloPhase: number[] = [];
    const pairPhase: number[] = [];
    const solo = async () => {
      const w = await a.window(startAt(), o.windowMs);
      soloRates.push(rate(w));
      soloPhase.push(w.phaseMs / w.storms);
    };
    await solo();
    for (let i = 0; i < o.windows; i++) {
      const t = startAt();
      const [wa, wb] = await Promise.all([a.window(t, o.windowMs), b.window(t, o.windowMs)]);
      pairRates.push(rate(wa) + rate(wb));
      pairPhase.push(wa.phaseMs / wa.storms, wb.phaseMs / wb.storms);
      await solo();
    }
    const ratios = neighbourRatios(soloRates, pairRates);
    return { soloRates, pairRates, ratios, medianRatio: median(ratios), phaseSlowdown: median(pairPhase) / median(soloPhase) };
  } finally {
    a.close();
    b.close();
  }
}

/** The child's side: build the storm, warm up, say so, then one window per line "startAtMs windowMs". */
async function runCopy(o: Pick<CopiesOptions, 'storm' | 'scheme' | 'warmupStorms'>): Promise<void> {
  await LatencyHistogram.ready();
  const scenario = generateScenario(o.storm);
  const storm = (): number => {
    const subnet = new EmulatedSubnet(scenario, o.scheme, {});
    subnet.setup('direct');
    const p0 = performance.now();
    subnet.scheduleMigrations();
    subnet.run();
    return performance.now() - p0;
  };
  for (let i = 0; i < o.warmupStorms; i++) storm();
  process.stdout.write('ready\n');
  for await (const line of createInterface({ input: process.stdin })) {
    const [startAtMs, windowMs] = line.split(' ').map(Number) as [number, number];
    while (Date.now() < startAtMs) {
      // spin: both copies start on the same millisecond
    }
    const t0 = performance.now();
    let storms = 0;
    let phaseMs = 0;
    do {
      phaseMs += storm();
      storms++;
    } while (performance.now() - t0 < windowMs);
    const w: CopyWindow = { storms, elapsedMs: performance.now() - t0, phaseMs };
    process.stdout.write(`${JSON.stringify(w)}\n`);
  }
}

/** The throughput bench's storm (bench/engine-throughput.bench.ts), for a run by hand. */
const THROUGHPUT_STORM: ScenarioOptions = { seed: 1, hosts: 256, slotsPerHost: 128, vmsPerHost: 120, peersPerVm: 8, migrations: 160 };

if (isEntryPoint(import.meta.url)) {
  await benchMain(
    {
      script: 'independent-copies.js',
      about: "Two copies of the throughput bench's one-thread storm in two processes side by side against one alone, in alternating windows: the machine's ceiling for 2 workers. Prints; writes nothing.",
      flags: {
        windows: { type: 'positiveInteger', default: 6, description: 'pair windows (each between two solo windows)' },
        'window-ms': { type: 'positiveInteger', default: 3000, valueName: 'MS', description: 'length of a window' },
        child: { type: 'string', valueName: 'JSON', description: '(internal) be one copy: warm up on this storm, then run the windows asked on stdin' },
      },
    },
    async ({ windows, 'window-ms': windowMs, child }) => {
      if (child !== undefined) return runCopy(JSON.parse(child) as Pick<CopiesOptions, 'storm' | 'scheme' | 'warmupStorms'>);
      const c = await independentCopiesCeiling({ storm: THROUGHPUT_STORM, scheme: 'per-pf', windows, windowMs, warmupStorms: 4 });
      console.log(JSON.stringify(c));
    },
  );
}
