// Which share of a table's buffers is on 2 MiB pages (the tables bench records it per row;
// core/tables/huge-pages.ts says why and when SharedArrayBuffers get them).
// Finding out for one buffer: JS cannot see a buffer's address, but a large malloc'd buffer is
// a mapping of its own, a little larger than the buffer, so hugeShareOfMapping looks in
// /proc/self/smaps for the anonymous mapping closest in size and reads its AnonHugePages.
// hugePagesDuring is the cruder fallback: the growth of the process's AnonHugePages while a
// buffer is built (wrong when other memory is freed meanwhile, e.g. an earlier buffer the GC
// lets go).
import { readFileSync } from 'node:fs';

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
