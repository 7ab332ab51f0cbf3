// vGUID assignment. Static: the VM's configuration carries its vGUID, Dom0 sets it, the SM only
// records it (nothing to do here). Dynamic: a GUIDInfoRecord Set with a zero GUID asks the SA to
// assign one, as OpenSM does (osm_sa_guidinfo_record.c): the SA keeps the GUID it assigned per
// (port, alias index), so a VF re-attached at the same index gets the same GUID back, and new
// GUIDs come from a counter under OpenSM's layout:
//   GUID = OpenIB vendor id (0x001405) << 40 | assigned byte << 32 | counter (32 bits, from 1).
// The generator is deterministic (no randomness), so runs are reproducible.
import { GuidHashTable } from '../tables/guid-hash.js';

/** OSM_VENDOR_ID_OPENIB: the OUI OpenSM puts in the top 24 bits of the GUIDs it assigns. */
export const OPENIB_VENDOR_ID = 0x001405;

export class VguidAssigner {
  private counter = 0;
  private readonly highWord: number;
  /** (host * guidCap + index) -> assigned GUID, allocated on first use (dynamic scheme only). */
  private assignedHigh: Uint32Array | undefined;
  private assignedLow: Uint32Array | undefined;

  constructor(
    private readonly hosts: number,
    private readonly guidCap: number,
    /** OpenSM's sm_assigned_guid option: the byte between the vendor id and the counter. */
    assignedByte = 0,
  ) {
    if (!Number.isInteger(assignedByte) || assignedByte < 0 || assignedByte > 0xff) {
      throw new RangeError(`VguidAssigner assignedByte: ${assignedByte} is not 0..255`);
    }
    this.highWord = ((OPENIB_VENDOR_ID << 8) | assignedByte) >>> 0;
  }

  /** GUIDs handed out so far. */
  get assigned(): number {
    return this.counter;
  }

  /**
   * The GUID for (host, alias index): the one assigned before at that index if any, else a new one
   * that `inUse` does not hold. Writes it to out[0..1]; false when the 32-bit counter is exhausted.
   */
  assign(host: number, index: number, inUse: GuidHashTable | { has(h: number, l: number): boolean }, out: Uint32Array): boolean {
    if (this.assignedHigh === undefined) {
      this.assignedHigh = new Uint32Array(this.hosts * this.guidCap);
      this.assignedLow = new Uint32Array(this.hosts * this.guidCap);
    }
    const k = host * this.guidCap + index;
    const ah = this.assignedHigh[k]!;
    const al = this.assignedLow![k]!;
    if ((ah | al) !== 0) {
      out[0] = ah;
      out[1] = al;
      return true;
    }
    for (;;) {
      if (this.counter >= 0xffffffff) return false;
      const low = ++this.counter;
      if (inUse.has(this.highWord, low)) continue;
      this.assignedHigh[k] = this.highWord;
      this.assignedLow![k] = low;
      out[0] = this.highWord;
      out[1] = low;
      return true;
    }
  }
}
