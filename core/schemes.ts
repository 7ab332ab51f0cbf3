// The five signalling schemes of DESIGN.md as flags on one code path: the SM, Dom0 and VM code
// is the same for all of them; a scheme only chooses who subscribes, whom the SM reports to,
// whom Dom0 forwards to, and how peers recover without a signal.
import { SCHEMES, type SchemeName } from './scenario/scenario.js';
import { ReportScope } from './sm/subnet-manager.js';
import { ForwardMode } from './dom0/dom0.js';

export { SCHEMES, type SchemeName };

export const Subscriber = {
  /** Nobody subscribes (dynamic, static-no-signal). */
  None: 0,
  /** Each Dom0 once, with its PF's port GUID (the patent). */
  PerPf: 1,
  /** Each VM, with its own vGUID. */
  PerVguid: 2,
} as const;
export type Subscriber = (typeof Subscriber)[keyof typeof Subscriber];

export interface SchemeConfig {
  readonly name: SchemeName;
  /** The SA assigns a new vGUID per VF attach (the VM's vGUID changes on migration). */
  readonly dynamicGuids: boolean;
  readonly subscriber: Subscriber;
  readonly reportScope: ReportScope;
  /** The SA remembers who asked for a path to each vGUID. */
  readonly recordInterest: boolean;
  readonly forwardMode: ForwardMode;
  /**
   * Peers find out by RC timeouts and re-query the SA. True in every scheme: an RC connection
   * fails whatever the signalling; in the signalling schemes the timer finds the connection
   * already repaired by the notice and does nothing, unless the notice missed the peer (it was
   * itself migrating when the notice went out, or its host was not told).
   */
  readonly detectFailures: boolean;
  /** ... after resolving the peer's new vGUID (address resolution). */
  readonly resolveAddress: boolean;
}

const CONFIGS: Readonly<Record<SchemeName, SchemeConfig>> = {
  dynamic: {
    name: 'dynamic',
    dynamicGuids: true,
    subscriber: Subscriber.None,
    reportScope: ReportScope.All,
    recordInterest: false,
    forwardMode: ForwardMode.AllActive,
    detectFailures: true,
    resolveAddress: true,
  },
  'static-no-signal': {
    name: 'static-no-signal',
    dynamicGuids: false,
    subscriber: Subscriber.None,
    reportScope: ReportScope.All,
    recordInterest: false,
    forwardMode: ForwardMode.AllActive,
    detectFailures: true,
    resolveAddress: false,
  },
  'per-vguid': {
    name: 'per-vguid',
    dynamicGuids: false,
    subscriber: Subscriber.PerVguid,
    reportScope: ReportScope.All,
    recordInterest: false,
    forwardMode: ForwardMode.AllActive,
    detectFailures: true,
    resolveAddress: false,
  },
  'per-pf': {
    name: 'per-pf',
    dynamicGuids: false,
    subscriber: Subscriber.PerPf,
    reportScope: ReportScope.All,
    recordInterest: false,
    forwardMode: ForwardMode.AllActive,
    detectFailures: true,
    resolveAddress: false,
  },
  'per-pf-interest': {
    name: 'per-pf-interest',
    dynamicGuids: false,
    subscriber: Subscriber.PerPf,
    reportScope: ReportScope.Interested,
    recordInterest: true,
    forwardMode: ForwardMode.Interested,
    detectFailures: true,
    resolveAddress: false,
  },
};

export function isSchemeName(name: string): name is SchemeName {
  return (SCHEMES as readonly string[]).includes(name);
}

/** The configuration of a scheme by name; throws naming the value and the known names. */
export function schemeConfig(name: string): SchemeConfig {
  if (!isSchemeName(name)) throw new RangeError(`scheme: "${name}" is not one of ${SCHEMES.join(', ')}`);
  return CONFIGS[name];
}

/** True for the schemes that signal migrations (per-vguid, per-pf, per-pf-interest). */
export function isSignalling(name: SchemeName): boolean {
  return CONFIGS[name].subscriber !== Subscriber.None;
}
