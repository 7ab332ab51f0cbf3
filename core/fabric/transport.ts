// The transport the SM, Dom0 and VM agents talk through: 256-byte MADs from (srcLid, srcQp)
// to (dstLid, dstQp). Two implementations: the in-process emulated fabric (virtual time) and,
// later, the native umad path (real time).
//
// Addressing in the SR-IOV shared-port model: every VF shares its host port's LID and QP1, so
// LID and QP alone cannot say which VF a GSI MAD is for. A real packet carries a GRH whose
// DGID is the VF's GID (subnet prefix + vGUID) and whose SGID is the sender's. The transport
// carries exactly those two GUIDs; 0 means "no GRH" (the port itself). repath models the PF
// demultiplexing by the GRH's DGID (Dom0 looks the GUID up in its GUID admin table), not by
// TID rewriting: it keeps the SM's Report addressing honest (a Report to a vGUID subscriber
// names the vGUID) and works for unsolicited MADs, which have no TID to rewrite.

export interface MadSink {
  /**
   * A MAD arrived. `mad` is 256 bytes, valid only during the call (copy what you keep).
   * GUIDs are the GRH's SGID/DGID interface ids (0, 0 when the MAD had no GRH).
   */
  receive(
    mad: Uint8Array,
    srcLid: number,
    srcQp: number,
    srcGuidHigh: number,
    srcGuidLow: number,
    dstLid: number,
    dstQp: number,
    dstGuidHigh: number,
    dstGuidLow: number,
    nowNs: number,
  ): void;
}

/** Who listens at a LID: the SM/SA, a host's PF (Dom0), or both when the SM runs on a host's port. */
export const SinkRole = {
  Sm: 1,
  Host: 2,
} as const;
export type SinkRole = (typeof SinkRole)[keyof typeof SinkRole];

export interface Transport {
  /** Makes `sink` the receiver of MADs for `lid` in `role`. */
  bind(lid: number, role: SinkRole, sink: MadSink): void;
  /**
   * Sends the 256 bytes of `mad` (copied before returning, so the caller may reuse its buffer),
   * leaving the sender at `departNs` (>= the current time; virtual ns in the emulated fabric,
   * ignored by a real-time transport).
   */
  send(
    mad: Uint8Array,
    srcLid: number,
    srcQp: number,
    srcGuidHigh: number,
    srcGuidLow: number,
    dstLid: number,
    dstQp: number,
    dstGuidHigh: number,
    dstGuidLow: number,
    departNs: number,
  ): void;
}

/** Optional observer of every MAD put on the wire (pcap traces). */
export type MadTap = (mad: Uint8Array, srcLid: number, srcQp: number, dstLid: number, dstQp: number, timeNs: number) => void;
