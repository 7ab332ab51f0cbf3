// A folded-Clos fat tree built from switches of one radix, sized to the host count, with hop
// counts computed from host indices alone (a 49,151-host all-pairs matrix would be 4.8 GB).
//
// Shape: with radix r and h = r/2, a leaf switch has h host ports and h uplinks; every level
// below the top does the same; a top switch uses all r ports downwards. An L-level tree holds
// 2 * h^L endpoints (L = 1: one switch, r hosts; radix 36: 36, 648, 11,664, 209,952). Hosts
// fill leaf ports in index order, so the level-l subtree of host a is floor(a / h^l).
//
// Hop counting: the number of SWITCHES a packet traverses (each adds a forwarding delay in
// the cost model): 0 for the same host, 1 under one leaf, 2l - 1 when the lowest common
// subtree of the two hosts is at level l (3 across leaves of one level-2 subtree, and so on),
// 2L - 1 through the top.
import type { Topology } from '../scenario/scenario.js';
import { TopologyError } from './topology-error.js';
import { UNICAST_LIDS } from './lid-space.js';

export interface FatTreeOptions {
  /** Ports per switch, even, 4..256. Default 36 (InfiniBand EDR/HDR 1U switches; 40 for HDR/NDR). */
  radix?: number;
  /** Levels of switches; default: the fewest that hold the hosts (and a separate SM). */
  levels?: number;
  /** Where the SM's port is: a host index (default 0), or 'separate' for its own node. */
  sm?: number | 'separate';
}

/** The description a fat tree is rebuilt from (scenario files store this, not the object). */
export interface FatTreeSpec {
  kind: 'fat-tree';
  radix: number;
  levels: number;
  sm: number | 'separate';
}

export const DEFAULT_RADIX = 36;

export class FatTreeTopology implements Topology {
  readonly kind = 'fat-tree';
  readonly hostCount: number;
  readonly radix: number;
  readonly levels: number;
  /** The SM's endpoint index: a host, or hostCount when the SM has a node of its own. */
  readonly smEndpoint: number;
  readonly smSeparate: boolean;
  /** Switches needed for this many endpoints (each takes a LID). */
  readonly switchCount: number;
  /** LIDs the subnet needs: hosts + switches + a separate SM. */
  readonly lidsNeeded: number;
  readonly spec: FatTreeSpec;
  /** groupSize[l] = h^l: endpoints under one level-l subtree, for l = 1..levels-1. */
  private readonly groupSize: Float64Array;
  /**
   * Hops from each endpoint to the SM's, worked out once: every MAD to or from the SM asks for
   * its latency, and the level walk's divisions showed as 2% of a migration storm's profile.
   */
  private readonly hopsToSmOf: Uint8Array;

  constructor(hosts: number, options: FatTreeOptions = {}) {
    if (!Number.isInteger(hosts) || hosts < 1 || hosts > UNICAST_LIDS) {
      throw new TopologyError('fatTree.hosts', hosts, `is not an integer in 1..${UNICAST_LIDS}`);
    }
    const radix = options.radix ?? DEFAULT_RADIX;
    if (!Number.isInteger(radix) || radix < 4 || radix > 256 || radix % 2 !== 0) {
      throw new TopologyError('fatTree.radix', radix, 'is not an even integer in 4..256');
    }
    const sm = options.sm ?? 0;
    if (sm !== 'separate' && (!Number.isInteger(sm) || sm < 0 || sm >= hosts)) {
      throw new TopologyError('fatTree.sm', sm, `is neither a host index in 0..${hosts - 1} nor "separate"`);
    }
    const endpoints = hosts + (sm === 'separate' ? 1 : 0);
    const half = radix / 2;
    let levels = 1;
    while (2 * half ** levels < endpoints) levels++;
    if (options.levels !== undefined) {
      if (!Number.isInteger(options.levels) || options.levels < 1 || options.levels > 16) {
        throw new TopologyError('fatTree.levels', options.levels, 'is not an integer in 1..16');
      }
      if (options.levels < levels) {
        throw new TopologyError(
          'fatTree.levels',
          options.levels,
          `holds only ${2 * half ** options.levels} endpoints of radix-${radix} switches; ${endpoints} need ${levels} levels`,
        );
      }
      levels = options.levels;
    }
    this.hostCount = hosts;
    this.radix = radix;
    this.levels = levels;
    this.smSeparate = sm === 'separate';
    this.smEndpoint = sm === 'separate' ? hosts : sm;
    this.switchCount = fatTreeSwitchCount(endpoints, radix, levels);
    this.lidsNeeded = hosts + this.switchCount + (this.smSeparate ? 1 : 0);
    this.spec = { kind: 'fat-tree', radix, levels, sm };
    this.groupSize = new Float64Array(levels);
    for (let l = 1; l < levels; l++) this.groupSize[l] = half ** l;
    this.hopsToSmOf = new Uint8Array(endpoints);
    for (let e = 0; e < endpoints; e++) this.hopsToSmOf[e] = this.hopsBetweenEndpoints(e, this.smEndpoint);
  }

  hopsBetweenHosts(hostA: number, hostB: number): number {
    return this.hopsBetweenEndpoints(hostA, hostB);
  }

  hopsToSm(host: number): number {
    return host >= 0 && host < this.hopsToSmOf.length ? this.hopsToSmOf[host]! : this.hopsBetweenEndpoints(host, this.smEndpoint);
  }

  private hopsBetweenEndpoints(a: number, b: number): number {
    if (a === b) return 0;
    const groupSize = this.groupSize;
    for (let l = 1; l < this.levels; l++) {
      const g = groupSize[l]!;
      if (Math.floor(a / g) === Math.floor(b / g)) return 2 * l - 1;
    }
    return 2 * this.levels - 1;
  }
}

/**
 * Switches of an L-level radix-r tree holding `endpoints`: at level l < L one group of
 * h^(l-1) switches per populated level-l subtree; at the top h^(L-1) switches (each reaches
 * every level-(L-1) subtree through one port; kept whole so bisection is full).
 */
export function fatTreeSwitchCount(endpoints: number, radix: number, levels: number): number {
  if (levels === 1) return 1;
  const half = radix / 2;
  let switches = half ** (levels - 1);
  for (let l = 1; l < levels; l++) switches += half ** (l - 1) * Math.ceil(endpoints / half ** l);
  return switches;
}

export function fatTree(hosts: number, options?: FatTreeOptions): FatTreeTopology {
  return new FatTreeTopology(hosts, options);
}

/** The most hosts a fat tree of this radix can hold with hosts + switches (+ SM) within the LID space. */
export function maxFatTreeHostsInLidSpace(radix = DEFAULT_RADIX, smSeparate = false): number {
  const fits = (hosts: number): boolean => {
    const endpoints = hosts + (smSeparate ? 1 : 0);
    const half = radix / 2;
    let levels = 1;
    while (2 * half ** levels < endpoints) levels++;
    return hosts + fatTreeSwitchCount(endpoints, radix, levels) + (smSeparate ? 1 : 0) <= UNICAST_LIDS;
  };
  // hosts + switches only grows with hosts (more leaves, and eventually another level), so
  // the hosts that fit form a prefix 1..best: binary search.
  let best = 0;
  let lo = 1;
  let hi = UNICAST_LIDS;
  while (lo <= hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (fits(mid)) {
      best = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return best;
}
