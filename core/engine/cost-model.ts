// The cost model of the virtual-time engine (DESIGN.md "Virtual time and the cost model").
// Every parameter has a default, a unit and a source: an IBA or OpenSM fact, a measurement on
// these machines, or an explicit "assumption: ..." that BENCHMARKS.md repeats. Runs are
// reproducible because nothing here reads a clock: the engine only adds these numbers up.

export interface CostModel {
  /** Latency of one switch hop, cable included. */
  readonly hopLatencyNs: number;
  /** Fixed cost of a MAD leaving or entering a host's HCA (send + receive path of umad/GSI). */
  readonly hcaMadNs: number;
  /** SM/SA service time per MAD handled (received or sent), PathRecord excepted. */
  readonly smServiceNs: number;
  /** SA service time of one PathRecord query. */
  readonly saPathRecordServiceNs: number;
  /** OpenSM walks its whole InformInfo list for every notice: cost per list entry. */
  readonly smScanPerSubscriptionNs: number;
  /** Dom0 cost per MAD it forwards from the PF to a VF (and per VF MAD it tunnels out). */
  readonly dom0ForwardNs: number;
  /** Dom0 cost to handle a MAD addressed to itself (Report, responses) before acting. */
  readonly dom0ServiceNs: number;
  /** VM SA-agent cost to handle one MAD (Algorithm 3 check, response). */
  readonly vmServiceNs: number;
  /** RC local ACK timeout exponent T: timeout = 4.096 us * 2^T. */
  readonly rcLocalAckTimeoutExp: number;
  /** RC retry count before the QP reports a transport error. */
  readonly rcRetryCount: number;
  /** Address resolution (IPoIB ARP) of a peer's new GID after a failure (dynamic scheme). */
  readonly addressResolutionNs: number;
  /** Time a VM waits before re-sending a PathRecord query that found no record. */
  readonly saQueryRetryNs: number;
  /** A VM gives up on a peer after this many PathRecord answers with no record (the peer is gone). */
  readonly saNoRecordsMaxRetries: number;
  /** SM: time to wait for a ReportResp before re-sending the Report. */
  readonly reportRespTimeoutNs: number;
  /** SM: re-sends of a Report before giving up on that subscriber. */
  readonly reportMaxRetries: number;
  /** SM: rounds of re-sends after a Report's retries ran out (doubling back-off) before that subscriber is given up. */
  readonly reportRedriveRounds: number;
  /** SM: unanswered Reports allowed in flight to one subscriber; further Reports to it wait in its own queue. */
  readonly reportWindow: number;
  /** Dom0 and VM agents: time to wait for the SA's answer before re-sending a request. */
  readonly clientRespTimeoutNs: number;
  /** Dom0 and VM agents: re-sends of an unanswered request before giving up. */
  readonly clientMaxRetries: number;
  /** Dom0: rounds of re-sends after a request's retries ran out (doubling back-off) before it is abandoned. */
  readonly clientRedriveRounds: number;
  /** Live-migration downtime: VF detached at the source until attached at the destination. */
  readonly migrationDowntimeNs: number;
  /** Parked trap-table records never set again expire after this with an UnPath notice; Infinity = the patent (kept forever). */
  readonly trapExpiryNs: number;
  /** Probability that the fabric drops a MAD (seeded; 0 = lossless). */
  readonly lossProbability: number;
  /** Which MAD kinds lossProbability applies to: a bit mask of LossKind (core/fabric/loss-kinds.ts); default all. */
  readonly lossKinds: number;
}

export type CostParameter = keyof CostModel;

export interface CostParameterInfo {
  readonly default: number;
  readonly unit: string;
  readonly source: string;
  readonly integer?: boolean;
  readonly min?: number;
  readonly max?: number;
  /** Infinity is a meaningful value (trapExpiryNs). */
  readonly allowInfinity?: boolean;
}

/** One IBA time unit of the local ACK timeout: 4.096 us (IBA vol. 1, 9.7.6.1.3 / QP attribute "timeout"). */
export const RC_TIMEOUT_UNIT_NS = 4096;

export const COST_PARAMETERS: Readonly<Record<CostParameter, CostParameterInfo>> = {
  hopLatencyNs: {
    default: 200,
    unit: 'ns',
    source: 'assumption: switch port-to-port latency 100-200 ns in vendor data sheets (e.g. SwitchX-2 ~170 ns) plus a few metres of cable',
  },
  hcaMadNs: {
    default: 1000,
    unit: 'ns',
    source: 'assumption: ~1 us for a UD MAD through the HCA and the kernel GSI/umad path on each end',
  },
  smServiceNs: {
    default: 5000,
    unit: 'ns',
    source: 'assumption: OpenSM handles MADs on one SA thread at a few microseconds each (DESIGN.md engine shape)',
  },
  saPathRecordServiceNs: {
    default: 143000,
    unit: 'ns',
    source: 'measured: real OpenSM answers about 7 k PathRecord queries/s through ibsim on these machines (DESIGN.md), 1/7000 s',
  },
  smScanPerSubscriptionNs: {
    default: 20,
    unit: 'ns per subscription',
    source: 'OpenSM fact: osm_report_notice walks the whole sa_infr_list (match_notice_to_inf_rec per entry); per-entry cost is an assumption (list walk + match, ~20 ns)',
  },
  dom0ForwardNs: {
    default: 2000,
    unit: 'ns per MAD',
    source: 'assumption: mlx4 SR-IOV tunnels every VF MAD through the PF driver (para-virtual tunnel QP), ~2 us per MAD',
  },
  dom0ServiceNs: {
    default: 2000,
    unit: 'ns per MAD',
    source: 'assumption: a user-space agent on Dom0 handles a MAD in ~2 us',
  },
  vmServiceNs: {
    default: 1000,
    unit: 'ns per MAD',
    source: 'assumption: the VM SA agent checks and updates its path cache in ~1 us',
  },
  rcLocalAckTimeoutExp: {
    default: 14,
    unit: 'exponent T (timeout = 4.096 us * 2^T)',
    source: 'IBA: local ACK timeout = 4.096 us * 2^T; T = 14 (67.1 ms) is the default of perftest (-u) and a common application choice: assumption',
    integer: true,
    min: 0,
    max: 31,
  },
  rcRetryCount: {
    default: 7,
    unit: 'retries',
    source: 'IBA: retry_cnt is a 3-bit QP attribute, 7 = the maximum, the value perftest and most RDMA libraries set',
    integer: true,
    min: 0,
    max: 7,
  },
  addressResolutionNs: {
    default: 1_000_000,
    unit: 'ns',
    source: 'assumption: IPoIB ARP (neighbour re-resolution) of the peer after the failure takes ~1 ms',
  },
  saQueryRetryNs: {
    default: 10_000_000,
    unit: 'ns',
    source: 'assumption: a VM re-sends a PathRecord query that found no record after 10 ms',
  },
  saNoRecordsMaxRetries: {
    default: 50,
    unit: 'retries',
    source: 'assumption: a VM keeps asking for a vanished peer for 50 x saQueryRetryNs (0.5 s) before giving up',
    integer: true,
    min: 0,
    max: 255,
  },
  reportRespTimeoutNs: {
    default: 200_000_000,
    unit: 'ns',
    source: 'OpenSM transaction_timeout default OSM_DEFAULT_TRANS_TIMEOUT_MILLISEC (osm_base.h): 200 ms in 3.3.x trees, 100 ms in some later ones',
  },
  reportMaxRetries: {
    default: 3,
    unit: 'retries',
    source: 'OpenSM OSM_DEFAULT_RETRY_COUNT 3 (vendor/osm_vendor_ibumad.h): re-sends of the same MAD',
    integer: true,
    min: 0,
    max: 255,
  },
  reportRedriveRounds: {
    default: 4,
    unit: 'rounds',
    source: 'assumption: the SM does not give up a notice to a subscriber that is still subscribed after one round of re-sends (OpenSM does); it re-drives it after 2, 4, 8, 16 x reportRespTimeoutNs, each round with reportMaxRetries re-sends, so a lossy fabric loses no update',
    integer: true,
    min: 0,
    max: 16,
  },
  reportWindow: {
    default: 4,
    unit: 'Reports in flight per subscriber',
    source: 'assumption: flow control of the Report transmit path (OpenSM bounds only its total outstanding MADs); 4 keeps a silent subscriber from holding more than 4 Reports and their timers, while a healthy one (answering within microseconds) never waits',
    integer: true,
    min: 1,
    max: 65535,
  },
  clientRespTimeoutNs: {
    default: 200_000_000,
    unit: 'ns',
    source: 'assumption: agents use the same 200 ms transaction timeout as OpenSM (umad_send timeout_ms)',
  },
  clientMaxRetries: {
    default: 3,
    unit: 'retries',
    source: 'assumption: agents use the same 3 retries as OpenSM (umad_send retries)',
    integer: true,
    min: 0,
    max: 255,
  },
  clientRedriveRounds: {
    default: 4,
    unit: 'rounds',
    source: 'assumption: a hypervisor agent does not drop a running VM\'s GUIDInfoRecord Set or Delete after one timeout round; it re-drives it after 2, 4, 8, 16 x clientRespTimeoutNs, each round with clientMaxRetries re-sends',
    integer: true,
    min: 0,
    max: 16,
  },
  migrationDowntimeNs: {
    default: 100_000_000,
    unit: 'ns',
    source: 'assumption: stop-and-copy downtime of a live migration ~100 ms (Clark et al., NSDI 2005, report 60-210 ms)',
  },
  trapExpiryNs: {
    default: Infinity,
    unit: 'ns',
    source: 'the patent keeps parked records forever (Algorithm 1); a finite value expires them with an UnPath notice',
    allowInfinity: true,
  },
  lossProbability: {
    default: 0,
    unit: 'probability per MAD',
    source: 'assumption: a healthy fabric loses no MADs; raise to exercise Report retries',
    max: 0.999999,
  },
  lossKinds: {
    default: 0x7f,
    unit: 'bit mask: 1 Report, 2 ReportResp, 4 InformInfo, 8 PathRecord, 16 GUIDInfoRecord, 32 Trap/TrapRepress, 64 other',
    source: 'experiment knob: restricts lossProbability to some MAD kinds (e.g. 2 = only ReportResps); 0x7f = every MAD',
    integer: true,
    min: 0,
    max: 0x7f,
  },
};

export const COST_PARAMETER_NAMES = Object.keys(COST_PARAMETERS) as CostParameter[];

export function defaultCostModel(): CostModel {
  const m: Record<string, number> = {};
  for (const k of COST_PARAMETER_NAMES) m[k] = COST_PARAMETERS[k].default;
  return Object.freeze(m) as unknown as CostModel;
}

/** Throws a RangeError naming the parameter and value when `value` is not allowed for `key`. */
export function checkCostParameter(key: string, value: unknown): void {
  const info = (COST_PARAMETERS as Record<string, CostParameterInfo | undefined>)[key];
  if (!Object.prototype.hasOwnProperty.call(COST_PARAMETERS, key) || info === undefined) {
    throw new RangeError(`cost model: unknown parameter "${key}" (value ${String(value)}); known: ${COST_PARAMETER_NAMES.join(', ')}`);
  }
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw new RangeError(`cost model ${key}: ${String(value)} is not a number`);
  }
  if (value === Infinity && !info.allowInfinity) {
    throw new RangeError(`cost model ${key}: ${value} must be finite`);
  }
  if (info.integer && !Number.isInteger(value)) {
    throw new RangeError(`cost model ${key}: ${value} is not an integer`);
  }
  const min = info.min ?? 0;
  if (value < min) throw new RangeError(`cost model ${key}: ${value} is below ${min}`);
  if (info.max !== undefined && value > info.max) throw new RangeError(`cost model ${key}: ${value} is above ${info.max}`);
}

/** A copy of `model` with `overrides` applied; unknown keys and bad values throw, naming them. */
export function withOverrides(model: CostModel, overrides: Readonly<Record<string, unknown>>): CostModel {
  const m: Record<string, number> = { ...(model as unknown as Record<string, number>) };
  for (const [k, v] of Object.entries(overrides)) {
    checkCostParameter(k, v);
    m[k] = v as number;
  }
  return Object.freeze(m) as unknown as CostModel;
}

/** RC failure detection: local ACK timeout 4.096 us * 2^T, times the retry count. */
export function rcDetectionNs(model: CostModel): number {
  return RC_TIMEOUT_UNIT_NS * 2 ** model.rcLocalAckTimeoutExp * model.rcRetryCount;
}

/** The defaults as rows (name, default, unit, source) for BENCHMARKS.md and --help. */
export function costModelTable(): { name: CostParameter; default: number; unit: string; source: string }[] {
  return COST_PARAMETER_NAMES.map((name) => ({
    name,
    default: COST_PARAMETERS[name].default,
    unit: COST_PARAMETERS[name].unit,
    source: COST_PARAMETERS[name].source,
  }));
}
