// SA GUIDInfoRecord (attribute 0x0030): Get, Set and Delete of a port's alias GUIDs, with
// OpenSM's rules (osm_sa_guidinfo_record.c) and the patent's Algorithm 1 on top:
//
//   Set/Delete must carry LID and BlockNum in the component mask  -> else SaInsufficientComponents
//   the LID must be a host port                                   -> else SaNoRecords
//   BlockNum must be below ceil(GUIDCap / 8)                      -> else SaNoRecords
//   block 0 index 0 is the port GUID, read-only (mask bit GID0)   -> SaRequestInvalid
//   Set of a zero GUID: the GUID already at that index, else one the SA assigns (dynamic)
//   Set of a GUID another port (or another index) holds: refused, the slot is left as it was in
//     the echoed record (zero for a free index), status 0 — counted as smRefusedSets
//   the response echoes the port's whole block after the change.
//
// Algorithm 1 (seed [0050]-[0051]):
//   delete_guid  -> park the path record (old LID, host, port GUID, time) in the trap table
//   set_guid     -> parked with a different LID: migration, RePath notice; same LID: reboot, no
//                   notice; not parked: creation, no notice; the parked record is removed.
// Parked records never set again stay forever in the patent; with a finite cost.trapExpiryNs
// they expire with an UnPath notice (trap 68).
import { GuidInfoRecordMask, MadStatus, Method, TrapNumber, VmState, maskHasBit } from '../mad/constants.js';
import { GUIDS_PER_BLOCK } from '../mad/guid-info-record.js';
import { VguidState } from '../tables/lid-vguid-table.js';
import { Counter } from '../metrics/counters.js';
import type { SubnetManager } from './subnet-manager.js';

export function handleGuidInfoRecord(
  sm: SubnetManager,
  srcLid: number,
  srcQp: number,
  srcGuidHigh: number,
  srcGuidLow: number,
  doneNs: number,
): void {
  const req = sm.req;
  const method = req.method;
  const rec = req.guidInfoRecord;
  const mh = req.componentMaskHigh;
  const ml = req.componentMaskLow;
  if (method !== Method.Get && method !== Method.Set && method !== Method.Delete) {
    sm.sendError(MadStatus.UnsupportedMethodAttr, srcLid, srcQp, srcGuidHigh, srcGuidLow, doneNs);
    return;
  }
  if (!maskHasBit(mh, ml, GuidInfoRecordMask.LID) || !maskHasBit(mh, ml, GuidInfoRecordMask.BLOCK_NUM)) {
    sm.sendError(MadStatus.SaInsufficientComponents, srcLid, srcQp, srcGuidHigh, srcGuidLow, doneNs);
    return;
  }
  const host = sm.lidHost[rec.lid]!;
  const block = rec.blockNum;
  const maxBlock = Math.ceil(sm.guidCap / GUIDS_PER_BLOCK);
  if (host < 0 || block >= maxBlock) {
    sm.sendError(MadStatus.SaNoRecords, srcLid, srcQp, srcGuidHigh, srcGuidLow, doneNs);
    return;
  }
  if (method !== Method.Get && block === 0 && maskHasBit(mh, ml, GuidInfoRecordMask.GID0)) {
    sm.sendError(MadStatus.SaRequestInvalid, srcLid, srcQp, srcGuidHigh, srcGuidLow, doneNs);
    return;
  }
  if (method === Method.Set) {
    for (let k = 0; k < GUIDS_PER_BLOCK; k++) {
      if (!maskHasBit(mh, ml, GuidInfoRecordMask.GID0 + k)) continue;
      const index = block * GUIDS_PER_BLOCK + k;
      if (index >= sm.guidCap) break;
      if (!setOne(sm, host, index, rec.guidHigh(k), rec.guidLow(k), doneNs)) {
        sm.sendError(MadStatus.SaNoResources, srcLid, srcQp, srcGuidHigh, srcGuidLow, doneNs);
        return;
      }
    }
  } else if (method === Method.Delete) {
    for (let k = 0; k < GUIDS_PER_BLOCK; k++) {
      if (!maskHasBit(mh, ml, GuidInfoRecordMask.GID0 + k)) continue;
      const index = block * GUIDS_PER_BLOCK + k;
      if (index >= sm.guidCap) break;
      detachVguid(sm, host, index, doneNs);
    }
  }
  // Respond with the port's block as it is now.
  const res = sm.res.initResponseTo(req, method === Method.Delete ? Method.DeleteResp : Method.GetResp, MadStatus.Ok);
  res.componentMaskHigh = mh;
  res.componentMaskLow = ml;
  const out = res.guidInfoRecord;
  out.lid = sm.hostLid[host]!;
  out.blockNum = block;
  const base = host * sm.guidCap;
  for (let k = 0; k < GUIDS_PER_BLOCK; k++) {
    const index = block * GUIDS_PER_BLOCK + k;
    if (index < sm.guidCap) out.setGuid(k, sm.aliasHigh[base + index]!, sm.aliasLow[base + index]!);
  }
  sm.counters.v[Counter.smSentGuidInfoRecordResp]!++;
  sm.sendResponse(srcLid, srcQp, srcGuidHigh, srcGuidLow, doneNs);
}

/** Set of one alias index; false only when dynamic assignment ran out of GUIDs. */
function setOne(sm: SubnetManager, host: number, index: number, high: number, low: number, nowNs: number): boolean {
  const k = host * sm.guidCap + index;
  const curHigh = sm.aliasHigh[k]!;
  const curLow = sm.aliasLow[k]!;
  if ((high | low) === 0) {
    if ((curHigh | curLow) !== 0) return true; // already holds one: echoed back
    if (!sm.assigner.assign(host, index, sm.lidVguid, sm.guidOut)) return false;
    high = sm.guidOut[0]!;
    low = sm.guidOut[1]!;
    sm.counters.v[Counter.smVguidsAssigned]!++;
  }
  if (curHigh === high >>> 0 && curLow === low >>> 0) return true; // unchanged
  let holder = sm.lidVguid.host(high, low);
  if (holder >= 0 && holder !== host && sm.vguidState(high, low) === VguidState.Migrating) {
    // Issue 7: the VM's Trap said "migrating" but the source's Delete has not arrived (lost on
    // the way, its re-send is pending): the Set at the destination completes the move. The
    // source index is deleted here as its Delete would have (parked: RePath below); the late
    // Delete then finds the index empty.
    detachVguid(sm, holder, sm.lidVguid.port(high, low), nowNs);
    sm.counters.v[Counter.smMovesBeforeDelete]!++;
    holder = -1;
  }
  if (holder >= 0 || sm.portHost.get(high, low) >= 0) {
    // Held by another port, or by another index of this one: a duplicate (OpenSM ERR 5108).
    sm.counters.v[Counter.smRefusedSets]!++;
    return true;
  }
  if ((curHigh | curLow) !== 0) detachVguid(sm, host, index, nowNs);
  attachVguid(sm, host, index, high, low, nowNs);
  return true;
}

/** Algorithm 1, set_guid: the vGUID is now at (host, index). */
export function attachVguid(sm: SubnetManager, host: number, index: number, high: number, low: number, nowNs: number): void {
  const c = sm.counters.v;
  const lid = sm.hostLid[host]!;
  const k = host * sm.guidCap + index;
  sm.aliasHigh[k] = high;
  sm.aliasLow[k] = low;
  if (sm.lidVguid.lid(high, low) < 0 && sm.portHost.get(high, low) >= 0) sm.portGuidsAsVguids++;
  sm.lidVguid.set(high, low, lid, index, host, VguidState.Running);
  const trap = sm.trapTable;
  // GUID halves go to the trap table in int32 form: a u32 half of 2^31 or more passed to a
  // function V8 does not inline is boxed as a heap number (see TrapTable.park).
  const slot = trap.find(high | 0, low | 0);
  if (slot >= 0) {
    const oldLid = trap.oldLid(slot);
    if (oldLid !== lid) {
      c[Counter.smMigrations]!++;
      sm.reports.emitPath(
        TrapNumber.RePath,
        high,
        low,
        lid,
        oldLid,
        VmState.Running,
        sm.hostPortGuidHigh[host]!,
        sm.hostPortGuidLow[host]!,
        trap.portGuidHigh(slot),
        trap.portGuidLow(slot),
        sm.nextSequence(high, low),
        nowNs,
      );
    } else {
      c[Counter.smReboots]!++;
    }
    // emitPath and nextSequence leave the trap table alone, so the slot still holds the record.
    trap.removeAt(slot);
    // per-pf-interest: notices that went out while this VM was migrating are owed to it.
    sm.reports.onArrival(high, low, nowNs);
  } else {
    c[Counter.smCreations]!++;
  }
  sm.setVguidState(high, low, VguidState.Running, nowNs);
}

/** Algorithm 1, delete_guid: park the path record of the vGUID at (host, index). False if empty. */
export function detachVguid(sm: SubnetManager, host: number, index: number, nowNs: number): boolean {
  const k = host * sm.guidCap + index;
  const high = sm.aliasHigh[k]!;
  const low = sm.aliasLow[k]!;
  if ((high | low) === 0) return false;
  // Issue 7: the trap table is bounded. When it is full the oldest parked record is expired
  // early (UnPath, as trapExpiryNs would do), so a delete is never refused and the table never grows past the bound.
  if (sm.trapTable.size >= sm.maxParked && sm.trapTable.find(high | 0, low | 0) < 0) evictOldest(sm, nowNs);
  sm.trapTable.park(high | 0, low | 0, sm.hostLid[host]!, host, sm.hostPortGuidHigh[host]! | 0, sm.hostPortGuidLow[host]! | 0, nowNs);
  if (sm.lidVguid.delete(high, low) && sm.portHost.get(high, low) >= 0) sm.portGuidsAsVguids--;
  sm.aliasHigh[k] = 0;
  sm.aliasLow[k] = 0;
  sm.counters.v[Counter.smDeletes]!++;
  const state = sm.vguidState(high, low);
  sm.setVguidState(high, low, state === VguidState.Migrating ? VguidState.Migrating : VguidState.Gone, nowNs);
  if (sm.cost.trapExpiryNs !== Infinity) sm.scheduleExpiry(nowNs + sm.cost.trapExpiryNs);
  return true;
}

/** Trap-table expiry: records parked for trapExpiryNs get an UnPath notice and are dropped. */
export function expireParked(sm: SubnetManager, nowNs: number): void {
  const maxAge = sm.cost.trapExpiryNs;
  if (maxAge === Infinity) return;
  sm.trapTable.expire(nowNs, maxAge, (high, low, slot) => unpathParked(sm, high, low, slot, nowNs));
}

/** The trap table is at its bound: the oldest record goes now, as if it had expired (counted). */
function evictOldest(sm: SubnetManager, nowNs: number): void {
  const trap = sm.trapTable;
  const s = trap.oldest;
  if (s < 0) return;
  sm.counters.v[Counter.smTrapTableEvictions]!++;
  const high = trap.vguidHigh(s);
  const low = trap.vguidLow(s);
  unpathParked(sm, high, low, s, nowNs);
  // unpathParked reads the slot but never parks or removes, so s still holds this record.
  trap.removeAt(s);
}

function unpathParked(sm: SubnetManager, high: number, low: number, slot: number, nowNs: number): void {
  const trap = sm.trapTable;
  sm.reports.emitPath(
    TrapNumber.UnPath,
    high,
    low,
    0,
    trap.oldLid(slot),
    VmState.Gone,
    0,
    0,
    trap.portGuidHigh(slot),
    trap.portGuidLow(slot),
    sm.nextSequence(high, low),
    nowNs,
  );
  sm.setVguidState(high, low, VguidState.Gone, nowNs);
  // Nobody can ask for a path to a vGUID that is gone; a re-created one starts afresh.
  sm.interest?.removeKey(high, low);
  sm.reports.onArrival(high, low, nowNs, false);
}
