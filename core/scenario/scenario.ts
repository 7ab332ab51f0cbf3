// The scenario: everything the engine needs to build a fabric and drive it, as flat
// typed arrays (one entry per host or per VM, never an object per VM) so that a
// scenario of 6.29 M VMs fits in memory and can be handed to worker shards.
//
// Producers: the generator and the JSON / flatbuffers readers (core/scenario/).
// Consumers: the signalling core (core/sm, core/dom0, core/vm) and the engine.

import type { ScenarioOptions } from './scenario-options.js';

/** Signalling schemes compared by the engine; the names are part of the CLI. */
export const SCHEMES = ['dynamic', 'static-no-signal', 'per-vguid', 'per-pf', 'per-pf-interest'] as const;
export type SchemeName = (typeof SCHEMES)[number];

export const COMM_PATTERNS = ['uniform', 'tenant', 'ring'] as const;
export type CommPattern = (typeof COMM_PATTERNS)[number];

export const MIGRATION_PATTERNS = ['single', 'storm', 'evacuate', 'rolling'] as const;
export type MigrationPattern = (typeof MIGRATION_PATTERNS)[number];

/** Hop counts between endpoints; the cost model turns hops into latency. */
export interface Topology {
  readonly kind: string;
  /** Switch hops on the path between two hosts' ports (0 for the same host). */
  hopsBetweenHosts(hostA: number, hostB: number): number;
  /** Switch hops between a host's port and the SM's port. */
  hopsToSm(host: number): number;
}

export interface Scenario {
  readonly seed: number;
  /** Physical hosts, one HCA port (one PF) each. */
  readonly hosts: number;
  /** VF slots per host: how many VMs a host can hold (1..128). */
  readonly slotsPerHost: number;
  /** VMs created at the start. */
  readonly vms: number;
  /** Host port GUIDs (PF GUIDs), split into 32-bit halves. */
  readonly hostPortGuidHigh: Uint32Array;
  readonly hostPortGuidLow: Uint32Array;
  /** Initial placement: VM -> host and VM -> VF slot on that host. */
  readonly vmHost: Uint32Array;
  readonly vmSlot: Uint8Array;
  /** Static vGUIDs from each VM's configuration (the `dynamic` scheme ignores them: the SM assigns). */
  readonly vmGuidHigh: Uint32Array;
  readonly vmGuidLow: Uint32Array;
  /** Communication peers in CSR form: VM v talks to peerList[peerStart[v] .. peerStart[v + 1]). */
  readonly peerStart: Uint32Array;
  readonly peerList: Uint32Array;
  /** Migrations in time order: at migrationTimeNs[i], VM migrationVm[i] moves to host migrationDestHost[i]. */
  readonly migrationTimeNs: Float64Array;
  readonly migrationVm: Uint32Array;
  readonly migrationDestHost: Uint32Array;
  readonly topology: Topology;
  /** How the scenario was made, for reports (pattern names, counts); not used by the engine. */
  readonly description: Readonly<Record<string, string | number>>;
  /** VF slot each migration lands in (lowest free slot at the destination then); set by the generator and readers. */
  readonly migrationDestSlot?: Uint8Array;
  /** The parameters the scenario was generated from, defaults filled in (absent for hand-written explicit scenarios). */
  readonly options?: ScenarioOptions;
}
