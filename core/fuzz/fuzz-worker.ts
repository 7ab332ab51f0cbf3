// Worker entry of runFuzzWatched: runs the fuzzer, beating the shared heartbeat, and posts the report.
import { parentPort, workerData } from 'node:worker_threads';
import { runFuzz, type FuzzOptions } from './run-fuzz.js';

const data = workerData as { options: FuzzOptions; heartbeat: Int32Array };
parentPort!.postMessage(runFuzz(data.options, data.heartbeat));
