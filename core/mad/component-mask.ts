// SA ComponentMask bit numbers per attribute, and helpers over the mask's two 32-bit halves.
// Bit n of the 64-bit mask selects the n-th component (field) of the record, counting from the
// record's first field (IBA 15.2.5; OpenSM ib_types.h IB_PR_COMPMASK_*, IB_GIR_COMPMASK_*, IB_IIR_COMPMASK_*).
// The mask is kept as two u32 halves so no BigInt ever appears on a hot path.

/** PathRecord components. */
export const PathRecordMask = {
  SERVICE_ID_MSB: 0,
  SERVICE_ID_LSB: 1,
  DGID: 2,
  SGID: 3,
  DLID: 4,
  SLID: 5,
  RAW_TRAFFIC: 6,
  FLOW_LABEL: 8,
  HOP_LIMIT: 9,
  TCLASS: 10,
  REVERSIBLE: 11,
  NUMB_PATH: 12,
  PKEY: 13,
  QOS_CLASS: 14,
  SL: 15,
  MTU_SELECTOR: 16,
  MTU: 17,
  RATE_SELECTOR: 18,
  RATE: 19,
  PKT_LIFE_SELECTOR: 20,
  PKT_LIFE: 21,
  PREFERENCE: 22,
} as const;

/** GUIDInfoRecord components: LID, BlockNum, two reserved, then the eight GUIDs. */
export const GuidInfoRecordMask = {
  LID: 0,
  BLOCK_NUM: 1,
  GID0: 4,
  GID1: 5,
  GID2: 6,
  GID3: 7,
  GID4: 8,
  GID5: 9,
  GID6: 10,
  GID7: 11,
} as const;

/** InformInfoRecord components: SubscriberGID, Enum, reserved, then the embedded InformInfo's fields. */
export const InformInfoRecordMask = {
  SUBSCRIBER_GID: 0,
  ENUM: 1,
  GID: 3,
  LID_RANGE_BEGIN: 4,
  LID_RANGE_END: 5,
  IS_GENERIC: 7,
  SUBSCRIBE: 8,
  TYPE: 9,
  TRAP_NUMBER: 10,
  DEVICE_ID: 10,
  QPN: 11,
  RESP_TIME_VALUE: 13,
  PRODUCER_TYPE: 15,
  VENDOR_ID: 15,
} as const;

/**
 * InformInfo is only ever Set as a whole (subscribe/unsubscribe), so it has no mask of its own in
 * practice; queries of subscriptions go through InformInfoRecord, whose bits for the InformInfo
 * fields are these.
 */
export const InformInfoMask = InformInfoRecordMask;

/** True if component `bit` (0..63) is set in the mask given as its two halves. */
export function maskHasBit(maskHigh: number, maskLow: number, bit: number): boolean {
  return bit < 32 ? ((maskLow >>> bit) & 1) === 1 : ((maskHigh >>> (bit - 32)) & 1) === 1;
}

/** Something holding a component mask as two halves: a MadView, or a plain pair. */
export interface ComponentMaskHolder {
  componentMaskHigh: number;
  componentMaskLow: number;
}

/** Sets component `bit` in the holder's mask (in place; no allocation). */
export function maskWithBit(holder: ComponentMaskHolder, bit: number): void {
  if (bit < 32) holder.componentMaskLow = (holder.componentMaskLow | (1 << bit)) >>> 0;
  else holder.componentMaskHigh = (holder.componentMaskHigh | (1 << (bit - 32))) >>> 0;
}

/** Clears component `bit` in the holder's mask (in place). */
export function maskWithoutBit(holder: ComponentMaskHolder, bit: number): void {
  if (bit < 32) holder.componentMaskLow = (holder.componentMaskLow & ~(1 << bit)) >>> 0;
  else holder.componentMaskHigh = (holder.componentMaskHigh & ~(1 << (bit - 32))) >>> 0;
}

/** Low half (bits 0..31) of the mask with the listed components set; for building constants once. */
export function maskLow(bits: readonly number[]): number {
  let m = 0;
  for (const bit of bits) if (bit < 32) m |= 1 << bit;
  return m >>> 0;
}

/** High half (bits 32..63) of the mask with the listed components set. */
export function maskHigh(bits: readonly number[]): number {
  let m = 0;
  for (const bit of bits) if (bit >= 32) m |= 1 << (bit - 32);
  return m >>> 0;
}
