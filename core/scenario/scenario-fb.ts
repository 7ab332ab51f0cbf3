// The flatbuffers form of a scenario (schema: scenario.fbs, file identifier "RPSC"). A
// generated scenario is stored as its parameters (a few dozen bytes, rebuilt bit for bit by
// the generator); an explicit one as its arrays, copied in and out as whole typed-array
// blocks, not element by element, so a 6.29 M-VM scenario moves at memory speed.
import * as flatbuffers from 'flatbuffers';
import { endianness } from 'node:os';
import type { Scenario } from './scenario.js';
import { ScenarioError } from './scenario-error.js';
import { generateScenario, topologySpecOf } from './generator.js';
import { buildExplicitScenario } from './explicit.js';
import { optionsForFile } from './scenario-json.js';
import { resolveScenarioOptions, type LidSpaceRule, type ScenarioOptions } from './scenario-options.js';
import type { CommPattern as CommPatternName, MigrationPattern as MigrationPatternName } from './scenario.js';
import type { TopologySpecInput } from '../topology/index.js';
import { CommPattern } from './fbs/repath/fb/comm-pattern.js';
import { ExplicitArrays } from './fbs/repath/fb/explicit-arrays.js';
import { LidSpace } from './fbs/repath/fb/lid-space.js';
import { MigrationPattern } from './fbs/repath/fb/migration-pattern.js';
import { Parameters } from './fbs/repath/fb/parameters.js';
import { ScenarioFile } from './fbs/repath/fb/scenario-file.js';
import { Topology as FbTopology } from './fbs/repath/fb/topology.js';
import { TopologyKind } from './fbs/repath/fb/topology-kind.js';

export const SCENARIO_FB_VERSION = 1;

const COMM: Record<CommPatternName, CommPattern> = { uniform: CommPattern.Uniform, tenant: CommPattern.Tenant, ring: CommPattern.Ring };
const MIGRATION: Record<MigrationPatternName, MigrationPattern> = {
  single: MigrationPattern.Single,
  storm: MigrationPattern.Storm,
  evacuate: MigrationPattern.Evacuate,
  rolling: MigrationPattern.Rolling,
};
const LID: Record<LidSpaceRule, LidSpace> = { strict: LidSpace.Strict, 'hosts-only': LidSpace.HostsOnly };

function nameOf<T extends string>(table: Record<T, number>, value: number, field: string): T {
  for (const [name, v] of Object.entries(table) as Array<[T, number]>) if (v === value) return name;
  throw new ScenarioError(field, value, `is not a known enum value (${Object.keys(table).join(', ')})`);
}

// ---- writing

type TypedArray = Uint8Array | Uint32Array | Float64Array;

/** A vector of numbers copied in one block (flatbuffers is little-endian, as is this machine). */
function typedVector(b: flatbuffers.Builder, data: TypedArray): flatbuffers.Offset {
  const size = data.BYTES_PER_ELEMENT;
  if (endianness() !== 'LE') throw new ScenarioError('scenario file', endianness(), 'byte order is not supported for writing (little-endian only)');
  b.startVector(size, data.length, size);
  const inner = b as unknown as { space: number; bb: flatbuffers.ByteBuffer };
  inner.space -= data.byteLength;
  inner.bb.setPosition(inner.space);
  inner.bb.bytes().set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), inner.space);
  return b.endVector();
}

// flatc 2.0.8's TypeScript adders for optional scalars ("= null") pass 0 as the default, so
// an explicit 0 (evacuateHost 0, sm 0) would be left out and read back as absent. Forcing
// defaults while a table is built writes every field we add, 0 included.
function writeTopology(b: flatbuffers.Builder, spec: TopologySpecInput): flatbuffers.Offset {
  b.forceDefaults(true);
  try {
    return writeTopologyFields(b, spec);
  } finally {
    b.forceDefaults(false);
  }
}

function writeTopologyFields(b: flatbuffers.Builder, spec: TopologySpecInput): flatbuffers.Offset {
  if (spec.kind === 'fat-tree') {
    FbTopology.startTopology(b);
    FbTopology.addKind(b, TopologyKind.FatTree);
    if (spec.radix !== undefined) FbTopology.addRadix(b, spec.radix);
    if (spec.levels !== undefined) FbTopology.addLevels(b, spec.levels);
    if (spec.sm === 'separate') FbTopology.addSmSeparate(b, true);
    else if (spec.sm !== undefined) FbTopology.addSmHost(b, spec.sm);
    return FbTopology.endTopology(b);
  }
  const text = b.createString(spec.text);
  FbTopology.startTopology(b);
  FbTopology.addKind(b, TopologyKind.Ibnetdiscover);
  FbTopology.addNetText(b, text);
  if (spec.smHost !== undefined) FbTopology.addSmHost(b, spec.smHost);
  return FbTopology.endTopology(b);
}

function writeParameters(b: flatbuffers.Builder, o: ScenarioOptions): flatbuffers.Offset {
  const topology = o.topology === undefined ? 0 : writeTopology(b, o.topology as TopologySpecInput);
  const r = resolveScenarioOptions(o);
  b.forceDefaults(true); // see writeTopology
  Parameters.startParameters(b);
  Parameters.addSeed(b, r.seed);
  Parameters.addHosts(b, r.hosts);
  Parameters.addSlotsPerHost(b, r.slotsPerHost);
  Parameters.addVmsPerHost(b, r.vmsPerHost);
  Parameters.addSpareHosts(b, r.spareHosts);
  Parameters.addPeersPerVm(b, r.peersPerVm);
  Parameters.addCommPattern(b, COMM[r.commPattern]);
  if (o.tenantSize !== undefined) Parameters.addTenantSize(b, o.tenantSize);
  Parameters.addMigrationPattern(b, MIGRATION[r.migrationPattern]);
  if (o.migrations !== undefined) Parameters.addMigrations(b, o.migrations);
  if (o.stormPercent !== undefined) Parameters.addStormPercent(b, o.stormPercent);
  if (o.evacuateHost !== undefined) Parameters.addEvacuateHost(b, o.evacuateHost);
  if (o.rollingHosts !== undefined) Parameters.addRollingHosts(b, o.rollingHosts);
  if (o.rollingStartHost !== undefined) Parameters.addRollingStartHost(b, o.rollingStartHost);
  Parameters.addMigrationStartNs(b, r.migrationStartNs);
  Parameters.addMigrationWindowNs(b, r.migrationWindowNs);
  if (topology !== 0) Parameters.addTopology(b, topology);
  Parameters.addLidSpace(b, LID[r.lidSpace]);
  const end = Parameters.endParameters(b);
  b.forceDefaults(false);
  return end;
}

function isScenario(v: Scenario | ScenarioOptions): v is Scenario {
  return (v as Scenario).vmHost instanceof Uint32Array;
}

/**
 * Encodes a scenario: parameters only for options or a generated scenario, unless `explicit`
 * (or the scenario has no parameters), in which case the arrays are stored too.
 */
export function encodeScenarioFb(value: Scenario | ScenarioOptions, explicit = false): Uint8Array {
  const options = isScenario(value) ? value.options : value;
  const withArrays = isScenario(value) && (explicit || options === undefined);
  const arrayBytes = isScenario(value) && withArrays
    ? value.hostPortGuidHigh.byteLength * 2 + value.vmHost.byteLength * 3 + value.vmSlot.byteLength + value.peerStart.byteLength +
      value.peerList.byteLength + value.migrationVm.byteLength * 4
    : 0;
  const b = new flatbuffers.Builder(1024 + arrayBytes + 64 * 1024);
  const params = options === undefined ? 0 : writeParameters(b, optionsForFile(options));
  let arrays = 0;
  let topology = 0;
  if (isScenario(value) && withArrays) {
    const spec = topologySpecOf(value.topology);
    if (spec === undefined) throw new ScenarioError('scenario.topology', value.topology.kind, 'has no spec; it cannot be written to a file');
    topology = writeTopology(b, spec);
    const v = value;
    const hgh = typedVector(b, v.hostPortGuidHigh);
    const hgl = typedVector(b, v.hostPortGuidLow);
    const vh = typedVector(b, v.vmHost);
    const vs = typedVector(b, v.vmSlot);
    const vgh = typedVector(b, v.vmGuidHigh);
    const vgl = typedVector(b, v.vmGuidLow);
    const ps = typedVector(b, v.peerStart);
    const pl = typedVector(b, v.peerList);
    const mt = typedVector(b, v.migrationTimeNs);
    const mv = typedVector(b, v.migrationVm);
    const md = typedVector(b, v.migrationDestHost);
    const ms = v.migrationDestSlot === undefined ? 0 : typedVector(b, v.migrationDestSlot);
    ExplicitArrays.startExplicitArrays(b);
    ExplicitArrays.addHosts(b, v.hosts);
    ExplicitArrays.addSlotsPerHost(b, v.slotsPerHost);
    ExplicitArrays.addHostPortGuidHigh(b, hgh);
    ExplicitArrays.addHostPortGuidLow(b, hgl);
    ExplicitArrays.addVmHost(b, vh);
    ExplicitArrays.addVmSlot(b, vs);
    ExplicitArrays.addVmGuidHigh(b, vgh);
    ExplicitArrays.addVmGuidLow(b, vgl);
    ExplicitArrays.addPeerStart(b, ps);
    ExplicitArrays.addPeerList(b, pl);
    ExplicitArrays.addMigrationTimeNs(b, mt);
    ExplicitArrays.addMigrationVm(b, mv);
    ExplicitArrays.addMigrationDestHost(b, md);
    if (ms !== 0) ExplicitArrays.addMigrationDestSlot(b, ms);
    arrays = ExplicitArrays.endExplicitArrays(b);
  }
  ScenarioFile.startScenarioFile(b);
  ScenarioFile.addFormatVersion(b, SCENARIO_FB_VERSION);
  ScenarioFile.addSeed(b, isScenario(value) ? value.seed : (options?.seed ?? 1));
  if (params !== 0) ScenarioFile.addParameters(b, params);
  if (arrays !== 0) ScenarioFile.addExplicit(b, arrays);
  if (topology !== 0) ScenarioFile.addTopology(b, topology);
  if (isScenario(value) && withArrays) {
    const lidSpace = (options?.lidSpace ?? value.description.lidSpace ?? 'strict') as LidSpaceRule;
    ScenarioFile.addLidSpace(b, LID[lidSpace] ?? LidSpace.Strict);
  }
  ScenarioFile.finishScenarioFileBuffer(b, ScenarioFile.endScenarioFile(b));
  return b.asUint8Array();
}

// ---- reading

function readTopology(t: FbTopology, field: string): TopologySpecInput {
  const kind = t.kind();
  if (kind === TopologyKind.FatTree) {
    const spec: { kind: 'fat-tree'; radix?: number; levels?: number; sm?: number | 'separate' } = { kind: 'fat-tree' };
    const radix = t.radix();
    const levels = t.levels();
    const sm = t.smHost();
    if (radix !== null) spec.radix = radix;
    if (levels !== null) spec.levels = levels;
    if (t.smSeparate()) spec.sm = 'separate';
    else if (sm !== null) spec.sm = sm;
    return spec;
  }
  if (kind === TopologyKind.Ibnetdiscover) {
    const text = t.netText();
    if (text === null || text.length === 0) throw new ScenarioError(`${field}.netText`, text, 'is missing; an ibnetdiscover topology carries its net file');
    const sm = t.smHost();
    return sm === null ? { kind: 'ibnetdiscover', text } : { kind: 'ibnetdiscover', text, smHost: sm };
  }
  throw new ScenarioError(`${field}.kind`, kind, 'is not a known topology kind (0 fat-tree, 1 ibnetdiscover)');
}

function readParameters(p: Parameters): ScenarioOptions {
  const f = 'scenario';
  const o: Record<string, unknown> = {
    seed: p.seed(),
    hosts: p.hosts(),
    slotsPerHost: p.slotsPerHost(),
    vmsPerHost: p.vmsPerHost(),
    spareHosts: p.spareHosts(),
    peersPerVm: p.peersPerVm(),
    commPattern: nameOf(COMM, p.commPattern(), `${f}.commPattern`),
    migrationPattern: nameOf(MIGRATION, p.migrationPattern(), `${f}.migrationPattern`),
    migrationStartNs: p.migrationStartNs(),
    migrationWindowNs: p.migrationWindowNs(),
    lidSpace: nameOf(LID, p.lidSpace(), `${f}.lidSpace`),
  };
  const optional: Array<[string, number | null]> = [
    ['tenantSize', p.tenantSize()],
    ['migrations', p.migrations()],
    ['stormPercent', p.stormPercent()],
    ['evacuateHost', p.evacuateHost()],
    ['rollingHosts', p.rollingHosts()],
    ['rollingStartHost', p.rollingStartHost()],
  ];
  for (const [key, value] of optional) if (value !== null) o[key] = value;
  const t = p.topology();
  if (t !== null) o.topology = readTopology(t, `${f}.topology`);
  return o as unknown as ScenarioOptions;
}

/** Copies a vector out of the file (the file's buffer may be freed or reused). */
function copied<T extends TypedArray>(view: T | null, field: string): T {
  if (view === null) throw new ScenarioError(field, null, 'is missing from the explicit arrays');
  return view.slice() as T;
}

/** Decodes a scenario flatbuffer; any damage stops with a ScenarioError, never a TypeError. */
export function decodeScenarioFb(bytes: Uint8Array, source = 'scenario file'): Scenario {
  // Typed-array views of vectors need the buffer aligned to 8 bytes.
  const aligned = bytes.byteOffset % 8 === 0 ? bytes : bytes.slice();
  try {
    if (aligned.byteLength < 8) throw new ScenarioError(source, `${aligned.byteLength} bytes`, 'is too short to be a scenario flatbuffer');
    const bb = new flatbuffers.ByteBuffer(aligned);
    if (!ScenarioFile.bufferHasIdentifier(bb)) throw new ScenarioError(source, bb.getBufferIdentifier(), 'does not carry the scenario file identifier "RPSC"');
    const file = ScenarioFile.getRootAsScenarioFile(bb);
    const version = file.formatVersion();
    if (version !== SCENARIO_FB_VERSION) throw new ScenarioError('scenario.formatVersion', version, `is not ${SCENARIO_FB_VERSION}`);
    const e = file.explicit();
    const params = file.parameters();
    if (e === null) {
      if (params === null) throw new ScenarioError('scenario.parameters', null, 'is missing and there are no explicit arrays');
      return generateScenario(readParameters(params));
    }
    const p = 'scenario.explicit';
    const t = file.topology();
    const spec: TopologySpecInput = t === null ? { kind: 'fat-tree' } : readTopology(t, 'scenario.topology');
    const lidSpace = nameOf(LID, file.lidSpace(), 'scenario.lidSpace');
    const destSlot = e.migrationDestSlotArray();
    return buildExplicitScenario(
      {
        hosts: e.hosts(),
        slotsPerHost: e.slotsPerHost(),
        hostPortGuidHigh: copied(e.hostPortGuidHighArray(), `${p}.hostPortGuidHigh`),
        hostPortGuidLow: copied(e.hostPortGuidLowArray(), `${p}.hostPortGuidLow`),
        vmHost: copied(e.vmHostArray(), `${p}.vmHost`),
        vmSlot: copied(e.vmSlotArray(), `${p}.vmSlot`),
        vmGuidHigh: copied(e.vmGuidHighArray(), `${p}.vmGuidHigh`),
        vmGuidLow: copied(e.vmGuidLowArray(), `${p}.vmGuidLow`),
        peerStart: copied(e.peerStartArray(), `${p}.peerStart`),
        peerList: copied(e.peerListArray() ?? new Uint32Array(0), `${p}.peerList`),
        migrationTimeNs: copied(e.migrationTimeNsArray() ?? new Float64Array(0), `${p}.migrationTimeNs`),
        migrationVm: copied(e.migrationVmArray() ?? new Uint32Array(0), `${p}.migrationVm`),
        migrationDestHost: copied(e.migrationDestHostArray() ?? new Uint32Array(0), `${p}.migrationDestHost`),
        ...(destSlot === null ? {} : { migrationDestSlot: destSlot.slice() }),
      },
      file.seed(),
      spec,
      lidSpace,
      p,
    );
  } catch (err) {
    if (err instanceof ScenarioError) throw err;
    // A damaged buffer makes the flatbuffers accessors read out of range.
    throw new ScenarioError(source, `${bytes.byteLength} bytes`, `is not a valid scenario flatbuffer (${(err as Error).message})`);
  }
}
