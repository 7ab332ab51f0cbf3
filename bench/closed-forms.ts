// DESIGN.md's exact counts ("closed forms"), computed from a scenario's structure alone, and the
// checks that put them beside what a run measured.
//
// For ONE migration of VM x, every host and VM subscribed, no loss (H hosts, N VMs, deg(x) VMs
// caching a path to x, H_x hosts holding them): per-vguid N Reports and N ReportResps; per-pf
// H and H, Dom0 forwards N; per-pf-interest H_x and H_x, forwards deg(x); subscription setup N or
// H InformInfo Sets, each answered; cache updates deg(x) in every scheme.
//
// A storm of M migrations keeps some of these and legitimately bends others, so the checks come
// in two kinds:
// - `exact` checks must hold in any regime (a mismatch is a bug): report attempts per notice
//   (every subscription is walked: sent + undeliverable = N or H per migration), one ReportResp
//   per Report, cache updates and reconnections = sum of deg(x_i), no stale entry, and for
//   per-pf-interest forwards + RC detections = sum of deg(x_i) (every peer is repaired exactly once,
//   by its Dom0 or by its RC timeout).
// - `regime` values: the single-migration form summed over the storm (N*M Reports delivered,
//   N*M forwards, no RC detection in a signalling scheme). They hold exactly while no notice
//   finds a peer in transit and every notice reaches its peers before their RC timeout; a storm
//   that saturates the SM leaves that regime. They are shown beside the measured value, never
//   failed on, and the row says which regime the run was in.
import type { Scenario, SchemeName } from '../core/scenario/scenario.js';
import type { CounterName } from '../core/metrics/counters.js';
import { rcDetectionNs, type CostModel } from '../core/engine/cost-model.js';

/** deg(v) for every VM: how many VMs hold v in their peer list (their path cache holds v). */
export function inDegrees(s: Scenario): Uint32Array {
  const deg = new Uint32Array(s.vms);
  for (let v = 0; v < s.vms; v++) {
    for (let e = s.peerStart[v]!; e < s.peerStart[v + 1]!; e++) deg[s.peerList[e]!]!++;
  }
  return deg;
}

/** H_x: distinct hosts (initial placement) of the VMs caching a path to x. */
export function hostsCaching(s: Scenario, x: number): number {
  const seen = new Uint8Array(s.hosts);
  let n = 0;
  for (let v = 0; v < s.vms; v++) {
    for (let e = s.peerStart[v]!; e < s.peerStart[v + 1]!; e++) {
      if (s.peerList[e] === x) {
        const h = s.vmHost[v]!;
        if (seen[h] === 0) {
          seen[h] = 1;
          n++;
        }
        break;
      }
    }
  }
  return n;
}

/** Populated hosts' subscribers under each scheme: what the SM walks per notice. */
export function subscribers(s: Scenario, scheme: SchemeName): number {
  if (scheme === 'per-vguid') return s.vms;
  if (scheme === 'per-pf' || scheme === 'per-pf-interest') return s.hosts;
  return 0;
}

function isSignallingScheme(scheme: SchemeName): boolean {
  return scheme === 'per-vguid' || scheme === 'per-pf' || scheme === 'per-pf-interest';
}

/** The closed forms of one migration of `x`. */
export interface SingleMigrationForm {
  x: number;
  deg: number;
  hostsCaching: number;
  /** Reports sent by the SM (= ReportResps received). */
  reports: number;
  forwards: number;
  /** VM cache checks (Algorithm 3 runs): every VM a Report or forward reaches. */
  cacheChecks: number;
  cacheUpdates: number;
  /** PathRecord queries after the RC timeout (non-signalling schemes). */
  saQueries: number;
  /** Setup: InformInfo Sets received (= responses sent). */
  informInfoSets: number;
  /** Every SM MAD of the migration phase: 6 for the move (Trap + TrapRepress, GUIDInfoRecord Delete + Set and their responses) + 2 per Report or PathRecord. */
  smMads: number;
}

/** Number of SM MADs the move itself costs in every scheme: Trap, TrapRepress, 2 GUIDInfoRecord + 2 responses. */
export const SM_MADS_PER_MOVE = 6;

export function singleMigrationForm(s: Scenario, scheme: SchemeName, x: number, deg = inDegrees(s)[x]!): SingleMigrationForm {
  const H = s.hosts;
  const N = s.vms;
  const Hx = scheme === 'per-pf-interest' ? hostsCaching(s, x) : 0;
  const reports = scheme === 'per-vguid' ? N : scheme === 'per-pf' ? H : scheme === 'per-pf-interest' ? Hx : 0;
  const forwards = scheme === 'per-pf' ? N : scheme === 'per-pf-interest' ? deg : 0;
  const cacheChecks = scheme === 'per-vguid' || scheme === 'per-pf' ? N : scheme === 'per-pf-interest' ? deg : 0;
  const saQueries = isSignallingScheme(scheme) ? 0 : deg;
  return {
    x,
    deg,
    hostsCaching: Hx,
    reports,
    forwards,
    cacheChecks,
    cacheUpdates: deg,
    saQueries,
    informInfoSets: subscribers(s, scheme),
    smMads: SM_MADS_PER_MOVE + 2 * reports + 2 * saQueries,
  };
}

/**
 * True when one migration's notice surely reaches every peer before its RC timeout: the move's
 * downtime plus the SM's transmit path sending every Report (smServiceNs each, the subscription
 * scan on top; ReportResps cost it nothing) is shorter than RC detection. Outside it, late peers are repaired by
 * the RC fallback: SA queries and detections legitimately rise above the closed form.
 */
export function singleMigrationUnsaturated(s: Scenario, scheme: SchemeName, cost: CostModel): boolean {
  const subs = subscribers(s, scheme);
  // The SM's transmit path sends one Report per subscriber at smServiceNs each after the list
  // walk; ReportResps are matched by TID without service time (core/sm/subnet-manager.ts).
  const smBusyNs = subs * cost.smServiceNs + subs * cost.smScanPerSubscriptionNs;
  return cost.migrationDowntimeNs + smBusyNs < rcDetectionNs(cost);
}

/** One count put beside its closed form. */
export interface CountCheck {
  scheme: SchemeName;
  /** "single" (the one-migration run) or "storm". */
  run: string;
  count: string;
  formula: string;
  closedForm: number;
  measured: number;
  /** "exact": must be equal; "at most": measured <= closedForm (the regime may lower it). */
  relation: 'exact' | 'at most';
  ok: boolean;
}

/** What a run measured, as the checks read it. */
export interface MeasuredRun {
  counters: Readonly<Record<CounterName, number>>;
  setup: Readonly<Record<CounterName, number>>;
  /** Reconnection latency samples recorded. */
  reconnections: number;
}

function check(scheme: SchemeName, run: string, count: string, formula: string, closedForm: number, measured: number, relation: CountCheck['relation'] = 'exact'): CountCheck {
  const ok = relation === 'exact' ? measured === closedForm : measured <= closedForm;
  return { scheme, run, count, formula, closedForm, measured, relation, ok };
}

/** Every DESIGN.md count of a one-migration run (the scenario must hold exactly one migration). */
export function checkSingleMigration(s: Scenario, scheme: SchemeName, m: MeasuredRun, cost: CostModel, o: { setupByMads?: boolean } = {}): CountCheck[] {
  if (s.migrationVm.length !== 1) throw new RangeError(`checkSingleMigration: scenario has ${s.migrationVm.length} migrations, not 1`);
  const x = s.migrationVm[0]!;
  const f = singleMigrationForm(s, scheme, x);
  const c = m.counters;
  const run = 'single';
  const subsFormula = scheme === 'per-vguid' ? 'N' : scheme === 'per-pf' || scheme === 'per-pf-interest' ? 'H' : '0';
  const repFormula = scheme === 'per-vguid' ? 'N' : scheme === 'per-pf' ? 'H' : scheme === 'per-pf-interest' ? 'H_x' : '0';
  const fwdFormula = scheme === 'per-pf' ? 'N' : scheme === 'per-pf-interest' ? 'deg(x)' : '0';
  const chkFormula = scheme === 'per-vguid' || scheme === 'per-pf' ? 'N' : scheme === 'per-pf-interest' ? 'deg(x)' : '0';
  const unsaturated = singleMigrationUnsaturated(s, scheme, cost);
  // A setup written straight into the tables ('direct') sends no InformInfo at all.
  const out =
    o.setupByMads === false
      ? []
      : [
          check(scheme, run, 'InformInfo Sets at setup', subsFormula, f.informInfoSets, m.setup.smRecvInformInfo),
          check(scheme, run, 'InformInfo responses at setup', subsFormula, f.informInfoSets, m.setup.smSentInformInfoResp),
        ];
  out.push(
    check(scheme, run, 'Reports sent by the SM', repFormula, f.reports, c.smSentReport),
    check(scheme, run, 'ReportResps received by the SM', repFormula, f.reports, c.smRecvReportResp),
    check(scheme, run, 'Dom0 forwards', fwdFormula, f.forwards, c.dom0NoticeForwards),
    check(scheme, run, 'VM cache checks', chkFormula, f.cacheChecks, c.vmCacheChecks),
    check(scheme, run, 'VM cache updates', 'deg(x)', f.cacheUpdates, c.vmCacheUpdates),
    check(scheme, run, 'reconnections recorded', 'deg(x)', f.cacheUpdates, m.reconnections),
    check(scheme, run, 'stale cache entries', '0', 0, c.staleEntries),
  );
  // Non-signalling schemes always repair by query; signalling ones only past the RC deadline.
  const saFormula = isSignallingScheme(scheme) ? '0' : 'deg(x)';
  if (unsaturated || !isSignallingScheme(scheme)) {
    out.push(check(scheme, run, 'SA PathRecord queries', saFormula, f.saQueries, c.vmSaQueries));
    out.push(check(scheme, run, 'SM MADs', `6 + 2·${repFormula === '0' ? 'deg(x)' : repFormula}`, f.smMads, smMadsOf(c)));
  } else {
    out.push(check(scheme, run, 'SA PathRecord queries (SM saturated: RC fallback allowed)', 'deg(x)', f.cacheUpdates, c.vmSaQueries, 'at most'));
  }
  return out;
}

/** Every SM MAD sent or received (the MMO of DESIGN.md). */
export function smMadsOf(c: Readonly<Record<CounterName, number>>): number {
  return (
    c.smSentReport +
    c.smSentReportRetry +
    c.smRecvReportResp +
    c.smRecvInformInfo +
    c.smSentInformInfoResp +
    c.smRecvPathRecord +
    c.smSentPathRecordResp +
    c.smRecvGuidInfoRecord +
    c.smSentGuidInfoRecordResp +
    c.smRecvTrap +
    c.smSentTrapRepress +
    c.smRecvOther +
    c.smSentErrorResp
  );
}

/** The closed forms of a storm, summed over its migrations, and the identities that always hold. */
export interface StormForm {
  migrations: number;
  /** sum over migrations of deg(x_i). */
  sumDeg: number;
  /** sum over migrations of H_x_i (initial placement). */
  sumHostsCaching: number;
  /** Single-migration forms summed: what the storm gives when it stays in the unsaturated regime. */
  reports: number;
  forwards: number;
  saQueries: number;
  smMads: number;
  /** Subscriptions walked per notice (N, H or 0). */
  subscribers: number;
}

export function stormForm(s: Scenario, scheme: SchemeName): StormForm {
  const deg = inDegrees(s);
  const f: StormForm = { migrations: s.migrationVm.length, sumDeg: 0, sumHostsCaching: 0, reports: 0, forwards: 0, saQueries: 0, smMads: 0, subscribers: subscribers(s, scheme) };
  for (let i = 0; i < s.migrationVm.length; i++) {
    const one = singleMigrationForm(s, scheme, s.migrationVm[i]!, deg[s.migrationVm[i]!]!);
    f.sumDeg += one.deg;
    f.sumHostsCaching += scheme === 'per-pf-interest' ? one.hostsCaching : 0;
    f.reports += one.reports;
    f.forwards += one.forwards;
    f.saQueries += one.saQueries;
    f.smMads += one.smMads;
  }
  return f;
}

/** The checks of a storm: identities exact in any regime, regime-dependent sums as bounds. */
export function checkStorm(s: Scenario, scheme: SchemeName, m: MeasuredRun, o: { setupByMads?: boolean } = {}): CountCheck[] {
  const f = stormForm(s, scheme);
  const c = m.counters;
  const run = 'storm';
  const M = f.migrations;
  const sym = scheme === 'per-vguid' ? 'N' : scheme === 'per-pf' || scheme === 'per-pf-interest' ? 'H' : '0';
  const out: CountCheck[] = [];
  if (o.setupByMads !== false) {
    out.push(check(scheme, run, 'InformInfo Sets at setup', sym, f.subscribers, m.setup.smRecvInformInfo));
    out.push(check(scheme, run, 'InformInfo responses at setup', sym, f.subscribers, m.setup.smSentInformInfoResp));
  }
  out.push(
    check(scheme, run, 'migrations done', 'M', M, c.migrations),
    check(scheme, run, 'VM cache updates', 'Σ deg(x_i)', f.sumDeg, c.vmCacheUpdates),
    check(scheme, run, 'reconnections recorded', 'Σ deg(x_i)', f.sumDeg, m.reconnections),
    check(scheme, run, 'stale cache entries', '0', 0, c.staleEntries),
    check(scheme, run, 'ReportResps received (one per Report, lossless)', 'Reports sent', c.smSentReport, c.smRecvReportResp),
    check(scheme, run, 'Report re-sends (lossless)', '0', 0, c.smSentReportRetry),
  );
  if (scheme === 'per-vguid' || scheme === 'per-pf') {
    // Each notice walks every subscription: a Report goes out, or the subscriber (a VM in
    // transit) has no LID at that moment and is counted undeliverable.
    out.push(check(scheme, run, 'Report attempts (sent + undeliverable)', `M·${sym}`, M * f.subscribers, c.smSentReport + c.smReportsUndeliverable));
    out.push(check(scheme, run, 'Dom0 forwards', scheme === 'per-pf' ? 'M·N' : '0', f.forwards, c.dom0NoticeForwards, scheme === 'per-pf' ? 'at most' : 'exact'));
  } else if (scheme === 'per-pf-interest') {
    out.push(check(scheme, run, 'forwards + RC detections (each peer repaired once)', 'Σ deg(x_i)', f.sumDeg, c.dom0NoticeForwards + c.vmPeerDetections));
    out.push(check(scheme, run, 'Reports sent by the SM', 'Σ H_x_i', f.reports, c.smSentReport, 'at most'));
  } else {
    out.push(check(scheme, run, 'Reports sent by the SM', '0', 0, c.smSentReport));
    out.push(check(scheme, run, 'RC detections', 'Σ deg(x_i)', f.sumDeg, c.vmPeerDetections));
  }
  return out;
}

/**
 * The regime a storm run was in, from what it measured against the summed single-migration
 * forms: "exact" when every one holds, else what bent them.
 */
export function stormRegime(s: Scenario, scheme: SchemeName, m: MeasuredRun): string {
  const f = stormForm(s, scheme);
  const c = m.counters;
  const late = isSignallingScheme(scheme) ? c.vmPeerDetections : 0;
  const missedReports = f.reports - c.smSentReport;
  const missedForwards = f.forwards - c.dom0NoticeForwards;
  const parts: string[] = [];
  if (late > 0) parts.push(`${late} peers repaired by RC timeout before their notice reached them (SM saturated, or the peer was itself in transit)`);
  if (missedReports > 0) parts.push(`${missedReports} Reports not sent (subscriber in transit or no longer interested)`);
  if (missedForwards > 0) parts.push(`${missedForwards} forwards not made (VM in transit)`);
  return parts.length === 0 ? 'exact (closed forms hold)' : parts.join('; ');
}
