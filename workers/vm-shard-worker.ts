// Worker entry of the sharded engine: runs one VM shard (core/engine/shard/vm-shard.ts) from its
// first record to END. Two ways in: as a Piscina task (the default export: the shards a run
// starts with), or as a plain worker_threads Worker whose workerData is { vmShardRebuild: task }
// (a shard rebuilt after its worker died: sharded-run.ts starts it while the main thread is
// blocked in the middle of its run, where no Piscina dispatch can happen); the outcome, or
// { error }, is posted back. The HdrHistogram WebAssembly module is loaded once per thread.
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { LatencyHistogram } from '../core/metrics/latency-histogram.js';
import { RecordRing } from '../core/engine/shard/record-ring.js';
import { runVmShardTask, type VmShardOutcome, type VmShardTask } from '../core/engine/shard/vm-shard.js';

export default async function runShardInWorker(task: VmShardTask): Promise<VmShardOutcome> {
  // If this thread dies mid-run (process.exit, an uncaught error) no finally block runs and the
  // main thread, blocked on this shard's rings, cannot see the worker's 'exit' event: the exit
  // hook marks both rings died, so its ring waits (50 ms polls) fail fast and it can rebuild it.
  const ring = new RecordRing(task.ring);
  const ret = new RecordRing(task.ret);
  const died = (): void => {
    ring.markDied();
    ret.markDied();
  };
  process.once('exit', died);
  try {
    await LatencyHistogram.ready();
    return runVmShardTask(task);
  } finally {
    process.off('exit', died);
  }
}

const rebuild = isMainThread ? undefined : (workerData as { vmShardRebuild?: VmShardTask } | null | undefined)?.vmShardRebuild;
if (rebuild !== undefined) {
  runShardInWorker(rebuild).then(
    (o) => parentPort!.postMessage(o),
    (e: unknown) => parentPort!.postMessage({ error: e instanceof Error ? (e.stack ?? e.message) : String(e) }),
  );
}
