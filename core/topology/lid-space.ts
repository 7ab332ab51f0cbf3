// The unicast LID budget of one subnet. Every host port (one PF per host; its VFs share its
// LID in the SR-IOV shared-port model) needs a LID, every switch needs one for its management
// port 0, and an SM on a node of its own needs one more. With LMC 0 the rule is
//   hosts + switches + (SM on a separate node ? 1 : 0) <= 49,151   (LIDs 0x0001..0xBFFF).

/** Unicast LIDs 0x0001..0xBFFF. */
export const UNICAST_LIDS = 0xbfff;

/** Most VF slots (alias GUIDs) a port offers: 128 on mlx4. */
export const MAX_SLOTS_PER_HOST = 128;
