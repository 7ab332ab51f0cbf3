// Scenarios given as explicit arrays (hand-written JSON, or flatbuffers files carrying the
// arrays): checked field by field, so a bad file stops with a ScenarioError naming the entry
// (e.g. "scenario.explicit.vms[3].host: 9 is not in 0..3"), never a TypeError later.
import type { Scenario, Topology } from './scenario.js';
import { ScenarioError } from './scenario-error.js';
import { Occupancy } from './occupancy.js';
import { GUID_OUI_HIGH, VGUID_LOW_BASE } from './generator.js';
import { buildTopology, type TopologySpecInput } from '../topology/index.js';
import { TopologyError } from '../topology/topology-error.js';
import { MAX_SLOTS_PER_HOST, UNICAST_LIDS } from '../topology/lid-space.js';
import type { LidSpaceRule } from './scenario-options.js';

export interface ExplicitArrays {
  hosts: number;
  slotsPerHost: number;
  /** Default: the generator's scheme (0x0002c903_00000000 + host + 1). */
  hostPortGuidHigh?: Uint32Array;
  hostPortGuidLow?: Uint32Array;
  vmHost: Uint32Array;
  /** Default: the lowest free slot of the VM's host, in VM order. */
  vmSlot?: Uint8Array;
  /** Default: the generator's scheme (0x0002c903_80000000 + vm + 1). */
  vmGuidHigh?: Uint32Array;
  vmGuidLow?: Uint32Array;
  peerStart: Uint32Array;
  peerList: Uint32Array;
  migrationTimeNs: Float64Array;
  migrationVm: Uint32Array;
  migrationDestHost: Uint32Array;
  /** Default: the lowest free slot at the destination at that time. */
  migrationDestSlot?: Uint8Array;
}

/** How an entry is named in messages: JSON files name entries, flatbuffers files name arrays. */
export interface EntryNames {
  vm(v: number, field: string): string;
  host(h: number, field: string): string;
  migration(i: number, field: string): string;
  peers(v: number): string;
}

const VM_ARRAY: Record<string, string> = { host: 'vmHost', slot: 'vmSlot', vguid: 'vmGuid' };
const MIGRATION_ARRAY: Record<string, string> = { timeNs: 'migrationTimeNs', vm: 'migrationVm', destHost: 'migrationDestHost', destSlot: 'migrationDestSlot' };

/** Names for array-form files (flatbuffers): "scenario.explicit.vmHost[3]". */
export function arrayEntryNames(prefix: string): EntryNames {
  return {
    vm: (v, field) => `${prefix}.${VM_ARRAY[field] ?? field}[${v}]`,
    host: (h, field) => `${prefix}.${field}[${h}]`,
    migration: (i, field) => `${prefix}.${MIGRATION_ARRAY[field] ?? field}[${i}]`,
    peers: (v) => `${prefix}.peerList (VM ${v})`,
  };
}

/** Names for the JSON form: "scenario.explicit.vms[3].host", "scenario.explicit.migrations[0].destHost". */
export function jsonEntryNames(prefix: string): EntryNames {
  return {
    vm: (v, field) => `${prefix}.vms[${v}].${field}`,
    host: (h, field) => `${prefix}.${field === 'hostPortGuid' ? 'hostPortGuids' : field}[${h}]`,
    migration: (i, field) => `${prefix}.migrations[${i}].${field}`,
    peers: (v) => `${prefix}.vms[${v}].peers`,
  };
}

function lengthIs(field: string, arr: ArrayLike<number>, n: number): void {
  if (arr.length !== n) throw new ScenarioError(field, arr.length, `entries, expected ${n}`);
}

export function buildExplicitScenario(
  a: ExplicitArrays,
  seed: number,
  topologySpec: TopologySpecInput,
  lidSpace: LidSpaceRule,
  prefix: string,
  names: EntryNames = arrayEntryNames(prefix),
): Scenario {
  const { hosts, slotsPerHost } = a;
  if (!Number.isInteger(hosts) || hosts < 1 || hosts > UNICAST_LIDS) throw new ScenarioError(`${prefix}.hosts`, hosts, `is not in 1..${UNICAST_LIDS}`);
  if (!Number.isInteger(slotsPerHost) || slotsPerHost < 1 || slotsPerHost > MAX_SLOTS_PER_HOST) {
    throw new ScenarioError(`${prefix}.slotsPerHost`, slotsPerHost, `is not in 1..${MAX_SLOTS_PER_HOST}`);
  }
  const vms = a.vmHost.length;

  // Host GUIDs.
  const hostPortGuidHigh = a.hostPortGuidHigh ?? new Uint32Array(hosts).fill(GUID_OUI_HIGH);
  let hostPortGuidLow = a.hostPortGuidLow;
  if (hostPortGuidLow === undefined) {
    hostPortGuidLow = new Uint32Array(hosts);
    for (let h = 0; h < hosts; h++) hostPortGuidLow[h] = h + 1;
  }
  lengthIs(`${prefix}.hostPortGuidHigh`, hostPortGuidHigh, hosts);
  lengthIs(`${prefix}.hostPortGuidLow`, hostPortGuidLow, hosts);

  // Placement: each VM on a real host, each (host, slot) used once.
  const vmSlot = a.vmSlot ?? new Uint8Array(vms);
  lengthIs(`${prefix}.vmSlot`, vmSlot, vms);
  const taken = new Uint8Array(hosts * slotsPerHost);
  const nextFree = new Uint8Array(hosts);
  for (let v = 0; v < vms; v++) {
    const h = a.vmHost[v]!;
    if (h >= hosts) throw new ScenarioError(names.vm(v, 'host'), h, `is not a host in 0..${hosts - 1}`);
    if (a.vmSlot === undefined) {
      while (nextFree[h]! < slotsPerHost && taken[h * slotsPerHost + nextFree[h]!] === 1) nextFree[h]!++;
      if (nextFree[h]! >= slotsPerHost) throw new ScenarioError(names.vm(v, 'host'), h, `has no free VF slot left (slotsPerHost ${slotsPerHost})`);
      vmSlot[v] = nextFree[h]!;
    }
    const s = vmSlot[v]!;
    if (s >= slotsPerHost) throw new ScenarioError(names.vm(v, 'slot'), s, `is not a VF slot in 0..${slotsPerHost - 1}`);
    if (taken[h * slotsPerHost + s] === 1) throw new ScenarioError(names.vm(v, 'slot'), s, `of host ${h} is already taken by another VM`);
    taken[h * slotsPerHost + s] = 1;
  }

  // vGUIDs: non-zero, distinct from each other and from the port GUIDs.
  const vmGuidHigh = a.vmGuidHigh ?? new Uint32Array(vms).fill(GUID_OUI_HIGH);
  let vmGuidLow = a.vmGuidLow;
  if (vmGuidLow === undefined) {
    vmGuidLow = new Uint32Array(vms);
    for (let v = 0; v < vms; v++) vmGuidLow[v] = (VGUID_LOW_BASE | (v + 1)) >>> 0;
  }
  lengthIs(`${prefix}.vmGuidHigh`, vmGuidHigh, vms);
  lengthIs(`${prefix}.vmGuidLow`, vmGuidLow, vms);
  const guids = new GuidSet(hosts + vms);
  for (let h = 0; h < hosts; h++) {
    if ((hostPortGuidHigh[h]! | hostPortGuidLow[h]!) === 0) throw new ScenarioError(names.host(h, 'hostPortGuid'), '0x0', 'is zero (not a valid GUID)');
    if (!guids.add(hostPortGuidHigh[h]!, hostPortGuidLow[h]!)) throw new ScenarioError(names.host(h, 'hostPortGuid'), guidText(hostPortGuidHigh[h]!, hostPortGuidLow[h]!), 'is used twice');
  }
  for (let v = 0; v < vms; v++) {
    if ((vmGuidHigh[v]! | vmGuidLow[v]!) === 0) throw new ScenarioError(names.vm(v, 'vguid'), '0x0', 'is zero (not a valid GUID)');
    if (!guids.add(vmGuidHigh[v]!, vmGuidLow[v]!)) throw new ScenarioError(names.vm(v, 'vguid'), guidText(vmGuidHigh[v]!, vmGuidLow[v]!), 'is used twice (vGUIDs and port GUIDs must all differ)');
  }

  // Peers in CSR form: in range, never the VM itself, no repeats.
  const { peerStart, peerList } = a;
  lengthIs(`${prefix}.peerStart`, peerStart, vms + 1);
  if (peerStart[0] !== 0) throw new ScenarioError(`${prefix}.peerStart[0]`, peerStart[0], 'is not 0');
  if (peerStart[vms] !== peerList.length) throw new ScenarioError(`${prefix}.peerStart[${vms}]`, peerStart[vms], `differs from the ${peerList.length} peer entries`);
  for (let v = 0; v < vms; v++) {
    const from = peerStart[v]!;
    const to = peerStart[v + 1]!;
    if (to < from) throw new ScenarioError(`${prefix}.peerStart[${v + 1}]`, to, `is less than peerStart[${v}] ${from}`);
    for (let i = from; i < to; i++) {
      const p = peerList[i]!;
      if (p >= vms) throw new ScenarioError(names.peers(v), p, `is not a VM in 0..${vms - 1}`);
      if (p === v) throw new ScenarioError(names.peers(v), p, 'is the VM itself');
      for (let j = from; j < i; j++) if (peerList[j] === p) throw new ScenarioError(names.peers(v), p, 'is listed twice');
    }
  }

  // Migrations: in time order, to another host with a free slot at that moment.
  const n = a.migrationVm.length;
  lengthIs(`${prefix}.migrationTimeNs`, a.migrationTimeNs, n);
  lengthIs(`${prefix}.migrationDestHost`, a.migrationDestHost, n);
  if (a.migrationDestSlot !== undefined) lengthIs(`${prefix}.migrationDestSlot`, a.migrationDestSlot, n);
  const destSlot = new Uint8Array(n);
  if (n > 0 && vms === 0) throw new ScenarioError(names.migration(0, 'vm'), a.migrationVm[0], 'names a VM, but the scenario has none');
  const occupancy = n > 0 ? new Occupancy(hosts, slotsPerHost, a.vmHost, vmSlot) : null;
  let previous = 0;
  for (let i = 0; i < n; i++) {
    const t = a.migrationTimeNs[i]!;
    if (!Number.isFinite(t) || t < 0) throw new ScenarioError(names.migration(i, 'timeNs'), t, 'is not a time >= 0 ns');
    if (t < previous) throw new ScenarioError(names.migration(i, 'timeNs'), t, `is earlier than the migration before it (${previous}); migrations must be in time order`);
    previous = t;
    const vm = a.migrationVm[i]!;
    if (vm >= vms) throw new ScenarioError(names.migration(i, 'vm'), vm, `is not a VM in 0..${vms - 1}`);
    const dest = a.migrationDestHost[i]!;
    if (dest >= hosts) throw new ScenarioError(names.migration(i, 'destHost'), dest, `is not a host in 0..${hosts - 1}`);
    if (dest === occupancy!.vmWhere[vm]) throw new ScenarioError(names.migration(i, 'destHost'), dest, `is where VM ${vm} already is`);
    if (!occupancy!.hasFree(dest)) throw new ScenarioError(names.migration(i, 'destHost'), dest, `has no free VF slot for VM ${vm} at ${t} ns`);
    let slot = -1;
    if (a.migrationDestSlot !== undefined) {
      slot = a.migrationDestSlot[i]!;
      if (slot >= slotsPerHost || !occupancy!.isFree(dest, slot)) {
        throw new ScenarioError(names.migration(i, 'destSlot'), slot, `is not a free VF slot of host ${dest} at ${t} ns`);
      }
    }
    destSlot[i] = occupancy!.move(vm, dest, slot);
  }

  let topology: Topology;
  try {
    topology = buildTopology(topologySpec, hosts);
  } catch (err) {
    if (err instanceof TopologyError) throw new ScenarioError(`${prefix}.topology`, topologySpec.kind, `is invalid: ${err.message}`);
    throw err;
  }
  const built = topology as { hostCount?: number; lidsNeeded?: number };
  if (built.hostCount !== undefined && built.hostCount !== hosts) {
    throw new ScenarioError(`${prefix}.hosts`, hosts, `differs from the ${built.hostCount} hosts (HCA ports) of the ${topology.kind} topology`);
  }
  if (lidSpace === 'strict' && built.lidsNeeded !== undefined && built.lidsNeeded > UNICAST_LIDS) {
    throw new ScenarioError(`${prefix}.hosts`, hosts, `plus the topology's switches need ${built.lidsNeeded} LIDs, more than the ${UNICAST_LIDS} unicast LIDs (set lidSpace "hosts-only" to count hosts only)`);
  }
  return {
    seed,
    hosts,
    slotsPerHost,
    vms,
    hostPortGuidHigh,
    hostPortGuidLow,
    vmHost: a.vmHost,
    vmSlot,
    vmGuidHigh,
    vmGuidLow,
    peerStart,
    peerList,
    migrationTimeNs: a.migrationTimeNs,
    migrationVm: a.migrationVm,
    migrationDestHost: a.migrationDestHost,
    migrationDestSlot: destSlot,
    topology,
    description: { source: 'explicit', hosts, slotsPerHost, vms, peerEntries: peerList.length, migrations: n, seed, topology: topology.kind, lidSpace },
  };
}

export function guidText(high: number, low: number): string {
  return `0x${high.toString(16).padStart(8, '0')}${low.toString(16).padStart(8, '0')}`;
}

/** Parses "0x0002c90380000001" (or without 0x) into 32-bit halves; null if malformed. */
export function parseGuid(text: string): [number, number] | null {
  const m = /^(?:0x)?([0-9a-fA-F]{1,16})$/.exec(text);
  if (m === null) return null;
  const hex = m[1]!.padStart(16, '0');
  return [Number.parseInt(hex.slice(0, 8), 16), Number.parseInt(hex.slice(8), 16)];
}

/** Open-addressing set of 64-bit GUIDs as two 32-bit halves (no BigInt, no strings). */
class GuidSet {
  private readonly hi: Uint32Array;
  private readonly lo: Uint32Array;
  private readonly used: Uint8Array;
  private readonly mask: number;

  constructor(expected: number) {
    let cap = 16;
    while (cap < expected * 2) cap *= 2;
    this.hi = new Uint32Array(cap);
    this.lo = new Uint32Array(cap);
    this.used = new Uint8Array(cap);
    this.mask = cap - 1;
  }

  /** Adds the GUID; false if it was already there. */
  add(high: number, low: number): boolean {
    let h = Math.imul(high ^ Math.imul(low, 0x9e3779b1), 0x85ebca6b);
    h ^= h >>> 15;
    let i = (h >>> 0) & this.mask;
    while (this.used[i] === 1) {
      if (this.hi[i] === high && this.lo[i] === low) return false;
      i = (i + 1) & this.mask;
    }
    this.used[i] = 1;
    this.hi[i] = high;
    this.lo[i] = low;
    return true;
  }
}
