import test from 'ava';
import { generateScenario, GUID_OUI_HIGH, VGUID_LOW_BASE, type GeneratedScenario } from '../core/scenario/generator.js';
import { ScenarioError } from '../core/scenario/scenario-error.js';
import type { ScenarioOptions } from '../core/scenario/scenario-options.js';
import { Xoshiro128 } from '../core/random.js';

const ARRAYS = [
  'hostPortGuidHigh', 'hostPortGuidLow', 'vmHost', 'vmSlot', 'vmGuidHigh', 'vmGuidLow', 'peerStart', 'peerList',
  'migrationTimeNs', 'migrationVm', 'migrationDestHost', 'migrationDestSlot',
] as const;

function sameArrays(a: GeneratedScenario, b: GeneratedScenario): boolean {
  return ARRAYS.every((k) => Buffer.compare(Buffer.from(a[k].buffer, a[k].byteOffset, a[k].byteLength), Buffer.from(b[k].buffer, b[k].byteOffset, b[k].byteLength)) === 0);
}

/** Replays migrations on an independent occupancy count: never to a full host, never in place. */
function checkMigrations(t: import('ava').ExecutionContext, s: GeneratedScenario): void {
  const used = new Uint32Array(s.hosts);
  const where = s.vmHost.slice();
  for (let v = 0; v < s.vms; v++) used[s.vmHost[v]!]!++;
  for (let i = 0; i < s.migrationVm.length; i++) {
    if (i > 0) t.true(s.migrationTimeNs[i]! >= s.migrationTimeNs[i - 1]!, 'time order');
    const vm = s.migrationVm[i]!;
    const dest = s.migrationDestHost[i]!;
    t.not(dest, where[vm], `migration ${i} moves VM ${vm} in place`);
    t.true(used[dest]! < s.slotsPerHost, `migration ${i} goes to full host ${dest}`);
    t.true(s.migrationDestSlot[i]! < s.slotsPerHost);
    used[dest]!++;
    used[where[vm]!]!--;
    where[vm] = dest;
  }
}

function checkPeers(t: import('ava').ExecutionContext, s: GeneratedScenario, k: number): void {
  t.is(s.peerList.length, s.vms * k);
  let ok = true;
  for (let v = 0; v < s.vms && ok; v++) {
    const peers = s.peerList.subarray(s.peerStart[v], s.peerStart[v + 1]);
    if (peers.length !== k || new Set(peers).size !== k || peers.some((p) => p === v || p >= s.vms)) ok = false;
  }
  t.true(ok, 'every VM has k distinct peers in range, never itself');
}

test('the same seed gives identical arrays; another seed gives other peers', (t) => {
  const options: ScenarioOptions = { hosts: 200, vmsPerHost: 16, peersPerVm: 8, seed: 7, migrations: 300 };
  const a = generateScenario(options);
  const b = generateScenario(options);
  t.true(sameArrays(a, b));
  t.deepEqual(a.description, b.description);
  const c = generateScenario({ ...options, seed: 8 });
  t.false(Buffer.from(a.peerList.buffer).equals(Buffer.from(c.peerList.buffer)));
});

test('shared: the same scenario backed by SharedArrayBuffers', (t) => {
  const options: ScenarioOptions = { hosts: 40, vmsPerHost: 4, slotsPerHost: 6, peersPerVm: 3, migrations: 20, seed: 4 };
  const plain = generateScenario(options);
  const shared = generateScenario(options, { shared: true });
  t.true(sameArrays(plain, shared));
  for (const k of ARRAYS) t.true(shared[k].buffer instanceof SharedArrayBuffer, k);
  t.false(plain.peerList.buffer instanceof SharedArrayBuffer);
});

test('the peer graph of a seed does not change with the migration pattern', (t) => {
  const base = { hosts: 50, vmsPerHost: 8, slotsPerHost: 16, peersPerVm: 4, seed: 3 };
  const single = generateScenario(base);
  const storm = generateScenario({ ...base, stormPercent: 25 });
  t.deepEqual(single.peerList, storm.peerList);
});

test('placement: packed per host, slots 0..vmsPerHost-1, spare hosts empty', (t) => {
  const s = generateScenario({ hosts: 10, slotsPerHost: 8, vmsPerHost: 5, spareHosts: 2, peersPerVm: 2 });
  t.is(s.vms, 8 * 5);
  for (let v = 0; v < s.vms; v++) {
    t.is(s.vmHost[v], Math.floor(v / 5));
    t.is(s.vmSlot[v], v % 5);
  }
  t.is(s.description.populatedHosts, 8);
});

test('GUIDs: Mellanox OUI, host port GUIDs and vGUIDs all distinct', (t) => {
  const s = generateScenario({ hosts: 300, vmsPerHost: 20, peersPerVm: 1 });
  const seen = new Set<string>();
  for (let h = 0; h < s.hosts; h++) {
    t.is(s.hostPortGuidHigh[h], GUID_OUI_HIGH);
    seen.add(`${s.hostPortGuidHigh[h]}:${s.hostPortGuidLow[h]}`);
  }
  for (let v = 0; v < s.vms; v++) {
    t.is(s.vmGuidHigh[v], GUID_OUI_HIGH);
    t.is(s.vmGuidLow[v], (VGUID_LOW_BASE | (v + 1)) >>> 0);
    seen.add(`${s.vmGuidHigh[v]}:${s.vmGuidLow[v]}`);
  }
  t.is(seen.size, s.hosts + s.vms);
});

test('uniform peers: k distinct random peers, never self (sparse and dense sampling)', (t) => {
  checkPeers(t, generateScenario({ hosts: 100, vmsPerHost: 10, peersPerVm: 8, seed: 11 }), 8);
  // Dense: 12 VMs, 10 peers each (partial Fisher-Yates path).
  checkPeers(t, generateScenario({ hosts: 3, vmsPerHost: 4, slotsPerHost: 8, peersPerVm: 10, seed: 11 }), 10);
  // Every other VM.
  checkPeers(t, generateScenario({ hosts: 3, vmsPerHost: 4, slotsPerHost: 8, peersPerVm: 11, seed: 12 }), 11);
});

test('ring peers: v talks to v+1..v+k, wrapping', (t) => {
  const s = generateScenario({ hosts: 4, vmsPerHost: 5, slotsPerHost: 8, peersPerVm: 3, commPattern: 'ring' });
  checkPeers(t, s, 3);
  for (let v = 0; v < s.vms; v++) {
    t.deepEqual(Array.from(s.peerList.subarray(v * 3, v * 3 + 3)), [1, 2, 3].map((j) => (v + j) % s.vms));
  }
});

test('tenant peers stay within tenants: peer-graph components are at most 2 * tenantSize - 1 VMs', (t) => {
  const tenantSize = 16;
  const s = generateScenario({ hosts: 100, vmsPerHost: 10, slotsPerHost: 16, peersPerVm: 6, commPattern: 'tenant', tenantSize, seed: 5 });
  checkPeers(t, s, 6);
  const parent = new Int32Array(s.vms).map((_, i) => i);
  const find = (x: number): number => {
    while (parent[x] !== x) x = parent[x] = parent[parent[x]!]!;
    return x;
  };
  for (let v = 0; v < s.vms; v++) for (let i = s.peerStart[v]!; i < s.peerStart[v + 1]!; i++) parent[find(v)] = find(s.peerList[i]!);
  const sizes = new Map<number, number>();
  for (let v = 0; v < s.vms; v++) sizes.set(find(v), (sizes.get(find(v)) ?? 0) + 1);
  t.true(sizes.size >= Math.floor(s.vms / tenantSize));
  t.true(Math.max(...sizes.values()) <= 2 * tenantSize - 1);
  // Tenants are scattered over hosts, not packed onto neighbours: some peer lives on a far host.
  let far = 0;
  for (let i = 0; i < s.peerList.length; i++) if (Math.abs(s.vmHost[Math.floor(i / 6)]! - s.vmHost[s.peerList[i]!]!) > 2) far++;
  t.true(far > s.peerList.length / 2);
});

test('single: one migration at the window start', (t) => {
  const s = generateScenario({ hosts: 20, vmsPerHost: 4, slotsPerHost: 8, migrationStartNs: 5000 });
  t.is(s.migrationVm.length, 1);
  t.is(s.migrationTimeNs[0], 5000);
  checkMigrations(t, s);
});

test('storm by count and by percentage: distinct VMs, times inside the window, no full host', (t) => {
  const byCount = generateScenario({ hosts: 64, vmsPerHost: 8, slotsPerHost: 10, migrations: 200, migrationStartNs: 1000, migrationWindowNs: 1_000_000 });
  t.is(byCount.migrationVm.length, 200);
  t.is(new Set(byCount.migrationVm).size, 200);
  t.true(byCount.migrationTimeNs.every((x) => x >= 1000 && x < 1_001_000));
  checkMigrations(t, byCount);
  const byPercent = generateScenario({ hosts: 64, vmsPerHost: 8, slotsPerHost: 10, stormPercent: 10 });
  t.is(byPercent.migrationVm.length, Math.round(0.1 * 512));
  t.is(byPercent.description.migrationPattern, 'storm');
  checkMigrations(t, byPercent);
  // Every VM moves, on hosts with only one spare slot each.
  const all = generateScenario({ hosts: 30, vmsPerHost: 7, slotsPerHost: 8, stormPercent: 100, seed: 9 });
  t.is(all.migrationVm.length, 210);
  checkMigrations(t, all);
});

test('full hosts: a spare host makes room; without one the error names spareHosts', (t) => {
  const s = generateScenario({ hosts: 20, slotsPerHost: 4, vmsPerHost: 4, spareHosts: 1, migrations: 50, seed: 2 });
  checkMigrations(t, s);
  t.is(s.vms, 19 * 4);
  const err = t.throws(() => generateScenario({ hosts: 20, slotsPerHost: 4, migrations: 5 }), { instanceOf: ScenarioError });
  t.regex(err!.message, /^scenario\.spareHosts: 0 leaves no free VF slot for migration 0 \(VM \d+\)/);
});

test('evacuate: every VM of the host leaves it, to hosts with free slots', (t) => {
  const s = generateScenario({ hosts: 12, vmsPerHost: 6, slotsPerHost: 8, migrationPattern: 'evacuate', evacuateHost: 3 });
  t.is(s.migrationVm.length, 6);
  t.deepEqual([...s.migrationVm].sort((a, b) => a - b), [18, 19, 20, 21, 22, 23]);
  t.false(s.migrationDestHost.includes(3));
  checkMigrations(t, s);
  t.throws(() => generateScenario({ hosts: 3, vmsPerHost: 6, slotsPerHost: 8, migrationPattern: 'evacuate', evacuateHost: 0 }), {
    message: 'scenario.evacuateHost: 0 holds 6 VMs but the other hosts have only 4 free VF slots (lower vmsPerHost or add spareHosts)',
  });
});

test('rolling: hosts maintained one after another, each empty after its turn', (t) => {
  const s = generateScenario({ hosts: 10, vmsPerHost: 4, slotsPerHost: 6, migrationPattern: 'rolling', rollingHosts: 3, rollingStartHost: 8, migrationWindowNs: 3000, migrationStartNs: 0 });
  checkMigrations(t, s);
  const where = s.vmHost.slice();
  const maintained = [8, 9, 0];
  let i = 0;
  for (let r = 0; r < 3; r++) {
    // Each host's turn is its own third of the window.
    while (i < s.migrationVm.length && s.migrationTimeNs[i]! < (r + 1) * 1000) {
      t.is(where[s.migrationVm[i]!], maintained[r]);
      where[s.migrationVm[i]!] = s.migrationDestHost[i]!;
      i++;
    }
    t.false(where.includes(maintained[r]!), `host ${maintained[r]} empty after its turn`);
  }
  t.is(i, s.migrationVm.length);
  t.true(s.migrationVm.length >= 12);
});

test('bad options stop with a ScenarioError naming the field and the value', (t) => {
  const cases: Array<[unknown, string | RegExp]> = [
    [{ hosts: 10, vmsPerHost: 300 }, 'scenario.vmsPerHost: 300 is not in 1..128'],
    [{ hosts: 10, slotsPerHost: 8, vmsPerHost: 9 }, 'scenario.vmsPerHost: 9 is more than slotsPerHost 8'],
    [{ hosts: 0 }, 'scenario.hosts: 0 is not in 1..49151'],
    [{ hosts: 49152 }, 'scenario.hosts: 49152 is not in 1..49151'],
    [{ hosts: 2.5 }, 'scenario.hosts: 2.5 is not an integer in 1..49151'],
    [{}, 'scenario.hosts: undefined is required (1..49151)'],
    [{ hosts: 10, vmPerHost: 4 }, /^scenario\.vmPerHost: 4 is not a known field/],
    [{ hosts: 10, commPattern: 'mesh' }, 'scenario.commPattern: "mesh" is not one of uniform, tenant, ring'],
    [{ hosts: 10, stormPercent: 0 }, 'scenario.stormPercent: 0 is not a percentage in (0, 100]'],
    [{ hosts: 10, migrations: 3, stormPercent: 5 }, /^scenario\.stormPercent: 5 is given together with migrations/],
    [{ hosts: 10, migrationPattern: 'storm' }, /^scenario\.migrations: undefined is required by migrationPattern "storm"/],
    [{ hosts: 10, tenantSize: 4 }, 'scenario.tenantSize: 4 applies only to commPattern "tenant", not "uniform"'],
    [{ hosts: 2, vmsPerHost: 2, slotsPerHost: 4, peersPerVm: 4 }, /^scenario\.peersPerVm: 4 is more than the 3 other VMs/],
    [{ hosts: 4, vmsPerHost: 2, slotsPerHost: 4, commPattern: 'tenant', tenantSize: 4, peersPerVm: 4 }, /^scenario\.peersPerVm: 4 needs tenants of at least 5 VMs/],
    [{ hosts: 10, topology: { kind: 'torus' } }, 'scenario.topology.kind: "torus" is not one of fat-tree, ibnetdiscover'],
    [{ hosts: 10, topology: { kind: 'fat-tree', radix: 7 } }, /^scenario\.topology\.radix: 7 is not even/],
    [{ hosts: 10, migrationWindowNs: -1 }, /^scenario\.migrationWindowNs: -1 is not an integer number of nanoseconds/],
  ];
  for (const [options, message] of cases) {
    const err = t.throws(() => generateScenario(options as ScenarioOptions), { instanceOf: ScenarioError });
    if (typeof message === 'string') t.is(err!.message, message);
    else t.regex(err!.message, message);
  }
});

test('LID rule: hosts + switches must fit 49,151 LIDs unless lidSpace is "hosts-only"', (t) => {
  const err = t.throws(() => generateScenario({ hosts: 49_151, vmsPerHost: 1, slotsPerHost: 2, peersPerVm: 0 }), { instanceOf: ScenarioError });
  t.regex(err!.message, /^scenario\.hosts: 49151 plus 14215 switch\/SM LIDs of the fat-tree topology need 63366 LIDs, more than the 49151 unicast LIDs/);
  t.regex(err!.message, /at most \d+ hosts fit a radix-36 fat tree/);
  const s = generateScenario({ hosts: 49_151, vmsPerHost: 1, slotsPerHost: 2, peersPerVm: 0, lidSpace: 'hosts-only' });
  t.is(s.vms, 49_151);
  t.is(s.description.lidsNeeded, 63_366);
});

test('prng: nextInt stays in range and covers it evenly', (t) => {
  const rng = new Xoshiro128(123);
  const counts = new Uint32Array(10);
  for (let i = 0; i < 100_000; i++) counts[rng.nextInt(10)]!++;
  for (const c of counts) t.true(c > 9_500 && c < 10_500, String(c));
  const a = new Xoshiro128(5, 1);
  const b = new Xoshiro128(5, 2);
  t.not(a.nextU32(), b.nextU32());
});

test('pinned output for seed 2024: generator changes that alter scenarios show up here', (t) => {
  // FNV-1a over the arrays' bytes. If a deliberate change to the generator alters these,
  // update them and say so: scenario files of parameters regenerate differently afterwards.
  const fnv = (a: ArrayBufferView): string => {
    const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    let h = 0x811c9dc5;
    for (const x of bytes) h = Math.imul(h ^ x, 0x01000193) >>> 0;
    return h.toString(16);
  };
  const expected: Record<string, string> = { uniform: 'f9166183', tenant: '2b5bd951', ring: '117f1f8d' };
  for (const commPattern of ['uniform', 'tenant', 'ring'] as const) {
    const s = generateScenario({ hosts: 64, vmsPerHost: 8, slotsPerHost: 10, peersPerVm: 4, commPattern, migrations: 40, seed: 2024 });
    t.is(fnv(s.peerList), expected[commPattern], commPattern);
    t.deepEqual([fnv(s.migrationVm), fnv(s.migrationDestHost), fnv(s.migrationTimeNs)], ['abc4989b', '34a1e617', 'a657723b']);
  }
});

test('an ibnetdiscover topology fixes the host count: its HCA ports are the hosts', (t) => {
  const text = 'Switch 8 "S1"\n[1] "H1"[1]\n[2] "H2"[1]\n[3] "S2"[3]\n\nSwitch 8 "S2"\n[1] "H3"[1]\n[3] "S1"[3]\n\nHca 1 "H1"\n[1] "S1"[1]\n\nHca 1 "H2"\n[1] "S1"[2]\n\nHca 1 "H3"\n[1] "S2"[1]\n';
  const s = generateScenario({ topology: { kind: 'ibnetdiscover', text }, vmsPerHost: 2, slotsPerHost: 4, peersPerVm: 1 });
  t.is(s.hosts, 3);
  t.is(s.vms, 6);
  t.is(s.topology.hopsBetweenHosts(0, 2), 2);
  t.is(s.description.switches, 2);
  t.throws(() => generateScenario({ hosts: 5, topology: { kind: 'ibnetdiscover', text }, vmsPerHost: 1, peersPerVm: 1 }), {
    instanceOf: ScenarioError,
    message: 'scenario.hosts: 5 differs from the 3 hosts (HCA ports) of the ibnetdiscover topology',
  });
  t.throws(() => generateScenario({ topology: { kind: 'ibnetdiscover', text: 'Switch 4 "S"\n[1] "X"[1]\n' } }), {
    instanceOf: ScenarioError,
    message: 'scenario.topology: "ibnetdiscover" is invalid: net:2: "X" names a node that has no Switch/Hca record',
  });
});
