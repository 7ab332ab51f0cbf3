// Occupancy of every VF slot of every host, for replaying migrations in time order: the
// generator picks destinations from it, and the file readers check hand-written migrations
// against it (a VM can only move to a host with a free VF slot).
import type { Xoshiro128 } from '../random.js';

export const NO_VM = 0xffffffff;

/**
 * Occupancy of every VF slot while migrations are replayed in time order. Hosts with a free
 * slot are kept in a dense set (array + position index) so a uniformly random destination
 * costs O(1) whatever the fabric size.
 */
export class Occupancy {
  private readonly slots: number;
  private readonly slotVm: Uint32Array;
  private readonly used: Uint8Array;
  private readonly freeHosts: Uint32Array;
  private readonly freePos: Int32Array;
  private freeCount = 0;
  readonly vmWhere: Uint32Array;
  readonly vmSlotNow: Uint8Array;

  constructor(hosts: number, slots: number, vmHost: Uint32Array, vmSlot: Uint8Array) {
    this.slots = slots;
    this.slotVm = new Uint32Array(hosts * slots).fill(NO_VM);
    this.used = new Uint8Array(hosts);
    this.vmWhere = vmHost.slice();
    this.vmSlotNow = vmSlot.slice();
    for (let v = 0; v < vmHost.length; v++) {
      this.slotVm[vmHost[v]! * slots + vmSlot[v]!] = v;
      this.used[vmHost[v]!]!++;
    }
    this.freeHosts = new Uint32Array(hosts);
    this.freePos = new Int32Array(hosts).fill(-1);
    for (let h = 0; h < hosts; h++) if (this.used[h]! < slots) this.addFree(h);
  }

  freeSlotsExcept(host: number): number {
    let n = 0;
    for (let i = 0; i < this.freeCount; i++) {
      const h = this.freeHosts[i]!;
      if (h !== host) n += this.slots - this.used[h]!;
    }
    return n;
  }

  vmsOn(host: number): Uint32Array {
    const out: number[] = [];
    for (let s = 0; s < this.slots; s++) {
      const v = this.slotVm[host * this.slots + s]!;
      if (v !== NO_VM) out.push(v);
    }
    return Uint32Array.from(out);
  }

  /** A uniformly random host with a free slot other than `exclude`, or -1 if there is none. */
  pickDestination(rng: Xoshiro128, exclude: number): number {
    const n = this.freeCount;
    if (n === 0 || (n === 1 && this.freeHosts[0] === exclude)) return -1;
    for (;;) {
      const h = this.freeHosts[rng.nextInt(n)]!;
      if (h !== exclude) return h;
    }
  }


  /** Whether `slot` of `host` holds no VM now. */
  isFree(host: number, slot: number): boolean {
    return this.slotVm[host * this.slots + slot] === NO_VM;
  }

  /** Whether `host` has at least one free slot now. */
  hasFree(host: number): boolean {
    return this.freePos[host]! >= 0;
  }

  /**
   * Moves `vm` to `dest` (which has a free slot) into `slot`, or the lowest free slot when
   * slot is -1; returns the slot taken.
   */
  move(vm: number, dest: number, slot = -1): number {
    const slots = this.slots;
    if (slot < 0) {
      slot = 0;
      while (this.slotVm[dest * slots + slot] !== NO_VM) slot++;
    }
    this.slotVm[dest * slots + slot] = vm;
    if (++this.used[dest]! === slots) this.removeFree(dest);
    const src = this.vmWhere[vm]!;
    this.slotVm[src * slots + this.vmSlotNow[vm]!] = NO_VM;
    if (this.used[src]-- === slots) this.addFree(src);
    this.vmWhere[vm] = dest;
    this.vmSlotNow[vm] = slot;
    return slot;
  }

  private addFree(h: number): void {
    this.freePos[h] = this.freeCount;
    this.freeHosts[this.freeCount++] = h;
  }

  private removeFree(h: number): void {
    const at = this.freePos[h]!;
    const last = this.freeHosts[--this.freeCount]!;
    this.freeHosts[at] = last;
    this.freePos[last] = at;
    this.freePos[h] = -1;
  }
}
