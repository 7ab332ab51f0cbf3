import test from 'ava';
import { fatTree, fatTreeSwitchCount, maxFatTreeHostsInLidSpace } from '../core/topology/fat-tree.js';
import { UNICAST_LIDS } from '../core/topology/lid-space.js';

test('levels are the fewest that hold the hosts (radix 36: 36, 648, 11,664 per level count)', (t) => {
  t.is(fatTree(36).levels, 1);
  t.is(fatTree(37).levels, 2);
  t.is(fatTree(648).levels, 2);
  t.is(fatTree(649).levels, 3);
  t.is(fatTree(11_664).levels, 3);
  t.is(fatTree(11_665).levels, 4);
  t.is(fatTree(49_151).levels, 4);
  t.is(fatTree(16_000, { radix: 40 }).levels, 3);
  // A separate SM node takes an endpoint of its own.
  t.is(fatTree(648, { sm: 'separate' }).levels, 3);
});

test('hops count switches traversed: 0 same host, 1 same leaf, 3 same level-2 subtree, 5 through a level-3 top', (t) => {
  const ft = fatTree(11_664); // radix 36: 18 hosts per leaf, 324 per level-2 subtree, 3 levels
  t.is(ft.hopsBetweenHosts(5, 5), 0);
  t.is(ft.hopsBetweenHosts(0, 17), 1);
  t.is(ft.hopsBetweenHosts(0, 18), 3);
  t.is(ft.hopsBetweenHosts(0, 323), 3);
  t.is(ft.hopsBetweenHosts(0, 324), 5);
  t.is(ft.hopsBetweenHosts(11_663, 0), 5);
  t.is(ft.hopsToSm(0), 0); // SM on host 0 by default
  t.is(ft.hopsToSm(1), 1);
  t.is(ft.hopsToSm(400), 5);
});

test('hopsToSm (a table worked out at construction) agrees with the level walk for every host', (t) => {
  for (const ft of [fatTree(11_664, { sm: 5_000 }), fatTree(700, { radix: 8 })]) {
    let differ = 0;
    for (let h = 0; h < ft.hostCount; h++) if (ft.hopsToSm(h) !== ft.hopsBetweenHosts(h, ft.smEndpoint)) differ++;
    t.is(differ, 0, `${ft.levels}-level tree, SM at host ${ft.smEndpoint}`);
  }
});

test('hops are symmetric and bounded by 2L - 1 on a 4-level tree', (t) => {
  const ft = fatTree(49_151);
  let state = 12345;
  const next = (): number => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state % 49_151;
  };
  for (let i = 0; i < 2000; i++) {
    const a = next();
    const b = next();
    const h = ft.hopsBetweenHosts(a, b);
    t.is(h, ft.hopsBetweenHosts(b, a));
    t.true(h === 0 ? a === b : h % 2 === 1 && h <= 7);
  }
  t.is(ft.hopsBetweenHosts(0, 49_150), 7);
});

test('a separate SM sits on the port after the last host', (t) => {
  const ft = fatTree(40, { sm: 'separate' });
  t.is(ft.smEndpoint, 40);
  // Leaves hold 18 endpoints: hosts 36..39 and the SM (endpoint 40) share the third leaf.
  t.is(ft.hopsToSm(39), 1);
  t.is(ft.hopsToSm(36), 1);
  t.is(ft.hopsToSm(35), 3);
  t.is(ft.hopsToSm(0), 3);
  t.is(ft.lidsNeeded, 40 + ft.switchCount + 1);
});

test('switch counts: a 648-host 2-level tree of 36-port switches is 36 leaves + 18 spines', (t) => {
  t.is(fatTree(648).switchCount, 54);
  t.is(fatTreeSwitchCount(648, 36, 2), 54);
  t.is(fatTree(20).switchCount, 1);
  // 100 hosts: 6 leaves (18 hosts each) + 18 spines.
  t.is(fatTree(100).switchCount, 6 + 18);
  const max = maxFatTreeHostsInLidSpace(36);
  const at = fatTree(max);
  t.true(at.lidsNeeded <= UNICAST_LIDS);
  t.true(fatTree(max + 1).lidsNeeded > UNICAST_LIDS);
});

test('bad options name the field and value', (t) => {
  t.throws(() => fatTree(0), { message: 'fatTree.hosts: 0 is not an integer in 1..49151' });
  t.throws(() => fatTree(10, { radix: 35 }), { message: /^fatTree\.radix: 35 is not an even integer/ });
  t.throws(() => fatTree(10, { sm: 10 }), { message: /^fatTree\.sm: 10 is neither a host index/ });
  t.throws(() => fatTree(700, { levels: 2 }), { message: /^fatTree\.levels: 2 holds only 648 endpoints/ });
});
