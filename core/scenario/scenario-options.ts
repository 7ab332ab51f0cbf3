// The parameters a scenario is generated from, their defaults and their validation. The
// same checks serve the TypeScript API, the CLI, JSON files and flatbuffers files, so every
// bad value stops with a ScenarioError naming the field, whichever way it came in.
import { COMM_PATTERNS, MIGRATION_PATTERNS, type CommPattern, type MigrationPattern, type Topology } from './scenario.js';
import { ScenarioError } from './scenario-error.js';
import { MAX_SLOTS_PER_HOST, UNICAST_LIDS } from '../topology/lid-space.js';
import type { TopologySpecInput } from '../topology/index.js';

/** A topology as a scenario names it: rebuilt from this description, or given as an object. */
export type TopologyInput =
  | { kind: 'fat-tree'; radix?: number; levels?: number; sm?: number | 'separate' }
  | { kind: 'ibnetdiscover'; text: string; smHost?: number }
  | Topology;

export const LID_SPACE_RULES = ['strict', 'hosts-only'] as const;
export type LidSpaceRule = (typeof LID_SPACE_RULES)[number];

export interface ScenarioOptions {
  /** PRNG seed, an unsigned 32-bit integer. Default 1. */
  seed?: number;
  /**
   * Physical hosts (one HCA port, one LID each): 1..49,151, see lidSpace. Required, except
   * with an ibnetdiscover topology (or a topology object with a hostCount), whose HCA ports
   * are the hosts.
   */
  hosts?: number;
  /** VF slots per host, 1..128 (mlx4 offers 128 alias GUIDs per port). Default 128. */
  slotsPerHost?: number;
  /** VMs placed on each populated host, 1..slotsPerHost. Default slotsPerHost. */
  vmsPerHost?: number;
  /** Hosts left empty at the end of the host range, as migration targets. Default 0. */
  spareHosts?: number;
  /** Peers each VM talks to (and caches a path to), 0..1024. Default 8. */
  peersPerVm?: number;
  /** Who talks to whom. Default "uniform". */
  commPattern?: CommPattern;
  /** VMs per tenant for the "tenant" pattern (the last tenant takes the remainder). Default 32. */
  tenantSize?: number;
  /** Default "single", or "storm" when migrations/stormPercent is given. */
  migrationPattern?: MigrationPattern;
  /** Storm: how many distinct VMs migrate. */
  migrations?: number;
  /** Storm: the share of all VMs that migrate, in percent (0, 100]. */
  stormPercent?: number;
  /** Evacuate: the host emptied. Default: a seeded random populated host. */
  evacuateHost?: number;
  /** Rolling: how many hosts are maintained one after another. Default min(4, populated hosts). */
  rollingHosts?: number;
  /** Rolling: the first host maintained; the next ones follow in index order. Default 0. */
  rollingStartHost?: number;
  /** Virtual time of the first migration, ns. Default 1,000,000 (1 ms, after subscriptions). */
  migrationStartNs?: number;
  /** Migrations are spread over [start, start + window), ns. Default 100,000,000 (100 ms). */
  migrationWindowNs?: number;
  /** Default: a radix-36 fat tree with the SM on host 0. */
  topology?: TopologyInput;
  /**
   * "strict" (default): hosts + switches + a separate SM node must fit the 49,151 unicast
   * LIDs. "hosts-only": only hosts are counted, for runs at the full LID space that model
   * switch hops but not switch LIDs.
   */
  lidSpace?: LidSpaceRule;
}

/** Options with every default filled in; what a scenario records about its own making. */
export interface ResolvedScenarioOptions {
  seed: number;
  hosts: number;
  slotsPerHost: number;
  vmsPerHost: number;
  spareHosts: number;
  peersPerVm: number;
  commPattern: CommPattern;
  tenantSize: number;
  migrationPattern: MigrationPattern;
  migrations: number | undefined;
  stormPercent: number | undefined;
  evacuateHost: number | undefined;
  rollingHosts: number;
  rollingStartHost: number;
  migrationStartNs: number;
  migrationWindowNs: number;
  topology: TopologyInput;
  lidSpace: LidSpaceRule;
}

export const OPTION_KEYS: ReadonlyArray<keyof ScenarioOptions> = [
  'seed', 'hosts', 'slotsPerHost', 'vmsPerHost', 'spareHosts', 'peersPerVm', 'commPattern', 'tenantSize',
  'migrationPattern', 'migrations', 'stormPercent', 'evacuateHost', 'rollingHosts', 'rollingStartHost',
  'migrationStartNs', 'migrationWindowNs', 'topology', 'lidSpace',
];

export const DEFAULTS = {
  seed: 1,
  slotsPerHost: MAX_SLOTS_PER_HOST,
  spareHosts: 0,
  peersPerVm: 8,
  commPattern: 'uniform' as CommPattern,
  tenantSize: 32,
  rollingHosts: 4,
  migrationStartNs: 1_000_000,
  migrationWindowNs: 100_000_000,
  radix: 36,
  lidSpace: 'strict' as LidSpaceRule,
} as const;

export function isTopologyObject(t: unknown): t is Topology {
  return typeof t === 'object' && t !== null && typeof (t as Topology).hopsBetweenHosts === 'function';
}

function int(field: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ScenarioError(field, value, `is not ${typeof value === 'number' && Number.isInteger(value) ? '' : 'an integer '}in ${min}..${max}`);
  }
  return value;
}

function oneOf<T extends string>(field: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new ScenarioError(field, value, `is not one of ${allowed.join(', ')}`);
  }
  return value as T;
}

function rejectUnknown(field: string, value: object, known: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) throw new ScenarioError(`${field}.${key}`, (value as Record<string, unknown>)[key], `is not a known field (known: ${known.join(', ')})`);
  }
}

/** Checks a topology description; `field` is its path for messages. */
export function validateTopologyInput(field: string, value: unknown): TopologyInput {
  if (isTopologyObject(value)) return value;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ScenarioError(field, value, 'is not a topology object ({"kind": "fat-tree" | "ibnetdiscover", ...})');
  }
  const t = value as Record<string, unknown>;
  const kind = oneOf(`${field}.kind`, t.kind, ['fat-tree', 'ibnetdiscover'] as const);
  if (kind === 'fat-tree') {
    rejectUnknown(field, t, ['kind', 'radix', 'levels', 'sm']);
    const out: { kind: 'fat-tree'; radix?: number; levels?: number; sm?: number | 'separate' } = { kind };
    if (t.radix !== undefined) {
      out.radix = int(`${field}.radix`, t.radix, 4, 256);
      if (out.radix % 2 !== 0) throw new ScenarioError(`${field}.radix`, t.radix, 'is not even (half the ports go down, half up)');
    }
    if (t.levels !== undefined) out.levels = int(`${field}.levels`, t.levels, 1, 16);
    if (t.sm !== undefined) out.sm = t.sm === 'separate' ? 'separate' : int(`${field}.sm`, t.sm, 0, UNICAST_LIDS - 1);
    return out;
  }
  rejectUnknown(field, t, ['kind', 'text', 'smHost']);
  if (typeof t.text !== 'string' || t.text.length === 0) throw new ScenarioError(`${field}.text`, t.text, 'is not the text of an ibnetdiscover / ibsim net file');
  const out: { kind: 'ibnetdiscover'; text: string; smHost?: number } = { kind, text: t.text };
  if (t.smHost !== undefined) out.smHost = int(`${field}.smHost`, t.smHost, 0, UNICAST_LIDS - 1);
  return out;
}

/**
 * Validates options (from code or a parsed file) and fills defaults. `field` prefixes the
 * messages ("scenario"). Cross-field rules that depend on the topology or on occupancy are
 * checked by the generator.
 */
export function resolveScenarioOptions(raw: unknown, field = 'scenario'): ResolvedScenarioOptions {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ScenarioError(field, raw, 'is not an object of scenario options');
  const o = raw as Record<string, unknown>;
  rejectUnknown(field, o, OPTION_KEYS as readonly string[]);
  const f = (name: string): string => `${field}.${name}`;
  if (o.hosts === undefined) throw new ScenarioError(f('hosts'), undefined, `is required (1..${UNICAST_LIDS})`);
  const hosts = int(f('hosts'), o.hosts, 1, UNICAST_LIDS);
  const seed = o.seed === undefined ? DEFAULTS.seed : int(f('seed'), o.seed, 0, 0xffffffff);
  const slotsPerHost = o.slotsPerHost === undefined ? DEFAULTS.slotsPerHost : int(f('slotsPerHost'), o.slotsPerHost, 1, MAX_SLOTS_PER_HOST);
  const vmsPerHost = o.vmsPerHost === undefined ? slotsPerHost : int(f('vmsPerHost'), o.vmsPerHost, 1, MAX_SLOTS_PER_HOST);
  if (vmsPerHost > slotsPerHost) throw new ScenarioError(f('vmsPerHost'), vmsPerHost, `is more than slotsPerHost ${slotsPerHost}`);
  const spareHosts = o.spareHosts === undefined ? DEFAULTS.spareHosts : int(f('spareHosts'), o.spareHosts, 0, hosts - 1);
  const peersPerVm = o.peersPerVm === undefined ? DEFAULTS.peersPerVm : int(f('peersPerVm'), o.peersPerVm, 0, 1024);
  const commPattern = o.commPattern === undefined ? DEFAULTS.commPattern : oneOf(f('commPattern'), o.commPattern, COMM_PATTERNS);
  if (o.tenantSize !== undefined && commPattern !== 'tenant') throw new ScenarioError(f('tenantSize'), o.tenantSize, `applies only to commPattern "tenant", not "${commPattern}"`);
  const tenantSize = o.tenantSize === undefined ? DEFAULTS.tenantSize : int(f('tenantSize'), o.tenantSize, 2, 0xffffffff);

  const stormGiven = o.migrations !== undefined || o.stormPercent !== undefined;
  const migrationPattern: MigrationPattern =
    o.migrationPattern === undefined ? (stormGiven ? 'storm' : 'single') : oneOf(f('migrationPattern'), o.migrationPattern, MIGRATION_PATTERNS);
  const onlyFor = (name: string, pattern: MigrationPattern): void => {
    if (o[name] !== undefined && migrationPattern !== pattern) {
      throw new ScenarioError(f(name), o[name], `applies only to migrationPattern "${pattern}", not "${migrationPattern}"`);
    }
  };
  onlyFor('migrations', 'storm');
  onlyFor('stormPercent', 'storm');
  onlyFor('evacuateHost', 'evacuate');
  onlyFor('rollingHosts', 'rolling');
  onlyFor('rollingStartHost', 'rolling');
  let migrations: number | undefined;
  let stormPercent: number | undefined;
  if (migrationPattern === 'storm') {
    if (o.migrations !== undefined && o.stormPercent !== undefined) {
      throw new ScenarioError(f('stormPercent'), o.stormPercent, 'is given together with migrations; a storm takes one or the other');
    }
    if (o.migrations !== undefined) migrations = int(f('migrations'), o.migrations, 1, 0xffffffff);
    else if (o.stormPercent !== undefined) {
      const p = o.stormPercent;
      if (typeof p !== 'number' || !Number.isFinite(p) || p <= 0 || p > 100) throw new ScenarioError(f('stormPercent'), p, 'is not a percentage in (0, 100]');
      stormPercent = p;
    } else throw new ScenarioError(f('migrations'), undefined, 'is required by migrationPattern "storm" (or give stormPercent)');
  }
  const evacuateHost = o.evacuateHost === undefined ? undefined : int(f('evacuateHost'), o.evacuateHost, 0, hosts - 1);
  const rollingHosts = o.rollingHosts === undefined ? Math.min(DEFAULTS.rollingHosts, hosts) : int(f('rollingHosts'), o.rollingHosts, 1, hosts);
  const rollingStartHost = o.rollingStartHost === undefined ? 0 : int(f('rollingStartHost'), o.rollingStartHost, 0, hosts - 1);
  const time = (name: string, def: number, min: number): number => {
    const v = o[name];
    if (v === undefined) return def;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) throw new ScenarioError(f(name), v, `is not an integer number of nanoseconds >= ${min}`);
    return v;
  };
  const migrationStartNs = time('migrationStartNs', DEFAULTS.migrationStartNs, 0);
  const migrationWindowNs = time('migrationWindowNs', DEFAULTS.migrationWindowNs, 1);
  const topology = o.topology === undefined ? { kind: 'fat-tree' as const } : validateTopologyInput(f('topology'), o.topology);
  const lidSpace = o.lidSpace === undefined ? DEFAULTS.lidSpace : oneOf(f('lidSpace'), o.lidSpace, LID_SPACE_RULES);
  return {
    seed, hosts, slotsPerHost, vmsPerHost, spareHosts, peersPerVm, commPattern, tenantSize, migrationPattern,
    migrations, stormPercent, evacuateHost, rollingHosts, rollingStartHost, migrationStartNs, migrationWindowNs,
    topology, lidSpace,
  };
}

/** The options as plain data (for files): undefined fields dropped, topology as its spec. */
export function optionsToPlain(o: ResolvedScenarioOptions, topologySpec: TopologySpecInput | undefined): ScenarioOptions {
  const out: Record<string, unknown> = {};
  for (const key of OPTION_KEYS) {
    const v = o[key as keyof ResolvedScenarioOptions];
    if (v !== undefined && key !== 'topology') out[key] = v;
  }
  if (o.migrationPattern !== 'rolling') {
    delete out.rollingHosts;
    delete out.rollingStartHost;
  }
  if (o.commPattern !== 'tenant') delete out.tenantSize;
  // A topology object without a spec stays as it is: writing it to a file then fails loudly
  // instead of silently falling back to the default fat tree.
  if (topologySpec !== undefined) out.topology = topologySpec;
  else if (isTopologyObject(o.topology)) out.topology = o.topology;
  return out as unknown as ScenarioOptions;
}
