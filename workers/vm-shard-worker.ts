// Piscina worker entry of the sharded engine: runs one VM shard (core/engine/shard/vm-shard.ts)
// from its first record to END. The HdrHistogram WebAssembly module is loaded once per thread.
import { LatencyHistogram } from '../core/metrics/latency-histogram.js';
import { RecordRing } from '../core/engine/shard/record-ring.js';
import { runVmShardTask, type VmShardOutcome, type VmShardTask } from '../core/engine/shard/vm-shard.js';

export default async function runShardInWorker(task: VmShardTask): Promise<VmShardOutcome> {
  await LatencyHistogram.ready();
  // If this thread dies mid-run (process.exit, an uncaught error) no finally block runs and the
  // main thread, blocked on this shard's rings, cannot see the worker's 'exit' event: the exit
  // hook marks both rings died, so its ring waits (50 ms polls) fail fast and it can restart.
  const ring = new RecordRing(task.ring);
  const ret = new RecordRing(task.ret);
  const died = (): void => {
    ring.markDied();
    ret.markDied();
  };
  process.once('exit', died);
  try {
    return runVmShardTask(task);
  } finally {
    process.off('exit', died);
  }
}
