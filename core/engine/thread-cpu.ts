// CPU time of the calling thread (Linux: /proc/thread-self/schedstat, its first field is the
// nanoseconds the thread has run on a CPU). The sharded engine's throughput depends on how the
// main thread's and the shards' CPU time per Report compare, and on a shared 2-core machine
// wall time alone cannot tell the two apart: each thread measures itself.
// Precision: the kernel brings a running thread's figure up to date at its scheduler ticks and
// context switches, so read from the thread itself it moves in ticks (4 ms on these machines): a
// phase of ~0.1 s reads to within a few per cent, and the benches keep the least of several passes.
import { readFileSync } from 'node:fs';

/** Nanoseconds the calling thread has run on a CPU, or NaN where the kernel does not say. */
export function threadCpuNs(): number {
  try {
    const s = readFileSync('/proc/thread-self/schedstat', 'latin1');
    const ns = Number(s.slice(0, s.indexOf(' ')));
    return Number.isFinite(ns) ? ns : NaN;
  } catch {
    return NaN;
  }
}
