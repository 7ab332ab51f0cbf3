// PathRecord round trips per second through the libibumad addon against a
// small C program over libibumad doing the same loop (bench/c/pathrecord_loop.c,
// compiled here with cc), side by side against one ibsim + OpenSM fabric.
// All run as clients at the same HCA under the umad2sim shim, one at a time,
// in rounds whose order rotates so drift on a busy machine hits every side
// alike; each side's figure is its median round. The addon runs twice: as
// shipped (its receive thread spins briefly after traffic, DEFAULT_RECEIVE_SPIN_US)
// and with the spin off (the thread sleeps in umad_poll, as the C loop sleeps in
// umad_recv), so the table shows what the spin buys.
// Writes results/native/umad-pathrecord.json.
//   node dist/bench/umad-pathrecord.bench.js [round trips per round] [rounds]
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { machineFacts, writeBenchResult, type BenchResult } from './bench-result.js';
import { median } from './stats.js';
import { benchMain } from './bench-main.js';
import { UsageError } from '../core/cli/args.js';
import { DEFAULT_RECEIVE_SPIN_US, nativeUnavailableReason, type UmadReceiveStats } from '../native/umad.js';
import { ibsimUnavailableReason, OpenSmFabric } from '../test/support/opensm-ibsim.js';

interface LoopResult {
  roundTrips: number;
  seconds: number;
  p50Us: number;
  p99Us: number;
  dlid: number;
  /** The addon's receive counters (absent for C). */
  receive?: UmadReceiveStats;
}

interface Side {
  name: string;
  command: string;
  args: string[];
  results: LoopResult[];
}

const CLIENT_HOST = 'Hca1';
const TARGET_HOST = 'Hca3';
const TARGET_RATIO = 0.8;
const C_SOURCE = fileURLToPath(new URL('../../bench/c/pathrecord_loop.c', import.meta.url));
const ADDON_CHILD = fileURLToPath(new URL('./umad-pathrecord-child.js', import.meta.url));
const RESULT_PATH = fileURLToPath(new URL('../../results/native/umad-pathrecord.json', import.meta.url));

async function runLoop(fabric: OpenSmFabric, command: string, args: string[]): Promise<LoopResult> {
  const child = fabric.spawnClient(CLIENT_HOST, command, args);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  const line = stdout.trim().split('\n').pop() ?? '';
  if (code !== 0 || !line.startsWith('{')) throw new Error(`${command} ${args.join(' ')} exited ${code}: ${stderr}${stdout}`);
  return JSON.parse(line) as LoopResult;
}

async function main(roundTrips: number, rounds: number): Promise<void> {
  // Many short rounds rather than a few long ones: on a shared machine a burst of other work
  // spoils a round, and the median over 15 rotating rounds leaves such rounds out.
  const warmup = Math.min(1000, roundTrips);
  const reason = nativeUnavailableReason() ?? ibsimUnavailableReason()
    ?? (spawnSync('cc', ['--version']).status === 0 ? null : 'no C compiler (cc)');
  if (reason !== null) {
    console.log(`umad-pathrecord benchmark skipped: ${reason}`);
    return;
  }

  const fabric = await OpenSmFabric.start({ hcaCount: 5 });
  try {
    const binary = join(fabric.dir, 'pathrecord_loop');
    const built = spawnSync('cc', ['-O2', '-o', binary, C_SOURCE, '-libumad'], { encoding: 'utf8' });
    if (built.status !== 0 || !existsSync(binary)) throw new Error(`cc ${C_SOURCE}: ${built.stderr}`);
    const target = await fabric.runTool(TARGET_HOST, fabric.tools.smpquery, ['-D', 'nodeinfo', '0']);
    const targetPort = await fabric.runTool(TARGET_HOST, fabric.tools.smpquery, ['-D', 'portinfo', '0']);
    const guid = /^PortGuid:\.+(0x[0-9a-f]+)/m.exec(target.stdout)?.[1];
    const lid = Number(/^Lid:\.+(\d+)/m.exec(targetPort.stdout)?.[1]);
    if (guid === undefined || !Number.isInteger(lid)) throw new Error(`smpquery at ${TARGET_HOST}: ${target.stdout}${target.stderr}`);

    const loopArgs = [String(roundTrips), String(warmup), guid];
    const c: Side = { name: 'C over libibumad (bench/c/pathrecord_loop.c)', command: binary, args: loopArgs, results: [] };
    const addon: Side = {
      name: `node addon (native/umad.ts), receive spin ${DEFAULT_RECEIVE_SPIN_US} us`,
      command: process.execPath,
      args: [ADDON_CHILD, ...loopArgs, String(DEFAULT_RECEIVE_SPIN_US)],
      results: [],
    };
    const noSpin: Side = {
      name: 'node addon, receive spin off (thread sleeps in umad_poll)',
      command: process.execPath,
      args: [ADDON_CHILD, ...loopArgs, '0'],
      results: [],
    };
    const sides = [c, addon, noSpin];
    for (let r = 0; r < rounds; r++) {
      for (let k = 0; k < sides.length; k++) {
        const side = sides[(r + k) % sides.length]!;
        side.results.push(await runLoop(fabric, side.command, side.args));
      }
    }
    for (const result of sides.flatMap((side) => side.results)) {
      if (result.dlid !== lid) throw new Error(`PathRecord to ${TARGET_HOST} answered DLID ${result.dlid}, expected ${lid}`);
    }

    const rate = (x: LoopResult): number => x.roundTrips / x.seconds;
    const summarize = (side: Side): Record<string, string | number> => {
      const received = side.results.reduce((sum, x) => sum + (x.receive?.received ?? 0), 0);
      const spinning = side.results.reduce((sum, x) => sum + (x.receive?.caughtSpinning ?? 0), 0);
      const backoffs = side.results.reduce((sum, x) => sum + (x.receive?.spinBackoffs ?? 0), 0);
      return {
        implementation: side.name,
        roundTripsPerSec: Math.round(median(side.results.map(rate))),
        p50Us: Number(median(side.results.map((x) => x.p50Us)).toFixed(1)),
        p99Us: Number(median(side.results.map((x) => x.p99Us)).toFixed(1)),
        // Share of responses a running (spinning) receive thread found; '-' for C, which has no such thread.
        caughtSpinning: received === 0 ? '-' : Number((spinning / received).toFixed(3)),
        // Spins given up (summed over rounds) because the thread lost its core mid-spin.
        spinBackoffs: received === 0 ? '-' : backoffs,
        roundTripsPerRound: roundTrips,
        rounds,
      };
    };
    const [cRow, addonRow, noSpinRow] = sides.map(summarize) as [Record<string, string | number>, Record<string, string | number>, Record<string, string | number>];
    const ratio = Number(((addonRow.roundTripsPerSec as number) / (cRow.roundTripsPerSec as number)).toFixed(3));
    const noSpinRatio = Number(((noSpinRow.roundTripsPerSec as number) / (cRow.roundTripsPerSec as number)).toFixed(3));
    // Each round runs the three sides back to back: their per-round ratios pair runs that saw the same load.
    const pairedRatios = (side: Side): number[] => side.results.map((x, r) => rate(x) / rate(c.results[r]!));
    const paired = (side: Side): string => {
      const ratios = pairedRatios(side);
      return `${ratios.map((x) => x.toFixed(3)).join(', ')} (median ${median(ratios).toFixed(3)})`;
    };
    const result: BenchResult = {
      suite: 'umad-pathrecord',
      title: 'SA PathRecord Get round trips to OpenSM on ibsim: libibumad addon vs C',
      command: `node dist/bench/umad-pathrecord.bench.js ${roundTrips} ${rounds}`,
      rows: [cRow, addonRow, noSpinRow],
      targets: [{
        name: 'addon PathRecord round trips/s as a fraction of C',
        target: `>= ${TARGET_RATIO}`,
        measured: ratio,
        met: ratio >= TARGET_RATIO,
      }],
      notes: [
        `One request in flight; ${warmup} warm-up round trips per run; ${rounds} rounds, each running every side once in rotating order; median round reported.`,
        'Same loop on every side: PathRecord Get (DGID, SGID) to the SM LID with the same MAD bytes, timeout 1000 ms and 3 retries, next request sent when the GetResp with the same TID has arrived.',
        `The addon's receive thread hands MADs to the event loop through a libuv async handle, woken once per batch after the thread has released the batch lock (so the woken loop never blocks on it). As shipped it keeps polling without sleeping for ${DEFAULT_RECEIVE_SPIN_US} us after the last MAD or request (yielding the core to any other runnable thread, and sleeping for 100 ms whenever it finds it lost its core mid-spin: spinBackoffs), so a response finds it running and the event loop's wake-up is the only one on the path, as the C loop's own wake-up in umad_recv is; with the spin off each response wakes two threads. caughtSpinning: share of responses found by a running thread.`,
        `addon with spin off / C = ${noSpinRatio}.`,
        `Both clients attach at ${CLIENT_HOST} and query the path to ${TARGET_HOST} (DLID ${lid}) from OpenSM ${fabric.opensmVersion}; every answer's DLID was checked.`,
        'Through ibsim each round trip crosses the simulator process twice and OpenSM once, so both sides are bounded by the simulator; the ratio, not the absolute rate, is the figure of merit.',
        `Rounds (round trips/s): C ${c.results.map((x) => Math.round(rate(x))).join(', ')}; addon ${addon.results.map((x) => Math.round(rate(x))).join(', ')}; addon spin off ${noSpin.results.map((x) => Math.round(rate(x))).join(', ')}.`,
        `Per-round ratios to C (runs that saw the same load): addon ${paired(addon)}; addon spin off ${paired(noSpin)}.`,
      ],
      machine: machineFacts(),
      generatedAt: new Date().toISOString(),
    };
    console.log(`wrote ${writeBenchResult(RESULT_PATH, result)}`);
    console.table(result.rows);
    console.log(`addon / C = ${ratio} (target >= ${TARGET_RATIO}); addon with receive spin off / C = ${noSpinRatio}`);
  } finally {
    await fabric.stop();
  }
}

await benchMain(
  {
    script: 'umad-pathrecord.bench.js',
    usage: '[round trips per round] [rounds]',
    about: 'PathRecord round trips per second through the libibumad addon against a C loop over libibumad, side by side against one ibsim + OpenSM fabric; writes results/native/umad-pathrecord.json.',
    flags: {},
    positionals: { names: ['round trips per round', 'rounds'], min: 0, max: 2 },
  },
  async (_flags, [roundTrips, rounds]) => main(positiveArgument(roundTrips, 4000, 'round trips per round'), positiveArgument(rounds, 15, 'rounds')),
);

function positiveArgument(text: string | undefined, fallback: number, name: string): number {
  if (text === undefined) return fallback;
  const n = /^[0-9]+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`<${name}>: ${JSON.stringify(text)} is not a positive integer`);
  return n;
}
