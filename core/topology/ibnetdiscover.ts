// Topologies from ibnetdiscover output or ibsim net files (the same text format):
//
//   Switch 8 "Switch1"            # node header: type, port count, "node id", anything after
//   [1]  "Hca1"[1]                # port line: [local port] "remote node"[remote port] ...
//   [1](2c90000000002)  "S-..."[3](2c9...)  # lid 1 4xSDR   (ibnetdiscover adds GUIDs, comments)
//   Ca 2 "H-0002c9..."            # ibnetdiscover says Ca, ibsim says Hca; Rt = router
//   vendid=0x2c9 / sysimgguid=... / caguid=... / switchguid=...   (node attributes, ignored)
//   include <file>                # ibsim extension: resolved through options.include
//   do <ibsim command>            # ibsim extension: a console command, ignored here
//
// Hosts are the HCA ports, numbered in file order (the port lines of each Hca/Ca block, then
// ports only named from the other end of a link, in order of first mention). As in ibsim, the
// first node in the file carries the SM: its first listed port if it is an HCA, or the
// switch's management port 0 if it is a switch.
//
// Hop counts are switches traversed on a shortest path (the same counting as the fat tree),
// found by breadth-first search from a source host over the switch graph, computed lazily
// and cached per source in a typed array (no all-pairs matrix up front).
import type { Topology } from '../scenario/scenario.js';
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { TopologyError } from './topology-error.js';

export interface IbnetdiscoverOptions {
  /** Name shown in error messages, e.g. the file path. Default "net". */
  source?: string;
  /** Returns the text of an `include <file>` line; without it an include is an error. */
  include?: (name: string) => string;
  /** Override the SM's host (an HCA port index); default: the ibsim rule above. */
  smHost?: number;
}

export interface IbnetdiscoverSpec {
  kind: 'ibnetdiscover';
  /** The net text itself, so a scenario file stays self-contained. */
  text: string;
  smHost?: number;
}

type NodeType = 'switch' | 'hca' | 'router';

interface NodeRecord {
  type: NodeType;
  name: string;
  ports: number;
  line: string;
}

interface PortLine {
  node: number;
  port: number;
  remoteName: string;
  remotePort: number;
  where: string;
}

const HEADER = /^(Switch|Hca|Ca|Rt)\s+(\d+)\s+"([^"]*)"/;
const PORT_LINE = /^\[(\d+)\](?:\[ext\s+\d+\])?(?:\s*\(([0-9a-fA-Fx]+)\))?\s*"([^"]*)"\s*\[(\d+)\]/;
const ATTRIBUTE = /^[A-Za-z_][A-Za-z0-9_]*=/;

export class IbnetdiscoverTopology implements Topology {
  readonly kind = 'ibnetdiscover';
  readonly hostCount: number;
  readonly switchCount: number;
  /** HCA port names, "node id:port", one per host. */
  readonly hostNames: readonly string[];
  /** The SM's host index, or -1 when the SM runs on a switch (port 0). */
  readonly smHost: number;
  readonly smNodeName: string;
  /** LIDs the subnet needs: one per HCA port and one per switch. */
  readonly lidsNeeded: number;
  readonly spec: IbnetdiscoverSpec;
  /** Graph in CSR form; vertices 0..switchCount-1 are switches, switchCount + h is host h. */
  private readonly adjStart: Int32Array;
  private readonly adj: Int32Array;
  private readonly hopCache: Array<Uint16Array | undefined>;
  private readonly smHops: Uint16Array;

  constructor(text: string, options: IbnetdiscoverOptions = {}) {
    const source = options.source ?? 'net';
    const nodes: NodeRecord[] = [];
    const nodeByName = new Map<string, number>();
    const portLines: PortLine[] = [];
    parseInto(text, source, options.include, nodes, nodeByName, portLines, 0);
    if (nodes.length === 0) throw new TopologyError(source, '', 'has no Switch or Hca records');

    // Hosts: HCA ports from their own blocks first, in file order.
    const hostIndex = new Map<string, number>();
    const hostNames: string[] = [];
    const hostOf = (node: number, port: number): number => {
      const key = `${nodes[node]!.name}:${port}`;
      let h = hostIndex.get(key);
      if (h === undefined) {
        h = hostNames.length;
        hostIndex.set(key, h);
        hostNames.push(key);
      }
      return h;
    };
    for (const pl of portLines) if (nodes[pl.node]!.type === 'hca') hostOf(pl.node, pl.port);
    for (const pl of portLines) {
      const remote = nodeByName.get(pl.remoteName);
      if (remote === undefined) {
        throw new TopologyError(pl.where, pl.remoteName, 'names a node that has no Switch/Hca record');
      }
      if (pl.remotePort < 1 || pl.remotePort > nodes[remote]!.ports) {
        throw new TopologyError(pl.where, pl.remotePort, `is not a port of "${pl.remoteName}" (1..${nodes[remote]!.ports})`);
      }
      if (nodes[remote]!.type === 'hca') hostOf(remote, pl.remotePort);
    }
    const switchIds = new Int32Array(nodes.length).fill(-1);
    let switchCount = 0;
    for (let n = 0; n < nodes.length; n++) if (nodes[n]!.type !== 'hca') switchIds[n] = switchCount++;
    // Routers forward like switches for hop counting; they also take a LID each.
    const vertexOf = (node: number, port: number): number =>
      nodes[node]!.type === 'hca' ? switchCount + hostIndex.get(`${nodes[node]!.name}:${port}`)! : switchIds[node]!;

    // Links, each stored once per (vertex, port) end; both ends may list the link.
    const linkOf = new Map<string, string>();
    const edgesA: number[] = [];
    const edgesB: number[] = [];
    for (const pl of portLines) {
      const remote = nodeByName.get(pl.remoteName)!;
      const here = `${nodes[pl.node]!.name}\u0000${pl.port}`;
      const there = `${pl.remoteName}\u0000${pl.remotePort}`;
      const knownHere = linkOf.get(here);
      const knownThere = linkOf.get(there);
      if (knownHere !== undefined || knownThere !== undefined) {
        if (knownHere === there && knownThere === here) continue; // the other end of a known link
        throw new TopologyError(
          pl.where,
          `${nodes[pl.node]!.name}[${pl.port}]`,
          'is linked to two different ports (each port has one cable)',
        );
      }
      linkOf.set(here, there);
      linkOf.set(there, here);
      edgesA.push(vertexOf(pl.node, pl.port));
      edgesB.push(vertexOf(remote, pl.remotePort));
    }

    const hostCount = hostNames.length;
    if (hostCount === 0) throw new TopologyError(source, '', 'has no connected HCA port (no hosts)');
    const vertices = switchCount + hostCount;
    const degree = new Int32Array(vertices + 1);
    for (let e = 0; e < edgesA.length; e++) {
      degree[edgesA[e]!]!++;
      degree[edgesB[e]!]!++;
    }
    const adjStart = new Int32Array(vertices + 1);
    for (let v = 0; v < vertices; v++) adjStart[v + 1] = adjStart[v]! + degree[v]!;
    const fill = adjStart.slice(0, vertices);
    const adj = new Int32Array(adjStart[vertices]!);
    for (let e = 0; e < edgesA.length; e++) {
      const a = edgesA[e]!;
      const b = edgesB[e]!;
      adj[fill[a]!++] = b;
      adj[fill[b]!++] = a;
    }

    // The SM: ibsim's first node, or the caller's choice.
    const first = nodes[0]!;
    let smHost: number;
    let smVertex: number;
    if (options.smHost !== undefined) {
      if (!Number.isInteger(options.smHost) || options.smHost < 0 || options.smHost >= hostCount) {
        throw new TopologyError(`${source} smHost`, options.smHost, `is not a host index in 0..${hostCount - 1}`);
      }
      smHost = options.smHost;
      smVertex = switchCount + smHost;
    } else if (first.type === 'hca') {
      const firstPort = portLines.find((pl) => pl.node === 0);
      if (firstPort === undefined) throw new TopologyError(first.line, first.name, 'is the SM node but lists no connected port');
      smHost = hostIndex.get(`${first.name}:${firstPort.port}`)!;
      smVertex = switchCount + smHost;
    } else {
      smHost = -1;
      smVertex = switchIds[0]!;
    }

    this.hostCount = hostCount;
    this.switchCount = switchCount;
    this.hostNames = hostNames;
    this.smHost = smHost;
    this.smNodeName = smHost >= 0 ? hostNames[smHost]! : first.name;
    this.lidsNeeded = hostCount + switchCount;
    this.spec = options.smHost === undefined ? { kind: 'ibnetdiscover', text } : { kind: 'ibnetdiscover', text, smHost: options.smHost };
    this.adjStart = adjStart;
    this.adj = adj;
    this.hopCache = new Array<Uint16Array | undefined>(hostCount);
    this.smHops = this.bfs(smVertex);
    for (let h = 0; h < hostCount; h++) {
      if (this.smHops[h] === UNREACHABLE) {
        throw new TopologyError(source, hostNames[h]!, `cannot reach the SM at "${this.smNodeName}" (the fabric is not connected)`);
      }
    }
  }

  hopsBetweenHosts(hostA: number, hostB: number): number {
    if (hostA === hostB) return 0;
    let row = this.hopCache[hostA];
    if (row !== undefined) return row[hostB]!;
    row = this.hopCache[hostB];
    if (row !== undefined) return row[hostA]!;
    row = this.bfs(this.switchCount + hostA);
    this.hopCache[hostA] = row;
    return row[hostB]!;
  }

  hopsToSm(host: number): number {
    return this.smHops[host]!;
  }

  /**
   * Switches traversed from `source` to every host. Hosts are path ends, never forwarded
   * through (an HCA does not switch between its ports). A switch SM counts itself.
   */
  private bfs(source: number): Uint16Array {
    const switchCount = this.switchCount;
    const vertices = switchCount + this.hostCount;
    const dist = new Int32Array(vertices).fill(-1);
    const queue = new Int32Array(vertices);
    let head = 0;
    let tail = 0;
    dist[source] = 0;
    queue[tail++] = source;
    while (head < tail) {
      const v = queue[head++]!;
      if (v >= switchCount && v !== source) continue;
      for (let i = this.adjStart[v]!; i < this.adjStart[v + 1]!; i++) {
        const w = this.adj[i]!;
        if (dist[w] === -1) {
          dist[w] = dist[v]! + 1;
          queue[tail++] = w;
        }
      }
    }
    // Edges on a host-to-host path = switches + 1; from a switch SM, edges = switches counted
    // including the SM's own switch.
    const sourceIsHost = source >= switchCount;
    const hops = new Uint16Array(this.hostCount);
    for (let h = 0; h < this.hostCount; h++) {
      const d = dist[switchCount + h]!;
      hops[h] = d < 0 ? UNREACHABLE : d === 0 ? 0 : sourceIsHost ? d - 1 : d;
    }
    return hops;
  }
}

const UNREACHABLE = 0xffff;

function parseInto(
  text: string,
  source: string,
  include: ((name: string) => string) | undefined,
  nodes: NodeRecord[],
  nodeByName: Map<string, number>,
  portLines: PortLine[],
  depth: number,
): void {
  const lines = text.split(/\r?\n/);
  let current = -1;
  for (let i = 0; i < lines.length; i++) {
    const where = `${source}:${i + 1}`;
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) {
      if (line === '') current = -1; // a blank line ends a node record
      continue;
    }
    if (line.startsWith('include')) {
      const name = line.slice('include'.length).trim();
      if (include === undefined) throw new TopologyError(where, name, 'is included but no include resolver was given');
      if (depth > 8) throw new TopologyError(where, name, 'is included more than 8 levels deep');
      parseInto(include(name), name, include, nodes, nodeByName, portLines, depth + 1);
      current = -1;
      continue;
    }
    if (line.startsWith('do ') || line === 'do') continue;
    if (ATTRIBUTE.test(line)) continue;
    const header = HEADER.exec(line);
    if (header !== null) {
      const ports = Number(header[2]);
      const name = header[3]!;
      if (ports < 1 || ports > 255) throw new TopologyError(where, ports, 'is not a port count in 1..255');
      if (nodeByName.has(name)) throw new TopologyError(where, name, 'is defined twice');
      const type: NodeType = header[1] === 'Switch' ? 'switch' : header[1] === 'Rt' ? 'router' : 'hca';
      current = nodes.length;
      nodes.push({ type, name, ports, line: where });
      nodeByName.set(name, current);
      continue;
    }
    const port = PORT_LINE.exec(line);
    if (port !== null) {
      if (current < 0) throw new TopologyError(where, line, 'is a port line outside a Switch/Hca record');
      const local = Number(port[1]);
      if (local < 1 || local > nodes[current]!.ports) {
        throw new TopologyError(where, local, `is not a port of "${nodes[current]!.name}" (1..${nodes[current]!.ports})`);
      }
      portLines.push({ node: current, port: local, remoteName: port[3]!, remotePort: Number(port[4]), where });
      continue;
    }
    throw new TopologyError(where, line, 'is neither a node header, a port line, nor an attribute');
  }
}

export function parseIbnetdiscover(text: string, options?: IbnetdiscoverOptions): IbnetdiscoverTopology {
  return new IbnetdiscoverTopology(text, options);
}

/** Reads a net file, resolving `include` lines relative to the including file's directory. */
export function readIbnetdiscoverFile(path: string, options: Omit<IbnetdiscoverOptions, 'source' | 'include'> = {}): IbnetdiscoverTopology {
  const read = (p: string): string => {
    try {
      return readFileSync(p, 'utf8');
    } catch (err) {
      throw new TopologyError('topology file', p, `cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
  };
  const dir = dirname(path);
  return new IbnetdiscoverTopology(read(path), {
    ...options,
    source: path,
    include: (name) => read(isAbsolute(name) ? name : join(dir, name)),
  });
}
