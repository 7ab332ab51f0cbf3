import test from 'ava';
import { TableFullError, TrapTable } from '../core/tables/index.js';
import { xorshift32 } from './tables-rng.js';

test('park, find and read the parked path record; remove on a match', (t) => {
  const tr = new TrapTable(8);
  tr.park(0x00066a01, 0x10, 5, 3, 0x0002c903, 0x00abcdef, 1000.5);
  const s = tr.find(0x00066a01, 0x10);
  t.true(s >= 0);
  t.is(tr.oldLid(s), 5);
  t.is(tr.host(s), 3);
  t.is(tr.portGuidHigh(s), 0x0002c903);
  t.is(tr.portGuidLow(s), 0x00abcdef);
  t.is(tr.parkedAt(s), 1000.5);
  t.is(tr.vguidHigh(s), 0x00066a01);
  t.is(tr.vguidLow(s), 0x10);
  t.is(tr.find(1, 1), -1);
  t.is(tr.size, 1);
  t.true(tr.remove(0x00066a01, 0x10));
  t.false(tr.remove(0x00066a01, 0x10));
  tr.park(0x00066a01, 0x11, 6, 3, 0, 0, 2000);
  const s2 = tr.find(0x00066a01, 0x11);
  tr.removeAt(s2);
  t.is(tr.find(0x00066a01, 0x11), -1);
  t.throws(() => tr.removeAt(s2), { message: `TrapTable: removeAt slot ${s2} holds no parked record` });
  tr.checkInvariants();
  t.is(tr.find(0x00066a01, 0x10), -1);
  t.is(tr.size, 0);
});

test('re-parking overwrites the record; zero-half keys work; 0:0 and bad fields are refused', (t) => {
  const tr = new TrapTable(4);
  tr.park(0, 9, 1, 1, 0, 0, 10);
  tr.park(0, 9, 2, 7, 0, 1, 20);
  const s = tr.find(0, 9);
  t.is(tr.oldLid(s), 2);
  t.is(tr.host(s), 7);
  t.is(tr.portGuidLow(s), 1);
  t.is(tr.parkedAt(s), 20);
  t.is(tr.size, 1);
  tr.park(9, 0, 3, 3, 3, 3, 20);
  t.is(tr.oldLid(tr.find(9, 0)), 3);
  t.throws(() => tr.park(0, 0, 1, 1, 1, 1, 30), { message: /TrapTable: GUID 0x0000000000000000 is reserved/ });
  t.throws(() => tr.park(1, 1, 0x10000, 1, 1, 1, 30), { message: 'TrapTable: oldLid must be an integer in 0..65535, got 65536' });
  t.throws(() => tr.park(1, 1, 1, 1, 2 ** 32, 1, 30), { message: 'TrapTable: portGuidHigh must be a 32-bit word (an integer in 0..2^32-1, or its int32 bit pattern), got 4294967296' });
  t.throws(() => tr.park(1, 1.5, 1, 1, 1, 1, 30), { message: /TrapTable: GUID low half must be a 32-bit word .*got 1.5/ });
  t.throws(() => tr.park(1, 1, 1, 1, 1, 1, 19), { message: /parkedAtNs 19 is earlier than the previous park at 20/ });
  t.throws(() => tr.park(1, 1, 1, 1, 1, 1, Number.NaN), { message: /parkedAtNs NaN/ });
});

test('expire pops oldest first, reports before removing, and stops at the first young record', (t) => {
  const tr = new TrapTable(16);
  for (let i = 1; i <= 5; i++) tr.park(1, i, i, i, 0, i, i * 100);
  const seen: Array<[number, number, number]> = [];
  const n = tr.expire(350, 100, (hi, lo, slot) => {
    t.is(hi, 1);
    seen.push([lo, tr.oldLid(slot), tr.parkedAt(slot)]);
  });
  // expired when now - parkedAt >= maxAge: 100 and 200 qualify at 350, 300 (age 50) does not
  t.is(n, 2);
  t.deepEqual(seen, [
    [1, 1, 100],
    [2, 2, 200],
  ]);
  t.is(tr.find(1, 1), -1);
  t.is(tr.find(1, 2), -1);
  t.is(tr.size, 3);
  t.is(tr.vguidLow(tr.oldest), 3, 'the oldest left is next in line');
  tr.checkInvariants();
  t.is(tr.expire(400, 100, () => {}), 1, 'exactly at maxAge expires');
  t.is(tr.expire(400, 100, () => {}), 0);
  t.is(tr.size, 2);
});

test('records removed (matched) or re-parked since are not expired on their old time', (t) => {
  const tr = new TrapTable(16);
  tr.park(2, 1, 1, 0, 0, 0, 0);
  tr.park(2, 2, 2, 0, 0, 0, 0);
  tr.park(2, 3, 3, 0, 0, 0, 0);
  tr.remove(2, 1); // a Set matched it: migration handled, nothing to expire
  tr.park(2, 2, 9, 0, 0, 0, 50); // deleted again later: its clock restarts
  const expired: number[] = [];
  t.is(tr.expire(100, 100, (_h, lo) => expired.push(lo)), 1);
  t.deepEqual(expired, [3]);
  t.is(tr.oldLid(tr.find(2, 2)), 9);
  t.is(tr.expire(150, 100, (_h, lo) => expired.push(lo)), 1);
  t.deepEqual(expired, [3, 2]);
  t.is(tr.size, 0);
  t.is(tr.oldest, -1);
});

test('a callback that changes the table is refused by name', (t) => {
  const tr = new TrapTable(4);
  tr.park(3, 3, 1, 0, 0, 0, 0);
  tr.park(3, 4, 1, 0, 0, 0, 0);
  t.throws(() => tr.expire(10, 5, (h, l) => tr.remove(h, l)), { message: /onExpired for vGUID 0x0000000300000003 changed the trap table/ });
  tr.checkInvariants();
  t.is(tr.size, 1);
  t.is(tr.expire(10, 5, () => {}), 1);
});

test('park/remove churn keeps the FIFO exact and the table equal to a reference', (t) => {
  const cap = 200;
  const tr = new TrapTable(cap);
  const ref = new Map<number, number>();
  const next = xorshift32(9);
  let now = 0;
  for (let op = 0; op < 200_000; op++) {
    const k = 1 + (next() % 400);
    now += next() % 3;
    if (next() % 2 === 0) {
      if (ref.size < cap || ref.has(k)) {
        tr.park(4, k, k & 0xffff, k, 0, 0, now);
        ref.set(k, now);
      }
    } else {
      t.is(tr.remove(4, k), ref.delete(k));
    }
    if (op % 1000 === 0) {
      const dead: number[] = [];
      tr.expire(now, 500, (_h, lo, slot) => {
        t.is(tr.parkedAt(slot), ref.get(lo)!);
        dead.push(lo);
      });
      for (const d of dead) {
        t.true(now - ref.get(d)! >= 500);
        ref.delete(d);
      }
      for (const [, at] of ref) if (now - at >= 500) t.fail('a record old enough was not expired');
    }
  }
  t.is(tr.size, ref.size);
  for (const [k, at] of ref) t.is(tr.parkedAt(tr.find(4, k)), at);
  tr.checkInvariants();
  // FIFO order equals park order (ties broken by park sequence): compare with the reference.
  const order: number[] = [];
  tr.forEach((_h, lo) => order.push(lo));
  const expected = [...ref.entries()].sort((a, b) => a[1] - b[1]).map(([k]) => k);
  t.deepEqual(order.map((k) => ref.get(k)), expected.map((k) => ref.get(k)));
  t.is(order.length, ref.size);
});

test('capacity error, growth with the FIFO intact, shared view', (t) => {
  const fixed = new TrapTable(2);
  fixed.park(1, 1, 1, 1, 1, 1, 1);
  fixed.park(1, 2, 1, 1, 1, 1, 1);
  const e = t.throws(() => fixed.park(1, 3, 1, 1, 1, 1, 1), { instanceOf: TableFullError });
  t.is(e!.table, 'TrapTable');
  t.is(e!.capacity, 2);

  const g = new TrapTable(2, { growable: true });
  for (let i = 1; i <= 100; i++) g.park(5, i, i, 0, 0, 0, i);
  t.is(g.size, 100);
  const v = TrapTable.fromShared(structuredClone(g.toShared()));
  t.is(v.oldLid(v.find(5, 77)), 77);
  t.is(v.expire(150, 100, () => {}), 50);
  t.is(g.size, 50, 'expiry through the second view is visible in the first');
  t.is(g.find(5, 50), -1);
  t.is(g.parkedAt(g.find(5, 51)), 51);
  t.is(TrapTable.bytesPerEntry(0.75), 32 / 0.75 + 1.5 * 16);
  t.is(TrapTable.bytesPerEntry(), 64 + 1.5 * 16);
  t.is(new TrapTable(100).byteLength, 64 + 200 * 32 + 256 * 16, 'default load 0.5: 32-byte slots, then a 2^k-entry ring of 16-byte entries, 2^k >= 1.5 x capacity');
  t.is(new TrapTable(200).byteLength, 64 + 400 * 32 + 512 * 16);
  t.is(g.byteLength, g.toShared().buffer.byteLength + g.toShared().ring.byteLength);
  g.checkInvariants();
});

test('remove and re-park within one instant, many times over, keeps one FIFO entry per record', (t) => {
  const cap = 50;
  const tr = new TrapTable(cap);
  for (let i = 1; i <= cap; i++) tr.park(6, i, i, 0, 0, 0, 0);
  const bytes = tr.byteLength;
  for (let round = 0; round < 2000; round++) {
    const k = 1 + (round % cap);
    tr.remove(6, k);
    tr.park(6, k, k, 0, 0, 0, 0);
    if (round % 2 === 0) tr.park(6, k, k, 0, 0, 0, 0);
  }
  t.is(tr.byteLength, bytes);
  t.false(tr.isStale);
  tr.checkInvariants();
  const expired = new Set<number>();
  t.is(tr.expire(10, 10, (_h, lo) => expired.add(lo)), cap);
  t.is(expired.size, cap);
  t.is(tr.oldest, -1);
});

test('growth with heavy churn keeps the FIFO links right through rehashes and shifts', (t) => {
  const tr = new TrapTable(4, { growable: true });
  const next = xorshift32(31);
  const ref = new Map<number, number>();
  let now = 0;
  for (let op = 0; op < 20_000; op++) {
    const k = 1 + (next() % 3000);
    now += 1;
    if (next() % 3 !== 0) {
      tr.park(8, k, 1, 1, 1, 1, now);
      ref.set(k, now);
    } else {
      t.is(tr.remove(8, k), ref.delete(k));
    }
    if (op % 997 === 0) tr.checkInvariants();
  }
  tr.checkInvariants();
  t.is(tr.size, ref.size);
  const order: number[] = [];
  tr.forEach((_h, lo) => order.push(lo));
  t.deepEqual(order, [...ref.entries()].sort((a, b) => a[1] - b[1]).map(([k]) => k));
  const cut = now - 5000;
  const dead: number[] = [];
  tr.expire(now, now - cut, (_h, lo) => dead.push(lo));
  t.deepEqual(dead, [...ref.entries()].filter(([, at]) => now - at >= now - cut).sort((a, b) => a[1] - b[1]).map(([k]) => k));
  tr.checkInvariants();
});

test('matches out of park order leave dead ring entries that are squeezed out in place, oldest first kept', (t) => {
  // A fixed table: parks of new keys and matches of random (mostly not the oldest) records
  // fill the ring with dead entries; the squeeze must keep order, sequences and the bound.
  const cap = 64;
  const tr = new TrapTable(cap);
  const bytes = tr.byteLength;
  const next = xorshift32(77);
  const parked: number[] = []; // keys in park order (the reference FIFO)
  let key = 0;
  let now = 0;
  for (; key < cap; key++) {
    tr.park(7, key + 1, 1, 0, 0, 0, now);
    parked.push(key + 1);
  }
  for (let op = 0; op < 50_000; op++) {
    const i = 1 + (next() % (parked.length - 1)); // never the oldest
    const k = parked[i]!;
    parked.splice(i, 1);
    t.true(tr.remove(7, k));
    now += next() % 2;
    key++;
    tr.park(7, key + 1, 1, 0, 0, 0, now);
    parked.push(key + 1);
    t.is(tr.vguidLow(tr.oldest), parked[0]!);
    if (op % 4999 === 0) tr.checkInvariants();
  }
  t.is(tr.byteLength, bytes, 'the ring never grows in a fixed table');
  tr.checkInvariants();
  const order: number[] = [];
  tr.forEach((_h, lo, slot) => {
    t.is(tr.vguidLow(slot), lo);
    order.push(lo);
  });
  t.deepEqual(order, parked);
  t.is(tr.expire(now + 1000, 1000, () => {}), cap);
  t.is(tr.oldest, -1);
  tr.checkInvariants();
});

test('a sparse table and a full one both squeeze their rings keeping order and sequences', (t) => {
  for (const live of [10, 900]) {
    const tr = new TrapTable(1000);
    const next = xorshift32(live);
    let now = 0;
    for (let k = 1; k <= live; k++) tr.park(9, k, k, 0, 0, 0, now);
    const order: number[] = [];
    for (let k = 1; k <= live; k++) order.push(k);
    // Re-parks of random records: each leaves a dead ring entry; 20 ring-fulls of them.
    for (let op = 0; op < 40_000; op++) {
      const k = 1 + (next() % live);
      tr.park(9, k, k, 0, 0, 0, ++now);
      order.splice(order.indexOf(k), 1);
      order.push(k);
      if (op % 3999 === 0) tr.checkInvariants();
    }
    tr.checkInvariants();
    const seen: number[] = [];
    tr.forEach((_h, lo) => seen.push(lo));
    t.deepEqual(seen, order, `${live} records: ring order is re-park order`);
    for (const k of order.slice(0, 3)) t.is(tr.oldLid(tr.find(9, k)), k);
  }
});

test('GUID halves in int32 form park, find and remove the same records as their u32 form', (t) => {
  const tr = new TrapTable(8);
  tr.park(0x8000_0001 | 0, 0xffff_fff0 | 0, 7, 2, 0x9000_0000 | 0, 0xfeed_beef | 0, 1);
  const s = tr.find(0x8000_0001, 0xffff_fff0);
  t.true(s >= 0);
  t.is(tr.find(0x8000_0001 | 0, 0xffff_fff0 | 0), s);
  t.is(tr.vguidHigh(s), 0x8000_0001, 'stored and read back as u32');
  t.is(tr.vguidLow(s), 0xffff_fff0);
  t.is(tr.portGuidHigh(s), 0x9000_0000);
  t.is(tr.portGuidLow(s), 0xfeed_beef);
  tr.park(0x8000_0001, 0xffff_fff0, 8, 2, 0, 0, 2); // the u32 form re-parks the same record
  t.is(tr.size, 1);
  t.is(tr.oldLid(tr.find(0x8000_0001 | 0, 0xffff_fff0 | 0)), 8);
  t.true(tr.remove(0x8000_0001 | 0, 0xffff_fff0 | 0));
  t.is(tr.size, 0);
  tr.checkInvariants();
});

test('backward-shift deletes at load 0.9, across the wrap, keep a churned table equal to a Map', (t) => {
  // Long probe clusters (and the wrap from the last slot to the first) exercise the delete's
  // branch-free moves: an entry copied into the hole but not allowed to move must leave no trace.
  for (const cap of [20, 150]) {
    const tr = new TrapTable(cap, { maxLoad: 0.9 });
    const ref = new Map<number, number>();
    const next = xorshift32(cap * 7 + 1);
    let now = 0;
    for (let op = 0; op < 30_000; op++) {
      const k = 1 + (next() % (cap * 2));
      now++;
      if (ref.size < cap && next() % 2 === 0) {
        tr.park(11, k, k & 0xffff, k, 0, k, now);
        ref.set(k, now);
      } else {
        t.is(tr.remove(11, k), ref.delete(k));
      }
      if (op % 2999 === 0) tr.checkInvariants();
    }
    tr.checkInvariants();
    t.is(tr.size, ref.size);
    for (let k = 1; k <= cap * 2; k++) {
      const s = tr.find(11, k);
      t.is(s >= 0, ref.has(k), `key ${k}`);
      if (s >= 0) {
        t.is(tr.oldLid(s), k & 0xffff);
        t.is(tr.portGuidLow(s), k);
        t.is(tr.parkedAt(s), ref.get(k)!);
      }
    }
    const order: number[] = [];
    tr.forEach((_h, lo) => order.push(lo));
    t.deepEqual(order, [...ref.entries()].sort((a, b) => a[1] - b[1]).map(([k]) => k));
  }
});
