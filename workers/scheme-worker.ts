// Piscina worker entry: runs one scheme's task (core/engine/scheme-run.ts) on this thread. The
// HdrHistogram WebAssembly module is loaded once per thread before the first task.
import { LatencyHistogram } from '../core/metrics/latency-histogram.js';
import { runSchemeTask, type SchemeOutcome, type SchemeTask } from '../core/engine/scheme-run.js';

export default async function runInWorker(task: SchemeTask): Promise<SchemeOutcome> {
  await LatencyHistogram.ready();
  return runSchemeTask(task);
}
