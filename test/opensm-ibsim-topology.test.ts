// The fat tree the ibsim harness writes: every link appears on both of its
// ends with the same ports, every host hangs off a leaf, every leaf reaches
// every spine, and node names are the ones tests pick with SIM_HOST.
import test from 'ava';
import { fatTreeTopology, SM_NODE } from './support/opensm-ibsim.js';

interface Node {
  type: string;
  ports: number;
  links: Map<number, [string, number]>;
}

function parse(text: string): Map<string, Node> {
  const nodes = new Map<string, Node>();
  let current: Node | undefined;
  for (const line of text.split('\n')) {
    const header = /^(Switch|Hca)\t(\d+) "([^"]+)"$/.exec(line);
    const link = /^\[(\d+)\]\t"([^"]+)"\[(\d+)\]$/.exec(line);
    if (header !== null) {
      current = { type: header[1]!, ports: Number(header[2]), links: new Map() };
      nodes.set(header[3]!, current);
    } else if (link !== null) {
      current!.links.set(Number(link[1]), [link[2]!, Number(link[3])]);
    } else if (line !== '') {
      throw new Error(`unexpected topology line ${JSON.stringify(line)}`);
    }
  }
  return nodes;
}

for (const hcaCount of [1, 4, 5, 9]) {
  test(`a fat tree with ${hcaCount} HCAs besides the SM's is consistent`, (t) => {
    const topology = fatTreeTopology(hcaCount);
    const nodes = parse(topology.text);
    t.deepEqual(topology.hcas, Array.from({ length: hcaCount }, (_, i) => `Hca${i + 1}`));
    t.deepEqual(topology.switches, ['Leaf1', 'Leaf2', 'Spine1', 'Spine2']);
    t.is(nodes.size, hcaCount + 1 + 4);
    // The SM's port is the first port of the file (ibsim's default node).
    t.true(topology.text.startsWith('Switch') && topology.text.split('\n')[1]!.includes(`"${SM_NODE}"[1]`));
    for (const [name, node] of nodes) {
      for (const [port, [peer, peerPort]] of node.links) {
        t.true(port >= 1 && port <= node.ports, `${name} port ${port} within ${node.ports}`);
        t.deepEqual(nodes.get(peer)?.links.get(peerPort), [name, port], `${name}[${port}] <-> ${peer}[${peerPort}]`);
      }
      if (node.type === 'Hca') {
        t.is(node.links.size, 1);
        t.regex(node.links.get(1)![0], /^Leaf\d$/);
      }
    }
    for (const leaf of ['Leaf1', 'Leaf2']) {
      const peers = [...nodes.get(leaf)!.links.values()].map(([peer]) => peer);
      t.true(peers.includes('Spine1') && peers.includes('Spine2'));
    }
  });
}

test('a topology size outside [1, 24] is refused, naming the value', (t) => {
  t.throws(() => fatTreeTopology(0), { message: 'hcaCount: 0 is not an integer in [1, 24]' });
  t.throws(() => fatTreeTopology(2.5), { message: 'hcaCount: 2.5 is not an integer in [1, 24]' });
});
