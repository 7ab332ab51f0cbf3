import test from 'ava';
import { GuidHashTable, TableFullError, guidHash, homeOf } from '../core/tables/index.js';
import { homeAt, homeScale } from '../core/tables/guid-slots.js';
import { distinctGuids, xorshift32 } from './tables-rng.js';

test('set, get, has, delete and overwrite', (t) => {
  const h = new GuidHashTable(16);
  t.is(h.get(1, 2), -1);
  t.false(h.has(1, 2));
  h.set(1, 2, 7);
  h.set(0x00066a00, 0x00000001, 0xffffffff);
  t.is(h.get(1, 2), 7);
  t.is(h.get(0x00066a00, 1), 0xffffffff, 'full u32 values read back, distinct from -1');
  t.is(h.size, 2);
  h.set(1, 2, 0);
  t.is(h.get(1, 2), 0, 'overwrite keeps one entry');
  t.is(h.size, 2);
  t.true(h.delete(1, 2));
  t.false(h.delete(1, 2));
  t.is(h.get(1, 2), -1);
  t.is(h.size, 1);
  h.set(1, 2, 9);
  t.is(h.get(1, 2), 9, 'reinsert after delete');
});

test('keys with a zero half are ordinary; key 0:0 is reserved and rejected by name', (t) => {
  const h = new GuidHashTable(8);
  h.set(0, 5, 1);
  h.set(5, 0, 2);
  h.set(0, 0xffffffff, 3);
  t.is(h.get(0, 5), 1);
  t.is(h.get(5, 0), 2);
  t.is(h.get(0, 0xffffffff), 3);
  t.is(h.get(0, 0), -1);
  const e = t.throws(() => h.set(0, 0, 1), { instanceOf: RangeError });
  t.regex(e!.message, /GuidHashTable: GUID 0x0000000000000000 is reserved/);
  t.throws(() => h.set(-1, 3, 1), { message: /GUID high half must be an unsigned 32-bit integer, got -1/ });
  t.throws(() => h.set(1, 2 ** 32, 1), { message: /GUID low half .* got 4294967296/ });
  t.throws(() => h.set(1, 1, 2 ** 32), { message: /value must be an unsigned 32-bit integer, got 4294967296/ });
  t.throws(() => h.set(1, 1, 1.5), { message: /value .* got 1\.5/ });
});

test('a full fixed table throws TableFullError naming table and capacity; updates still work', (t) => {
  const h = new GuidHashTable(4);
  for (let i = 1; i <= 4; i++) h.set(0, i, i);
  const e = t.throws(() => h.set(0, 5, 5), { instanceOf: TableFullError });
  t.is(e!.table, 'GuidHashTable');
  t.is(e!.capacity, 4);
  t.is(e!.message, 'GuidHashTable is full: capacity 4 entries reached (construct it larger or growable)');
  h.set(0, 4, 40);
  t.is(h.get(0, 4), 40);
  t.is(h.size, 4);
  h.delete(0, 1);
  h.set(0, 5, 5);
  t.is(h.get(0, 5), 5);
});

test('growable table doubles, keeps every entry, and marks the old buffer stale', (t) => {
  const h = new GuidHashTable(8, { growable: true });
  const before = GuidHashTable.fromShared(h.toShared());
  const { high, low } = distinctGuids(1000, 11);
  for (let i = 0; i < 1000; i++) h.set(high[i]!, low[i]!, i);
  t.is(h.size, 1000);
  t.true(h.capacity >= 1000);
  t.true(before.isStale, 'an attachment to the pre-growth buffer can tell');
  t.false(h.isStale);
  for (let i = 0; i < 1000; i++) t.is(h.get(high[i]!, low[i]!), i);
  h.checkInvariants();
  const after = GuidHashTable.fromShared(h.toShared());
  t.is(after.get(high[999]!, low[999]!), 999);
});

test('fromShared on a second view sees and shares the same data', (t) => {
  const a = new GuidHashTable(100);
  a.set(7, 8, 9);
  const b = GuidHashTable.fromShared(structuredClone(a.toShared()));
  t.is(b.get(7, 8), 9);
  b.set(1, 1, 11);
  t.is(a.get(1, 1), 11);
  t.is(a.size, 2);
  t.is(b.capacity, 100);
  a.delete(7, 8);
  t.is(b.get(7, 8), -1);
  t.is(b.size, 1);
});

test('clear, forEach and bytes per entry', (t) => {
  const h = new GuidHashTable(300);
  t.is(GuidHashTable.bytesPerEntry(0.75), 16);
  for (let i = 1; i <= 300; i++) h.set(i, i, i * 2);
  const seen = new Map<number, number>();
  h.forEach((hi, lo, v) => {
    t.is(hi, lo);
    seen.set(hi, v);
  });
  t.is(seen.size, 300);
  t.is(seen.get(123), 246);
  // 300 / 0.75 = 400 slots of 12 bytes + 64-byte header
  t.is(h.byteLength, 400 * 12 + 64);
  t.is(h.bytesPerEntry, (400 * 12 + 64) / 300);
  h.clear();
  t.is(h.size, 0);
  t.is(h.get(5, 5), -1);
});

test('1e6 seeded mixed operations match a reference Map; probe lengths stay bounded, no stale keys', (t) => {
  const capacity = 30_000;
  const keys = 45_000;
  const { high, low } = distinctGuids(keys, 2024);
  const h = new GuidHashTable(capacity);
  const ref = new Map<number, number>();
  const next = xorshift32(77);
  let worstMean = 0;
  let worstMax = 0;
  for (let op = 0; op < 1_000_000; op++) {
    const k = next() % keys;
    const r = next() % 10;
    if (r < 5) {
      if (ref.size < capacity || ref.has(k)) {
        const v = next();
        h.set(high[k]!, low[k]!, v);
        ref.set(k, v);
      }
    } else if (r < 8) {
      t.is(h.delete(high[k]!, low[k]!), ref.delete(k));
    } else if (h.get(high[k]!, low[k]!) !== (ref.get(k) ?? -1)) {
      t.fail(`get mismatch at op ${op}`);
    }
    if (op % 100_000 === 99_999) {
      const s = h.probeStats();
      worstMean = Math.max(worstMean, s.mean);
      worstMax = Math.max(worstMax, s.max);
    }
  }
  t.is(h.size, ref.size);
  h.checkInvariants();
  // Exact contents: every reference key reads back, nothing else is stored.
  for (const [k, v] of ref) t.is(h.get(high[k]!, low[k]!), v);
  let stored = 0;
  h.forEach(() => stored++);
  t.is(stored, ref.size);
  for (let k = 0; k < keys; k++) if (!ref.has(k)) t.is(h.get(high[k]!, low[k]!), -1);
  // A table freshly built from the surviving keys is the no-churn yardstick.
  const fresh = new GuidHashTable(capacity);
  for (const [k, v] of ref) fresh.set(high[k]!, low[k]!, v);
  const f = fresh.probeStats();
  t.log(`load ${(ref.size / (capacity / 0.75)).toFixed(3)}; churned worst mean ${worstMean.toFixed(3)} max ${worstMax}; fresh mean ${f.mean.toFixed(3)} max ${f.max}`);
  // Linear probing at load <= 0.75 displaces ~1.5 slots on average; tombstones would push
  // this up without bound over a million operations.
  t.true(worstMean < 2.5, `mean displacement ${worstMean}`);
  t.true(worstMean < f.mean * 1.5 + 0.25);
  t.true(worstMax < 200, `max displacement ${worstMax}`);
});

test('homeAt with homeScale(n) is homeOf, always in [0, n), and floor(hash * n / 2^32) while the product is exact', (t) => {
  const next = xorshift32(77);
  const sizes = [1, 2, 3, 7, 1000, 133_334, 13_333_334, 2 ** 31 - 1, 2 ** 30 + 12345];
  for (const n of sizes) {
    const scale = homeScale(n);
    const hashes = [0, 1, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];
    for (let i = 0; i < 20_000; i++) hashes.push(next());
    let bad = 0;
    for (const h of hashes) {
      const a = homeOf(h, n);
      const b = homeAt(h, scale);
      // The exact integer answer, from BigInt (cold path, test only); a double holds the
      // product exactly while it is under 2^53, i.e. for n < 2^21.
      const exact = Number((BigInt(h) * BigInt(n)) >> 32n);
      if (a !== b || a < 0 || a >= n || (n < 2 ** 21 && a !== exact)) bad++;
    }
    t.is(bad, 0, `slots ${n}`);
  }
  // A table's lookups agree with the slot the core reports as home.
  const g = new GuidHashTable(1000);
  for (let i = 1; i <= 1000; i++) g.set(0x0002c900, Math.imul(i, 0x9e3779b1) >>> 0, i);
  let found = 0;
  for (let i = 1; i <= 1000; i++) if (g.get(0x0002c900, Math.imul(i, 0x9e3779b1) >>> 0) === i) found++;
  t.is(found, 1000);
  t.is(homeAt(guidHash(1, 2), homeScale(1334)), homeOf(guidHash(1, 2), 1334));
});
