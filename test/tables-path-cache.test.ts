import test from 'ava';
import { PathCache } from '../core/tables/index.js';
import { distinctGuids, xorshift32 } from './tables-rng.js';

test('insert, lookup, path fields, update and remove', (t) => {
  const p = new PathCache(4, 8);
  t.is(p.lookup(0, 1, 2), -1);
  t.true(p.insert(0, 0x00066a00, 0x22, 0x1234, 15, 5, 63));
  t.is(p.lookup(0, 0x00066a00, 0x22), 0x1234);
  t.is(p.sl(0, 0x00066a00, 0x22), 15);
  t.is(p.mtu(0, 0x00066a00, 0x22), 5);
  t.is(p.rate(0, 0x00066a00, 0x22), 63);
  t.is(p.lookup(1, 0x00066a00, 0x22), -1, 'caches are per VM');
  t.true(p.updateDlid(0, 0x00066a00, 0x22, 0xffff));
  t.is(p.lookup(0, 0x00066a00, 0x22), 0xffff);
  t.is(p.sl(0, 0x00066a00, 0x22), 15, 'update keeps the other path fields');
  t.is(p.rate(0, 0x00066a00, 0x22), 63);
  t.false(p.updateDlid(1, 0x00066a00, 0x22, 5));
  t.true(p.insert(0, 0x00066a00, 0x22, 7, 0, 4, 3), 'insert of a cached peer overwrites');
  t.is(p.size(0), 1);
  t.is(p.lookup(0, 0x00066a00, 0x22), 7);
  t.is(p.sl(0, 0x00066a00, 0x22), 0);
  t.true(p.remove(0, 0x00066a00, 0x22));
  t.false(p.remove(0, 0x00066a00, 0x22));
  t.is(p.size(0), 0);
  t.is(p.sl(0, 0x00066a00, 0x22), -1);
});

test('refusals roll back with the row: a replayed refusal is not counted twice', (t) => {
  const p = new PathCache(2, 3);
  for (let i = 1; i <= 3; i++) t.true(p.insert(1, 0, i, i, 0, 4, 3));
  t.false(p.insert(1, 0, 9, 9, 0, 4, 3));
  const row = new Uint32Array(p.rowWords);
  p.copyRowOut(1, row, 0); // a shard's undo journal, at the start of a window
  t.false(p.insert(1, 0, 10, 10, 0, 4, 3)); // the window's work, then the shard dies
  t.is(p.rejectedTotal, 2);
  p.copyRowIn(1, row, 0); // rolled back to the window's start ...
  t.is(p.rejectedTotal, 1);
  t.false(p.insert(1, 0, 10, 10, 0, 4, 3)); // ... and the window replayed
  t.is(p.rejected(1), 2);
  t.is(p.rejectedTotal, 2);
  t.is(PathCache.fromShared(p.toShared()).rejectedTotal, 2, 'a shared view sums the same rows');
});

test('a full region refuses new peers and counts it; other VMs are unaffected', (t) => {
  const p = new PathCache(3, 5);
  for (let i = 1; i <= 5; i++) t.true(p.insert(1, 0, i, i, 0, 4, 3));
  t.false(p.insert(1, 0, 6, 6, 0, 4, 3));
  t.false(p.insert(1, 0, 7, 7, 0, 4, 3));
  t.is(p.rejected(1), 2);
  t.is(p.rejected(0), 0);
  t.is(p.rejectedTotal, 2);
  t.is(p.size(1), 5);
  t.true(p.insert(1, 0, 5, 50, 0, 4, 3), 'updating a cached peer in a full region is fine');
  t.is(p.lookup(1, 0, 5), 50);
  for (let i = 1; i <= 5; i++) t.true(p.insert(0, 0, i, 100 + i, 0, 4, 3));
  for (let i = 1; i <= 5; i++) t.true(p.insert(2, 0, i, 200 + i, 0, 4, 3));
  for (let i = 1; i <= 5; i++) {
    t.is(p.lookup(0, 0, i), 100 + i);
    t.is(p.lookup(2, 0, i), 200 + i);
  }
  t.is(p.lookup(1, 0, 6), -1);
  p.clearVm(1);
  t.is(p.size(1), 0);
  t.is(p.lookup(1, 0, 3), -1);
  t.is(p.lookup(0, 0, 3), 103);
});

test('refusals name the field and value', (t) => {
  const p = new PathCache(2, 4);
  t.throws(() => p.insert(0, 0, 0, 1, 0, 4, 3), { message: /PathCache: peer vGUID 0x0000000000000000 is reserved/ });
  t.throws(() => p.insert(0, 1, 1, 0x10000, 0, 4, 3), { message: 'PathCache: dlid must be an integer in 0..65535, got 65536' });
  t.throws(() => p.insert(0, 1, 1, 1, 16, 4, 3), { message: 'PathCache: sl must be an integer in 0..15, got 16' });
  t.throws(() => p.insert(0, 1, 1, 1, 0, 16, 3), { message: 'PathCache: mtu must be an integer in 0..15, got 16' });
  t.throws(() => p.insert(0, 1, 1, 1, 0, 4, 64), { message: 'PathCache: rate must be an integer in 0..63, got 64' });
  t.throws(() => p.insert(2, 1, 1, 1, 0, 4, 3), { message: 'PathCache: vm must be an integer in 0..1, got 2' });
  t.throws(() => new PathCache(0, 4), { message: /vms must be a positive integer, got 0/ });
});

test('seeded churn inside regions matches a reference per VM', (t) => {
  const vms = 8;
  const per = 48;
  const p = new PathCache(vms, per);
  const { high, low } = distinctGuids(100, 8);
  const refs = Array.from({ length: vms }, () => new Map<number, number>());
  const next = xorshift32(12);
  for (let op = 0; op < 200_000; op++) {
    const vm = next() % vms;
    const k = next() % 100;
    const ref = refs[vm]!;
    const r = next() % 4;
    if (r < 2) {
      const dlid = next() & 0xffff;
      const ok = p.insert(vm, high[k]!, low[k]!, dlid, 1, 4, 3);
      t.is(ok, ref.has(k) || ref.size < per);
      if (ok) ref.set(k, dlid);
    } else if (r === 2) {
      t.is(p.remove(vm, high[k]!, low[k]!), ref.delete(k));
    } else if (p.lookup(vm, high[k]!, low[k]!) !== (ref.get(k) ?? -1)) {
      t.fail(`lookup mismatch at op ${op}`);
    }
  }
  for (let vm = 0; vm < vms; vm++) {
    t.is(p.size(vm), refs[vm]!.size);
    let n = 0;
    p.forEach(vm, (hi, lo, dlid, sl, mtu, rate) => {
      n++;
      t.is(sl, 1);
      t.is(mtu, 4);
      t.is(rate, 3);
      let k = -1;
      for (let i = 0; i < 100; i++) if (high[i] === hi && low[i] === lo) k = i;
      t.is(refs[vm]!.get(k), dlid);
    });
    t.is(n, refs[vm]!.size);
  }
});

test('shared view and bytes per entry', (t) => {
  const p = new PathCache(10, 30);
  t.is(p.regionSlots, 40);
  p.insert(3, 4, 5, 6, 0, 4, 3);
  const v = PathCache.fromShared(structuredClone(p.toShared()));
  t.is(v.lookup(3, 4, 5), 6);
  v.updateDlid(3, 4, 5, 66);
  t.is(p.lookup(3, 4, 5), 66);
  t.is(PathCache.bytesPerEntry(30), (40 * 12 + 8) / 30);
  t.is(p.byteLength, 32 + 10 * 8 + 10 * 40 * 12);
  t.is(p.bytesPerEntry, p.byteLength / 1);
});
