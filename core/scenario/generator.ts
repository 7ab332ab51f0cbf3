// Scenario generator: hosts, VM placement, static vGUIDs, peer graph and migrations as flat
// typed arrays, deterministic for a seed. Built for the full unicast LID space: 49,151 hosts
// x 128 VMs x 8 peers is 6.29 M VMs and 50 M peer entries, all in typed arrays.
//
// Placement: VM v lives on host floor(v / vmsPerHost), VF slot v mod vmsPerHost; the last
// `spareHosts` hosts start empty. A VM can only migrate to a host with a free VF slot, so the
// generator replays every migration in time order on an occupancy table (per host, per slot)
// and only ever picks destinations from the set of hosts with a free slot; when none is left
// it stops with a ScenarioError that says which option to change (vmsPerHost < slotsPerHost,
// or spareHosts >= 1). The slot each migration lands in (lowest free) is recorded too.
//
// Identifiers (Mellanox OUI 00:02:c9, ConnectX-style 0x0002c903 upper half), independent of
// the seed so the same host or VM keeps its GUID across runs:
//   host port GUID of host h : 0x0002c903_00000000 + (h + 1)    (low word 1..49,151)
//   static vGUID of VM v     : 0x0002c903_80000000 + (v + 1)    (low word has bit 31 set)
// The two ranges cannot meet (bit 31), and a dynamic scheme's SM-assigned vGUIDs are free
// to use 0x0002c903_40000000 + n.
//
// Randomness: one Xoshiro128 stream per concern (tenants and peers: stream 1; migrations:
// stream 2), so changing the migration pattern keeps the peer graph of a seed unchanged.
import type { CommPattern, Scenario, Topology } from './scenario.js';
import { ScenarioError } from './scenario-error.js';
import { Xoshiro128 } from '../random.js';
import { Occupancy } from './occupancy.js';
import {
  isTopologyObject,
  optionsToPlain,
  resolveScenarioOptions,
  type ResolvedScenarioOptions,
  type ScenarioOptions,
} from './scenario-options.js';
import { FatTreeTopology, maxFatTreeHostsInLidSpace } from '../topology/fat-tree.js';
import { IbnetdiscoverTopology } from '../topology/ibnetdiscover.js';
import { TopologyError } from '../topology/topology-error.js';
import { UNICAST_LIDS } from '../topology/lid-space.js';
import type { TopologySpec } from '../topology/index.js';

export const GUID_OUI_HIGH = 0x0002c903;
export const VGUID_LOW_BASE = 0x80000000;
/** Free for SM-assigned (dynamic) vGUIDs. */
export const DYNAMIC_VGUID_LOW_BASE = 0x40000000;

const STREAM_PEERS = 1;
const STREAM_MIGRATIONS = 2;

/** What the generator adds beyond the Scenario interface (all optional there). */
export interface GeneratedScenario extends Scenario {
  /** The options it was made from, every default filled in; files store these. */
  readonly options: ScenarioOptions;
  /** VF slot each migration lands in (the lowest free slot at the destination then). */
  readonly migrationDestSlot: Uint8Array;
}

/** How the arrays are allocated; not part of the scenario (files do not store it). */
export interface GenerateOptions {
  /**
   * Back every array with a SharedArrayBuffer, so worker shards can read the scenario
   * without copying it (Piscina workers receive the arrays, not clones).
   */
  shared?: boolean;
}

interface Alloc {
  u32(n: number): Uint32Array;
  u8(n: number): Uint8Array;
}

const PLAIN: Alloc = { u32: (n) => new Uint32Array(n), u8: (n) => new Uint8Array(n) };
const SHARED: Alloc = {
  u32: (n) => new Uint32Array(new SharedArrayBuffer(n * 4)),
  u8: (n) => new Uint8Array(new SharedArrayBuffer(n)),
};

function sharedCopy<T extends Uint8Array | Uint32Array | Float64Array>(a: T): T {
  const out = new (a.constructor as new (buffer: SharedArrayBuffer) => T)(new SharedArrayBuffer(a.byteLength));
  out.set(a as never);
  return out;
}

export function generateScenario(options: ScenarioOptions, build: GenerateOptions = {}): GeneratedScenario {
  const o = resolveScenarioOptions(withTopologyHosts(options));
  const alloc = build.shared === true ? SHARED : PLAIN;
  const topology = buildTopologyFor(o);
  const { hosts, slotsPerHost, vmsPerHost, spareHosts, peersPerVm: k } = o;
  const populatedHosts = hosts - spareHosts;
  const vms = populatedHosts * vmsPerHost;

  // Host port GUIDs and initial placement.
  const hostPortGuidHigh = alloc.u32(hosts).fill(GUID_OUI_HIGH);
  const hostPortGuidLow = alloc.u32(hosts);
  for (let h = 0; h < hosts; h++) hostPortGuidLow[h] = h + 1;
  const vmHost = alloc.u32(vms);
  const vmSlot = alloc.u8(vms);
  const vmGuidHigh = alloc.u32(vms).fill(GUID_OUI_HIGH);
  const vmGuidLow = alloc.u32(vms);
  for (let h = 0, v = 0; h < populatedHosts; h++) {
    for (let s = 0; s < vmsPerHost; s++, v++) {
      vmHost[v] = h;
      vmSlot[v] = s;
      vmGuidLow[v] = (VGUID_LOW_BASE | (v + 1)) >>> 0;
    }
  }

  const { peerStart, peerList } = buildPeers(o, vms, alloc);
  const built = buildMigrations(o, vms, vmHost, vmSlot);
  const migrations =
    build.shared === true
      ? { timeNs: sharedCopy(built.timeNs), vm: sharedCopy(built.vm), destHost: sharedCopy(built.destHost), destSlot: sharedCopy(built.destSlot) }
      : built;

  const spec = topologySpecOf(topology);
  const description: Record<string, string | number> = {
    hosts,
    populatedHosts,
    spareHosts,
    slotsPerHost,
    vmsPerHost,
    vms,
    peersPerVm: k,
    peerEntries: peerList.length,
    commPattern: o.commPattern,
    migrationPattern: o.migrationPattern,
    migrations: migrations.vm.length,
    seed: o.seed,
    topology: topology.kind,
  };
  if (o.commPattern === 'tenant') description.tenantSize = o.tenantSize;
  if (topology instanceof FatTreeTopology) {
    description.fatTreeRadix = topology.radix;
    description.fatTreeLevels = topology.levels;
  }
  if (topology instanceof FatTreeTopology || topology instanceof IbnetdiscoverTopology) {
    description.switches = topology.switchCount;
    description.lidsNeeded = topology.lidsNeeded;
  }
  if (migrations.vm.length > 0) {
    description.firstMigrationNs = migrations.timeNs[0]!;
    description.lastMigrationNs = migrations.timeNs[migrations.timeNs.length - 1]!;
  }
  return {
    seed: o.seed,
    hosts,
    slotsPerHost,
    vms,
    hostPortGuidHigh,
    hostPortGuidLow,
    vmHost,
    vmSlot,
    vmGuidHigh,
    vmGuidLow,
    peerStart,
    peerList,
    migrationTimeNs: migrations.timeNs,
    migrationVm: migrations.vm,
    migrationDestHost: migrations.destHost,
    migrationDestSlot: migrations.destSlot,
    topology,
    description,
    options: optionsToPlain(o, spec),
  };
}

/** Fills in `hosts` from a topology that fixes the host count (its HCA ports), if not given. */
function withTopologyHosts(options: ScenarioOptions): ScenarioOptions {
  if (typeof options !== 'object' || options === null || options.hosts !== undefined || options.topology === undefined) return options;
  const t = options.topology as unknown;
  if (isTopologyObject(t)) {
    const count = (t as { hostCount?: unknown }).hostCount;
    return typeof count === 'number' ? { ...options, hosts: count } : options;
  }
  if (typeof t === 'object' && t !== null && (t as { kind?: unknown }).kind === 'ibnetdiscover' && typeof (t as { text?: unknown }).text === 'string') {
    try {
      return { ...options, hosts: new IbnetdiscoverTopology((t as { text: string }).text).hostCount };
    } catch (err) {
      if (err instanceof TopologyError) throw new ScenarioError('scenario.topology', 'ibnetdiscover', `is invalid: ${err.message}`);
      throw err;
    }
  }
  return options;
}

/** The spec a topology can be rebuilt from, if it is one of ours. */
export function topologySpecOf(topology: Topology): TopologySpec | undefined {
  const spec = (topology as { spec?: unknown }).spec;
  if (typeof spec === 'object' && spec !== null && typeof (spec as { kind?: unknown }).kind === 'string') return spec as TopologySpec;
  return undefined;
}

function buildTopologyFor(o: ResolvedScenarioOptions): Topology {
  const t = o.topology;
  let topology: Topology;
  try {
    if (isTopologyObject(t)) topology = t;
    else if (t.kind === 'fat-tree') {
      const fatOptions: { radix?: number; levels?: number; sm?: number | 'separate' } = {};
      if (t.radix !== undefined) fatOptions.radix = t.radix;
      if (t.levels !== undefined) fatOptions.levels = t.levels;
      if (t.sm !== undefined) fatOptions.sm = t.sm;
      topology = new FatTreeTopology(o.hosts, fatOptions);
    } else topology = new IbnetdiscoverTopology(t.text, t.smHost === undefined ? {} : { smHost: t.smHost });
  } catch (err) {
    if (err instanceof TopologyError) throw new ScenarioError('scenario.topology', topologyKind(t), `is invalid: ${err.message}`);
    throw err;
  }
  const hostCount = (topology as { hostCount?: unknown }).hostCount;
  if (typeof hostCount === 'number' && hostCount !== o.hosts) {
    throw new ScenarioError('scenario.hosts', o.hosts, `differs from the ${hostCount} hosts (HCA ports) of the ${topology.kind} topology`);
  }
  const lidsNeeded = (topology as { lidsNeeded?: unknown }).lidsNeeded;
  if (o.lidSpace === 'strict' && typeof lidsNeeded === 'number' && lidsNeeded > UNICAST_LIDS) {
    let advice = 'set lidSpace "hosts-only" to count host LIDs only';
    if (topology instanceof FatTreeTopology) {
      advice = `at most ${maxFatTreeHostsInLidSpace(topology.radix, topology.smSeparate)} hosts fit a radix-${topology.radix} fat tree, or ${advice}`;
    }
    throw new ScenarioError(
      'scenario.hosts',
      o.hosts,
      `plus ${lidsNeeded - o.hosts} switch/SM LIDs of the ${topology.kind} topology need ${lidsNeeded} LIDs, more than the ${UNICAST_LIDS} unicast LIDs (rule: hosts + switches + separate SM <= ${UNICAST_LIDS}); ${advice}`,
    );
  }
  return topology;
}

function topologyKind(t: unknown): string {
  return typeof t === 'object' && t !== null && typeof (t as { kind?: unknown }).kind === 'string' ? (t as { kind: string }).kind : 'topology';
}

// ---------------------------------------------------------------------------------------
// Peers

function buildPeers(o: ResolvedScenarioOptions, vms: number, alloc: Alloc): { peerStart: Uint32Array; peerList: Uint32Array } {
  const k = o.peersPerVm;
  const pattern: CommPattern = o.commPattern;
  if (k > 0) {
    if (pattern === 'tenant') {
      const smallest = Math.min(o.tenantSize, vms);
      if (smallest <= k) {
        throw new ScenarioError(
          'scenario.peersPerVm',
          k,
          `needs tenants of at least ${k + 1} VMs, but the smallest tenant has ${smallest} (tenantSize ${o.tenantSize}, ${vms} VMs)`,
        );
      }
    } else if (k > vms - 1) {
      throw new ScenarioError('scenario.peersPerVm', k, `is more than the ${vms - 1} other VMs (peers are distinct and never the VM itself)`);
    }
  }
  const peerStart = alloc.u32(vms + 1);
  for (let v = 0; v <= vms; v++) peerStart[v] = v * k;
  const peerList = alloc.u32(vms * k);
  if (k === 0 || vms === 0) return { peerStart, peerList };
  const rng = new Xoshiro128(o.seed, STREAM_PEERS);

  if (pattern === 'ring') {
    for (let v = 0, at = 0; v < vms; v++) {
      for (let j = 1; j <= k; j++) {
        const p = v + j;
        peerList[at++] = p >= vms ? p - vms : p;
      }
    }
  } else if (pattern === 'uniform') {
    // Members are 0..vms-1 themselves: the identity order.
    samplePeersInGroups(rng, peerList, k, null, vms, vms);
  } else {
    // Tenants are runs of a seeded permutation of the VMs, so a tenant's VMs are scattered
    // over hosts as a cloud scheduler would leave them, not packed on neighbouring hosts.
    const order = new Uint32Array(vms);
    for (let i = 0; i < vms; i++) order[i] = i;
    for (let i = vms - 1; i > 0; i--) {
      const j = rng.nextInt(i + 1);
      const t = order[i]!;
      order[i] = order[j]!;
      order[j] = t;
    }
    samplePeersInGroups(rng, peerList, k, order, vms, o.tenantSize);
  }
  return { peerStart, peerList };
}

/**
 * For each group of consecutive entries of `order` (identity when null) of size groupSize
 * (the last group also takes the remainder), gives each member k distinct peers drawn
 * uniformly from the other members. Sparse groups: rejection with a linear duplicate check
 * over the k peers drawn so far (k is small); dense groups (2k > members - 1): a partial
 * Fisher-Yates over a scratch copy, so the cost stays O(members) per VM.
 */
function samplePeersInGroups(rng: Xoshiro128, peerList: Uint32Array, k: number, order: Uint32Array | null, vms: number, groupSize: number): void {
  const groups = Math.max(1, Math.floor(vms / groupSize));
  let scratch: Uint32Array | null = null;
  for (let g = 0; g < groups; g++) {
    const a = g * groupSize;
    const b = g === groups - 1 ? vms : a + groupSize;
    const others = b - a - 1;
    const dense = 2 * k > others;
    if (dense && (scratch === null || scratch.length < others)) scratch = new Uint32Array(others);
    for (let i = a; i < b; i++) {
      const v = order === null ? i : order[i]!;
      const base = v * k;
      if (!dense) {
        for (let j = 0; j < k; j++) {
          let p: number;
          for (;;) {
            let r = a + rng.nextInt(others);
            if (r >= i) r++;
            p = order === null ? r : order[r]!;
            let dup = false;
            for (let q = base; q < base + j; q++) {
              if (peerList[q] === p) {
                dup = true;
                break;
              }
            }
            if (!dup) break;
          }
          peerList[base + j] = p;
        }
      } else {
        const s = scratch!;
        for (let r = a, n = 0; r < b; r++) if (r !== i) s[n++] = order === null ? r : order[r]!;
        for (let j = 0; j < k; j++) {
          const pick = j + rng.nextInt(others - j);
          const t = s[pick]!;
          s[pick] = s[j]!;
          s[j] = t;
          peerList[base + j] = t;
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------
// Migrations

interface Migrations {
  timeNs: Float64Array;
  vm: Uint32Array;
  destHost: Uint32Array;
  destSlot: Uint8Array;
}

function sortedTimes(rng: Xoshiro128, count: number, startNs: number, windowNs: number): Float64Array {
  const t = new Float64Array(count);
  for (let i = 0; i < count; i++) t[i] = startNs + Math.floor(rng.nextFloat() * windowNs);
  return t.sort();
}

function shuffle(rng: Xoshiro128, a: Uint32Array): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.nextInt(i + 1);
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  }
}

/** `count` distinct VMs in random order: Floyd's sampling over a bitmap, then a shuffle. */
function distinctVms(rng: Xoshiro128, vms: number, count: number): Uint32Array {
  const chosen = new Uint8Array(vms);
  const out = new Uint32Array(count);
  let n = 0;
  for (let j = vms - count; j < vms; j++) {
    const t = rng.nextInt(j + 1);
    const pick = chosen[t] === 0 ? t : j;
    chosen[pick] = 1;
    out[n++] = pick;
  }
  shuffle(rng, out);
  return out;
}

function buildMigrations(o: ResolvedScenarioOptions, vms: number, vmHost: Uint32Array, vmSlot: Uint8Array): Migrations {
  const rng = new Xoshiro128(o.seed, STREAM_MIGRATIONS);
  const populatedHosts = o.hosts - o.spareHosts;
  if (vms === 0) throw new ScenarioError('scenario.hosts', o.hosts, 'holds no VM to migrate');
  const occupancy = new Occupancy(o.hosts, o.slotsPerHost, vmHost, vmSlot);
  const start = o.migrationStartNs;
  const window = o.migrationWindowNs;

  // Each pattern yields (time, vm) pairs in time order, and for each a host to exclude.
  let times: Float64Array;
  let order: Uint32Array;
  let exclude: Int32Array | null = null; // per migration: a host that may not receive it
  let rollingHostsList: Uint32Array | null = null;
  switch (o.migrationPattern) {
    case 'single':
      times = Float64Array.of(start);
      order = Uint32Array.of(rng.nextInt(vms));
      break;
    case 'storm': {
      const count = o.migrations ?? Math.max(1, Math.round((o.stormPercent! / 100) * vms));
      if (count > vms) throw new ScenarioError('scenario.migrations', count, `is more than the ${vms} VMs (a storm moves distinct VMs)`);
      order = distinctVms(rng, vms, count);
      times = sortedTimes(rng, count, start, window);
      break;
    }
    case 'evacuate': {
      const host = o.evacuateHost ?? rng.nextInt(populatedHosts);
      order = occupancy.vmsOn(host);
      if (order.length === 0) throw new ScenarioError('scenario.evacuateHost', host, 'holds no VM (it is a spare host)');
      const room = occupancy.freeSlotsExcept(host);
      if (room < order.length) {
        throw new ScenarioError('scenario.evacuateHost', host, `holds ${order.length} VMs but the other hosts have only ${room} free VF slots (lower vmsPerHost or add spareHosts)`);
      }
      shuffle(rng, order);
      times = sortedTimes(rng, order.length, start, window);
      exclude = new Int32Array(order.length).fill(host);
      break;
    }
    case 'rolling': {
      // Host after host, each in its own equal share of the window; the VMs found on the host
      // when its turn comes (including any that arrived earlier in the run) all leave it.
      rollingHostsList = new Uint32Array(o.rollingHosts);
      for (let i = 0; i < o.rollingHosts; i++) rollingHostsList[i] = (o.rollingStartHost + i) % o.hosts;
      times = new Float64Array(0);
      order = new Uint32Array(0);
      break;
    }
  }

  if (rollingHostsList === null) {
    const n = order.length;
    const destHost = new Uint32Array(n);
    const destSlot = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const vm = order[i]!;
      const ex = exclude === null ? occupancy.vmWhere[vm]! : exclude[i]!;
      const dest = pickOrFail(occupancy, rng, ex, o, i, vm);
      destHost[i] = dest;
      destSlot[i] = occupancy.move(vm, dest);
    }
    return { timeNs: times, vm: order, destHost, destSlot };
  }

  const share = window / rollingHostsList.length;
  const allTimes: number[] = [];
  const allVms: number[] = [];
  const allDest: number[] = [];
  const allSlots: number[] = [];
  for (let r = 0; r < rollingHostsList.length; r++) {
    const host = rollingHostsList[r]!;
    const leaving = occupancy.vmsOn(host);
    shuffle(rng, leaving);
    const t = sortedTimes(rng, leaving.length, start + Math.floor(r * share), Math.max(1, Math.floor(share)));
    for (let i = 0; i < leaving.length; i++) {
      const vm = leaving[i]!;
      const dest = pickOrFail(occupancy, rng, host, o, allVms.length, vm);
      allTimes.push(t[i]!);
      allVms.push(vm);
      allDest.push(dest);
      allSlots.push(occupancy.move(vm, dest));
    }
  }
  return {
    timeNs: Float64Array.from(allTimes),
    vm: Uint32Array.from(allVms),
    destHost: Uint32Array.from(allDest),
    destSlot: Uint8Array.from(allSlots),
  };
}

function pickOrFail(occupancy: Occupancy, rng: Xoshiro128, exclude: number, o: ResolvedScenarioOptions, index: number, vm: number): number {
  const dest = occupancy.pickDestination(rng, exclude);
  if (dest < 0) {
    throw new ScenarioError(
      'scenario.spareHosts',
      o.spareHosts,
      `leaves no free VF slot for migration ${index} (VM ${vm}): every other host is full (vmsPerHost ${o.vmsPerHost}, slotsPerHost ${o.slotsPerHost}); give spareHosts >= 1 or vmsPerHost < slotsPerHost`,
    );
  }
  return dest;
}
