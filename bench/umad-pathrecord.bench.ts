// PathRecord round trips per second through the libibumad addon against a
// small C program over libibumad doing the same loop (bench/c/pathrecord_loop.c,
// compiled here with cc), side by side against one ibsim + OpenSM fabric.
// Both run as clients at the same HCA under the umad2sim shim, one at a time,
// in alternating rounds so drift on a busy machine hits both alike; each
// side's figure is its median round. Writes results/native/umad-pathrecord.json.
//   node dist/bench/umad-pathrecord.bench.js [round trips per round] [rounds]
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { machineFacts, writeBenchResult, type BenchResult } from './bench-result.js';
import { nativeUnavailableReason } from '../native/umad.js';
import { ibsimUnavailableReason, OpenSmFabric } from '../test/support/opensm-ibsim.js';

interface LoopResult {
  roundTrips: number;
  seconds: number;
  p50Us: number;
  p99Us: number;
  dlid: number;
}

const CLIENT_HOST = 'Hca1';
const TARGET_HOST = 'Hca3';
const TARGET_RATIO = 0.8;
const C_SOURCE = fileURLToPath(new URL('../../bench/c/pathrecord_loop.c', import.meta.url));
const ADDON_CHILD = fileURLToPath(new URL('./umad-pathrecord-child.js', import.meta.url));
const RESULT_PATH = fileURLToPath(new URL('../../results/native/umad-pathrecord.json', import.meta.url));

function positiveInt(text: string | undefined, fallback: number, name: string): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name}: ${text} is not a positive integer`);
  return n;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1]!;
}

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

async function main(): Promise<void> {
  const roundTrips = positiveInt(process.argv[2], 10_000, 'round trips per round');
  const rounds = positiveInt(process.argv[3], 5, 'rounds');
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
    const c: LoopResult[] = [];
    const addon: LoopResult[] = [];
    for (let r = 0; r < rounds; r++) {
      c.push(await runLoop(fabric, binary, loopArgs));
      addon.push(await runLoop(fabric, process.execPath, [ADDON_CHILD, ...loopArgs]));
    }
    for (const result of [...c, ...addon]) {
      if (result.dlid !== lid) throw new Error(`PathRecord to ${TARGET_HOST} answered DLID ${result.dlid}, expected ${lid}`);
    }

    const summarize = (name: string, results: LoopResult[]): Record<string, string | number> => ({
      implementation: name,
      roundTripsPerSec: Math.round(median(results.map((x) => x.roundTrips / x.seconds))),
      p50Us: Number(median(results.map((x) => x.p50Us)).toFixed(1)),
      p99Us: Number(median(results.map((x) => x.p99Us)).toFixed(1)),
      roundTripsPerRound: roundTrips,
      rounds,
    });
    const cRow = summarize('C over libibumad (bench/c/pathrecord_loop.c)', c);
    const addonRow = summarize('node addon (native/umad.ts)', addon);
    const ratio = Number(((addonRow.roundTripsPerSec as number) / (cRow.roundTripsPerSec as number)).toFixed(3));
    const result: BenchResult = {
      suite: 'umad-pathrecord',
      title: 'SA PathRecord Get round trips to OpenSM on ibsim: libibumad addon vs C',
      command: `node dist/bench/umad-pathrecord.bench.js ${roundTrips} ${rounds}`,
      rows: [cRow, addonRow],
      targets: [{
        name: 'addon PathRecord round trips/s as a fraction of C',
        target: `>= ${TARGET_RATIO}`,
        measured: ratio,
        met: ratio >= TARGET_RATIO,
      }],
      notes: [
        `One request in flight; ${warmup} warm-up round trips per run; ${rounds} alternating rounds per side, median round reported.`,
        `Both clients attach at ${CLIENT_HOST} and query the path to ${TARGET_HOST} (DLID ${lid}) from OpenSM ${fabric.opensmVersion}; every answer's DLID was checked.`,
        'Through ibsim each round trip crosses the simulator process twice and OpenSM once, so both sides are bounded by the simulator; the ratio, not the absolute rate, is the figure of merit.',
        `C rounds (round trips/s): ${c.map((x) => Math.round(x.roundTrips / x.seconds)).join(', ')}; addon rounds: ${addon.map((x) => Math.round(x.roundTrips / x.seconds)).join(', ')}.`,
      ],
      machine: machineFacts(),
      generatedAt: new Date().toISOString(),
    };
    console.log(`wrote ${writeBenchResult(RESULT_PATH, result)}`);
    console.table(result.rows);
    console.log(`addon / C = ${ratio} (target >= ${TARGET_RATIO})`);
  } finally {
    await fabric.stop();
  }
}

await main();
