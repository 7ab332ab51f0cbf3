// SA InformInfo (attribute 0x0003): subscribe and unsubscribe for Reports (Set only), with
// OpenSM's matching (core/sm/subscriptions.ts). The subscriber is identified as OpenSM does it:
// by the requester's GID — the GRH's SGID when the request carried one (a VF behind a shared
// port, or a PF naming its port GUID), else the port GUID of the requester's LID. Reports are
// later addressed to that GID's current location, so a vGUID subscription follows its VM.
//
// Checks (answered with the status in brackets, record echoed):
//   method other than Set                                     [UnsupportedMethodAttr]
//   Subscribe or IsGeneric not 0/1                            [SaRequestInvalid]
//   GID zero, LIDRangeBegin != 0xFFFF and Begin > End         [SaRequestInvalid]
//   QPN other than 1 (Reports go to the GSI QP)               [SaRequestInvalid]
//   requester unknown (no GRH, LID of no port)                [SaRequestInvalid]
//   unsubscribe that matches no subscription exactly          [SaRequestInvalid], counted
//   subscription table full, or the subscriber's share full   [SaNoResources], counted (issue 7)
// A subscribe identical to an existing one is accepted once (no duplicate row).
import { GSI_QP, INFORM_ALL_LIDS, MadStatus, Method } from '../mad/constants.js';
import { informInfoQpnWord, type InformInfoView } from '../mad/inform-info.js';
import { Counter } from '../metrics/counters.js';
import { InformFields, SUBSCRIPTIONS_FULL, SUBSCRIBER_FULL } from './subscriptions.js';
import type { SubnetManager } from './subnet-manager.js';

const fields = new InformFields();

/** Reads an InformInfo's fields into `f` (the SA's view of a subscription). */
export function informFieldsFrom(ii: InformInfoView, f: InformFields): InformFields {
  f.gidPrefixHigh = ii.gid.prefixHigh;
  f.gidPrefixLow = ii.gid.prefixLow;
  f.gidGuidHigh = ii.gid.guidHigh;
  f.gidGuidLow = ii.gid.guidLow;
  f.lidRangeBegin = ii.lidRangeBegin;
  f.lidRangeEnd = ii.lidRangeEnd;
  f.isGeneric = ii.isGeneric;
  f.type = ii.type;
  f.trapNumber = ii.trapNumber;
  f.qpnWord = informInfoQpnWord(ii);
  f.producerType = ii.producerType;
  return f;
}

export function handleInformInfo(
  sm: SubnetManager,
  srcLid: number,
  srcQp: number,
  srcGuidHigh: number,
  srcGuidLow: number,
  doneNs: number,
): void {
  const req = sm.req;
  const c = sm.counters.v;
  if (req.method !== Method.Set) {
    sm.sendError(MadStatus.UnsupportedMethodAttr, srcLid, srcQp, srcGuidHigh, srcGuidLow, doneNs);
    return;
  }
  const ii = req.informInfo;
  const subscribe = ii.subscribe;
  const f = informFieldsFrom(ii, fields);
  const gidZero = (f.gidPrefixHigh | f.gidPrefixLow | f.gidGuidHigh | f.gidGuidLow) === 0;
  let subHigh = srcGuidHigh;
  let subLow = srcGuidLow;
  if ((subHigh | subLow) === 0) {
    const host = sm.lidHost[srcLid]!;
    if (host >= 0) {
      subHigh = sm.hostPortGuidHigh[host]!;
      subLow = sm.hostPortGuidLow[host]!;
    }
  }
  if (
    subscribe > 1 ||
    f.isGeneric > 1 ||
    (gidZero && f.lidRangeBegin !== INFORM_ALL_LIDS && f.lidRangeBegin > f.lidRangeEnd) ||
    ii.qpn !== GSI_QP ||
    (subHigh | subLow) === 0
  ) {
    sm.sendError(MadStatus.SaRequestInvalid, srcLid, srcQp, srcGuidHigh, srcGuidLow, doneNs);
    return;
  }
  if (subscribe === 1) {
    const row = sm.subscriptions.add(subHigh, subLow, f);
    if (row === SUBSCRIPTIONS_FULL || row === SUBSCRIBER_FULL) {
      // Issue 7: the table is bounded; the subscriber is told there is no room.
      c[Counter.smSubscriptionsFull]!++;
      sm.sendError(MadStatus.SaNoResources, srcLid, srcQp, srcGuidHigh, srcGuidLow, doneNs);
      return;
    }
    c[Counter.smSubscribes]!++;
  } else if (sm.subscriptions.remove(subHigh, subLow, f)) {
    c[Counter.smUnsubscribes]!++;
  } else {
    c[Counter.smUnsubscribeUnmatched]!++;
    sm.sendError(MadStatus.SaRequestInvalid, srcLid, srcQp, srcGuidHigh, srcGuidLow, doneNs);
    return;
  }
  // Echo the InformInfo, as OpenSM does.
  const res = sm.res.initResponseTo(req, Method.GetResp, MadStatus.Ok);
  res.bytes.set(req.bytes.subarray(56, 56 + 36), 56);
  c[Counter.smSentInformInfoResp]!++;
  sm.sendResponse(srcLid, srcQp, srcGuidHigh, srcGuidLow, doneNs);
}

/** Subscribes directly, without MADs (warm start of large runs): same table, same rules. */
export function subscribeDirect(sm: SubnetManager, subHigh: number, subLow: number, f: InformFields): boolean {
  return sm.subscriptions.add(subHigh, subLow, f) >= 0;
}
