// The JSON form of a scenario, for hand-written files. Two shapes:
//
// 1. Parameters: the generator's options at the top level; the arrays are regenerated from
//    them and the seed.
//      { "format": "repath-scenario/1", "seed": 7, "hosts": 648, "vmsPerHost": 16,
//        "peersPerVm": 8, "commPattern": "tenant", "tenantSize": 32, "stormPercent": 1,
//        "topology": { "kind": "fat-tree", "radix": 36 } }
// 2. Explicit: every VM, its peers and every migration written out.
//      { "format": "repath-scenario/1", "seed": 1,
//        "topology": { "kind": "ibnetdiscover", "file": "fabric.net" },
//        "explicit": { "hosts": 4, "slotsPerHost": 4,
//          "vms": [ { "host": 0, "peers": [1] }, { "host": 1, "slot": 2, "vguid": "0x0002c903800000aa" } ],
//          "migrations": [ { "timeNs": 1000000, "vm": 0, "destHost": 2 } ] } }
//
// A topology of kind "ibnetdiscover" takes "file" (relative to the JSON file) or "text".
// Unknown fields are rejected, and every message names the field ("scenario.vmsPerHost").
import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { Scenario } from './scenario.js';
import { ScenarioError } from './scenario-error.js';
import { generateScenario, topologySpecOf } from './generator.js';
import { buildExplicitScenario, guidText, jsonEntryNames, parseGuid } from './explicit.js';
import {
  LID_SPACE_RULES,
  isTopologyObject,
  optionsToPlain,
  resolveScenarioOptions,
  validateTopologyInput,
  type LidSpaceRule,
  type ScenarioOptions,
} from './scenario-options.js';
import type { TopologySpecInput } from '../topology/index.js';

export const SCENARIO_FORMAT = 'repath-scenario/1';

const EXPLICIT_TOP_KEYS = ['format', 'seed', 'topology', 'lidSpace', 'explicit'];
const EXPLICIT_KEYS = ['hosts', 'slotsPerHost', 'hostPortGuids', 'vms', 'migrations'];
const VM_KEYS = ['host', 'slot', 'vguid', 'peers'];
const MIGRATION_KEYS = ['timeNs', 'vm', 'destHost', 'destSlot'];

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function reject(field: string, obj: Record<string, unknown>, known: readonly string[]): void {
  for (const key of Object.keys(obj)) {
    if (!known.includes(key)) throw new ScenarioError(`${field}.${key}`, obj[key], `is not a known field (known: ${known.join(', ')})`);
  }
}

function uint(field: string, v: unknown, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) throw new ScenarioError(field, v, `is not an integer in 0..${max}`);
  return v;
}

function arrayOf(field: string, v: unknown): unknown[] {
  if (!Array.isArray(v)) throw new ScenarioError(field, v, 'is not an array');
  return v;
}

function guid(field: string, v: unknown): [number, number] {
  const parsed = typeof v === 'string' ? parseGuid(v) : null;
  if (parsed === null) throw new ScenarioError(field, v, 'is not a GUID string of up to 16 hex digits ("0x0002c90380000001")');
  return parsed;
}

/** A topology field of a JSON file: "file" is read relative to the file's directory. */
function topologyFromJson(field: string, v: unknown, baseDir: string | undefined): unknown {
  if (!isObject(v) || v.kind !== 'ibnetdiscover' || v.file === undefined) return v as Record<string, unknown>;
  if (v.text !== undefined) throw new ScenarioError(`${field}.file`, v.file, 'is given together with text; give one');
  if (typeof v.file !== 'string') throw new ScenarioError(`${field}.file`, v.file, 'is not a path');
  const path = isAbsolute(v.file) || baseDir === undefined ? v.file : join(baseDir, v.file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ScenarioError(`${field}.file`, v.file, `cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  const { file: _file, ...rest } = v;
  return { ...rest, text };
}

/** Builds the scenario a parsed JSON document describes. `baseDir` resolves topology files. */
export function scenarioFromJson(doc: unknown, baseDir?: string, field = 'scenario'): Scenario {
  if (!isObject(doc)) throw new ScenarioError(field, doc, 'is not a JSON object');
  if (doc.format !== undefined && doc.format !== SCENARIO_FORMAT) throw new ScenarioError(`${field}.format`, doc.format, `is not "${SCENARIO_FORMAT}"`);
  if (doc.explicit === undefined) {
    const { format: _format, ...options } = doc;
    if (options.topology !== undefined) options.topology = topologyFromJson(`${field}.topology`, options.topology, baseDir);
    return generateScenario(options as unknown as ScenarioOptions);
  }

  reject(field, doc, EXPLICIT_TOP_KEYS);
  const seed = doc.seed === undefined ? 0 : uint(`${field}.seed`, doc.seed, 0xffffffff);
  const lidSpace: LidSpaceRule =
    doc.lidSpace === undefined ? 'strict' : (LID_SPACE_RULES as readonly unknown[]).includes(doc.lidSpace) ? (doc.lidSpace as LidSpaceRule) : (() => {
      throw new ScenarioError(`${field}.lidSpace`, doc.lidSpace, `is not one of ${LID_SPACE_RULES.join(', ')}`);
    })();
  const topologyInput = doc.topology === undefined ? { kind: 'fat-tree' } : topologyFromJson(`${field}.topology`, doc.topology, baseDir);
  const topology = validateTopologyInput(`${field}.topology`, topologyInput);
  if (isTopologyObject(topology)) throw new ScenarioError(`${field}.topology`, 'object', 'is not a topology description');
  const spec: TopologySpecInput = topology;

  const ef = `${field}.explicit`;
  const e = doc.explicit;
  if (!isObject(e)) throw new ScenarioError(ef, e, 'is not an object');
  reject(ef, e, EXPLICIT_KEYS);
  if (e.hosts === undefined) throw new ScenarioError(`${ef}.hosts`, undefined, 'is required');
  const hosts = uint(`${ef}.hosts`, e.hosts, 0xffffffff);
  const slotsPerHost = uint(`${ef}.slotsPerHost`, e.slotsPerHost ?? 128, 0xff);

  let hostPortGuidHigh: Uint32Array | undefined;
  let hostPortGuidLow: Uint32Array | undefined;
  if (e.hostPortGuids !== undefined) {
    const list = arrayOf(`${ef}.hostPortGuids`, e.hostPortGuids);
    hostPortGuidHigh = new Uint32Array(list.length);
    hostPortGuidLow = new Uint32Array(list.length);
    list.forEach((g, h) => {
      [hostPortGuidHigh![h], hostPortGuidLow![h]] = guid(`${ef}.hostPortGuids[${h}]`, g);
    });
  }

  const vmList = e.vms === undefined ? [] : arrayOf(`${ef}.vms`, e.vms);
  const vms = vmList.length;
  const vmHost = new Uint32Array(vms);
  const slotGiven = vmList.some((vm) => isObject(vm) && vm.slot !== undefined);
  const vmSlot = slotGiven ? new Uint8Array(vms) : undefined;
  const guidGiven = vmList.some((vm) => isObject(vm) && vm.vguid !== undefined);
  const vmGuidHigh = guidGiven ? new Uint32Array(vms) : undefined;
  const vmGuidLow = guidGiven ? new Uint32Array(vms) : undefined;
  const peerStart = new Uint32Array(vms + 1);
  const peers: number[] = [];
  vmList.forEach((vm, v) => {
    const vf = `${ef}.vms[${v}]`;
    if (!isObject(vm)) throw new ScenarioError(vf, vm, 'is not an object ({ "host": n, ... })');
    reject(vf, vm, VM_KEYS);
    if (vm.host === undefined) throw new ScenarioError(`${vf}.host`, undefined, 'is required');
    vmHost[v] = uint(`${vf}.host`, vm.host, 0xffffffff);
    if (vmSlot !== undefined) {
      if (vm.slot === undefined) throw new ScenarioError(`${vf}.slot`, undefined, 'is required once any VM gives its slot');
      vmSlot[v] = uint(`${vf}.slot`, vm.slot, 0xff);
    }
    if (vmGuidHigh !== undefined) {
      if (vm.vguid === undefined) throw new ScenarioError(`${vf}.vguid`, undefined, 'is required once any VM gives its vguid');
      [vmGuidHigh[v], vmGuidLow![v]] = guid(`${vf}.vguid`, vm.vguid);
    }
    const list = vm.peers === undefined ? [] : arrayOf(`${vf}.peers`, vm.peers);
    list.forEach((p, i) => peers.push(uint(`${vf}.peers[${i}]`, p, 0xffffffff)));
    peerStart[v + 1] = peers.length;
  });

  const migList = e.migrations === undefined ? [] : arrayOf(`${ef}.migrations`, e.migrations);
  const n = migList.length;
  const migrationTimeNs = new Float64Array(n);
  const migrationVm = new Uint32Array(n);
  const migrationDestHost = new Uint32Array(n);
  const slotsGiven = migList.some((m) => isObject(m) && m.destSlot !== undefined);
  const migrationDestSlot = slotsGiven ? new Uint8Array(n) : undefined;
  migList.forEach((m, i) => {
    const mf = `${ef}.migrations[${i}]`;
    if (!isObject(m)) throw new ScenarioError(mf, m, 'is not an object ({ "timeNs": t, "vm": v, "destHost": h })');
    reject(mf, m, MIGRATION_KEYS);
    for (const key of ['timeNs', 'vm', 'destHost']) if (m[key] === undefined) throw new ScenarioError(`${mf}.${key}`, undefined, 'is required');
    if (typeof m.timeNs !== 'number' || !Number.isFinite(m.timeNs) || m.timeNs < 0) throw new ScenarioError(`${mf}.timeNs`, m.timeNs, 'is not a time >= 0 ns');
    migrationTimeNs[i] = m.timeNs;
    migrationVm[i] = uint(`${mf}.vm`, m.vm, 0xffffffff);
    migrationDestHost[i] = uint(`${mf}.destHost`, m.destHost, 0xffffffff);
    if (migrationDestSlot !== undefined) {
      if (m.destSlot === undefined) throw new ScenarioError(`${mf}.destSlot`, undefined, 'is required once any migration gives its destSlot');
      migrationDestSlot[i] = uint(`${mf}.destSlot`, m.destSlot, 0xff);
    }
  });

  const arrays = {
    hosts,
    slotsPerHost,
    vmHost,
    peerStart,
    peerList: Uint32Array.from(peers),
    migrationTimeNs,
    migrationVm,
    migrationDestHost,
    ...(hostPortGuidHigh === undefined ? {} : { hostPortGuidHigh, hostPortGuidLow: hostPortGuidLow! }),
    ...(vmSlot === undefined ? {} : { vmSlot }),
    ...(vmGuidHigh === undefined ? {} : { vmGuidHigh, vmGuidLow: vmGuidLow! }),
    ...(migrationDestSlot === undefined ? {} : { migrationDestSlot }),
  };
  return buildExplicitScenario(arrays, seed, spec, lidSpace, ef, jsonEntryNames(ef));
}

/**
 * Options as a parameters file holds them: validated, defaults filled in, fields that do not
 * apply to the chosen patterns dropped, and the topology as its spec.
 */
export function optionsForFile(options: ScenarioOptions): ScenarioOptions {
  const resolved = resolveScenarioOptions(options); // validates; throws ScenarioError on bad input
  let spec: TopologySpecInput | undefined;
  if (isTopologyObject(resolved.topology)) {
    spec = topologySpecOf(resolved.topology);
    if (spec === undefined) throw new ScenarioError('scenario.topology', resolved.topology.kind, 'is a topology object without a spec; it cannot be written to a file');
  } else spec = resolved.topology;
  return optionsToPlain(resolved, spec);
}

function isScenario(v: Scenario | ScenarioOptions): v is Scenario {
  return (v as Scenario).vmHost instanceof Uint32Array;
}

/**
 * The JSON document for a scenario: its parameters when it was generated (unless `explicit`),
 * otherwise every VM and migration written out.
 */
export function scenarioToJson(value: Scenario | ScenarioOptions, explicit = false): Record<string, unknown> {
  if (!isScenario(value)) return { format: SCENARIO_FORMAT, ...optionsForFile(value) };
  if (!explicit && value.options !== undefined) return { format: SCENARIO_FORMAT, ...optionsForFile(value.options) };
  const spec = topologySpecOf(value.topology);
  if (spec === undefined) throw new ScenarioError('scenario.topology', value.topology.kind, 'has no spec; it cannot be written to a file');
  const vms: Array<Record<string, unknown>> = [];
  for (let v = 0; v < value.vms; v++) {
    vms.push({
      host: value.vmHost[v],
      slot: value.vmSlot[v],
      vguid: guidText(value.vmGuidHigh[v]!, value.vmGuidLow[v]!),
      peers: Array.from(value.peerList.subarray(value.peerStart[v], value.peerStart[v + 1])),
    });
  }
  const migrations: Array<Record<string, unknown>> = [];
  for (let i = 0; i < value.migrationVm.length; i++) {
    const m: Record<string, unknown> = { timeNs: value.migrationTimeNs[i], vm: value.migrationVm[i], destHost: value.migrationDestHost[i] };
    if (value.migrationDestSlot !== undefined) m.destSlot = value.migrationDestSlot[i];
    migrations.push(m);
  }
  const hostPortGuids: string[] = [];
  for (let h = 0; h < value.hosts; h++) hostPortGuids.push(guidText(value.hostPortGuidHigh[h]!, value.hostPortGuidLow[h]!));
  const doc: Record<string, unknown> = {
    format: SCENARIO_FORMAT,
    seed: value.seed,
    topology: spec,
    explicit: { hosts: value.hosts, slotsPerHost: value.slotsPerHost, hostPortGuids, vms, migrations },
  };
  const lidSpace = value.options?.lidSpace ?? value.description.lidSpace;
  if (lidSpace !== undefined && lidSpace !== 'strict') doc.lidSpace = lidSpace;
  return doc;
}
