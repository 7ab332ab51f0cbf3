// What Dom0 needs from the VMs it hosts: delivery of MADs to a VF's SA agent and a few
// intra-host notifications. Implemented by core/vm/vm-agents.ts (all VMs of the emulation) and,
// on the native path, by the agents of one hypervisor's VMs. Nothing here crosses the wire.

export interface VfEndpoint {
  /** A MAD for the VM's SA agent: GSI demultiplexed by GID (forwarded = false) or a notice Dom0 forwarded (Algorithm 2, forwarded = true). */
  deliver(vm: number, mad: Uint8Array, forwarded: boolean, nowNs: number): void;
  /** Dom0 sent the GUIDInfoRecord Set that puts the VM's vGUID on the port (start of reconnection latency). */
  vfSetSent(vm: number, nowNs: number): void;
  /** The VM's vGUID is in the GUID admin table (for dynamic assignment: the one the SA assigned). */
  vfAttached(vm: number, guidHigh: number, guidLow: number, nowNs: number): void;
  /** The VM's VF is gone from its host (shutdown, migration out, refused Set). */
  vfDetached(vm: number, nowNs: number): void;
  /** The vGUIDs the VM's SA-agent cache holds (Dom0 rebuilds its interest index when a VM arrives). */
  forEachCachedGuid(vm: number, fn: (high: number, low: number) => void): void;
}
