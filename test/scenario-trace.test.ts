import test from 'ava';
import * as flatbuffers from 'flatbuffers';
import { decodeTraceFb, encodeTraceFb, traceColumns, TraceKind } from '../core/scenario/trace-fb.js';
import { TraceFile } from '../core/scenario/fbs/repath/fb/trace-file.js';
import { ScenarioError } from '../core/scenario/scenario-error.js';

test('trace columns round-trip through TraceFile records, readable by the generated accessors', (t) => {
  const n = 1000;
  const c = traceColumns(n);
  for (let i = 0; i < n; i++) {
    c.timeNs[i] = 1_000_000 + i * 1.5;
    c.kind[i] = i % 5;
    c.scheme[i] = i % 2;
    c.lid[i] = (i * 7) & 0xffff;
    c.host[i] = i * 3;
    c.vm[i] = 0xffffffff - i;
    c.peerVm[i] = i * 11;
    c.value[i] = i ^ 0x5a5a;
  }
  const bytes = encodeTraceFb(c, ['per-pf', 'per-vguid']);
  t.is(bytes.byteLength > n * 32, true);
  const back = decodeTraceFb(bytes);
  t.deepEqual(back.schemeNames, ['per-pf', 'per-vguid']);
  t.deepEqual(back.columns, c);
  // The block copy lays records out exactly as flatc's struct accessors expect.
  const file = TraceFile.getRootAsTraceFile(new flatbuffers.ByteBuffer(bytes));
  const r = file.records(123)!;
  t.is(r.timeNs(), c.timeNs[123]);
  t.is(r.kind(), c.kind[123] as TraceKind);
  t.is(r.lid(), c.lid[123]);
  t.is(r.vm(), c.vm[123]);
  t.is(r.peerVm(), c.peerVm[123]);
  t.is(r.value(), c.value[123]);
});

test('mismatched columns and damaged trace files stop with a ScenarioError', (t) => {
  const c = traceColumns(3);
  c.vm = new Uint32Array(2);
  t.throws(() => encodeTraceFb(c, []), { instanceOf: ScenarioError, message: 'trace.vm: 2 entries, expected 3 like timeNs' });
  const good = encodeTraceFb(traceColumns(10), ['per-pf']);
  t.throws(() => decodeTraceFb(good.subarray(0, 40)), { instanceOf: ScenarioError });
});
