// Event kinds of the virtual-time engine. The high nibble names the component that handles
// the event (so the run loop dispatches with one shift), the low nibble the event itself.

export const EventOwner = {
  Fabric: 0,
  Sm: 1,
  Dom0: 2,
  Vm: 3,
  Driver: 4,
  Shard: 5,
} as const;

export const EventKind = {
  /** a = slab slot of an in-flight MAD. */
  FabricDeliver: 0x01,
  /** The same, to a LID the SM is bound at: its own kind, so it can have a FIFO lane of its own. */
  FabricDeliverToSm: 0x02,
  /** The SM's Report transmit path is free: the notice whose turn it is sends its next Report (a unused). */
  SmFanout: 0x10,
  /** a = outstanding Report slot, b = its generation. */
  SmReportTimeout: 0x11,
  /** Trap-table expiry check (UnPath for records parked longer than trapExpiryNs). */
  SmTrapExpiry: 0x12,
  /**
   * a = slab slot, b = VM, c = 1 when Dom0 forwarded a notice (Algorithm 2), 0 for a GSI demux,
   * 2 for a forwarded notice whose cache check already ran in the fast fan-out (apply the change).
   */
  Dom0VfDeliver: 0x20,
  /** a = host * slotsPerHost + slot, b = request generation: a GUIDInfoRecord request went unanswered. */
  Dom0RequestTimeout: 0x21,
  /** a = host, b = request generation: the host's InformInfo Set went unanswered. */
  Dom0InformTimeout: 0x22,
  /** a = outstanding trap slot, b = its generation: a life-cycle Trap got no TrapRepress. */
  Dom0TrapTimeout: 0x23,
  /** a = VM, b = edge (index into the scenario's peerList): the RC retries to a peer ran out. */
  VmPeerDetect: 0x30,
  /** a = VM, b = edge: address resolution of the peer finished (dynamic scheme). */
  VmResolved: 0x31,
  /** a = VM, b = edge: re-send a PathRecord query that found no record. */
  VmQueryRetry: 0x32,
  /** a = VM, b = edge, c = query generation: a PathRecord query went unanswered. */
  VmQueryTimeout: 0x33,
  /** a = VM, b = request generation: the VM's InformInfo Set (per-vguid) went unanswered. */
  VmInformTimeout: 0x34,
  /** VM shard (core/engine/shard): a = VM, b = row of the shard's notice table: apply the notice at the VF's time. */
  ShardNoticeApply: 0x50,
  /** a = migration index: the VM leaves its host. */
  DriverMigrateOut: 0x40,
  /** a = migration index: the VM arrives at its destination. */
  DriverMigrateIn: 0x41,
} as const;

export function eventOwner(kind: number): number {
  return kind >>> 4;
}
