// What Dom0 needs from the VMs it hosts: delivery of MADs to a VF's SA agent and a few
// intra-host notifications. Implemented by core/vm/vm-agents.ts (all VMs of the emulation) and,
// on the native path, by the agents of one hypervisor's VMs. Nothing here crosses the wire.

/** 32-bit words of each VM's cache summary (VfEndpoint.cacheSummary): 128 bits. */
export const SUMMARY_WORDS = 4;
export const SUMMARY_BITS = SUMMARY_WORDS * 32;

/**
 * Bit-slices the cache summaries of the VMs list[from .. from + n) into
 * slices[base .. base + SUMMARY_BITS * words): bit i of row `bit` (words words) is set when the
 * list's i-th VM has summary bit `bit` (what VmAgents.checkForwardedSliced reads). Dom0 keeps one
 * per host for its Algorithm 2 list; a VM shard one per host for the VMs it owns there.
 */
export function sliceSummaries(summary: Uint32Array, list: Int32Array, from: number, n: number, slices: Uint32Array, base: number, words: number): void {
  slices.fill(0, base, base + SUMMARY_BITS * words);
  for (let i = 0; i < n; i++) {
    const s = list[from + i]! * SUMMARY_WORDS;
    const word = base + (i >>> 5);
    const bit = 1 << (i & 31);
    for (let q = 0; q < SUMMARY_WORDS; q++) {
      let bits = summary[s + q]!;
      while (bits !== 0) {
        const j = (q << 5) | (31 - Math.clz32(bits & -bits));
        bits &= bits - 1;
        slices[word + j * words]! |= bit;
      }
    }
  }
}

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
  /**
   * Fast fan-out (Algorithms 2 and 3 in one pass): Dom0 forwards a RePath (69) or UnPath (68)
   * notice for vGUID (high, low) to the VMs vms[from..from + n) (from defaults to 0). Counts every
   * VM's notice and cache check and writes into hits the positions (0..n-1) whose cache must
   * change; returns how many. Dom0 then
   * hands only those VMs the notice, at their own VF's time, through applyForwarded. Optional:
   * an endpoint without it gets every notice through deliver.
   */
  checkForwarded?(vms: Int32Array, n: number, trap: number, high: number, low: number, newLid: number, hits: Int32Array, from?: number): number;
  /**
   * The VMs' cache summaries (SUMMARY_WORDS 32-bit words per VM, three bits per cached vGUID) and
   * the fan-out check over Dom0's bit-sliced copy of them (VmAgents.checkForwardedSliced).
   * Optional: without them Dom0 uses checkForwarded.
   */
  readonly cacheSummary?: Uint32Array;
  checkForwardedSliced?(
    vms: Int32Array,
    from: number,
    n: number,
    slices: Uint32Array,
    base: number,
    words: number,
    trap: number,
    high: number,
    low: number,
    newLid: number,
    hits: Int32Array,
  ): number;
  /** A forwarded notice checkForwarded found a change for: apply it now (the VF's modelled time). */
  applyForwarded?(vm: number, mad: Uint8Array, nowNs: number): void;
  /**
   * Takes the whole fan-out of a notice (the sharded engine hands it to the VMs' shards): the
   * VMs vms[from..from + n) of `host` (allActive: Algorithm 2's list, every active VF in slot
   * order), the i-th reached at startNs + (i + 1) x stepNs; `nowNs` is when Dom0 forwards. When
   * present, Dom0 calls only this. (A range of Dom0's own list, not a copy: with allActive the
   * sharded engine needs only the host, and a copy of 128 VMs per Report was measurable.)
   */
  forwardNotice?(host: number, allActive: boolean, vms: Int32Array, from: number, n: number, trap: number, high: number, low: number, newLid: number, nowNs: number, startNs: number, stepNs: number): void;
}
