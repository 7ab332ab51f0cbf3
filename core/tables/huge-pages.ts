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
// process that wants it re-executes itself (see withHugeTlbTunable). Only 2 MiB-aligned
// 2 MiB runs inside a chunk can be huge, so a buffer smaller than about 4 MiB usually gets
// none; V8's own heap (Maps, bigints, objects) is mmap'd by V8, not malloc'd, and stays on
// 4 KiB pages either way.
//
// Finding out for one buffer: JS cannot see a buffer's address, but a large malloc'd buffer is
// a mapping of its own, a little larger than the buffer, so hugeShareOfMapping looks in
// /proc/self/smaps for the anonymous mapping closest in size and reads its AnonHugePages.
// hugePagesDuring is the cruder fallback: the growth of the process's AnonHugePages while a
// buffer is built (wrong when other memory is freed meanwhile, e.g. an earlier buffer the GC
// lets go).
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

/** Bytes of this process's anonymous memory mapped by huge pages now, or -1 when /proc does not say. */
export function anonHugePageBytes(): number {
  try {
    const m = /^AnonHugePages:\s+(\d+) kB/m.exec(readFileSync('/proc/self/smaps_rollup', 'utf8'));
    return m ? Number(m[1]) * 1024 : -1;
  } catch {
    return -1;
  }
}

/**
 * Runs `build` (which should allocate and first write one buffer, and do little else) and
 * returns what it returned with the growth of AnonHugePages meanwhile: the bytes of the new
 * buffer that came onto huge pages (-1 when /proc does not say). Divide by the buffer's
 * byteLength for its share on huge pages. Allocations on V8's heap never count (it is not on
 * huge pages); any other malloc'd buffer written during build would.
 */
export function hugePagesDuring<T>(build: () => T): { value: T; hugeBytes: number } {
  const before = anonHugePageBytes();
  const value = build();
  const after = anonHugePageBytes();
  return { value, hugeBytes: before < 0 || after < 0 ? -1 : Math.max(0, after - before) };
}

/** How much larger than the buffer its mapping may be (malloc's header, rounding up to 2 MiB). */
const MAPPING_SLACK = 2 * 2 ** 20 + 8192;
/** Buffers smaller than this may sit inside malloc's heap rather than in a mapping of their own. */
const OWN_MAPPING_MIN = 4 * 2 ** 20;

/**
 * Share of a buffer of `byteLength` bytes that is on huge pages, found from its own mapping in
 * /proc/self/smaps: the anonymous read-write mapping whose size is at least byteLength and
 * exceeds it by the least (at most 2 MiB and a page); its AnonHugePages over byteLength,
 * clamped to [0, 1]. -1 when /proc does not say, the buffer is under 4 MiB (it may sit inside
 * malloc's heap), or no mapping fits (without MADV_HUGEPAGE the kernel may merge the buffer's
 * mapping with its neighbours). Two live buffers of nearly the same size cannot be told apart:
 * call it for a buffer just built, with no other of its size alive. Cold path (reads smaps).
 */
export function hugeShareOfMapping(byteLength: number): number {
  if (!(byteLength >= OWN_MAPPING_MIN)) return -1;
  let text: string;
  try {
    text = readFileSync('/proc/self/smaps', 'utf8');
  } catch {
    return -1;
  }
  let best = -1;
  let bestExcess = Infinity;
  let candidate = false;
  let size = 0;
  for (const line of text.split('\n')) {
    const header = /^[0-9a-f]+-[0-9a-f]+ (\S+) \S+ \S+ (\d+)\s*(.*)$/.exec(line);
    if (header) {
      // Anonymous, private, read-write: no inode and no path (or a bracketed pseudo-name).
      candidate = header[1]!.startsWith('rw') && header[2] === '0' && (header[3] === '' || header[3]!.startsWith('[anon'));
      size = 0;
      continue;
    }
    if (!candidate) continue;
    const field = /^(Size|AnonHugePages):\s+(\d+) kB/.exec(line);
    if (!field) continue;
    const bytes = Number(field[2]) * 1024;
    if (field[1] === 'Size') {
      size = bytes;
      continue;
    }
    const excess = size - byteLength;
    if (excess >= 0 && excess <= MAPPING_SLACK && excess < bestExcess) {
      bestExcess = excess;
      best = Math.min(1, bytes / byteLength);
    }
  }
  return best;
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
