// What a VF may send through its PF (issue 7). Every MAD from a VM leaves through Dom0
// (Dom0.sendFromVf), which puts the VF's own vGUID in the GRH SGID, so the SA always knows the
// real sender. This policy closes what the MAD body could still claim:
//
//   SMP (LID-routed or directed)                               -> dropped (VFs send no SMPs, no Traps)
//   SA Report / Trap, SA responses other than ReportResp       -> dropped (a VF forging notices)
//   SA InformInfo Set when VF subscriptions are off (per-pf)   -> SaDenied
//   SA InformInfo whose GID names someone else                 -> SaDenied
//   SA GUIDInfoRecord Set/Delete of any GUID but the VF's own,
//     at any index but its own, or a request to assign one     -> SaDenied
//   SA PathRecord whose SGID (if in the mask) is not the VF's  -> SaDenied
//     (per-pf-interest records the SGID as the asker: a VF must not register interest for another)
//   anything else (SA Gets, CM and other GSI classes)          -> passes
// Only fixed header and record offsets are read: no decode, no allocation.
import { GuidInfoRecordMask, MgmtClass, Method, PathRecordMask, SaAttr, maskHasBit } from '../mad/constants.js';
import { u16, u32 } from '../mad/bytes.js';

export const TunnelVerdict = {
  Pass: 0,
  /** Answer the VF with SaDenied. */
  Deny: 1,
  /** An InformInfo while VF subscriptions are refused: SaDenied, counted as a refused subscription. */
  DenySubscription: 2,
  /** Not a request: nothing to answer, dropped. */
  Drop: 3,
} as const;
export type TunnelVerdict = (typeof TunnelVerdict)[keyof typeof TunnelVerdict];

const SA_DATA = 56;
const GID_MASK_BITS = 0xff << GuidInfoRecordMask.GID0;

/**
 * Verdict on `mad` sent by the VF holding vGUID (guidHigh, guidLow) at alias index `index` of
 * the port with LID `portLid`.
 */
export function checkTunnelled(mad: Uint8Array, guidHigh: number, guidLow: number, portLid: number, index: number, vfSubscriptions: boolean): TunnelVerdict {
  if (mad.length < 256) return TunnelVerdict.Drop;
  const cls = mad[1]!;
  if (cls === MgmtClass.SubnLid || cls === MgmtClass.SubnDirected) return TunnelVerdict.Drop;
  if (cls !== MgmtClass.SubnAdm) return TunnelVerdict.Pass;
  const method = mad[3]!;
  if (method === Method.ReportResp) return TunnelVerdict.Pass;
  if ((method & 0x80) !== 0 || method === Method.Report || method === Method.Trap) return TunnelVerdict.Drop;
  const attr = u16(mad, 16);
  const mh = u32(mad, 48);
  const ml = u32(mad, 52);
  const gh = guidHigh >>> 0;
  const gl = guidLow >>> 0;
  switch (attr) {
    case SaAttr.InformInfo: {
      if (!vfSubscriptions) return TunnelVerdict.DenySubscription;
      const zero = (u32(mad, SA_DATA) | u32(mad, SA_DATA + 4) | u32(mad, SA_DATA + 8) | u32(mad, SA_DATA + 12)) === 0;
      if (!zero && (u32(mad, SA_DATA + 8) !== gh || u32(mad, SA_DATA + 12) !== gl)) return TunnelVerdict.Deny;
      return TunnelVerdict.Pass;
    }
    case SaAttr.GuidInfoRecord: {
      if (method !== Method.Set && method !== Method.Delete) return TunnelVerdict.Pass;
      const k = index & 7;
      if (
        !maskHasBit(mh, ml, GuidInfoRecordMask.LID) ||
        !maskHasBit(mh, ml, GuidInfoRecordMask.BLOCK_NUM) ||
        u16(mad, SA_DATA) !== portLid ||
        mad[SA_DATA + 2] !== index >>> 3 ||
        ((ml & GID_MASK_BITS) >>> 0) !== (1 << (GuidInfoRecordMask.GID0 + k)) >>> 0
      ) {
        return TunnelVerdict.Deny;
      }
      if (method === Method.Set && (u32(mad, SA_DATA + 8 + 8 * k) !== gh || u32(mad, SA_DATA + 12 + 8 * k) !== gl)) return TunnelVerdict.Deny;
      return TunnelVerdict.Pass;
    }
    case SaAttr.PathRecord:
      if (maskHasBit(mh, ml, PathRecordMask.SGID) && (u32(mad, SA_DATA + 32) !== gh || u32(mad, SA_DATA + 36) !== gl)) return TunnelVerdict.Deny;
      return TunnelVerdict.Pass;
    default:
      return TunnelVerdict.Pass;
  }
}
