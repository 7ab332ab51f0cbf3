// MAD kinds for per-kind loss on the emulated fabric (cost.lossKinds is a mask of these bits).
// Dropping only one kind isolates one recovery path: only Reports or only ReportResps exercise
// the SM's Report retransmission, only PathRecords the VM agents' query retries, only Traps the
// life-cycle trap retries, only InformInfo the subscription retries.
import { MgmtClass, Method, SaAttr, SmpAttr } from '../mad/constants.js';

export const LossKind = {
  Report: 1,
  ReportResp: 2,
  InformInfo: 4,
  PathRecord: 8,
  GuidInfoRecord: 16,
  /** SMP Trap(Notice) and its TrapRepress. */
  Trap: 32,
  Other: 64,
} as const;
export type LossKindName = keyof typeof LossKind;

export const ALL_LOSS_KINDS = 0x7f;

/** The LossKind bit of a MAD, from its class, method and attribute bytes (no decode). */
export function lossKindOf(mad: Uint8Array): number {
  const cls = mad[1]!;
  const method = mad[3]!;
  const attr = (mad[16]! << 8) | mad[17]!;
  if (cls === MgmtClass.SubnAdm) {
    if (attr === SaAttr.Notice) {
      if (method === Method.Report) return LossKind.Report;
      if (method === Method.ReportResp) return LossKind.ReportResp;
    }
    if (attr === SaAttr.InformInfo) return LossKind.InformInfo;
    if (attr === SaAttr.PathRecord) return LossKind.PathRecord;
    if (attr === SaAttr.GuidInfoRecord) return LossKind.GuidInfoRecord;
    return LossKind.Other;
  }
  if (cls === MgmtClass.SubnLid && attr === SmpAttr.Notice) return LossKind.Trap;
  return LossKind.Other;
}

/** Parses "report,reportresp" (or "all") into a mask; throws naming the unknown kind. */
export function parseLossKinds(text: string): number {
  let mask = 0;
  for (const raw of text.split(',')) {
    const k = raw.trim().toLowerCase();
    if (k === '') continue;
    if (k === 'all') {
      mask |= ALL_LOSS_KINDS;
      continue;
    }
    const name = (Object.keys(LossKind) as LossKindName[]).find((n) => n.toLowerCase() === k);
    if (name === undefined) {
      throw new RangeError(`loss kinds: "${raw}" is not one of all, ${Object.keys(LossKind).map((n) => n.toLowerCase()).join(', ')}`);
    }
    mask |= LossKind[name];
  }
  return mask;
}
