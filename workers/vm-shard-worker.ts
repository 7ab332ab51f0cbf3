// Piscina worker entry of the sharded engine: runs one VM shard (core/engine/shard/vm-shard.ts)
// from its first record to END. The HdrHistogram WebAssembly module is loaded once per thread.
import { LatencyHistogram } from '../core/metrics/latency-histogram.js';
import { runVmShardTask, type VmShardOutcome, type VmShardTask } from '../core/engine/shard/vm-shard.js';

export default async function runShardInWorker(task: VmShardTask): Promise<VmShardOutcome> {
  await LatencyHistogram.ready();
  return runVmShardTask(task);
}
