import test from 'ava';
import { LidVguidTable, TableFullError, VguidState, MAX_PORT_INDEX } from '../core/tables/index.js';
import { distinctGuids, xorshift32 } from './tables-rng.js';

test('set and read every field, including the extremes of each bit field', (t) => {
  const m = new LidVguidTable(10);
  m.set(0x00066a01, 0x0000abcd, 0x12, 3, 17, VguidState.Running);
  m.set(0, 1, 0xffff, MAX_PORT_INDEX, 0xffffffff, 7);
  m.set(1, 0, 0, 0, 0, 0);
  t.is(m.lid(0x00066a01, 0xabcd), 0x12);
  t.is(m.port(0x00066a01, 0xabcd), 3);
  t.is(m.host(0x00066a01, 0xabcd), 17);
  t.is(m.state(0x00066a01, 0xabcd), VguidState.Running);
  t.is(m.lid(0, 1), 0xffff);
  t.is(m.port(0, 1), 8191);
  t.is(m.host(0, 1), 0xffffffff);
  t.is(m.state(0, 1), 7);
  t.is(m.lid(1, 0), 0);
  t.is(m.port(1, 0), 0);
  t.is(m.host(1, 0), 0);
  t.is(m.state(1, 0), 0);
  t.is(m.size, 3);
});

test('absent vGUIDs read -1 from every accessor; key 0:0 is rejected', (t) => {
  const m = new LidVguidTable(4);
  t.is(m.lid(9, 9), -1);
  t.is(m.port(9, 9), -1);
  t.is(m.host(9, 9), -1);
  t.is(m.state(9, 9), -1);
  t.false(m.setState(9, 9, VguidState.Gone));
  t.is(m.lid(0, 0), -1);
  t.throws(() => m.set(0, 0, 1, 1, 1, 1), { message: /LidVguidTable: GUID 0x0000000000000000 is reserved/ });
});

test('setState changes only the state; set overwrites a migrated vGUID in place', (t) => {
  const m = new LidVguidTable(4);
  m.set(5, 6, 100, 2, 40, VguidState.Running);
  t.true(m.setState(5, 6, VguidState.Migrating));
  t.is(m.state(5, 6), VguidState.Migrating);
  t.is(m.lid(5, 6), 100);
  t.is(m.port(5, 6), 2);
  t.is(m.host(5, 6), 40);
  m.set(5, 6, 200, 1, 41, VguidState.Running);
  t.is(m.lid(5, 6), 200);
  t.is(m.host(5, 6), 41);
  t.is(m.size, 1);
  t.true(m.delete(5, 6));
  t.is(m.lid(5, 6), -1);
  t.false(m.delete(5, 6));
  m.set(5, 6, 300, 1, 42, VguidState.Suspended);
  t.is(m.lid(5, 6), 300);
});

test('field range errors name the field and the value', (t) => {
  const m = new LidVguidTable(4);
  t.throws(() => m.set(1, 1, 0x10000, 0, 0, 1), { message: 'LidVguidTable: lid must be an integer in 0..65535, got 65536' });
  t.throws(() => m.set(1, 1, 1, 8192, 0, 1), { message: 'LidVguidTable: port must be an integer in 0..8191, got 8192' });
  t.throws(() => m.set(1, 1, 1, 0, -1, 1), { message: 'LidVguidTable: host must be an unsigned 32-bit integer, got -1' });
  t.throws(() => m.set(1, 1, 1, 0, 0, 8), { message: 'LidVguidTable: state must be an integer in 0..7, got 8' });
  t.throws(() => m.setState(1, 1, -1), { message: /state must be an integer in 0\.\.7, got -1/ });
  t.is(m.size, 0, 'a refused set stores nothing');
});

test('at most 24 bytes per entry at the working load factor', (t) => {
  t.true(LidVguidTable.bytesPerEntry() <= 24);
  t.is(LidVguidTable.bytesPerEntry(0.75), 16 / 0.75);
  const n = 100_000;
  const m = new LidVguidTable(n);
  const { high, low } = distinctGuids(n, 5);
  for (let i = 0; i < n; i++) m.set(high[i]!, low[i]!, i & 0xffff, i & 7, i, 1);
  t.log(`bytesPerEntry at ${n} entries: ${m.bytesPerEntry.toFixed(3)}`);
  t.true(m.bytesPerEntry <= 24);
  t.is(m.byteLength, 64 + Math.ceil(n / 0.75) * 16);
  for (let i = 0; i < n; i += 997) t.is(m.lid(high[i]!, low[i]!), i & 0xffff);
  t.throws(() => m.set(1, 2, 3, 4, 5, 1), { instanceOf: TableFullError, message: /LidVguidTable is full: capacity 100000/ });
  m.checkInvariants();
});

test('growable table keeps records across growth; fromShared view shares them', (t) => {
  const m = new LidVguidTable(2, { growable: true });
  for (let i = 1; i <= 50; i++) m.set(7, i, i, i % 8, i * 3, VguidState.Running);
  t.is(m.size, 50);
  const v = LidVguidTable.fromShared(m.toShared());
  for (let i = 1; i <= 50; i++) {
    t.is(v.lid(7, i), i);
    t.is(v.host(7, i), i * 3);
  }
  v.setState(7, 10, VguidState.Gone);
  t.is(m.state(7, 10), VguidState.Gone);
  let n = 0;
  m.forEach((hi, lo, lid, port, host, state) => {
    t.is(hi, 7);
    t.is(lid, lo);
    t.is(port, lo % 8);
    t.is(host, lo * 3);
    t.is(state, lo === 10 ? VguidState.Gone : VguidState.Running);
    n++;
  });
  t.is(n, 50);
});

test('lidMany answers exactly like lid() for present, absent and 0:0 keys, in groups and tails', (t) => {
  const m = new LidVguidTable(500);
  const { high, low } = distinctGuids(700, 17);
  for (let i = 0; i < 500; i++) m.set(high[i]!, low[i]!, (i * 7) & 0xffff, 0, i, VguidState.Running);
  // 700 keys: 500 present, 200 absent, plus a 0:0 key at the end; count 701 leaves a partial group.
  const hs = new Uint32Array(701);
  const ls = new Uint32Array(701);
  hs.set(high);
  ls.set(low);
  const out = new Int32Array(701);
  m.lidMany(hs, ls, 0, 701, out);
  for (let i = 0; i < 701; i++) t.is(out[i], m.lid(hs[i]!, ls[i]!));
  t.is(out[700], -1);
  t.is(out[600], -1);
  t.is(out[3], 21);
  const part = new Int32Array(5);
  m.lidMany(hs, ls, 3, 5, part);
  t.deepEqual(Array.from(part), [21, 28, 35, 42, 49]);
  t.throws(() => m.lidMany(hs, ls, 700, 2, out), { message: /lidMany from 700 count 2 exceeds highs \(701\)/ });
  t.throws(() => m.lidMany(hs, ls, 0, 10, part), { message: /exceeds .* or out \(5\)/ });
});

test('lidMany on a table big enough for its pipelined path (43 MB) answers exactly like lid()', (t) => {
  // Under 32 MiB lidMany looks keys up one after another; a table this size takes the
  // software-pipelined groups of 16, with their partial last group.
  const m = new LidVguidTable(2_000_000);
  t.true(m.byteLength >= 32 * 2 ** 20);
  const { high, low } = distinctGuids(3000, 23);
  for (let i = 0; i < 2000; i++) m.set(high[i]!, low[i]!, (i * 5) & 0xffff, 0, i, VguidState.Running);
  const hs = new Uint32Array(3001);
  const ls = new Uint32Array(3001);
  hs.set(high);
  ls.set(low);
  const out = new Int32Array(3001);
  m.lidMany(hs, ls, 0, 3001, out);
  for (let i = 0; i < 3001; i++) t.is(out[i], m.lid(hs[i]!, ls[i]!));
  t.is(out[3000], -1);
  t.is(out[2500], -1);
  t.is(out[7], 35);
  const part = new Int32Array(19);
  m.lidMany(hs, ls, 5, 19, part);
  for (let i = 0; i < 19; i++) t.is(part[i], ((5 + i) * 5) & 0xffff);
});

test('set/delete churn against a Map reference keeps every key reachable', (t) => {
  // Small tables at high load make long probe runs, so deletes shift entries back across
  // several slots (and across the wrap at the end of the table).
  for (const [cap, load] of [
    [40, 0.95],
    [300, 0.75],
    [7, 0.9],
  ] as const) {
    const m = new LidVguidTable(cap, { maxLoad: load });
    const ref = new Map<number, number>();
    const next = xorshift32(cap);
    const keys = cap * 2;
    for (let op = 0; op < 30_000; op++) {
      const k = 1 + (next() % keys);
      const hi = k % 3; // some keys with a zero high half
      if (next() % 2 === 0) {
        if (ref.size < cap || ref.has(k)) {
          const lid = next() & 0xffff;
          m.set(hi, k, lid, k & 7, k, 1);
          ref.set(k, lid);
        }
      } else {
        t.is(m.delete(hi, k), ref.delete(k));
      }
      if (op % 1009 === 0) m.checkInvariants();
    }
    m.checkInvariants();
    t.is(m.size, ref.size);
    for (let k = 1; k <= keys; k++) t.is(m.lid(k % 3, k), ref.get(k) ?? -1);
    t.true(m.probeStats().max >= 1, `${cap} at ${load}: some entries live past their home slot, so the shifts were exercised`);
  }
});

test('growth rehashes every record; the old buffer is marked stale', (t) => {
  const m = new LidVguidTable(3, { growable: true });
  const old = m.toShared();
  for (let i = 1; i <= 1000; i++) m.set(9, i, i & 0xffff, 0, i, 1);
  const stale = LidVguidTable.fromShared(old);
  t.true(stale.isStale);
  t.false(m.isStale);
  t.is(m.size, 1000);
  t.true(m.capacity >= 1000);
  for (let i = 1; i <= 1000; i++) t.is(m.lid(9, i), i);
  m.checkInvariants();
});
