// The MAD as plain JSON, for the CLI, traces, tests and humans. Field names and value forms are those
// of the golden file (test/fixtures/opensm-3.3.23-mads.json): numbers for fields up to 32 bits,
// "0x%016x" strings for 64-bit values ("0x0" for zero, as the golden file writes zero GUIDs), GIDs as
// eight groups of four hex digits. Opaque areas are lower-case hex strings.
//
// Bytes the JSON form does not carry (the codec does not own them; decode ignores them, encode writes 0):
// reserved header bytes 18-19 and 46-47; SA data after the first record; reserved bits and bytes inside
// the records; NoticeCount (OpenSM leaves it uninitialised); the reserved parts of the DataDetails of
// traps 64-69, 128 and 144. Everything else round-trips: encodeMadJson(decodeMadJson(x)) equals x there.
// Not a hot path: the engine uses MadView directly.
import { MAD_SIZE, SA_DATA_OFFSET, SA_DATA_SIZE, MgmtClass, SaAttr, TrapNumber, MadStatus } from './constants.js';
import { BytesRef, toHex, u64Hex } from './bytes.js';
import { MadError } from './mad-error.js';
import { GidView, parseGidInto } from './gid-view.js';
import { MadView } from './mad-view.js';
import { CLASS_VERSION, checkMad } from './mad-rules.js';
import type { PathRecordView } from './path-record.js';
import type { InformInfoView } from './inform-info.js';
import type { ClassPortInfoView } from './class-port-info.js';
import type { NoticeView } from './notice.js';

export type JsonFields = Record<string, number | string>;

export interface GuidInfoRecordJson {
  lid: number;
  blockNum: number;
  guids: string[];
}

export interface InformInfoRecordJson {
  subscriberGid: string;
  enumeration: number;
  informInfo: JsonFields;
}

export interface MadJson {
  baseVersion: number;
  mgmtClass: number;
  classVersion: number;
  method: number;
  status: number;
  classSpecific: number;
  transactionId: string;
  attributeId: number;
  attributeModifier: number;
  rmppVersion?: number;
  rmppType?: number;
  rrespTime?: number;
  rmppFlags?: number;
  rmppStatus?: number;
  segmentNumber?: number;
  payloadLength?: number;
  smKey?: string;
  attributeOffset?: number;
  componentMask?: string;
  pathRecord?: JsonFields;
  guidInfoRecord?: GuidInfoRecordJson;
  informInfo?: JsonFields;
  informInfoRecord?: InformInfoRecordJson;
  classPortInfo?: JsonFields;
  notice?: JsonFields;
  /** Opaque rest of the MAD: SA data (bytes 56-255) for SA attributes without a view, else bytes 24-255. Trailing zeros trimmed. */
  data?: string;
}

// ---- field descriptors: one table per attribute drives both directions ----

interface IntField<V> {
  kind: 'int';
  name: string;
  max: number;
  get(v: V): number;
  set(v: V, x: number): void;
}
interface GidField<V> {
  kind: 'gid';
  name: string;
  gid(v: V): GidView;
}
interface U64Field<V> {
  kind: 'u64';
  name: string;
  high(v: V): number;
  low(v: V): number;
  set(v: V, high: number, low: number): void;
}
type Field<V> = IntField<V> | GidField<V> | U64Field<V>;

function int<V>(name: string, bits: number, get: (v: V) => number, set: (v: V, x: number) => void): IntField<V> {
  return { kind: 'int', name, max: bits === 32 ? 0xffffffff : (1 << bits) - 1, get, set };
}
function gid<V>(name: string, g: (v: V) => GidView): GidField<V> {
  return { kind: 'gid', name, gid: g };
}

const PATH_RECORD_FIELDS: Field<PathRecordView>[] = [
  {
    kind: 'u64', name: 'serviceId', high: (v) => v.serviceIdHigh, low: (v) => v.serviceIdLow,
    set: (v, h, l) => { v.serviceIdHigh = h; v.serviceIdLow = l; },
  },
  gid('dgid', (v) => v.dgid),
  gid('sgid', (v) => v.sgid),
  int('dlid', 16, (v) => v.dlid, (v, x) => { v.dlid = x; }),
  int('slid', 16, (v) => v.slid, (v, x) => { v.slid = x; }),
  int('rawTraffic', 1, (v) => v.rawTraffic, (v, x) => { v.rawTraffic = x; }),
  int('flowLabel', 20, (v) => v.flowLabel, (v, x) => { v.flowLabel = x; }),
  int('hopLimit', 8, (v) => v.hopLimit, (v, x) => { v.hopLimit = x; }),
  int('tclass', 8, (v) => v.tclass, (v, x) => { v.tclass = x; }),
  int('reversible', 1, (v) => v.reversible, (v, x) => { v.reversible = x; }),
  int('numbPath', 7, (v) => v.numbPath, (v, x) => { v.numbPath = x; }),
  int('pkey', 16, (v) => v.pkey, (v, x) => { v.pkey = x; }),
  int('qosClass', 12, (v) => v.qosClass, (v, x) => { v.qosClass = x; }),
  int('sl', 4, (v) => v.sl, (v, x) => { v.sl = x; }),
  int('mtu', 8, (v) => v.mtu, (v, x) => { v.mtu = x; }),
  int('rate', 8, (v) => v.rate, (v, x) => { v.rate = x; }),
  int('pktLife', 8, (v) => v.pktLife, (v, x) => { v.pktLife = x; }),
  int('preference', 8, (v) => v.preference, (v, x) => { v.preference = x; }),
];

function informInfoFields(isGeneric: boolean): Field<InformInfoView>[] {
  return [
    gid('gid', (v) => v.gid),
    int('lidRangeBegin', 16, (v) => v.lidRangeBegin, (v, x) => { v.lidRangeBegin = x; }),
    int('lidRangeEnd', 16, (v) => v.lidRangeEnd, (v, x) => { v.lidRangeEnd = x; }),
    int('isGeneric', 8, (v) => v.isGeneric, (v, x) => { v.isGeneric = x; }),
    int('subscribe', 8, (v) => v.subscribe, (v, x) => { v.subscribe = x; }),
    int('type', 16, (v) => v.type, (v, x) => { v.type = x; }),
    int(isGeneric ? 'trapNumber' : 'deviceId', 16, (v) => v.trapNumber, (v, x) => { v.trapNumber = x; }),
    int('qpn', 24, (v) => v.qpn, (v, x) => { v.qpn = x; }),
    int('respTimeValue', 5, (v) => v.respTimeValue, (v, x) => { v.respTimeValue = x; }),
    int(isGeneric ? 'producerType' : 'vendorId', 24, (v) => v.producerType, (v, x) => { v.producerType = x; }),
  ];
}
const INFORM_INFO_GENERIC = informInfoFields(true);
const INFORM_INFO_VENDOR = informInfoFields(false);

const CLASS_PORT_INFO_FIELDS: Field<ClassPortInfoView>[] = [
  int('baseVersion', 8, (v) => v.baseVersion, (v, x) => { v.baseVersion = x; }),
  int('classVersion', 8, (v) => v.classVersion, (v, x) => { v.classVersion = x; }),
  int('capabilityMask', 16, (v) => v.capabilityMask, (v, x) => { v.capabilityMask = x; }),
  int('capabilityMask2', 27, (v) => v.capabilityMask2, (v, x) => { v.capabilityMask2 = x; }),
  int('respTimeValue', 5, (v) => v.respTimeValue, (v, x) => { v.respTimeValue = x; }),
  gid('redirectGid', (v) => v.redirectGid),
  int('redirectTClass', 8, (v) => v.redirectTClass, (v, x) => { v.redirectTClass = x; }),
  int('redirectSl', 4, (v) => v.redirectSl, (v, x) => { v.redirectSl = x; }),
  int('redirectFlowLabel', 20, (v) => v.redirectFlowLabel, (v, x) => { v.redirectFlowLabel = x; }),
  int('redirectLid', 16, (v) => v.redirectLid, (v, x) => { v.redirectLid = x; }),
  int('redirectPKey', 16, (v) => v.redirectPKey, (v, x) => { v.redirectPKey = x; }),
  int('redirectQp', 24, (v) => v.redirectQp, (v, x) => { v.redirectQp = x; }),
  int('redirectQKey', 32, (v) => v.redirectQKey, (v, x) => { v.redirectQKey = x; }),
  gid('trapGid', (v) => v.trapGid),
  int('trapTClass', 8, (v) => v.trapTClass, (v, x) => { v.trapTClass = x; }),
  int('trapSl', 4, (v) => v.trapSl, (v, x) => { v.trapSl = x; }),
  int('trapFlowLabel', 20, (v) => v.trapFlowLabel, (v, x) => { v.trapFlowLabel = x; }),
  int('trapLid', 16, (v) => v.trapLid, (v, x) => { v.trapLid = x; }),
  int('trapPKey', 16, (v) => v.trapPKey, (v, x) => { v.trapPKey = x; }),
  int('trapHopLimit', 8, (v) => v.trapHopLimit, (v, x) => { v.trapHopLimit = x; }),
  int('trapQp', 24, (v) => v.trapQp, (v, x) => { v.trapQp = x; }),
  int('trapQKey', 32, (v) => v.trapQKey, (v, x) => { v.trapQKey = x; }),
];

/** The Notice fields before DataDetails, generic or vendor naming. */
function noticeHead(isGeneric: boolean): Field<NoticeView>[] {
  return [
    int('isGeneric', 1, (v) => v.isGeneric, (v, x) => { v.isGeneric = x; }),
    int('type', 7, (v) => v.type, (v, x) => { v.type = x; }),
    int(isGeneric ? 'producerType' : 'vendorId', 24, (v) => v.producerType, (v, x) => { v.producerType = x; }),
    int(isGeneric ? 'trapNumber' : 'deviceId', 16, (v) => v.trapNumber, (v, x) => { v.trapNumber = x; }),
    int('issuerLid', 16, (v) => v.issuerLid, (v, x) => { v.issuerLid = x; }),
    int('noticeToggle', 1, (v) => v.noticeToggle, (v, x) => { v.noticeToggle = x; }),
    gid('issuerGid', (v) => v.issuerGid),
  ];
}
const NOTICE_GENERIC_HEAD = noticeHead(true);
const NOTICE_VENDOR_HEAD = noticeHead(false);

const NOTICE_GID_DETAILS: Field<NoticeView>[] = [gid('gid', (v) => v.gid)];
const NOTICE_TRAP128_DETAILS: Field<NoticeView>[] = [int('lidAddr', 16, (v) => v.lidAddr, (v, x) => { v.lidAddr = x; })];
const NOTICE_TRAP144_DETAILS: Field<NoticeView>[] = [
  int('lidAddr', 16, (v) => v.trap144LidAddr, (v, x) => { v.trap144LidAddr = x; }),
  int('otherLocalChanges', 1, (v) => v.otherLocalChanges, (v, x) => { v.otherLocalChanges = x; }),
  int('capabilityMask', 32, (v) => v.capabilityMask, (v, x) => { v.capabilityMask = x; }),
  int('changeFlags', 16, (v) => v.changeFlags, (v, x) => { v.changeFlags = x; }),
  int('capabilityMask2', 16, (v) => v.capabilityMask2, (v, x) => { v.capabilityMask2 = x; }),
];
const NOTICE_PATH_DETAILS: Field<NoticeView>[] = [
  int('newLid', 16, (v) => v.newLid, (v, x) => { v.newLid = x; }),
  int('oldLid', 16, (v) => v.oldLid, (v, x) => { v.oldLid = x; }),
  int('vmState', 8, (v) => v.vmState, (v, x) => { v.vmState = x; }),
  gid('vgid', (v) => v.vgid),
  {
    kind: 'u64', name: 'newPortGuid', high: (v) => v.newPortGuidHigh, low: (v) => v.newPortGuidLow,
    set: (v, h, l) => { v.newPortGuidHigh = h; v.newPortGuidLow = l; },
  },
  {
    kind: 'u64', name: 'oldPortGuid', high: (v) => v.oldPortGuidHigh, low: (v) => v.oldPortGuidLow,
    set: (v, h, l) => { v.oldPortGuidHigh = h; v.oldPortGuidLow = l; },
  },
  int('sequence', 32, (v) => v.sequence, (v, x) => { v.sequence = x; }),
];

/** Which DataDetails layout a notice uses; null = opaque (hex "dataDetails"). */
function noticeDetails(isGeneric: number, trap: number): Field<NoticeView>[] | null {
  if (isGeneric !== 1) return null;
  switch (trap) {
    case TrapNumber.GidInService:
    case TrapNumber.GidOutOfService:
    case TrapNumber.McGroupCreated:
    case TrapNumber.McGroupDeleted:
      return NOTICE_GID_DETAILS;
    case TrapNumber.UnPath:
    case TrapNumber.RePath:
      return NOTICE_PATH_DETAILS;
    case TrapNumber.LinkStateChange:
      return NOTICE_TRAP128_DETAILS;
    case TrapNumber.CapabilityMaskChange:
      return NOTICE_TRAP144_DETAILS;
    default:
      return null;
  }
}

// ---- decode ----

const decoder = new MadView();

function readFields<V>(view: V, fields: readonly Field<V>[], out: JsonFields): JsonFields {
  for (const f of fields) {
    if (f.kind === 'int') out[f.name] = f.get(view);
    else if (f.kind === 'gid') out[f.name] = f.gid(view).toString();
    else out[f.name] = u64Hex(f.high(view), f.low(view));
  }
  return out;
}

function trimmedHex(b: Uint8Array, from: number, to: number): string {
  let end = to;
  while (end > from && b[end - 1] === 0) end--;
  return toHex(b, from, end - from);
}

/** Decodes a MAD (1..256 bytes; short ones zero-padded) to its JSON form. Throws only MadError. */
export function decodeMadJson(bytes: Uint8Array): MadJson {
  const m = decoder.wrap(bytes);
  const b = m.bytes;
  const json: MadJson = {
    baseVersion: m.baseVersion,
    mgmtClass: m.mgmtClass,
    classVersion: m.classVersion,
    method: m.method,
    status: m.status,
    classSpecific: m.classSpecific,
    transactionId: u64Hex(m.tidHigh, m.tidLow),
    attributeId: m.attributeId,
    attributeModifier: m.attributeModifier,
  };
  if (m.mgmtClass !== MgmtClass.SubnAdm) {
    const data = trimmedHex(b, 24, MAD_SIZE);
    if (data !== '') json.data = data;
    return json;
  }
  json.rmppVersion = m.rmppVersion;
  json.rmppType = m.rmppType;
  json.rrespTime = m.rrespTime;
  json.rmppFlags = m.rmppFlags;
  json.rmppStatus = m.rmppStatus;
  json.segmentNumber = m.segmentNumber;
  json.payloadLength = m.payloadLength;
  json.smKey = u64Hex(m.smKeyHigh, m.smKeyLow);
  json.attributeOffset = m.attributeOffset;
  json.componentMask = u64Hex(m.componentMaskHigh, m.componentMaskLow);
  switch (m.attributeId) {
    case SaAttr.PathRecord:
      json.pathRecord = readFields(m.pathRecord, PATH_RECORD_FIELDS, {});
      break;
    case SaAttr.GuidInfoRecord: {
      const g = m.guidInfoRecord;
      const guids: string[] = [];
      for (let i = 0; i < 8; i++) guids.push(u64Hex(g.guidHigh(i), g.guidLow(i)));
      json.guidInfoRecord = { lid: g.lid, blockNum: g.blockNum, guids };
      break;
    }
    case SaAttr.InformInfo:
      json.informInfo = readInformInfo(m.informInfo);
      break;
    case SaAttr.InformInfoRecord: {
      const r = m.informInfoRecord;
      json.informInfoRecord = {
        subscriberGid: r.subscriberGid.toString(),
        enumeration: r.enumeration,
        informInfo: readInformInfo(r.informInfo),
      };
      break;
    }
    case SaAttr.ClassPortInfo:
      json.classPortInfo = readFields(m.classPortInfo, CLASS_PORT_INFO_FIELDS, {});
      break;
    case SaAttr.Notice: {
      const n = m.notice;
      const generic = n.isGeneric === 1;
      const out = readFields(n, generic ? NOTICE_GENERIC_HEAD : NOTICE_VENDOR_HEAD, {});
      const details = noticeDetails(n.isGeneric, n.trapNumber);
      if (details === null) out.dataDetails = toHex(b, n.offset + 10, 54);
      else readFields(n, details, out);
      json.notice = out;
      break;
    }
    default: {
      const data = trimmedHex(b, SA_DATA_OFFSET, MAD_SIZE);
      if (data !== '') json.data = data;
    }
  }
  return json;
}

function readInformInfo(v: InformInfoView): JsonFields {
  return readFields(v, v.isGeneric === 0 ? INFORM_INFO_VENDOR : INFORM_INFO_GENERIC, {});
}

// ---- encode ----

function describe(x: unknown): string {
  if (x === undefined) return 'undefined';
  try {
    return JSON.stringify(x) ?? String(x);
  } catch {
    return String(x);
  }
}

function badJson(field: string, value: unknown, problem: string): MadError {
  return new MadError(field, describe(value), problem, MadStatus.InvalidField);
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function checkKeys(obj: Record<string, unknown>, allowed: readonly string[], path: string): void {
  for (const k of Object.keys(obj)) {
    if (!allowed.includes(k)) throw badJson(path + k, obj[k], `is not a field here (allowed: ${allowed.join(', ')})`);
  }
}

function intValue(obj: Record<string, unknown>, key: string, max: number, path: string, fallback = 0): number {
  const x = obj[key];
  if (x === undefined) return fallback;
  if (typeof x !== 'number' || !Number.isInteger(x) || x < 0 || x > max) {
    throw badJson(path + key, x, `is not an integer in 0..${max}`);
  }
  return x;
}

/** Parses a 64-bit hex string ("0x" + 1..16 hex digits) into [high, low] held in `out`. */
function u64Value(obj: Record<string, unknown>, key: string, path: string, out: Uint32Array): void {
  const x = obj[key];
  out[0] = 0;
  out[1] = 0;
  if (x === undefined) return;
  if (typeof x !== 'string' || !/^0x[0-9a-fA-F]{1,16}$/.test(x)) {
    throw badJson(path + key, x, 'is not a 64-bit hex string like "0x0002c90300abcdef"');
  }
  const digits = x.slice(2).padStart(16, '0');
  out[0] = parseInt(digits.slice(0, 8), 16);
  out[1] = parseInt(digits.slice(8), 16);
}

function hexInto(x: unknown, field: string, dst: Uint8Array, from: number, maxBytes: number): void {
  if (typeof x !== 'string' || x.length % 2 !== 0 || x.length > 2 * maxBytes || !/^[0-9a-fA-F]*$/.test(x)) {
    throw badJson(field, x, `is not a hex string of at most ${maxBytes} bytes`);
  }
  for (let i = 0; i < x.length / 2; i++) dst[from + i] = parseInt(x.slice(2 * i, 2 * i + 2), 16);
}

const pair = new Uint32Array(2);

function writeFields<V>(view: V, fields: readonly Field<V>[], obj: Record<string, unknown>, path: string): void {
  for (const f of fields) {
    if (f.kind === 'int') {
      f.set(view, intValue(obj, f.name, f.max, path));
    } else if (f.kind === 'gid') {
      const g = f.gid(view);
      if (obj[f.name] === undefined) g.set(0, 0, 0, 0);
      else parseGidInto(obj[f.name], path + f.name, g.ref.bytes, g.ref.base + g.offset);
    } else {
      u64Value(obj, f.name, path, pair);
      f.set(view, pair[0]!, pair[1]!);
    }
  }
}

function names<V>(fields: readonly Field<V>[]): string[] {
  return fields.map((f) => f.name);
}

function section(json: Record<string, unknown>, key: string): Record<string, unknown> {
  const x = json[key];
  if (!isObject(x)) throw badJson(key, x, 'is not an object');
  return x;
}

function writeInformInfo(v: InformInfoView, obj: Record<string, unknown>, path: string): void {
  const generic = obj.isGeneric === undefined || obj.isGeneric !== 0;
  const fields = generic ? INFORM_INFO_GENERIC : INFORM_INFO_VENDOR;
  checkKeys(obj, names(fields), path);
  writeFields(v, fields, obj, path);
}

const HEADER_KEYS = ['baseVersion', 'mgmtClass', 'classVersion', 'method', 'status', 'classSpecific', 'transactionId', 'attributeId', 'attributeModifier'];
const SA_HEADER_KEYS = ['rmppVersion', 'rmppType', 'rrespTime', 'rmppFlags', 'rmppStatus', 'segmentNumber', 'payloadLength', 'smKey', 'attributeOffset', 'componentMask'];
const ATTRIBUTE_KEY: Record<number, string> = {
  [SaAttr.PathRecord]: 'pathRecord',
  [SaAttr.GuidInfoRecord]: 'guidInfoRecord',
  [SaAttr.InformInfo]: 'informInfo',
  [SaAttr.InformInfoRecord]: 'informInfoRecord',
  [SaAttr.ClassPortInfo]: 'classPortInfo',
  [SaAttr.Notice]: 'notice',
};

const encoder = new MadView();

/**
 * Encodes the JSON form into a fresh 256-byte MAD and validates the result as wrap() would.
 * Missing fields are 0 (baseVersion 1, mgmtClass SA, classVersion the class's own). Unknown fields,
 * wrong types and out-of-range values throw MadError naming the JSON field and value.
 */
export function encodeMadJson(json: MadJson): Uint8Array {
  const input: unknown = json;
  if (!isObject(input)) throw badJson('(mad)', input, 'is not a JSON object');
  const out = new Uint8Array(MAD_SIZE);
  const m = encoder.wrapForWrite(out);
  const cls = intValue(input, 'mgmtClass', 0xff, '', MgmtClass.SubnAdm);
  const isSa = cls === MgmtClass.SubnAdm;
  const attrId = intValue(input, 'attributeId', 0xffff, '');
  const attrKey = isSa ? ATTRIBUTE_KEY[attrId] : undefined;
  const allowed = [...HEADER_KEYS, ...(isSa ? SA_HEADER_KEYS : []), attrKey ?? 'data'];
  checkKeys(input, allowed, '');

  m.baseVersion = intValue(input, 'baseVersion', 0xff, '', 1);
  m.mgmtClass = cls;
  m.classVersion = intValue(input, 'classVersion', 0xff, '', Math.max(CLASS_VERSION[cls]!, 0));
  m.method = intValue(input, 'method', 0xff, '');
  m.status = intValue(input, 'status', 0xffff, '');
  m.classSpecific = intValue(input, 'classSpecific', 0xffff, '');
  u64Value(input, 'transactionId', '', pair);
  m.tidHigh = pair[0]!;
  m.tidLow = pair[1]!;
  m.attributeId = attrId;
  m.attributeModifier = intValue(input, 'attributeModifier', 0xffffffff, '');

  if (!isSa) {
    if (input.data !== undefined) hexInto(input.data, 'data', out, 24, MAD_SIZE - 24);
    checkMad(out, 0);
    return out;
  }
  m.rmppVersion = intValue(input, 'rmppVersion', 0xff, '');
  m.rmppType = intValue(input, 'rmppType', 0xff, '');
  m.rrespTime = intValue(input, 'rrespTime', 0x1f, '');
  m.rmppFlags = intValue(input, 'rmppFlags', 7, '');
  m.rmppStatus = intValue(input, 'rmppStatus', 0xff, '');
  m.segmentNumber = intValue(input, 'segmentNumber', 0xffffffff, '');
  m.payloadLength = intValue(input, 'payloadLength', 0xffffffff, '');
  u64Value(input, 'smKey', '', pair);
  m.smKeyHigh = pair[0]!;
  m.smKeyLow = pair[1]!;
  m.attributeOffset = intValue(input, 'attributeOffset', 0xffff, '');
  u64Value(input, 'componentMask', '', pair);
  m.componentMaskHigh = pair[0]!;
  m.componentMaskLow = pair[1]!;

  if (attrKey === undefined) {
    if (input.data !== undefined) hexInto(input.data, 'data', out, SA_DATA_OFFSET, SA_DATA_SIZE);
  } else if (input[attrKey] !== undefined) {
    const obj = section(input, attrKey);
    const path = attrKey + '.';
    switch (attrId) {
      case SaAttr.PathRecord:
        checkKeys(obj, names(PATH_RECORD_FIELDS), path);
        writeFields(m.pathRecord, PATH_RECORD_FIELDS, obj, path);
        break;
      case SaAttr.GuidInfoRecord: {
        checkKeys(obj, ['lid', 'blockNum', 'guids'], path);
        const g = m.guidInfoRecord;
        g.lid = intValue(obj, 'lid', 0xffff, path);
        g.blockNum = intValue(obj, 'blockNum', 0xff, path);
        const guids = obj.guids ?? [];
        if (!Array.isArray(guids) || guids.length > 8) throw badJson(path + 'guids', guids, 'is not an array of at most 8 GUIDs');
        for (let i = 0; i < guids.length; i++) {
          u64Value(guids as unknown as Record<string, unknown>, String(i), path + 'guids.', pair);
          g.setGuid(i, pair[0]!, pair[1]!);
        }
        break;
      }
      case SaAttr.InformInfo:
        writeInformInfo(m.informInfo, obj, path);
        break;
      case SaAttr.InformInfoRecord: {
        checkKeys(obj, ['subscriberGid', 'enumeration', 'informInfo'], path);
        const r = m.informInfoRecord;
        if (obj.subscriberGid !== undefined) parseGidInto(obj.subscriberGid, path + 'subscriberGid', out, r.subscriberGid.offset);
        r.enumeration = intValue(obj, 'enumeration', 0xffff, path);
        if (obj.informInfo !== undefined) writeInformInfo(r.informInfo, section(obj, 'informInfo'), path + 'informInfo.');
        break;
      }
      case SaAttr.ClassPortInfo:
        checkKeys(obj, names(CLASS_PORT_INFO_FIELDS), path);
        writeFields(m.classPortInfo, CLASS_PORT_INFO_FIELDS, obj, path);
        break;
      case SaAttr.Notice: {
        const isGeneric = intValue(obj, 'isGeneric', 1, path);
        const head = isGeneric === 1 ? NOTICE_GENERIC_HEAD : NOTICE_VENDOR_HEAD;
        const trap = isGeneric === 1 ? intValue(obj, 'trapNumber', 0xffff, path) : -1;
        const details = noticeDetails(isGeneric, trap);
        checkKeys(obj, [...names(head), ...(details === null ? ['dataDetails'] : names(details))], path);
        const n = m.notice;
        writeFields(n, head, obj, path);
        if (details === null) {
          if (obj.dataDetails !== undefined) hexInto(obj.dataDetails, path + 'dataDetails', out, n.offset + 10, 54);
        } else {
          writeFields(n, details, obj, path);
        }
        break;
      }
    }
  }
  checkMad(out, 0);
  return out;
}

/** A standalone GID parser for callers holding text (CLI, scenario files): 16 fresh bytes. */
export function parseGid(text: string, field = 'gid'): GidView {
  const view = new GidView(new BytesRef(new Uint8Array(16)), 0);
  parseGidInto(text, field, view.ref.bytes, 0);
  return view;
}
