// Topology specs (what a scenario file stores) and the builder that turns one into the
// Topology the engine asks for hop counts.
import { FatTreeTopology, type FatTreeOptions, type FatTreeSpec } from './fat-tree.js';
import { IbnetdiscoverTopology, type IbnetdiscoverSpec } from './ibnetdiscover.js';

export type TopologySpec = FatTreeSpec | IbnetdiscoverSpec;

/** A spec as files and callers may give it: fat-tree fields left out take their defaults. */
export type TopologySpecInput = ({ kind: 'fat-tree' } & FatTreeOptions) | IbnetdiscoverSpec;

/** Topologies built here also know their size and their LID needs. */
export type BuiltTopology = FatTreeTopology | IbnetdiscoverTopology;

export function buildTopology(spec: TopologySpecInput, hosts: number): BuiltTopology {
  if (spec.kind === 'fat-tree') {
    const options: FatTreeOptions = {};
    if (spec.radix !== undefined) options.radix = spec.radix;
    if (spec.levels !== undefined) options.levels = spec.levels;
    if (spec.sm !== undefined) options.sm = spec.sm;
    return new FatTreeTopology(hosts, options);
  }
  return new IbnetdiscoverTopology(spec.text, spec.smHost === undefined ? {} : { smHost: spec.smHost });
}

export { FatTreeTopology, fatTree, fatTreeSwitchCount, maxFatTreeHostsInLidSpace, DEFAULT_RADIX } from './fat-tree.js';
export type { FatTreeOptions, FatTreeSpec } from './fat-tree.js';
export { IbnetdiscoverTopology, parseIbnetdiscover, readIbnetdiscoverFile } from './ibnetdiscover.js';
export type { IbnetdiscoverOptions, IbnetdiscoverSpec } from './ibnetdiscover.js';
export { TopologyError } from './topology-error.js';
export { UNICAST_LIDS, MAX_SLOTS_PER_HOST } from './lid-space.js';
