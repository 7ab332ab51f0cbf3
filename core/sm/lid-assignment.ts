// LID assignment for host ports. The SM's sweep (SMP discovery and PortInfo Set) is not
// modelled: LIDs are handed out in host order at build time, as OpenSM does on a fresh subnet
// without a guid2lid file. The unicast range is 0x0001-0xBFFF (49,151 LIDs); when every one of
// them is a host's, the SM runs on host 0's port and shares its LID (as OpenSM runs on a host).
import { LID_UNICAST_MAX, LID_UNICAST_MIN } from '../mad/constants.js';

export interface LidPlan {
  /** The SM's LID. */
  readonly smLid: number;
  /** Host whose port the SM shares, or -1 when the SM has a port of its own. */
  readonly smHost: number;
  /** LID of each host's port. */
  readonly hostLid: Uint16Array;
}

export const MAX_UNICAST_LIDS = LID_UNICAST_MAX - LID_UNICAST_MIN + 1;

export function assignLids(hosts: number): LidPlan {
  if (!Number.isInteger(hosts) || hosts < 1 || hosts > MAX_UNICAST_LIDS) {
    throw new RangeError(`hosts: ${hosts} is not in 1..${MAX_UNICAST_LIDS} (the unicast LID space)`);
  }
  const hostLid = new Uint16Array(hosts);
  if (hosts < MAX_UNICAST_LIDS) {
    // SM on its own port at the first LID, hosts after it.
    for (let h = 0; h < hosts; h++) hostLid[h] = LID_UNICAST_MIN + 1 + h;
    return { smLid: LID_UNICAST_MIN, smHost: -1, hostLid };
  }
  for (let h = 0; h < hosts; h++) hostLid[h] = LID_UNICAST_MIN + h;
  return { smLid: hostLid[0]!, smHost: 0, hostLid };
}
