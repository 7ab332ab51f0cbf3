// Trace files (schema: scenario.fbs, table TraceFile): one 32-byte TraceRecord struct per
// event. The engine keeps traces as columns (one typed array per field, never an object per
// event); these functions move whole columns in and out of the struct vector.
import * as flatbuffers from 'flatbuffers';
import { ScenarioError } from './scenario-error.js';
import { TraceFile } from './fbs/repath/fb/trace-file.js';
import { TraceRecord } from './fbs/repath/fb/trace-record.js';
export { TraceKind } from './fbs/repath/fb/trace-kind.js';

export const TRACE_FB_VERSION = 1;
const RECORD_BYTES = 32; // TraceRecord.sizeOf(): f64 time, u8 kind, u8 scheme, u16 lid, 4 x u32, 4 pad

export interface TraceColumns {
  timeNs: Float64Array;
  kind: Uint8Array;
  /** Index into the file's scheme names. */
  scheme: Uint8Array;
  lid: Uint16Array;
  host: Uint32Array;
  vm: Uint32Array;
  peerVm: Uint32Array;
  value: Uint32Array;
}

export function traceColumns(count: number): TraceColumns {
  return {
    timeNs: new Float64Array(count),
    kind: new Uint8Array(count),
    scheme: new Uint8Array(count),
    lid: new Uint16Array(count),
    host: new Uint32Array(count),
    vm: new Uint32Array(count),
    peerVm: new Uint32Array(count),
    value: new Uint32Array(count),
  };
}

export function encodeTraceFb(columns: TraceColumns, schemeNames: readonly string[]): Uint8Array {
  const n = columns.timeNs.length;
  for (const [name, col] of Object.entries(columns) as Array<[string, ArrayLike<number>]>) {
    if (col.length !== n) throw new ScenarioError(`trace.${name}`, col.length, `entries, expected ${n} like timeNs`);
  }
  const block = new Uint8Array(n * RECORD_BYTES);
  const view = new DataView(block.buffer);
  for (let i = 0, at = 0; i < n; i++, at += RECORD_BYTES) {
    view.setFloat64(at, columns.timeNs[i]!, true);
    view.setUint8(at + 8, columns.kind[i]!);
    view.setUint8(at + 9, columns.scheme[i]!);
    view.setUint16(at + 10, columns.lid[i]!, true);
    view.setUint32(at + 12, columns.host[i]!, true);
    view.setUint32(at + 16, columns.vm[i]!, true);
    view.setUint32(at + 20, columns.peerVm[i]!, true);
    view.setUint32(at + 24, columns.value[i]!, true);
  }
  const b = new flatbuffers.Builder(block.byteLength + 1024);
  const names = TraceFile.createSchemeNamesVector(b, schemeNames.map((s) => b.createString(s)));
  b.startVector(RECORD_BYTES, n, 8);
  const inner = b as unknown as { space: number; bb: flatbuffers.ByteBuffer };
  inner.space -= block.byteLength;
  inner.bb.setPosition(inner.space);
  inner.bb.bytes().set(block, inner.space);
  const records = b.endVector();
  TraceFile.startTraceFile(b);
  TraceFile.addFormatVersion(b, TRACE_FB_VERSION);
  TraceFile.addSchemeNames(b, names);
  TraceFile.addRecords(b, records);
  b.finish(TraceFile.endTraceFile(b));
  return b.asUint8Array();
}

export function decodeTraceFb(bytes: Uint8Array): { schemeNames: string[]; columns: TraceColumns } {
  try {
    const bb = new flatbuffers.ByteBuffer(bytes);
    const file = TraceFile.getRootAsTraceFile(bb);
    if (file.formatVersion() !== TRACE_FB_VERSION) throw new ScenarioError('trace.formatVersion', file.formatVersion(), `is not ${TRACE_FB_VERSION}`);
    const schemeNames: string[] = [];
    for (let i = 0; i < file.schemeNamesLength(); i++) schemeNames.push(file.schemeNames(i));
    const n = file.recordsLength();
    const columns = traceColumns(n);
    if (n > 0) {
      const first = file.records(0, new TraceRecord())!;
      const start = first.bb_pos;
      if (start + n * RECORD_BYTES > bytes.byteLength) throw new ScenarioError('trace.records', n, 'records run past the end of the file');
      const view = new DataView(bytes.buffer, bytes.byteOffset + start, n * RECORD_BYTES);
      for (let i = 0, at = 0; i < n; i++, at += RECORD_BYTES) {
        columns.timeNs[i] = view.getFloat64(at, true);
        columns.kind[i] = view.getUint8(at + 8);
        columns.scheme[i] = view.getUint8(at + 9);
        columns.lid[i] = view.getUint16(at + 10, true);
        columns.host[i] = view.getUint32(at + 12, true);
        columns.vm[i] = view.getUint32(at + 16, true);
        columns.peerVm[i] = view.getUint32(at + 20, true);
        columns.value[i] = view.getUint32(at + 24, true);
      }
    }
    return { schemeNames, columns };
  } catch (err) {
    if (err instanceof ScenarioError) throw err;
    throw new ScenarioError('trace file', `${bytes.byteLength} bytes`, `is not a valid trace flatbuffer (${(err as Error).message})`);
  }
}
