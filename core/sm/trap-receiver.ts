// Traps to the SM (SMP class, method Trap, attribute Notice), answered with TrapRepress as the
// IBA requires of a trap receiver. repath's Dom0 uses them for the life-cycle states that a
// GUIDInfoRecord Set or Delete cannot express (core/sm/life-cycle.ts): suspended, resumed
// (running) and migrating. Other traps are acknowledged and counted, nothing more.
import { MadStatus, Method, SMP_DATA_OFFSET, VmState } from '../mad/constants.js';
import { NoticeView } from '../mad/notice.js';
import { Counter } from '../metrics/counters.js';
import type { SubnetManager } from './subnet-manager.js';
import { LIFE_CYCLE_VENDOR_ID, LifeCycleDevice } from './life-cycle.js';

let smpNotice: NoticeView | undefined;

export function handleTrap(
  sm: SubnetManager,
  srcLid: number,
  srcQp: number,
  srcGuidHigh: number,
  srcGuidLow: number,
  doneNs: number,
): void {
  const req = sm.req;
  if (smpNotice === undefined || smpNotice.ref !== req.ref) smpNotice = new NoticeView(req.ref, SMP_DATA_OFFSET);
  const n = smpNotice;
  if (n.isGeneric === 0 && n.vendorId === LIFE_CYCLE_VENDOR_ID && n.deviceId === LifeCycleDevice.VmStateChange) {
    const state = n.vmState;
    const gh = n.vgid.guidHigh;
    const gl = n.vgid.guidLow;
    if (state >= VmState.Running && state <= VmState.Gone) {
      if (fromHolder(sm, gh, gl, state, srcLid)) sm.setVguidState(gh, gl, state, doneNs);
      else sm.counters.v[Counter.smTrapsIgnoredStale]!++;
    }
  }
  // TrapRepress: the trap's header and notice echoed back (IBA 14.2.5.6).
  const res = sm.res.initResponseTo(req, Method.TrapRepress, MadStatus.Ok);
  res.bytes.set(req.bytes.subarray(SMP_DATA_OFFSET, SMP_DATA_OFFSET + 80), SMP_DATA_OFFSET);
  sm.counters.v[Counter.smSentTrapRepress]!++;
  sm.sendResponse(srcLid, srcQp, srcGuidHigh, srcGuidLow, doneNs);
}

/**
 * Issue 7: a life-cycle trap counts only when it comes from the host that holds the vGUID: the
 * port it is on now, or, for "migrating" after the Delete, the port it was parked from. This keeps
 * a re-sent trap that arrives after the VM moved on (its first copy was lost; the VM is already
 * running at the destination) from setting an old state, and keeps one host's Dom0 from changing
 * the state of another host's VMs. TrapRepress is sent either way: the sender must stop re-sending.
 */
function fromHolder(sm: SubnetManager, high: number, low: number, state: number, srcLid: number): boolean {
  const issuer = sm.lidHost[srcLid]!;
  if (issuer < 0) return false;
  const holder = sm.lidVguid.host(high, low);
  if (holder >= 0) return holder === issuer;
  if (state !== VmState.Migrating) return false;
  const parked = sm.trapTable.find(high, low);
  return parked >= 0 && sm.trapTable.host(parked) === issuer;
}
