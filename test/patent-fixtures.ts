// Hand-built scenarios for the signalling tests: small enough to reason about exactly.
import type { Scenario, Topology } from '../core/scenario/scenario.js';

/** Two hops between distinct hosts (leaf-spine-leaf... counted as switch hops), one to the SM. */
export const flatTopology: Topology = {
  kind: 'flat-test',
  hopsBetweenHosts: (a, b) => (a === b ? 0 : 3),
  hopsToSm: () => 1,
};

export interface HandScenario {
  hosts: number;
  vmsPerHost: number;
  /** VF slots per host (default vmsPerHost + 2: room to migrate in). */
  slotsPerHost?: number;
  /** peers(v) -> the VMs v talks to; default everyone else. */
  peers?: (v: number, vms: number) => number[];
  /** [vm, destHost, timeNs] in time order. */
  migrations?: [number, number, number][];
  seed?: number;
}

export const HOST_GUID_HIGH = 0x00020000;
export const VM_GUID_HIGH = 0x00030000;

export function handScenario(o: HandScenario): Scenario {
  const vms = o.hosts * o.vmsPerHost;
  const slots = o.slotsPerHost ?? o.vmsPerHost + 2;
  const hostPortGuidHigh = new Uint32Array(o.hosts).fill(HOST_GUID_HIGH);
  const hostPortGuidLow = new Uint32Array(o.hosts).map((_, h) => 0x1000 + h);
  const vmHost = new Uint32Array(vms).map((_, v) => Math.floor(v / o.vmsPerHost));
  const vmSlot = new Uint8Array(vms).map((_, v) => v % o.vmsPerHost);
  const vmGuidHigh = new Uint32Array(vms).fill(VM_GUID_HIGH);
  const vmGuidLow = new Uint32Array(vms).map((_, v) => v + 1);
  const peersOf = o.peers ?? ((v: number, n: number) => Array.from({ length: n }, (_, i) => i).filter((i) => i !== v));
  const lists: number[][] = [];
  for (let v = 0; v < vms; v++) lists.push(peersOf(v, vms));
  const peerStart = new Uint32Array(vms + 1);
  for (let v = 0; v < vms; v++) peerStart[v + 1] = peerStart[v]! + lists[v]!.length;
  const peerList = Uint32Array.from(lists.flat());
  const m = o.migrations ?? [];
  return {
    seed: o.seed ?? 1,
    hosts: o.hosts,
    slotsPerHost: slots,
    vms,
    hostPortGuidHigh,
    hostPortGuidLow,
    vmHost,
    vmSlot,
    vmGuidHigh,
    vmGuidLow,
    peerStart,
    peerList,
    migrationTimeNs: Float64Array.from(m.map((x) => x[2])),
    migrationVm: Uint32Array.from(m.map((x) => x[0])),
    migrationDestHost: Uint32Array.from(m.map((x) => x[1])),
    topology: flatTopology,
    description: { pattern: 'hand-built' },
  };
}

/** In-degree: how many VMs list x as a peer (= cache a path to x). */
export function inDegree(s: Scenario, x: number): number {
  let d = 0;
  for (let e = 0; e < s.peerList.length; e++) if (s.peerList[e] === x) d++;
  return d;
}

/** Hosts holding at least one VM that lists x as a peer (placement as given in the scenario). */
export function hostsCaching(s: Scenario, x: number): number {
  const hosts = new Set<number>();
  for (let v = 0; v < s.vms; v++) {
    for (let e = s.peerStart[v]!; e < s.peerStart[v + 1]!; e++) if (s.peerList[e] === x) hosts.add(s.vmHost[v]!);
  }
  return hosts.size;
}
