import test from 'ava';
import { spawnSync } from 'node:child_process';
import {
  HUGE_TLB_TUNABLE,
  hugePagesExpected,
  hugeTlbTunable,
  thpMode,
  withHugeTlbTunable,
  withoutHugeTlbTunable,
} from '../core/tables/huge-pages.js';
import { anonHugePageBytes, hugePagesDuring } from '../bench/huge-page-share.js';

test('GLIBC_TUNABLES parsing: the hugetlb value, added or replaced, removed, other tunables kept', (t) => {
  t.is(HUGE_TLB_TUNABLE, 'glibc.malloc.hugetlb');
  t.is(hugeTlbTunable(undefined), 0);
  t.is(hugeTlbTunable(''), 0);
  t.is(hugeTlbTunable('glibc.malloc.hugetlb=1'), 1);
  t.is(hugeTlbTunable('glibc.malloc.arena_max=2:glibc.malloc.hugetlb=2'), 2);
  t.is(hugeTlbTunable('glibc.malloc.hugetlb=1:glibc.malloc.hugetlb=0'), 0, 'the last setting wins, as in glibc');
  t.is(hugeTlbTunable('glibc.malloc.hugetlb=x'), 0);
  t.is(hugeTlbTunable('glibc.malloc.hugetlbx=1'), 0);
  t.is(withHugeTlbTunable(undefined), 'glibc.malloc.hugetlb=1');
  t.is(withHugeTlbTunable('glibc.malloc.arena_max=2'), 'glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1');
  t.is(withHugeTlbTunable('glibc.malloc.hugetlb=0:glibc.malloc.arena_max=2'), 'glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1');
  t.is(withoutHugeTlbTunable('glibc.malloc.hugetlb=1'), undefined);
  t.is(withoutHugeTlbTunable('glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1'), 'glibc.malloc.arena_max=2');
  t.is(withoutHugeTlbTunable(undefined), undefined);
});

test('kernel facts read as one of their values; hugePagesDuring returns the build result', (t) => {
  t.true(['always', 'madvise', 'never', 'unavailable'].includes(thpMode()));
  const bytes = anonHugePageBytes();
  t.true(bytes === -1 || (Number.isInteger(bytes) && bytes >= 0));
  const { value, hugeBytes } = hugePagesDuring(() => new Uint32Array(new SharedArrayBuffer(1 << 16)).fill(7));
  t.is(value.length, 1 << 14);
  t.is(value[100], 7);
  t.true(hugeBytes === -1 || hugeBytes >= 0);
  t.is(hugePagesExpected('glibc.malloc.hugetlb=1'), thpMode() === 'always' || thpMode() === 'madvise');
  t.is(hugePagesExpected(''), thpMode() === 'always');
});

// A child process allocates and writes a 64 MiB SharedArrayBuffer and reports the growth of
// AnonHugePages, with and without the tunable in its environment at exec.
const moduleUrl = new URL('../bench/huge-page-share.js', import.meta.url).href;
const childCode = `
import { hugePagesDuring, hugeShareOfMapping } from ${JSON.stringify(moduleUrl)};
const { value, hugeBytes } = hugePagesDuring(() => new Uint32Array(new SharedArrayBuffer(64 * 2 ** 20)).fill(1));
console.log(hugeBytes + ' ' + hugeShareOfMapping(value.byteLength) + ' ' + hugeShareOfMapping(2 ** 20));
`;

function hugeInChild(tunables: string | undefined): { hugeBytes: number; share: number; small: number } {
  const env = { ...process.env };
  if (tunables === undefined) delete env['GLIBC_TUNABLES'];
  else env['GLIBC_TUNABLES'] = tunables;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', childCode], { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`huge-pages child exited ${r.status}: ${r.stderr}`);
  const [hugeBytes, share, small] = r.stdout.trim().split(' ').map(Number);
  return { hugeBytes: hugeBytes!, share: share!, small: small! };
}

test('under THP "madvise" a big SharedArrayBuffer is on huge pages only with the glibc tunable', (t) => {
  const mode = thpMode();
  const off = hugeInChild(withoutHugeTlbTunable(process.env['GLIBC_TUNABLES']));
  const on = hugeInChild(withHugeTlbTunable(process.env['GLIBC_TUNABLES']));
  t.log(`THP ${mode}: 64 MiB buffer, ${off.hugeBytes} bytes on huge pages without the tunable (mapping share ${off.share}), ${on.hugeBytes} with it (share ${on.share})`);
  t.is(off.small, -1, 'a 1 MiB buffer is never taken for a mapping of its own');
  t.is(on.small, -1);
  if (anonHugePageBytes() < 0) {
    t.is(off.hugeBytes, -1, 'no smaps_rollup: the child cannot tell either');
    return;
  }
  if (mode === 'madvise') {
    t.is(off.hugeBytes, 0, 'nothing madvises the buffer without the tunable');
    t.true(off.share === -1 || off.share === 0);
  }
  if (mode === 'never') t.is(on.hugeBytes, 0);
  t.true(on.hugeBytes >= off.hugeBytes, 'the tunable never takes huge pages away');
  // With the tunable the buffer is its own madvised mapping: found, and its share agrees with
  // the process-wide growth measured around it (to a 2 MiB page).
  if (on.share >= 0) t.true(Math.abs(on.share * 64 * 2 ** 20 - on.hugeBytes) <= 2 ** 21, 'mapping share and AnonHugePages growth agree');
});
