// writeReportResp (core/mad/report-resp.ts) against the general path it replaces on the hot
// paths: MadView.initResponseTo(ReportResp, Ok) and the Notice copied after the header.
import test from 'ava';
import { MadStatus, MadView, Method, MgmtClass, SaAttr, setU16, writeReportResp } from '../core/mad/index.js';

function randomReport(seed: number): Uint8Array {
  let x = seed >>> 0 || 1;
  const b = new Uint8Array(256);
  for (let i = 0; i < 256; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  b[1] = MgmtClass.SubnAdm;
  b[3] = Method.Report;
  setU16(b, 16, SaAttr.Notice);
  return b;
}

test('writeReportResp: byte for byte what initResponseTo and a copy of the Notice give, for 500 random Reports', (t) => {
  const request = new MadView();
  const response = new MadView();
  const expected = new Uint8Array(256);
  const got = new Uint8Array(256).fill(0xee); // whatever was there before must not show through
  let differing = 0;
  for (let seed = 1; seed <= 500; seed++) {
    const report = randomReport(seed);
    request.wrapForWrite(report);
    response.wrapForWrite(expected);
    response.initResponseTo(request, Method.ReportResp, MadStatus.Ok);
    expected.set(report.subarray(56, 136), 56);
    writeReportResp(got, report);
    if (!got.every((v, i) => v === expected[i])) differing++;
  }
  t.is(differing, 0);
  t.is(got[3], Method.ReportResp);
});

test('writeReportResp: a buffer that is not 256 bytes is refused, naming both lengths', (t) => {
  t.throws(() => writeReportResp(new Uint8Array(255), randomReport(1)), { message: 'writeReportResp: 255- and 256-byte buffers, not 256' });
});
