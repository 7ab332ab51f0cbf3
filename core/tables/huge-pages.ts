// Are this process's big SharedArrayBuffers on 2 MiB pages? A table of 10^7 entries is a few
// hundred MB read at random, so on 4 KiB pages nearly every lookup is also a TLB miss, and
// under a hypervisor's nested paging a TLB miss costs a two-dimensional page walk. With 2 MiB
// pages the same table needs 512 times fewer TLB entries.
//
// How a SharedArrayBuffer gets huge pages on Linux: Node allocates array buffer backing
// stores with calloc, so they come from glibc's malloc; large ones are their own mmap'd
// chunks. Transparent huge pages back a mapping when THP is "always", or when it is
// "madvise" (the common distribution default) and the mapping was madvised MADV_HUGEPAGE —
// which glibc >= 2.35 does for its chunks when the process starts with
// GLIBC_TUNABLES=glibc.malloc.hugetlb=1. The tunable must be in the environment at exec, so a
// process that wants it re-executes itself (reexecForHugePages). Only 2 MiB-aligned
// 2 MiB runs inside a chunk can be huge, so a buffer smaller than about 4 MiB usually gets
// none; V8's own heap (Maps, bigints, objects) is mmap'd by V8, not malloc'd, and stays on
// 4 KiB pages either way.
//
// How much of one buffer is on huge pages is measured by bench/huge-page-share.ts.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** The glibc tunable that makes malloc madvise its chunks MADV_HUGEPAGE (1) or use hugetlbfs (2). */
export const HUGE_TLB_TUNABLE = 'glibc.malloc.hugetlb';

export type ThpMode = 'always' | 'madvise' | 'never' | 'unavailable';

/** The kernel's transparent huge page mode (the bracketed word in /sys/kernel/mm/transparent_hugepage/enabled). */
export function thpMode(): ThpMode {
  try {
    const text = readFileSync('/sys/kernel/mm/transparent_hugepage/enabled', 'utf8');
    const m = /\[(always|madvise|never)\]/.exec(text);
    return m ? (m[1] as ThpMode) : 'unavailable';
  } catch {
    return 'unavailable';
  }
}

/** The glibc.malloc.hugetlb value in a GLIBC_TUNABLES string (colon-separated name=value), 0 when absent. */
export function hugeTlbTunable(tunables: string | undefined): number {
  if (!tunables) return 0;
  let value = 0;
  for (const item of tunables.split(':')) {
    const eq = item.indexOf('=');
    if (eq > 0 && item.slice(0, eq) === HUGE_TLB_TUNABLE) {
      const v = Number(item.slice(eq + 1));
      value = Number.isInteger(v) && v >= 0 ? v : 0;
    }
  }
  return value;
}

/** GLIBC_TUNABLES with glibc.malloc.hugetlb=1 added (other tunables kept, an existing hugetlb setting replaced). */
export function withHugeTlbTunable(tunables: string | undefined): string {
  const kept = (tunables ?? '').split(':').filter((item) => item !== '' && !item.startsWith(`${HUGE_TLB_TUNABLE}=`));
  kept.push(`${HUGE_TLB_TUNABLE}=1`);
  return kept.join(':');
}

/** GLIBC_TUNABLES without any glibc.malloc.hugetlb setting (undefined when nothing else is left). */
export function withoutHugeTlbTunable(tunables: string | undefined): string | undefined {
  const kept = (tunables ?? '').split(':').filter((item) => item !== '' && !item.startsWith(`${HUGE_TLB_TUNABLE}=`));
  return kept.length === 0 ? undefined : kept.join(':');
}

/**
 * Whether large malloc'd buffers (SharedArrayBuffers among them) of this process can be on
 * huge pages: THP "always", or "madvise" with the glibc tunable set at exec.
 */
export function hugePagesExpected(tunables: string | undefined = process.env['GLIBC_TUNABLES']): boolean {
  const mode = thpMode();
  return mode === 'always' || (mode === 'madvise' && hugeTlbTunable(tunables) >= 1);
}

/**
 * Makes sure this process runs with (want = true) or without huge pages for its large buffers:
 * under THP "madvise", when GLIBC_TUNABLES does not already say so, re-executes the same
 * command line with the tunable added (or removed) and exits with the child's status; otherwise
 * returns at once. For entry points only (a bench script, the `repath bench` bin), before they
 * allocate their tables: glibc reads the tunable at exec.
 */
export function reexecForHugePages(want: boolean): void {
  const tunables = process.env['GLIBC_TUNABLES'];
  if (thpMode() !== 'madvise' || Math.min(hugeTlbTunable(tunables), 1) === (want ? 1 : 0)) return;
  const env = { ...process.env };
  const next = want ? withHugeTlbTunable(tunables) : withoutHugeTlbTunable(tunables);
  if (next === undefined) delete env['GLIBC_TUNABLES'];
  else env['GLIBC_TUNABLES'] = next;
  const child = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit', env });
  if (child.error) throw child.error;
  // A child killed by a signal is reported the same way (the shell sees 128 + signal).
  if (child.signal !== null) process.kill(process.pid, child.signal);
  process.exit(child.status ?? 1);
}
