import test from 'ava';
import { GuidCache, LIST_TAIL_MASKS } from '../core/tables/index.js';
import { xorshift32 } from './tables-rng.js';

test('attach, read back, detach; the scan lists only active slots in order', (t) => {
  const c = new GuidCache(3, 128);
  const out = new Int32Array(128);
  t.is(c.activeSlots(1, out), 0);
  for (const slot of [0, 31, 32, 63, 64, 127, 5]) c.attach(1, slot, 0x00066a00, 0x1000 + slot);
  t.is(c.activeCount(1), 7);
  t.is(c.activeCount(0), 0);
  t.is(c.activeCount(2), 0);
  const n = c.activeSlots(1, out);
  t.deepEqual(Array.from(out.subarray(0, n)), [0, 5, 31, 32, 63, 64, 127]);
  t.true(c.isActive(1, 127));
  t.false(c.isActive(1, 126));
  t.false(c.isActive(0, 127), 'hosts do not share bits');
  t.is(c.guidHigh(1, 63), 0x00066a00);
  t.is(c.guidLow(1, 63), 0x1000 + 63);
  t.is(c.findSlot(1, 0x00066a00, 0x1000 + 64), 64);
  t.is(c.findSlot(0, 0x00066a00, 0x1000 + 64), -1);
  t.true(c.detach(1, 31));
  t.false(c.detach(1, 31), 'detaching an inactive slot changes nothing');
  t.is(c.guidLow(1, 31), 0);
  t.is(c.findSlot(1, 0x00066a00, 0x1000 + 31), -1);
  t.deepEqual(Array.from(out.subarray(0, c.activeSlots(1, out))), [0, 5, 32, 63, 64, 127]);
  t.is(c.activeCount(1), 6);
  // Dense list in attach order, the last attached (5) swapped into the detached 31's place.
  const listed: number[] = [];
  for (let i = 0; i < c.activeCount(1); i++) listed.push(c.activeSlotAt(1, i));
  t.deepEqual(listed, [0, 5, 32, 63, 64, 127]);
  c.detach(1, 0);
  const relisted: number[] = [];
  for (let i = 0; i < c.activeCount(1); i++) relisted.push(c.activeSlotAt(1, i));
  t.deepEqual(relisted, [127, 5, 32, 63, 64]);
});

test('freeSlot finds the lowest free slot and -1 when the host is full, for 16 and 128 slots', (t) => {
  for (const slots of [16, 128, 1, 33]) {
    const c = new GuidCache(2, slots);
    t.is(c.freeSlot(0), 0);
    for (let s = 0; s < slots; s++) {
      t.is(c.freeSlot(0), s);
      c.attach(0, s, 1, s + 1);
    }
    t.is(c.freeSlot(0), -1, `full host of ${slots} slots`);
    t.is(c.freeSlot(1), 0);
    c.detach(0, slots - 1);
    t.is(c.freeSlot(0), slots - 1);
  }
});

test('refusals name the field and value', (t) => {
  const c = new GuidCache(2, 16);
  c.attach(0, 3, 0, 7);
  t.throws(() => c.attach(0, 3, 0, 8), { message: /GuidCache: slot 3 of host 0 is already active with vGUID 0x0000000000000007/ });
  t.throws(() => c.attach(0, 4, 0, 7), { message: /vGUID 0x0000000000000007 is already attached to slot 3 of host 0/ });
  t.throws(() => c.attach(0, 5, 0, 0), { message: /GuidCache: vGUID 0x0000000000000000 is reserved/ });
  t.throws(() => c.attach(2, 0, 1, 1), { message: 'GuidCache: host must be an integer in 0..1, got 2' });
  t.throws(() => c.attach(0, 16, 1, 1), { message: 'GuidCache: slot must be an integer in 0..15, got 16 (host 0)' });
  t.throws(() => new GuidCache(1, 129), { message: /slotsPerHost must be an integer in 0\.\.128, got 129/ });
  t.throws(() => new GuidCache(1, 0), { message: /slotsPerHost must be in 1\.\.128, got 0/ });
  t.throws(() => c.activeSlots(0, new Int32Array(0)), { message: /out.length 0 is less than the 1 active slots of host 0/ });
});

test('random attach/detach matches a reference and the scan agrees with it', (t) => {
  const hosts = 20;
  const slots = 100;
  const c = new GuidCache(hosts, slots);
  const ref = new Map<number, number>();
  const next = xorshift32(3);
  const out = new Int32Array(slots);
  let guid = 1;
  for (let op = 0; op < 50_000; op++) {
    const h = next() % hosts;
    const s = next() % slots;
    const key = h * slots + s;
    if (ref.has(key)) {
      t.true(c.detach(h, s));
      ref.delete(key);
    } else {
      c.attach(h, s, 0xabc, guid);
      ref.set(key, guid++);
    }
  }
  for (let h = 0; h < hosts; h++) {
    const n = c.activeSlots(h, out);
    const expected: number[] = [];
    for (let s = 0; s < slots; s++) if (ref.has(h * slots + s)) expected.push(s);
    t.deepEqual(Array.from(out.subarray(0, n)), expected);
    t.is(c.activeCount(h), expected.length);
    const listed: number[] = [];
    for (let i = 0; i < c.activeCount(h); i++) listed.push(c.activeSlotAt(h, i));
    const viaView = Array.from(c.activeList.subarray(c.activeBase(h), c.activeBase(h) + c.activeCount(h)));
    t.deepEqual(viaView, listed, 'activeList/activeBase read the same list as activeSlotAt');
    t.deepEqual(listed.sort((a, b) => a - b), expected, 'the dense list holds exactly the active slots');
    for (const s of expected) t.is(c.guidLow(h, s), ref.get(h * slots + s)!);
  }
});

test('shared view and bytes per slot', (t) => {
  const c = new GuidCache(4, 16);
  c.attach(2, 9, 5, 6);
  const v = GuidCache.fromShared(structuredClone(c.toShared()));
  t.is(v.hosts, 4);
  t.is(v.slotsPerHost, 16);
  t.is(v.findSlot(2, 5, 6), 9);
  v.detach(2, 9);
  t.false(c.isActive(2, 9));
  t.is(GuidCache.bytesPerEntry(128), 10 + 16 / 128 + 4 / 128);
  t.is(GuidCache.bytesPerEntry(16), 10 + 4 / 16 + 4 / 16);
  t.is(c.byteLength, 32 + 4 * 16 * 8 + 4 * 4 + 4 * 4 + 2 * 4 * 16);
  t.is(c.bytesPerEntry, GuidCache.bytesPerEntry(16) + 32 / 64);
  t.is(c.bytesPerEntry, c.byteLength / 64);
});

/** A cache of `hosts` x `slots` after `ops` random attaches and detaches (GUIDs guidHigh:1, :2, ...), and the next GUID low word. */
function churned(hosts: number, slots: number, next: () => number, ops: number, guidHigh: number): { c: GuidCache; nextGuid: number } {
  const c = new GuidCache(hosts, slots);
  let guid = 1;
  for (let op = 0; op < ops; op++) {
    const h = next() % hosts;
    const s = next() % slots;
    if (c.isActive(h, s)) c.detach(h, s);
    else c.attach(h, s, guidHigh, guid++);
  }
  return { c, nextGuid: guid };
}

/** The four VF numbers packed in a word of activeList32, low byte first. */
function bytesOf(v: number): number[] {
  return [v & 255, (v >>> 8) & 255, (v >>> 16) & 255, v >>> 24];
}

test('activeList32 reads the same dense lists four VF numbers per word; refuses hosts of a non-multiple of 4 slots', (t) => {
  for (const slots of [16, 128]) {
    const hosts = 9;
    const { c } = churned(hosts, slots, xorshift32(slots), 20_000, 0xabc);
    const l32 = c.activeList32;
    t.is(l32, c.activeList32, 'one view, made once');
    for (let h = 0; h < hosts; h++) {
      const base = c.activeBase(h);
      const n = c.activeCount(h);
      const viaWords: number[] = [];
      let q = base >>> 2;
      const full = q + (n >>> 2);
      for (; q < full; q++) {
        const v = l32[q]!;
        viaWords.push(...bytesOf(v));
      }
      for (let i = full << 2; i < base + n; i++) viaWords.push(c.activeList[i]!);
      const listed: number[] = [];
      for (let i = 0; i < n; i++) listed.push(c.activeSlotAt(h, i));
      t.deepEqual(viaWords, listed, `host ${h} of ${slots} slots`);
    }
    const v = GuidCache.fromShared(c.toShared());
    t.deepEqual(Array.from(v.activeList32), Array.from(l32), 'a shared attachment reads the same words');
  }
  const odd = new GuidCache(2, 6);
  t.throws(() => odd.activeList32, { instanceOf: RangeError, message: 'GuidCache: activeList32 needs slotsPerHost a multiple of 4, got 6' });
});

test('LIST_TAIL_MASKS keep exactly the first c bytes of a 16-byte run; masked whole-word walks list the active VFs', (t) => {
  t.is(LIST_TAIL_MASKS.length, 17 * 4);
  const bytes = new Uint8Array(16).map((_, i) => 0xa0 + i);
  const words = new Uint32Array(bytes.buffer);
  for (let c = 0; c <= 16; c++) {
    const out = new Uint8Array(16);
    const outWords = new Uint32Array(out.buffer);
    for (let q = 0; q < 4; q++) outWords[q] = words[q]! & LIST_TAIL_MASKS[c * 4 + q]!;
    t.deepEqual(Array.from(out), Array.from(bytes).map((b, i) => (i < c ? b : 0)), `c = ${c}`);
  }
  // The two walks of the tables bench (16 slots: four words masked by the count; 128 slots:
  // two words per step, then the last 1..8 entries' two words masked) visit exactly the
  // host's active list, in order, with zeros after it.
  for (const slots of [16, 128]) {
    const hosts = 7;
    const churn = churned(hosts, slots, xorshift32(slots + 1), 5000, 0xabd);
    const c = churn.c;
    let guid = churn.nextGuid;
    for (let s = 0; s < slots; s++) if (!c.isActive(0, s)) c.attach(0, s, 0xabe, guid++); // a full host
    for (let s = 0; s < slots; s++) if (c.isActive(1, s)) c.detach(1, s); // an empty one
    const l32 = c.activeList32;
    for (let h = 0; h < hosts; h++) {
      const k = c.activeCount(h);
      const seen: number[] = [];
      const take = (v: number): void => void seen.push(...bytesOf(v));
      if (slots === 16) {
        for (let q = 0; q < 4; q++) take(l32[h * 4 + q]! & LIST_TAIL_MASKS[k * 4 + q]!);
      } else {
        let steps = (k - 1) >> 3;
        steps &= ~(steps >> 31);
        let q = h * (slots >>> 2);
        for (const full = q + (steps << 1); q < full; q += 2) {
          take(l32[q]!);
          take(l32[q + 1]!);
        }
        const m = (k - (steps << 3)) << 2;
        take(l32[q]! & LIST_TAIL_MASKS[m]!);
        take(l32[q + 1]! & LIST_TAIL_MASKS[m + 1]!);
      }
      const listed: number[] = [];
      for (let i = 0; i < k; i++) listed.push(c.activeSlotAt(h, i));
      t.deepEqual(seen.slice(0, k), listed, `host ${h} of ${slots} slots`);
      t.true(seen.slice(k).every((v) => v === 0), `host ${h} of ${slots} slots: nothing past the count`);
    }
    t.is(c.activeCount(0), slots);
    t.is(c.activeCount(1), 0);
  }
});
