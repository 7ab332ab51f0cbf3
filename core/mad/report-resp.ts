// The ReportResp to a Report, written in one pass for the paths that answer every Report (Dom0
// for its PF, a VM for its own VF's subscription under per-vguid).
//
// A ReportResp is the Report's header with the response's method and status, single-MAD RMPP
// fields and the Notice's AttributeOffset, followed by the Notice echoed (80 bytes) and zeros:
// what MadView.initResponseTo gives plus a copy of the Notice, but as one 256-byte copy and a few
// stores instead of a fill, a byte loop over the header and a subarray for the Notice (an object
// per Report on a path that runs millions of times a storm).
import { MAD_SIZE, MadStatus, Method, SA_DATA_OFFSET, SaAttr } from './constants.js';
import { setU16 } from './bytes.js';
import { saAttributeOffset } from './mad-view.js';
import { NOTICE_SIZE } from './notice.js';

/** Writes into `out` (256 bytes) the ReportResp, status Ok, to the 256-byte Report `report`. */
export function writeReportResp(out: Uint8Array, report: Uint8Array): void {
  if (out.length !== MAD_SIZE || report.length !== MAD_SIZE) throw new RangeError(`writeReportResp: ${out.length}- and ${report.length}-byte buffers, not ${MAD_SIZE}`);
  out.set(report);
  out[3] = Method.ReportResp;
  setU16(out, 4, MadStatus.Ok);
  out.fill(0, 24, 36); // RMPP fields, segment number, payload length: a single-MAD response
  setU16(out, 44, saAttributeOffset(SaAttr.Notice));
  out.fill(0, SA_DATA_OFFSET + NOTICE_SIZE, MAD_SIZE);
}
