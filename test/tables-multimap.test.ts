import test from 'ava';
import { GuidMultiMap, TableFullError } from '../core/tables/index.js';
import { xorshift32 } from './tables-rng.js';

function ids(m: GuidMultiMap, high: number, low: number): number[] {
  const out = new Uint32Array(m.count(high, low));
  const n = m.collect(high, low, out);
  return Array.from(out.subarray(0, n)).sort((a, b) => a - b);
}

test('add, has, count, collect, forEach and remove across chunk boundaries', (t) => {
  const m = new GuidMultiMap(4);
  t.is(m.count(1, 1), 0);
  t.deepEqual(ids(m, 1, 1), []);
  for (let id = 0; id < 15; id++) t.true(m.add(1, 1, id * 10));
  t.false(m.add(1, 1, 70), 'duplicate ids are refused');
  t.is(m.count(1, 1), 15);
  t.is(m.idCount, 15);
  t.deepEqual(ids(m, 1, 1), Array.from({ length: 15 }, (_, i) => i * 10));
  const seen: number[] = [];
  m.forEach(1, 1, (id) => seen.push(id));
  t.deepEqual(seen.sort((a, b) => a - b), ids(m, 1, 1));
  t.true(m.has(1, 1, 140));
  t.false(m.has(1, 1, 141));
  // Remove from the middle of a full chunk, the head chunk, and down through every boundary.
  t.true(m.remove(1, 1, 30));
  t.false(m.remove(1, 1, 30));
  t.true(m.remove(1, 1, 140));
  t.is(m.count(1, 1), 13);
  t.deepEqual(ids(m, 1, 1), [0, 10, 20, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130]);
  for (const id of [0, 10, 20, 40, 50, 60, 70, 80, 90, 100, 110, 120]) t.true(m.remove(1, 1, id));
  t.deepEqual(ids(m, 1, 1), [130]);
  t.is(m.size, 1);
  t.true(m.remove(1, 1, 130));
  t.is(m.size, 0, 'the key goes with its last id');
  t.is(m.idCount, 0);
  t.throws(() => m.add(0, 0, 1), { message: /GuidMultiMap: GUID 0x0000000000000000 is reserved/ });
  t.throws(() => m.add(1, 1, -1), { message: 'GuidMultiMap: id must be an unsigned 32-bit integer, got -1' });
  m.add(2, 2, 1);
  m.add(2, 2, 2);
  t.throws(() => m.collect(2, 2, new Uint32Array(1)), { message: /out.length 1 is less than the 2 ids/ });
});

test('removeKey frees the chunks for reuse; the pool does not grow under churn', (t) => {
  const m = new GuidMultiMap(8, { chunks: 8 });
  for (let id = 0; id < 50; id++) m.add(0, 9, id);
  const bytes = m.byteLength;
  t.true(m.removeKey(0, 9));
  t.false(m.removeKey(0, 9));
  t.is(m.count(0, 9), 0);
  t.is(m.idCount, 0);
  for (let round = 0; round < 100; round++) {
    for (let id = 0; id < 50; id++) m.add(9, 0, id + round);
    m.removeKey(9, 0);
  }
  t.is(m.byteLength, bytes, 'freed chunks were reused');
});

test('seeded churn matches a reference Map<key, Set<id>>', (t) => {
  const m = new GuidMultiMap(16, { chunks: 4 });
  const ref = new Map<number, Set<number>>();
  const next = xorshift32(21);
  for (let op = 0; op < 200_000; op++) {
    const k = 1 + (next() % 300);
    const id = next() % 40;
    const r = next() % 10;
    const set = ref.get(k) ?? new Set<number>();
    if (r < 5) {
      t.is(m.add(k >>> 4, k, id), !set.has(id));
      set.add(id);
      ref.set(k, set);
    } else if (r < 9) {
      t.is(m.remove(k >>> 4, k, id), set.delete(id));
      if (set.size === 0) ref.delete(k);
    } else {
      t.is(m.removeKey(k >>> 4, k), ref.delete(k));
    }
  }
  let total = 0;
  for (const [k, set] of ref) {
    total += set.size;
    t.deepEqual(ids(m, k >>> 4, k), [...set].sort((a, b) => a - b));
  }
  t.is(m.size, ref.size);
  t.is(m.idCount, total);
  let keys = 0;
  m.forEachKey((hi, lo, count) => {
    keys++;
    t.is(hi, lo >>> 4);
    t.is(count, ref.get(lo)!.size);
  });
  t.is(keys, ref.size);
  m.checkInvariants();
});

test('fixed pool refuses with TableFullError; shared view sees the sets', (t) => {
  const m = new GuidMultiMap(4, { growable: false, chunks: 1 });
  for (let id = 0; id < 7; id++) m.add(3, 3, id);
  const e = t.throws(() => m.add(3, 3, 7), { instanceOf: TableFullError });
  t.is(e!.table, 'GuidMultiMap chunk pool');
  t.is(e!.capacity, 7);
  const v = GuidMultiMap.fromShared(structuredClone(m.toShared()));
  t.deepEqual(ids(v, 3, 3), [0, 1, 2, 3, 4, 5, 6]);
  v.remove(3, 3, 0);
  t.is(m.count(3, 3), 6);
  t.true(m.bytesPerEntry > 0);
});

test('growth of keys and pool keeps every set; old attachments are stale', (t) => {
  const m = new GuidMultiMap(2, { chunks: 1 });
  const old = GuidMultiMap.fromShared(m.toShared());
  for (let k = 1; k <= 100; k++) for (let id = 0; id < k % 20; id++) m.add(7, k, id);
  t.true(old.isStale);
  for (let k = 1; k <= 100; k++) t.is(m.count(7, k), k % 20);
  t.deepEqual(ids(m, 7, 19), Array.from({ length: 19 }, (_, i) => i));
});
