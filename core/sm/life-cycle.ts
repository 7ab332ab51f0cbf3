// The VM life-cycle protocol between Dom0 and the SM (seed [0057]-[0058]): the SM tracks each
// vGUID as running, suspended, migrating or gone, whether or not the vGUID is on a port, and
// reports every change to the parties that subscribe to it.
//
// Mechanism (documented choice):
// - Dom0 -> SM: GUIDInfoRecord Set (-> running) and Delete (-> gone, or stays migrating) say
//   most of it. The states that a Set/Delete cannot say (suspended, resumed, migration starting)
//   go as an IBA trap: an SMP (class 0x01, LID-routed) Trap(Notice), vendor-specific
//   (IsGeneric = 0, VendorID = LIFE_CYCLE_VENDOR_ID, DeviceID = VmStateChange), with the
//   RePath DataDetails layout (vmState at +14, the VM's GID at +16). The SM answers TrapRepress,
//   as it does for any trap.
// - SM -> subscribers: a vendor Report(Notice) with the same VendorID/DeviceID and layout,
//   sent to every subscription whose InformInfo matches it (IsGeneric = 0, VendorID =
//   LIFE_CYCLE_VENDOR_ID or 0xFFFFFF, DeviceID = VmStateChange or 0xFFFF). Vendor notices never
//   match the generic subscriptions the signalling schemes use, so the scheme counts stay as
//   DESIGN.md gives them.
import { VmState } from '../mad/constants.js';
import { VguidState } from '../tables/lid-vguid-table.js';

/**
 * VendorID of repath's life-cycle notices. No OUI is registered for repath: this value is a
 * placeholder from the locally administered (CID, X bit set) range; deployments with an OUI
 * should change it.
 */
export const LIFE_CYCLE_VENDOR_ID = 0x0a7e9a;

export const LifeCycleDevice = {
  VmStateChange: 0x0001,
} as const;

// VguidState (tables) and VmState (wire) use the same numbers; checked here once.
if (
  VguidState.Running !== VmState.Running ||
  VguidState.Suspended !== VmState.Suspended ||
  VguidState.Migrating !== VmState.Migrating ||
  VguidState.Gone !== VmState.Gone
) {
  throw new Error('life-cycle: VguidState and VmState numbering differ');
}
