import test from 'ava';
import { mkdtempSync, readFileSync, writeFileSync, copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { generateScenario } from '../core/scenario/generator.js';
import { readScenarioFile, writeScenarioFile } from '../core/scenario/scenario-file.js';
import { encodeScenarioFb, decodeScenarioFb } from '../core/scenario/scenario-fb.js';
import { ScenarioError } from '../core/scenario/scenario-error.js';
import type { Scenario } from '../core/scenario/scenario.js';
import type { ScenarioOptions } from '../core/scenario/scenario-options.js';

const dir = mkdtempSync(join(tmpdir(), 'repath-scenario-'));

const ARRAYS = [
  'hostPortGuidHigh', 'hostPortGuidLow', 'vmHost', 'vmSlot', 'vmGuidHigh', 'vmGuidLow', 'peerStart', 'peerList',
  'migrationTimeNs', 'migrationVm', 'migrationDestHost', 'migrationDestSlot',
] as const;

function assertSameScenario(t: import('ava').ExecutionContext, a: Scenario, b: Scenario): void {
  t.is(a.seed, b.seed);
  t.is(a.hosts, b.hosts);
  t.is(a.slotsPerHost, b.slotsPerHost);
  t.is(a.vms, b.vms);
  for (const k of ARRAYS) t.deepEqual(a[k], b[k], k);
  t.is(a.topology.kind, b.topology.kind);
  for (let h = 0; h < a.hosts; h += 7) t.is(a.topology.hopsToSm(h), b.topology.hopsToSm(h));
}

const OPTIONS: ScenarioOptions = {
  hosts: 100,
  vmsPerHost: 6,
  slotsPerHost: 8,
  peersPerVm: 4,
  commPattern: 'tenant',
  tenantSize: 12,
  stormPercent: 20,
  seed: 99,
  topology: { kind: 'fat-tree', radix: 8 },
};

test('parameters round-trip through .json, .fb and .bin and regenerate identical arrays', (t) => {
  const original = generateScenario(OPTIONS);
  for (const name of ['params.json', 'params.fb', 'params.bin']) {
    const path = join(dir, name);
    const bytes = writeScenarioFile(path, original);
    t.true(bytes < 2000, `${name}: parameters only, ${bytes} bytes`);
    assertSameScenario(t, original, readScenarioFile(path));
  }
  // Options can be written directly too.
  writeScenarioFile(join(dir, 'options.json'), OPTIONS);
  assertSameScenario(t, original, readScenarioFile(join(dir, 'options.json')));
  const doc = JSON.parse(readFileSync(join(dir, 'params.json'), 'utf8'));
  t.is(doc.format, 'repath-scenario/1');
  t.is(doc.stormPercent, 20);
  t.deepEqual(doc.topology, { kind: 'fat-tree', radix: 8, levels: 3, sm: 0 });
});

test('optional parameters equal to 0 survive the flatbuffers form (evacuateHost 0, SM on host 0)', (t) => {
  const options: ScenarioOptions = { hosts: 30, vmsPerHost: 4, slotsPerHost: 8, peersPerVm: 2, migrationPattern: 'evacuate', evacuateHost: 0, topology: { kind: 'fat-tree', radix: 4, sm: 0 } };
  const back = decodeScenarioFb(encodeScenarioFb(options));
  t.deepEqual(Array.from(back.migrationVm).sort((a, b) => a - b), [0, 1, 2, 3]);
  t.is(back.options?.evacuateHost, 0);
  assertSameScenario(t, generateScenario(options), back);
  const rolling: ScenarioOptions = { hosts: 12, vmsPerHost: 2, slotsPerHost: 4, peersPerVm: 1, migrationPattern: 'rolling', rollingHosts: 2, rollingStartHost: 0, topology: { kind: 'fat-tree', sm: 'separate' } };
  assertSameScenario(t, generateScenario(rolling), decodeScenarioFb(encodeScenarioFb(rolling)));
});

test('explicit arrays round-trip through .fb and .json', (t) => {
  const original = generateScenario({ ...OPTIONS, hosts: 40 });
  for (const name of ['explicit.fb', 'explicit.json']) {
    const path = join(dir, name);
    writeScenarioFile(path, original, { explicit: true });
    const back = readScenarioFile(path);
    assertSameScenario(t, original, back);
    t.is(back.description.source, 'explicit');
    t.is(back.options, undefined);
  }
  // In-memory codec, with an unaligned copy of the bytes.
  const bytes = encodeScenarioFb(original, true);
  const unaligned = new Uint8Array(bytes.byteLength + 3).subarray(3);
  unaligned.set(bytes);
  assertSameScenario(t, original, decodeScenarioFb(unaligned));
});

test('a hand-written JSON scenario on an ibsim net file: defaults for slots and vGUIDs', (t) => {
  const net = '/usr/share/doc/ibsim-utils/net-examples/net.2sw2path4hca';
  if (!existsSync(net)) {
    t.log('ibsim-utils examples not installed; using a copy of the format');
    writeFileSync(join(dir, 'fabric.net'), 'Switch 8 "S1"\n[1] "H1"[1]\n[2] "H3"[1]\n[3] "S2"[3]\n\nSwitch 8 "S2"\n[1] "H2"[1]\n[2] "H4"[1]\n[3] "S1"[3]\n\nHca 2 "H1"\n[1] "S1"[1]\n\nHca 2 "H2"\n[1] "S2"[1]\n\nHca 2 "H3"\n[1] "S1"[2]\n\nHca 2 "H4"\n[1] "S2"[2]\n');
  } else copyFileSync(net, join(dir, 'fabric.net'));
  const path = join(dir, 'hand.json');
  writeFileSync(
    path,
    JSON.stringify({
      seed: 5,
      topology: { kind: 'ibnetdiscover', file: 'fabric.net' },
      explicit: {
        hosts: 4,
        slotsPerHost: 2,
        vms: [{ host: 0, peers: [1, 2] }, { host: 0, peers: [0] }, { host: 1 }, { host: 3, peers: [2] }],
        migrations: [
          { timeNs: 1000, vm: 0, destHost: 1 },
          { timeNs: 2000, vm: 2, destHost: 2 },
        ],
      },
    }),
  );
  const s = readScenarioFile(path);
  t.is(s.vms, 4);
  t.deepEqual(Array.from(s.vmSlot), [0, 1, 0, 0]);
  t.deepEqual(Array.from(s.peerStart), [0, 2, 3, 3, 4]);
  t.deepEqual(Array.from(s.migrationDestSlot!), [1, 0]);
  t.is(s.vmGuidLow[3], 0x80000004);
  t.is(s.topology.kind, 'ibnetdiscover');
  t.is(s.topology.hopsBetweenHosts(0, 1), 2);
});

function writeJson(name: string, doc: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(doc));
  return path;
}

test('bad JSON files stop with a ScenarioError naming the field and the value', (t) => {
  const explicit = (e: Record<string, unknown>) => ({ explicit: { hosts: 3, slotsPerHost: 2, ...e } });
  const cases: Array<[unknown, string | RegExp]> = [
    [{ hosts: 10, vmsPerHost: 300 }, 'scenario.vmsPerHost: 300 is not in 1..128'],
    [{ hosts: 10, colour: 'blue' }, /^scenario\.colour: "blue" is not a known field/],
    [{ format: 'other/2', hosts: 3 }, 'scenario.format: "other/2" is not "repath-scenario/1"'],
    [[1, 2], 'scenario: [1,2] is not a JSON object'],
    [{ hosts: 3, topology: { kind: 'ibnetdiscover', file: 'missing.net' } }, 'scenario.topology.file: "missing.net" cannot be read (ENOENT)'],
    [explicit({ vms: [{ host: 0 }, { host: 9 }] }), 'scenario.explicit.vms[1].host: 9 is not a host in 0..2'],
    [explicit({ vms: [{ host: 0, slot: 0 }, { host: 0, slot: 0 }] }), 'scenario.explicit.vms[1].slot: 0 of host 0 is already taken by another VM'],
    [explicit({ vms: [{ host: 0, peers: [0] }] }), 'scenario.explicit.vms[0].peers: 0 is the VM itself'],
    [explicit({ vms: [{ host: 0, peers: [1, 1] }, { host: 1 }] }), 'scenario.explicit.vms[0].peers: 1 is listed twice'],
    [explicit({ vms: [{ host: 0, vguid: 'xyz' }] }), /^scenario\.explicit\.vms\[0\]\.vguid: "xyz" is not a GUID string/],
    [explicit({ vms: [{ host: 0, cpu: 4 }] }), /^scenario\.explicit\.vms\[0\]\.cpu: 4 is not a known field/],
    [
      explicit({ vms: [{ host: 0 }, { host: 1 }, { host: 1 }], migrations: [{ timeNs: 5, vm: 0, destHost: 1 }] }),
      'scenario.explicit.migrations[0].destHost: 1 has no free VF slot for VM 0 at 5 ns',
    ],
    [
      explicit({ vms: [{ host: 0 }], migrations: [{ timeNs: 5, vm: 0, destHost: 1 }, { timeNs: 4, vm: 0, destHost: 2 }] }),
      /^scenario\.explicit\.migrations\[1\]\.timeNs: 4 is earlier than the migration before it/,
    ],
    [explicit({ vms: [{ host: 0 }], migrations: [{ timeNs: 5, vm: 0, destHost: 0 }] }), 'scenario.explicit.migrations[0].destHost: 0 is where VM 0 already is'],
    [explicit({ vms: [{ host: 0 }], migrations: [{ vm: 0, destHost: 1 }] }), 'scenario.explicit.migrations[0].timeNs: undefined is required'],
    [{ explicit: { hosts: 3, slotsPerHost: 200 } }, 'scenario.explicit.slotsPerHost: 200 is not in 1..128'],
  ];
  cases.forEach(([doc, message], i) => {
    const err = t.throws(() => readScenarioFile(writeJson(`bad-${i}.json`, doc)), { instanceOf: ScenarioError });
    if (typeof message === 'string') t.is(err!.message, message);
    else t.regex(err!.message, message);
  });
  writeFileSync(join(dir, 'broken.json'), '{ "hosts": 3,');
  t.throws(() => readScenarioFile(join(dir, 'broken.json')), { instanceOf: ScenarioError, message: /broken\.json" is not valid JSON/ });
  t.throws(() => readScenarioFile(join(dir, 'x.yaml')), { instanceOf: ScenarioError, message: /has neither a \.json nor a \.fb \/ \.bin extension/ });
});

test('damaged flatbuffers stop with a ScenarioError, never a TypeError', (t) => {
  const good = encodeScenarioFb(generateScenario({ ...OPTIONS, hosts: 20 }), true);
  t.throws(() => decodeScenarioFb(Uint8Array.of(1, 2, 3)), { instanceOf: ScenarioError, message: /too short/ });
  const wrongId = good.slice();
  wrongId.set([0x58, 0x58, 0x58, 0x58], 4);
  t.throws(() => decodeScenarioFb(wrongId), { instanceOf: ScenarioError, message: 'scenario file: "XXXX" does not carry the scenario file identifier "RPSC"' });
  // Truncations and seeded byte corruption: whatever breaks, it is a ScenarioError.
  let state = 1;
  for (let i = 0; i < 200; i++) {
    const bad = good.slice(0, i % 3 === 0 ? Math.floor(good.length / 2) : good.length);
    for (let j = 0; j < 4; j++) {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      const at = 8 + (state % (bad.length - 8));
      bad[at] = state >>> 24;
    }
    try {
      decodeScenarioFb(bad);
    } catch (err) {
      t.true(err instanceof ScenarioError, `case ${i}: ${String(err)}`);
    }
  }
});

test('a scenario on a topology object without a spec cannot be written as parameters', (t) => {
  const custom = { kind: 'custom', hopsBetweenHosts: (a: number, b: number) => (a === b ? 0 : 1), hopsToSm: () => 1 };
  const s = generateScenario({ hosts: 4, vmsPerHost: 2, slotsPerHost: 4, peersPerVm: 1, topology: custom });
  t.is(s.topology, custom);
  t.throws(() => writeScenarioFile(join(dir, 'custom.json'), s), {
    instanceOf: ScenarioError,
    message: 'scenario.topology: "custom" is a topology object without a spec; it cannot be written to a file',
  });
});
