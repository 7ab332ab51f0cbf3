import test from 'ava';
import { readFileSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { parseIbnetdiscover, readIbnetdiscoverFile } from '../core/topology/ibnetdiscover.js';

const EXAMPLES = '/usr/share/doc/ibsim-utils/net-examples';
const example = (name: string): string => readFileSync(join(EXAMPLES, name), 'utf8');
// ibsim-utils ships the examples; without it those tests are skipped, not faked.
const withExamples = existsSync(join(EXAMPLES, 'net')) ? test : test.skip;

// A hand-made fabric in ibnetdiscover's own dialect (Ca, GUIDs, comments, attributes):
// two leaves under one spine; h1 on leaf A, h2 and h3 (two ports of one HCA) on leaf B.
const HAND_MADE = `
vendid=0x2c9
devid=0xc738
switchguid=0x2c90300000001(2c90300000001)
Switch	36 "S-spine"		# "spine" enhanced port 0 lid 3 lmc 0
[1]	"S-leafA"[10]		# "leafA" lid 4 4xEDR
[2]	"S-leafB"[10]		# "leafB" lid 5 4xEDR

Switch	36 "S-leafA"		# "leafA" base port 0 lid 4 lmc 0
[1]	"H-host1"[1](2c90300000101) 		# "host1 mlx5_0" lid 1 4xEDR
[10]	"S-spine"[1]

Switch	36 "S-leafB"		# "leafB" base port 0 lid 5 lmc 0
[1]	"H-host2"[1](2c90300000201)
[2]	"H-host2"[2](2c90300000202)
[10]	"S-spine"[2]

Ca	2 "H-host1"		# "host1 mlx5_0"
[1](2c90300000101) 	"S-leafA"[1]		# lid 1 lmc 0 "leafA" lid 4 4xEDR

Ca	2 "H-host2"		# "host2 mlx5_0"
[1](2c90300000201) 	"S-leafB"[1]
[2](2c90300000202) 	"S-leafB"[2]
`;

test('hand-made ibnetdiscover output: hosts are HCA ports in file order, hops are switches traversed', (t) => {
  const topo = parseIbnetdiscover(HAND_MADE);
  t.deepEqual(topo.hostNames, ['H-host1:1', 'H-host2:1', 'H-host2:2']);
  t.is(topo.switchCount, 3);
  t.is(topo.lidsNeeded, 6);
  // The first node is a switch: the SM runs on its port 0.
  t.is(topo.smHost, -1);
  t.is(topo.smNodeName, 'S-spine');
  t.is(topo.hopsToSm(0), 2); // leafA, spine
  t.is(topo.hopsToSm(1), 2);
  t.is(topo.hopsBetweenHosts(0, 0), 0);
  t.is(topo.hopsBetweenHosts(1, 2), 1); // two ports of one HCA: through leafB, not through the HCA
  t.is(topo.hopsBetweenHosts(0, 1), 3);
  t.is(topo.hopsBetweenHosts(2, 0), 3);
});

withExamples('ibsim example "net": SM on Switch1, two HCAs on one switch', (t) => {
  const topo = parseIbnetdiscover(example('net'), { source: 'net' });
  t.deepEqual(topo.hostNames, ['Hca1:1', 'Hca2:2']);
  t.is(topo.switchCount, 2);
  t.is(topo.smNodeName, 'Switch1');
  t.is(topo.hopsBetweenHosts(0, 1), 1);
  t.is(topo.hopsToSm(0), 1);
});

withExamples('ibsim example "net.2sw2path4hca": hops across the two parallel inter-switch links', (t) => {
  const topo = parseIbnetdiscover(example('net.2sw2path4hca'));
  t.deepEqual(topo.hostNames, ['Hca1:1', 'Hca2:1', 'Hca3:1', 'Hca4:1']);
  t.is(topo.hopsBetweenHosts(0, 2), 1); // Hca1, Hca3 on Switch1
  t.is(topo.hopsBetweenHosts(1, 3), 1); // Hca2, Hca4 on Switch2
  t.is(topo.hopsBetweenHosts(0, 1), 2);
  t.is(topo.hopsBetweenHosts(3, 2), 2);
  t.is(topo.hopsToSm(0), 1);
  t.is(topo.hopsToSm(1), 2);
});

withExamples('every ibsim example parses and has symmetric hops, 0 only on the same host', (t) => {
  for (const name of ['net', 'net.1', 'net.2sw2path', 'net.2sw2path4hca', 'net.2sw2path4hca2port']) {
    const topo = readIbnetdiscoverFile(join(EXAMPLES, name));
    t.true(topo.hostCount >= 2, name);
    for (let a = 0; a < topo.hostCount; a++) {
      for (let b = 0; b < topo.hostCount; b++) {
        const h = topo.hopsBetweenHosts(a, b);
        t.is(h, topo.hopsBetweenHosts(b, a), `${name} ${a}-${b}`);
        t.is(h === 0, a === b, `${name} ${a}-${b}`);
      }
    }
  }
});

test('an HCA first in the file carries the SM on its first port; smHost overrides', (t) => {
  const text = `Hca 1 "A"\n[1] "S"[1]\n\nSwitch 4 "S"\n[1] "A"[1]\n[2] "B"[1]\n\nHca 1 "B"\n[1] "S"[2]\n`;
  const topo = parseIbnetdiscover(text);
  t.is(topo.smHost, 0);
  t.is(topo.hopsToSm(0), 0);
  t.is(topo.hopsToSm(1), 1);
  const other = parseIbnetdiscover(text, { smHost: 1 });
  t.is(other.hopsToSm(1), 0);
  t.is(other.hopsToSm(0), 1);
});

test('include lines resolve relative to the including file', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'repath-net-'));
  writeFileSync(join(dir, 'hcas.net'), 'Hca 1 "A"\n[1] "S"[1]\n\nHca 1 "B"\n[1] "S"[2]\n');
  writeFileSync(join(dir, 'top.net'), 'Switch 4 "S"\n[1] "A"[1]\n[2] "B"[1]\n\ninclude hcas.net\n');
  const topo = readIbnetdiscoverFile(join(dir, 'top.net'));
  t.deepEqual(topo.hostNames, ['A:1', 'B:1']);
  t.is(topo.hopsBetweenHosts(0, 1), 1);
});

test('bad net files name the line and the value', (t) => {
  t.throws(() => parseIbnetdiscover('Switch 4 "S"\n[1] "X"[1]\n'), { message: 'net:2: "X" names a node that has no Switch/Hca record' });
  t.throws(() => parseIbnetdiscover('Switch 4 "S"\n[9] "A"[1]\n\nHca 1 "A"\n[1] "S"[9]\n'), { message: /^net:2: 9 is not a port of "S" \(1\.\.4\)/ });
  t.throws(() => parseIbnetdiscover('Switch 4 "S"\nbogus line\n'), { message: /^net:2: "bogus line" is neither a node header/ });
  t.throws(() => parseIbnetdiscover('Switch 4 "S"\n[1] "A"[1]\n[2] "A"[1]\n\nHca 1 "A"\n[1] "S"[1]\n'), { message: /^net:3: "S\[2\]" is linked to two different ports/ });
  t.throws(
    () => parseIbnetdiscover('Switch 4 "S"\n[1] "A"[1]\n\nSwitch 4 "T"\n[1] "B"[1]\n\nHca 1 "A"\n[1] "S"[1]\n\nHca 1 "B"\n[1] "T"[1]\n'),
    { message: /"B:1" cannot reach the SM at "S"/ },
  );
  t.throws(() => parseIbnetdiscover('Switch 4 "S"\ninclude other.net\n'), { message: /^net:2: "other.net" is included but no include resolver/ });
});
