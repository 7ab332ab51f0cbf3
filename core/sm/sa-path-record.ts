// SA PathRecord (attribute 0x0035), Get: the path to a destination given by DGID (a vGUID or a
// port GUID) or DLID, answered from the LID-vGUID table — the SM's truth about where every vGUID
// is now. An unknown destination is answered with SaNoRecords. GetTable (multi-record, RMPP) is
// not served: [UnsupportedMethodAttr].
//
// For per-pf-interest the SA remembers who asked for a path to each vGUID: the requester's GID
// (the PathRecord's SGID, else the GRH's SGID, else the requester port's GUID) goes into a
// GuidMultiMap target -> registry id. Recording the requester rather than its host keeps the
// interest right when the requester itself migrates later: the SM resolves each requester to its
// current host when it reports.
import { MadStatus, Method, PathRecordMask, maskHasBit } from '../mad/constants.js';
import { Counter } from '../metrics/counters.js';
import type { SubnetManager } from './subnet-manager.js';

/** MTU 2048 with selector "exactly" (2 << 6 | 4): what OpenSM answers on a 2K-MTU fabric. */
export const PATH_MTU_BYTE = 0x84;
/** Rate 40 Gb/s (enum 7) with selector "exactly". */
export const PATH_RATE_BYTE = 0x87;
/** Packet lifetime enum 18 (OpenSM's default packet_life_time 0x12) with selector "exactly". */
export const PATH_PKT_LIFE_BYTE = 0x92;

export function handlePathRecord(
  sm: SubnetManager,
  srcLid: number,
  srcQp: number,
  srcGuidHigh: number,
  srcGuidLow: number,
  doneNs: number,
): void {
  const req = sm.req;
  const c = sm.counters.v;
  if (req.method !== Method.Get) {
    sm.sendError(MadStatus.UnsupportedMethodAttr, srcLid, srcQp, srcGuidHigh, srcGuidLow, doneNs);
    return;
  }
  const mh = req.componentMaskHigh;
  const ml = req.componentMaskLow;
  const pr = req.pathRecord;
  const hasDgid = maskHasBit(mh, ml, PathRecordMask.DGID);
  const hasDlid = maskHasBit(mh, ml, PathRecordMask.DLID);
  if (!hasDgid && !hasDlid) {
    sm.sendError(MadStatus.SaInsufficientComponents, srcLid, srcQp, srcGuidHigh, srcGuidLow, doneNs);
    return;
  }
  let dlid = -1;
  let dh = 0;
  let dl = 0;
  if (hasDgid) {
    dh = pr.dgid.guidHigh;
    dl = pr.dgid.guidLow;
    dlid = sm.lidOfGuid(dh, dl);
    if (hasDlid && dlid >= 0 && pr.dlid !== dlid) dlid = -1;
  } else {
    const host = sm.lidHost[pr.dlid]!;
    if (host >= 0) {
      dlid = pr.dlid;
      dh = sm.hostPortGuidHigh[host]!;
      dl = sm.hostPortGuidLow[host]!;
    }
  }
  // The requester: SGID of the record, else the GRH's, else its port.
  let ah = 0;
  let al = 0;
  if (maskHasBit(mh, ml, PathRecordMask.SGID)) {
    ah = pr.sgid.guidHigh;
    al = pr.sgid.guidLow;
  }
  if ((ah | al) === 0) {
    ah = srcGuidHigh;
    al = srcGuidLow;
  }
  if ((ah | al) === 0) {
    const host = sm.lidHost[srcLid]!;
    if (host >= 0) {
      ah = sm.hostPortGuidHigh[host]!;
      al = sm.hostPortGuidLow[host]!;
    }
  }
  if (dlid < 0) {
    c[Counter.smPathRecordNoRecords]!++;
    sm.sendError(MadStatus.SaNoRecords, srcLid, srcQp, srcGuidHigh, srcGuidLow, doneNs);
    return;
  }
  if (sm.interest !== undefined && (ah | al) !== 0 && sm.lidVguid.has(dh, dl)) {
    sm.interest.add(dh, dl, sm.registryId(ah, al));
  }
  const res = sm.res.initResponseTo(req, Method.GetResp, MadStatus.Ok);
  res.componentMaskHigh = mh;
  res.componentMaskLow = ml;
  const out = res.pathRecord;
  out.dgid.set(sm.prefixHigh, sm.prefixLow, dh, dl);
  out.sgid.set(sm.prefixHigh, sm.prefixLow, ah, al);
  out.dlid = dlid;
  out.slid = srcLid;
  out.pkey = 0xffff;
  out.sl = 0;
  out.mtu = PATH_MTU_BYTE;
  out.rate = PATH_RATE_BYTE;
  out.pktLife = PATH_PKT_LIFE_BYTE;
  out.reversible = 1;
  out.numbPath = 1;
  c[Counter.smSentPathRecordResp]!++;
  sm.sendResponse(srcLid, srcQp, srcGuidHigh, srcGuidLow, doneNs);
}

/** Records interest without a MAD (warm start of large runs): asker (high, low) cached a path to target. */
export function recordInterestDirect(sm: SubnetManager, targetHigh: number, targetLow: number, askerHigh: number, askerLow: number): void {
  if (sm.interest !== undefined) sm.interest.add(targetHigh, targetLow, sm.registryId(askerHigh, askerLow));
}
