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
    if (state >= VmState.Running && state <= VmState.Gone) {
      sm.setVguidState(n.vgid.guidHigh, n.vgid.guidLow, state, doneNs);
    }
  }
  // TrapRepress: the trap's header and notice echoed back (IBA 14.2.5.6).
  const res = sm.res.initResponseTo(req, Method.TrapRepress, MadStatus.Ok);
  res.bytes.set(req.bytes.subarray(SMP_DATA_OFFSET, SMP_DATA_OFFSET + 80), SMP_DATA_OFFSET);
  sm.counters.v[Counter.smSentTrapRepress]!++;
  sm.sendResponse(srcLid, srcQp, srcGuidHigh, srcGuidLow, doneNs);
}
